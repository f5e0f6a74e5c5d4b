/**
 * Walks every network of a database's search tree, for `mxy export`: each network with its
 * data, as objects or as JSON Lines that `mxy build` reads back (followed by the literal and
 * glob entries of a `.mxy` file).
 *
 * @module
 */
import { FormatError } from "../format/format_error.ts";
import { valueToJson } from "../format/value.ts";
import { type Database, stringMatcherOf } from "./database.ts";
import { readRecord } from "../format/search_tree.ts";
import { formatNetwork } from "../core/ip.ts";
import { MmdbDecoder } from "../format/mmdb_decoder.ts";
import { typedValueJson } from "./_typed_json.ts";

/** One network of the search tree. */
export interface NetworkEntry {
  /** The network in CIDR notation (IPv4 notation for `::a.b.c.d/n` with n ≥ 96, see options). */
  network: string;
  /** Its prefix length, in the notation's terms. */
  prefixLength: number;
  /** 4 or 6: the notation used. */
  version: 4 | 6;
  /** The data offset, for {@linkcode Database.decode}. */
  offset: number;
}

/** Options for {@linkcode iterateNetworks} and {@linkcode exportJsonLines}. */
export interface IterateNetworksOptions {
  /**
   * Also walk the aliases MaxMind writers add to an IPv6 tree (`::ffff:0:0/96`, `2002::/16`
   * and any other path to the IPv4 subtree). Default `false`: each IPv4 network is listed once.
   */
  includeAliases?: boolean;
  /** Write networks inside `::/96` as IPv4 (`1.2.3.0/24`). Default `true`. */
  ipv4Notation?: boolean;
}

/** Options for {@linkcode exportJsonLines}. */
export interface ExportJsonLinesOptions extends IterateNetworksOptions {
  /**
   * Keep every stored type (default `true`): where plain JSON would lose it, write the value
   * as `{"$type": TYPE, "value": V}` (a float, bytes, a uint32 below 65,536 …) or an integral
   * double with `.0`, which `mxy build` reads back to the same type. With `false`, plain JSON
   * as `valueToJson` writes it (bytes as arrays of numbers, NaN as `null`).
   */
  types?: boolean;
}

/**
 * Lists every network that has data, in address order, with its data offset. Visits each tree
 * node once: a node reached twice (other than the IPv4 subtree's aliases) is a corrupt tree.
 *
 * @param db The database.
 * @param options {@linkcode IterateNetworksOptions}.
 * @returns The networks.
 * @throws {FormatError} When the search tree is corrupt.
 * @example
 * ```ts
 * import { Database, DatabaseBuilder, iterateNetworks } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * const b = new DatabaseBuilder({ buildEpoch: 1 });
 * b.add("1.1.1.4/30", { n: 3 });
 * b.add("1.1.1.1/32", { n: 1 });
 * b.add("1.1.1.2/31", { n: 2 });
 * b.add("2001:db8::/32", { n: 4 });
 * const db = Database.fromBytes(b.build());
 * const nets = [...iterateNetworks(db)].map((n) => n.network);
 * assert.deepEqual(nets, ["1.1.1.1/32", "1.1.1.2/31", "1.1.1.4/30", "2001:db8::/32"]);
 * const aliases = [...iterateNetworks(db, { includeAliases: true })].map((n) => n.network);
 * assert.ok(aliases.includes("::ffff:1.1.1.1/128"));
 * ```
 */
