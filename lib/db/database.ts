/**
 * The query engine: opens a MaxMind DB or `.mxy` file (memory-mapped when possible, or from
 * bytes in any JavaScript runtime) and looks up IP addresses, with an allocation-free path
 * for hot loops.
 *
 * @module
 */
import { FormatError } from "../format/format_error.ts";
import { type DatabaseLayout, type Metadata, readLayout } from "../format/metadata.ts";
import { MmdbDecoder } from "../format/mmdb_decoder.ts";
import type { MmdbValue } from "../format/value.ts";
import { mapFile, type MappedFile } from "../runtime/mmap.ts";
import { formatNetwork, parseIpInto, parseIpv4 } from "./ip_address.ts";
import {
  MATCH_LITERAL,
  type StringMatch,
  StringMatcher,
  StringMatches,
  type StringResult,
} from "./string_match.ts";

/** The result of an IP lookup. */
export interface IpResult {
  /** Always `"ip"` (string queries give other kinds). */
  kind: "ip";
  /** The data record of the most specific network holding the address. */
  data: MmdbValue;
  /**
   * That network in CIDR notation. An IPv4 query in an IPv6 tree is reported as an IPv4
   * network, as libmaxminddb and python's maxminddb do.
   */
  network: string;
  /** The network's prefix length (in IPv4 terms for an IPv4 network). */
  prefixLength: number;
}

/** How a database's bytes were obtained. */
export type DatabaseMapMode = "mmap" | "read" | "bytes";

/** Options for {@linkcode Database.fromBytes}. */
export interface DatabaseOptions {
  /**
   * Decoded values kept, by data offset (4-way set-associative, CLOCK within each set; rounded
   * up to a power of two). Default 4096; 0 disables the cache.
   */
  cacheSize?: number;
  /** Deepest nesting of data accepted. Default 512. */
  maxDepth?: number;
  /**
   * Most values one record may decode to (a value shared through pointers counts once); more
   * is a `FormatError` with code `too-large`. Default: no limit.
   */
  maxValues?: number;
}

/** Options for {@linkcode Database.open}. */
export interface OpenOptions extends DatabaseOptions {
  /** `"auto"` (default: mmap when FFI is allowed), `"mmap"` (required) or `"read"`. */
  mode?: "auto" | "mmap" | "read";
}

/**
 * A MaxMind DB (or `.mxy`) database opened for queries.
 *
 * Lookups come in two flavours:
 * - {@linkcode Database.lookup} returns an {@linkcode IpResult} object;
 * - {@linkcode Database.lookupIpv4} and {@linkcode Database.lookupIpOffset} allocate nothing:
 *   they return the data offset (or -1) and leave the prefix length in
 *   {@linkcode Database.lastPrefixLength}; {@linkcode Database.decode} turns an offset into a
 *   value through a bounded cache (cached values are frozen and shared).
 *
 * Corrupt files raise {@linkcode FormatError} (never another error) from any method.
 *
 * @example
 * ```ts
 * import { Database } from "./database.ts";
 * import assert from "node:assert/strict";
 * const path = new URL(
 *   "../../../shared/fixtures/mmdb/test-data/MaxMind-DB-test-ipv4-24.mmdb",
 *   import.meta.url,
 * );
 * const db = Database.fromBytes(await Deno.readFile(path));
 * const hit = db.lookup("1.1.1.3");
 * assert.equal(hit?.kind === "ip" && hit.network, "1.1.1.2/31");
 * assert.deepEqual(hit?.data, { ip: "1.1.1.2" });
 * ```
 */
export class Database {
  /** The typed metadata. */
  readonly metadata: Metadata;
  /** Where the tree, data section and metadata are. */
  readonly layout: DatabaseLayout;
  /** `"mmap"`, `"read"` (whole file read) or `"bytes"` (given by the caller). */
  readonly mapMode: DatabaseMapMode;
  /** Prefix length of the network matched (or not) by the last allocation-free lookup. */
  lastPrefixLength = 0;
  /**
   * Address family the last allocation-free lookup was answered in: 4 (IPv4 query, or an
   * IPv4-mapped query in an IPv4 tree), 6, or 0 when the text was not an IP address.
   */
  lastIpVersion: 0 | 4 | 6 = 0;

