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

/** One non-IP entry handed to a {@linkcode SectionEncoder}. */
export interface SectionEntry {
  /** The entry text after its `kind:` prefix (as given, not normalized). */
  readonly key: string;
  /** Offset of its value in the data section (from the section's start, as MMDB pointers). */
  readonly offset: number;
  /** Where it came from, when known. */
  readonly source?: EntrySource;
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
  /** Encodes the section from its entries (in first-insertion order). */
  encode(entries: readonly SectionEntry[], context: SectionContext): Uint8Array;
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
  // Slot → entry index + 1 (0: free); the hash of each entry's normalized key.
  table: Int32Array = new Int32Array(1 << 10);
  hashes: Int32Array = new Int32Array(256);
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
    const mask = table.length - 1;
    for (let slot = h & mask;; slot = (slot + 1) & mask) {
      const e = table[slot];
      if (e === 0) return -1;
      if (this.hashes[e - 1] === h && this.norms[e - 1] === norm) return e - 1;
    }
  }

  /** Appends a new entry (its normalized key not present); returns its index. */
  push(key: string, norm: string, h: number, offset: number, file: number, line: number): number {
    const i = this.count++;
    if (i === this.hashes.length) {
      const n = 2 * i;
      this.hashes = grown(this.hashes, n);
      this.srcFile = grown(this.srcFile, n);
      this.srcLine = grown(this.srcLine, n);
      const o = new Float64Array(n);
      o.set(this.offsets);
      this.offsets = o;
    }
    this.keys.push(key);
    this.norms.push(norm);
    this.hashes[i] = h;
    this.offsets[i] = offset;
    this.srcFile[i] = file;
    this.srcLine[i] = line;
    if (2 * this.count > this.table.length) {
      const table = new Int32Array(2 * this.table.length);
      const mask = table.length - 1;
      for (let k = 0; k < this.count; k++) {
        let slot = this.hashes[k] & mask;
        while (table[slot] !== 0) slot = (slot + 1) & mask;
        table[slot] = k + 1;
      }
      this.table = table;
    } else {
      const mask = this.table.length - 1;
      let slot = h & mask;
      while (this.table[slot] !== 0) slot = (slot + 1) & mask;
      this.table[slot] = i + 1;
    }
    return i;
  }
}

