/**
 * Parsing and formatting of IPv4 and IPv6 addresses and CIDR networks, shared by the database
 * builder and the query engine.
 *
 * Two families of functions:
 * - {@linkcode parseIp}, {@linkcode parseCidr}, {@linkcode formatIp}, {@linkcode formatNetwork}
 *   build and take small objects, for the builder and for results;
 * - {@linkcode parseIpv4} and {@linkcode parseIpInto} allocate nothing, for hot lookup loops.
 *
 * Accepted text: dotted-quad IPv4 (`1.2.3.4`, no leading zeros, which some parsers read as
 * octal), IPv6 in any RFC 4291 form (`2001:db8::1`, `::`, `::ffff:1.2.3.4`), and for networks a
 * `/prefix` suffix. IPv6 addresses are written as Python's `ipaddress` writes them: lower-case
 * hex, the longest run of two or more zero groups shortened to `::`.
 *
 * @module
 */

/** Why an address or network was rejected. */
export type IpAddressErrorCode = "bad-address" | "bad-prefix" | "host-bits-set";

/**
 * Text is not a valid IP address or network. Carries a {@linkcode IpAddressErrorCode} and the
 * rejected text.
 *
 * @example
 * ```ts
 * import { IpAddressError, parseIp } from "./ip_address.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => parseIp("1.2.3"), IpAddressError);
 * ```
 */
export class IpAddressError extends Error {
  /** The reason, stable across versions. */
  readonly code: IpAddressErrorCode;
  /** The text that was rejected. */
  readonly input: string;

  /**
   * Creates the error.
   *
   * @param code The reason.
   * @param message What failed.
   * @param input The rejected text.
   */
  constructor(code: IpAddressErrorCode, message: string, input: string) {
    super(message);
    this.name = "IpAddressError";
    this.code = code;
    this.input = input;
  }
}

/** An IP address: 4 bytes for IPv4, 16 for IPv6, network byte order. */
export interface IpAddress {
  /** 4 or 6. */
  readonly version: 4 | 6;
  /** The address bytes (length 4 or 16). */
  readonly bytes: Uint8Array;
}

/** A network: an address whose bits beyond `prefixLength` are zero, and the prefix length. */
export interface IpNetwork extends IpAddress {
  /** Number of leading bits that are fixed: 0–32 for IPv4, 0–128 for IPv6. */
  readonly prefixLength: number;
}

/** Options for {@linkcode parseCidr}. */
export interface ParseCidrOptions {
  /**
   * When `true`, bits set beyond the prefix are cleared (`1.2.3.4/24` becomes `1.2.3.0/24`);
   * when `false` (default) they are an error with code `host-bits-set`.
   */
  normalize?: boolean;
}

const CH_0 = 48;
const CH_9 = 57;
const CH_DOT = 46;
const CH_COLON = 58;
const CH_SLASH = 47;

