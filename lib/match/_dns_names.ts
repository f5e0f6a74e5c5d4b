/**
 * DNS names read straight from the wire into a lookup key, allocating nothing: labels joined
 * by dots, ASCII letters in lower case, the FNV-1a hash computed as the bytes are written.
 * Compression pointers are followed with loop protection (at most 128 hops and 255 bytes of
 * name, as the DPI plugin's decoder allows).
 *
 * @module
 */
import * as spanLookup from "./_span_lookup.ts";

const { FNV_PRIME, HASH_MASK } = spanLookup;
const MAX_HOPS = 128;
const MAX_NAME = 255;
/** The two top bits of a label length byte that mark a compression pointer. */
const POINTER = 0xc0;
const B_DOT = 0x2e;
const A_UPPER = 0x41, Z_UPPER = 0x5a, CASE_BIT = 0x20;

/** Reads names; the fields describe the last name read. */
export class DnsNameReader {
  /** Where the name ends in the message (the byte after it, pointers not followed). */
  next = 0;
  /** The hash of the name's key bytes (masked: a small integer). */
  hash = 0;

  /**
   * Reads the name at `p` of the message `buf[msg, end)` into `out` from 0.
   *
   * @param seed The hash's seed.
   * @returns The key's length (0 for the root), or -1 when the name is malformed.
   */
  read(
    buf: Uint8Array,
    msg: number,
    end: number,
    p: number,
    out: Uint8Array,
    seed: number,
  ): number {
    let n = 0, hops = 0, h = seed;
    let next = -1;
    for (;;) {
      if (p >= end) return -1;
      const b = buf[p];
      if (b === 0) {
        if (next < 0) next = p + 1;
        break;
      }
      if ((b & POINTER) === POINTER) {
        if (p + 1 >= end || ++hops > MAX_HOPS) return -1;
        if (next < 0) next = p + 2;
        p = msg + (((b & ~POINTER) << 8) | buf[p + 1]);
        continue;
      }
      if ((b & POINTER) !== 0 || p + 1 + b > end) return -1;
      if (n + b + 1 > MAX_NAME) return -1;
      if (n > 0) {
        out[n++] = B_DOT;
        h = Math.imul(h ^ B_DOT, FNV_PRIME);
      }
      for (let i = p + 1, stop = p + 1 + b; i < stop; i++) {
        let c = buf[i];
        if (c >= A_UPPER && c <= Z_UPPER) c |= CASE_BIT;
        out[n++] = c;
        h = Math.imul(h ^ c, FNV_PRIME);
      }
      p += 1 + b;
    }
    this.next = next;
    this.hash = h & HASH_MASK;
    return n;
  }
}

/**
 * The end of the name at `p` without reading it: the byte after it, or -1.
 */
export function skipDnsName(buf: Uint8Array, p: number, end: number): number {
  while (p < end) {
    const b = buf[p];
    if (b === 0) return p + 1;
    if ((b & POINTER) === POINTER) return p + 2 <= end ? p + 2 : -1;
    if ((b & POINTER) !== 0) return -1;
    p += 1 + b;
  }
  return -1;
}
