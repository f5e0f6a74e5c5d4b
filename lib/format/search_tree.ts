/**
 * The MaxMind DB search tree's node records: a binary trie of `nodeCount` nodes, each two
 * records (left for a 0 bit, right for a 1 bit) of 24, 28 or 32 bits, big-endian. A record
 * below `nodeCount` is the next node; `nodeCount` itself is "no data"; above it, the record
 * minus `nodeCount` minus 16 (the separator) is an offset into the data section.
 *
 * | record size | node bytes               | left record                    | right record      |
 * | ----------- | ------------------------ | ------------------------------ | ----------------- |
 * | 24          | {@linkcode NODE_BYTES_24} | bytes 0–2                      | bytes 3–5         |
 * | 28          | {@linkcode NODE_BYTES_28} | bytes 0–2, high nibble of 3    | low nibble of 3, bytes 4–6 |
 * | 32          | {@linkcode NODE_BYTES_32} | bytes 0–3                      | bytes 4–7         |
 *
 * @module
 */

/** Bytes of a node with 24-bit records. */
export const NODE_BYTES_24 = 6;
/** Bytes of one 24-bit record (the right record starts here). */
export const RECORD_BYTES_24 = 3;
/** Bytes of a node with 28-bit records (the two share the middle byte). */
export const NODE_BYTES_28 = 7;
/** The byte of a 28-bit node that holds the records' top nibbles (left high, right low). */
export const SHARED_BYTE_28 = 3;
/** Bytes of a node with 32-bit records. */
export const NODE_BYTES_32 = 8;
/** Bytes of one 32-bit record (the right record starts here). */
export const RECORD_BYTES_32 = 4;

/**
 * Reads one record of a search-tree node (generic, not a hot path). The caller guarantees
 * `node < nodeCount` and that the tree lies within `u8`.
 *
 * @param u8 The file's bytes.
 * @param recordSize 24, 28 or 32.
 * @param node The node number.
 * @param bit 0 for the left record, 1 for the right.
 * @returns The record's value.
 */
export function readRecord(u8: Uint8Array, recordSize: number, node: number, bit: number): number {
  if (recordSize === 24) {
    const o = node * NODE_BYTES_24 + bit * RECORD_BYTES_24;
    return (u8[o] << 16) | (u8[o + 1] << 8) | u8[o + 2];
  }
  if (recordSize === 28) {
    const o = node * NODE_BYTES_28;
    const shared = u8[o + SHARED_BYTE_28];
    if (bit === 0) return ((shared & 0xf0) << 20) | (u8[o] << 16) | (u8[o + 1] << 8) | u8[o + 2];
    return ((shared & 0x0f) << 24) | (u8[o + 4] << 16) | (u8[o + 5] << 8) | u8[o + 6];
  }
  const o = node * NODE_BYTES_32 + bit * RECORD_BYTES_32;
  return u8[o] * 16777216 + ((u8[o + 1] << 16) | (u8[o + 2] << 8) | u8[o + 3]);
}

/**
 * Writes one record of a search-tree node into a zero-filled tree (a 28-bit record ORs its
 * nibble into the shared byte).
 *
 * @param file The file's bytes (the tree starts at 0).
 * @param recordSize 24, 28 or 32.
 * @param node The node number.
 * @param bit 0 for the left record, 1 for the right.
 * @param value The record's value.
 */
export function writeRecord(
  file: Uint8Array,
  recordSize: number,
  node: number,
  bit: number,
  value: number,
): void {
  if (recordSize === 24) {
    const p = node * NODE_BYTES_24 + bit * RECORD_BYTES_24;
    file[p] = value >>> 16;
    file[p + 1] = value >>> 8;
    file[p + 2] = value;
  } else if (recordSize === 28) {
    const p = node * NODE_BYTES_28;
    if (bit === 0) {
      file[p] = value >>> 16;
      file[p + 1] = value >>> 8;
      file[p + 2] = value;
      file[p + SHARED_BYTE_28] |= (value >>> 24) << 4;
    } else {
      file[p + SHARED_BYTE_28] |= value >>> 24;
      file[p + 4] = value >>> 16;
      file[p + 5] = value >>> 8;
      file[p + 6] = value;
    }
  } else {
    const p = node * NODE_BYTES_32 + bit * RECORD_BYTES_32;
    file[p] = value >>> 24;
    file[p + 1] = value >>> 16;
    file[p + 2] = value >>> 8;
    file[p + 3] = value;
  }
}
