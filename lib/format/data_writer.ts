/**
 * Encoder for the MaxMind DB data section: every MMDB type, exact de-duplication of whole values
 * (by comparing bytes, not just a hash) and pointers to earlier copies of repeated strings and map
 * keys.
 *
 * Plain JavaScript values get the smallest MMDB type that holds them exactly (see
 * {@linkcode encodeValue}); {@linkcode typed} forces a type (`float`, `uint64`, …).
 *
 * @module
 */
import type { MmdbValue } from "./value.ts";

/** The MMDB type names {@linkcode typed} can force. */
export type MmdbTypeName =
  | "utf8_string"
  | "double"
  | "bytes"
  | "uint16"
  | "uint32"
  | "map"
  | "int32"
  | "uint64"
  | "uint128"
  | "array"
  | "boolean"
  | "float";

/** The MMDB type numbers, by name (pointer is 1, extended types are 8 and above). */
export const MMDB_TYPES: Readonly<Record<MmdbTypeName | "pointer", number>> = Object.freeze({
  pointer: 1,
  utf8_string: 2,
  double: 3,
  bytes: 4,
  uint16: 5,
  uint32: 6,
  map: 7,
  int32: 8,
  uint64: 9,
  uint128: 10,
  array: 11,
  boolean: 14,
  float: 15,
});

/** A value together with the MMDB type it must be stored as; made by {@linkcode typed}. */
export class TypedValue {
  /** The forced type. */
  readonly type: MmdbTypeName;
  /** The value. */
  readonly value: WritableValue;

  /**
   * Pairs a value with its type; {@linkcode typed} is the usual way to make one.
   *
   * @param type The MMDB type.
   * @param value The value (checked when encoded).
   */
  constructor(type: MmdbTypeName, value: WritableValue) {
    this.type = type;
    this.value = value;
  }
}

/** What the writer accepts: decoded MMDB values, plus {@linkcode TypedValue} anywhere inside. */
export type WritableValue =
  | MmdbValue
  | TypedValue
  | WritableValue[]
  | WritableMap;

/** A map of writable values. */
export interface WritableMap {
  /** A member: key and value. */
  [key: string]: WritableValue;
}

/**
 * Forces the MMDB type a value is stored as, e.g. `typed("float", 1.5)` or
 * `typed("uint64", 7n)`.
 *
 * @param type The MMDB type name.
 * @param value The value; integers may be `number` or `bigint`.
 * @returns A {@linkcode TypedValue}.
 * @throws {TypeError} When the type name is unknown.
 */
export function typed(type: MmdbTypeName, value: WritableValue): TypedValue {
  if (!Object.hasOwn(MMDB_TYPES, type) || type === ("pointer" as string)) {
    throw new TypeError(`Unknown MMDB type "${type}"`);
  }
  return new TypedValue(type, value);
}

/** Deepest nesting of maps and arrays the writer accepts (libmaxminddb reads up to 512). */
export const MAX_DEPTH = 256;
const MAX_SIZE = 65821 + 0xffffff;
const MAX_POINTER = 0xffffffff;
const TWO_32 = 4294967296;
const TWO_64 = 2 ** 64;
const TWO_128 = 2 ** 128;
const U64_MAX = (1n << 64n) - 1n;
const U128_MAX = (1n << 128n) - 1n;

const textEncoder = new TextEncoder();

/** A growable byte buffer. */
class Sink {
  buf: Uint8Array;
  len = 0;
  view: DataView;
  constructor(size = 1024) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }
  ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }
}

function pointerLength(p: number): number {
  return p < 2048 ? 2 : p < 526336 ? 3 : p < 134744064 ? 4 : 5;
}