/** The IPv4-subtree networks sorted by address, then prefix length (see `#sortV4`). */
interface V4Networks {
  addr: Uint32Array;
  prefix: Uint8Array;
  /** Entry index + 1 of each network. */
  entry: Int32Array;
  size: number;
  /** Search-tree nodes of the subtree (trie nodes with children); 0 when it is one leaf. */
  internal: number;
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
  // Trie: node 0 is "none"; node 1 is the IPv4 root, node 2 the IPv6 root. The children of
  // node t are #kids[2t] (bit 0) and #kids[2t + 1] (bit 1), side by side in one array.
  #kids = new Int32Array(1 << 17);
  #entry = new Int32Array(1 << 16); // entry index + 1, 0 = no data at this prefix
  #nodes = 3;
  // Trie nodes with a child: the search tree's node count when every one is reachable (as it
  // is unless an add() failed half-way or an alias replaced a subtree; build() checks).
  #internal = 0;
  #walked = 0; // depth reached by the last #walk()
  // Networks.
  #offset = new Float64Array(1 << 12);
  #srcFile = new Int32Array(1 << 12);
  #srcLine = new Int32Array(1 << 12);
  // Networks of the IPv4 subtree (trie node 1) are only recorded by add(), in a hash table on
  // (address, prefix) for the duplicate policy, and are put into the trie at build() in address
  // order: sorted insertion walks nodes that are already in cache and numbers them almost in
  // the order the tree is written.
  #v4Addr = new Uint32Array(1 << 12);
  #v4Prefix = new Uint8Array(1 << 12); // 255: not an IPv4-subtree network
  #v4Table = new Int32Array(1 << 12); // entry index + 1, 0 = free slot
  #v4Count = 0;
  #scratch6 = new Uint8Array(16);
  #entries = 0;
  #values: WritableValue[] = [];
  #files = new Map<string, number>();
  #fileNames: string[] = [];
  #hasV6 = false;
  #counts: Record<string, number> = { ipv4: 0, ipv6: 0, literal: 0, glob: 0 };
  #duplicates = 0;
  #ext = new Map<string, ExtState>();
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
   *   encode: (entries) => new TextEncoder().encode(entries.map((e) => e.key).join("\n")),
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
    if (text.startsWith(IP_PREFIX)) {
      rest = text.slice(IP_PREFIX.length);
    } else {
      const colon = text.indexOf(":");
      // IPv4 text first (unless an extension of kind "" takes every entry without a colon).
      if (colon < 0 && !this.#ext.has("") && this.#addV4(text, data, source)) return;
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

  #addNetwork(text: string, data: WritableValue, source?: EntrySource): void {
    if (this.#addV4(text, data, source)) return;
    // IPv6 text: parsed into a scratch buffer; anything unusual takes parseCidr for its error.
    let given: Uint8Array = this.#scratch6;
    let givenPrefix = this.#parseV6(text);
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
    let root = 1;
    if (isV6 && prefix >= 96 && isZero(bytes, 10)) {
      const mapped = bytes[10] === 0xff && bytes[11] === 0xff;
      if (mapped || (bytes[10] === 0 && bytes[11] === 0)) {
        // ::ffff:a.b.c.d (IPv4-mapped) is an IPv4 entry; ::a.b.c.d is the same tree position.
        bytes = bytes.slice(12);
        prefix -= 96;
        isV6 = !mapped;
      }
    }
    if (isV6 && bytes.length === 16) root = 2;
    if (isV6 && this.#opts.ipVersion === 4) {
      throw new InputError(
        "wrong-ip-version",
        `IPv6 network ${JSON.stringify(text)} cannot be stored in an IPv4 database`,
        source,
      );
    }
    if (root === 1) {
      const addr = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
      this.#storeV4(addr, prefix, isV6, given, data, source, givenPrefix);
      return;
    }
    // The value is stored before the path is created, so a value that cannot be stored leaves
    // no trie nodes behind.
    const t = this.#walk(root, bytes, prefix);
    const depth = this.#walked;
    if (depth === prefix && this.#entry[t] !== 0) {
      this.#repeat(this.#entry[t] - 1, given, 0, givenPrefix, data, source);
      return;
    }
    const i = this.#newEntry(isV6, data, source);
    const leaf = this.#extend(t, bytes, depth, prefix); // may replace #entry
    this.#entry[leaf] = i + 1;
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

  /** Walks (creating) the path of the first `depth` bits of `bytes` from trie node `root`. */
  #path(root: number, bytes: ArrayLike<number>, depth: number): number {
    const t = this.#walk(root, bytes, depth);
    return this.#extend(t, bytes, this.#walked, depth);
  }

  /**
   * Follows the first `depth` bits of `bytes` from trie node `root` as far as nodes exist;
   * returns the last node reached and sets `#walked` to its depth.
   */
  #walk(root: number, bytes: ArrayLike<number>, depth: number): number {
    const kids = this.#kids;
    let t = root;
    let i = 0;
    for (; i < depth; i++) {
      const c = kids[2 * t + ((bytes[i >> 3] >> (7 - (i & 7))) & 1)];
      if (c === 0) break;
      t = c;
    }
    this.#walked = i;
    return t;
  }

  /** Creates the path of bits `from` to `depth` of `bytes` below node `t` (at depth `from`). */
  #extend(t: number, bytes: ArrayLike<number>, from: number, depth: number): number {
    let kids = this.#kids;
    for (let i = from; i < depth; i++) {
      const n = this.#nodes++;
      if (n === this.#entry.length) kids = this.#grow();
      const at = 2 * t + ((bytes[i >> 3] >> (7 - (i & 7))) & 1);
      if (kids[at ^ 1] === 0) this.#internal++;
      kids[at] = n;
      t = n;
    }
    return t;
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
   * Stores the data of the IPv4-subtree network `addr/prefix` (recorded now, put into the trie
   * at build()). `bytes` and `labelPrefix` name the network as given, for duplicate messages.
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
      this.#hasV6 = true;
      this.#counts.ipv6++;
    } else {
      this.#counts.ipv4++;
    }
    return i;
  }

