/**
 * A literal section (layout in ./literal_section.ts) viewed in place for queries: an exact
 * string looked up by hashing the query's UTF-8 bytes while reading the JavaScript string.
 *
 * @module
 */
import { FormatError } from "./format_error.ts";
import { i32View, u8View } from "./_section_view.ts";
import { decodeUtf8, foldCodePoint } from "../pattern/mod.ts";
import * as layout from "./literal_section.ts";
import { finishHash, literalHash } from "./literal_section.ts";
import { asciiLower } from "../core/ascii.ts";

// Module-local copies of the layout for the lookups (V8 folds these even when a lookup is
// inlined into a caller in another module).
const SLOT_WORDS = layout.SLOT_WORDS;
const SLOT_HASH = layout.SLOT_HASH;
const SLOT_STRING_AT = layout.SLOT_STRING_AT;
const SLOT_LENGTH = layout.SLOT_LENGTH;
const SLOT_DATA_OFFSET = layout.SLOT_DATA_OFFSET;
const FNV_PRIME = layout.FNV_PRIME;
const FNV_BASIS = layout.FNV_BASIS;

/** Options for {@linkcode LiteralTable}. */
export interface LiteralTableOptions {
  /** The section's absolute offset in the file, for error messages. Default 0. */
  fileOffset?: number;
}