function writePointer(s: Sink, p: number): void {
  s.ensure(5);
  const b = s.buf;
  let i = s.len;
  if (p < 2048) {
    b[i++] = 0x20 | (p >>> 8);
    b[i++] = p & 255;
  } else if (p < 526336) {
    const v = p - 2048;
    b[i++] = 0x28 | (v >>> 16);
    b[i++] = (v >>> 8) & 255;
    b[i++] = v & 255;
  } else if (p < 134744064) {
    const v = p - 526336;
    b[i++] = 0x30 | (v >>> 24);
    b[i++] = (v >>> 16) & 255;
    b[i++] = (v >>> 8) & 255;
    b[i++] = v & 255;
  } else {
    b[i++] = 0x38;
    b[i++] = p >>> 24;
    b[i++] = (p >>> 16) & 255;
    b[i++] = (p >>> 8) & 255;
    b[i++] = p & 255;
  }
  s.len = i;
}

function writeHeader(s: Sink, type: number, size: number): void {
  if (size > MAX_SIZE) {
    throw new RangeError(`Value too large for MaxMind DB: size ${size} exceeds ${MAX_SIZE}`);
  }
  s.ensure(5);
  const b = s.buf;
  let i = s.len;
  const bits = size < 29 ? size : size < 285 ? 29 : size < 65821 ? 30 : 31;
  if (type > 7) {
    b[i++] = bits;
    b[i++] = type - 7;
  } else {
    b[i++] = (type << 5) | bits;
  }
  if (bits === 29) {
    b[i++] = size - 29;
  } else if (bits === 30) {
    const v = size - 285;
    b[i++] = v >>> 8;
    b[i++] = v & 255;
  } else if (bits === 31) {
    const v = size - 65821;
    b[i++] = v >>> 16;
    b[i++] = (v >>> 8) & 255;
    b[i++] = v & 255;
  }
  s.len = i;
}

function writeUint(s: Sink, type: number, v: number): void {
  // v is an integer in 0..2^32-1
  const n = v === 0 ? 0 : v < 0x100 ? 1 : v < 0x10000 ? 2 : v < 0x1000000 ? 3 : 4;
  writeHeader(s, type, n);
  s.ensure(n);
  for (let k = n - 1; k >= 0; k--) s.buf[s.len++] = (v >>> (8 * k)) & 255;
}

function writeBigUint(s: Sink, type: number, v: bigint): void {
  let n = 0;
  for (let t = v; t > 0n; t >>= 8n) n++;
  writeHeader(s, type, n);
  s.ensure(n);
  for (let k = n - 1; k >= 0; k--) s.buf[s.len++] = Number((v >> BigInt(8 * k)) & 255n);
}

function describe(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (v instanceof Uint8Array) return "bytes";
  if (typeof v === "object") return "a map";
  return String(v);
}

function integerOf(type: string, v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  throw new RangeError(`Cannot store ${describe(v)} as ${type}: not an integer`);
}

/** Encodes one value; `strings` (when given) enables pointers to earlier strings. */
class Encoder {
  /** String → offset in the data section of an earlier copy (or null: no pointers). */
  strings: Map<string, number> | null;
  /** How many pointers the last encoding used. */
  pointers = 0;
  maxStrings: number;
  constructor(strings: Map<string, number> | null, maxStrings = 1 << 20) {
    this.strings = strings;
    this.maxStrings = maxStrings;
  }

  value(s: Sink, v: WritableValue, depth: number, top: boolean): void {
    switch (typeof v) {
      case "string":
        this.string(s, v, top);
        return;
      case "number":
        this.number(s, v);
        return;
      case "bigint":
        this.bigint(s, v);
        return;
      case "boolean":
        writeHeader(s, 14, v ? 1 : 0);
        return;
      case "object":
        break;
      default:
        throw new TypeError(`Cannot store ${describe(v)} in a MaxMind DB`);
    }
    if (v === null) {
      throw new TypeError("Cannot store null in a MaxMind DB: it has no null type");
    }
    if (depth >= MAX_DEPTH) {
      throw new RangeError(`Value nested deeper than ${MAX_DEPTH} maps and arrays`);
    }
    if (v instanceof TypedValue) {
      this.typedValue(s, v, depth, top);
    } else if (v instanceof Uint8Array) {
      writeHeader(s, 4, v.length);
      s.ensure(v.length);
      s.buf.set(v, s.len);
      s.len += v.length;
    } else if (Array.isArray(v)) {
      writeHeader(s, 11, v.length);
      for (const item of v) this.value(s, item, depth + 1, false);
    } else {
      const keys = Object.keys(v);
      writeHeader(s, 7, keys.length);
      for (const k of keys) {
        this.string(s, k, false);
        this.value(s, (v as WritableMap)[k], depth + 1, false);
      }
    }
  }

