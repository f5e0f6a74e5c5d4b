/**
 * Builds `.mxy` databases: a MaxMind DB search tree over IPv4/IPv6 networks, one shared and
 * de-duplicated data section, optional extension sections for non-IP entries (literal strings,
 * glob patterns) and the metadata map. The result is a valid MaxMind DB that `mmdblookup`,
 * python's `maxminddb` and the `maxmind` npm package read.
 *
 * Layout and semantics are described in docs/FORMAT.md.
 *
 * @module
 */
import { DataSectionWriter, type WritableMap, type WritableValue } from "../format/data_writer.ts";
import { encodeMetadata, type SectionLocation } from "../format/metadata_writer.ts";
import type { SectionParts } from "../format/section_parts.ts";

export type { SectionParts } from "../format/section_parts.ts";
import {
  formatIpv4,
  formatNetwork,
  IpAddressError,
  parseCidr,
  parseIpInto,
  parseIpv4,
} from "./ip_address.ts";
import { type EntrySource, InputError } from "./input_error.ts";
import { patternSectionEncoders } from "./pattern_sections.ts";

export type { EntrySource } from "./input_error.ts";

/** What to do when the same network (or key) is given twice. */
export type DuplicatePolicy = "error" | "first" | "last" | "merge";

/** How string entries are compared (recorded as `match_mode` in the mxy record, `description.mxy`). */
export type MatchMode = "case-sensitive" | "case-insensitive";

/**
 * The non-IP entries handed to a {@linkcode SectionEncoder}, column by column (no object per
 * entry), in first-insertion order.
 */
export interface SectionEntries {
  /** How many entries there are. */
  readonly count: number;
  /** Each entry's text after its `kind:` prefix (as given, not normalized); `count` of them. */
  readonly keys: readonly string[];
  /**
   * Each entry's value offset in the data section (from the section's start, as MMDB
   * pointers); `count` of them.
   */
  readonly offsets: Float64Array;
  /** Where entry `i` came from, when known. */
  source(i: number): EntrySource | undefined;
}

/** What a {@linkcode SectionEncoder} gets when the database is built. */
export interface SectionContext {
  /** The shared data section (an encoder may add values of its own). */
  readonly data: DataSectionWriter;
  /** The database's match mode. */
  readonly matchMode: MatchMode;
}

/**
 * An extension section (literal strings, glob patterns, …). The builder routes entries of the
 * encoder's `kind` to it, applies the duplicate policy on `normalizeKey(key)`, stores every value
 * in the shared data section, and at build time places the bytes `encode` returns between the
 * data section and the metadata, 8-byte aligned, recorded in the mxy record's `sections[name]`.
 */
export interface SectionEncoder {
  /** Section name in the mxy record's `sections`, e.g. `"literal"`. */
  readonly name: string;
  /** Entry kind it stores: entries prefixed `kind:` go here; also its key in the mxy record's `counts`. */
  readonly kind: string;
  /** Whether an unprefixed entry that is not an IP address belongs to this section. */
  claims?(entry: string): boolean;
  /**
   * The identity of a key for duplicate detection (e.g. lower-cased in case-insensitive mode);
   * throws an `Error` whose message says why the key is invalid.
   */
  normalizeKey?(key: string, matchMode: MatchMode): string;
  /**
   * Encodes the section from its entries (in first-insertion order): its bytes, or its parts
   * for the builder to write straight into the file.
   */
  encode(entries: SectionEntries, context: SectionContext): Uint8Array | SectionParts;
}

/** Options for {@linkcode DatabaseBuilder}. */
export interface DatabaseBuilderOptions {
  /** `4`, `6` or `"auto"` (default): an IPv4 tree when there are only IPv4 entries. */
  ipVersion?: 4 | 6 | "auto";
  /** `24`, `28`, `32` or `"auto"` (default: the smallest that holds every record). */
  recordSize?: 24 | 28 | 32 | "auto";
  /** `database_type` in the metadata (default `"mxy"`). */
  databaseType?: string;
  /** `description`: a text (stored under `en`) or texts by language. */
  description?: string | Record<string, string>;
  /** `languages` in the metadata (default none). */
  languages?: string[];
  /** Duplicate policy (default `"last"`). */
  onDuplicate?: DuplicatePolicy;
  /** Clear host bits beyond a network's prefix instead of rejecting it (default `false`). */
  normalize?: boolean;
  /**
   * `build_epoch` in seconds, at least 1 (libmaxminddb refuses files whose `build_epoch` is 0);
   * default: now. Pass `SOURCE_DATE_EPOCH` for reproducible files.
   */
  buildEpoch?: number | bigint;
  /** String match mode recorded in the metadata (default `"case-sensitive"`). */
  matchMode?: MatchMode;
  /** In IPv6 trees, alias `::ffff:0:0/96` and `2002::/16` to the IPv4 subtree (default `true`). */
  ipv4Aliases?: boolean;
  /**
   * Extension sections for non-IP entries (default: the glob and literal sections of
   * lib/db/pattern_sections.ts; pass `[]` to accept IP entries only).
   */
  extensions?: SectionEncoder[];
}

/** Counters of a {@linkcode DatabaseBuilder}; the tree fields are set by `build()`. */
export interface BuildStats {
  /** Distinct entries stored, by kind (`ipv4`, `ipv6`, and each extension's kind). */
  counts: Record<string, number>;
  /** Entries that repeated an earlier network or key. */
  duplicates: number;
  /** Distinct values in the data section. */
  values: number;
  /** Search tree nodes (0 before `build()`). */
  nodeCount: number;
  /** Record size in bits (0 before `build()`). */
  recordSize: number;
  /** Tree IP version (0 before `build()`). */
  ipVersion: number;
  /** Data section size in bytes. */
  dataSize: number;
  /** File size in bytes (0 before `build()`). */
  size: number;
}

const IP_PREFIX = "ip:";

/**
 * The entries of one extension kind: keys in first-insertion order, de-duplicated on their
 * normalized form through an open-addressing hash table, with data offsets and sources in
 * typed-array columns.
 */
