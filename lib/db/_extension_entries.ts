/**
 * The builder's table of extension entries (literals, globs, any registered kind): keys in
 * first-insertion order, de-duplicated on their normalized form.
 *
 * @module
 */
import type { WritableValue } from "../format/data_writer.ts";
import { grown } from "./_grow.ts";
import type { SectionEncoder } from "./section_encoder.ts";

/**
 * FNV-1a over a string's UTF-16 code units, mixed (for the extension entries' hash tables).
 *
 * @param s The string.
 * @returns A 32-bit hash.
 */
export function stringHash(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/**
 * The entries of one extension kind: keys in first-insertion order, de-duplicated on their
 * normalized form through an open-addressing hash table, with data offsets and sources in
 * typed-array columns.
 */
export class ExtensionEntries {
  readonly encoder: SectionEncoder;
  /** Keys as given, and their normalized forms (often the same strings). */
  keys: string[] = [];
  norms: string[] = [];
  count = 0;
  // Slots of two words: the hash of an entry's normalized key and the entry index + 1 (0: free
  // slot), so a probe reads one cache line.
  table: Int32Array = new Int32Array(2 << 10);
  // The free slot where the last unsuccessful find() ended.
  #free = 0;
  offsets: Float64Array = new Float64Array(256);
  // Where each entry came from: an index into the builder's file names (-1: unknown) and a line.
  srcFile: Int32Array = new Int32Array(256);
  srcLine: Int32Array = new Int32Array(256);
  /** Values of merge mode, encoded at build(). */
  values: WritableValue[] = [];

  /** @param encoder The section encoder the entries go to. */
  constructor(encoder: SectionEncoder) {
    this.encoder = encoder;
  }

  /** The entry whose normalized key is `norm` (with hash `h`), or -1. */
  find(norm: string, h: number): number {
    const table = this.table;
    const mask = (table.length >> 1) - 1;
    for (let slot = h & mask;; slot = (slot + 1) & mask) {
      const e = table[2 * slot + 1];
      if (e === 0) {
        this.#free = slot;
        return -1;
      }
      if (table[2 * slot] === h && this.norms[e - 1] === norm) return e - 1;
    }
  }

  /**
   * Appends a new entry whose normalized key `norm` (hash `h`) the last find() did not find;
   * returns its index.
   */
  push(key: string, norm: string, h: number, offset: number, file: number, line: number): number {
    const i = this.count++;
    if (i === this.offsets.length) {
      const n = 2 * i;
      this.srcFile = grown(this.srcFile, n);
      this.srcLine = grown(this.srcLine, n);
      this.offsets = grown(this.offsets, n);
    }
    this.keys.push(key);
    this.norms.push(norm);
    this.offsets[i] = offset;
    this.srcFile[i] = file;
    this.srcLine[i] = line;
    let table = this.table;
    table[2 * this.#free] = h;
    table[2 * this.#free + 1] = i + 1;
    if (this.count > table.length >> 2) {
      const next = new Int32Array(2 * table.length);
      const mask = (next.length >> 1) - 1;
      for (let k = 0; k < table.length; k += 2) {
        if (table[k + 1] === 0) continue;
        let slot = table[k] & mask;
        while (next[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
        next[2 * slot] = table[k];
        next[2 * slot + 1] = table[k + 1];
      }
      this.table = table = next;
    }
    return i;
  }
}
