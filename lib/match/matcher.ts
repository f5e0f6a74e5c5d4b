/**
 * The matcher: the extractor joined to a {@linkcode Database}. Every span the extractor finds is
 * looked up from its bytes, allocating nothing — IPv4 and IPv6 addresses in the search tree,
 * everything else against the literal and glob entries, and domains, when asked, by their parent
 * domains — and each hit is reported through one reused {@linkcode MatchHit}.
 *
 * @module
 */
import type { Database } from "../db/database.ts";
import { DatabaseError } from "../db/database_error.ts";
import { parseIpBytesInto } from "../core/ip.ts";
import { asciiLower } from "../core/ascii.ts";
import { Extractor } from "./extractor.ts";
import * as ipv4 from "./_ipv4.ts";
import * as spanLookup from "./_span_lookup.ts";
import { SpanLookup } from "./_span_lookup.ts";
import { databaseSuffixes } from "./_database_suffixes.ts";
import { EntryTexts, lowerText } from "./_entry_texts.ts";
import { ALL_SPAN_KINDS, SpanKind } from "./span_kind.ts";
import { WordView } from "./_word_view.ts";

const K_IPV4 = SpanKind.IPV4;
const K_IPV6 = SpanKind.IPV6;
const K_DOMAIN = SpanKind.DOMAIN;
const K_MD5 = SpanKind.MD5;
const K_SHA512 = SpanKind.SHA512;
// Module-level copies: V8 folds these into the hot path, not bindings imported from a module.
const { FNV_BASIS, FNV_PRIME, HASH_MASK } = spanLookup;
const { IPV4_VALUE } = ipv4;
/**
 * Spans are queued, up to this many, and looked up in batches: the IPv4 addresses of a batch
 * first, one after the other, so that the processor overlaps their walks down the search tree
 * (each step of a walk is a read that misses the cache; lookups one at a time between the
 * extractor's work wait for every one), then every span in scanning order.
 */
const QUEUE = 1024;

/**
 * How a hit matched: the search tree (an IP network), a literal entry, a glob entry, or a
 * literal entry that is a parent domain of the span.
 *
 * @example
 * ```ts
 * import { MatchVia, matchViaName } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 * assert.equal(matchViaName(MatchVia.PARENT_DOMAIN), "parent-domain");
 * ```
 */
export const MatchVia = {
  /** The span is an IP address inside a network of the search tree. */
  NETWORK: 1,
  /** The span is a literal entry (after case folding as the build did). */
  LITERAL: 2,
  /** The span matches a glob entry (the most specific one is reported). */
  GLOB: 3,
  /** A parent domain of the span is a literal entry (`evil.com` for `a.b.evil.com`). */
  PARENT_DOMAIN: 4,
} as const;

/** One of the {@linkcode MatchVia} values. */
export type MatchVia = typeof MatchVia[keyof typeof MatchVia];

const VIA_NAMES = ["", "network", "literal", "glob", "parent-domain"];

/**
 * The name of a {@linkcode MatchVia} value, as output spells it.
 *
 * @param via The value.
 * @returns `"network"`, `"literal"`, `"glob"` or `"parent-domain"`.
 * @throws {RangeError} When `via` is not a {@linkcode MatchVia} value.
 * @example
 * ```ts
 * import { MatchVia, matchViaName } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 * assert.equal(matchViaName(MatchVia.GLOB), "glob");
 * ```
 */
export function matchViaName(via: MatchVia): string {
  const name = VIA_NAMES[via];
  if (!name) throw new RangeError(`Unknown match type ${via}: expected 1 to 4`);
  return name;
}

/**
 * One hit, as {@linkcode Matcher.scan} reports it. The matcher reuses one object for every hit:
 * read it inside the callback, or copy what you need.
 */
export interface MatchHit {
  /** The kind of the span. */
  kind: SpanKind;
  /** First byte of the span in the scanned bytes. */
  start: number;
  /** One past its last byte. */
  end: number;
  /** How it matched. */
  via: MatchVia;
  /** The entry's data offset: pass it to {@linkcode Database.decode}. */
  dataOffset: number;
  /**
   * For literal and glob hits, the string entry's kind code (`MATCH_LITERAL` or `MATCH_GLOB`
   * of `@mxy/mxy/db`); -1 otherwise.
   */
  entryKind: number;
  /** For literal and glob hits, the string entry's number; -1 otherwise. */
  entry: number;
  /** For parent-domain hits, where the parent starts in the scanned bytes; -1 otherwise. */
  parentStart: number;
  /** For network hits, the prefix length of the network (IPv4 terms for an IPv4 answer). */
  prefixLength: number;
  /** For network hits, 4 or 6: the family the tree answered in; 0 otherwise. */
  ipVersion: 0 | 4 | 6;
  /** For network hits, the address looked up (4 or 16 bytes used, by `ipVersion`). */
  address: Uint8Array;
}

