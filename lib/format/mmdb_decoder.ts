/**
 * The MaxMind DB data-section decoder: turns the bytes of a data field (maps, arrays, strings,
 * numbers, pointers …) into {@linkcode MmdbValue}s, checking every offset and length, so a
 * corrupt or hostile file yields a {@linkcode FormatError} and never a hang or a crash.
 *
 * @module
 */
import { FormatError } from "./format_error.ts";
import type { MmdbMap, MmdbValue } from "./value.ts";

/**
 * The MaxMind DB data type numbers, as {@linkcode MmdbDecoder.typeAt} returns them.
 */
export const MmdbType = {
  extended: 0,
  pointer: 1,
  string: 2,
  double: 3,
  bytes: 4,
  uint16: 5,
  uint32: 6,
  map: 7,
  int32: 8,
  uint64: 9,
  uint128: 10,
  array: 11,
  container: 12,
  endMarker: 13,
  boolean: 14,
  float: 15,
} as const;

/** Options for {@linkcode MmdbDecoder}. */
export interface MmdbDecoderOptions {
  /** Where the section starts in `bytes`; pointers count from here. Default 0. */
  start?: number;
  /** Where the section ends in `bytes` (exclusive). Default `bytes.length`. */
  end?: number;
  /** Deepest nesting of maps, arrays and pointers accepted. Default 512, as libmaxminddb. */
  maxDepth?: number;
  /** Freeze decoded maps and arrays so they can be shared safely. Default `true`. */
  freeze?: boolean;
  /**
   * Most values one {@linkcode MmdbDecoder.decode} call may decode (maps, arrays and scalars; a
   * value shared through pointers counts once), so that a hostile record cannot make one call
   * run for seconds. Default: no limit.
   */
  maxValues?: number;
}

/** A field's control bytes, as {@linkcode MmdbDecoder.header} reads them. */
export interface MmdbFieldHeader {
  /** The {@linkcode MmdbType} number. */
  type: number;
  /** Entries of a map or array, bytes of any other value; 0 for a pointer. */
  size: number;
  /** Offset (in the section) of the payload; for a pointer, of the value it points to. */
  payload: number;
}

const TYPE_NAMES = [
  "extended",
  "pointer",
  "string",
  "double",
  "bytes",
  "uint16",
  "uint32",
  "map",
  "int32",
  "uint64",
  "uint128",
  "array",
  "data cache container",
  "end marker",
  "boolean",
  "float",
];

const IN_PROGRESS: unique symbol = Symbol("in progress");
type Memo = Map<number, MmdbValue | typeof IN_PROGRESS>;
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const KEY_CACHE_LIMIT = 65536;
const TARGET_CACHE_LIMIT = 16384;
// shortString(): ASCII strings of up to INTERN_MAX bytes, in a direct-mapped table of
// 2^INTERN_BITS strings keyed by a hash of their bytes.
const INTERN_MAX = 24;
const INTERN_BITS = 10;
const FNV_PRIME = 0x01000193;
// find() remembers, per key position, whether the key there was the path's key: the keys of a
// database are a few strings that every record points to, compared once instead of per record.
const KEY_MEMO_BITS = 8;
const GOLDEN = 0x9e3779b1;

/**
 * Decodes values from one MaxMind DB data section (or the metadata section) held in a byte
 * array. Offsets given to {@linkcode MmdbDecoder.decode} and held in pointers count from the
 * section's start; offsets in errors count from the start of `bytes`.
 *
 * Pointers to pointers (illegal in the spec), pointer cycles and nesting deeper than
 * `maxDepth` are rejected. A value reached through several pointers is decoded once per call;
 * with `freeze` on (the default), values behind pointers are also kept (up to 16,384) and
 * shared between calls, since records share them.
 */
