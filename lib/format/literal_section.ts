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
 * | 24     | 4    | slots offset: `m` slots of 4 words (below)                |
 * | 28     | 4    | reserved, 0                                               |
 * | 32     | 4    | strings offset: UTF-8 bytes of every key, concatenated in input order |
 * | 36     | 4    | strings length in bytes                                   |
 *
 * A slot is {@linkcode SLOT_WORDS} words: `i32 hash, u32 stringOffset, u32 byteLength + 1,
 * u32 dataOffset` ({@linkcode SLOT_HASH}, {@linkcode SLOT_STRING_AT}, {@linkcode SLOT_LENGTH},
 * {@linkcode SLOT_DATA_OFFSET}); a slot whose length word is 0 is empty. A lookup touches one slot (usually one cache line) and, when the
 * hash matches, the stored key. An entry is identified by its slot number.
 *
 * The hash is 32-bit FNV-1a over the key's UTF-8 bytes
 * followed by the MurmurHash3 finalizer; the home slot is `hash & (m - 1)` and collisions probe
 * linearly. Keys are stored in full, so a lookup never returns a false match. `dataOffset` is an
 * offset from the start of the MMDB data section, as MMDB pointers are.
 *
 * @module
 */
import { FormatError } from "./format_error.ts";
import { LITTLE_ENDIAN } from "./_section_view.ts";
import type { SectionParts } from "./section_parts.ts";
import { encodeUtf8 } from "../pattern/mod.ts";
import { asciiLower } from "../core/ascii.ts";

/** The literal section's magic (7 bytes) followed by its version byte. */
export const LITERAL_MAGIC: Uint8Array = Uint8Array.of(0x4d, 0x58, 0x59, 0x4c, 0x49, 0x54, 0, 1);
/** The version byte this code reads and writes. */
export const LITERAL_VERSION = 1;

/** Header bytes. */
export const LITERAL_HEADER = 40;
/** Header field: flags ({@linkcode LITERAL_CASE_INSENSITIVE}). */
export const LITERAL_FLAGS = 8;
/** Header field: the entry count `n`. */
export const LITERAL_COUNT = 12;
/** Header field: the slot count `m`. */
export const LITERAL_SLOT_COUNT = 16;
/** Header field: where the slots start. */
export const LITERAL_SLOTS_AT = 24;
/** Header field: where the strings start. */
export const LITERAL_STRINGS_AT = 32;
/** Header field: the strings' length in bytes. */
export const LITERAL_STRINGS_LENGTH = 36;
/** Flag: keys are stored case-folded. */
export const LITERAL_CASE_INSENSITIVE = 1;

/** Words per slot. */
export const SLOT_WORDS = 4;
/** Slot word: the key's hash. */
export const SLOT_HASH = 0;
/** Slot word: where the key starts in the strings. */
export const SLOT_STRING_AT = 1;
/** Slot word: the key's length in bytes plus one (0: an empty slot). */
export const SLOT_LENGTH = 2;
/** Slot word: the data offset. */
export const SLOT_DATA_OFFSET = 3;

/** The FNV-1a prime of the key hash. */
export const FNV_PRIME = 0x01000193;
/** The FNV-1a offset basis of the key hash (as a signed 32-bit number). */
export const FNV_BASIS = 0x811c9dc5 | 0;

/**
 * The MurmurHash3 finalizer that ends the key hash.
 *
 * @param h The FNV-1a state.
 * @returns The hash (signed 32-bit).
 */
export function finishHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Hashes UTF-8 bytes as the literal table does.
 *
 * @param bytes The bytes.
 * @param length How many of them.
 * @returns The 32-bit hash.
 */
