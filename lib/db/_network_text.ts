/**
 * Reading network text for the builder: the fast paths for plain IPv4 and IPv6 networks (no
 * object per entry; anything unusual is left to `parseCidr`, which says what is wrong), and
 * the test that decides whether an entry is reported as an IP address.
 *
 * @module
 */
import { parseIpInto, parseIpv4 } from "../core/ip.ts";

/** An IPv4 network as {@linkcode parseIpv4Network} leaves it. */
export interface Ipv4Network {
  /** The address (host bits clear), unsigned. */
  addr: number;
  /** The prefix length. */
  prefix: number;
}

/**
 * Reads IPv4 network text (`a.b.c.d` or `a.b.c.d/prefix`) whose host bits are clear, or are
 * cleared in normalize mode.
 *
 * @param text The text.
 * @param normalize Clear host bits instead of refusing them.
 * @param out Receives the address and prefix length.
 * @returns `false`, leaving `out` as it was, for any other text (which `parseCidr` then parses
 *   or refuses with the reason).
 */
export function parseIpv4Network(text: string, normalize: boolean, out: Ipv4Network): boolean {
  const slash = text.indexOf("/");
  const v4 = parseIpv4(slash < 0 ? text : text.slice(0, slash));
  if (v4 < 0) return false;
  let prefix = 32;
  if (slash >= 0) {
    // As parseCidr: 1 or 2 digits without a leading zero, at most 32.
    prefix = 0;
    const n = text.length - slash - 1;
    if (n < 1 || n > 2 || (n === 2 && text.charCodeAt(slash + 1) === 48)) return false;
    for (let k = slash + 1; k < text.length; k++) {
      const c = text.charCodeAt(k) - 48;
      if (c < 0 || c > 9) return false;
      prefix = prefix * 10 + c;
    }
    if (prefix > 32) return false;
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  let addr = v4;
  if ((v4 & ~mask) !== 0) {
    if (!normalize) return false; // parseCidr gives the error
    addr = (v4 & mask) >>> 0;
  }
  out.addr = addr;
  out.prefix = prefix;
  return true;
}

/**
 * Reads IPv6 network text (`address` or `address/prefix`) into `out` (16 bytes), clearing host
 * bits in normalize mode.
 *
 * @param text The text.
 * @param normalize Clear host bits instead of refusing them.
 * @param out Receives the address.
 * @returns The prefix length, or -1 for anything else (IPv4 text, invalid text, host bits set
 *   without normalize): `parseCidr` then parses it or says why not.
 */
export function parseIpv6Network(text: string, normalize: boolean, out: Uint8Array): number {
  const slash = text.lastIndexOf("/");
  if (parseIpInto(slash < 0 ? text : text.slice(0, slash), out) !== 6) return -1;
  let prefix = 128;
  if (slash >= 0) {
    // As parseCidr: "0" or 1 to 3 digits without a leading zero, at most 128.
    const n = text.length - slash - 1;
    if (n < 1 || n > 3 || (n > 1 && text.charCodeAt(slash + 1) === 48)) return -1;
    prefix = 0;
    for (let k = slash + 1; k < text.length; k++) {
      const c = text.charCodeAt(k) - 48;
      if (c < 0 || c > 9) return -1;
      prefix = prefix * 10 + c;
    }
    if (prefix > 128) return -1;
  }
  for (let i = prefix >> 3; i < 16; i++) {
    const keep = prefix - i * 8;
    const mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (0xff << (8 - keep)) & 0xff;
    if ((out[i] & ~mask) !== 0) {
      if (!normalize) return -1;
      out[i] &= mask;
    }
  }
  return prefix;
}

/**
 * Whether text looks like an IP address or network (so its errors are reported as such, not
 * as a literal's).
 *
 * @param text The entry.
 * @returns `true` for IPv4-like or IPv6-like text, with or without a `/prefix`.
 */
export function looksLikeIp(text: string): boolean {
  // Same as /^[0-9.]+(\/.*)?$/ or /^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*(\/.*)?$/, without a regex.
  const n = text.length;
  let i = 0;
  let decimal = true;
  let colon = false;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2f) break; // "/"
    if (c >= 0x30 && c <= 0x39 || c === 0x2e) continue;
    if (c === 0x3a) colon = true;
    else if (!(c >= 0x61 && c <= 0x66 || c >= 0x41 && c <= 0x46)) return false;
    decimal = false;
  }
  if (!(decimal && i > 0) && !colon) return false;
  // After "/": anything but a line terminator (what "." matches).
  for (i++; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029) return false;
  }
  return true;
}

/**
 * Whether `bytes[0, n)` are all zero.
 *
 * @param bytes The bytes.
 * @param n How many to look at.
 * @returns `true` when they are.
 */
export function isZero(bytes: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (bytes[i] !== 0) return false;
  return true;
}