  string(s: Sink, v: string, top: boolean): void {
    const strings = this.strings;
    if (strings !== null && !top) {
      const at = strings.get(v);
      if (at !== undefined) {
        writePointer(s, at);
        this.pointers++;
        return;
      }
    }
    const n = v.length;
    let start = s.len;
    let h = 1;
    let written = n;
    let ascii = false;
    if (n < 29) {
      // Short ASCII strings (the common case) skip the TextEncoder.
      s.ensure(1 + n);
      const b = s.buf;
      let i = 0;
      for (; i < n; i++) {
        const c = v.charCodeAt(i);
        if (c >= 0x80) break;
        b[start + 1 + i] = c;
      }
      if (i === n) {
        b[start] = 0x40 | n;
        s.len = start + 1 + n;
        ascii = true;
      }
    }
    if (!ascii) {
      if (!v.isWellFormed()) {
        throw new TypeError(`Cannot store string ${describe(v)}: it has an unpaired surrogate`);
      }
      // Encode after room for the largest header, then move it into place.
      s.ensure(4 + n * 3);
      start = s.len;
      written = textEncoder.encodeInto(v, s.buf.subarray(start + 4)).written;
      writeHeader(s, 2, written);
      h = s.len - start;
      if (h !== 4) s.buf.copyWithin(s.len, start + 4, start + 4 + written);
      s.len += written;
    }
    // Remember it for later pointers when a pointer to here is shorter than the string.
    if (
      strings !== null && written >= 3 && written <= 1024 && strings.size < this.maxStrings &&
      pointerLength(start) < h + written && !strings.has(v)
    ) {
      strings.set(v, start);
    }
  }

  number(s: Sink, v: number): void {
    if (Number.isInteger(v) && !Object.is(v, -0)) {
      if (v >= 0) {
        if (v < 0x10000) return writeUint(s, 5, v);
        if (v < TWO_32) return writeUint(s, 6, v);
        if (v < TWO_64) return writeBigUint(s, 9, BigInt(v));
        if (v < TWO_128) return writeBigUint(s, 10, BigInt(v));
      } else if (v >= -2147483648) {
        return this.int32(s, v);
      }
    }
    this.double(s, v);
  }

  bigint(s: Sink, v: bigint): void {
    if (v >= 0n) {
      if (v < 0x10000n) return writeUint(s, 5, Number(v));
      if (v < 0x100000000n) return writeUint(s, 6, Number(v));
      if (v <= U64_MAX) return writeBigUint(s, 9, v);
      if (v <= U128_MAX) return writeBigUint(s, 10, v);
      throw new RangeError(`Cannot store ${v} exactly: larger than uint128`);
    }
    if (v >= -2147483648n) return this.int32(s, Number(v));
    throw new RangeError(`Cannot store ${v} exactly: below the int32 range`);
  }

  int32(s: Sink, v: number): void {
    if (v < 0) {
      writeHeader(s, 8, 4);
      s.ensure(4);
      s.view.setInt32(s.len, v);
      s.len += 4;
    } else {
      writeUint(s, 8, v);
    }
  }

  double(s: Sink, v: number): void {
    writeHeader(s, 3, 8);
    s.ensure(8);
    s.view.setFloat64(s.len, v);
    s.len += 8;
  }

