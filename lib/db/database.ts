/**
 * The query engine: a MaxMind DB or `.mxy` file held in memory (given as bytes, in any
 * JavaScript runtime; `openDatabase` of `@mxy/mxy/deno` reads or maps a file), answering IP
 * addresses and strings, with an allocation-free path for hot loops.
 *
 * @module
 */
import { FormatError } from "../format/format_error.ts";
import { type DatabaseLayout, type Metadata, readLayout } from "../format/metadata.ts";
import { MmdbDecoder } from "../format/mmdb_decoder.ts";
import type { MmdbValue } from "../format/value.ts";
import { formatNetwork, parseIpInto } from "../core/ip.ts";
import { sharedCopy } from "../core/shared_copy.ts";
import { DatabaseError } from "./database_error.ts";
import * as tree from "../format/search_tree.ts";
import {
  MATCH_LITERAL,
  type StringMatch,
  StringMatcher,
  type StringMatcherChecks,
  StringMatches,
  type StringResult,
} from "./string_match.ts";

// Module-local copies of the search tree's record layout for the lookup loops.
const NODE_BYTES_24 = tree.NODE_BYTES_24;
const RECORD_BYTES_24 = tree.RECORD_BYTES_24;
const NODE_BYTES_28 = tree.NODE_BYTES_28;
const SHARED_BYTE_28 = tree.SHARED_BYTE_28;
const NODE_BYTES_32 = tree.NODE_BYTES_32;
const RECORD_BYTES_32 = tree.RECORD_BYTES_32;
// The data section follows the tree and a 16-byte separator: a record value above the node
// count is the data offset plus the node count plus this.
const SEPARATOR = 16;
const EMPTY = new Uint8Array(0);
// The IPv4 jump table covers the first bits of an address: between JUMP_MIN_BITS and
// JUMP_MAX_BITS, as many as the tree has nodes (log2, so the table is never larger than the tree:
// 4–5 bytes an entry against 6–8 a node). It is built after JUMP_AFTER lookups, so a handful of
// queries never pays for it (about 1 ms and 256 KiB at 16 bits, 15 ms and 4 MiB at 20).
const JUMP_MIN_BITS = 16;
const JUMP_MAX_BITS = 20;
const JUMP_AFTER = 4096;
// The first bits of an IPv6 address whose node the last walk past them keeps (see #lookupV6).
const V6_TOP_BITS = 32;
// The packed jump table: one 32-bit entry per prefix, the node or record in the low
// JUMP_DEPTH_SHIFT bits and the depth walked above them (one load, not two; used when every
// entry fits, i.e. for tree and data sections under 128 MiB).
const JUMP_DEPTH_SHIFT = 27;
const JUMP_NODE_MASK = (1 << JUMP_DEPTH_SHIFT) - 1;
// Dotted-quad text (lookupIpOffset's own parse: see #lookupV4Text).
const CH_0 = 48;
const CH_DOT = 46;
const MIN_V4_TEXT = 7; // 0.0.0.0
const MAX_V4_TEXT = 15; // 255.255.255.255
const NOT_IPV4 = -2;

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

/**
 * How a database's bytes were obtained: memory-mapped from a file (`"mmap"`), read from a file
 * into one buffer (`"read"`), or given by the caller (`"bytes"`).
 */
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
   * How the caller obtained the bytes, as {@linkcode Database.mapMode} reports it. Default
   * `"bytes"`; `openDatabase` sets `"mmap"` or `"read"`.
   */
  mapMode?: DatabaseMapMode;
  /**
   * Most values one record may decode to (a value shared through pointers counts once); more
   * is a `FormatError` with code `too-large`. Default: no limit.
   */
  maxValues?: number;
  /**
   * What another thread's database over the same shared bytes checked and built
   * ({@linkcode Database.shareChecks}): this one does not check the string sections again nor
   * rebuild the IPv4 jump table. Accepted only with bytes viewing the very `SharedArrayBuffer`
   * range the checks name (post the buffer and the checks in one message); the bytes must never
   * change (shared read-only). A file opened without it is checked as always.
   */
  checked?: DatabaseChecks;
}

/**
 * What a {@linkcode Database} over bytes in a `SharedArrayBuffer` has checked and built, for
 * databases on other threads over the same bytes ({@linkcode DatabaseOptions.checked}), from
 * {@linkcode Database.shareChecks}. Plain data: it goes through `postMessage`, and its tables
 * stay shared.
 */
export interface DatabaseChecks {
  /** The buffer of the checked bytes: the checks hold for it alone. */
  buffer: SharedArrayBuffer;
  /** Where the checked bytes start in the buffer. */
  byteOffset: number;
  /** The checked bytes' length. */
  byteLength: number;
  /**
   * The IPv4 jump table (shared): its bits, and per prefix the node reached and its depth —
   * packed in one entry each (`packed`) when every node fits beside its depth, else in two
   * arrays.
   */
  jump:
    | { bits: number; packed: Uint32Array }
    | { bits: number; nodes: Uint32Array; depths: Uint8Array }
    | null;
  /**
   * The glob section's checked state and query-time tables (shared; opaque), or null when there
   * is no glob section.
   */
  globs: object | null;
}

/** Options for {@linkcode Database.lookupStringSpan}. */
export interface LookupSpanOptions {
  /** Report the best match only: the literal, else the most specific glob. Default `false`. */
  first?: boolean;
}

// The friend access behind stringMatcherOf(), set by the class's static block.
let matcherOf: (db: Database) => StringMatcher | null;

