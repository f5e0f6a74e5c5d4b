/**
 * Generic (not hot-path) search-tree record reading shared by export and validation.
 *
 * @module
 */

/**
 * Reads one record of a search-tree node. The caller guarantees `node < nodeCount` and that the
 * tree lies within `u8`.
 *
 * @param u8 The file's bytes.
 * @param recordSize 24, 28 or 32.
 * @param node The node number.
 * @param bit 0 for the left record, 1 for the right.
 * @returns The record's value.
 */
export function readRecord(u8: Uint8Array, recordSize: number, node: number, bit: number): number {
  if (recordSize === 24) {
    const o = node * 6 + bit * 3;
    return (u8[o] << 16) | (u8[o + 1] << 8) | u8[o + 2];
  }
  if (recordSize === 28) {
    const o = node * 7;
    if (bit === 0) return ((u8[o + 3] & 0xf0) << 20) | (u8[o] << 16) | (u8[o + 1] << 8) | u8[o + 2];
    return ((u8[o + 3] & 0x0f) << 24) | (u8[o + 4] << 16) | (u8[o + 5] << 8) | u8[o + 6];
  }
  const o = node * 8 + bit * 4;
  return u8[o] * 16777216 + ((u8[o + 1] << 16) | (u8[o + 2] << 8) | u8[o + 3]);
}