export function* iterateNetworks(
  db: Database,
  options: IterateNetworksOptions = {},
): Generator<NetworkEntry> {
  const u8 = db.bytes;
  const { nodeCount, recordSize, ipVersion } = db.metadata;
  const dataSize = db.layout.dataEnd - db.layout.dataStart;
  const bits = ipVersion === 6 ? 128 : 32;
  const ipv4Notation = options.ipv4Notation ?? true;
  const includeAliases = options.includeAliases ?? false;
  const ipv4Start = ipVersion === 6 ? ipv4Subtree(u8, recordSize, nodeCount) : -1;
  if (nodeCount === 0) return;
  const visited = new Uint8Array(nodeCount);
  const path = new Uint8Array(bits / 8);
  const v4 = new Uint8Array(4);
  // Explicit DFS stack: node, depth (bits fixed so far) and the bit that led there.
  const nodes: number[] = [0];
  const depths: number[] = [0];
  const leadBits: number[] = [0];
  const inAlias: boolean[] = [false];
  visited[0] = 1;
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    const lead = leadBits.pop()!;
    const alias = inAlias.pop()!;
    if (depth > 0) setBit(path, depth - 1, lead);
    if (depth >= bits) {
      throw new FormatError("bad-tree", `Search tree node ${node} lies deeper than ${bits} bits`);
    }
    // Right first so that the left (lower addresses) comes out first.
    for (let bit = 1; bit >= 0; bit--) {
      const record = readRecord(u8, recordSize, node, bit);
      if (record < nodeCount) {
        let viaAlias = alias;
        if (visited[record] && !alias) {
          if (record === ipv4Start) {
            if (!includeAliases) continue;
            viaAlias = true;
          } else {
            throw new FormatError(
              "bad-tree",
              `Search tree node ${record} is reached twice (from node ${node})`,
              node * (recordSize / 4),
            );
          }
        }
        visited[record] = 1;
        nodes.push(record);
        depths.push(depth + 1);
        leadBits.push(bit);
        inAlias.push(viaAlias);
      } else if (record > nodeCount) {
        const offset = leafOffset(record, nodeCount, dataSize, node, recordSize);
        nodes.push(-1 - offset); // a leaf marker: data offset, encoded negative
        depths.push(depth + 1);
        leadBits.push(bit);
        inAlias.push(alias);
      }
    }
    // Emit leaves pushed above that are now on top of the stack.
    while (nodes.length > 0 && nodes[nodes.length - 1] < 0) {
      const offset = -1 - nodes.pop()!;
      const prefix = depths.pop()!;
      setBit(path, prefix - 1, leadBits.pop()!);
      inAlias.pop();
      yield entry(path, prefix, offset, bits, ipv4Notation, v4);
    }
  }
}

/** Network counts from {@linkcode countNetworks}. */
export interface NetworkCounts {
  /** Networks written as IPv4 (in an IPv4 tree, or inside `::/96` of an IPv6 tree). */
  ipv4: number;
  /** Other IPv6 networks. */
  ipv6: number;
  /** Distinct data records the networks point to. */
  dataRecords: number;
}

/**
 * Counts the networks of the search tree (aliases of the IPv4 subtree counted once) and the
 * distinct data records they point to, without formatting or decoding anything: a quick version
 * of {@linkcode iterateNetworks} for statistics.
 *
 * @param db The database.
 * @returns The {@linkcode NetworkCounts}.
 * @throws {FormatError} When the search tree is corrupt.
 * @example
 * ```ts
 * import { countNetworks, Database, DatabaseBuilder } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * const b = new DatabaseBuilder({ buildEpoch: 1 });
 * b.add("10.0.0.0/8", { tag: "a" });
 * b.add("192.0.2.0/24", { tag: "a" }); // the same value: one data record
 * b.add("2001:db8::/32", { tag: "b" });
 * const db = Database.fromBytes(b.build());
 * assert.deepEqual(countNetworks(db), { ipv4: 2, ipv6: 1, dataRecords: 2 });
 * ```
 */