/**
 * A MaxMind DB (or `.mxy`) database opened for queries.
 *
 * Lookups come in two flavours:
 * - {@linkcode Database.lookup} returns an {@linkcode IpResult} or a {@linkcode StringResult};
 * - {@linkcode Database.lookupIpv4}, {@linkcode Database.lookupIpOffset} and the string
 *   offsets allocate nothing: they return the data offset (or -1) and leave the prefix length
 *   in {@linkcode Database.lastPrefixLength}; {@linkcode Database.decode} turns an offset into
 *   a value through a bounded cache (cached values are frozen and shared).
 *
 * Corrupt files raise {@linkcode FormatError} (never another error) from any method. After
 * {@linkcode Database.close} every method and getter throws a {@linkcode DatabaseError} with
 * code `closed`.
 *
 * @example
 * ```ts
 * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * const b = new DatabaseBuilder({ buildEpoch: 1 });
 * b.add("1.1.1.2/31", { ip: "1.1.1.2" });
 * b.add("*.evil.example", { tag: "glob" });
 * const db = Database.fromBytes(b.build());
 * const hit = db.lookup("1.1.1.3");
 * assert.equal(hit?.kind === "ip" && hit.network, "1.1.1.2/31");
 * assert.deepEqual(hit?.data, { ip: "1.1.1.2" });
 * assert.deepEqual(db.lookup("www.evil.example")?.data, { tag: "glob" });
 * ```
 */
export class Database {
  #metadata: Metadata;
  #layout: DatabaseLayout;
  #mapMode: DatabaseMapMode;
  #prefixLength = 0;
  #ipVersionAnswered: 0 | 4 | 6 = 0;
  #u8: Uint8Array;
  #closed = false;
  readonly #nodeCount: number;
  readonly #recordSize: number;
  readonly #ipVersion: number;
  readonly #dataSize: number;
  #ipv4Start = 0;
  #decoder: MmdbDecoder;
  readonly #scratch = new Uint8Array(16);
  // The IPv6 walk's start: the first 32 bits of the last address whose walk went past them, and
  // the node they lead to (-1: none yet).
  #v6TopBits = 0;
  #v6TopNode = -1;
  #lastV4 = 0;
  #v4Lookups = 0;
  #jumpNode: Uint32Array | null = null;
  #jumpDepth: Uint8Array | null = null;
  #jumpPacked: Uint32Array | null = null;
  #jumpBits = JUMP_MIN_BITS;
  // Clock cache of decoded values.
  // 4-way set-associative, CLOCK (second chance) within each set; no Map on the hot path.
  readonly #cacheSetBits: number;
  readonly #cacheKeys: Float64Array;
  readonly #cacheRef: Uint8Array;
  readonly #cacheHands: Uint8Array;
  #cacheValues: (MmdbValue | undefined)[];
  // String matching over the literal and glob sections (created on first use).
  #strings: StringMatcher | null | undefined = undefined;
  readonly #stringHits = new StringMatches();

  static {
    matcherOf = (db) => db.#stringMatcher();
  }

  private constructor(bytes: Uint8Array, options: DatabaseOptions) {
    this.#u8 = bytes;
    this.#mapMode = options.mapMode ?? "bytes";
    this.#layout = readLayout(bytes);
    this.#metadata = this.#layout.metadata;
    this.#nodeCount = this.#metadata.nodeCount;
    this.#recordSize = this.#metadata.recordSize;
    this.#ipVersion = this.#metadata.ipVersion;
    this.#dataSize = this.#layout.dataEnd - this.#layout.dataStart;
    this.#decoder = new MmdbDecoder(bytes, {
      start: this.#layout.dataStart,
      end: this.#layout.dataEnd,
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
    if (options.checked !== undefined) this.#adoptChecks(options.checked);
  }