  typedValue(s: Sink, t: TypedValue, depth: number, top: boolean): void {
    const v = t.value;
    const type = t.type;
    const fail = (why: string): never => {
      throw new RangeError(`Cannot store ${describe(v)} as ${type}: ${why}`);
    };
    switch (type) {
      case "utf8_string":
        if (typeof v !== "string") fail("not a string");
        return this.string(s, v as string, top);
      case "double":
      case "float":
        if (typeof v !== "number") fail("not a number");
        if (type === "double") return this.double(s, v as number);
        writeHeader(s, 15, 4);
        s.ensure(4);
        s.view.setFloat32(s.len, v as number);
        s.len += 4;
        return;
      case "bytes":
        if (!(v instanceof Uint8Array)) fail("not a Uint8Array");
        return this.value(s, v, depth, top);
      case "boolean":
        if (typeof v !== "boolean") fail("not a boolean");
        return writeHeader(s, 14, v ? 1 : 0);
      case "map":
        if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Uint8Array) {
          fail("not a map");
        }
        return this.value(s, v, depth, top);
      case "array":
        if (!Array.isArray(v)) fail("not an array");
        return this.value(s, v, depth, top);
      case "int32": {
        const n = integerOf(type, v);
        if (n < -2147483648n || n > 2147483647n) fail("out of range");
        return this.int32(s, Number(n));
      }
      case "uint16":
      case "uint32": {
        const n = integerOf(type, v);
        if (n < 0n || n > (type === "uint16" ? 0xffffn : 0xffffffffn)) fail("out of range");
        return writeUint(s, MMDB_TYPES[type], Number(n));
      }
      case "uint64":
      case "uint128": {
        const n = integerOf(type, v);
        if (n < 0n || n > (type === "uint64" ? U64_MAX : U128_MAX)) fail("out of range");
        return writeBigUint(s, MMDB_TYPES[type], n);
      }
    }
  }
}

/**
 * Encodes one value on its own (no pointers), as it appears in a data section or in the
 * metadata map.
 *
 * Plain values get the smallest type that holds them exactly: non-negative integers become
 * uint16, uint32, uint64 or uint128; negative integers down to −2³¹ int32 (a lower `number` is
 * a double, a lower `bigint` is an error); other numbers (and integral `number`s of 2¹²⁸ and
 * more) double; `Uint8Array` bytes; objects maps
 * (keys in insertion order); arrays arrays.
 *
 * @param value The value.
 * @returns Its MMDB encoding.
 * @throws {TypeError} For `null`, `undefined`, functions or strings with unpaired surrogates.
 * @throws {RangeError} For integers no MMDB type holds exactly, or values nested too deep.
 */
export function encodeValue(value: WritableValue): Uint8Array {
  const s = new Sink(64);
  new Encoder(null).value(s, value, 0, true);
  return s.buf.slice(0, s.len);
}

/** Options for {@linkcode DataSectionWriter}. */
export interface DataSectionWriterOptions {
  /**
   * Replace repeated strings and map keys by pointers to their first copy when that is shorter
   * (default `true`), as MaxMind's own writer does.
   */
  pointers?: boolean;
}

/** Counters of a {@linkcode DataSectionWriter}. */
export interface DataSectionStats {
  /** Calls to `add`. */
  added: number;
  /** Distinct values stored. */
  stored: number;
  /** Pointers written in place of repeated strings. */
  pointers: number;
}

/** Most flat maps a {@linkcode DataSectionWriter} remembers by content (see `add`). */
const REMEMBER = 65536;

/** How many added map objects the writer remembers by identity before it takes stock. */
const REMEMBER_OBJECTS = 4096;

/** A map object added before: its prototype, keys and values then, and its offset. */
interface Remembered {
  proto: object | null;
  keys: string[];
  values: unknown[];
  offset: number;
  /** Whether the map was frozen when remembered (then it is still what was read). */
  frozen: boolean;
}