/** Hex digit value of a char code, or -1. */
function hexValue(c: number): number {
  if (c >= CH_0 && c <= CH_9) return c - CH_0;
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/**
 * Parses dotted-quad text in `text[start, end)` into an unsigned 32-bit number, or -1.
 * Allocates nothing.
 */
function parseV4Range(text: string, start: number, end: number): number {
  let result = 0;
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= CH_0 && c <= CH_9) {
      if (digits > 0 && value === 0) return -1; // leading zero
      value = value * 10 + (c - CH_0);
      if (value > 255) return -1;
      digits++;
    } else if (c === CH_DOT) {
      if (digits === 0 || parts === 3) return -1;
      result = result * 256 + value;
      parts++;
      value = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  if (digits === 0 || parts !== 3) return -1;
  return result * 256 + value;
}

/**
 * Parses IPv6 text in `text[start, end)` into 16 bytes of `out`. Returns `true` on success.
 * Allocates nothing.
 */
function parseV6Range(text: string, start: number, end: number, out: Uint8Array): boolean {
  let i = start;
  if (end - start < 2) return false;
  let groups = 0;
  let gap = -1; // group index where "::" stands
  if (text.charCodeAt(i) === CH_COLON) {
    if (text.charCodeAt(i + 1) !== CH_COLON) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    const groupStart = i;
    let value = 0;
    let digits = 0;
    while (i < end) {
      const d = hexValue(text.charCodeAt(i));
      if (d < 0) break;
      if (++digits > 4) return false;
      value = value * 16 + d;
      i++;
    }
    if (i < end && text.charCodeAt(i) === CH_DOT) {
      // Embedded IPv4 in the last two groups.
      if (groups > 6) return false;
      const v4 = parseV4Range(text, groupStart, end);
      if (v4 < 0) return false;
      out[groups * 2] = v4 >>> 24;
      out[groups * 2 + 1] = (v4 >>> 16) & 255;
      out[groups * 2 + 2] = (v4 >>> 8) & 255;
      out[groups * 2 + 3] = v4 & 255;
      groups += 2;
      i = end;
      break;
    }
    if (digits === 0 || groups === 8) return false;
    out[groups * 2] = value >>> 8;
    out[groups * 2 + 1] = value & 255;
    groups++;
    if (i === end) break;
    if (text.charCodeAt(i) !== CH_COLON) return false;
    i++;
    if (i < end && text.charCodeAt(i) === CH_COLON) {
      if (gap >= 0) return false;
      gap = groups;
      i++;
    } else if (i === end) {
      return false; // a single trailing colon
    }
  }
  if (gap >= 0) {
    if (groups > 7) return false;
    const shift = 8 - groups;
    for (let g = groups - 1; g >= gap; g--) {
      out[(g + shift) * 2] = out[g * 2];
      out[(g + shift) * 2 + 1] = out[g * 2 + 1];
    }
    for (let g = gap; g < gap + shift; g++) {
      out[g * 2] = 0;
      out[g * 2 + 1] = 0;
    }
    return true;
  }
  return groups === 8;
}

/**
 * Parses dotted-quad IPv4 text into an unsigned 32-bit number without allocating.
 *
 * @param text The address, e.g. `"1.2.3.4"`.
 * @returns The address as a number in 0…2³²−1, or -1 when the text is not an IPv4 address.
 * @example
 * ```ts
 * import { parseIpv4 } from "./ip_address.ts";
 * import assert from "node:assert/strict";
 * assert.equal(parseIpv4("1.2.3.4"), 0x01020304);
 * assert.equal(parseIpv4("255.255.255.255"), 0xffffffff);
 * assert.equal(parseIpv4("1.2.3.04"), -1);
 * ```
 */
export function parseIpv4(text: string): number {
  return parseV4Range(text, 0, text.length);
}

/**
 * Parses an IPv4 or IPv6 address into a caller-owned buffer without allocating: IPv4 fills
 * `out[0..4)`, IPv6 fills `out[0..16)`.
 *
 * @param text The address.
 * @param out A buffer of at least 16 bytes.
 * @returns 4 or 6 for the version parsed, or 0 when the text is not an address (then `out`
 *   holds garbage).
 * @example
 * ```ts
 * import { parseIpInto } from "./ip_address.ts";
 * import assert from "node:assert/strict";
 * const out = new Uint8Array(16);
 * assert.equal(parseIpInto("::ffff:1.2.3.4", out), 6);
 * assert.deepEqual([...out.subarray(10)], [255, 255, 1, 2, 3, 4]);
 * assert.equal(parseIpInto("10.0.0.1", out), 4);
 * assert.equal(parseIpInto("nope", out), 0);
 * ```
 */
export function parseIpInto(text: string, out: Uint8Array): 0 | 4 | 6 {
  const n = text.length;
  if (n === 0 || n > 45) return 0;
  // A colon anywhere means IPv6.
  for (let i = 0; i < n; i++) {
    if (text.charCodeAt(i) === CH_COLON) return parseV6Range(text, 0, n, out) ? 6 : 0;
  }
  const v4 = parseV4Range(text, 0, n);
  if (v4 < 0) return 0;
  out[0] = v4 >>> 24;
  out[1] = (v4 >>> 16) & 255;
  out[2] = (v4 >>> 8) & 255;
  out[3] = v4 & 255;
  return 4;
}

/**
 * Parses an IPv4 or IPv6 address.
 *
 * @param text The address, e.g. `"1.2.3.4"`, `"2001:db8::1"` or `"::ffff:1.2.3.4"`.
 * @returns The {@linkcode IpAddress}.
 * @throws {IpAddressError} With code `bad-address` when the text is not an address.
 * @example
 * ```ts
 * import { parseIp } from "./ip_address.ts";
 * import assert from "node:assert/strict";
 * const a = parseIp("2001:db8::1");
 * assert.equal(a.version, 6);
 * assert.equal(a.bytes.length, 16);
 * assert.equal(a.bytes[15], 1);
 * ```
 */
export function parseIp(text: string): IpAddress {
  const out = new Uint8Array(16);
  const version = parseIpInto(text, out);
  if (version === 0) {
    throw new IpAddressError("bad-address", `Invalid IP address "${text}"`, text);
  }
  return { version, bytes: version === 4 ? out.slice(0, 4) : out };
}

/**
 * Tells whether text is an IPv4 or IPv6 address (without a prefix).
 *
 * @param text The text.
 * @returns `true` for an address.
 * @example
 * ```ts
 * import { isIp } from "./ip_address.ts";
 * import assert from "node:assert/strict";
 * assert.ok(isIp("::1"));
 * assert.ok(!isIp("example.com"));
 * ```
 */
export function isIp(text: string): boolean {
  return parseIpInto(text, scratch) !== 0;
}

const scratch = new Uint8Array(16);

/**
 * Parses a network in CIDR notation; a bare address is a network of one address (`/32` or
 * `/128`).
 *
 * @param text The network, e.g. `"10.0.0.0/8"`, `"2001:db8::/32"` or `"1.2.3.4"`.
 * @param options {@linkcode ParseCidrOptions}.
 * @returns The {@linkcode IpNetwork}, its host bits cleared.
 * @throws {IpAddressError} `bad-address`, `bad-prefix` (not a whole number in range) or
 *   `host-bits-set` (bits beyond the prefix are set and `normalize` is off).
 * @example
 * ```ts
 * import { parseCidr } from "./ip_address.ts";
 * import assert from "node:assert/strict";
 * const n = parseCidr("10.1.0.0/16");
 * assert.equal(n.version, 4);
 * assert.equal(n.prefixLength, 16);
 * assert.deepEqual([...n.bytes], [10, 1, 0, 0]);
 * assert.throws(() => parseCidr("10.1.2.3/16"), /host bits/);
 * assert.deepEqual([...parseCidr("10.1.2.3/16", { normalize: true }).bytes], [10, 1, 0, 0]);
 * ```
 */
export function parseCidr(text: string, options: ParseCidrOptions = {}): IpNetwork {
  let slash = -1;
  for (let i = text.length - 1; i >= 0; i--) {
    if (text.charCodeAt(i) === CH_SLASH) {
      slash = i;
      break;
    }
  }
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const out = new Uint8Array(16);
  const version = parseIpInto(addressText, out);
  if (version === 0) {
    throw new IpAddressError("bad-address", `Invalid IP address "${addressText}"`, text);
  }
  const bits = version === 4 ? 32 : 128;
  let prefixLength = bits;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > bits) {
      throw new IpAddressError(
        "bad-prefix",
        `Invalid prefix length "/${p}" in "${text}": expected 0 to ${bits}`,
        text,
      );
    }
    prefixLength = Number(p);
  }
  const bytes = version === 4 ? out.slice(0, 4) : out;
  if (clearHostBits(bytes, prefixLength) && !options.normalize) {
    throw new IpAddressError(
      "host-bits-set",
      `Network "${text}" has host bits set beyond /${prefixLength} (did you mean "${
        formatNetwork(bytes, prefixLength)
      }"?)`,
      text,
    );
  }
  return { version, bytes, prefixLength };
}