  #u8: Uint8Array;
  #mapped: MappedFile | null;
  #closed = false;
  readonly #nodeCount: number;
  readonly #recordSize: number;
  readonly #ipVersion: number;
  readonly #dataSize: number;
  #ipv4Start = 0;
  readonly #decoder: MmdbDecoder;
  readonly #scratch = new Uint8Array(16);
  #lastV4 = 0;
  // Clock cache of decoded values.
  // 4-way set-associative, CLOCK (second chance) within each set; no Map on the hot path.
  readonly #cacheSetBits: number;
  readonly #cacheKeys: Float64Array;
  readonly #cacheRef: Uint8Array;
  readonly #cacheHands: Uint8Array;
  readonly #cacheValues: (MmdbValue | undefined)[];
  // String matching over the literal and glob sections (created on first use).
  #strings: StringMatcher | null | undefined = undefined;
  readonly #stringHits = new StringMatches();

  private constructor(
    bytes: Uint8Array,
    mode: DatabaseMapMode,
    mapped: MappedFile | null,
    options: DatabaseOptions,
  ) {
    this.#u8 = bytes;
    this.mapMode = mode;
    this.#mapped = mapped;
    this.layout = readLayout(bytes);
    this.metadata = this.layout.metadata;
    this.#nodeCount = this.metadata.nodeCount;
    this.#recordSize = this.metadata.recordSize;
    this.#ipVersion = this.metadata.ipVersion;
    this.#dataSize = this.layout.dataEnd - this.layout.dataStart;
    this.#decoder = new MmdbDecoder(bytes, {
      start: this.layout.dataStart,
      end: this.layout.dataEnd,
      maxDepth: options.maxDepth ?? 512,
      maxValues: options.maxValues,
    });
    const wanted = Math.max(0, Math.floor(options.cacheSize ?? 4096));
    let setBits = 0;
    while ((4 << setBits) < wanted && setBits < 24) setBits++;
    const slots = wanted === 0 ? 0 : 4 << setBits;
    this.#cacheSetBits = setBits;
    this.#cacheKeys = new Float64Array(slots).fill(-1);
    this.#cacheRef = new Uint8Array(slots);
    this.#cacheHands = new Uint8Array(slots >> 2);
    this.#cacheValues = new Array(slots).fill(undefined);
    if (this.#ipVersion === 6) {
      let node = 0;
      for (let i = 0; i < 96 && node < this.#nodeCount; i++) node = this.#record(node, 0);
      this.#ipv4Start = node;
    }
  }

  /**
   * Opens a database file: memory-mapped when FFI is allowed (constant time whatever the
   * size), otherwise read into one buffer.
   *
   * @param path The file.
   * @param options {@linkcode OpenOptions}.
   * @returns The database.
   * @throws {FormatError} When the file is not a MaxMind DB.
   * @example
   * ```ts
   * import { Database } from "./database.ts";
   * import assert from "node:assert/strict";
   * const db = await Database.open(new URL(
   *   "../../../shared/fixtures/mmdb/test-data/GeoIP2-Country-Test.mmdb",
   *   import.meta.url,
   * ).pathname);
   * assert.equal(db.metadata.databaseType, "GeoIP2-Country");
   * db.close();
   * ```
   */
  static async open(path: string, options: OpenOptions = {}): Promise<Database> {
    let mapped: MappedFile;
    try {
      mapped = await mapFile(path, { mode: options.mode ?? "auto" });
    } catch (err) {
      // Keep the error's class (NotFound, PermissionDenied …); say which database failed.
      if (err instanceof Error) err.message = `Cannot open database "${path}": ${err.message}`;
      throw err;
    }
    try {
      return new Database(mapped.bytes, mapped.mode, mapped, options);
    } catch (err) {
      if (err instanceof FormatError) {
        throw new FormatError(err.code, `Cannot open database "${path}": ${err.message}`);
      }
      throw err;
    }
  }

  /**
   * Opens a database held in memory. Uses no runtime-specific API: works in browsers too. A
   * view that is not 8-byte aligned is copied once (extension sections are read as typed
   * arrays).
   *
   * @param bytes The file's bytes.
   * @param options {@linkcode DatabaseOptions}.
   * @returns The database.
   * @throws {FormatError} When the bytes are not a MaxMind DB.
   * @example
   * ```ts
   * import { Database } from "./database.ts";
   * import { FormatError } from "../format/format_error.ts";
   * import assert from "node:assert/strict";
   * assert.throws(() => Database.fromBytes(new Uint8Array(100)), FormatError);
   * ```
   */
  static fromBytes(bytes: Uint8Array, options: DatabaseOptions = {}): Database {
    const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
    return new Database(aligned, "bytes", null, options);
  }

  /** The file's bytes (a view onto the mapping when memory-mapped). */
  get bytes(): Uint8Array {
    this.#checkOpen();
    return this.#u8;
  }

  #checkOpen(): void {
    if (this.#closed) throw new TypeError("The database is closed");
  }

  /** Reads a record; `node` must be below the node count. */
  #record(node: number, bit: number): number {
    const u8 = this.#u8;
    const rs = this.#recordSize;
    if (rs === 24) {
      const o = node * 6 + bit * 3;
      return (u8[o] << 16) | (u8[o + 1] << 8) | u8[o + 2];
    }
    if (rs === 28) {
      const o = node * 7;
      if (bit === 0) {
        return ((u8[o + 3] & 0xf0) << 20) | (u8[o] << 16) | (u8[o + 1] << 8) | u8[o + 2];
      }
      return ((u8[o + 3] & 0x0f) << 24) | (u8[o + 4] << 16) | (u8[o + 5] << 8) | u8[o + 6];
    }
    const o = node * 8 + bit * 4;
    return u8[o] * 16777216 + ((u8[o + 1] << 16) | (u8[o + 2] << 8) | u8[o + 3]);
  }

  /** Turns the record that ended a walk into a data offset or -1. */
  #resolve(node: number, depth: number): number {
    const nodeCount = this.#nodeCount;
    if (node === nodeCount) return -1;
    if (node > nodeCount) {
      const offset = node - nodeCount - 16;
      if (offset < 0 || offset >= this.#dataSize) {
        throw new FormatError(
          "bad-tree",
          `Search tree record ${node} (at depth ${depth}) points outside the ` +
            `${this.#dataSize}-byte data section`,
        );
      }
      return offset;
    }
    throw new FormatError(
      "bad-tree",
      `Search tree is deeper than the address: node ${node} after ${depth} bits`,
    );
  }

  /**
   * Looks up an IPv4 address given as a number, allocating nothing.
   *
   * @param address The address as a 32-bit number (`0x01020304` for 1.2.3.4), unsigned or
   *   signed: pass values from an `Int32Array` (or `x | 0`) in hot loops, so no heap number is
   *   boxed for the call.
   * @returns The data offset for {@linkcode Database.decode}, or -1 when no network holds the
   *   address. {@linkcode Database.lastPrefixLength} holds the prefix length either way.
   * @throws {FormatError} When the search tree is corrupt along the path.
   * @example
   * ```ts
   * import { Database } from "./database.ts";
   * import assert from "node:assert/strict";
   * const db = await Database.open(new URL(
   *   "../../../shared/fixtures/mmdb/test-data/MaxMind-DB-test-ipv4-28.mmdb",
   *   import.meta.url,
   * ).pathname);
   * const offset = db.lookupIpv4(0x01010110); // 1.1.1.16
   * assert.ok(offset >= 0);
   * assert.equal(db.lastPrefixLength, 28);
   * assert.deepEqual(db.decode(offset), { ip: "1.1.1.16" });
   * assert.equal(db.lookupIpv4(0x7f000001), -1);
   * ```
   */
  lookupIpv4(address: number): number {
    if (this.#closed) this.#checkOpen();
    this.#lastV4 = address;
    this.lastIpVersion = 4;
    const u8 = this.#u8;
    const nodeCount = this.#nodeCount;
    let node = this.#ipv4Start;
    let i = 0;
    switch (this.#recordSize) {
      case 24:
        for (; i < 32 && node < nodeCount; i++) {
          const o = node * 6 + ((address >>> (31 - i)) & 1) * 3;
          node = (u8[o] << 16) | (u8[o + 1] << 8) | u8[o + 2];
        }
        break;
      case 28:
        for (; i < 32 && node < nodeCount; i++) {
          const o = node * 7;
          if (((address >>> (31 - i)) & 1) === 0) {
            node = ((u8[o + 3] & 0xf0) << 20) | (u8[o] << 16) | (u8[o + 1] << 8) | u8[o + 2];
          } else {
            node = ((u8[o + 3] & 0x0f) << 24) | (u8[o + 4] << 16) | (u8[o + 5] << 8) | u8[o + 6];
          }
        }
        break;
      default:
        for (; i < 32 && node < nodeCount; i++) {
          const o = node * 8 + ((address >>> (31 - i)) & 1) * 4;
          node = u8[o] * 16777216 + ((u8[o + 1] << 16) | (u8[o + 2] << 8) | u8[o + 3]);
        }
    }
    this.lastPrefixLength = i;
    if (node === nodeCount) return -1;
    return this.#resolve(node, i);
  }

  /** Walks 128 bits of `this.#scratch` from the root of an IPv6 tree. */
  #lookupV6(): number {
    const b = this.#scratch;
    const nodeCount = this.#nodeCount;
    this.lastIpVersion = 6;
    let node = 0;
    let i = 0;
    for (; i < 128 && node < nodeCount; i++) {
      node = this.#record(node, (b[i >> 3] >> (7 - (i & 7))) & 1);
    }
    this.lastPrefixLength = i;
    if (node === nodeCount) return -1;
    return this.#resolve(node, i);
  }

  /**
   * Looks up an IP address given as text, allocating nothing: IPv4, IPv6, or IPv4-mapped IPv6
   * (`::ffff:1.2.3.4`, looked up as IPv4 in an IPv4 tree).
   *
   * @param query The address text.
   * @returns The data offset, or -1 when no network holds the address or the text is not an
   *   IP address ({@linkcode Database.lastIpVersion} is then 0). An IPv6 address other than an
   *   IPv4-mapped one is never found in an IPv4 tree.
   * @throws {FormatError} When the search tree is corrupt along the path.
   * @example
   * ```ts
   * import { Database } from "./database.ts";
   * import assert from "node:assert/strict";
   * const db = await Database.open(new URL(
   *   "../../../shared/fixtures/mmdb/test-data/MaxMind-DB-test-ipv6-32.mmdb",
   *   import.meta.url,
   * ).pathname);
   * const offset = db.lookupIpOffset("::2:0:1");
   * assert.equal(db.lastPrefixLength, 122);
   * assert.deepEqual(db.decode(offset), { ip: "::2:0:0" });
   * ```
   */
  lookupIpOffset(query: string): number {
    const v4 = parseIpv4(query);
    // `| 0` keeps the number a small integer (no heap number is boxed for the call).
    if (v4 >= 0) return this.lookupIpv4(v4 | 0);
    if (this.#closed) this.#checkOpen();
    const b = this.#scratch;
    if (parseIpInto(query, b) !== 6) {
      this.lastIpVersion = 0;
      this.lastPrefixLength = 0;
      return -1;
    }
    if (this.#ipVersion === 6) return this.#lookupV6();
    // IPv4 tree: only IPv4-mapped addresses can be answered.
    let mapped = b[10] === 0xff && b[11] === 0xff;
    for (let i = 0; i < 10 && mapped; i++) if (b[i] !== 0) mapped = false;
    if (mapped) {
      return this.lookupIpv4((b[12] << 24) | (b[13] << 16) | (b[14] << 8) | b[15]);
    }
    this.lastIpVersion = 6;
    this.lastPrefixLength = 0;
    return -1;
  }

  /**
   * Decodes the data record at an offset returned by the allocation-free lookups. Results are
   * kept in a bounded cache and shared: maps and arrays are frozen.
   *
   * @param offset The data offset.
   * @returns The value.
   * @throws {FormatError} When the data is malformed.
   * @example
   * ```ts
   * import { Database } from "./database.ts";
   * import assert from "node:assert/strict";
   * const db = await Database.open(new URL(
   *   "../../../shared/fixtures/mmdb/test-data/MaxMind-DB-test-decoder.mmdb",
   *   import.meta.url,
   * ).pathname);
   * const v = db.decode(db.lookupIpOffset("1.1.1.1")) as Record<string, unknown>;
   * assert.equal(v.uint64, 1152921504606846976n);
   * assert.ok(Object.isFrozen(v));
   * ```
   */
  decode(offset: number): MmdbValue {
    if (this.#closed) this.#checkOpen();
    const keys = this.#cacheKeys;
    if (keys.length === 0) return this.#decoder.decode(offset);
    const bits = this.#cacheSetBits;
    const set = bits === 0 ? 0 : Math.imul(offset, 0x9e3779b1) >>> (32 - bits);
    const base = set << 2;
    for (let w = 0; w < 4; w++) {
      if (keys[base + w] === offset) {
        this.#cacheRef[base + w] = 1;
        return this.#cacheValues[base + w] as MmdbValue;
      }
    }
    const value = this.#decoder.decode(offset);
    const ref = this.#cacheRef;
    let h = this.#cacheHands[set];
    while (ref[base + h] === 1) {
      ref[base + h] = 0;
      h = (h + 1) & 3;
    }
    keys[base + h] = offset;
    this.#cacheValues[base + h] = value;
    ref[base + h] = 1;
    this.#cacheHands[set] = (h + 1) & 3;
    return value;
  }

  /**
   * Looks up a query. A query that parses as an IP address (IPv4, IPv6, IPv4-mapped IPv6) is
   * answered from the search tree; any other string is looked up as a literal and against
   * every glob pattern, and **all** matches are returned (the literal first, then the globs,
   * most specific first).
   *
   * @param query The query text.
   * @returns An {@linkcode IpResult} or a {@linkcode StringResult}, or `null` when nothing
   *   matches.
   * @throws {FormatError} When the database is corrupt along the path.
   * @example
   * ```ts
   * import { Database } from "./database.ts";
   * import assert from "node:assert/strict";
   * const db = await Database.open(new URL(
   *   "../../../shared/fixtures/mmdb/test-data/GeoIP2-City-Test.mmdb",
   *   import.meta.url,
   * ).pathname);
   * const hit = db.lookup("81.2.69.160");
   * assert.equal(hit?.kind === "ip" && hit.network, "81.2.69.160/27");
   * assert.equal(db.lookup("10.0.0.1"), null);
   * ```
   */
  lookup(query: string): IpResult | StringResult | null {
    const ip = this.#lookupIp(query);
    if (ip !== null || this.lastIpVersion !== 0) return ip;
    return this.#lookupString(query, false);
  }

  /**
   * Like {@linkcode Database.lookup} but a string query reports only the best match (the
   * literal, else the most specific glob).
   *
   * @param query The query text.
   * @returns The result with at most one match, or `null`.
   * @throws {FormatError} When the database is corrupt along the path.
   * @example
   * ```ts
   * import { Database } from "./database.ts";
   * import { DatabaseBuilder } from "./builder.ts";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("*.example.com", { tag: "glob" });
   * b.add("www.example.com", { tag: "literal" });
   * const db = Database.fromBytes(b.build());
   * assert.equal(db.lookup("www.example.com")?.kind, "string");
   * const r = db.lookupFirst("www.example.com");
   * assert.deepEqual(r?.kind === "string" && r.matches.map((m) => m.entry), ["www.example.com"]);
   * ```
   */
  lookupFirst(query: string): IpResult | StringResult | null {
    const ip = this.#lookupIp(query);
    if (ip !== null || this.lastIpVersion !== 0) return ip;
    return this.#lookupString(query, true);
  }

  /**
   * The string matcher over this file's literal and glob sections, or `null` when the file has
   * neither (a plain MaxMind DB).
   *
   * @returns The matcher (created on first use; it views the sections in place).
   * @throws {FormatError} When a section header is corrupt.
   * @example
   * ```ts
   * import { Database } from "./database.ts";
   * import { DatabaseBuilder } from "./builder.ts";
   * import { StringMatches } from "./string_match.ts";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("evil.example", { score: 9 });
   * const db = Database.fromBytes(b.build());
   * const out = new StringMatches();
   * assert.equal(db.stringMatcher()?.matchAll("evil.example", out), 1);
   * assert.deepEqual(db.decode(out.offsets[0]), { score: 9 });
   * ```
   */
  stringMatcher(): StringMatcher | null {
    if (this.#strings !== undefined) return this.#strings;
    this.#checkOpen();
    const lit = this.section("literal");
    const glob = this.section("glob");
    const where = this.metadata.sections;
    this.#strings = lit === null && glob === null ? null : StringMatcher.fromSections(lit, glob, {
      literalFileOffset: lit === null ? 0 : where["literal"].offset,
      globFileOffset: glob === null ? 0 : where["glob"].offset,
    });
    return this.#strings;
  }

  /**
   * Looks up a string (not an IP) allocating nothing: fills `out` with the data offsets of
   * every match (literal first, then globs most specific first); decode them with
   * {@linkcode Database.decode}.
   *
   * @param query The string.
   * @param out A reusable holder.
   * @returns The number of matches.
   * @example
   * ```ts
   * import { Database } from "./database.ts";
   * import { DatabaseBuilder } from "./builder.ts";
   * import { StringMatches } from "./string_match.ts";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("glob:mal*", { n: 1 });
   * const db = Database.fromBytes(b.build());
   * const out = new StringMatches();
   * assert.equal(db.lookupStringOffsets("malware", out), 1);
   * assert.deepEqual(db.decode(out.offsets[0]), { n: 1 });
   * ```
   */
  lookupStringOffsets(query: string, out: StringMatches): number {
    const m = this.#strings === undefined ? this.stringMatcher() : this.#strings;
    if (m === null) {
      out.count = 0;
      return 0;
    }
    return m.matchAll(query, out);
  }

  /**
   * Looks up a string (not an IP) allocating nothing and returns the best match's data offset
   * (the literal, else the most specific glob), or -1. What matched is left in the matcher's
   * `lastKind` and `lastEntry` (see {@linkcode Database.stringMatcher}).
   *
   * @param query The string.
   * @returns The data offset, or -1.
   * @example
   * ```ts
   * import { Database } from "./database.ts";
   * import { DatabaseBuilder } from "./builder.ts";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("glob:*.evil.com", { n: 1 });
   * const db = Database.fromBytes(b.build());
   * assert.deepEqual(db.decode(db.lookupStringOffset("a.evil.com")), { n: 1 });
   * assert.equal(db.lookupStringOffset("a.good.com"), -1);
   * ```
   */
  lookupStringOffset(query: string): number {
    const m = this.#strings === undefined ? this.stringMatcher() : this.#strings;
    return m === null ? -1 : m.matchFirst(query);
  }

  /**
   * The unified allocation-free lookup: an IP address goes to the search tree (prefix length in
   * {@linkcode Database.lastPrefixLength}), any other string to the literal and glob sections
   * (best match). Check {@linkcode Database.lastIpVersion} (0 for a string query) to tell which.
   *
   * @param query An IP address or any string.
   * @returns The data offset of the (best) match, or -1.
   * @example
   * ```ts
   * import { Database } from "./database.ts";
   * import { DatabaseBuilder } from "./builder.ts";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("10.0.0.0/8", { kind: "net" });
   * b.add("*.evil.example", { kind: "glob" });
   * const db = Database.fromBytes(b.build());
   * assert.deepEqual(db.decode(db.lookupOffset("10.1.2.3")), { kind: "net" });
   * assert.equal(db.lastIpVersion, 4);
   * assert.deepEqual(db.decode(db.lookupOffset("a.evil.example")), { kind: "glob" });
   * assert.equal(db.lastIpVersion, 0);
   * ```
   */
  lookupOffset(query: string): number {
    const off = this.lookupIpOffset(query);
    if (this.lastIpVersion !== 0) return off;
    const m = this.#strings === undefined ? this.stringMatcher() : this.#strings;
    return m === null ? -1 : m.matchFirst(query);
  }

  #lookupString(query: string, firstOnly: boolean): StringResult | null {
    const m = this.stringMatcher();
    if (m === null) return null;
    const out = this.#stringHits;
    if (firstOnly) {
      const off = m.matchFirst(query);
      out.count = 0;
      if (off >= 0) out.push(m.lastKind, m.lastEntry, off);
    } else {
      m.matchAll(query, out);
    }
    if (out.count === 0) return null;
    const matches: StringMatch[] = [];
    for (let i = 0; i < out.count; i++) {
      const kind = out.kinds[i];
      matches.push({
        kind: kind === MATCH_LITERAL ? "literal" : "glob",
        entry: m.text(kind, out.entries[i]),
        data: this.decode(out.offsets[i]),
      });
    }
    return { kind: "string", data: matches[0].data, matches };
  }

  #lookupIp(query: string): IpResult | null {
    const offset = this.lookupIpOffset(query);
    if (offset < 0) return null;
    const prefixLength = this.lastPrefixLength;
    let network: string;
    if (this.lastIpVersion === 4) {
      // Mask and format from the number: no byte arrays on this path.
      const m = prefixLength === 0 ? 0 : this.#lastV4 & (-1 << (32 - prefixLength));
      network = `${m >>> 24}.${(m >>> 16) & 255}.${(m >>> 8) & 255}.${m & 255}/${prefixLength}`;
    } else {
      network = formatNetwork(this.#scratch, prefixLength);
    }
    return { kind: "ip", data: this.decode(offset), network, prefixLength };
  }

  /**
   * Returns the bytes of an extension section named in the metadata (the mxy record's `sections`).
   *
   * @param name The section name, e.g. `"literal"`.
   * @returns A view of the section (8-byte aligned), or `null` when the file has none.
   * @example
   * ```ts
   * import { Database } from "./database.ts";
   * import assert from "node:assert/strict";
   * const db = await Database.open(new URL(
   *   "../../../shared/fixtures/mmdb/test-data/GeoIP2-ISP-Test.mmdb",
   *   import.meta.url,
   * ).pathname);
   * assert.equal(db.section("literal"), null);
   * ```
   */
  section(name: string): Uint8Array | null {
    this.#checkOpen();
    const loc = Object.hasOwn(this.metadata.sections, name) ? this.metadata.sections[name] : null;
    return loc ? this.#u8.subarray(loc.offset, loc.offset + loc.length) : null;
  }

  /**
   * Releases the file (unmaps it). Any later call on the database throws a `TypeError`.
   *
   * @example
   * ```ts
   * import { Database } from "./database.ts";
   * import assert from "node:assert/strict";
   * const db = await Database.open(new URL(
   *   "../../../shared/fixtures/mmdb/test-data/GeoIP2-ISP-Test.mmdb",
   *   import.meta.url,
   * ).pathname);
   * db.close();
   * assert.throws(() => db.lookup("1.2.3.4"), TypeError);
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#u8 = new Uint8Array(0);
    this.#mapped = null;
  }
}
