/**
 * The one IP address module: parsing, formatting, comparing and CIDR networks, used by the
 * database, the capture tools, correlation and the command line alike.
 *
 * Accepted text: dotted-quad IPv4 with no leading zeros (`01.2.3.4` is refused, since some
 * parsers read it as octal), IPv6 in any RFC 4291 form (`2001:db8::1`, `::`, `::ffff:1.2.3.4`),
 * and for networks a `/prefix` suffix in decimal without leading zeros (`/08` is refused).
 *
 * Written text follows RFC 5952: lower-case hex, the longest run of two or more zero groups
 * shortened to `::` (the first on a tie), and IPv4-mapped addresses with a dotted tail
 * (`::ffff:1.2.3.4`), as tshark, Go and Python 3.13 print them.
 *
 * Two families of functions: {@linkcode parseIp}, {@linkcode parseCidr}, {@linkcode formatIp}
 * and {@linkcode formatNetwork} take and return small objects; {@linkcode parseIpv4},
 * {@linkcode parseIpInto}, {@linkcode formatIpv4}, {@linkcode formatIpv6} and
 * {@linkcode formatIpWords} allocate nothing but their result, for hot loops.
 *
 * @module
 */
import { MxyError } from "./mxy_error.ts";

/** Why an address or network was rejected. */
export type IpAddressErrorCode = "bad-address" | "bad-prefix" | "host-bits-set";

/**
 * Text is not a valid IP address or network. Carries a {@linkcode IpAddressErrorCode} and the
 * rejected text.
 *
 * @example
 * ```ts
 * import { IpAddressError, parseIp } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * assert.throws(() => parseIp("1.2.3"), IpAddressError);
 * ```
 */