export class MmdbDecoder {
  readonly #u8: Uint8Array;
  readonly #view: DataView;
  readonly #start: number;
  readonly #end: number;
  readonly #maxDepth: number;
  readonly #freeze: boolean;
  readonly #maxValues: number;
  #valuesLeft = 0;
  #pos = 0;
  #memo: Memo | null = null;
  // Nesting height of each memoised value, so a shared value reused deep down still counts
  // towards maxDepth (values can never nest deeper than maxDepth, even across calls).
  #heights: Map<number, number> | null = null;
  #deepest = 0;
  readonly #keys = new Map<number, string>();
  readonly #interned: string[] = new Array<string>(1 << INTERN_BITS).fill("");
  readonly #memoAt = new Float64Array(1 << KEY_MEMO_BITS).fill(-1);
  readonly #memoKey: string[] = new Array<string>(1 << KEY_MEMO_BITS).fill("");
  readonly #memoIs = new Uint8Array(1 << KEY_MEMO_BITS);

  /**
   * Creates a decoder over one section of `bytes`.
   *
   * @param bytes The bytes holding the section.
   * @param options {@linkcode MmdbDecoderOptions}.
   * @throws {RangeError} When the section does not lie within `bytes`.
   */
  constructor(bytes: Uint8Array, options: MmdbDecoderOptions = {}) {
    this.#u8 = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const start = options.start ?? 0;
    const end = options.end ?? bytes.length;
    if (!(start >= 0 && start <= end && end <= bytes.length)) {
      throw new RangeError(`Section ${start}..${end} is outside the ${bytes.length} bytes given`);
    }
    this.#start = start;
    this.#end = end;
    this.#maxDepth = options.maxDepth ?? 512;
    this.#freeze = options.freeze ?? true;
    this.#maxValues = options.maxValues ?? Infinity;
  }

  /** Size of the section in bytes. */
  get size(): number {
    return this.#end - this.#start;
  }

