/**
 * Builds `.mxy` databases: a MaxMind DB search tree over IPv4/IPv6 networks, one shared and
 * de-duplicated data section, optional extension sections for non-IP entries (literal strings,
 * glob patterns) and the metadata map. The result is a valid MaxMind DB that `mmdblookup`,
 * python's `maxminddb` and the `maxmind` npm package read.
 *
 * This file is the orchestration: what `add()` does with an entry and the order `build()`
 * writes the file in. The networks' tables are ./_ipv4_networks.ts and ./_ipv6_networks.ts,
 * the extension entries' ./_extension_entries.ts, the tree writer ./_tree_writer.ts. Layout and
 * semantics are described in docs/FORMAT.md.
 *
 * @module
 */
import { DataSectionWriter, type WritableValue } from "../format/data_writer.ts";
import { encodeMetadata, type SectionLocation } from "../format/metadata_writer.ts";
import type { SectionParts } from "../format/section_parts.ts";
import { formatIpv4, formatNetwork, IpAddressError, parseCidr } from "../core/ip.ts";
import { DatabaseError, type EntrySource } from "./database_error.ts";
import type { BuildStats, DatabaseBuilderOptions } from "./builder_options.ts";
import type { SectionEncoder, SectionEntries } from "./section_encoder.ts";
import { patternSectionEncoders } from "./pattern_sections.ts";
import { ExtensionEntries, stringHash } from "./_extension_entries.ts";
import { mergeValues } from "./_merge_values.ts";
import {
  type Ipv4Network,
  isZero,
  looksLikeIp,
  parseIpv4Network,
  parseIpv6Network,
} from "./_network_text.ts";
import { Ipv4Networks } from "./_ipv4_networks.ts";
import { entryInsideAlias, Ipv6Networks } from "./_ipv6_networks.ts";
import { TreeWriter } from "./_tree_writer.ts";
import { grown } from "./_grow.ts";

const IP_PREFIX = "ip:";