/** Whether `v` still has the prototype, keys (in order) and values remembered in `r`. */
function unchanged(v: object, r: Remembered): boolean {
  if (Object.getPrototypeOf(v) !== r.proto || Array.isArray(v)) return false;
  const keys = r.keys;
  const values = r.values;
  const n = keys.length;
  let i = 0;
  // for-in lists own keys in Object.keys order, then inherited enumerable ones.
  for (const k in v) {
    if (i === n || k !== keys[i] || !Object.hasOwn(v, k)) return false;
    const x = (v as Record<string, unknown>)[k];
    const y = values[i];
    // 0 and -0 are stored differently; NaN never matches (it takes the full path).
    if (x !== y || (x === 0 && 1 / (x as number) !== 1 / (y as number))) return false;
    i++;
  }
  return i === n;
}

/**
 * Whether flat map `v` (whose `n` members `keys` names) is frozen with plain data members: then
 * it can never differ from what was read (a getter could).
 */
function frozenData(v: object, keys: readonly string[], n: number): boolean {
  if (!Object.isFrozen(v)) return false;
  for (let i = 0; i < n; i++) {
    if (!("value" in Object.getOwnPropertyDescriptor(v, keys[i])!)) return false;
  }
  return true;
}

const FNV_PRIME = 0x01000193;

/** How many members the last {@linkcode readFlatMap} read. */
let flatCount = 0;

/**
 * Reads a flat map: a map (prototype `Object.prototype` or `null`) of at most 64 own enumerable
 * string keys whose values are strings, booleans or numbers other than NaN. Fills `keys` and
 * `values` (64 long) from the start, sets `flatCount`, and returns a 32-bit hash of them (0 or
 * more), or -1 for anything else.
 */
function readFlatMap(v: object, keys: string[], values: unknown[]): number {
  const proto = Object.getPrototypeOf(v);
  if ((proto !== Object.prototype && proto !== null) || Array.isArray(v)) return -1;
  let h = 0x811c9dc5 | 0;
  let n = 0;
  // for-in lists own keys in Object.keys order, then inherited enumerable ones.
  for (const k in v) {
    if (n === 64 || !Object.hasOwn(v, k)) return -1;
    const x = (v as Record<string, unknown>)[k];
    for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), FNV_PRIME);
    switch (typeof x) {
      case "string":
        h = Math.imul(h ^ 0x100, FNV_PRIME);
        for (let i = 0; i < x.length; i++) h = Math.imul(h ^ x.charCodeAt(i), FNV_PRIME);
        break;
      case "number":
        if (x !== x) return -1; // NaN
        // 0 and -0 are stored differently.
        h = Math.imul(h ^ (x === 0 && 1 / x < 0 ? 0x300 : 0x200), FNV_PRIME);
        h = Math.imul(h ^ (x | 0), FNV_PRIME);
        h = Math.imul(h ^ ((x / 4294967296) | 0), FNV_PRIME);
        break;
      case "boolean":
        h = Math.imul(h ^ (x ? 0x401 : 0x400), FNV_PRIME);
        break;
      default:
        return -1;
    }
    h = Math.imul(h ^ 0x500, FNV_PRIME);
    keys[n] = k;
    values[n] = x;
    n++;
  }
  flatCount = n;
  return (h ^ (h >>> 15)) >>> 0;
}

/** Whether `a` starts with the items of `b` (0 and -0 apart). */
function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  for (let i = 0; i < b.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x !== y || (x === 0 && 1 / (x as number) !== 1 / (y as number))) return false;
  }
  return true;
}

function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h >>> 0;
}

/**
 * Builds a MaxMind DB data section. {@linkcode DataSectionWriter.add} returns the offset of a
 * value within the section; a value whose encoding equals one already stored (compared byte for
 * byte) is not stored again.
 */