export function countNetworks(db: Database): NetworkCounts {
  const u8 = db.bytes;
  const { nodeCount, recordSize, ipVersion } = db.metadata;
  const dataSize = db.layout.dataEnd - db.layout.dataStart;
  const bits = ipVersion === 6 ? 128 : 32;
  const counts: NetworkCounts = { ipv4: 0, ipv6: 0, dataRecords: 0 };
  if (nodeCount === 0) return counts;
  const ipv4Start = ipVersion === 6 ? ipv4Subtree(u8, recordSize, nodeCount) : -1;
  const visited = new Uint8Array(nodeCount);
  const seen = new Uint8Array(Math.ceil(dataSize / 8));
  // Stack of nodes and depths; `v4` marks nodes inside ::/96 at depth >= 96 (IPv4 notation).
  const nodes = new Int32Array(bits * 2 + 2);
  const depths = new Uint8Array(bits * 2 + 2);
  const v4 = new Uint8Array(bits * 2 + 2);
  let top = 0;
  nodes[0] = 0;
  depths[0] = 0;
  v4[0] = ipVersion === 4 ? 1 : 0;
  top = 1;
  visited[0] = 1;
  // Whether the current path is still all-zero (the ::/96 prefix) is tracked per entry.
  const zero = new Uint8Array(bits * 2 + 2);
  zero[0] = 1;
  while (top > 0) {
    top--;
    const node = nodes[top] >>> 0;
    const depth = depths[top];
    const isV4 = v4[top];
    const isZero = zero[top];
    if (depth >= bits) {
      throw new FormatError("bad-tree", `Search tree node ${node} lies deeper than ${bits} bits`);
    }
    // Right first, so that the left (the ::/96 path) is walked first.
    for (let bit = 1; bit >= 0; bit--) {
      const record = readRecord(u8, recordSize, node, bit);
      const childZero = isZero === 1 && bit === 0 ? 1 : 0;
      const childV4 = isV4 === 1 || (ipVersion === 6 && childZero === 1 && depth + 1 >= 96) ? 1 : 0;
      if (record < nodeCount) {
        if (visited[record]) {
          if (record === ipv4Start) continue;
          throw new FormatError(
            "bad-tree",
            `Search tree node ${record} is reached twice (from node ${node})`,
            node * (recordSize / 4),
          );
        }
        visited[record] = 1;
        nodes[top] = record;
        depths[top] = depth + 1;
        v4[top] = childV4;
        zero[top] = childZero;
        top++;
      } else if (record > nodeCount) {
        const offset = leafOffset(record, nodeCount, dataSize, node, recordSize);
        if (childV4) counts.ipv4++;
        else counts.ipv6++;
        if ((seen[offset >> 3] & (1 << (offset & 7))) === 0) {
          seen[offset >> 3] |= 1 << (offset & 7);
          counts.dataRecords++;
        }
      }
    }
  }
  return counts;
}

function setBit(path: Uint8Array, index: number, bit: number): void {
  const mask = 0x80 >> (index & 7);
  if (bit) path[index >> 3] |= mask;
  else path[index >> 3] &= ~mask;
}

function entry(
  path: Uint8Array,
  prefix: number,
  offset: number,
  bits: number,
  ipv4Notation: boolean,
  v4: Uint8Array,
): NetworkEntry {
  if (bits === 128 && ipv4Notation && prefix >= 96) {
    let zero = true;
    for (let i = 0; i < 12 && zero; i++) if (path[i] !== 0) zero = false;
    if (zero) {
      v4.set(path.subarray(12, 16));
      return {
        network: formatNetwork(v4, prefix - 96),
        prefixLength: prefix - 96,
        version: 4,
        offset,
      };
    }
  }
  return {
    network: formatNetwork(path, prefix),
    prefixLength: prefix,
    version: bits === 32 ? 4 : 6,
    offset,
  };
}

/**
 * Writes every network and its data as JSON Lines, `{"entry":"1.2.3.0/24","data":{…}}`, the
 * input format `mxy build` reads, followed by the literal and glob entries of a `.mxy` file.
 * 64- and 128-bit integers are written exactly, and every stored type is kept: where plain JSON
 * would lose it, the value is written as `{"$type": TYPE, "value": V}` (a float, bytes, a uint32
 * below 65,536, a non-negative int32, NaN …) and an integral double as `35.0`, which the feed
 * parsers read back to the same type (see {@linkcode ExportJsonLinesOptions.types}).
 *
 * @param db The database.
 * @param options {@linkcode ExportJsonLinesOptions}.
 * @returns One line (without newline) per network.
 * @throws {FormatError} When the database is corrupt.
 * @example
 * ```ts
 * import { Database, DatabaseBuilder, exportJsonLines, typed } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * const b = new DatabaseBuilder({ buildEpoch: 1 });
 * b.add("1.1.1.1/32", { ip: "1.1.1.1", lat: typed("double", 35), n: typed("uint32", 7) });
 * b.add("*.evil.example", { n: 18446744073709551615n });
 * const db = Database.fromBytes(b.build());
 * assert.deepEqual([...exportJsonLines(db)], [
 *   '{"entry":"1.1.1.1/32","data":{"ip":"1.1.1.1","lat":35.0,"n":{"$type":"uint32","value":7}}}',
 *   '{"entry":"glob:*.evil.example","data":{"n":18446744073709551615}}',
 * ]);
 * ```
 */