/**
 * Collects entries and builds a `.mxy` / MaxMind DB file.
 *
 * Longest-prefix semantics hold whatever the insertion order: an address inside several networks
 * gets the most specific one's data. IPv4 entries in an IPv6 tree live at `::/96`, and (like
 * MaxMind's writer) `::ffff:0:0/96` and `2002::/16` lead to the same IPv4 subtree.
 *
 * @example
 * ```ts
 * import { DatabaseBuilder } from "@mxy/mxy/db";
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
  // Per network entry: its value's offset in the data section, where it came from (an index
  // into #fileNames, -1 for unknown, and a line), and in merge mode its value until build().
  #offset = new Float64Array(1 << 12);
  #srcFile = new Int32Array(1 << 12);
  #srcLine = new Int32Array(1 << 12);
  #values: WritableValue[] = [];
  #entries = 0;
  // The networks, recorded by add() for the duplicate policy and sorted by build().
  #v4 = new Ipv4Networks();
  #v6 = new Ipv6Networks();
  #v4Text: Ipv4Network = { addr: 0, prefix: 0 };
  #scratch6 = new Uint8Array(16);
  #files = new Map<string, number>();
  #fileNames: string[] = [];
  #counts: Record<string, number> = { ipv4: 0, ipv6: 0, literal: 0, glob: 0 };
  #duplicates = 0;
  #ext = new Map<string, ExtensionEntries>();
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
      parentDomains: options.parentDomains ?? false,
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
   * @throws {TypeError} When an extension of the same kind is already registered.
   * @throws {DatabaseError} `already-built` after `build()`.
   * @example
   * ```ts
   * import { DatabaseBuilder } from "@mxy/mxy/db";
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
    this.#checkNotBuilt("addExtension()");
    if (this.#ext.has(encoder.kind)) {
      throw new TypeError(`An extension for "${encoder.kind}" entries is already registered`);
    }
    this.#ext.set(encoder.kind, new ExtensionEntries(encoder));
    if (encoder.kind === "") this.#emptyKind = true;
    this.#counts[encoder.kind] ??= 0;
  }

  /**
   * Current counters; tree and size fields are filled in by `build()`.
   *
   * @example
   * ```ts
   * import { DatabaseBuilder } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("10.0.0.0/8", { n: 1 });
   * b.add("10.0.0.0/8", { n: 2 });
   * assert.equal(b.stats.duplicates, 1);
   * assert.equal(b.stats.nodeCount, 0);
   * b.build();
   * assert.equal(b.stats.nodeCount, 8);
   * ```
   */
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

  #checkNotBuilt(what: string): void {
    if (this.#built) {
      throw new DatabaseError("already-built", `Cannot call ${what} after build()`);
    }
  }

  /**
   * Adds one entry: an IPv4/IPv6 address or CIDR network (optionally prefixed `ip:`), or a
   * `kind:`-prefixed entry for a registered extension; an unprefixed entry that is not an IP
   * address goes to the first extension that claims it (a glob when it has an unescaped `*`,
   * `?` or `[`, else a literal).
   *
   * @param entry The entry text.
   * @param data Its value (any MMDB value; usually a map).
   * @param source Where it came from, for error messages.
   * @throws {DatabaseError} For an invalid entry or value, an unsupported kind, a duplicate
   *   under the `error` policy (each with the source), or `already-built` after `build()`.
   * @example
   * ```ts
   * import { DatabaseBuilder, DatabaseError } from "@mxy/mxy/db";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("2001:db8::/32", { net: "doc" });
   * assert.throws(() => b.add("10.0.0.1/8", {}, { file: "f.txt", line: 3 }), DatabaseError);
   * b.add("literal:evil.example", { tag: "ioc" });
   * assert.equal(b.stats.counts.literal, 1);
   * ```
   */
  add(entry: string, data: WritableValue, source?: EntrySource): void {
    if (this.#built) this.#checkNotBuilt("add()");
    const text = entry.trim();
    if (text === "") throw new DatabaseError("bad-entry", "Empty entry", source);
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
      } else if (
        colon > 0 &&
        (v6Prefix = parseIpv6Network(text, this.#opts.normalize, this.#scratch6)) >= 0
      ) {
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
          throw new DatabaseError(
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
      throw new DatabaseError(
        "unsupported-kind",
        `${name} entries are not supported by this builder: ${JSON.stringify(`${kind}:${key}`)}`,
        source,
      );
    }
    if (key.length === 0) {
      throw new DatabaseError("bad-entry", `Empty ${kind} entry`, source);
    }
    let norm = key;
    if (st.encoder.normalizeKey) {
      try {
        norm = st.encoder.normalizeKey(key, this.#opts.matchMode);
      } catch (err) {
        // An encoder refuses a key with a bad-entry DatabaseError (a glob that does not parse
        // with the GlobError underneath); anything else is not the entry's fault.
        if (err instanceof DatabaseError && err.code === "bad-entry") {
          throw new DatabaseError("bad-entry", err.reason, source, { cause: err.cause });
        }
        throw err;
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
  #extSource(st: ExtensionEntries, i: number): EntrySource | undefined {
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
      throw new DatabaseError(
        "duplicate",
        `Duplicate entry ${JSON.stringify(what)}${where}`,
        source,
      );
    }
  }

  /** Stores a value; what no MaxMind DB type holds is the entry's bad value. */
  #encode(data: WritableValue, source?: EntrySource): number {
    try {
      return this.#data.add(data);
    } catch (err) {
      // The data writer refuses a value with a TypeError (a kind no type holds) or a
      // RangeError (a number out of every type's range, nesting too deep).
      if (err instanceof TypeError || err instanceof RangeError) {
        throw new DatabaseError("bad-value", err.message, source, { cause: err });
      }
      throw err;
    }
  }

  /**
   * Stores IPv4 network text (`a.b.c.d` or `a.b.c.d/prefix`, host bits clear or normalize on);
   * returns false, storing nothing, for any other text (which parseCidr then parses or rejects).
   */
  #addV4(text: string, data: WritableValue, source?: EntrySource): boolean {
    const net = this.#v4Text;
    if (!parseIpv4Network(text, this.#opts.normalize, net)) return false;
    this.#storeV4(net.addr, net.prefix, false, null, data, source);
    return true;
  }

  /**
   * Stores an IP network given as text; `v6Prefix`, when 0 or more, says that the text was
   * already parsed into `#scratch6` with that prefix length.
   */
  #addNetwork(text: string, data: WritableValue, source?: EntrySource, v6Prefix = -1): void {
    if (v6Prefix < 0 && this.#addV4(text, data, source)) return;
    // IPv6 text: parsed into a scratch buffer; anything unusual takes parseCidr for its error.
    let given: Uint8Array = this.#scratch6;
    let givenPrefix = v6Prefix >= 0
      ? v6Prefix
      : parseIpv6Network(text, this.#opts.normalize, this.#scratch6);
    let isV6 = true;
    if (givenPrefix < 0) {
      let net;
      try {
        net = parseCidr(text, { normalize: this.#opts.normalize });
      } catch (err) {
        if (err instanceof IpAddressError) {
          const hint = err.code === "host-bits-set" ? "; use --normalize to clear them" : "";
          throw new DatabaseError(
            err.code === "host-bits-set" ? "host-bits-set" : "bad-entry",
            err.message + hint,
            source,
            { cause: err },
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
      throw new DatabaseError(
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

  /** Applies the duplicate policy to a network given again (entry `i`). */
  #repeat(
    i: number,
    bytes: Uint8Array | null,
    v4: number,
    prefix: number,
    data: WritableValue,
    source?: EntrySource,
  ): void {
    const label = bytes ? formatNetwork(bytes, prefix) : `${formatIpv4(v4)}/${prefix}`;
    this.#duplicate(label, this.#sourceOf(i), source);
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
    const v4 = this.#v4;
    const e = v4.find(addr, prefix);
    if (e >= 0) return this.#repeat(e, bytes, addr, labelPrefix, data, source);
    v4.insert(addr, prefix, this.#newEntry(isV6, data, source));
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
    const v6 = this.#v6;
    const e = v6.find(w0, w1, w2, w3, prefix);
    if (e >= 0) return this.#repeat(e, given, 0, givenPrefix, data, source);
    v6.insert(w0, w1, w2, w3, prefix, this.#newEntry(true, data, source));
  }

  /** A new network entry (its value encoded now unless merging); returns its index. */
  #newEntry(isV6: boolean, data: WritableValue, source?: EntrySource): number {
    const merge = this.#opts.onDuplicate === "merge";
    const offset = merge ? -1 : this.#encode(data, source);
    const i = this.#entries++;
    if (i >= this.#offset.length) this.#growEntries();
    this.#offset[i] = offset;
    this.#setSource(i, source);
    if (merge) this.#values[i] = data;
    if (isV6) {
      this.#counts.ipv6++;
    } else {
      this.#counts.ipv4++;
    }
    return i;
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
  }

  /**
   * Builds the database file.
   *
   * @returns The complete file: search tree, data section, extension sections, metadata.
   * @throws {DatabaseError} When a value cannot be stored (merge mode), a network lies inside
   *   an IPv4 alias (`2002::/16`), the database is too large for the record size, or the
   *   builder was built already (`already-built`).
   * @example
   * ```ts
   * import { DatabaseBuilder } from "@mxy/mxy/db";
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
    this.#checkNotBuilt("build()");
    this.#built = true;
    const opts = this.#opts;
    if (opts.onDuplicate === "merge") this.#encodeMergedValues();
    // Extension sections first: they may add values to the data section.
    const sections = this.#encodeSections();
    // The tree: the IPv4 subtree's networks and, in an IPv6 tree, the IPv6 networks, each
    // sorted; in an IPv6 tree with IPv4 entries the IPv4 subtree is linked in at ::/96 (and
    // the aliases).
    const v4 = this.#v4.sorted(this.#entries);
    const ipVersion: 4 | 6 = opts.ipVersion === "auto"
      ? (this.#counts.ipv6 > 0 ? 6 : 4)
      : opts.ipVersion;
    const v6 = ipVersion === 6 ? this.#v6.sorted(v4.size > 0, opts.ipv4Aliases) : null;
    if (v6 !== null && v4.size > 0 && opts.ipv4Aliases) {
      // 2001::/32 and 2002::/16 lead to the IPv4 subtree: no network may lie inside them.
      const inside = entryInsideAlias(v6);
      if (inside >= 0) {
        throw new DatabaseError(
          "aliased-network",
          "Network inside 2001::/32 (Teredo) or 2002::/16 (6to4) cannot be stored: in an IPv6 " +
            "database with IPv4 entries those ranges are aliases of the IPv4 space (build " +
            "with ipv4Aliases: false, or --no-ipv4-aliases, to store it)",
          this.#sourceOf(inside),
        );
      }
    }
    const nodeCount = v6 === null
      ? Math.max(v4.internal, 1)
      : Math.max(v6.internal, 1) + (v4.size > 0 ? v4.internal : 0);
    const dataSize = this.#data.size;
    const recordSize = this.#recordSize(nodeCount, dataSize);

    // Where everything goes, so the file is allocated once.
    const treeSize = nodeCount * (recordSize / 4);
    let pos = treeSize + 16 + dataSize;
    const where: Record<string, SectionLocation> = {};
    for (const s of sections) {
      pos = Math.ceil(pos / 8) * 8;
      where[s.name] = { offset: pos, length: s.bytes.length };
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
      mxy: {
        counts: { ...this.#counts },
        matchMode: opts.matchMode,
        parentDomains: opts.parentDomains,
        sections: where,
      },
    });
    const file = new Uint8Array(pos + meta.length);

    // The record value of each entry (index + 1; 0: no data).
    const records = new Float64Array(this.#entries + 1);
    records[0] = nodeCount;
    for (let i = 0; i < this.#entries; i++) records[i + 1] = nodeCount + 16 + this.#offset[i];
    const v4Writer = new TreeWriter(file, recordSize, records, v4, null);
    const written = v6 === null
      ? v4Writer.write(0, 0)
      : new TreeWriter(file, recordSize, records, v6, v4Writer).write(0, 0);
    if (written !== nodeCount) {
      throw new DatabaseError(
        "internal",
        `The search tree writer wrote ${written} nodes where ${nodeCount} were counted ` +
          "(a bug in mxy)",
      );
    }
    // 16 zero bytes, then the data section and the extension sections.
    file.set(this.#data.bytes(), treeSize + 16);
    for (const { name, bytes } of sections) {
      if (bytes instanceof Uint8Array) file.set(bytes, where[name].offset);
      else bytes.writeTo(file, where[name].offset);
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

  /** Merge mode: encodes the values kept (merged) until now. */
  #encodeMergedValues(): void {
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

  /** Each extension's section, in registration order (those without entries left out). */
  #encodeSections(): { name: string; bytes: Uint8Array | SectionParts }[] {
    const sections: { name: string; bytes: Uint8Array | SectionParts }[] = [];
    const context = {
      addValue: (value: WritableValue) => this.#data.add(value),
      matchMode: this.#opts.matchMode,
    };
    for (const st of this.#ext.values()) {
      if (st.count === 0) continue;
      const entries: SectionEntries = {
        count: st.count,
        keys: st.keys,
        offsets: st.offsets.subarray(0, st.count),
        source: (i: number) => this.#extSource(st, i),
      };
      sections.push({ name: st.encoder.name, bytes: st.encoder.encode(entries, context) });
    }
    return sections;
  }

  /** The record size: the one asked for, or the smallest that holds every record value. */
  #recordSize(nodeCount: number, dataSize: number): 24 | 28 | 32 {
    const need = nodeCount + 16 + dataSize;
    const wanted = this.#opts.recordSize;
    const recordSize = wanted !== "auto"
      ? wanted
      : need <= 2 ** 24
      ? 24
      : need <= 2 ** 28
      ? 28
      : 32;
    if (need > 2 ** recordSize) {
      throw new DatabaseError(
        "too-large",
        `Database too large for ${recordSize}-bit records: ${nodeCount} nodes and ` +
          `${dataSize} bytes of data need ${need} record values`,
      );
    }
    return recordSize;
  }
}