/** Clears the bits of `bytes` beyond `prefixLength`; returns whether any was set. */
function clearHostBits(bytes: Uint8Array, prefixLength: number): boolean {
  let changed = false;
  for (let i = 0; i < bytes.length; i++) {
    const keep = prefixLength - i * 8;
    const mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (0xff << (8 - keep)) & 0xff;
    if ((bytes[i] & ~mask) !== 0) {
      changed = true;
      bytes[i] &= mask;
    }
  }
  return changed;
}

/**
 * Formats an address given as 4 or 16 bytes (IPv6 in Python's `ipaddress` style).
 *
 * @param bytes The address bytes.
 * @returns The text.
 * @throws {TypeError} When `bytes` is not 4 or 16 bytes long.
 * @example
 * ```ts
 * import { formatIp } from "./ip_address.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatIp(new Uint8Array([192, 0, 2, 1])), "192.0.2.1");
 * const v6 = new Uint8Array(16);
 * v6[0] = 0x20; v6[1] = 0x01; v6[2] = 0x0d; v6[3] = 0xb8; v6[15] = 1;
 * assert.equal(formatIp(v6), "2001:db8::1");
 * ```
 */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) {
    throw new TypeError(`An IP address is 4 or 16 bytes, got ${bytes.length}`);
  }
  const groups: number[] = [];
  for (let g = 0; g < 8; g++) groups.push((bytes[g * 2] << 8) | bytes[g * 2 + 1]);
  let bestStart = -1;
  let bestLen = 0;
  for (let g = 0; g < 8;) {
    if (groups[g] !== 0) {
      g++;
      continue;
    }
    let e = g;
    while (e < 8 && groups[e] === 0) e++;
    if (e - g > bestLen) {
      bestStart = g;
      bestLen = e - g;
    }
    g = e;
  }
  if (bestLen < 2) return groups.map((x) => x.toString(16)).join(":");
  const head = groups.slice(0, bestStart).map((x) => x.toString(16)).join(":");
  const tail = groups.slice(bestStart + bestLen).map((x) => x.toString(16)).join(":");
  return `${head}::${tail}`;
}