export class DataSectionWriter {
  #data = new Sink(1 << 16);
  #canon = new Sink(1024);
  #scratch = new Sink(1024);
  #plain = new Encoder(null);
  #enc: Encoder;
  // Open-addressing table of stored values: slot → entry index + 1.
  #table = new Int32Array(1 << 12);
  #count = 0;
  #offset = new Float64Array(1024);
  #length = new Int32Array(1024);
  #hash = new Uint32Array(1024);
  #canonAt = new Float64Array(1024);
  #added = 0;
  // Flat maps added before, by content: a hash table of their key/value hashes, their keys and
  // values, and their offsets; adding an equal map again skips encoding it (see `add`).
  #flatOn = true;
  // Map objects added before, by identity, so that adding the same unchanged object again skips
  // even reading it all (null once the caller turned out to pass fresh objects).
  #seen: Map<object, Remembered> | null = new Map();
  #seenHits = 0;
  #flatTable = new Int32Array(1 << 10); // remembered map index + 1, 0 = free slot
  #flatHash: number[] = [];
  #flatKeys: string[][] = [];
  #flatValues: unknown[][] = [];
  #flatOffsets: number[] = [];
  #flatTries = 0;
  #flatHits = 0;
  #keys: string[] = new Array(64).fill("");
  #values: unknown[] = new Array(64).fill(0);

  /**
   * Starts an empty data section.
   *
   * @param options {@linkcode DataSectionWriterOptions}.
   */
  constructor(options: DataSectionWriterOptions = {}) {
    this.#enc = new Encoder(options.pointers === false ? null : new Map());
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#data.len;
  }