  /**
   * Decodes the value whose control byte is at `offset` from the section's start.
   *
   * @param offset The offset in the section.
   * @returns The value.
   * @throws {FormatError} When the data is malformed.
   */
  decode(offset: number): MmdbValue {
    if (!(offset >= 0 && offset < this.#end - this.#start)) {
      throw new FormatError(
        "bad-pointer",
        `Data offset ${offset} is outside the ${this.#end - this.#start}-byte section`,
        this.#start + (offset > 0 ? offset : 0),
      );
    }
    // Frozen values reached through pointers are kept across calls (records share them);
    // unfrozen ones only within this call. Either way a target is decoded once per call.
    if (!this.#freeze || this.#memo === null || this.#memo.size > TARGET_CACHE_LIMIT) {
      this.#memo = null;
      this.#heights = null;
    }
    this.#deepest = 0;
    this.#valuesLeft = this.#maxValues;
    this.#pos = this.#start + offset;
    try {
      return this.#value(0);
    } catch (err) {
      this.#memo = null; // may hold in-progress marks
      this.#heights = null;
      throw err;
    }
  }

  /**
   * Returns where the field at `offset` ends (offset of the next field), following no pointers.
   * Containers are walked through, so every nested field's header is checked.
   *
   * @param offset The offset in the section.
   * @returns The offset just after the field.
   * @throws {FormatError} When the data is malformed.
   */
  skip(offset: number): number {
    if (!(offset >= 0 && offset < this.#end - this.#start)) {
      throw new FormatError("out-of-bounds", `Field offset ${offset} is outside the section`);
    }
    this.#pos = this.#start + offset;
    this.#skipValue(0);
    return this.#pos - this.#start;
  }

  /**
   * Reads the type number of the field at `offset` (after resolving the extended type byte).
   *
   * @param offset The offset in the section.
   * @returns The {@linkcode MmdbType} number.
   * @throws {FormatError} When the offset is out of the section.
   */
  typeAt(offset: number): number {
    const p = this.#start + offset;
    if (!(offset >= 0 && p < this.#end)) {
      throw new FormatError("out-of-bounds", `Field offset ${offset} is outside the section`, p);
    }
    const type = this.#u8[p] >> 5;
    if (type !== 0) return type;
    if (p + 1 >= this.#end) {
      throw new FormatError("out-of-bounds", "Extended type byte is past the section end", p);
    }
    return this.#u8[p + 1] + 7;
  }

  /**
   * Reads the control byte(s) of the field at `offset`: its type, its size (entries of a map or
   * array, bytes of a string, bytes, integer or float) and where its payload starts; for a
   * pointer, where it points. With {@linkcode MmdbDecoder.decode} for scalars this walks a
   * record keeping each value's stored type (`mxy export`).
   *
   * @param offset The offset in the section.
   * @returns The {@linkcode MmdbFieldHeader}.
   * @throws {FormatError} When the header is malformed or leaves the section.
   */
  header(offset: number): MmdbFieldHeader {
    if (!(offset >= 0 && offset < this.#end - this.#start)) {
      throw new FormatError("out-of-bounds", `Field offset ${offset} is outside the section`);
    }
    this.#pos = this.#start + offset;
    const type = this.#header();
    if (type === MmdbType.pointer) {
      return { type, size: 0, payload: this.#pointer(this.#start + offset) };
    }
    return { type, size: this.#size, payload: this.#pos - this.#start };
  }

  /**
   * Finds the value at a data path inside the value at `offset` without decoding anything on the
   * way and without allocating: map keys are compared with the path's keys as UTF-8 bytes, array
   * items are counted (an index may be a number or its decimal text; a negative one counts from
   * the end, as in mmdblookup's lookup path), pointers are followed.
   *
   * @param offset The offset in the section of the value to start from (a record).
   * @param path Map keys and array indexes, outermost first.
   * @returns The offset of the value found (never a pointer), or -1 when the path leads nowhere.
   * @throws {FormatError} When the data on the way is malformed.
   */
  find(offset: number, path: readonly (string | number)[]): number {
    if (!(offset >= 0 && offset < this.#end - this.#start)) {
      throw new FormatError("out-of-bounds", `Field offset ${offset} is outside the section`);
    }
    this.#pos = this.#start + offset;
    for (let step = 0; step <= path.length; step++) {
      let at = this.#pos;
      let type = this.#header();
      if (type === MmdbType.pointer) {
        this.#pos = this.#start + this.#pointer(at);
        at = this.#pos;
        type = this.#header();
      }
      if (step === path.length) return at - this.#start;
      const key = path[step];
      const size = this.#size;
      if (type === MmdbType.array) {
        let index = typeof key === "number" ? key : indexOf(key);
        if (!Number.isInteger(index)) return -1;
        if (index < 0) index += size;
        if (index < 0 || index >= size) return -1;
        for (let i = 0; i < index; i++) this.#skipValue(1);
        continue;
      }
      if (type !== MmdbType.map || typeof key !== "string") return -1;
      let found = false;
      for (let i = 0; i < size && !found; i++) {
        found = this.#keyIs(key);
        if (!found) this.#skipValue(1);
      }
      if (!found) return -1;
    }
    return -1;
  }

  /**
   * Reads a short ASCII string field (at most 24 bytes, stored in place, not through a
   * pointer) through a table of strings read before, keyed by a hash of the bytes: a value
   * stored in many records (a country code) is one string, and reading it again allocates
   * nothing. Other fields give `undefined` (decode them).
   *
   * @param offset The field's offset in the section (as {@linkcode MmdbDecoder.find} gives it).
   * @returns The string, or `undefined` when the field is not a short ASCII string.
   * @throws {FormatError} When the offset or the string leaves the section.
   */
  shortString(offset: number): string | undefined {
    const p = this.#start + offset;
    if (!(offset >= 0 && p < this.#end)) {
      throw new FormatError("out-of-bounds", `Field offset ${offset} is outside the section`, p);
    }
    const u8 = this.#u8;
    const ctrl = u8[p];
    const size = ctrl & 31;
    if (ctrl >> 5 !== MmdbType.string || size > INTERN_MAX) return undefined;
    const q = p + 1;
    if (q + size > this.#end) this.#fail("out-of-bounds", "String", p, q + size - p);
    let h = size;
    for (let i = 0; i < size; i++) {
      const c = u8[q + i];
      if (c >= 0x80) return undefined;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    const slot = h >>> (32 - INTERN_BITS);
    const seen = this.#interned[slot];
    if (seen.length === size) {
      let i = 0;
      while (i < size && seen.charCodeAt(i) === u8[q + i]) i++;
      if (i === size) return seen;
    }
    let s = "";
    for (let i = 0; i < size; i++) s += String.fromCharCode(u8[q + i]);
    this.#interned[slot] = s;
    return s;
  }

  /** Whether the map key at #pos is `key` (compared as UTF-8 bytes); moves #pos past it. */
  #keyIs(key: string): boolean {
    const at = this.#pos;
    let type = this.#header();
    let after = -1;
    if (type === MmdbType.pointer) {
      const target = this.#pointer(at);
      after = this.#pos;
      this.#pos = this.#start + target;
      type = this.#header();
    }
    if (type !== MmdbType.string) {
      throw new FormatError(
        "bad-type",
        `Map key is a ${TYPE_NAMES[type] ?? `type ${type}`}, not a string`,
        at,
      );
    }
    const size = this.#size;
    const q = this.#pos;
    if (q + size > this.#end) this.#fail("out-of-bounds", "Map key", at, q + size - at);
    this.#pos = after >= 0 ? after : q + size;
    const slot = Math.imul(q, GOLDEN) >>> (32 - KEY_MEMO_BITS);
    if (this.#memoAt[slot] === q && this.#memoKey[slot] === key) return this.#memoIs[slot] === 1;
    const is = utf8Equals(this.#u8, q, size, key);
    this.#memoAt[slot] = q;
    this.#memoKey[slot] = key;
    this.#memoIs[slot] = is ? 1 : 0;
    return is;
  }

  #fail(code: "bad-size" | "out-of-bounds", what: string, at: number, need: number): never {
    throw new FormatError(
      code,
      `${what} needs ${need} bytes but the section ends ${this.#end - at} bytes later`,
      at,
    );
  }

  /** Reads control byte(s) at #pos; returns the type and sets #size/#pos to the payload. */
  #size = 0;
  #header(): number {
    const u8 = this.#u8;
    const end = this.#end;
    const p = this.#pos;
    if (p >= end) {
      throw new FormatError("out-of-bounds", "Data field starts past the section end", p);
    }
    const ctrl = u8[p];
    let type = ctrl >> 5;
    let q = p + 1;
    if (type === MmdbType.pointer) {
      this.#size = ctrl & 31;
      this.#pos = q;
      return type;
    }
    if (type === 0) {
      if (q >= end) this.#fail("out-of-bounds", "Extended type byte", p, 2);
      type = u8[q++] + 7;
      if (type < 8 || type > 15) {
        throw new FormatError(
          "bad-type",
          `Unknown extended data type ${type} (extended byte ${type - 7})`,
          p,
        );
      }
    }
    let size = ctrl & 31;
    if (size >= 29) {
      const extra = size - 28;
      if (q + extra > end) this.#fail("out-of-bounds", "Size bytes", p, q + extra - p);
      if (extra === 1) size = 29 + u8[q];
      else if (extra === 2) size = 285 + ((u8[q] << 8) | u8[q + 1]);
      else size = 65821 + ((u8[q] << 16) | (u8[q + 1] << 8) | u8[q + 2]);
      q += extra;
    }
    this.#size = size;
    this.#pos = q;
    return type;
  }

  /** Reads a pointer payload at #pos (size bits in #size); returns the target offset. */
  #pointer(at: number): number {
    const u8 = this.#u8;
    const bits = this.#size;
    const ss = bits >> 3;
    const vvv = bits & 7;
    const q = this.#pos;
    const n = ss + 1;
    if (q + n > this.#end) this.#fail("out-of-bounds", "Pointer", at, n + 1);
    let target: number;
    if (ss === 0) target = (vvv << 8) | u8[q];
    else if (ss === 1) target = 2048 + ((vvv << 16) | (u8[q] << 8) | u8[q + 1]);
    else if (ss === 2) {
      target = 526336 + (vvv * 16777216 + ((u8[q] << 16) | (u8[q + 1] << 8) | u8[q + 2]));
    } else {
      target = u8[q] * 16777216 + ((u8[q + 1] << 16) | (u8[q + 2] << 8) | u8[q + 3]);
    }
    this.#pos = q + n;
    if (target >= this.#end - this.#start) {
      throw new FormatError(
        "bad-pointer",
        `Pointer to offset ${target} leaves the ${this.#end - this.#start}-byte section`,
        at,
      );
    }
    if (this.#u8[this.#start + target] >> 5 === MmdbType.pointer) {
      throw new FormatError(
        "bad-pointer",
        `Pointer to offset ${target} points to another pointer`,
        at,
      );
    }
    return target;
  }

  #value(depth: number): MmdbValue {
    const at = this.#pos;
    if (--this.#valuesLeft < 0) {
      throw new FormatError(
        "too-large",
        `Data record has more than ${this.#maxValues} values`,
        at,
      );
    }
    const type = this.#header();
    if (type === MmdbType.pointer) {
      const target = this.#pointer(at);
      return this.#follow(target, depth, at);
    }
    const size = this.#size;
    const u8 = this.#u8;
    const q = this.#pos;
    switch (type) {
      case MmdbType.string: {
        if (q + size > this.#end) this.#fail("out-of-bounds", "String", at, q + size - at);
        this.#pos = q + size;
        return this.#utf8(q, size, at);
      }
      case MmdbType.map:
        return this.#map(size, depth, at);
      case MmdbType.uint16:
      case MmdbType.uint32:
      case MmdbType.int32: {
        const max = type === MmdbType.uint16 ? 2 : 4;
        if (size > max) this.#badSize(type, size, at);
        if (q + size > this.#end) this.#fail("out-of-bounds", TYPE_NAMES[type], at, q + size - at);
        let v = 0;
        for (let i = 0; i < size; i++) v = v * 256 + u8[q + i];
        this.#pos = q + size;
        return type === MmdbType.int32 && size === 4 ? v | 0 : v;
      }
      case MmdbType.double: {
        if (size !== 8) this.#badSize(type, size, at);
        if (q + 8 > this.#end) this.#fail("out-of-bounds", "Double", at, q + 8 - at);
        this.#pos = q + 8;
        return this.#view.getFloat64(q);
      }
      case MmdbType.float: {
        if (size !== 4) this.#badSize(type, size, at);
        if (q + 4 > this.#end) this.#fail("out-of-bounds", "Float", at, q + 4 - at);
        this.#pos = q + 4;
        return this.#view.getFloat32(q);
      }
      case MmdbType.bytes: {
        if (q + size > this.#end) this.#fail("out-of-bounds", "Bytes", at, q + size - at);
        this.#pos = q + size;
        return u8.slice(q, q + size);
      }
      case MmdbType.uint64:
      case MmdbType.uint128: {
        if (size > (type === MmdbType.uint64 ? 8 : 16)) this.#badSize(type, size, at);
        if (q + size > this.#end) this.#fail("out-of-bounds", TYPE_NAMES[type], at, q + size - at);
        this.#pos = q + size;
        return this.#bigUint(q, size);
      }
      case MmdbType.array:
        return this.#array(size, depth, at);
      case MmdbType.boolean:
        if (size > 1) this.#badSize(type, size, at);
        return size === 1;
      default:
        throw new FormatError(
          "bad-type",
          `A ${TYPE_NAMES[type] ?? `type ${type}`} field cannot be used as a value`,
          at,
        );
    }
  }

  #badSize(type: number, size: number, at: number): never {
    throw new FormatError("bad-size", `Invalid size ${size} for a ${TYPE_NAMES[type]}`, at);
  }

  #bigUint(q: number, size: number): bigint {
    const u8 = this.#u8;
    if (size <= 6) {
      let v = 0;
      for (let i = 0; i < size; i++) v = v * 256 + u8[q + i];
      return BigInt(v);
    }
    let v = 0n;
    let i = 0;
    const lead = size % 4;
    if (lead) {
      let w = 0;
      for (; i < lead; i++) w = w * 256 + u8[q + i];
      v = BigInt(w);
    }
    for (; i < size; i += 4) {
      const w = u8[q + i] * 16777216 +
        ((u8[q + i + 1] << 16) | (u8[q + i + 2] << 8) | u8[q + i + 3]);
      v = (v << 32n) | BigInt(w);
    }
    return v;
  }

  #utf8(q: number, size: number, at: number): string {
    const u8 = this.#u8;
    if (size <= 24) {
      let s = "";
      for (let i = 0; i < size; i++) {
        const c = u8[q + i];
        if (c >= 0x80) return this.#utf8Slow(q, size, at);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return this.#utf8Slow(q, size, at);
  }

  #utf8Slow(q: number, size: number, at: number): string {
    try {
      return UTF8.decode(this.#u8.subarray(q, q + size));
    } catch {
      throw new FormatError("bad-utf8", `String of ${size} bytes is not valid UTF-8`, at);
    }
  }

  #follow(target: number, depth: number, at: number): MmdbValue {
    if (depth >= this.#maxDepth) this.#tooDeep(at);
    const memo = this.#memo ??= new Map();
    const seen = memo.get(target);
    if (seen === IN_PROGRESS) {
      throw new FormatError(
        "cycle",
        `Pointer to offset ${target} leads back into the value that contains it`,
        at,
      );
    }
    const heights = this.#heights ??= new Map();
    if (seen !== undefined) {
      const reach = depth + 1 + heights.get(target)!;
      if (reach > this.#maxDepth) this.#tooDeep(at);
      if (reach > this.#deepest) this.#deepest = reach;
      return seen;
    }
    memo.set(target, IN_PROGRESS);
    const saved = this.#pos;
    const outer = this.#deepest;
    this.#deepest = depth + 1;
    this.#pos = this.#start + target;
    const value = this.#value(depth + 1);
    this.#pos = saved;
    memo.set(target, value);
    heights.set(target, this.#deepest - (depth + 1));
    if (outer > this.#deepest) this.#deepest = outer;
    return value;
  }

  #tooDeep(at: number): never {
    throw new FormatError(
      "too-deep",
      `Data nested deeper than ${this.#maxDepth} levels (or a pointer cycle)`,
      at,
    );
  }

  #map(size: number, depth: number, at: number): MmdbMap {
    if (depth >= this.#maxDepth) this.#tooDeep(at);
    if (size * 2 > this.#end - this.#pos) {
      throw new FormatError(
        "bad-size",
        `Map claims ${size} pairs but only ${this.#end - this.#pos} bytes remain in the section`,
        at,
      );
    }
    if (size > 0 && depth + 1 > this.#deepest) this.#deepest = depth + 1;
    const obj: MmdbMap = {};
    for (let i = 0; i < size; i++) {
      const key = this.#key();
      const value = this.#value(depth + 1);
      if (key === "__proto__") {
        Object.defineProperty(obj, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        obj[key] = value;
      }
    }
    return this.#freeze ? Object.freeze(obj) : obj;
  }

  #array(size: number, depth: number, at: number): MmdbValue[] {
    if (depth >= this.#maxDepth) this.#tooDeep(at);
    if (size > this.#end - this.#pos) {
      throw new FormatError(
        "bad-size",
        `Array claims ${size} items but only ${this.#end - this.#pos} bytes remain in the section`,
        at,
      );
    }
    if (size > 0 && depth + 1 > this.#deepest) this.#deepest = depth + 1;
    const arr: MmdbValue[] = new Array(size);
    for (let i = 0; i < size; i++) arr[i] = this.#value(depth + 1);
    return this.#freeze ? Object.freeze(arr) as MmdbValue[] : arr;
  }

  /** Reads a map key at #pos (a string, or a pointer to one). */
  #key(): string {
    const at = this.#pos;
    let type = this.#header();
    let after = -1;
    let targetAt = -1;
    if (type === MmdbType.pointer) {
      const target = this.#pointer(at);
      after = this.#pos;
      targetAt = this.#start + target;
      const cached = this.#keys.get(targetAt);
      if (cached !== undefined) {
        this.#pos = after;
        return cached;
      }
      this.#pos = targetAt;
      type = this.#header();
    }
    if (type !== MmdbType.string) {
      throw new FormatError(
        "bad-type",
        `Map key is a ${TYPE_NAMES[type] ?? `type ${type}`}, not a string`,
        at,
      );
    }
    const size = this.#size;
    const q = this.#pos;
    if (q + size > this.#end) this.#fail("out-of-bounds", "Map key", at, q + size - at);
    const key = this.#utf8(q, size, at);
    if (after >= 0) {
      if (this.#keys.size >= KEY_CACHE_LIMIT) this.#keys.clear();
      this.#keys.set(targetAt, key);
      this.#pos = after;
    } else {
      this.#pos = q + size;
    }
    return key;
  }

  #skipValue(depth: number): void {
    if (depth >= this.#maxDepth) this.#tooDeep(this.#pos);
    const at = this.#pos;
    const type = this.#header();
    if (type === MmdbType.pointer) {
      this.#pointer(at);
      return;
    }
    const size = this.#size;
    if (type === MmdbType.map || type === MmdbType.array) {
      const per = type === MmdbType.map ? 2 : 1;
      if (size * per > this.#end - this.#pos) {
        throw new FormatError(
          "bad-size",
          `${type === MmdbType.map ? "Map" : "Array"} claims ${size} ${
            type === MmdbType.map ? "pairs" : "items"
          } but only ${this.#end - this.#pos} bytes remain in the section`,
          at,
        );
      }
      for (let i = 0; i < size * per; i++) this.#skipValue(depth + 1);
      return;
    }
    if (type === MmdbType.boolean || type === MmdbType.endMarker) return;
    if (this.#pos + size > this.#end) {
      this.#fail("out-of-bounds", TYPE_NAMES[type], at, this.#pos + size - at);
    }
    this.#pos += size;
  }
}

/** The integer a path step's text names (`"0"`, `"-1"`), or NaN; allocates nothing. */
function indexOf(text: string): number {
  const n = text.length;
  let i = text.charCodeAt(0) === 45 ? 1 : 0; // "-"
  if (i === n || n - i > 15) return NaN;
  let v = 0;
  for (; i < n; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return text.charCodeAt(0) === 45 ? -v : v;
}

/** Whether `size` bytes at `q` are the UTF-8 encoding of `text`; allocates nothing. */
function utf8Equals(u8: Uint8Array, q: number, size: number, text: string): boolean {
  let j = q;
  const end = q + size;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      if (j >= end || u8[j++] !== c) return false;
      continue;
    }
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c < 0xe000) c = 0xfffd; // a lone surrogate: as TextEncoder writes it
    if (c < 0x800) {
      if (j + 2 > end || u8[j] !== (0xc0 | (c >> 6)) || u8[j + 1] !== (0x80 | (c & 63))) {
        return false;
      }
      j += 2;
    } else if (c < 0x10000) {
      if (
        j + 3 > end || u8[j] !== (0xe0 | (c >> 12)) || u8[j + 1] !== (0x80 | ((c >> 6) & 63)) ||
        u8[j + 2] !== (0x80 | (c & 63))
      ) return false;
      j += 3;
    } else {
      if (
        j + 4 > end || u8[j] !== (0xf0 | (c >> 18)) || u8[j + 1] !== (0x80 | ((c >> 12) & 63)) ||
        u8[j + 2] !== (0x80 | ((c >> 6) & 63)) || u8[j + 3] !== (0x80 | (c & 63))
      ) return false;
      j += 4;
    }
  }
  return j === end;
}