  // Takes another thread's checks of these very bytes (see DatabaseOptions.checked).
  #adoptChecks(c: DatabaseChecks): void {
    const u8 = this.#u8;
    if (
      !(u8.buffer instanceof SharedArrayBuffer) || c.buffer !== u8.buffer ||
      c.byteOffset !== u8.byteOffset || c.byteLength !== u8.byteLength
    ) {
      throw new DatabaseError(
        "bad-checks",
        "Cannot take the checks: they were made for other bytes (post the SharedArrayBuffer " +
          "and the checks in one message)",
      );
    }
    const jump = c.jump;
    if (jump !== null) {
      const size = 1 << jump.bits;
      const fits = "packed" in jump
        ? jump.packed.length === size
        : jump.nodes.length === size && jump.depths.length === size;
      if (!fits) {
        throw new DatabaseError("bad-checks", "Cannot take the checks: bad IPv4 jump table");
      }
      this.#jumpBits = jump.bits;
      if ("packed" in jump) this.#jumpPacked = jump.packed;
      else {
        this.#jumpNode = jump.nodes;
        this.#jumpDepth = jump.depths;
      }
    }
    this.#strings = this.#openStrings((c.globs ?? undefined) as StringMatcherChecks | undefined);
  }

  /**
   * What this database has checked and built, for databases over the same bytes on other
   * threads to skip it ({@linkcode DatabaseOptions.checked}): the glob section's checks and the
   * IPv4 jump table (done now if not yet), shared. The bytes must view a `SharedArrayBuffer`
   * and must never change afterwards.
   *
   * @returns The checks, to post to workers with the buffer.
   * @throws {DatabaseError} With code `bad-checks` when the bytes are not in a
   * `SharedArrayBuffer`.
   * @throws {FormatError} When the glob section is corrupt.
   * @example
   * ```ts
   * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("10.0.0.0/8", { n: 1 });
   * b.add("glob:*.evil.example", { n: 2 });
   * const built = b.build();
   * const bytes = new Uint8Array(new SharedArrayBuffer(built.length));
   * bytes.set(built);
   * const checks = Database.fromBytes(bytes).shareChecks();
   * // on another thread: the buffer and the checks arrive in one message
   * const db = Database.fromBytes(new Uint8Array(checks.buffer), { checked: checks });
   * assert.deepEqual(db.lookup("a.evil.example")?.data, { n: 2 });
   * assert.deepEqual(db.lookup("10.1.2.3")?.data, { n: 1 });
   * ```
   */
  shareChecks(): DatabaseChecks {
    if (this.#closed) this.#throwClosed("shareChecks");
    const u8 = this.#u8;
    if (!(u8.buffer instanceof SharedArrayBuffer)) {
      throw new DatabaseError(
        "bad-checks",
        "Cannot share the checks: the bytes are not in a SharedArrayBuffer",
      );
    }
    if (this.#jumpNode === null && this.#jumpPacked === null) this.#buildJump();
    const bits = this.#jumpBits;
    const jump: DatabaseChecks["jump"] = this.#jumpPacked !== null
      ? { bits, packed: sharedCopy(this.#jumpPacked) }
      : { bits, nodes: sharedCopy(this.#jumpNode!), depths: sharedCopy(this.#jumpDepth!) };
    const globs = this.#stringMatcher()?.checks() ?? null;
    return { buffer: u8.buffer, byteOffset: u8.byteOffset, byteLength: u8.byteLength, jump, globs };
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
   * import { Database, FormatError } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * assert.throws(() => Database.fromBytes(new Uint8Array(100)), FormatError);
   * ```
   */
  static fromBytes(bytes: Uint8Array, options: DatabaseOptions = {}): Database {
    const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
    return new Database(aligned, options);
  }

  /**
   * The typed metadata.
   *
   * @example
   * ```ts
   * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1, databaseType: "My-IOCs" });
   * b.add("192.0.2.0/24", { tag: "doc" });
   * const db = Database.fromBytes(b.build());
   * assert.equal(db.metadata.databaseType, "My-IOCs");
   * assert.equal(db.metadata.ipVersion, 4);
   * ```
   */
  get metadata(): Metadata {
    if (this.#closed) this.#throwClosed("metadata");
    return this.#metadata;
  }

  /**
   * Where the tree, data section and metadata are.
   *
   * @example
   * ```ts
   * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("192.0.2.0/24", { tag: "doc" });
   * const db = Database.fromBytes(b.build());
   * assert.equal(db.layout.dataStart, db.layout.treeSize + 16);
   * ```
   */
  get layout(): DatabaseLayout {
    if (this.#closed) this.#throwClosed("layout");
    return this.#layout;
  }

  /**
   * How the bytes were obtained: `"mmap"`, `"read"` (a file read into one buffer) or
   * `"bytes"` (given by the caller).
   *
   * @example
   * ```ts
   * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const db = Database.fromBytes(new DatabaseBuilder({ buildEpoch: 1 }).build());
   * assert.equal(db.mapMode, "bytes");
   * ```
   */
  get mapMode(): DatabaseMapMode {
    if (this.#closed) this.#throwClosed("mapMode");
    return this.#mapMode;
  }

  /**
   * Prefix length of the network matched (or not) by the last allocation-free lookup.
   *
   * @example
   * ```ts
   * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("10.0.0.0/8", { n: 1 });
   * const db = Database.fromBytes(b.build());
   * db.lookupIpOffset("10.2.3.4");
   * assert.equal(db.lastPrefixLength, 8);
   * ```
   */
  get lastPrefixLength(): number {
    if (this.#closed) this.#throwClosed("lastPrefixLength");
    return this.#prefixLength;
  }

  /**
   * Address family the last allocation-free lookup was answered in: 4 (IPv4 query, or an
   * IPv4-mapped query in an IPv4 tree), 6, or 0 when the text was not an IP address.
   *
   * @example
   * ```ts
   * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("10.0.0.0/8", { n: 1 });
   * const db = Database.fromBytes(b.build());
   * db.lookupIpOffset("::ffff:10.1.2.3");
   * assert.equal(db.lastIpVersion, 4);
   * db.lookupIpOffset("not an address");
   * assert.equal(db.lastIpVersion, 0);
   * ```
   */
  get lastIpVersion(): 0 | 4 | 6 {
    if (this.#closed) this.#throwClosed("lastIpVersion");
    return this.#ipVersionAnswered;
  }

  /**
   * The file's bytes (a view onto the mapping when memory-mapped). A view taken before
   * {@linkcode Database.close} stays valid after it.
   *
   * @example
   * ```ts
   * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const file = new DatabaseBuilder({ buildEpoch: 1 }).build();
   * const db = Database.fromBytes(file);
   * assert.equal(db.bytes.length, file.length);
   * ```
   */
  get bytes(): Uint8Array {
    if (this.#closed) this.#throwClosed("bytes");
    return this.#u8;
  }

  /**
   * Whether {@linkcode Database.close} was called: every other method and getter then throws
   * a {@linkcode DatabaseError} with code `closed`. For code that keeps answers of its own
   * (memos, filters) and must not answer for a closed database.
   *
   * @example
   * ```ts
   * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("1.2.3.4", { n: 1 });
   * const db = Database.fromBytes(b.build());
   * assert.equal(db.closed, false);
   * db.close();
   * assert.equal(db.closed, true);
   * ```
   */
  get closed(): boolean {
    return this.#closed;
  }

  #throwClosed(what: string): never {
    throw new DatabaseError("closed", `Cannot use ${what}: the database is closed`);
  }

  /** Reads a record; `node` must be below the node count. */
  #record(node: number, bit: number): number {
    const u8 = this.#u8;
    const rs = this.#recordSize;
    if (rs === 24) {
      const o = node * NODE_BYTES_24 + bit * RECORD_BYTES_24;
      return (u8[o] << 16) | (u8[o + 1] << 8) | u8[o + 2];
    }
    if (rs === 28) {
      const o = node * NODE_BYTES_28;
      if (bit === 0) {
        return ((u8[o + SHARED_BYTE_28] & 0xf0) << 20) | (u8[o] << 16) | (u8[o + 1] << 8) |
          u8[o + 2];
      }
      return ((u8[o + SHARED_BYTE_28] & 0x0f) << 24) | (u8[o + 4] << 16) | (u8[o + 5] << 8) |
        u8[o + 6];
    }
    const o = node * NODE_BYTES_32 + bit * RECORD_BYTES_32;
    return u8[o] * 16777216 + ((u8[o + 1] << 16) | (u8[o + 2] << 8) | u8[o + 3]);
  }

  /** Turns the record that ended a walk into a data offset or -1. */
  #resolve(node: number, depth: number): number {
    const nodeCount = this.#nodeCount;
    if (node === nodeCount) return -1;
    if (node > nodeCount) {
      const offset = node - nodeCount - SEPARATOR;
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
   * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("1.1.1.16/28", { ip: "1.1.1.16" });
   * const db = Database.fromBytes(b.build());
   * const offset = db.lookupIpv4(0x01010110); // 1.1.1.16
   * assert.ok(offset >= 0);
   * assert.equal(db.lastPrefixLength, 28);
   * assert.deepEqual(db.decode(offset), { ip: "1.1.1.16" });
   * assert.equal(db.lookupIpv4(0x7f000001), -1);
   * ```
   */
  lookupIpv4(address: number): number {
    if (this.#closed) this.#throwClosed("lookupIpv4()");
    // The walk below is #walkV4's, written out again on purpose: calling #walkV4 from here
    // measured 12% slower on CPU-bound lookups (bench/ip_report.ts), and this is the hottest path.
    this.#lastV4 = address;
    this.#ipVersionAnswered = 4;
    const u8 = this.#u8;
    const nodeCount = this.#nodeCount;
    let node = this.#ipv4Start;
    let i = 0;
    // After a few lookups, the first bits are one read of the jump table (packed; unpacked, a
    // second read, of the depth, when a record ended the walk before them).
    const packed = this.#jumpPacked;
    if (packed !== null) {
      const e = packed[address >>> (32 - this.#jumpBits)];
      node = e & JUMP_NODE_MASK;
      i = e >>> JUMP_DEPTH_SHIFT;
    } else if (this.#jumpNode !== null) {
      const bits = this.#jumpBits;
      const top = address >>> (32 - bits);
      node = this.#jumpNode[top];
      i = node < nodeCount ? bits : this.#jumpDepth![top];
    } else if (++this.#v4Lookups === JUMP_AFTER) this.#buildJump();
    switch (this.#recordSize) {
      case 24:
        for (; i < 32 && node < nodeCount; i++) {
          const o = node * NODE_BYTES_24 + ((address >>> (31 - i)) & 1) * RECORD_BYTES_24;
          node = (u8[o] << 16) | (u8[o + 1] << 8) | u8[o + 2];
        }
        break;
      case 28:
        for (; i < 32 && node < nodeCount; i++) {
          const o = node * NODE_BYTES_28;
          if (((address >>> (31 - i)) & 1) === 0) {
            node = ((u8[o + SHARED_BYTE_28] & 0xf0) << 20) | (u8[o] << 16) | (u8[o + 1] << 8) |
              u8[o + 2];
          } else {
            node = ((u8[o + SHARED_BYTE_28] & 0x0f) << 24) | (u8[o + 4] << 16) |
              (u8[o + 5] << 8) | u8[o + 6];
          }
        }
        break;
      default:
        for (; i < 32 && node < nodeCount; i++) {
          const o = node * NODE_BYTES_32 + ((address >>> (31 - i)) & 1) * RECORD_BYTES_32;
          node = u8[o] * 16777216 + ((u8[o + 1] << 16) | (u8[o + 2] << 8) | u8[o + 3]);
        }
    }
    this.#prefixLength = i;
    if (node === nodeCount) return -1;
    return this.#resolve(node, i);
  }

  /** Walks an IPv4 address from `node` at depth `i` (the tree's IPv4 start at 0). */
  #walkV4(address: number, node: number, i: number): number {
    this.#lastV4 = address;
    this.#ipVersionAnswered = 4;
    const u8 = this.#u8;
    const nodeCount = this.#nodeCount;
    switch (this.#recordSize) {
      case 24:
        for (; i < 32 && node < nodeCount; i++) {
          const o = node * NODE_BYTES_24 + ((address >>> (31 - i)) & 1) * RECORD_BYTES_24;
          node = (u8[o] << 16) | (u8[o + 1] << 8) | u8[o + 2];
        }
        break;
      case 28:
        for (; i < 32 && node < nodeCount; i++) {
          const o = node * NODE_BYTES_28;
          if (((address >>> (31 - i)) & 1) === 0) {
            node = ((u8[o + SHARED_BYTE_28] & 0xf0) << 20) | (u8[o] << 16) | (u8[o + 1] << 8) |
              u8[o + 2];
          } else {
            node = ((u8[o + SHARED_BYTE_28] & 0x0f) << 24) | (u8[o + 4] << 16) |
              (u8[o + 5] << 8) | u8[o + 6];
          }
        }
        break;
      default:
        for (; i < 32 && node < nodeCount; i++) {
          const o = node * NODE_BYTES_32 + ((address >>> (31 - i)) & 1) * RECORD_BYTES_32;
          node = u8[o] * 16777216 + ((u8[o + 1] << 16) | (u8[o + 2] << 8) | u8[o + 3]);
        }
    }
    this.#prefixLength = i;
    if (node === nodeCount) return -1;
    return this.#resolve(node, i);
  }

  /**
   * Looks up dotted-quad text, parsed as `parseIpv4` of lib/core/ip.ts parses it (four decimal
   * octets 0–255, no leading zeros, nothing else): returns NOT_IPV4 when the text is not one.
   * Parse and walk are fused: the jump table is read as soon as the first three octets are
   * known, so that its cache miss overlaps the parse of the last octet (whose branches, on
   * random addresses, are mispredicted: a mispredicted branch discards the work after it, not
   * a load issued before it).
   */
  #lookupV4Text(t: string): number {
    const n = t.length;
    if (n < MIN_V4_TEXT || n > MAX_V4_TEXT) return NOT_IPV4;
    // The first three octets without branches (their lengths are random on random addresses:
    // branches on them mispredict, and each misprediction delays the jump table's load). Each
    // octet reads its three first characters; `bad` collects every reason to reject, checked
    // once. A valid text has at least 3 characters from the start of each of these octets on,
    // so its reads stay inside the text; a dot read at the end (an invalid text) is moved one
    // back, onto a digit.
    let i = 0;
    let high = 0;
    let bad = 0;
    for (let part = 0; part < 3; part++) {
      if (i + 2 >= n) return NOT_IPV4;
      const d0 = t.charCodeAt(i) - CH_0;
      const d1 = t.charCodeAt(i + 1) - CH_0;
      const d2 = t.charCodeAt(i + 2) - CH_0;
      // 1 for a digit: d and 9 - d both non-negative
      const g0 = ((d0 | (9 - d0)) >>> 31) ^ 1;
      const g1 = ((d1 | (9 - d1)) >>> 31) ^ 1;
      const g2 = (((d2 | (9 - d2)) >>> 31) ^ 1) & g1;
      const m1 = -g1, m2 = -g2;
      let v = d0 ^ ((d0 ^ (d0 * 10 + d1)) & m1);
      v = v ^ ((v ^ (d0 * 100 + d1 * 10 + d2)) & m2);
      const end = i + 1 + g1 + g2;
      const dot = t.charCodeAt(end - ((n - 1 - end) >>> 31));
      // not a digit first; a leading zero; above 255; no dot after it
      bad |= (g0 ^ 1) | (g1 & ((d0 - 1) >>> 31)) | ((255 - v) >>> 31) | (dot ^ CH_DOT);
      high = (high << 8) | (v & 255);
      i = end + 1;
    }
    if (bad !== 0) return NOT_IPV4;
    // the jump table (packed: the unpacked one is lookupIpv4's); bits <= 24: the three octets
    // hold the index
    const packed = this.#jumpPacked;
    let e = 0;
    if (packed !== null) e = packed[high >>> (24 - this.#jumpBits)];
    // the last octet: 1–3 digits up to the end (charCodeAt past the end is NaN: not a digit)
    let v = t.charCodeAt(i++) - CH_0;
    if (!(v >= 0 && v <= 9)) return NOT_IPV4;
    if (i < n) {
      if (v === 0) return NOT_IPV4;
      let c = t.charCodeAt(i++) - CH_0;
      if (!(c >= 0 && c <= 9)) return NOT_IPV4;
      v = v * 10 + c;
      if (i < n) {
        c = t.charCodeAt(i++) - CH_0;
        if (!(c >= 0 && c <= 9) || i !== n) return NOT_IPV4;
        v = v * 10 + c;
        if (v > 255) return NOT_IPV4;
      }
    }
    const address = (high << 8) | v;
    if (packed === null) return this.lookupIpv4(address);
    const node = e & JUMP_NODE_MASK;
    const depth = e >>> JUMP_DEPTH_SHIFT;
    if (node < this.#nodeCount) return this.#walkV4(address, node, depth);
    // most walks end in the jump table: answered here, without the call
    this.#lastV4 = address;
    this.#ipVersionAnswered = 4;
    this.#prefixLength = depth;
    return this.#resolve(node, depth);
  }

  // The jump table: for each value of an IPv4 address's first bits, the node (or record) the
  // walk reaches after them, and how many bits it walked (fewer when a record ends it).
  #buildJump(): void {
    const nodeCount = this.#nodeCount;
    let bits = JUMP_MIN_BITS;
    while (bits < JUMP_MAX_BITS && nodeCount >= 2 << bits) bits++;
    const nodes = new Uint32Array(1 << bits);
    const depths = new Uint8Array(1 << bits);
    // level by level, in place: entry i of level d becomes entries 2i and 2i + 1 of level d + 1
    // (from the last down, so no entry is overwritten before it is read); a record that ends a
    // walk early is copied down with the depth it ended at
    // (the records read in line: this runs once, mostly before V8 has compiled it, where a call
    // per record costs more than the read)
    const u8 = this.#u8;
    const rs = this.#recordSize;
    nodes[0] = this.#ipv4Start;
    for (let d = 0; d < bits; d++) {
      for (let i = (1 << d) - 1; i >= 0; i--) {
        const node = nodes[i];
        if (node >= nodeCount) {
          const depth = depths[i];
          nodes[2 * i] = nodes[2 * i + 1] = node;
          depths[2 * i] = depths[2 * i + 1] = depth;
          continue;
        }
        if (rs === 24) {
          const o = node * NODE_BYTES_24;
          nodes[2 * i] = (u8[o] << 16) | (u8[o + 1] << 8) | u8[o + 2];
          nodes[2 * i + 1] = (u8[o + 3] << 16) | (u8[o + 4] << 8) | u8[o + 5];
        } else if (rs === 28) {
          const o = node * NODE_BYTES_28;
          const shared = u8[o + SHARED_BYTE_28];
          nodes[2 * i] = ((shared & 0xf0) << 20) | (u8[o] << 16) | (u8[o + 1] << 8) | u8[o + 2];
          nodes[2 * i + 1] = ((shared & 0x0f) << 24) | (u8[o + 4] << 16) | (u8[o + 5] << 8) |
            u8[o + 6];
        } else {
          nodes[2 * i + 1] = this.#record(node, 1);
          nodes[2 * i] = this.#record(node, 0);
        }
        depths[2 * i] = depths[2 * i + 1] = d + 1;
      }
    }
    this.#jumpBits = bits;
    this.#jumpNode = nodes;
    this.#jumpDepth = depths;
    this.#packJump();
  }

  // Packs the jump table into one array when every node and record fits beside its depth.
  #packJump(): void {
    const nodes = this.#jumpNode!, depths = this.#jumpDepth!;
    const packed = new Uint32Array(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      if (nodes[i] > JUMP_NODE_MASK) return;
      packed[i] = (nodes[i] | (depths[i] << JUMP_DEPTH_SHIFT)) >>> 0;
    }
    this.#jumpPacked = packed;
    // the unpacked table is no longer read
    this.#jumpNode = null;
    this.#jumpDepth = null;
  }

  /**
   * Walks 128 bits of `this.#scratch` from the root of an IPv6 tree. The node reached after the
   * first 32 bits is kept with those bits: addresses of one /32 (a provider's, `2001:db8::/32`)
   * follow one another in logs, and the next of them starts its walk there.
   */
  #lookupV6(): number {
    const b = this.#scratch;
    const nodeCount = this.#nodeCount;
    this.#ipVersionAnswered = 6;
    const top = (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
    let node = 0;
    let i = 0;
    if (top === this.#v6TopBits && this.#v6TopNode >= 0) {
      node = this.#v6TopNode;
      i = V6_TOP_BITS;
    } else {
      for (; i < V6_TOP_BITS && node < nodeCount; i++) {
        node = this.#record(node, (b[i >> 3] >> (7 - (i & 7))) & 1);
      }
      if (node < nodeCount) {
        this.#v6TopBits = top;
        this.#v6TopNode = node;
      }
    }
    for (; i < 128 && node < nodeCount; i++) {
      node = this.#record(node, (b[i >> 3] >> (7 - (i & 7))) & 1);
    }
    this.#prefixLength = i;
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
   * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("::2:0:0/122", { ip: "::2:0:0" });
   * const db = Database.fromBytes(b.build());
   * const offset = db.lookupIpOffset("::2:0:1");
   * assert.equal(db.lastPrefixLength, 122);
   * assert.deepEqual(db.decode(offset), { ip: "::2:0:0" });
   * ```
   */
  lookupIpOffset(query: string): number {
    if (this.#closed) this.#throwClosed("lookupIpOffset()");
    const v4 = this.#lookupV4Text(query);
    if (v4 !== NOT_IPV4) return v4;
    const b = this.#scratch;
    if (parseIpInto(query, b) !== 6) {
      this.#ipVersionAnswered = 0;
      this.#prefixLength = 0;
      return -1;
    }
    if (this.#ipVersion === 6) return this.#lookupV6();
    // IPv4 tree: only IPv4-mapped addresses can be answered.
    let mapped = b[10] === 0xff && b[11] === 0xff;
    for (let i = 0; i < 10 && mapped; i++) if (b[i] !== 0) mapped = false;
    if (mapped) {
      return this.lookupIpv4((b[12] << 24) | (b[13] << 16) | (b[14] << 8) | b[15]);
    }
    this.#ipVersionAnswered = 6;
    this.#prefixLength = 0;
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
   * import { Database, DatabaseBuilder, typed } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("1.1.1.0/24", { uint64: typed("uint64", 1152921504606846976n) });
   * const db = Database.fromBytes(b.build());
   * const v = db.decode(db.lookupIpOffset("1.1.1.1")) as Record<string, unknown>;
   * assert.equal(v.uint64, 1152921504606846976n);
   * assert.ok(Object.isFrozen(v));
   * ```
   */
  decode(offset: number): MmdbValue {
    if (this.#closed) this.#throwClosed("decode()");
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
   * Reads one field of the data record at an offset without decoding the record: the path's
   * map keys are compared in place and the fields before the wanted one skipped (as
   * mmdblookup's data path, or libmaxminddb's `MMDB_aget_value`). Only the field's value is
   * decoded, through the same bounded cache as {@linkcode Database.decode}: a string or number
   * seen before allocates nothing.
   *
   * @param offset A data offset from a lookup (-1 gives `undefined`).
   * @param path Map keys and array indexes (negative ones count from the end), e.g.
   *   `["country", "iso_code"]` or `["subdivisions", 0, "names", "en"]`.
   * @returns The value, or `undefined` when the record has no such field.
   * @throws {FormatError} When the data is malformed.
   * @example
   * ```ts
   * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("81.2.69.0/24", { country: { iso_code: "GB" }, subdivisions: [{ iso_code: "ENG" }] });
   * const db = Database.fromBytes(b.build());
   * const offset = db.lookupIpOffset("81.2.69.160");
   * assert.equal(db.get(offset, ["country", "iso_code"]), "GB");
   * assert.equal(db.get(offset, ["subdivisions", -1, "iso_code"]), "ENG");
   * assert.equal(db.get(offset, ["city"]), undefined);
   * ```
   */
  get(offset: number, path: readonly (string | number)[]): MmdbValue | undefined {
    if (this.#closed) this.#throwClosed("get()");
    if (offset < 0) return undefined;
    const at = this.#decoder.find(offset, path);
    if (at < 0) return undefined;
    // a short string (a country code): from the decoder's table of strings, without a decode
    return this.#decoder.shortString(at) ?? this.decode(at);
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
   * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("81.2.69.160/27", { city: "London" });
   * const db = Database.fromBytes(b.build());
   * const hit = db.lookup("81.2.69.170");
   * assert.equal(hit?.kind === "ip" && hit.network, "81.2.69.160/27");
   * assert.equal(db.lookup("10.0.0.1"), null);
   * ```
   */
  lookup(query: string): IpResult | StringResult | null {
    const ip = this.#lookupIp(query);
    if (ip !== null || this.#ipVersionAnswered !== 0) return ip;
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
   * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
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
    if (ip !== null || this.#ipVersionAnswered !== 0) return ip;
    return this.#lookupString(query, true);
  }

  // The string matcher over this file's literal and glob sections, or null when the file has
  // neither (a plain MaxMind DB); created on first use, viewing the sections in place.
  #stringMatcher(): StringMatcher | null {
    if (this.#closed) this.#throwClosed("the string matcher");
    if (this.#strings !== undefined) return this.#strings;
    this.#strings = this.#openStrings(undefined);
    return this.#strings;
  }

  #openStrings(checked: StringMatcherChecks | undefined): StringMatcher | null {
    const lit = this.section("literal");
    const glob = this.section("glob");
    const where = this.#metadata.sections;
    return lit === null && glob === null ? null : StringMatcher.fromSections(lit, glob, {
      literalFileOffset: lit === null ? 0 : where["literal"].offset,
      globFileOffset: glob === null ? 0 : where["glob"].offset,
      checked,
    });
  }

  /**
   * Looks up a string (not an IP) allocating nothing: fills `out` with the data offsets of
   * every match (literal first, then globs most specific first); decode them with
   * {@linkcode Database.decode}.
   *
   * @param query The string.
   * @param out A reusable holder.
   * @returns The number of matches.
   * @throws {FormatError} When a section is corrupt.
   * @example
   * ```ts
   * import { Database, DatabaseBuilder, StringMatches } from "@mxy/mxy/db";
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
    const m = this.#strings === undefined || this.#closed ? this.#stringMatcher() : this.#strings;
    if (m === null) {
      out.count = 0;
      return 0;
    }
    return m.matchAll(query, out);
  }

  /**
   * Looks up a string (not an IP) allocating nothing and returns the best match's data offset
   * (the literal, else the most specific glob), or -1.
   *
   * @param query The string.
   * @returns The data offset, or -1.
   * @throws {FormatError} When a section is corrupt.
   * @example
   * ```ts
   * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("glob:*.evil.com", { n: 1 });
   * const db = Database.fromBytes(b.build());
   * assert.deepEqual(db.decode(db.lookupStringOffset("a.evil.com")), { n: 1 });
   * assert.equal(db.lookupStringOffset("a.good.com"), -1);
   * ```
   */
  lookupStringOffset(query: string): number {
    const m = this.#strings === undefined || this.#closed ? this.#stringMatcher() : this.#strings;
    return m === null ? -1 : m.matchFirst(query);
  }

  /**
   * The unified allocation-free lookup: an IP address goes to the search tree (prefix length in
   * {@linkcode Database.lastPrefixLength}), any other string to the literal and glob sections
   * (best match). Check {@linkcode Database.lastIpVersion} (0 for a string query) to tell which.
   *
   * @param query An IP address or any string.
   * @returns The data offset of the (best) match, or -1.
   * @throws {FormatError} When the database is corrupt along the path.
   * @example
   * ```ts
   * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
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
    if (this.#ipVersionAnswered !== 0) return off;
    const m = this.#strings === undefined ? this.#stringMatcher() : this.#strings;
    return m === null ? -1 : m.matchFirst(query);
  }

  /**
   * Looks up an IP address given as bytes, allocating nothing: 4 bytes for IPv4, 16 for IPv6
   * (an IPv4-mapped address is answered as {@linkcode Database.lookupIpOffset} answers
   * `::ffff:1.2.3.4`: through the tree's own aliases in an IPv6 tree, as IPv4 in an IPv4 tree).
   *
   * @param address The address in network byte order: 4 or 16 bytes (only `address[0..4)` or
   *   `address[0..16)` are read).
   * @param version 4 or 6: how many bytes to read.
   * @returns The data offset, or -1 when no network holds the address.
   *   {@linkcode Database.lastPrefixLength} and {@linkcode Database.lastIpVersion} are set.
   * @throws {RangeError} When `version` is not 4 or 6 or the buffer is too short.
   * @throws {FormatError} When the search tree is corrupt along the path.
   * @example
   * ```ts
   * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("2001:db8::/32", { net: "doc6" });
   * b.add("192.0.2.0/24", { net: "doc4" });
   * const db = Database.fromBytes(b.build());
   * const v6 = new Uint8Array(16);
   * v6.set([0x20, 0x01, 0x0d, 0xb8], 0);
   * assert.deepEqual(db.decode(db.lookupIpBytes(v6, 6)), { net: "doc6" });
   * assert.equal(db.lastPrefixLength, 32);
   * assert.deepEqual(db.decode(db.lookupIpBytes(new Uint8Array([192, 0, 2, 7]), 4)), { net: "doc4" });
   * ```
   */
  lookupIpBytes(address: Uint8Array, version: 4 | 6): number {
    if (this.#closed) this.#throwClosed("lookupIpBytes()");
    const need = version === 4 ? 4 : version === 6 ? 16 : -1;
    if (need < 0 || address.length < need) {
      throw new RangeError(
        `Cannot look up an IPv${version} address in ${address.length} bytes: ` +
          "pass 4 bytes for IPv4, 16 for IPv6",
      );
    }
    if (version === 4) {
      return this.lookupIpv4(
        (address[0] << 24) | (address[1] << 16) | (address[2] << 8) | address[3],
      );
    }
    const b = this.#scratch;
    for (let i = 0; i < 16; i++) b[i] = address[i];
    if (this.#ipVersion === 6) return this.#lookupV6();
    let mapped = b[10] === 0xff && b[11] === 0xff;
    for (let i = 0; i < 10 && mapped; i++) if (b[i] !== 0) mapped = false;
    if (mapped) {
      return this.lookupIpv4((b[12] << 24) | (b[13] << 16) | (b[14] << 8) | b[15]);
    }
    this.#ipVersionAnswered = 6;
    this.#prefixLength = 0;
    return -1;
  }

  /**
   * Looks up a string given as UTF-8 bytes, `bytes[start..end)`, against the literal and glob
   * entries, allocating nothing: the bytes are case-folded as the build did (ASCII directly,
   * other characters decoded into a reused buffer), and a byte that is not valid UTF-8 reads as
   * U+FFFD, as it would after `TextDecoder`. Answers as {@linkcode Database.lookupStringOffsets}
   * answers the decoded string.
   *
   * @param bytes The text holding the query (a log line, a chunk of a file).
   * @param start First byte of the query.
   * @param end One past its last byte.
   * @param out A reusable holder for the matches.
   * @param options `{ first: true }` for the best match only (the literal, else the most
   *   specific glob).
   * @returns The number of matches (at most 1 with `first`).
   * @throws {RangeError} When the range is outside `bytes`.
   * @throws {FormatError} When a section is corrupt.
   * @example
   * ```ts
   * import { Database, DatabaseBuilder, MATCH_GLOB, StringMatches } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1, matchMode: "case-insensitive" });
   * b.add("glob:*.evil.com", { n: 1 });
   * const db = Database.fromBytes(b.build());
   * const line = new TextEncoder().encode("GET http://WWW.Evil.COM/ 200");
   * const out = new StringMatches();
   * assert.equal(db.lookupStringSpan(line, 11, 23, out), 1);
   * assert.equal(out.kinds[0], MATCH_GLOB);
   * assert.deepEqual(db.decode(out.offsets[0]), { n: 1 });
   * ```
   */
  lookupStringSpan(
    bytes: Uint8Array,
    start: number,
    end: number,
    out: StringMatches,
    options?: LookupSpanOptions,
  ): number {
    if (!(start >= 0 && start <= end && end <= bytes.length)) {
      throw new RangeError(
        `Cannot look up range ${start}..${end}: the buffer holds ${bytes.length} bytes`,
      );
    }
    const m = this.#strings === undefined || this.#closed ? this.#stringMatcher() : this.#strings;
    out.count = 0;
    if (m === null) return 0;
    if (options?.first !== true) return m.matchAllSpan(bytes, start, end, out);
    const off = m.matchFirstSpan(bytes, start, end);
    if (off >= 0) out.push(m.lastKind, m.lastEntry, off);
    return out.count;
  }

  /**
   * Looks up a string given as UTF-8 bytes against the literal entries only (see
   * {@linkcode Database.lookupStringSpan}), allocating nothing: for parent-domain matching,
   * where a glob has already had its say on the whole name.
   *
   * @param bytes The text holding the query.
   * @param start First byte of the query.
   * @param end One past its last byte.
   * @returns The literal's data offset, or -1.
   * @throws {RangeError} When the range is outside `bytes`.
   * @throws {FormatError} When a section is corrupt.
   * @example
   * ```ts
   * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("evil.com", { n: 1 });
   * const db = Database.fromBytes(b.build());
   * const text = new TextEncoder().encode("a.b.evil.com");
   * assert.equal(db.lookupLiteralSpan(text, 0, 12), -1);
   * assert.deepEqual(db.decode(db.lookupLiteralSpan(text, 4, 12)), { n: 1 });
   * ```
   */
  lookupLiteralSpan(bytes: Uint8Array, start: number, end: number): number {
    if (!(start >= 0 && start <= end && end <= bytes.length)) {
      throw new RangeError(
        `Cannot look up range ${start}..${end}: the buffer holds ${bytes.length} bytes`,
      );
    }
    const m = this.#strings === undefined || this.#closed ? this.#stringMatcher() : this.#strings;
    return m === null ? -1 : m.matchLiteralSpan(bytes, start, end);
  }

  /**
   * The text of a string entry found by the allocation-free lookups: the literal (case-folded
   * in a case-insensitive database) or the glob as written. Allocates the string.
   *
   * @param kind {@linkcode MATCH_LITERAL} or {@linkcode MATCH_GLOB} (from
   *   {@linkcode StringMatches.kinds}).
   * @param entry The entry number (from {@linkcode StringMatches.entries}).
   * @returns The entry's text.
   * @throws {RangeError} When there is no such entry.
   * @example
   * ```ts
   * import { Database, DatabaseBuilder, StringMatches } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("*.evil.com", { n: 1 });
   * const db = Database.fromBytes(b.build());
   * const out = new StringMatches();
   * db.lookupStringOffsets("a.evil.com", out);
   * assert.equal(db.stringEntry(out.kinds[0], out.entries[0]), "*.evil.com");
   * ```
   */
  stringEntry(kind: number, entry: number): string {
    const m = this.#stringMatcher();
    if (m === null) throw new RangeError(`No string entry ${entry}: the database has none`);
    return m.text(kind, entry);
  }

  #lookupString(query: string, firstOnly: boolean): StringResult | null {
    const m = this.#stringMatcher();
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
    const prefixLength = this.#prefixLength;
    let network: string;
    if (this.#ipVersionAnswered === 4) {
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
   * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("192.0.2.0/24", { n: 1 });
   * b.add("evil.example", { n: 2 });
   * const db = Database.fromBytes(b.build());
   * assert.equal(db.section("glob"), null);
   * assert.equal(db.section("literal")!.byteOffset % 8, 0);
   * ```
   */
  section(name: string): Uint8Array | null {
    if (this.#closed) this.#throwClosed("section()");
    const sections = this.#metadata.sections;
    const loc = Object.hasOwn(sections, name) ? sections[name] : null;
    return loc ? this.#u8.subarray(loc.offset, loc.offset + loc.length) : null;
  }

  /**
   * Releases the database's hold on its bytes. Every later call of a method or getter throws a
   * {@linkcode DatabaseError} with code `closed`; closing again does nothing. Views taken
   * before (such as {@linkcode Database.bytes}) stay valid: a memory mapping is released only
   * when the garbage collector has collected every view of it.
   *
   * @example
   * ```ts
   * import { Database, DatabaseBuilder, DatabaseError } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("1.2.3.0/24", { n: 1 });
   * const db = Database.fromBytes(b.build());
   * db.close();
   * assert.throws(
   *   () => db.lookup("1.2.3.4"),
   *   (err) => err instanceof DatabaseError && err.code === "closed",
   * );
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Drop every reference to the bytes: the matcher, the decoder and the cached values view
    // or hold them.
    this.#u8 = EMPTY;
    this.#strings = null;
    this.#decoder = new MmdbDecoder(EMPTY);
    this.#cacheKeys.fill(-1);
    this.#cacheValues = [];
  }
}

/**
 * The string matcher over a database's literal and glob sections, or `null` when it has
 * neither (for export and validation inside this folder; not part of the public API).
 *
 * @param db The database.
 * @returns The matcher.
 * @throws {DatabaseError} `closed` when the database is closed.
 */
export function stringMatcherOf(db: Database): StringMatcher | null {
  return matcherOf(db);
}
