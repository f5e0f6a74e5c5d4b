/**
 * Longest-prefix-match keys (`BPF_MAP_TYPE_LPM_TRIE`): a 4-byte little-endian prefix length then
 * the data, most significant byte first (an IP address in network order). Elements are stored
 * under their normalized key (bits past the prefix cleared); a lookup tries the stored prefix
 * lengths from the longest down.
 *
 * @module
 */

/** The prefix lengths present in a map, with counts, longest first. */
export class LpmPrefixes {
  #counts: Int32Array;
  /** The prefix lengths with at least one element, longest first. */
  lengths: number[] = [];

  /**
   * @param maxBits The data bits of a key.
   */
  constructor(maxBits: number) {
    this.#counts = new Int32Array(maxBits + 1);
  }

  /**
   * Counts an element added (+1) or removed (-1) at a prefix length.
   *
   * @param len The prefix length.
   * @param d +1 or -1.
   */
  change(len: number, d: number): void {
    const before = this.#counts[len];
    this.#counts[len] += d;
    if ((before === 0) !== (this.#counts[len] === 0)) {
      this.lengths = [];
      for (let l = this.#counts.length - 1; l >= 0; l--) {
        if (this.#counts[l] > 0) this.lengths.push(l);
      }
    }
  }
}

/**
 * Reads a key's prefix length.
 *
 * @param b The bytes.
 * @param o Where the key starts.
 * @returns The prefix length.
 */
export function lpmPrefixLength(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

/**
 * Writes the normalized key of `len` bits of a key's data into `out`.
 *
 * @param b The bytes holding the key.
 * @param o Where it starts.
 * @param keySize The key size (4 + data bytes).
 * @param len The prefix length to keep.
 * @param out `keySize` bytes to write.
 */
export function lpmNormalize(
  b: Uint8Array,
  o: number,
  keySize: number,
  len: number,
  out: Uint8Array,
): void {
  out[0] = len & 0xff;
  out[1] = (len >>> 8) & 0xff;
  out[2] = (len >>> 16) & 0xff;
  out[3] = len >>> 24;
  for (let i = 4; i < keySize; i++) {
    const bit = (i - 4) * 8;
    const keep = len >= bit + 8 ? 0xff : len <= bit ? 0 : (0xff00 >> (len - bit)) & 0xff;
    out[i] = b[o + i] & keep;
  }
}
