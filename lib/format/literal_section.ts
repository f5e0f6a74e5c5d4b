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
 * A slot is `i32 hash, u32 stringOffset, u32 byteLength + 1, u32 dataOffset`; a slot whose
 * third word is 0 is empty. A lookup touches one slot (usually one cache line) and, when the
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
import { decodeUtf8, encodeUtf8, foldCodePoint } from "./_case_fold.ts";
import { i32View, LITTLE_ENDIAN, type SectionParts, u8View } from "./_section_view.ts";

/** The literal section's magic (7 bytes) followed by its version byte. */
export const LITERAL_MAGIC: Uint8Array = Uint8Array.of(0x4d, 0x58, 0x59, 0x4c, 0x49, 0x54, 0, 1);

const HEADER = 40;
const FNV = 0x01000193;

function finish(h: number): number {
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
 * @example
 * ```ts
 * import { encodeLiteralKeys, LiteralTable } from "./literal_section.ts";
 * import assert from "node:assert/strict";
 * const t = new LiteralTable(encodeLiteralKeys(["a.com", "b.com"], Float64Array.of(4, 9)));
 * assert.equal(t.dataOffset(t.find("b.com")), 9);
 * ```
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
 * @example
 * ```ts
 * import { literalSectionParts, LiteralTable } from "./literal_section.ts";
 * import assert from "node:assert/strict";
 * const parts = literalSectionParts(["a.com"], [4]);
 * const file = new Uint8Array(8 + parts.length);
 * parts.writeTo(file, 8);
 * const t = new LiteralTable(file.subarray(8));
 * assert.equal(t.dataOffset(t.find("a.com")), 4);
 * ```
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
  const stringsAt = HEADER + 16 * m;
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
 * `m` slots, then the keys' UTF-8 bytes, `total` of them), ASCII keys written and hashed in one
 * pass. The slots are filled through a host-order view and stored little-endian at the end.
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
  const stringsAt = HEADER + 16 * m;
  const slots = new Int32Array(out.buffer, out.byteOffset + HEADER, 4 * m);
  const mask = m - 1;
  let used = 0;
  for (let i = 0; i < n; i++) {
    const key = keys[i];
    const off = dataOffsets[i];
    if (!Number.isInteger(off) || off < 0 || off > 0xffffffff) {
      throw new RangeError(`Literal "${key}" has an invalid data offset ${off}`);
    }
    const at = used;
    let p = stringsAt + at;
    let h = 0x811c9dc5 | 0;
    let k = 0;
    for (; k < key.length; k++) {
      let c = key.charCodeAt(k);
      if (c >= 0x80) break;
      if (fold && c >= 0x41 && c <= 0x5a) c += 32;
      out[p++] = c;
      h = Math.imul(h ^ c, FNV);
    }
    if (k < key.length) {
      // Not ASCII: the whole key through the UTF-8 encoder.
      const bytes = encodeUtf8(key, fold);
      out.set(bytes, stringsAt + at);
      p = stringsAt + at + bytes.length;
      h = 0x811c9dc5 | 0;
      for (let x = 0; x < bytes.length; x++) h = Math.imul(h ^ bytes[x], FNV);
    }
    const len = p - stringsAt - at;
    used += len;
    h = finish(h);
    let s = h & mask;
    for (;;) {
      const b = 4 * s;
      if (slots[b + 2] === 0) {
        slots[b] = h;
        slots[b + 1] = at;
        slots[b + 2] = len + 1;
        slots[b + 3] = off | 0;
        break;
      }
      if (slots[b] === h && slots[b + 2] === len + 1) {
        const o = stringsAt + (slots[b + 1] >>> 0);
        const q = stringsAt + at;
        let x = 0;
        while (x < len && out[o + x] === out[q + x]) x++;
        if (x === len) {
          throw new FormatError(
            "bad-input",
            `Literal "${key}" is stored twice (same key as an earlier entry)`,
          );
        }
      }
      s = (s + 1) & mask;
    }
  }
  if (used !== total) throw new Error("Internal error: literal string bytes changed size");
  if (!LITTLE_ENDIAN) {
    for (let k = HEADER; k < stringsAt; k += 4) {
      const b0 = out[k], b1 = out[k + 1];
      out[k] = out[k + 3];
      out[k + 1] = out[k + 2];
      out[k + 2] = b1;
      out[k + 3] = b0;
    }
  }
  out.set(LITERAL_MAGIC, 0);
  const dv = new DataView(out.buffer, out.byteOffset, HEADER);
  dv.setUint32(8, fold ? 1 : 0, true);
  dv.setUint32(12, n, true);
  dv.setUint32(16, m, true);
  dv.setUint32(24, HEADER, true);
  dv.setUint32(32, stringsAt, true);
  dv.setUint32(36, total, true);
}