class ExtState {
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

/**
 * Networks sorted by address, then prefix length (shorter first), as the tree writer takes
 * them: the IPv4 subtree's (`#sortV4`) or the IPv6 tree's (`#sortV6`).
 */
interface SortedNetworks {
  /** Address words (`stride` 32-bit words per network, most significant first). */
  words: Uint32Array;
  /** 1 (IPv4 subtree) or 4 (IPv6). */
  stride: number;
  prefix: Uint8Array;
  /** Entry index + 1 of each network; -1 marks where the IPv4 subtree is linked in. */
  entry: Int32Array;
  size: number;
  /** Search-tree nodes the networks make (trie nodes with children); 0 when one leaf. */
  internal: number;
}

/**
 * Counts the search-tree nodes of sorted networks (`internal`): a network adds the trie nodes
 * of its path below the deepest node it shares with the previous network's path (all new: the
 * list is sorted); a node has children unless it is a network's own node and the next network
 * does not lie below it.
 */
function countInternal(list: SortedNetworks): void {
  const { words, stride, prefix, size } = list;
  let nodes = 1;
  let leaves = size === 0 ? 1 : 0;
  for (let j = 1; j < size; j++) {
    let common = 32 * stride;
    for (let w = 0; w < stride; w++) {
      const x = (words[j * stride + w] ^ words[(j - 1) * stride + w]) >>> 0;
      if (x !== 0) {
        common = 32 * w + Math.clz32(x);
        break;
      }
    }
    const p = prefix[j];
    const q = prefix[j - 1];
    const d = Math.min(common, q, p);
    nodes += p - d;
    if (!(d === q && p > q)) leaves++;
  }
  if (size > 0) {
    nodes += prefix[0];
    leaves++; // the last network
  }
  list.internal = nodes - leaves;
}

/** FNV-1a over a string's UTF-16 code units, mixed (for the extension entries' hash tables). */
function stringHash(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

function isPlainMap(v: unknown): v is WritableMap {
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Uint8Array) {
    return false;
  }
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Deep-merges two values for `--on-duplicate merge`: maps are merged key by key (recursively),
 * anything else is replaced by the later value.
 */
function mergeValues(a: WritableValue, b: WritableValue): WritableValue {
  if (!isPlainMap(a) || !isPlainMap(b)) return b;
  const out: WritableMap = { ...a };
  for (const k of Object.keys(b)) out[k] = Object.hasOwn(a, k) ? mergeValues(a[k], b[k]) : b[k];
  return out;
}

/** Looks like an IP address or network (so errors are reported as such, not as a literal). */
function looksLikeIp(text: string): boolean {
  // Same as /^[0-9.]+(\/.*)?$/ or /^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*(\/.*)?$/, without a regex.
  const n = text.length;
  let i = 0;
  let decimal = true;
  let colon = false;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2f) break; // "/"
    if (c >= 0x30 && c <= 0x39 || c === 0x2e) continue;
    if (c === 0x3a) colon = true;
    else if (!(c >= 0x61 && c <= 0x66 || c >= 0x41 && c <= 0x46)) return false;
    decimal = false;
  }
  if (!(decimal && i > 0) && !colon) return false;
  // After "/": anything but a line terminator (what "." matches).
  for (i++; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029) return false;
  }
  return true;
}

/** Whether `bytes[0, n)` are all zero. */
function isZero(bytes: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * The order of `k` IPv6 networks (four address words each in `words`, prefix lengths in
 * `prefix`) by address, then prefix length: a stable radix sort on 16-bit digits, least
 * significant first, skipping digits that are the same in every network.
 */
function sortV6Order(words: Uint32Array, prefix: Uint8Array, k: number): Int32Array {
  let order = new Int32Array(k);
  let next = new Int32Array(k);
  for (let j = 0; j < k; j++) order[j] = j;
  const counts = new Int32Array(65536);
  const digitKeys = new Uint16Array(k);
  // Digit 0 is the prefix length; digits 1 to 8 the address's 16-bit halves, last word first.
  for (let digit = 0; digit <= 8; digit++) {
    const w = 3 - ((digit - 1) >> 1);
    const shift = (digit - 1) & 1 ? 16 : 0;
    const keys = digitKeys;
    for (let j = 0; j < k; j++) {
      keys[j] = digit === 0 ? prefix[j] : (words[4 * j + w] >>> shift) & 0xffff;
    }
    counts.fill(0);
    for (let j = 0; j < k; j++) counts[keys[j]]++;
    if (k === 0 || counts[keys[0]] === k) continue;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let j = 0; j < k; j++) {
      const o = order[j];
      next[counts[keys[o]]++] = o;
    }
    const t = order;
    order = next;
    next = t;
  }
  return order;
}

/** Hash of an IPv6 network (four address words and prefix length). */
function v6Hash(w0: number, w1: number, w2: number, w3: number, prefix: number): number {
  let h = Math.imul(w0 ^ Math.imul(prefix + 1, 0x9e3779b1), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15) ^ w1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13) ^ w2, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 16) ^ w3, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Whether typed arrays are little-endian here (the low word of a 64-bit element comes first). */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Hash of an IPv4-subtree network (address and prefix length). */