/** Called with each hit; the object is reused for the next one. */
export type MatchHandler = (hit: MatchHit) => void;

/** Options of {@linkcode Matcher}. */
export interface MatcherOptions {
  /** The kinds to extract and look up (default: every {@linkcode SpanKind}). */
  kinds?: readonly SpanKind[];
  /**
   * When a domain (a URL's host, an e-mail's domain) matches no entry itself, look up its parent
   * domains as literals, from the longest down to the registrable domain: `a.b.evil.com` hits
   * `evil.com`. Default: what the database asks for (the `parentDomains` option of its build,
   * recorded in its metadata), else `false`.
   */
  parentDomains?: boolean;
  /**
   * Last labels a domain may end in beyond the Public Suffix List (`example`, `internal`).
   * Default: the last labels of the database's own literal and glob entries that the list does
   * not know, so that a feed of `evil.example` finds `evil.example` in text.
   */
  suffixes?: Iterable<string>;
}

/**
 * Scans bytes for indicators and looks each one up in a database, reporting one hit for each
 * span that matches: an IP address in a network of the search tree, or any other span that is a
 * literal entry, else matches a glob (the most specific one), else — with `parentDomains` — a
 * domain whose parent is a literal entry. Nothing is allocated while scanning; entry data is
 * decoded only when the caller asks ({@linkcode Database.decode}, through its bounded cache).
 *
 * Case: a case-insensitive database folds each span as its build folded the keys. Domain names
 * (hosts and e-mail domains included) and hashes are looked up in ASCII lower case whatever the
 * database says, since DNS names and hex digits carry no case; feeds store them in lower case.
 *
 * A matcher is not reentrant: make one per thread or concurrent scan.
 *
 * @example
 * ```ts
 * import { DatabaseBuilder, Database } from "@mxy/mxy/db";
 * import { Matcher, MatchVia, matchViaName, spanKindName } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 *
 * const b = new DatabaseBuilder({ buildEpoch: 1 });
 * b.add("198.51.100.0/24", { threat: "scanner" });
 * b.add("evil.com", { threat: "c2" });
 * b.add("*.tracker.net", { threat: "tracking" });
 * const db = Database.fromBytes(b.build());
 * const line = new TextEncoder().encode(
 *   "198.51.100.7 GET http://x.tracker.net/p?u=www.EVIL.com gmail.com",
 * );
 * const matcher = new Matcher(db, { parentDomains: true });
 * const hits: string[] = [];
 * matcher.scan(line, (hit) => {
 *   const text = new TextDecoder().decode(line.subarray(hit.start, hit.end));
 *   hits.push(`${spanKindName(hit.kind)} ${text} ${matchViaName(hit.via)} ${matcher.entryText(hit, line)}`);
 * });
 * assert.deepEqual(hits, [
 *   "ipv4 198.51.100.7 network 198.51.100.0/24",
 *   "domain x.tracker.net glob *.tracker.net",
 *   "domain www.EVIL.com parent-domain evil.com",
 * ]);
 * ```
 */
export class Matcher {
  #db: Database;
  #extractor: Extractor;
  #suffixes: readonly string[];
  #lookup: SpanLookup;
  #hit: MatchHit;
  #onHit: MatchHandler = () => {};
  #onSpan: (kind: SpanKind, start: number, end: number) => void;
  #bytes: Uint8Array = new Uint8Array(0);
  #hits = 0;
  #entryTexts: EntryTexts | null = null;
  #wordView = new WordView();
  /** The word view of the bytes of this scan, once asked for (null: not yet). */
  #scanWords: Int32Array | null = null;
  // the queue: kind, start, end of each span; for IPv4 spans the address, then what it gave
  #queued = 0;
  #spans = new Int32Array(3 * QUEUE);
  #v4 = new Int32Array(QUEUE);
  #v4Offset = new Int32Array(QUEUE);
  #v4Prefix = new Uint8Array(QUEUE);
  /** Spans found so far, by {@linkcode SpanKind} (index 0 unused); add, never reset. */
  readonly candidates: Float64Array = new Float64Array(ALL_SPAN_KINDS.length + 1);