export class IpAddressError extends MxyError {
  /** The reason, stable across versions. */
  declare readonly code: IpAddressErrorCode;
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
    super(code, message);
    this.name = "IpAddressError";
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
/** The longest address text: `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`. */
const MAX_TEXT = 45;

/** Hex digit value of a char code, or -1. */
function hexValue(c: number): number {
  if (c >= CH_0 && c <= CH_9) return c - CH_0;
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/** Dotted-quad text in `text[start, end)` as an unsigned 32-bit number, or -1. */
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

/** IPv6 text in `text[start, end)` into 16 bytes of `out`; `true` on success. */
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
      // embedded IPv4 in the last two groups
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
 * Parses dotted-quad IPv4 text (or a slice of a longer string) into an unsigned 32-bit number
 * without allocating.
 *
 * @param text The text, e.g. `"1.2.3.4"`.
 * @param start Where the address starts in `text` (default 0).
 * @param end Where it ends, exclusive (default `text.length`).
 * @returns The address as a number in 0…2³²−1, or -1 when the text is not an IPv4 address.
 * @example
 * ```ts
 * import { parseIpv4 } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * assert.equal(parseIpv4("1.2.3.4"), 0x01020304);
 * assert.equal(parseIpv4("255.255.255.255"), 0xffffffff);
 * assert.equal(parseIpv4("1.2.3.04"), -1);
 * assert.equal(parseIpv4("from 10.0.0.1 on", 5, 13), 0x0a000001);
 * ```
 */
export function parseIpv4(text: string, start = 0, end: number = text.length): number {
  return parseV4Range(text, start, end);
}

/**
 * Parses an IPv4 or IPv6 address (or a slice of a longer string) into a caller-owned buffer
 * without allocating: IPv4 fills `out[0..4)`, IPv6 fills `out[0..16)`.
 *
 * @param text The text.
 * @param out A buffer of at least 16 bytes.
 * @param start Where the address starts in `text` (default 0).
 * @param end Where it ends, exclusive (default `text.length`).
 * @returns 4 or 6 for the version parsed, or 0 when the text is not an address (then `out`
 *   holds garbage).
 * @example
 * ```ts
 * import { parseIpInto } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * const out = new Uint8Array(16);
 * assert.equal(parseIpInto("::ffff:1.2.3.4", out), 6);
 * assert.deepEqual([...out.subarray(10)], [255, 255, 1, 2, 3, 4]);
 * assert.equal(parseIpInto("10.0.0.1", out), 4);
 * assert.equal(parseIpInto("nope", out), 0);
 * ```
 */
export function parseIpInto(
  text: string,
  out: Uint8Array,
  start = 0,
  end: number = text.length,
): 0 | 4 | 6 {
  const n = end - start;
  if (n <= 0 || n > MAX_TEXT) return 0;
  for (let i = start; i < end; i++) {
    if (text.charCodeAt(i) === CH_COLON) return parseV6Range(text, start, end, out) ? 6 : 0;
  }
  const v4 = parseV4Range(text, start, end);
  if (v4 < 0) return 0;
  out[0] = v4 >>> 24;
  out[1] = (v4 >>> 16) & 255;
  out[2] = (v4 >>> 8) & 255;
  out[3] = v4 & 255;
  return 4;
}

/** Dotted-quad bytes in `b[start, end)` as an unsigned 32-bit number, or -1. */
function parseV4Bytes(b: Uint8Array, start: number, end: number): number {
  let result = 0;
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c >= CH_0 && c <= CH_9) {
      if (digits > 0 && value === 0) return -1;
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

/** IPv6 bytes in `b[start, end)` into 16 bytes of `out`; `true` on success. */
function parseV6Bytes(b: Uint8Array, start: number, end: number, out: Uint8Array): boolean {
  let i = start;
  if (end - start < 2) return false;
  let groups = 0;
  let gap = -1;
  if (b[i] === CH_COLON) {
    if (b[i + 1] !== CH_COLON) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    const groupStart = i;
    let value = 0;
    let digits = 0;
    while (i < end) {
      const d = hexValue(b[i]);
      if (d < 0) break;
      if (++digits > 4) return false;
      value = value * 16 + d;
      i++;
    }
    if (i < end && b[i] === CH_DOT) {
      if (groups > 6) return false;
      const v4 = parseV4Bytes(b, groupStart, end);
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
    if (b[i] !== CH_COLON) return false;
    i++;
    if (i < end && b[i] === CH_COLON) {
      if (gap >= 0) return false;
      gap = groups;
      i++;
    } else if (i === end) {
      return false;
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
 * {@linkcode parseIpInto} for an address held as ASCII bytes, `bytes[start..end)` (a span of a
 * log line), without allocating: IPv4 fills `out[0..4)`, IPv6 fills `out[0..16)`.
 *
 * @param bytes The text.
 * @param out A buffer of at least 16 bytes.
 * @param start Where the address starts (default 0).
 * @param end Where it ends, exclusive (default `bytes.length`).
 * @returns 4 or 6 for the version parsed, or 0 when the bytes are not an address.
 * @example
 * ```ts
 * import { parseIpBytesInto } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * const line = new TextEncoder().encode("from 2001:db8::7 port 22");
 * const out = new Uint8Array(16);
 * assert.equal(parseIpBytesInto(line, out, 5, 16), 6);
 * assert.equal(out[15], 7);
 * ```
 */
export function parseIpBytesInto(
  bytes: Uint8Array,
  out: Uint8Array,
  start = 0,
  end: number = bytes.length,
): 0 | 4 | 6 {
  const n = end - start;
  if (n <= 0 || n > MAX_TEXT) return 0;
  for (let i = start; i < end; i++) {
    if (bytes[i] === CH_COLON) return parseV6Bytes(bytes, start, end, out) ? 6 : 0;
  }
  const v4 = parseV4Bytes(bytes, start, end);
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
 * import { parseIp } from "@mxy/mxy/db";
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

const scratch = new Uint8Array(16);

/**
 * Tells whether text is an IPv4 or IPv6 address (without a prefix).
 *
 * @param text The text.
 * @returns `true` for an address.
 * @example
 * ```ts
 * import { isIp } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * assert.ok(isIp("::1"));
 * assert.ok(!isIp("example.com"));
 * ```
 */
export function isIp(text: string): boolean {
  return parseIpInto(text, scratch) !== 0;
}

/**
 * Parses a network in CIDR notation; a bare address is a network of one address (`/32` or
 * `/128`).
 *
 * @param text The network, e.g. `"10.0.0.0/8"`, `"2001:db8::/32"` or `"1.2.3.4"`.
 * @param options {@linkcode ParseCidrOptions}.
 * @returns The {@linkcode IpNetwork}, its host bits cleared.
 * @throws {IpAddressError} `bad-address`, `bad-prefix` (not a decimal number in range without
 *   leading zeros) or `host-bits-set` (bits beyond the prefix are set and `normalize` is off).
 * @example
 * ```ts
 * import { parseCidr } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * const n = parseCidr("10.1.0.0/16");
 * assert.equal(n.version, 4);
 * assert.equal(n.prefixLength, 16);
 * assert.deepEqual([...n.bytes], [10, 1, 0, 0]);
 * assert.throws(() => parseCidr("10.1.2.3/16"), /host bits/);
 * assert.deepEqual([...parseCidr("10.1.2.3/16", { normalize: true }).bytes], [10, 1, 0, 0]);
 * assert.throws(() => parseCidr("10.0.0.0/08"), /prefix length/);
 * ```
 */
export function parseCidr(text: string, options: ParseCidrOptions = {}): IpNetwork {
  const slash = text.lastIndexOf("/");
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
 * Formats an unsigned 32-bit number as dotted-quad IPv4 text.
 *
 * @param value The address, 0…2³²−1 (a negative 32-bit integer is read as unsigned).
 * @returns The text.
 * @example
 * ```ts
 * import { formatIpv4 } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * assert.equal(formatIpv4(0x01020304), "1.2.3.4");
 * assert.equal(formatIpv4(0xc0000201 | 0), "192.0.2.1");
 * ```
 */
export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** Lower-case hex of each 16-bit group, filled on first use. */
const HEX: string[] = [];
const GROUPS = new Uint16Array(8);

function hex(g: number): string {
  return HEX[g] ?? (HEX[g] = g.toString(16));
}

/** RFC 5952 text of the eight groups in `GROUPS`. */
function formatGroups(g: Uint16Array): string {
  if (
    g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff
  ) {
    return `::ffff:${g[6] >>> 8}.${g[6] & 255}.${g[7] >>> 8}.${g[7] & 255}`;
  }
  // the longest run of two or more zero groups becomes "::" (the first one on a tie)
  let bestStart = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += "::";
      i += bestLen - 1;
      continue;
    }
    if (out.length > 0 && out.charCodeAt(out.length - 1) !== CH_COLON) out += ":";
    out += hex(g[i]);
  }
  return out;
}

/**
 * Formats 16 bytes of a buffer as an IPv6 address in RFC 5952 form, IPv4-mapped addresses with
 * a dotted tail.
 *
 * @param bytes The buffer.
 * @param offset Where the 16 address bytes start (default 0).
 * @returns The text.
 * @throws {RangeError} When fewer than 16 bytes follow `offset`.
 * @example
 * ```ts
 * import { formatIpv6, parseIp } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * assert.equal(formatIpv6(parseIp("2001:0db8:0:0:0:0:0:0001").bytes), "2001:db8::1");
 * assert.equal(formatIpv6(parseIp("::ffff:102:304").bytes), "::ffff:1.2.3.4");
 * assert.equal(formatIpv6(parseIp("1:0:0:2:0:0:0:3").bytes), "1:0:0:2::3");
 * ```
 */
export function formatIpv6(bytes: Uint8Array, offset = 0): string {
  if (offset < 0 || offset + 16 > bytes.length) {
    throw new RangeError(`An IPv6 address needs 16 bytes at offset ${offset}`);
  }
  const g = GROUPS;
  for (let i = 0; i < 8; i++) g[i] = (bytes[offset + 2 * i] << 8) | bytes[offset + 2 * i + 1];
  return formatGroups(g);
}

/**
 * Formats an address given as 4 or 16 bytes.
 *
 * @param bytes The address bytes.
 * @returns The text: dotted quad, or RFC 5952 IPv6 (see {@linkcode formatIpv6}).
 * @throws {TypeError} When `bytes` is not 4 or 16 bytes long.
 * @example
 * ```ts
 * import { formatIp, parseIp } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * assert.equal(formatIp(new Uint8Array([192, 0, 2, 1])), "192.0.2.1");
 * assert.equal(formatIp(parseIp("2001:db8::1").bytes), "2001:db8::1");
 * ```
 */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) {
    throw new TypeError(`An IP address is 4 or 16 bytes, got ${bytes.length}`);
  }
  return formatIpv6(bytes, 0);
}

/**
 * Formats an address held as 32-bit words, most significant first, as flow keys hold them:
 * IPv4 in `words[0]`, IPv6 in `words[0..4)`.
 *
 * @param words The words (unsigned or signed 32-bit values).
 * @param version 4 or 6.
 * @returns The text, as {@linkcode formatIp} writes it.
 * @example
 * ```ts
 * import { formatIpWords } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * assert.equal(formatIpWords([0x7f000001], 4), "127.0.0.1");
 * assert.equal(formatIpWords([0, 0, 0xffff, 0x7f000001], 6), "::ffff:127.0.0.1");
 * assert.equal(formatIpWords([0x20010db8, 0, 0, 1], 6), "2001:db8::1");
 * ```
 */
export function formatIpWords(words: ArrayLike<number>, version: 4 | 6): string {
  if (version === 4) return formatIpv4(words[0]);
  const g = GROUPS;
  for (let i = 0; i < 4; i++) {
    g[2 * i] = words[i] >>> 16;
    g[2 * i + 1] = words[i] & 0xffff;
  }
  return formatGroups(g);
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
 * import { formatNetwork } from "@mxy/mxy/db";
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
  if (bytes.length === 4) {
    const v = (bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3];
    return `${
      formatIpv4(prefixLength === 0 ? 0 : v & (-1 << (32 - prefixLength)))
    }/${prefixLength}`;
  }
  if (bytes.length !== 16) return formatIp(bytes); // throws the length error
  // the groups with the host bits cleared, without copying the bytes
  const g = GROUPS;
  for (let i = 0; i < 8; i++) {
    const keep = prefixLength - i * 16;
    const mask = keep >= 16 ? 0xffff : keep <= 0 ? 0 : (0xffff << (16 - keep)) & 0xffff;
    g[i] = ((bytes[2 * i] << 8) | bytes[2 * i + 1]) & mask;
  }
  return `${formatGroups(g)}/${prefixLength}`;
}

/**
 * Tells whether an address lies inside a network. An IPv4 address is never inside an IPv6
 * network or the reverse (`::ffff:1.2.3.4` is not in `1.2.3.0/24`).
 *
 * @param network The network.
 * @param address The address bytes (4 or 16), e.g. `parseIp(text).bytes`.
 * @returns `true` when the first `prefixLength` bits agree.
 * @example
 * ```ts
 * import { networkContains, parseCidr, parseIp } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * const net = parseCidr("2001:db8::/33");
 * assert.equal(networkContains(net, parseIp("2001:db8:7fff::1").bytes), true);
 * assert.equal(networkContains(net, parseIp("2001:db8:8000::1").bytes), false);
 * assert.equal(networkContains(parseCidr("0.0.0.0/0"), parseIp("::1").bytes), false);
 * ```
 */
export function networkContains(network: IpNetwork, address: Uint8Array): boolean {
  const net = network.bytes;
  if (address.length !== net.length) return false;
  let bits = network.prefixLength;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((address[i] ^ net[i]) & mask) !== 0) return false;
  }
  return true;
}

/**
 * Orders two addresses: IPv4 (4 bytes) before IPv6 (16 bytes), then by value.
 *
 * @param a The first address's bytes.
 * @param b The second address's bytes.
 * @returns A negative number, zero or a positive number, for `Array.prototype.sort`.
 * @example
 * ```ts
 * import { compareIp, formatIp, parseIp } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * const sorted = ["::1", "10.0.0.2", "10.0.0.10", "9.9.9.9"].map((t) => parseIp(t).bytes)
 *   .sort(compareIp).map(formatIp);
 * assert.deepEqual(sorted, ["9.9.9.9", "10.0.0.2", "10.0.0.10", "::1"]);
 * ```
 */
export function compareIp(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return 0;
}
