/**
 * A small, valid database that decodes to a huge value: its one record is `{ a: LEVEL_K }`,
 * where level `i` is an array of `width` pointers to level `i - 1` and level 0 an array of
 * `width` pointers to one string. The file is a few hundred bytes; the record's JSON text holds
 * `width ** levels` copies of the string.
 *
 * @module
 */
import { encodeMetadata, encodeValue } from "../../lib/format/mod.ts";

function pointer(offset: number): number[] {
  if (offset < 2048) return [0x20 | (offset >> 8), offset & 0xff];
  const v = offset - 2048;
  return [0x28 | (v >> 16), (v >> 8) & 0xff, v & 0xff];
}

/**
 * Builds the database.
 *
 * @param width Items per array (≤ 28).
 * @param levels Levels of arrays.
 * @param leaf The string at the bottom.
 * @returns The file's bytes.
 */
export function sharedArraysDatabase(width: number, levels: number, leaf: string): Uint8Array {
  const data: number[] = [...encodeValue(leaf)];
  let below = 0; // offset of the string, then of each level
  for (let level = 0; level <= levels - 1; level++) {
    const at = data.length;
    data.push(width, 11 - 7); // extended type: array of `width` items
    for (let i = 0; i < width; i++) data.push(...pointer(below));
    below = at;
  }
  const record = data.length;
  data.push(0xe1, ...encodeValue("a"), ...pointer(below)); // map of one pair
  const nodeCount = 1;
  const tree = new Uint8Array(6);
  const value = nodeCount + 16 + record; // a record pointing into the data section
  for (const at of [0, 3]) {
    tree[at] = value >> 16;
    tree[at + 1] = (value >> 8) & 0xff;
    tree[at + 2] = value & 0xff;
  }
  const meta = encodeMetadata({
    nodeCount,
    recordSize: 24,
    ipVersion: 4,
    databaseType: "hostile-shared-arrays",
    buildEpoch: 1,
  });
  const out = new Uint8Array(tree.length + 16 + data.length + meta.length);
  out.set(tree);
  out.set(data, tree.length + 16);
  out.set(meta, tree.length + 16 + data.length);
  return out;
}
