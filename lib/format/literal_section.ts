/**
 * The literal section of a `.mxy` file: exact strings in an open-addressing hash table, each
 * pointing into the shared MMDB data section.
 *
 * Layout (little-endian, every table 8-byte aligned from the section start):
 *
 * | offset | size | field                                                     |
 * | ------ | ---- | --------------------------------------------------------- |
 * | 0      | 8    | magic `"MXYLIT\0"` and version byte `0x01`                 |
 * | 8      | 4    | flags: bit 0 = case-insensitive (keys stored case-folded) |
 * | 12     | 4    | entry count `n`                                           |
 * | 16     | 4    | slot count `m` (a power of two, at least 2n)              |
 * | 20     | 4    | reserved, 0                                               |
 * | 24     | 4    | slots table offset: `m` pairs `u32 hash, u32 entry + 1`  |
 * | 28     | 4    | entries table offset: `n` triples `u32 stringOffset, u32 byteLength, u32 dataOffset` |
 * | 32     | 4    | strings offset: UTF-8 bytes of every key, concatenated     |
 * | 36     | 4    | strings length in bytes                                   |
 *
 * A slot whose second word is 0 is empty. The hash is 32-bit FNV-1a over the key's UTF-8 bytes
 * followed by the MurmurHash3 finalizer; the home slot is `hash & (m - 1)` and collisions probe
 * linearly. Keys are stored in full, so a lookup never returns a false match. `dataOffset` is an
 * offset from the start of the MMDB data section, as MMDB pointers are.
 *
 * @module
 */
import { FormatError } from "./format_error.ts";
import { decodeUtf8, encodeUtf8, encodeUtf8Into } from "./_case_fold.ts";
import { SectionWriter, u32View, u8View } from "./_section_view.ts";

/** The literal section's magic (7 bytes) followed by its version byte. */
export const LITERAL_MAGIC: Uint8Array = Uint8Array.of(0x4d, 0x58, 0x59, 0x4c, 0x49, 0x54, 0, 1);

const HEADER = 40;

/**
 * Hashes UTF-8 bytes as the literal table does.
 *
 * @param bytes The bytes.
 * @param length How many of them.
 * @returns The 32-bit hash.
 * @example
 * ```ts
 * import { literalHash } from "./literal_section.ts";
 * import assert from "node:assert/strict";
 * const b = new TextEncoder().encode("example.com");
 * assert.equal(literalHash(b, b.length), literalHash(b.slice(), b.length));
 * ```
 */