function v4Hash(addr: number, prefix: number): number {
  let h = Math.imul(addr ^ Math.imul(prefix + 1, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Collects entries and builds a `.mxy` / MaxMind DB file.
 *
 * Longest-prefix semantics hold whatever the insertion order: an address inside several networks
 * gets the most specific one's data. IPv4 entries in an IPv6 tree live at `::/96`, and (like
 * MaxMind's writer) `::ffff:0:0/96` and `2002::/16` lead to the same IPv4 subtree.
 *
 * @example
 * ```ts
 * import { DatabaseBuilder } from "./builder.ts";
 * import assert from "node:assert/strict";
 * const b = new DatabaseBuilder({ buildEpoch: 1 });
 * b.add("10.0.0.0/8", { tag: "private" });
 * b.add("10.1.2.3", { tag: "host" });
 * const bytes = b.build();
 * assert.equal(b.stats.ipVersion, 4);
 * assert.equal(b.stats.counts.ipv4, 2);
 * assert.equal(bytes.length, b.stats.size);
 * ```
 */
export class DatabaseBuilder {
  #opts: Required<Omit<DatabaseBuilderOptions, "description" | "buildEpoch">> & {
    description: Record<string, string>;
    buildEpoch: number | bigint;
  };
  #data = new DataSectionWriter();
  // Networks.
  #offset = new Float64Array(1 << 12);
  #srcFile = new Int32Array(1 << 12);
  #srcLine = new Int32Array(1 << 12);
  // Networks of the IPv4 subtree are only recorded by add(), in a hash table on (address,
  // prefix) for the duplicate policy; build() sorts them and writes the tree from the sorted
  // list (no trie in memory).
  #v4Addr = new Uint32Array(1 << 12);
  #v4Prefix = new Uint8Array(1 << 12); // 255: not an IPv4-subtree network
  #v4Table = new Int32Array(1 << 12); // entry index + 1, 0 = free slot
  #v4Count = 0;
  // IPv6 networks (outside the IPv4 subtree), likewise recorded in a hash table and written
  // at build() in address order: four 32-bit words of address each, the prefix length, the
  // entry index.
  #v6Words = new Uint32Array(4 << 10);
  #v6Prefix = new Uint8Array(1 << 10);
  #v6Entry = new Int32Array(1 << 10);
  #v6Table = new Int32Array(1 << 11); // IPv6 network index + 1, 0 = free slot
  #v6Count = 0;
  #scratch6 = new Uint8Array(16);
  #entries = 0;
  #values: WritableValue[] = [];
  #files = new Map<string, number>();
  #fileNames: string[] = [];
  #counts: Record<string, number> = { ipv4: 0, ipv6: 0, literal: 0, glob: 0 };
  #duplicates = 0;
  #ext = new Map<string, ExtState>();
  #emptyKind = false; // an extension of kind "" is registered
  #built = false;
  #stats: BuildStats | null = null;

  /**
   * Starts an empty database.
   *
   * @param options {@linkcode DatabaseBuilderOptions}.
   * @throws {RangeError} When the build epoch is below 1 or above 2⁶⁴−1.
   */
  constructor(options: DatabaseBuilderOptions = {}) {
    const description = typeof options.description === "string"
      ? { en: options.description }
      : { ...(options.description ?? {}) };
    this.#opts = {
      ipVersion: options.ipVersion ?? "auto",
      recordSize: options.recordSize ?? "auto",
      databaseType: options.databaseType ?? "mxy",
      description,
      languages: options.languages ?? [],
      onDuplicate: options.onDuplicate ?? "last",
      normalize: options.normalize ?? false,
      buildEpoch: options.buildEpoch ?? Math.floor(Date.now() / 1000),
      matchMode: options.matchMode ?? "case-sensitive",
      ipv4Aliases: options.ipv4Aliases ?? true,
      extensions: options.extensions ?? patternSectionEncoders(),
    };
    const epoch = BigInt(this.#opts.buildEpoch);
    if (epoch < 1n || epoch >= 1n << 64n) {
      throw new RangeError(
        `Build epoch must be between 1 and 2^64-1 (libmaxminddb refuses 0), got ${epoch}`,
      );
    }
    for (const e of this.#opts.extensions) this.addExtension(e);
  }

  /**
   * Registers an extension section; entries of its kind are accepted from now on.
   *
   * @param encoder The {@linkcode SectionEncoder}.
   * @example
   * ```ts
   * import { DatabaseBuilder } from "./builder.ts";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.addExtension({
   *   name: "demo", kind: "demo",
   *   encode: (entries) => new TextEncoder().encode(entries.keys.join("\n")),
   * });
   * b.add("demo:hello", { n: 1 });
   * b.build();
   * assert.equal(b.stats.counts.demo, 1);
   * ```
   */
  addExtension(encoder: SectionEncoder): void {
    if (this.#ext.has(encoder.kind)) {
      throw new TypeError(`An extension for "${encoder.kind}" entries is already registered`);
    }
    this.#ext.set(encoder.kind, new ExtState(encoder));
    if (encoder.kind === "") this.#emptyKind = true;
    this.#counts[encoder.kind] ??= 0;
  }

  /** Current counters; tree and size fields are filled in by `build()`. */
  get stats(): BuildStats {
    if (this.#stats) return { ...this.#stats, counts: { ...this.#stats.counts } };
    return {
      counts: { ...this.#counts },
      duplicates: this.#duplicates,
      values: this.#data.stats.stored,
      nodeCount: 0,
      recordSize: 0,
      ipVersion: 0,
      dataSize: this.#data.size,
      size: 0,
    };
  }

  /**
   * Adds one entry: an IPv4/IPv6 address or CIDR network (optionally prefixed `ip:`), or a
   * `kind:`-prefixed entry for a registered extension.
   *
   * @param entry The entry text.
   * @param data Its value (any MMDB value; usually a map).
   * @param source Where it came from, for error messages.
   * @throws {InputError} For an invalid entry or value, an unsupported kind, or a duplicate under
   *   the `error` policy.
   * @example
   * ```ts
   * import { DatabaseBuilder, InputError } from "./mod.ts";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("2001:db8::/32", { net: "doc" });
   * assert.throws(() => b.add("10.0.0.1/8", {}, { file: "f.txt", line: 3 }), InputError);
   * b.add("literal:evil.example", { tag: "ioc" });
   * assert.equal(b.stats.counts.literal, 1);
   * ```
   */
  add(entry: string, data: WritableValue, source?: EntrySource): void {
    if (this.#built) throw new Error("Cannot add entries after build()");
    const text = entry.trim();
    if (text === "") throw new InputError("bad-entry", "Empty entry", source);
    let rest = text;
    let kind: string | null = null;
    let v6Prefix = -1;
    if (text.startsWith(IP_PREFIX)) {
      rest = text.slice(IP_PREFIX.length);
    } else {
      const colon = text.indexOf(":");
      // IPv4 text first (unless an extension of kind "" takes every entry without a colon).
      if (colon < 0 && !this.#emptyKind && this.#addV4(text, data, source)) return;
      // The built-in kinds without cutting a string out of every entry.
      const prefix = colon === 7 && text.startsWith("literal")
        ? "literal"
        : colon === 4 && text.startsWith("glob")
        ? "glob"
        : colon > 0
        ? text.slice(0, colon)
        : "";
      if (prefix === "literal" || prefix === "glob" || this.#ext.has(prefix)) {
        kind = prefix;
        rest = text.slice(colon + 1);
      } else if (colon > 0 && (v6Prefix = this.#parseV6(text)) >= 0) {
        // IPv6 text (parsed once).
        return this.#addNetwork(text, data, source, v6Prefix);
      } else if (!looksLikeIp(text)) {
        for (const [k, st] of this.#ext) {
          if (st.encoder.claims?.(text)) {
            kind = k;
            break;
          }
        }
        if (kind === null) {
          throw new InputError(
            "unsupported-kind",
            `Entry ${
              JSON.stringify(text)
            } is not an IP address or network, and this builder stores no other kind`,
            source,
          );
        }
      }
    }
    if (kind !== null) return this.#addExtEntry(kind, rest, data, source);
    this.#addNetwork(rest, data, source);
  }

  #addExtEntry(kind: string, key: string, data: WritableValue, source?: EntrySource): void {
    const st = this.#ext.get(kind);
    if (!st) {
      const name = kind[0].toUpperCase() + kind.slice(1);
      throw new InputError(
        "unsupported-kind",
        `${name} entries are not supported by this builder: ${JSON.stringify(`${kind}:${key}`)}`,
        source,
      );
    }
    if (key.length === 0) {
      throw new InputError("bad-entry", `Empty ${kind} entry`, source);
    }
    let norm = key;
    if (st.encoder.normalizeKey) {
      try {
        norm = st.encoder.normalizeKey(key, this.#opts.matchMode);
      } catch (err) {
        throw new InputError("bad-entry", (err as Error).message, source);
      }
    }
    const h = stringHash(norm);
    const prev = st.find(norm, h);
    const merge = this.#opts.onDuplicate === "merge";
    if (prev >= 0) {
      this.#duplicate(`${kind}:${key}`, this.#extSource(st, prev), source);
      if (this.#opts.onDuplicate === "first") return;
      if (merge) {
        st.values[prev] = mergeValues(st.values[prev], data);
      } else {
        st.offsets[prev] = this.#encode(data, source);
        st.srcFile[prev] = source ? this.#fileIndex(source.file) : -1;
        st.srcLine[prev] = source ? source.line : 0;
      }
      return;
    }
    const offset = merge ? -1 : this.#encode(data, source);
    st.push(
      key,
      norm,
      h,
      offset,
      source ? this.#fileIndex(source.file) : -1,
      source ? source.line : 0,
    );
    if (merge) st.values.push(data);
    this.#counts[kind]++;
  }

  /** Where extension entry `i` came from. */
  #extSource(st: ExtState, i: number): EntrySource | undefined {
    const f = st.srcFile[i];
    return f >= 0 ? { file: this.#fileNames[f], line: st.srcLine[i] } : undefined;
  }

  /** The index of a file name in `#fileNames`. */
  #fileIndex(file: string): number {
    let f = this.#files.get(file);
    if (f === undefined) {
      f = this.#fileNames.length;
      this.#files.set(file, f);
      this.#fileNames.push(file);
    }
    return f;
  }

  #duplicate(what: string, first: EntrySource | undefined, source?: EntrySource): void {
    this.#duplicates++;
    if (this.#opts.onDuplicate === "error") {
      const where = first ? ` (first given at ${first.file}:${first.line})` : "";
      throw new InputError("duplicate", `Duplicate entry ${JSON.stringify(what)}${where}`, source);
    }
  }

  #encode(data: WritableValue, source?: EntrySource): number {
    try {
      return this.#data.add(data);
    } catch (err) {
      if (err instanceof TypeError || err instanceof RangeError) {
        throw new InputError("bad-value", err.message, source);
      }
      throw err;
    }
  }

  /**
   * Stores IPv4 network text (`a.b.c.d` or `a.b.c.d/prefix`, host bits clear or normalize on);
   * returns false, storing nothing, for any other text (which parseCidr then parses or rejects).
   */
  #addV4(text: string, data: WritableValue, source?: EntrySource): boolean {
    const slash = text.indexOf("/");
    const v4 = parseIpv4(slash < 0 ? text : text.slice(0, slash));
    if (v4 >= 0) {
      let prefix = 32;
      let ok = true;
      if (slash >= 0) {
        prefix = 0;
        const n = text.length - slash - 1;
        if (n < 1 || n > 2 || (n === 2 && text.charCodeAt(slash + 1) === 48)) ok = false;
        for (let k = slash + 1; ok && k < text.length; k++) {
          const c = text.charCodeAt(k) - 48;
          if (c < 0 || c > 9) ok = false;
          prefix = prefix * 10 + c;
        }
        if (prefix > 32) ok = false;
      }
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      let addr = v4;
      if (ok && (v4 & ~mask) !== 0) {
        if (this.#opts.normalize) addr = (v4 & mask) >>> 0;
        else ok = false; // parseCidr below gives the error
      }
      if (ok) {
        this.#storeV4(addr, prefix, false, null, data, source);
        return true;
      }
    }
    return false;
  }

  /**
   * Stores an IP network given as text; `v6Prefix`, when 0 or more, says that `#parseV6(text)`
   * already parsed it into `#scratch6` with that prefix length.
   */
  #addNetwork(text: string, data: WritableValue, source?: EntrySource, v6Prefix = -1): void {
    if (v6Prefix < 0 && this.#addV4(text, data, source)) return;
    // IPv6 text: parsed into a scratch buffer; anything unusual takes parseCidr for its error.
    let given: Uint8Array = this.#scratch6;
    let givenPrefix = v6Prefix >= 0 ? v6Prefix : this.#parseV6(text);
    let isV6 = true;
    if (givenPrefix < 0) {
      let net;
      try {
        net = parseCidr(text, { normalize: this.#opts.normalize });
      } catch (err) {
        if (err instanceof IpAddressError) {
          const hint = err.code === "host-bits-set" ? "; use --normalize to clear them" : "";
          throw new InputError(
            err.code === "host-bits-set" ? "host-bits-set" : "bad-entry",
            err.message + hint,
            source,
          );
        }
        throw err;
      }
      given = net.bytes;
      givenPrefix = net.prefixLength;
      isV6 = net.version === 6;
    }
    let bytes = given;
    let prefix = givenPrefix;
    if (isV6 && prefix >= 96 && isZero(bytes, 10)) {
      const mapped = bytes[10] === 0xff && bytes[11] === 0xff;
      if (mapped || (bytes[10] === 0 && bytes[11] === 0)) {
        // ::ffff:a.b.c.d (IPv4-mapped) is an IPv4 entry; ::a.b.c.d is the same tree position.
        bytes = bytes.slice(12);
        prefix -= 96;
        isV6 = !mapped;
      }
    }
    if (isV6 && this.#opts.ipVersion === 4) {
      throw new InputError(
        "wrong-ip-version",
        `IPv6 network ${JSON.stringify(text)} cannot be stored in an IPv4 database`,
        source,
      );
    }
    if (bytes.length === 4) {
      const addr = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
      this.#storeV4(addr, prefix, isV6, given, data, source, givenPrefix);
      return;
    }
    this.#storeV6(bytes, prefix, given, givenPrefix, data, source);
  }

  /**
   * Parses IPv6 network text (`address` or `address/prefix`) into `#scratch6`, clearing host
   * bits in normalize mode; returns the prefix length, or -1 for anything else (IPv4 text,
   * invalid text, host bits set without normalize): parseCidr then parses it or says why not.
   */
  #parseV6(text: string): number {
    const slash = text.lastIndexOf("/");
    const out = this.#scratch6;
    if (parseIpInto(slash < 0 ? text : text.slice(0, slash), out) !== 6) return -1;
    let prefix = 128;
    if (slash >= 0) {
      // As parseCidr: "0" or 1 to 3 digits without a leading zero, at most 128.
      const n = text.length - slash - 1;
      if (n < 1 || n > 3 || (n > 1 && text.charCodeAt(slash + 1) === 48)) return -1;
      prefix = 0;
      for (let k = slash + 1; k < text.length; k++) {
        const c = text.charCodeAt(k) - 48;
        if (c < 0 || c > 9) return -1;
        prefix = prefix * 10 + c;
      }
      if (prefix > 128) return -1;
    }
    for (let i = prefix >> 3; i < 16; i++) {
      const keep = prefix - i * 8;
      const mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (0xff << (8 - keep)) & 0xff;
      if ((out[i] & ~mask) !== 0) {
        if (!this.#opts.normalize) return -1;
        out[i] &= mask;
      }
    }
    return prefix;
  }

  /** Applies the duplicate policy to a network given again (entry `i`). */
  #repeat(
    i: number,
    bytes: Uint8Array | null,
    v4: number,
    prefix: number,
    data: WritableValue,
    source?: EntrySource,
  ): void {
    const f = this.#srcFile[i];
    const first = f >= 0 ? { file: this.#fileNames[f], line: this.#srcLine[i] } : undefined;
    const label = bytes ? formatNetwork(bytes, prefix) : `${formatIpv4(v4)}/${prefix}`;
    this.#duplicate(label, first, source);
    if (this.#opts.onDuplicate === "first") return;
    if (this.#opts.onDuplicate === "merge") {
      this.#values[i] = mergeValues(this.#values[i], data);
    } else {
      this.#offset[i] = this.#encode(data, source);
      this.#setSource(i, source);
    }
  }

  /**
   * Stores the data of the IPv4-subtree network `addr/prefix` (recorded now, written at
   * build()). `bytes` and `labelPrefix` name the network as given, for duplicate messages.
   */
  #storeV4(
    addr: number,
    prefix: number,
    isV6: boolean,
    bytes: Uint8Array | null,
    data: WritableValue,
    source?: EntrySource,
    labelPrefix = prefix,
  ): void {
    let table = this.#v4Table;
    let mask = table.length - 1;
    let slot = v4Hash(addr, prefix) & mask;
    for (;;) {
      const e = table[slot];
      if (e === 0) break;
      const i = e - 1;
      if (this.#v4Addr[i] === addr && this.#v4Prefix[i] === prefix) {
        this.#repeat(i, bytes, addr, labelPrefix, data, source);
        return;
      }
      slot = (slot + 1) & mask;
    }
    const i = this.#newEntry(isV6, data, source);
    this.#v4Addr[i] = addr;
    this.#v4Prefix[i] = prefix;
    table[slot] = i + 1;
    if (++this.#v4Count * 2 > table.length) {
      table = new Int32Array(table.length * 2);
      mask = table.length - 1;
      const old = this.#v4Table;
      for (let k = 0; k < old.length; k++) {
        const e = old[k];
        if (e === 0) continue;
        let at = v4Hash(this.#v4Addr[e - 1], this.#v4Prefix[e - 1]) & mask;
        while (table[at] !== 0) at = (at + 1) & mask;
        table[at] = e;
      }
      this.#v4Table = table;
    }
  }

  /**
   * Stores the data of IPv6 network `bytes/prefix` (recorded now, written at build()). `given`
   * and `givenPrefix` name the network as given, for duplicate messages.
   */
  #storeV6(
    bytes: Uint8Array,
    prefix: number,
    given: Uint8Array,
    givenPrefix: number,
    data: WritableValue,
    source?: EntrySource,
  ): void {
    const w0 = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
    const w1 = ((bytes[4] << 24) | (bytes[5] << 16) | (bytes[6] << 8) | bytes[7]) >>> 0;
    const w2 = ((bytes[8] << 24) | (bytes[9] << 16) | (bytes[10] << 8) | bytes[11]) >>> 0;
    const w3 = ((bytes[12] << 24) | (bytes[13] << 16) | (bytes[14] << 8) | bytes[15]) >>> 0;
    const h = v6Hash(w0, w1, w2, w3, prefix);
    let table = this.#v6Table;
    let mask = table.length - 1;
    let slot = h & mask;
    let words = this.#v6Words;
    for (;;) {
      const e = table[slot];
      if (e === 0) break;
      const k = e - 1;
      if (
        words[4 * k] === w0 && words[4 * k + 1] === w1 && words[4 * k + 2] === w2 &&
        words[4 * k + 3] === w3 && this.#v6Prefix[k] === prefix
      ) {
        this.#repeat(this.#v6Entry[k], given, 0, givenPrefix, data, source);
        return;
      }
      slot = (slot + 1) & mask;
    }
    const i = this.#newEntry(true, data, source);
    const k = this.#v6Count++;
    if (k === this.#v6Prefix.length) {
      const n = 2 * k;
      const w = new Uint32Array(4 * n);
      w.set(words);
      this.#v6Words = words = w;
      const p = new Uint8Array(n);
      p.set(this.#v6Prefix);
      this.#v6Prefix = p;
      this.#v6Entry = grown(this.#v6Entry, n);
    }
    words[4 * k] = w0;
    words[4 * k + 1] = w1;
    words[4 * k + 2] = w2;
    words[4 * k + 3] = w3;
    this.#v6Prefix[k] = prefix;
    this.#v6Entry[k] = i;
    table[slot] = k + 1;
    if (this.#v6Count * 2 > table.length) {
      table = new Int32Array(table.length * 2);
      mask = table.length - 1;
      for (let j = 0; j < this.#v6Count; j++) {
        const o = 4 * j;
        let at = v6Hash(words[o], words[o + 1], words[o + 2], words[o + 3], this.#v6Prefix[j]) &
          mask;
        while (table[at] !== 0) at = (at + 1) & mask;
        table[at] = j + 1;
      }
      this.#v6Table = table;
    }
  }

  /** A new network entry (its value encoded now unless merging); returns its index. */
  #newEntry(isV6: boolean, data: WritableValue, source?: EntrySource): number {
    const merge = this.#opts.onDuplicate === "merge";
    const offset = merge ? -1 : this.#encode(data, source);
    const i = this.#entries++;
    if (i >= this.#offset.length) this.#growEntries();
    this.#offset[i] = offset;
    this.#v4Prefix[i] = 255;
    this.#setSource(i, source);
    if (merge) this.#values[i] = data;
    if (isV6) {
      this.#counts.ipv6++;
    } else {
      this.#counts.ipv4++;
    }
    return i;
  }

  /**
   * The recorded IPv4-subtree networks in address order (shorter prefixes first), with the
   * number of search-tree nodes they make (the tree writer walks the sorted list).
   */
  #sortV4(): SortedNetworks {
    const n = this.#entries;
    const prefixes = this.#v4Prefix;
    const addrs = this.#v4Addr;
    const count = this.#v4Count;
    // Sort 64-bit words (address, prefix << 26 | entry index) natively: the sorted order gives
    // each network's entry without a hash probe. (Little-endian hosts with under 2^26 entries;
    // otherwise sort address * 64 + prefix and find the entries in the hash table.)
    const packed = LITTLE_ENDIAN && n < 1 << 26;
    const words = new Uint32Array(packed ? 2 * count : 0);
    const keys = new Float64Array(packed ? 0 : count);
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (prefixes[i] === 255) continue;
      if (packed) {
        words[2 * k] = ((prefixes[i] << 26) | i) >>> 0;
        words[2 * k + 1] = addrs[i];
      } else keys[k] = addrs[i] * 64 + prefixes[i];
      k++;
    }
    if (packed) new BigUint64Array(words.buffer).sort();
    else keys.sort();
    const table = this.#v4Table;
    const mask = table.length - 1;
    const out: SortedNetworks = {
      words: new Uint32Array(k),
      stride: 1,
      prefix: new Uint8Array(k),
      entry: new Int32Array(k),
      size: k,
      internal: 0,
    };
    for (let j = 0; j < k; j++) {
      let addr: number, prefix: number, e: number;
      if (packed) {
        const low = words[2 * j];
        addr = words[2 * j + 1];
        prefix = low >>> 26;
        e = (low & 0x3ffffff) + 1;
      } else {
        const key = keys[j];
        prefix = key % 64;
        addr = (key - prefix) / 64;
        let slot = v4Hash(addr, prefix) & mask;
        e = table[slot];
        while (addrs[e - 1] !== addr || prefixes[e - 1] !== prefix) {
          slot = (slot + 1) & mask;
          e = table[slot];
        }
      }
      out.words[j] = addr;
      out.prefix[j] = prefix;
      out.entry[j] = e;
    }
    countInternal(out);
    return out;
  }

  /**
   * The recorded IPv6 networks in address order (shorter prefixes first), with, when `links`
   * is set, the places where the IPv4 subtree is linked in: `::/96`, and with the aliases
   * `::ffff:0:0/96` and `2002::/16`.
   *
   * @throws {InputError} When a network lies inside `2002::/16` and that range is an alias.
   */
  #sortV6(links: boolean, aliases: boolean): SortedNetworks {
    const n = this.#v6Count;
    const linkWords = !links
      ? []
      : aliases
      ? [[0, 0, 0, 0, 96], [0, 0, 0xffff, 0, 96], [0x20020000, 0, 0, 0, 16]]
      : [[0, 0, 0, 0, 96]];
    const k = n + linkWords.length;
    const src = new Uint32Array(4 * k);
    src.set(this.#v6Words.subarray(0, 4 * n));
    const srcPrefix = new Uint8Array(k);
    srcPrefix.set(this.#v6Prefix.subarray(0, n));
    for (let j = 0; j < linkWords.length; j++) {
      src.set(linkWords[j].slice(0, 4), 4 * (n + j));
      srcPrefix[n + j] = linkWords[j][4];
    }
    const order = sortV6Order(src, srcPrefix, k);
    const out: SortedNetworks = {
      words: new Uint32Array(4 * k),
      stride: 4,
      prefix: new Uint8Array(k),
      entry: new Int32Array(k),
      size: k,
      internal: 0,
    };
    for (let j = 0; j < k; j++) {
      const o = order[j];
      out.words[4 * j] = src[4 * o];
      out.words[4 * j + 1] = src[4 * o + 1];
      out.words[4 * j + 2] = src[4 * o + 2];
      out.words[4 * j + 3] = src[4 * o + 3];
      out.prefix[j] = srcPrefix[o];
      out.entry[j] = o < n ? this.#v6Entry[o] + 1 : -1;
    }
    if (links && aliases) {
      // 2002::/16 leads to the IPv4 subtree: no network may lie inside it. The first one in
      // address order is the one reported.
      for (let j = 0; j < k; j++) {
        if (
          out.entry[j] > 0 && out.prefix[j] >= 16 && out.words[4 * j] >>> 16 === 0x2002
        ) {
          throw new InputError(
            "aliased-network",
            "Network inside 2002::/16 cannot be stored: in an IPv6 database with IPv4 " +
              "entries that range is an alias of the IPv4 space (6to4)",
            this.#sourceOf(out.entry[j] - 1),
          );
        }
      }
    }
    countInternal(out);
    return out;
  }

  #setSource(i: number, source?: EntrySource): void {
    if (!source) {
      this.#srcFile[i] = -1;
      return;
    }
    this.#srcFile[i] = this.#fileIndex(source.file);
    this.#srcLine[i] = source.line;
  }

  #sourceOf(i: number): EntrySource | undefined {
    const f = this.#srcFile[i];
    return f >= 0 ? { file: this.#fileNames[f], line: this.#srcLine[i] } : undefined;
  }

  #growEntries(): void {
    const n = this.#offset.length * 2;
    this.#offset = grown(this.#offset, n);
    this.#srcFile = grown(this.#srcFile, n);
    this.#srcLine = grown(this.#srcLine, n);
    this.#v4Addr = grown(this.#v4Addr, n);
    this.#v4Prefix = grown(this.#v4Prefix, n);
  }

  /**
   * Builds the database file.
   *
   * @returns The complete file: search tree, data section, extension sections, metadata.
   * @throws {InputError} When a value cannot be stored (merge mode), a network lies inside an
   *   IPv4 alias (`2002::/16`), or the database is too large for the record size.
   * @example
   * ```ts
   * import { DatabaseBuilder } from "./builder.ts";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("1.2.3.0/24", { n: 1 });
   * b.add("2001:db8::/32", { n: 2 });
   * const bytes = b.build();
   * assert.equal(b.stats.ipVersion, 6);
   * assert.equal(b.stats.recordSize, 24);
   * assert.equal(bytes.length, b.stats.size);
   * ```
   */
  build(): Uint8Array {
    if (this.#built) throw new Error("build() was already called on this builder");
    this.#built = true;
    const opts = this.#opts;
    // Values deferred by merge mode.
    if (opts.onDuplicate === "merge") {
      for (let i = 0; i < this.#entries; i++) {
        this.#offset[i] = this.#encode(this.#values[i], this.#sourceOf(i));
      }
      this.#values = [];
      for (const st of this.#ext.values()) {
        for (let i = 0; i < st.count; i++) {
          st.offsets[i] = this.#encode(st.values[i], this.#extSource(st, i));
        }
        st.values = [];
      }
    }
    // Extension sections (they may add values to the data section).
    const sectionBytes: { name: string; bytes: Uint8Array | SectionParts }[] = [];
    for (const st of this.#ext.values()) {
      if (st.count === 0) continue;
      const entries: SectionEntries = {
        count: st.count,
        keys: st.keys,
        offsets: st.offsets.subarray(0, st.count),
        source: (i: number) => this.#extSource(st, i),
      };
      const bytes = st.encoder.encode(entries, { data: this.#data, matchMode: opts.matchMode });
      sectionBytes.push({ name: st.encoder.name, bytes });
    }

    // The tree: the IPv4 subtree's networks and, in an IPv6 tree, the IPv6 networks, each
    // sorted; in an IPv6 tree with IPv4 entries the IPv4 subtree is linked in at ::/96 (and
    // the aliases).
    const v4 = this.#sortV4();
    const ipVersion: 4 | 6 = opts.ipVersion === "auto"
      ? (this.#counts.ipv6 > 0 ? 6 : 4)
      : opts.ipVersion;
    const v6 = ipVersion === 6 ? this.#sortV6(v4.size > 0, opts.ipv4Aliases) : null;
    const nodeCount = v6 === null
      ? Math.max(v4.internal, 1)
      : Math.max(v6.internal, 1) + (v4.size > 0 ? v4.internal : 0);
    {
      const dataSize = this.#data.size;
      const need = nodeCount + 16 + dataSize;
      let recordSize: 24 | 28 | 32;
      if (opts.recordSize === "auto") {
        recordSize = need <= 2 ** 24 ? 24 : need <= 2 ** 28 ? 28 : 32;
      } else {
        recordSize = opts.recordSize;
      }
      if (need > 2 ** recordSize) {
        throw new InputError(
          "too-large",
          `Database too large for ${recordSize}-bit records: ${nodeCount} nodes and ` +
            `${dataSize} bytes of data need ${need} record values`,
        );
      }

      // Where everything goes, so the file is allocated once.
      const nodeBytes = recordSize / 4;
      const treeSize = nodeCount * nodeBytes;
      let pos = treeSize + 16 + dataSize;
      const sections: Record<string, SectionLocation> = {};
      for (const s of sectionBytes) {
        pos = Math.ceil(pos / 8) * 8;
        sections[s.name] = { offset: pos, length: s.bytes.length };
        pos += s.bytes.length;
      }
      const meta = encodeMetadata({
        nodeCount,
        recordSize,
        ipVersion,
        databaseType: opts.databaseType,
        buildEpoch: opts.buildEpoch,
        languages: opts.languages,
        description: opts.description,
        mxy: { counts: { ...this.#counts }, matchMode: opts.matchMode, sections },
      });
      const file = new Uint8Array(pos + meta.length);

      // The record value of each entry (index + 1; 0: no data).
      const records = new Float64Array(this.#entries + 1);
      records[0] = nodeCount;
      for (let i = 0; i < this.#entries; i++) records[i + 1] = nodeCount + 16 + this.#offset[i];
      const v4Writer = new TreeWriter(file, recordSize, records, v4, null);
      const count = v6 === null
        ? v4Writer.write(0, 0)
        : new TreeWriter(file, recordSize, records, v6, v4Writer).write(0, 0);
      if (count !== nodeCount) throw new Error("Internal error: node count changed");
      // 16 zero bytes, then the data section and the extension sections.
      file.set(this.#data.bytes(), treeSize + 16);
      for (const { name, bytes } of sectionBytes) {
        if (bytes instanceof Uint8Array) file.set(bytes, sections[name].offset);
        else bytes.writeTo(file, sections[name].offset);
      }
      file.set(meta, pos);
      this.#stats = {
        counts: { ...this.#counts },
        duplicates: this.#duplicates,
        values: this.#data.stats.stored,
        nodeCount,
        recordSize,
        ipVersion,
        dataSize,
        size: file.length,
      };
      return file;
    }
  }
}

/** Writes 28- or 32-bit record `bit` (0 left, 1 right) of node `n` into the tree at the start of `file`. */
function putWideRecord(
  file: Uint8Array,
  recordSize: number,
  n: number,
  bit: number,
  v: number,
): void {
  if (recordSize === 28) {
    const p = n * 7;
    if (bit === 0) {
      file[p] = v >>> 16;
      file[p + 1] = v >>> 8;
      file[p + 2] = v;
      file[p + 3] |= (v >>> 24) << 4;
    } else {
      file[p + 3] |= v >>> 24;
      file[p + 4] = v >>> 16;
      file[p + 5] = v >>> 8;
      file[p + 6] = v;
    }
  } else {
    const p = n * 8 + bit * 4;
    file[p] = v >>> 24;
    file[p + 1] = v >>> 16;
    file[p + 2] = v >>> 8;
    file[p + 3] = v;
  }
}

/**
 * Writes the search tree of sorted networks as the trie they make would be written: nodes in
 * preorder (a node's left child, when it has children, is the next node), a record holding a
 * child's number or, for a child without children, the data it holds or inherits (`records[e]`
 * for entry index + 1 `e`: `nodeCount + 16 +` its data offset; `records[0]`, `nodeCount`, for
 * none). A run of nodes with a single network
 * below them is written at once. A link (entry -1) is the IPv4 subtree, written by `v4` where
 * it is first reached; later links point to that number.
 */
class TreeWriter {
  #file: Uint8Array;
  #recordSize: number;
  #records: Float64Array;
  #list: SortedNetworks;
  #words: Uint32Array;
  #stride: number;
  #prefix: Uint8Array;
  #entry: Int32Array;
  #v4: TreeWriter | null;
  #v4Number = -1;
  #count = 0;

  constructor(
    file: Uint8Array,
    recordSize: number,
    records: Float64Array,
    list: SortedNetworks,
    v4: TreeWriter | null,
  ) {
    this.#file = file;
    this.#recordSize = recordSize;
    this.#records = records;
    this.#list = list;
    this.#words = list.words;
    this.#stride = list.stride;
    this.#prefix = list.prefix;
    this.#entry = list.entry;
    this.#v4 = v4;
  }

  /** Whether the tree is a single node without children. */
  get leaf(): boolean {
    return this.#list.internal === 0;
  }

  /** The entry of a tree that is one leaf (its network of prefix length 0), or 0. */
  get rootEntry(): number {
    return this.#list.size > 0 && this.#prefix[0] === 0 ? this.#entry[0] : 0;
  }

  /** Writes the tree numbered from `start`, inheriting entry `inherited`; returns the next number. */
  write(start: number, inherited: number): number {
    this.#count = start;
    if (this.leaf) {
      // One node (the tree's root), its records the data of the root's network or none.
      const e = this.rootEntry || inherited;
      const n = this.#count++;
      this.#put(n, 0, this.#records[e]);
      this.#put(n, 1, this.#records[e]);
    } else this.#node(0, 0, this.#list.size, inherited);
    return this.#count;
  }

  #put(n: number, bit: number, v: number): void {
    if (this.#recordSize !== 24) return putWideRecord(this.#file, this.#recordSize, n, bit, v);
    const file = this.#file;
    const p = n * 6 + bit * 3;
    file[p] = v >>> 16;
    file[p + 1] = v >>> 8;
    file[p + 2] = v;
  }

  /** The record of a link to the IPv4 subtree, inheriting `e` (written when first reached). */
  #link(e: number): number {
    const v4 = this.#v4 as TreeWriter;
    if (v4.leaf) return this.#records[v4.rootEntry || e];
    if (this.#v4Number < 0) {
      this.#v4Number = this.#count;
      this.#count = v4.write(this.#count, e);
    }
    return this.#v4Number;
  }

  /**
   * Writes the node at depth `d` through which networks `[lo, hi)` pass (some of them below
   * it), inheriting entry `inherited`.
   */
  #node(d: number, lo: number, hi: number, inherited: number): void {
    const num = this.#count++;
    let e = inherited;
    // A network of this node sorts first.
    if (this.#prefix[lo] === d) e = this.#entry[lo++];
    // The networks with bit d clear sort before those with it set.
    const words = this.#words;
    const stride = this.#stride;
    const w = d >>> 5;
    const shift = 31 - (d & 31);
    let a = lo;
    let b = hi;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (((words[m * stride + w] >>> shift) & 1) === 0) a = m + 1;
      else b = m;
    }
    this.#child(num, 0, d + 1, lo, a, e);
    this.#child(num, 1, d + 1, a, hi, e);
  }

  /** Writes record `bit` of node `num`: its child at depth `d` with networks `[lo, hi)`. */
  #child(num: number, bit: number, d: number, lo: number, hi: number, e: number): void {
    if (lo === hi) return this.#put(num, bit, this.#records[e]);
    if (hi - lo > 1) {
      this.#put(num, bit, this.#count);
      return this.#node(d, lo, hi, e);
    }
    const p = this.#prefix[lo];
    const own = this.#entry[lo];
    if (p === d) return this.#put(num, bit, own < 0 ? this.#link(e) : this.#records[own]);
    // One network below: a run of nodes down to it, the other records inheriting `e`.
    this.#put(num, bit, this.#count);
    const words = this.#words;
    const at = lo * this.#stride;
    const other = this.#records[e];
    const file = this.#file;
    for (let k = d; k < p; k++) {
      const n = this.#count++;
      const side = (words[at + (k >>> 5)] >>> (31 - (k & 31))) & 1;
      if (this.#recordSize !== 24 || k + 1 === p) {
        this.#put(n, side ^ 1, other);
        if (k + 1 < p) this.#put(n, side, n + 1);
        else this.#put(n, side, own < 0 ? this.#link(e) : this.#records[own]);
        continue;
      }
      // 24-bit records written here: the next node on one side, `other` on the other.
      const q = n * 6 + side * 3;
      const r = n * 6 + (side ^ 1) * 3;
      file[q] = (n + 1) >>> 16;
      file[q + 1] = (n + 1) >>> 8;
      file[q + 2] = n + 1;
      file[r] = other >>> 16;
      file[r + 1] = other >>> 8;
      file[r + 2] = other;
    }
  }
}

// A copy of `a` in a new array of `size` elements (the rest zero).
function grown<T extends Int32Array | Uint32Array | Uint8Array | Float64Array>(
  a: T,
  size: number,
): T {
  const next = new (a.constructor as new (length: number) => T)(size);
  next.set(a);
  return next;
}