/** Options for {@linkcode LiteralTable}. */
export interface LiteralTableOptions {
  /** The section's absolute offset in the file, for error messages. Default 0. */
  fileOffset?: number;
}

/**
 * A literal section viewed in place. A lookup hashes the query's UTF-8 bytes while reading the
 * JavaScript string (no encoding step, no `TextEncoder`) and compares it with the stored key
 * in place, allocating nothing.
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
  #slots: Int32Array;
  #strings: Uint8Array;
  #mask: number;
  #count: number;
  #fold: boolean;
  #base: number;
  // The query's bytes as the ASCII fast path reads them, so a hash hit compares bytes with
  // bytes instead of reading the string a second time.
  #scratch = new Uint8Array(256);

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
    if (m === 0 || (m & (m - 1)) !== 0 || m < n || m > 0x10000000) {
      throw new FormatError(
        "bad-section",
        `Literal section slot count ${m} is not a power of two above the entry count ${n}`,
        base + 16,
      );
    }
    this.#slots = i32View(section, dv.getUint32(24, true), 4 * m, "literal slots", base);
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

  /** The number of slots (entry numbers are slot numbers, below this). */
  get slotCount(): number {
    return this.#mask + 1;
  }

  /** Whether keys are stored case-folded (lookups ignore case). */
  get caseInsensitive(): boolean {
    return this.#fold;
  }

  /**
   * Looks up a string. Allocates nothing.
   *
   * @param query The string.
   * @returns The entry (slot) number, or -1 when absent.
   */
  find(query: string): number {
    const n = query.length;
    const fold = this.#fold;
    let h = 0x811c9dc5 | 0;
    let i = 0;
    if (n > this.#scratch.length) this.#scratch = new Uint8Array(2 * n);
    const scratch = this.#scratch;
    // ASCII runs first (the common case): one byte per UTF-16 unit, kept in the scratch.
    if (fold) {
      for (; i < n; i++) {
        let c = query.charCodeAt(i);
        if (c >= 0x80) break;
        if (((c - 0x41) >>> 0) < 26) c += 32;
        scratch[i] = c;
        h = Math.imul(h ^ c, FNV);
      }
    } else {
      for (; i < n; i++) {
        const c = query.charCodeAt(i);
        if (c >= 0x80) break;
        scratch[i] = c;
        h = Math.imul(h ^ c, FNV);
      }
    }
    if (i === n) return this.#findAscii(finish(h), n);
    // The UTF-8 length is n plus what multi-byte characters add beyond their UTF-16 units.
    let extra = 0;
    for (; i < n; i++) {
      let c = query.charCodeAt(i);
      if (c < 0x80) {
        if (fold && ((c - 0x41) >>> 0) < 26) c += 32;
        h = Math.imul(h ^ c, FNV);
        continue;
      }
      let units = 1;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const lo = query.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
          i++;
          units = 2;
        }
      }
      if (fold) c = foldCodePoint(c);
      if (c < 0x80) {
        h = Math.imul(h ^ c, FNV);
        extra += 1 - units;
      } else if (c < 0x800) {
        h = Math.imul(h ^ (0xc0 | (c >> 6)), FNV);
        h = Math.imul(h ^ (0x80 | (c & 63)), FNV);
        extra += 2 - units;
      } else if (c < 0x10000) {
        h = Math.imul(h ^ (0xe0 | (c >> 12)), FNV);
        h = Math.imul(h ^ (0x80 | ((c >> 6) & 63)), FNV);
        h = Math.imul(h ^ (0x80 | (c & 63)), FNV);
        extra += 3 - units;
      } else {
        h = Math.imul(h ^ (0xf0 | (c >> 18)), FNV);
        h = Math.imul(h ^ (0x80 | ((c >> 12) & 63)), FNV);
        h = Math.imul(h ^ (0x80 | ((c >> 6) & 63)), FNV);
        h = Math.imul(h ^ (0x80 | (c & 63)), FNV);
        extra += 4 - units;
      }
    }
    const len = n + extra;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    const slots = this.#slots;
    const mask = this.#mask;
    const want = len + 1;
    let s = h & mask;
    for (let probes = 0; probes <= mask; probes++) {
      const b = s << 2;
      const l1 = slots[b + 2];
      if (l1 === 0) return -1;
      if (slots[b] === h && l1 === want && this.#equals(query, slots[b + 1] >>> 0, len)) {
        return s;
      }
      s = (s + 1) & mask;
    }
    return -1;
  }

  // The probe for an all-ASCII query whose bytes are in the scratch.
  #findAscii(h: number, len: number): number {
    const slots = this.#slots;
    const str = this.#strings;
    const q = this.#scratch;
    const mask = this.#mask;
    const want = len + 1;
    let s = h & mask;
    for (let probes = 0; probes <= mask; probes++) {
      const b = s << 2;
      const l1 = slots[b + 2];
      if (l1 === 0) return -1;
      if (slots[b] === h && l1 === want) {
        const at = slots[b + 1] >>> 0;
        if (at + len <= str.length) {
          let x = 0;
          while (x < len && str[at + x] === q[x]) x++;
          if (x === len) return s;
        }
      }
      s = (s + 1) & mask;
    }
    return -1;
  }

  #equals(q: string, at: number, len: number): boolean {
    const str = this.#strings;
    if (at + len > str.length) return false;
    const fold = this.#fold;
    const n = q.length;
    let j = at;
    for (let i = 0; i < n; i++) {
      let c = q.charCodeAt(i);
      if (c < 0x80) {
        if (fold && c >= 0x41 && c <= 0x5a) c += 32;
        if (str[j++] !== c) return false;
        continue;
      }
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const lo = q.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
          i++;
        }
      }
      if (fold) c = foldCodePoint(c);
      if (c < 0x80) {
        if (str[j++] !== c) return false;
      } else if (c < 0x800) {
        if (str[j++] !== (0xc0 | (c >> 6)) || str[j++] !== (0x80 | (c & 63))) return false;
      } else if (c < 0x10000) {
        if (
          str[j++] !== (0xe0 | (c >> 12)) || str[j++] !== (0x80 | ((c >> 6) & 63)) ||
          str[j++] !== (0x80 | (c & 63))
        ) return false;
      } else if (
        str[j++] !== (0xf0 | (c >> 18)) || str[j++] !== (0x80 | ((c >> 12) & 63)) ||
        str[j++] !== (0x80 | ((c >> 6) & 63)) || str[j++] !== (0x80 | (c & 63))
      ) return false;
    }
    return true;
  }

  /**
   * Looks up UTF-8 bytes that are already in key form (case-folded in case-insensitive mode).
   *
   * @param bytes The bytes.
   * @param length How many of them.
   * @returns The entry (slot) number, or -1 when absent.
   */
  findBytes(bytes: Uint8Array, length: number): number {
    const h = literalHash(bytes, length) | 0;
    const slots = this.#slots;
    const strings = this.#strings;
    const mask = this.#mask;
    let s = h & mask;
    for (let probes = 0; probes <= mask; probes++) {
      const b = s << 2;
      const l1 = slots[b + 2];
      if (l1 === 0) return -1;
      if (slots[b] === h && l1 === length + 1) {
        const o = slots[b + 1] >>> 0;
        let x = 0;
        while (x < length && strings[o + x] === bytes[x]) x++;
        if (x === length) return s;
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
    if (entry < 0 || entry > this.#mask) return -1;
    const b = entry << 2;
    return this.#slots[b + 2] === 0 ? -1 : this.#slots[b + 3] >>> 0;
  }

  /**
   * Checks every slot of an untrusted table: keys inside the strings table and valid UTF-8 of
   * the kind the builder writes, each key found again at its own slot (so its stored hash and
   * probe position are right), and the entry count. Linear in the section size.
   *
   * @throws {FormatError} With code `bad-section` naming the first bad slot.
   */
  verify(): void {
    const slots = this.#slots;
    const str = this.#strings;
    let n = 0;
    for (let s = 0; s <= this.#mask; s++) {
      const b = 4 * s;
      if (slots[b + 2] === 0) continue;
      n++;
      const o = slots[b + 1] >>> 0, len = (slots[b + 2] >>> 0) - 1;
      if (o + len > str.length) {
        throw new FormatError(
          "bad-section",
          `Literal slot ${s} points outside the strings table`,
          this.#base,
        );
      }
      if (this.findBytes(str.subarray(o, o + len), len) !== s) {
        throw new FormatError(
          "bad-section",
          `Literal slot ${s} is not where its key hashes to (wrong hash or duplicate key)`,
          this.#base,
        );
      }
    }
    if (n !== this.#count) {
      throw new FormatError(
        "bad-section",
        `Literal section holds ${n} entries but its header says ${this.#count}`,
        this.#base + 12,
      );
    }
  }

  /**
   * The entry numbers of every literal, in input order.
   *
   * @returns The entry numbers.
   */
  entries(): number[] {
    const out: number[] = [];
    const slots = this.#slots;
    for (let s = 0; s <= this.#mask; s++) if (slots[4 * s + 2] !== 0) out.push(s);
    return out.sort((a, b) => (slots[4 * a + 1] >>> 0) - (slots[4 * b + 1] >>> 0));
  }

  /**
   * The stored key of an entry (case-folded in case-insensitive mode). Allocates the string.
   *
   * @param entry The entry number.
   * @returns The key.
   * @throws {FormatError} With code `bad-section` when the key lies outside the strings table.
   */
  text(entry: number): string {
    if (this.dataOffset(entry) < 0) throw new RangeError(`No literal entry ${entry}`);
    const o = this.#slots[4 * entry + 1] >>> 0;
    const len = this.#slots[4 * entry + 2] - 1;
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