export function literalHash(bytes: Uint8Array, length: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** One literal to store. */
export interface LiteralEntry {
  /** The exact string. */
  text: string;
  /** Its data: an offset into the MMDB data section. */
  dataOffset: number;
}

/** Options for {@linkcode encodeLiteralSection}. */
export interface LiteralSectionOptions {
  /** Store keys case-folded so lookups ignore case. Default false. */
  caseInsensitive?: boolean;
}

/**
 * Builds a literal section. Keys must be distinct (after case folding in case-insensitive
 * mode); the builder resolves duplicates before calling this.
 *
 * @param entries The strings and their data offsets, in the order to store them.
 * @param options Case sensitivity.
 * @returns The section bytes (a multiple of 8 long).
 * @throws {FormatError} With code `bad-input` when two entries have the same key.
 * @example
 * ```ts
 * import { encodeLiteralSection, LiteralTable } from "./literal_section.ts";
 * import assert from "node:assert/strict";
 * const t = new LiteralTable(encodeLiteralSection([{ text: "evil.com", dataOffset: 7 }]));
 * assert.equal(t.dataOffset(t.find("evil.com")), 7);
 * assert.equal(t.find("good.com"), -1);
 * ```
 */
export function encodeLiteralSection(
  entries: LiteralEntry[],
  options: LiteralSectionOptions = {},
): Uint8Array {
  const fold = options.caseInsensitive === true;
  const n = entries.length;
  let m = 2;
  while (m < 2 * n) m *= 2;
  if (m > 0x40000000) {
    throw new FormatError("bad-input", `Too many literal entries for one section: ${n}`);
  }
  const keys: Uint8Array[] = new Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    keys[i] = encodeUtf8(entries[i].text, fold);
    total += keys[i].length;
  }
  if (total > 0xffffffff) {
    throw new FormatError("bad-input", `Literal strings exceed 4 GiB (${total} bytes)`);
  }
  const strings = new Uint8Array(total);
  const table = new Uint32Array(3 * n);
  const slots = new Uint32Array(2 * m);
  const mask = m - 1;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    strings.set(k, at);
    table[3 * i] = at;
    table[3 * i + 1] = k.length;
    const off = entries[i].dataOffset;
    if (!Number.isInteger(off) || off < 0 || off > 0xffffffff) {
      throw new RangeError(`Literal "${entries[i].text}" has an invalid data offset ${off}`);
    }
    table[3 * i + 2] = off;
    const h = literalHash(k, k.length);
    let s = h & mask;
    for (;;) {
      const e = slots[2 * s + 1];
      if (e === 0) {
        slots[2 * s] = h;
        slots[2 * s + 1] = i + 1;
        break;
      }
      if (slots[2 * s] === h) {
        const j = e - 1;
        const o = table[3 * j];
        const len = table[3 * j + 1];
        if (len === k.length) {
          let same = true;
          for (let x = 0; x < len; x++) {
            if (strings[o + x] !== k[x]) {
              same = false;
              break;
            }
          }
          if (same) {
            throw new FormatError(
              "bad-input",
              `Literal "${entries[i].text}" is stored twice (same key as entry ${j})`,
            );
          }
        }
      }
      s = (s + 1) & mask;
    }
    at += k.length;
  }
  const w = new SectionWriter();
  const header = new Uint8Array(HEADER);
  w.bytes(header);
  const slotsAt = w.u32(slots);
  const entriesAt = w.u32(table);
  const stringsAt = w.bytes(strings);
  const dv = new DataView(header.buffer);
  header.set(LITERAL_MAGIC, 0);
  dv.setUint32(8, fold ? 1 : 0, true);
  dv.setUint32(12, n, true);
  dv.setUint32(16, m, true);
  dv.setUint32(24, slotsAt, true);
  dv.setUint32(28, entriesAt, true);
  dv.setUint32(32, stringsAt, true);
  dv.setUint32(36, total, true);
  const out = w.finish();
  if (out.length > 0xffffffff) {
    throw new FormatError("bad-input", `Literal section exceeds 4 GiB (${out.length} bytes)`);
  }
  return out;
}

/** Options for {@linkcode LiteralTable}. */
export interface LiteralTableOptions {
  /** The section's absolute offset in the file, for error messages. Default 0. */
  fileOffset?: number;
}

/**
 * A literal section viewed in place: lookups hash and compare the query's UTF-8 bytes directly
 * against the stored keys, allocating nothing.
 *
 * @example
 * ```ts
 * import { encodeLiteralSection, LiteralTable } from "./literal_section.ts";
 * import assert from "node:assert/strict";
 * const bytes = encodeLiteralSection([{ text: "Straße.de", dataOffset: 3 }], {
 *   caseInsensitive: true,
 * });
 * const t = new LiteralTable(bytes);
 * assert.equal(t.dataOffset(t.find("STRASSE.de")), -1); // full folding (ß→ss) is not simple folding
 * assert.equal(t.dataOffset(t.find("STRAßE.DE")), 3);
 * ```
 */
export class LiteralTable {
  #slots: Uint32Array;
  #entries: Uint32Array;
  #strings: Uint8Array;
  #mask: number;
  #count: number;
  #fold: boolean;
  #base: number;
  #scratch: Uint8Array = new Uint8Array(256);