/**
 * A literal section viewed in place. A lookup hashes the query's UTF-8 bytes while reading the
 * JavaScript string (no encoding step, no `TextEncoder`) and compares it with the stored key
 * in place, allocating nothing.
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
    if (section.length < layout.LITERAL_HEADER) {
      throw new FormatError("bad-section", "Literal section is shorter than its header", base);
    }
    for (let i = 0; i < 7; i++) {
      if (section[i] !== layout.LITERAL_MAGIC[i]) {
        throw new FormatError("bad-section", 'Literal section magic "MXYLIT" not found', base);
      }
    }
    if (section[7] !== layout.LITERAL_VERSION) {
      throw new FormatError(
        "bad-section",
        `Literal section version ${
          section[7]
        } is not supported (expected ${layout.LITERAL_VERSION})`,
        base + 7,
      );
    }
    const dv = new DataView(section.buffer, section.byteOffset, layout.LITERAL_HEADER);
    const flags = dv.getUint32(layout.LITERAL_FLAGS, true);
    const n = dv.getUint32(layout.LITERAL_COUNT, true);
    const m = dv.getUint32(layout.LITERAL_SLOT_COUNT, true);
    if (m === 0 || (m & (m - 1)) !== 0 || m < n || m > 0x10000000) {
      throw new FormatError(
        "bad-section",
        `Literal section slot count ${m} is not a power of two above the entry count ${n}`,
        base + layout.LITERAL_SLOT_COUNT,
      );
    }
    const slotsAt = dv.getUint32(layout.LITERAL_SLOTS_AT, true);
    this.#slots = i32View(section, slotsAt, SLOT_WORDS * m, "literal slots", base);
    this.#strings = u8View(
      section,
      dv.getUint32(layout.LITERAL_STRINGS_AT, true),
      dv.getUint32(layout.LITERAL_STRINGS_LENGTH, true),
      "literal strings",
      base,
    );
    this.#mask = m - 1;
    this.#count = n;
    this.#fold = (flags & layout.LITERAL_CASE_INSENSITIVE) !== 0;
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
    let h = FNV_BASIS;
    let i = 0;
    if (n > this.#scratch.length) this.#scratch = new Uint8Array(2 * n);
    const scratch = this.#scratch;
    // ASCII runs first (the common case): one byte per UTF-16 unit, kept in the scratch.
    if (fold) {
      for (; i < n; i++) {
        let c = query.charCodeAt(i);
        if (c >= 0x80) break;
        c = asciiLower(c);
        scratch[i] = c;
        h = Math.imul(h ^ c, FNV_PRIME);
      }
    } else {
      for (; i < n; i++) {
        const c = query.charCodeAt(i);
        if (c >= 0x80) break;
        scratch[i] = c;
        h = Math.imul(h ^ c, FNV_PRIME);
      }
    }
    if (i === n) return this.#findAscii(finishHash(h), n);
    // The UTF-8 length is n plus what multi-byte characters add beyond their UTF-16 units.
    let extra = 0;
    for (; i < n; i++) {
      let c = query.charCodeAt(i);
      if (c < 0x80) {
        if (fold) c = asciiLower(c);
        h = Math.imul(h ^ c, FNV_PRIME);
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
        h = Math.imul(h ^ c, FNV_PRIME);
        extra += 1 - units;
      } else if (c < 0x800) {
        h = Math.imul(h ^ (0xc0 | (c >> 6)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | (c & 63)), FNV_PRIME);
        extra += 2 - units;
      } else if (c < 0x10000) {
        h = Math.imul(h ^ (0xe0 | (c >> 12)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | ((c >> 6) & 63)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | (c & 63)), FNV_PRIME);
        extra += 3 - units;
      } else {
        h = Math.imul(h ^ (0xf0 | (c >> 18)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | ((c >> 12) & 63)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | ((c >> 6) & 63)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | (c & 63)), FNV_PRIME);
        extra += 4 - units;
      }
    }
    const len = n + extra;
    h = finishHash(h);
    const slots = this.#slots;
    const mask = this.#mask;
    const want = len + 1;
    let s = h & mask;
    for (let probes = 0; probes <= mask; probes++) {
      const b = s * SLOT_WORDS;
      const l1 = slots[b + SLOT_LENGTH];
      if (l1 === 0) return -1;
      if (
        slots[b + SLOT_HASH] === h && l1 === want &&
        this.#equals(query, slots[b + SLOT_STRING_AT] >>> 0, len)
      ) {
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
      const b = s * SLOT_WORDS;
      const l1 = slots[b + SLOT_LENGTH];
      if (l1 === 0) return -1;
      if (slots[b + SLOT_HASH] === h && l1 === want) {
        const at = slots[b + SLOT_STRING_AT] >>> 0;
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
        if (fold) c = asciiLower(c);
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
   * Looks up `bytes[start..end)` where it lies, folding ASCII case as the table's keys are
   * folded, hashing as it copies them into the scratch: the fast path for all-ASCII queries.
   * Allocates nothing in steady state.
   *
   * @param bytes The text holding the query.
   * @param start First byte of the query.
   * @param end One past its last byte.
   * @returns The entry (slot) number, -1 when absent, or -2 when the span holds a byte of 0x80
   *   or more (the caller then loads the key in UTF-8 form and uses
   *   {@linkcode LiteralTable.findBytes}).
   */
  findAsciiSpan(bytes: Uint8Array, start: number, end: number): number {
    const len = end - start;
    if (len > this.#scratch.length) this.#scratch = new Uint8Array(2 * len);
    const scratch = this.#scratch;
    let h = FNV_BASIS;
    if (this.#fold) {
      for (let i = 0; i < len; i++) {
        const c = asciiLower(bytes[start + i]);
        if (c >= 0x80) return -2;
        scratch[i] = c;
        h = Math.imul(h ^ c, FNV_PRIME);
      }
    } else {
      for (let i = 0; i < len; i++) {
        const c = bytes[start + i];
        if (c >= 0x80) return -2;
        scratch[i] = c;
        h = Math.imul(h ^ c, FNV_PRIME);
      }
    }
    return this.#findAscii(finishHash(h), len);
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
      const b = s * SLOT_WORDS;
      const l1 = slots[b + SLOT_LENGTH];
      if (l1 === 0) return -1;
      if (slots[b + SLOT_HASH] === h && l1 === length + 1) {
        const o = slots[b + SLOT_STRING_AT] >>> 0;
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
    const b = entry * SLOT_WORDS;
    return this.#slots[b + SLOT_LENGTH] === 0 ? -1 : this.#slots[b + SLOT_DATA_OFFSET] >>> 0;
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
      const b = s * SLOT_WORDS;
      if (slots[b + SLOT_LENGTH] === 0) continue;
      n++;
      const o = slots[b + SLOT_STRING_AT] >>> 0, len = (slots[b + SLOT_LENGTH] >>> 0) - 1;
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
        this.#base + layout.LITERAL_COUNT,
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
    for (let s = 0; s <= this.#mask; s++) {
      if (slots[s * SLOT_WORDS + SLOT_LENGTH] !== 0) out.push(s);
    }
    return out.sort((a, b) =>
      (slots[a * SLOT_WORDS + SLOT_STRING_AT] >>> 0) -
      (slots[b * SLOT_WORDS + SLOT_STRING_AT] >>> 0)
    );
  }

  /**
   * Calls `fn` with the strings table and the range of every key (in slot order), allocating
   * nothing; keys that point outside the table are skipped.
   *
   * @param fn Called with the bytes and `[start, end)` of each key.
   */
  forEachKey(fn: (bytes: Uint8Array, start: number, end: number) => void): void {
    const slots = this.#slots, str = this.#strings;
    for (let s = 0; s <= this.#mask; s++) {
      const b = s * SLOT_WORDS;
      const len = slots[b + SLOT_LENGTH] >>> 0;
      if (len === 0) continue;
      const o = slots[b + SLOT_STRING_AT] >>> 0;
      if (o + len - 1 <= str.length) fn(str, o, o + len - 1);
    }
  }

  /**
   * The stored key of an entry (case-folded in case-insensitive mode). Allocates the string.
   *
   * @param entry The entry number.
   * @returns The key.
   * @throws {FormatError} With code `bad-section` when the key lies outside the strings table,
   *   `bad-utf8` when it is not UTF-8.
   */
  text(entry: number): string {
    if (this.dataOffset(entry) < 0) throw new RangeError(`No literal entry ${entry}`);
    const o = this.#slots[entry * SLOT_WORDS + SLOT_STRING_AT] >>> 0;
    const len = this.#slots[entry * SLOT_WORDS + SLOT_LENGTH] - 1;
    if (o + len > this.#strings.length) {
      throw new FormatError(
        "bad-section",
        `Literal entry ${entry} points outside the strings table`,
        this.#base,
      );
    }
    try {
      return decodeUtf8(this.#strings.subarray(o, o + len));
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      throw new FormatError("bad-utf8", `Literal entry ${entry} is not UTF-8`, this.#base);
    }
  }
}