  /**
   * The recorded IPv4-subtree networks in address order (shorter prefixes first), with the
   * number of search-tree nodes they make. They are not put into the trie: the tree writer
   * walks the sorted list.
   */
  #sortV4(): V4Networks {
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
    const out: V4Networks = {
      addr: new Uint32Array(k),
      prefix: new Uint8Array(k),
      entry: new Int32Array(k),
      size: k,
      internal: 0,
    };
    // The trie these networks make: a network adds the nodes of its path below the deepest
    // node it shares with the previous network's path (every later node is new: the list is
    // sorted); a node has children unless it is a network's node and the next network does not
    // lie below it.
    let nodes = 1;
    let leaves = k === 0 ? 1 : 0;
    let prevAddr = 0;
    let prevPrefix = 0;
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
      out.addr[j] = addr;
      out.prefix[j] = prefix;
      out.entry[j] = e;
      const d = j === 0 ? 0 : Math.min(Math.clz32((addr ^ prevAddr) >>> 0), prevPrefix, prefix);
      nodes += prefix - d;
      if (j > 0 && !(d === prevPrefix && prefix > prevPrefix)) leaves++;
      prevAddr = addr;
      prevPrefix = prefix;
    }
    if (k > 0) leaves++; // the last network
    out.internal = nodes - leaves;
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
    const o = new Float64Array(n);
    o.set(this.#offset);
    this.#offset = o;
    const f = new Int32Array(n);
    f.set(this.#srcFile);
    this.#srcFile = f;
    const l = new Int32Array(n);
    l.set(this.#srcLine);
    this.#srcLine = l;
    const a = new Uint32Array(n);
    a.set(this.#v4Addr);
    this.#v4Addr = a;
    const p = new Uint8Array(n);
    p.set(this.#v4Prefix);
    this.#v4Prefix = p;
  }

  /** Sets child slot `at` of the trie (`2t` or `2t + 1` for node `t`) to node `c`. */
  #link(at: number, c: number): void {
    const kids = this.#kids;
    if (kids[at] === 0 && kids[at ^ 1] === 0) this.#internal++;
    kids[at] = c;
  }

  /** Doubles the trie's node arrays; returns the new `#kids`. */
  #grow(): Int32Array<ArrayBuffer> {
    const size = this.#entry.length * 2;
    this.#entry = grown(this.#entry, size);
    this.#kids = grown(this.#kids, 2 * size);
    return this.#kids;
  }

  /** The first entry stored at or below trie node `t`, for error messages. */
  #firstEntryBelow(t: number): number {
    if (this.#entry[t] !== 0) return this.#entry[t] - 1;
    for (const c of [this.#kids[2 * t], this.#kids[2 * t + 1]]) {
      if (c !== 0) {
        const e = this.#firstEntryBelow(c);
        if (e >= 0) return e;
      }
    }
    return -1;
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
    const sectionBytes: { name: string; bytes: Uint8Array }[] = [];
    for (const st of this.#ext.values()) {
      if (st.count === 0) continue;
      const entries: SectionEntry[] = st.keys.map((key, i) => ({
        key,
        offset: st.offsets[i],
        source: this.#extSource(st, i),
      }));
      const bytes = st.encoder.encode(entries, { data: this.#data, matchMode: opts.matchMode });
      sectionBytes.push({ name: st.encoder.name, bytes });
    }

    // The tree.
    const v4 = this.#sortV4();
    // 0.0.0.0/0 is the IPv4 root's own entry.
    if (v4.size > 0 && v4.prefix[0] === 0) this.#entry[1] = v4.entry[0];
    const ipVersion: 4 | 6 = opts.ipVersion === "auto" ? (this.#hasV6 ? 6 : 4) : opts.ipVersion;
    let root = 1;
    if (ipVersion === 6) {
      root = 2;
      if (v4.size > 0) {
        const zero = this.#path(2, new Uint8Array(16), 95);
        if (this.#kids[2 * zero] !== 0) {
          throw new Error("Internal error: ::/96 is already taken");
        }
        this.#link(2 * zero, 1);
        if (opts.ipv4Aliases) {
          const mapped = this.#path(2, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0], 95);
          this.#link(2 * mapped + 1, 1);
          const sixToFour = this.#path(2, [0x20, 0x02], 15);
          const taken = this.#kids[2 * sixToFour];
          if (taken !== 0) {
            const e = this.#firstEntryBelow(taken);
            if (e >= 0) {
              throw new InputError(
                "aliased-network",
                "Network inside 2002::/16 cannot be stored: in an IPv6 database with IPv4 " +
                  "entries that range is an alias of the IPv4 space (6to4)",
                this.#sourceOf(e),
              );
            }
          }
          this.#link(2 * sixToFour, 1);
        }
      }
    }

    const kids = this.#kids;
    // The tree's node count: trie nodes with children, the IPv4 subtree's nodes when it is in the
    // tree, the root always (checked by writing the tree).
    const rootLeaf = root === 1 ? v4.internal === 0 : (kids[2 * root] | kids[2 * root + 1]) === 0;
    let nodeCount = this.#internal + (root === 1 || v4.size > 0 ? v4.internal : 0) +
      (rootLeaf ? 1 : 0);
    let exact = false;
    for (;;) {
      const dataSize = this.#data.size;
      const need = nodeCount + 16 + dataSize;
      let recordSize: 24 | 28 | 32;
      if (opts.recordSize === "auto") {
        recordSize = need <= 2 ** 24 ? 24 : need <= 2 ** 28 ? 28 : 32;
      } else {
        recordSize = opts.recordSize;
      }
      if (need > 2 ** recordSize) {
        if (!exact) {
          nodeCount = countTreeNodes(kids, root, v4.internal);
          exact = true;
          continue;
        }
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

      const count = writeTree(
        file,
        kids,
        this.#entry,
        this.#offset,
        root,
        nodeCount,
        recordSize,
        v4,
      );
      if (count !== nodeCount) {
        if (exact) throw new Error("Internal error: node count changed");
        // Nodes that are not reachable were counted: count the tree and lay it out again.
        nodeCount = countTreeNodes(kids, root, v4.internal);
        exact = true;
        continue;
      }
      // 16 zero bytes, then the data section and the extension sections.
      file.set(this.#data.bytes(), treeSize + 16);
      for (const s of sectionBytes) file.set(s.bytes, sections[s.name].offset);
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

/**
 * The number of search-tree nodes below trie root `root`: the reachable trie nodes with children,
 * the IPv4 subtree (node 1, which the aliases share; `v4Internal` nodes) once, and the root
 * always. Depth first with an explicit stack: a path holds at most 129 nodes and each leaves at
 * most one pending sibling.
 */
function countTreeNodes(kids: Int32Array, root: number, v4Internal: number): number {
  const stack = new Int32Array(260);
  let count = 0;
  let v4Seen = false;
  let sp = 0;
  stack[sp++] = root;
  while (sp > 0) {
    const t = stack[--sp];
    if (t === 1) {
      if (!v4Seen) count += Math.max(v4Internal, 1);
      v4Seen = true;
      continue;
    }
    count++;
    const l = kids[2 * t];
    const r = kids[2 * t + 1];
    if (r === 1 ? v4Internal > 0 : r !== 0 && (kids[2 * r] | kids[2 * r + 1]) !== 0) {
      stack[sp++] = r;
    }
    if (l === 1 ? v4Internal > 0 : l !== 0 && (kids[2 * l] | kids[2 * l + 1]) !== 0) {
      stack[sp++] = l;
    }
  }
  return count;
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
 * Writes the IPv4 subtree from its sorted networks, as the trie they make would be written: in
 * preorder, a run of nodes with a single network below them at once.
 */
class V4TreeWriter {
  #file: Uint8Array;
  #recordSize: number;
  #nodeCount: number;
  #dataBase: number;
  #offsets: Float64Array;
  #addr: Uint32Array;
  #prefix: Uint8Array;
  #entry: Int32Array;
  #v4: V4Networks;
  #count = 0;

  constructor(
    file: Uint8Array,
    recordSize: number,
    nodeCount: number,
    offsets: Float64Array,
    v4: V4Networks,
  ) {
    this.#file = file;
    this.#recordSize = recordSize;
    this.#nodeCount = nodeCount;
    this.#dataBase = nodeCount + 16;
    this.#offsets = offsets;
    this.#addr = v4.addr;
    this.#prefix = v4.prefix;
    this.#entry = v4.entry;
    this.#v4 = v4;
  }

  /** Writes the subtree numbered from `start`, inheriting entry `inherited`; returns the next number. */
  write(start: number, inherited: number): number {
    this.#count = start;
    const v4 = this.#v4;
    if (v4.internal === 0) {
      // One node (the tree's root), its records the data of 0.0.0.0/0 or none.
      const e = v4.size > 0 ? v4.entry[0] : inherited;
      const n = this.#count++;
      this.#put(n, 0, this.#data(e));
      this.#put(n, 1, this.#data(e));
    } else this.#node(0, 0, v4.size, inherited);
    return this.#count;
  }

  #data(e: number): number {
    return e === 0 ? this.#nodeCount : this.#dataBase + this.#offsets[e - 1];
  }

  #put(n: number, bit: number, v: number): void {
    if (this.#recordSize !== 24) return putWideRecord(this.#file, this.#recordSize, n, bit, v);
    const file = this.#file;
    const p = n * 6 + bit * 3;
    file[p] = v >>> 16;
    file[p + 1] = v >>> 8;
    file[p + 2] = v;
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
    const addr = this.#addr;
    const shift = 31 - d;
    let a = lo;
    let b = hi;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (((addr[m] >>> shift) & 1) === 0) a = m + 1;
      else b = m;
    }
    this.#child(num, 0, d + 1, lo, a, e);
    this.#child(num, 1, d + 1, a, hi, e);
  }

  /** Writes record `bit` of node `num`: its child at depth `d` with networks `[lo, hi)`. */
  #child(num: number, bit: number, d: number, lo: number, hi: number, e: number): void {
    if (lo === hi) return this.#put(num, bit, this.#data(e));
    if (hi - lo > 1) {
      this.#put(num, bit, this.#count);
      return this.#node(d, lo, hi, e);
    }
    const p = this.#prefix[lo];
    const own = this.#data(this.#entry[lo]);
    if (p === d) return this.#put(num, bit, own);
    // One network below: a chain of nodes down to it, the other records inheriting `e`.
    this.#put(num, bit, this.#count);
    const addr = this.#addr[lo];
    const other = this.#data(e);
    for (let k = d; k < p; k++) {
      const n = this.#count++;
      const side = (addr >>> (31 - k)) & 1;
      this.#put(n, side, k + 1 < p ? n + 1 : own);
      this.#put(n, side ^ 1, other);
    }
  }
}

/**
 * Writes the search tree below trie root `root` into the zeroed start of `file`; returns the
 * number of nodes written. Nodes are numbered in preorder (a node's left child, when it has
 * children, is the next node); a record holds a child's number or, for a child without children,
 * the data it holds or inherits (`nodeCount` for none, else `nodeCount + 16 +` its data offset).
 * Right children with children wait on a stack while the left subtree is written; the IPv4
 * subtree is numbered where it is first reached and the aliases point to that number.
 */
function writeTree(
  file: Uint8Array,
  kids: Int32Array,
  entry: Int32Array,
  offsets: Float64Array,
  root: number,
  nodeCount: number,
  recordSize: number,
  v4: V4Networks,
): number {
  const dataBase = nodeCount + 16;
  const wide = recordSize !== 24;
  const v4Leaf = v4.internal === 0;
  const v4Writer = new V4TreeWriter(file, recordSize, nodeCount, offsets, v4);
  const pendingNode = new Int32Array(260);
  const pendingData = new Int32Array(260);
  const pendingParent = new Float64Array(260);
  let sp = 0;
  let count = 0;
  let v4Number = -1;
  let t = root;
  let inherited = 0;
  while (t !== 0) {
    if (t === 1) {
      // The IPv4 subtree, written from its sorted networks.
      v4Number = count;
      count = v4Writer.write(count, inherited);
    } else {
      const num = count++;
      const e = entry[t] !== 0 ? entry[t] : inherited;
      const l = kids[2 * t];
      let next = 0;
      let rec: number;
      if (l === 0) rec = e === 0 ? nodeCount : dataBase + offsets[e - 1];
      else if ((kids[2 * l] | kids[2 * l + 1]) === 0 && (l !== 1 || v4Leaf)) {
        const le = entry[l] !== 0 ? entry[l] : e;
        rec = le === 0 ? nodeCount : dataBase + offsets[le - 1];
      } else if (l === 1 && v4Number >= 0) rec = v4Number;
      else {
        rec = num + 1;
        next = l;
      }
      if (wide) putWideRecord(file, recordSize, num, 0, rec);
      else {
        const p = num * 6 + 0;
        const x = rec;
        file[p] = x >>> 16;
        file[p + 1] = x >>> 8;
        file[p + 2] = x;
      }
      const r = kids[2 * t + 1];
      rec = -1;
      if (r === 0) rec = e === 0 ? nodeCount : dataBase + offsets[e - 1];
      else if ((kids[2 * r] | kids[2 * r + 1]) === 0 && (r !== 1 || v4Leaf)) {
        const re = entry[r] !== 0 ? entry[r] : e;
        rec = re === 0 ? nodeCount : dataBase + offsets[re - 1];
      } else {
        pendingNode[sp] = r;
        pendingData[sp] = e;
        pendingParent[sp] = num;
        sp++;
      }
      if (rec >= 0) {
        if (wide) putWideRecord(file, recordSize, num, 1, rec);
        else {
          const p = num * 6 + 3;
          const x = rec;
          file[p] = x >>> 16;
          file[p + 1] = x >>> 8;
          file[p + 2] = x;
        }
      }
      if (next !== 0) {
        t = next;
        inherited = e;
        continue;
      }
    }
    t = 0;
    while (sp > 0) {
      sp--;
      const c = pendingNode[sp];
      const alias = c === 1 && v4Number >= 0;
      if (wide) putWideRecord(file, recordSize, pendingParent[sp], 1, alias ? v4Number : count);
      else {
        const p = pendingParent[sp] * 6 + 3;
        const x = alias ? v4Number : count;
        file[p] = x >>> 16;
        file[p + 1] = x >>> 8;
        file[p + 2] = x;
      }
      if (alias) continue;
      t = c;
      inherited = pendingData[sp];
      break;
    }
  }
  return count;
}

// A copy of `a` in a new array of `size` elements (the rest zero).
function grown(a: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const next = new Int32Array(size);
  next.set(a);
  return next;
}