  /**
   * @param section The section bytes (starting with the magic).
   * @param options Where the section is in the file, for errors.
   * @throws {FormatError} With code `bad-section` when the header or a table is invalid.
   */
  constructor(section: Uint8Array, options: LiteralTableOptions = {}) {
    const base = options.fileOffset ?? 0;
    this.#base = base;
    if (section.length < HEADER) {
      throw new FormatError("bad-section", "Literal section is shorter than its header", base);
    }
    for (let i = 0; i < 7; i++) {
      if (section[i] !== LITERAL_MAGIC[i]) {
        throw new FormatError("bad-section", 'Literal section magic "MXYLIT" not found', base);
      }
    }
    if (section[7] !== 1) {
      throw new FormatError(
        "bad-section",
        `Literal section version ${section[7]} is not supported (expected 1)`,
        base + 7,
      );
    }
    const dv = new DataView(section.buffer, section.byteOffset, HEADER);
    const flags = dv.getUint32(8, true);
    const n = dv.getUint32(12, true);
    const m = dv.getUint32(16, true);
    if (m === 0 || (m & (m - 1)) !== 0 || m < n) {
      throw new FormatError(
        "bad-section",
        `Literal section slot count ${m} is not a power of two above the entry count ${n}`,
        base + 16,
      );
    }
    this.#slots = u32View(section, dv.getUint32(24, true), 2 * m, "literal slots", base);
    this.#entries = u32View(section, dv.getUint32(28, true), 3 * n, "literal entries", base);
    this.#strings = u8View(
      section,
      dv.getUint32(32, true),
      dv.getUint32(36, true),
      "literal strings",
      base,
    );
    this.#mask = m - 1;
    this.#count = n;
    this.#fold = (flags & 1) !== 0;
  }

  /** The number of literals. */
  get count(): number {
    return this.#count;
  }

  /** Whether keys are stored case-folded (lookups ignore case). */
  get caseInsensitive(): boolean {
    return this.#fold;
  }

  /**
   * Looks up a string. Allocates nothing (a scratch buffer grows to the longest query once).
   *
   * @param query The string.
   * @returns The entry number, or -1 when absent.
   */
  find(query: string): number {
    let n = encodeUtf8Into(query, this.#scratch, this.#fold);
    if (n < 0) {
      this.#scratch = new Uint8Array(query.length * 3 + 16);
      n = encodeUtf8Into(query, this.#scratch, this.#fold);
    }
    return this.findBytes(this.#scratch, n);
  }

  /**
   * Looks up UTF-8 bytes that are already in key form (case-folded in case-insensitive mode).
   *
   * @param bytes The bytes.
   * @param length How many of them.
   * @returns The entry number, or -1 when absent.
   */
  findBytes(bytes: Uint8Array, length: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    h = h >>> 0;
    const slots = this.#slots;
    const entries = this.#entries;
    const strings = this.#strings;
    const mask = this.#mask;
    let s = h & mask;
    for (let probes = 0; probes <= mask; probes++) {
      const e = slots[2 * s + 1];
      if (e === 0) return -1;
      if (slots[2 * s] === h && e <= this.#count) {
        const j = e - 1;
        if (entries[3 * j + 1] === length) {
          const o = entries[3 * j];
          let x = 0;
          while (x < length && strings[o + x] === bytes[x]) x++;
          if (x === length) return j;
        }
      }
      s = (s + 1) & mask;
    }
    return -1;
  }

  /**
   * The data offset of an entry.
   *
   * @param entry An entry number from {@linkcode LiteralTable.find}; -1 gives -1.
   * @returns The offset in the data section, or -1.
   */
  dataOffset(entry: number): number {
    return entry < 0 || entry >= this.#count ? -1 : this.#entries[3 * entry + 2];
  }

  /**
   * The stored key of an entry (case-folded in case-insensitive mode). Allocates the string.
   *
   * @param entry The entry number.
   * @returns The key.
   * @throws {FormatError} With code `bad-section` when the key lies outside the strings table.
   */
  text(entry: number): string {
    if (entry < 0 || entry >= this.#count) throw new RangeError(`No literal entry ${entry}`);
    const o = this.#entries[3 * entry];
    const len = this.#entries[3 * entry + 1];
    if (o + len > this.#strings.length) {
      throw new FormatError(
        "bad-section",
        `Literal entry ${entry} points outside the strings table`,
        this.#base,
      );
    }
    return decodeUtf8(this.#strings.subarray(o, o + len));
  }
}