export function* exportJsonLines(
  db: Database,
  options: ExportJsonLinesOptions = {},
): Generator<string> {
  const decoder = new MmdbDecoder(db.bytes, {
    start: db.layout.dataStart,
    end: db.layout.dataEnd,
  });
  const json = options.types === false
    ? (offset: number) => valueToJson(db.decode(offset))
    : (offset: number) => typedValueJson(decoder, offset);
  for (const n of iterateNetworks(db, options)) {
    yield `{"entry":${JSON.stringify(n.network)},"data":${json(n.offset)}}`;
  }
  // Literal and glob entries, prefixed with their kind so that `mxy build` reads them back as such.
  for (const e of iterateStringEntries(db)) {
    yield `{"entry":${JSON.stringify(`${e.kind}:${e.entry}`)},"data":${json(e.offset)}}`;
  }
}

// The data offset a leaf record points to (records above the node count, past 16 bytes of
// padding), checked to lie inside the data section.
function leafOffset(
  record: number,
  nodeCount: number,
  dataSize: number,
  node: number,
  recordSize: number,
): number {
  const offset = record - nodeCount - 16;
  if (offset < 0 || offset >= dataSize) {
    throw new FormatError(
      "bad-tree",
      `Search tree record ${record} of node ${node} points outside the data section`,
      node * (recordSize / 4),
    );
  }
  return offset;
}

// The node at ::/96 of an IPv6 tree (where the IPv4 subtree starts), or -1 when the tree does
// not reach that deep.
function ipv4Subtree(u8: Uint8Array, recordSize: number, nodeCount: number): number {
  let node = 0;
  let i = 0;
  for (; i < 96 && node < nodeCount; i++) node = readRecord(u8, recordSize, node, 0);
  return i === 96 && node < nodeCount ? node : -1;
}

/** One literal or glob entry of a database, as {@linkcode iterateStringEntries} lists it. */
export interface StringEntry {
  /** `"literal"` or `"glob"`. */
  kind: "literal" | "glob";
  /** The literal (case-folded in case-insensitive databases) or the glob as written. */
  entry: string;
  /** The data offset, for `Database.decode`. */
  offset: number;
}

/**
 * Lists a database's literal entries (in input order) and then its glob entries (most specific
 * first, the order the builder gives them again), for `mxy export`.
 *
 * @param db The database.
 * @returns The entries.
 * @throws {FormatError} When a section is corrupt.
 * @throws {DatabaseError} `closed` when the database is closed.
 * @example
 * ```ts
 * import { Database, DatabaseBuilder, iterateStringEntries } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * const b = new DatabaseBuilder({ buildEpoch: 1 });
 * b.add("*.evil.example", { n: 1 });
 * b.add("evil.example", { n: 2 });
 * const db = Database.fromBytes(b.build());
 * assert.deepEqual([...iterateStringEntries(db)].map((e) => `${e.kind}:${e.entry}`), [
 *   "literal:evil.example",
 *   "glob:*.evil.example",
 * ]);
 * ```
 */
export function* iterateStringEntries(db: Database): Generator<StringEntry> {
  const m = stringMatcherOf(db);
  if (m === null) return;
  const lit = m.literalTable;
  if (lit !== null) {
    for (const e of lit.entries()) {
      yield { kind: "literal", entry: lit.text(e), offset: lit.dataOffset(e) };
    }
  }
  const globs = m.globIndex;
  if (globs !== null) {
    globs.verify();
    for (let id = 0; id < globs.count; id++) {
      yield { kind: "glob", entry: globs.text(id), offset: globs.dataOffset(id) };
    }
  }
}