export function literalHash(bytes: Uint8Array, length: number): number {
  let h = FNV_BASIS;
  for (let i = 0; i < length; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME);
  return finishHash(h) >>> 0;
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
 */
export function encodeLiteralSection(
  entries: LiteralEntry[],
  options: LiteralSectionOptions = {},
): Uint8Array {
  return encodeLiteralKeys(
    entries.map((e) => e.text),
    entries.map((e) => e.dataOffset),
    options,
  );
}

/**
 * Builds a literal section from keys and their data offsets given side by side (what
 * {@linkcode encodeLiteralSection} does, without an object per entry). Keys must be distinct
 * (after case folding in case-insensitive mode).
 *
 * @param keys The strings, in the order to store them.
 * @param dataOffsets Their data offsets (as many as keys).
 * @param options Case sensitivity.
 * @returns The section bytes (a multiple of 8 long).
 * @throws {FormatError} With code `bad-input` when two keys are the same.
 * @throws {RangeError} When the two lists differ in length or a data offset is invalid.
 */
export function encodeLiteralKeys(
  keys: readonly string[],
  dataOffsets: ArrayLike<number>,
  options: LiteralSectionOptions = {},
): Uint8Array {
  const parts = literalSectionParts(keys, dataOffsets, options);
  const out = new Uint8Array(parts.length);
  parts.writeTo(out, 0);
  return out;
}

/**
 * {@linkcode encodeLiteralKeys} without a buffer of its own: the section's exact length, and a
 * writer that lays the section out in place in a larger zero-filled buffer (the builder's
 * file), so the 16-byte slots and the strings are written once.
 *
 * @param keys The strings, in the order to store them.
 * @param dataOffsets Their data offsets (as many as keys).
 * @param options Case sensitivity.
 * @returns The length and the writer; the writer throws {@linkcode FormatError} (`bad-input`)
 *   when two keys are the same, and needs `at` to be a multiple of 4 and the target zero there.
 * @throws {RangeError} When the two lists differ in length.
 */
export function literalSectionParts(
  keys: readonly string[],
  dataOffsets: ArrayLike<number>,
  options: LiteralSectionOptions = {},
): SectionParts {
  const fold = options.caseInsensitive === true;
  const n = keys.length;
  if (dataOffsets.length !== n) {
    throw new RangeError(`${n} literal keys but ${dataOffsets.length} data offsets`);
  }
  let m = 2;
  while (m < 2 * n) m *= 2;
  if (m > 0x10000000) {
    throw new FormatError("bad-input", `Too many literal entries for one section: ${n}`);
  }
  // The strings' exact UTF-8 length (folding may change a non-ASCII key's length).
  let total = 0;
  for (let i = 0; i < n; i++) {
    const key = keys[i];
    let k = 0;
    while (k < key.length && key.charCodeAt(k) < 0x80) k++;
    total += k === key.length ? k : encodeUtf8(key, fold).length;
  }
  if (total > 0xfffffffe) {
    throw new FormatError("bad-input", `Literal strings exceed 4 GiB (${total} bytes)`);
  }
  const stringsAt = LITERAL_HEADER + SLOT_WORDS * 4 * m;
  const size = Math.ceil((stringsAt + total) / 8) * 8;
  if (size > 0xffffffff) {
    throw new FormatError("bad-input", `Literal section exceeds 4 GiB (${size} bytes)`);
  }
  return {
    length: size,
    writeTo: (target: Uint8Array, at: number) =>
      writeInPlace(keys, dataOffsets, m, fold, target.subarray(at, at + size), total),
  };
}

/**
 * {@linkcode literalSectionParts}' writer: the section laid out in `out` (zero-filled: header,
 * `m` slots, then the keys' UTF-8 bytes, `total` of them). ASCII keys are written and hashed in
 * one pass over the keys; the slots are filled in a second, tight pass over the hashes, whose
 * random stores into the table then overlap (the table is many megabytes: each store misses the
 * cache). The slots are filled through a host-order view and stored little-endian at the end.
 */
function writeInPlace(
  keys: readonly string[],
  dataOffsets: ArrayLike<number>,
  m: number,
  fold: boolean,
  out: Uint8Array,
  total: number,
): void {
  const n = keys.length;
  const stringsAt = LITERAL_HEADER + SLOT_WORDS * 4 * m;
  const slots = new Int32Array(out.buffer, out.byteOffset + LITERAL_HEADER, SLOT_WORDS * m);
  const mask = m - 1;
  // Each key's hash and UTF-8 length, in input order (the strings follow each other).
  const hashes = new Int32Array(n);
  const lengths = new Int32Array(n);
  let used = 0;
  for (let i = 0; i < n; i++) {
    const key = keys[i];
    const off = dataOffsets[i];
    if (!Number.isInteger(off) || off < 0 || off > 0xffffffff) {
      throw new RangeError(`Literal "${key}" has an invalid data offset ${off}`);
    }
    const at = used;
    let p = stringsAt + at;
    let h = FNV_BASIS;
    let k = 0;
    for (; k < key.length; k++) {
      let c = key.charCodeAt(k);
      if (c >= 0x80) break;
      if (fold) c = asciiLower(c);
      out[p++] = c;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    if (k < key.length) {
      // Not ASCII: the whole key through the UTF-8 encoder.
      const bytes = encodeUtf8(key, fold);
      out.set(bytes, stringsAt + at);
      p = stringsAt + at + bytes.length;
      h = FNV_BASIS;
      for (let x = 0; x < bytes.length; x++) h = Math.imul(h ^ bytes[x], FNV_PRIME);
    }
    const len = p - stringsAt - at;
    used += len;
    hashes[i] = finishHash(h);
    lengths[i] = len;
  }
  for (let i = 0, at = 0; i < n; at += lengths[i], i++) {
    const h = hashes[i];
    const len = lengths[i];
    let s = h & mask;
    for (;;) {
      const b = s * SLOT_WORDS;
      if (slots[b + SLOT_LENGTH] === 0) {
        slots[b + SLOT_HASH] = h;
        slots[b + SLOT_STRING_AT] = at;
        slots[b + SLOT_LENGTH] = len + 1;
        slots[b + SLOT_DATA_OFFSET] = dataOffsets[i] | 0;
        break;
      }
      if (slots[b + SLOT_HASH] === h && slots[b + SLOT_LENGTH] === len + 1) {
        const o = stringsAt + (slots[b + SLOT_STRING_AT] >>> 0);
        const q = stringsAt + at;
        let x = 0;
        while (x < len && out[o + x] === out[q + x]) x++;
        if (x === len) {
          throw new FormatError(
            "bad-input",
            `Literal "${keys[i]}" is stored twice (same key as an earlier entry)`,
          );
        }
      }
      s = (s + 1) & mask;
    }
  }
  if (used !== total) {
    throw new FormatError(
      "internal",
      `Literal strings took ${used} bytes where ${total} were measured (a bug in mxy)`,
    );
  }
  if (!LITTLE_ENDIAN) {
    for (let k = LITERAL_HEADER; k < stringsAt; k += 4) {
      const b0 = out[k], b1 = out[k + 1];
      out[k] = out[k + 3];
      out[k + 1] = out[k + 2];
      out[k + 2] = b1;
      out[k + 3] = b0;
    }
  }
  out.set(LITERAL_MAGIC, 0);
  const dv = new DataView(out.buffer, out.byteOffset, LITERAL_HEADER);
  dv.setUint32(LITERAL_FLAGS, fold ? LITERAL_CASE_INSENSITIVE : 0, true);
  dv.setUint32(LITERAL_COUNT, n, true);
  dv.setUint32(LITERAL_SLOT_COUNT, m, true);
  dv.setUint32(LITERAL_SLOTS_AT, LITERAL_HEADER, true);
  dv.setUint32(LITERAL_STRINGS_AT, stringsAt, true);
  dv.setUint32(LITERAL_STRINGS_LENGTH, total, true);
}