  /** Counters: values added, distinct values stored, pointers written. */
  get stats(): DataSectionStats {
    return { added: this.#added, stored: this.#count, pointers: this.#enc.pointers };
  }

  /**
   * Stores a value (once) and returns its offset from the start of the data section. A map of
   * strings, numbers and booleans equal to one added before (same keys in the same order, same
   * values) is not encoded again: the writer remembers such maps while they keep repeating.
   *
   * @param value The value.
   * @returns The offset of its encoding.
   * @throws {TypeError | RangeError} As {@linkcode encodeValue}; nothing is stored then.
   */
  add(value: WritableValue): number {
    this.#added++;
    if (typeof value !== "object" || value === null) return this.#add(value);
    const seen = this.#seen;
    if (seen !== null) {
      // The same map object again, unchanged (one frozen when it was remembered cannot have
      // changed: only flat maps are remembered, so its members are its whole content).
      const r = seen.get(value);
      if (r !== undefined && (r.frozen || unchanged(value, r))) {
        this.#seenHits++;
        return r.offset;
      }
    } else if (!this.#flatOn) return this.#add(value);
    const keys = this.#keys;
    const values = this.#values;
    const h = readFlatMap(value, keys, values);
    if (h < 0) return this.#add(value);
    const n = flatCount;
    const offset = this.#flatOffset(h, n);
    if (seen !== null) {
      if (seen.size >= REMEMBER_OBJECTS) {
        // Remember the next batch only while objects come back at least once on average.
        seen.clear();
        if (this.#seenHits < REMEMBER_OBJECTS) {
          this.#seen = null;
          return offset;
        }
        this.#seenHits = 0;
      }
      const proto = Object.getPrototypeOf(value);
      seen.set(value, {
        proto,
        keys: keys.slice(0, n),
        values: values.slice(0, n),
        offset,
        frozen: frozenData(value, keys, n),
      });
    }
    return offset;
  }

  /**
   * The offset of the flat map just read into `#keys` and `#values` (`n` members, hash `h`):
   * that of an equal map added before (same keys in order, same values: the same encoding), or
   * the new encoding of what was read (a getter is read once).
   */
  #flatOffset(h: number, n: number): number {
    const keys = this.#keys;
    const values = this.#values;
    const table = this.#flatTable;
    const mask = table.length - 1;
    let slot = h & mask;
    const on = this.#flatOn;
    if (on) {
      for (;;) {
        const e = table[slot];
        if (e === 0) break;
        const r = e - 1;
        if (
          this.#flatHash[r] === h && this.#flatKeys[r].length === n &&
          sameValues(keys, this.#flatKeys[r]) && sameValues(values, this.#flatValues[r])
        ) {
          this.#flatHits++;
          return this.#flatOffsets[r];
        }
        slot = (slot + 1) & mask;
      }
      if (++this.#flatTries % 4096 === 0 && this.#flatHits * 4 < this.#flatTries) {
        // Maps rarely repeat: stop looking for them.
        this.#flatOn = false;
      }
    }
    const copy: WritableMap = Object.create(null);
    for (let i = 0; i < n; i++) copy[keys[i]] = values[i] as WritableValue;
    const offset = this.#add(copy);
    const count = this.#flatOffsets.length;
    if (!on || count >= REMEMBER) return offset;
    this.#flatHash.push(h);
    this.#flatKeys.push(keys.slice(0, n));
    this.#flatValues.push(values.slice(0, n));
    this.#flatOffsets.push(offset);
    table[slot] = count + 1;
    if (2 * (count + 1) > table.length) {
      const next = new Int32Array(2 * table.length);
      const m = next.length - 1;
      for (let r = 0; r <= count; r++) {
        let at = this.#flatHash[r] & m;
        while (next[at] !== 0) at = (at + 1) & m;
        next[at] = r + 1;
      }
      this.#flatTable = next;
    }
    return offset;
  }

  #add(value: WritableValue): number {
    const sc = this.#scratch;
    sc.len = 0;
    this.#plain.value(sc, value, 0, true);
    const len = sc.len;
    const h = hashBytes(sc.buf, 0, len);
    const mask = this.#table.length - 1;
    let slot = h & mask;
    for (;;) {
      const e = this.#table[slot];
      if (e === 0) break;
      const i = e - 1;
      if (this.#hash[i] === h && this.#length[i] === len && this.#equals(i, sc.buf, len)) {
        return this.#offset[i];
      }
      slot = (slot + 1) & mask;
    }
    // New value: encode in place, with pointers to earlier strings.
    const d = this.#data;
    const offset = d.len;
    if (offset > MAX_POINTER) {
      throw new RangeError(`Data section larger than ${MAX_POINTER} bytes`);
    }
    const before = this.#enc.pointers;
    try {
      this.#enc.value(d, value, 0, true);
    } catch (err) {
      d.len = offset;
      throw err;
    }
    let canonAt = -1;
    if (this.#enc.pointers !== before) {
      canonAt = this.#canon.len;
      this.#canon.ensure(len);
      this.#canon.buf.set(sc.buf.subarray(0, len), canonAt);
      this.#canon.len += len;
    }
    this.#insert(slot, h, len, offset, canonAt);
    return offset;
  }

  #equals(i: number, bytes: Uint8Array, len: number): boolean {
    const c = this.#canonAt[i];
    const src = c < 0 ? this.#data.buf : this.#canon.buf;
    const at = c < 0 ? this.#offset[i] : c;
    for (let k = 0; k < len; k++) if (src[at + k] !== bytes[k]) return false;
    return true;
  }

  #insert(slot: number, h: number, len: number, offset: number, canonAt: number): void {
    const i = this.#count++;
    if (i >= this.#offset.length) {
      const grow = <T extends Float64Array | Int32Array | Uint32Array>(a: T): T => {
        const n = new (a.constructor as new (n: number) => T)(a.length * 2);
        n.set(a);
        return n;
      };
      this.#offset = grow(this.#offset);
      this.#length = grow(this.#length);
      this.#hash = grow(this.#hash);
      this.#canonAt = grow(this.#canonAt);
    }
    this.#offset[i] = offset;
    this.#length[i] = len;
    this.#hash[i] = h;
    this.#canonAt[i] = canonAt;
    this.#table[slot] = i + 1;
    if (this.#count * 2 > this.#table.length) this.#rehash();
  }

  #rehash(): void {
    const table = new Int32Array(this.#table.length * 2);
    const mask = table.length - 1;
    for (let i = 0; i < this.#count; i++) {
      let slot = this.#hash[i] & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = i + 1;
    }
    this.#table = table;
  }

  /**
   * The data section written so far (a view; copy it before adding more values).
   *
   * @returns The bytes.
   */
  bytes(): Uint8Array {
    return this.#data.buf.subarray(0, this.#data.len);
  }
}