/**
 * Formats an unsigned 32-bit number as dotted-quad IPv4 text.
 *
 * @param value The address, 0…2³²−1.
 * @returns The text.
 * @example
 * ```ts
 * import { formatIpv4 } from "./ip_address.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatIpv4(0x01020304), "1.2.3.4");
 * ```
 */
export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/**
 * Formats a network as `address/prefix`, clearing the address bits beyond the prefix (the input
 * is not modified).
 *
 * @param bytes The address bytes (4 or 16).
 * @param prefixLength The prefix length.
 * @returns The CIDR text.
 * @throws {RangeError} When the prefix length does not fit the address.
 * @example
 * ```ts
 * import { formatNetwork } from "./ip_address.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatNetwork(new Uint8Array([1, 2, 3, 4]), 24), "1.2.3.0/24");
 * assert.equal(formatNetwork(new Uint8Array(16), 0), "::/0");
 * ```
 */
export function formatNetwork(bytes: Uint8Array, prefixLength: number): string {
  const bits = bytes.length * 8;
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > bits) {
    throw new RangeError(`Prefix length ${prefixLength} is out of range 0 to ${bits}`);
  }
  const copy = bytes.slice();
  clearHostBits(copy, prefixLength);
  return `${formatIp(copy)}/${prefixLength}`;
}