  /**
   * Creates a matcher over a database.
   *
   * @param db The database (any MaxMind DB; `.mxy` files also answer strings).
   * @param options Kinds to extract and parent-domain matching.
   * @throws {RangeError} When `kinds` names something that is not a {@linkcode SpanKind}.
   */
  constructor(db: Database, options: MatcherOptions = {}) {
    this.#db = db;
    this.#suffixes = Object.freeze([...(options.suffixes ?? databaseSuffixes(db))]);
    this.#extractor = new Extractor({ kinds: options.kinds, suffixes: this.#suffixes });
    this.#lookup = new SpanLookup(db, options.parentDomains ?? db.metadata.mxyParentDomains);
    this.#hit = {
      kind: K_IPV4,
      start: 0,
      end: 0,
      via: MatchVia.NETWORK,
      dataOffset: -1,
      entryKind: -1,
      entry: -1,
      parentStart: -1,
      prefixLength: 0,
      ipVersion: 0,
      address: new Uint8Array(16),
    };
    this.#onSpan = (kind, start, end) => this.#queue(kind, start, end);
  }

  /** The database looked up. */
  get database(): Database {
    return this.#db;
  }

  /**
   * The top-level labels this matcher takes as domain endings beyond the Public Suffix List
   * (`MatcherOptions.suffixes`, or those collected from the database): pass them to the
   * matchers of other threads on the same database so that they need not collect them again.
   *
   * @example
   * ```ts
   * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
   * import { Matcher } from "@mxy/mxy/match";
   * import assert from "node:assert/strict";
   * const b = new DatabaseBuilder({ buildEpoch: 1 });
   * b.add("login-verify.example", { n: 1 });
   * b.add("evil.com", { n: 2 });
   * const m = new Matcher(Database.fromBytes(b.build()));
   * assert.deepEqual(m.suffixes, ["example"]);
   * ```
   */
  get suffixes(): readonly string[] {
    return this.#suffixes;
  }

  /** Lookups answered from the matcher's caches of recent addresses and strings. */
  get cacheHits(): number {
    return this.#lookup.cached;
  }

  /** Hits reported so far (by every scan). */
  get hits(): number {
    return this.#hits;
  }

  /**
   * Scans `bytes[start..end)` (one line or a chunk of many) and calls `onHit` for each span that
   * matches the database, in scanning order. Allocates nothing.
   *
   * @param bytes The text; any bytes.
   * @param onHit Called with each hit (a reused object).
   * @param start First byte (default 0).
   * @param end One past the last byte (default `bytes.length`).
   * @returns How many hits this scan reported.
   * @throws {RangeError} When the range is outside `bytes`.
   * @throws {FormatError} When the database is corrupt along a lookup's path.
   * @throws {DatabaseError} `closed` when the database was closed (the matcher's caches never
   *   answer for it).
   */
  scan(bytes: Uint8Array, onHit: MatchHandler, start = 0, end: number = bytes.length): number {
    if (this.#db.closed) {
      throw new DatabaseError("closed", "Cannot scan: the database is closed");
    }
    const before = this.#hits;
    this.#bytes = bytes;
    this.#scanWords = null;
    this.#onHit = onHit;
    this.#queued = 0;
    try {
      this.#extractor.scan(bytes, this.#onSpan, start, end);
      this.#drain();
    } finally {
      this.#queued = 0;
      this.#bytes = EMPTY;
      this.#scanWords = null;
    }
    return this.#hits - before;
  }

  /** Queues a span (an IPv4 address as its number), draining the queue when it is full. */
  #queue(kind: SpanKind, start: number, end: number): void {
    this.candidates[kind]++;
    const q = this.#queued;
    const spans = this.#spans;
    spans[3 * q] = kind;
    spans[3 * q + 1] = start;
    spans[3 * q + 2] = end;
    // (the extractor leaves an IPv4 span's address in IPV4_VALUE just before reporting it)
    if (kind === K_IPV4) this.#v4[q] = IPV4_VALUE[0];
    this.#queued = q + 1;
    if (q + 1 === QUEUE) this.#drain();
  }

  /** Looks up the queued spans: the IPv4 addresses first, then each span in order. */
  #drain(): void {
    const n = this.#queued;
    if (n === 0) return;
    const spans = this.#spans;
    const lookup = this.#lookup;
    const v4 = this.#v4, offsets = this.#v4Offset, prefixes = this.#v4Prefix;
    // the addresses, one after another (a corrupt tree throws when its span's turn comes)
    let looked = 0;
    try {
      for (; looked < n; looked++) {
        if (spans[3 * looked] !== K_IPV4) continue;
        if (lookup.ipv4(v4[looked])) {
          offsets[looked] = lookup.dataOffset;
          prefixes[looked] = lookup.prefixLength;
        } else offsets[looked] = -1;
      }
    } catch {
      // looked: the first address not looked up
    }
    // a handler that throws leaves the rest of the queue unreported, as the scan it ends
    this.#queued = 0;
    for (let q = 0; q < n; q++) {
      const kind = spans[3 * q] as SpanKind;
      const start = spans[3 * q + 1];
      const end = spans[3 * q + 2];
      if (kind !== K_IPV4) this.#span(kind, start, end);
      else if (q >= looked) this.#ipv4(start, end, v4[q]);
      else if (offsets[q] >= 0) this.#ipv4Hit(start, end, v4[q], offsets[q], prefixes[q]);
    }
  }

  /** Looks up an IPv4 span now. */
  #ipv4(start: number, end: number, v: number): void {
    const lookup = this.#lookup;
    if (lookup.ipv4(v)) this.#ipv4Hit(start, end, v, lookup.dataOffset, lookup.prefixLength);
  }

  #ipv4Hit(start: number, end: number, v: number, offset: number, prefix: number): void {
    const hit = this.#hit;
    hit.prefixLength = prefix;
    const a = hit.address;
    a[0] = v >>> 24;
    a[1] = (v >>> 16) & 255;
    a[2] = (v >>> 8) & 255;
    a[3] = v & 255;
    this.#network(K_IPV4, start, end, offset, 4);
  }

  /** Looks up a span other than an IPv4 address. */
  #span(kind: SpanKind, start: number, end: number): void {
    const bytes = this.#bytes;
    const hit = this.#hit;
    const lookup = this.#lookup;
    if (kind === K_IPV6) {
      const a = hit.address;
      if (parseIpBytesInto(bytes, a, start, end) !== 6) return;
      if (!lookup.ipv6(a)) return;
      const version = lookup.ipVersion;
      if (version === 4) { for (let i = 0; i < 4; i++) a[i] = a[12 + i]; }
      hit.prefixLength = lookup.prefixLength;
      this.#network(kind, start, end, lookup.dataOffset, version === 4 ? 4 : 6);
      return;
    }
    // strings: the key (domains and hashes in lower case, see the class doc) and its hash
    const n = end - start;
    const key = lookup.keyFor(n);
    const h = LITTLE_ENDIAN
      ? this.#keyByWords(kind, bytes, start, n, key, lookup.keyWords)
      : keyByBytes(kind, bytes, start, n, key);
    if (!lookup.string(n, h & HASH_MASK, kind === K_DOMAIN)) return;
    this.#stringHit(
      kind,
      start,
      end,
      lookup.via as MatchVia,
      lookup.dataOffset,
      lookup.entryKind,
      lookup.entry,
      lookup.parent,
    );
  }

  /**
   * Copies a span into the key four bytes at a time (whole words of the buffer where the span's
   * bytes need no folding, put together from two of them when the span is not aligned), and
   * hashes it a word at a time: a quarter of the multiplications of a byte at a time, which
   * follow one another. (Little-endian only: the words' bytes are then in text order.)
   *
   * @returns The hash, seeded with the kind.
   */
  #keyByWords(
    kind: SpanKind,
    bytes: Uint8Array,
    start: number,
    n: number,
    key: Uint8Array,
    keyWords: Int32Array,
  ): number {
    let h = FNV_BASIS ^ kind;
    const full = n >> 2;
    const fold = kind === K_DOMAIN || (kind >= K_MD5 && kind <= K_SHA512);
    if (fold) {
      for (let g = 0, p = start; g < full; g++, p += 4) {
        const w = asciiLower(bytes[p]) | (asciiLower(bytes[p + 1]) << 8) |
          (asciiLower(bytes[p + 2]) << 16) | (asciiLower(bytes[p + 3]) << 24);
        keyWords[g] = w;
        h = Math.imul(h ^ w, FNV_PRIME);
      }
    } else if (full > 0) {
      const words = this.#scanWords ?? (this.#scanWords = this.#wordView.of(bytes));
      const abs = bytes.byteOffset + start;
      const shift = (abs & 3) << 3;
      let wi = abs >> 2;
      if (shift === 0) {
        for (let g = 0; g < full; g++) {
          const w = words[wi + g];
          keyWords[g] = w;
          h = Math.imul(h ^ w, FNV_PRIME);
        }
      } else if (wi + full < words.length) {
        // (the last word read, wi + full, holds the span's last whole group's end)
        for (let g = 0; g < full; g++, wi++) {
          const w = (words[wi] >>> shift) | (words[wi + 1] << (32 - shift));
          keyWords[g] = w;
          h = Math.imul(h ^ w, FNV_PRIME);
        }
      } else {
        for (let g = 0, p = start; g < full; g++, p += 4) {
          const w = bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24);
          keyWords[g] = w;
          h = Math.imul(h ^ w, FNV_PRIME);
        }
      }
    }
    if ((n & 3) !== 0) {
      let w = 0;
      for (let i = full << 2, b = 0; i < n; i++, b += 8) {
        const c = fold ? asciiLower(bytes[start + i]) : bytes[start + i];
        key[i] = c;
        w |= c << b;
      }
      h = Math.imul(h ^ w, FNV_PRIME);
    }
    // a multiplication carries bits upwards only: mix the high bits (every byte's last bits
    // among them) down into the low ones, which choose the cache slot
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    return h ^ (h >>> 13);
  }

  #stringHit(
    kind: SpanKind,
    start: number,
    end: number,
    via: MatchVia,
    off: number,
    entryKind: number,
    entry: number,
    parent: number,
  ): void {
    const hit = this.#hit;
    hit.kind = kind;
    hit.start = start;
    hit.end = end;
    hit.via = via;
    hit.dataOffset = off;
    hit.entryKind = entryKind;
    hit.entry = entry;
    hit.parentStart = parent < 0 ? -1 : start + parent;
    hit.prefixLength = 0;
    hit.ipVersion = 0;
    this.#report();
  }

  #network(kind: SpanKind, start: number, end: number, off: number, version: 4 | 6): void {
    const hit = this.#hit;
    hit.kind = kind;
    hit.start = start;
    hit.end = end;
    hit.via = MatchVia.NETWORK;
    hit.dataOffset = off;
    hit.entryKind = -1;
    hit.entry = -1;
    hit.parentStart = -1;
    hit.ipVersion = version;
    this.#report();
  }

  #report(): void {
    this.#hits++;
    this.#onHit(this.#hit);
  }

  /**
   * What a hit matched, as text: the network in CIDR notation, the literal (case-folded in a
   * case-insensitive database), the glob as written, or the parent domain (in lower case).
   * Network and entry texts are kept in bounded tables by what identifies them (the network's
   * masked address and prefix length, the entry's number), so hits on the same entry share one
   * string.
   *
   * @param hit A hit, inside the callback (or a copy of one).
   * @param bytes The bytes that were scanned (for parent domains).
   * @returns The entry's text.
   */
  entryText(hit: MatchHit, bytes: Uint8Array): string {
    const texts = this.#entryTexts ??= new EntryTexts(this.#db);
    if (hit.via === MatchVia.NETWORK) {
      return texts.network(hit.address, hit.ipVersion === 4 ? 4 : 6, hit.prefixLength);
    }
    if (hit.via === MatchVia.PARENT_DOMAIN) return lowerText(bytes, hit.parentStart, hit.end);
    return texts.string(hit.entryKind, hit.entry);
  }
}

const EMPTY = new Uint8Array(0);

/** Whether the platform stores 32-bit words lowest byte first (then a word's bytes are in order). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Copies a span into the key a byte at a time and hashes it (FNV-1a, seeded with the kind): for
 * big-endian platforms.
 *
 * @returns The hash.
 */
function keyByBytes(
  kind: SpanKind,
  bytes: Uint8Array,
  start: number,
  n: number,
  key: Uint8Array,
): number {
  let h = FNV_BASIS ^ kind;
  const fold = kind === K_DOMAIN || (kind >= K_MD5 && kind <= K_SHA512);
  for (let i = 0; i < n; i++) {
    const c = fold ? asciiLower(bytes[start + i]) : bytes[start + i];
    key[i] = c;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return h;
}
