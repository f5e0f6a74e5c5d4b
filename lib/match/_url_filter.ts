/**
 * A quick, exact "no" for URL lookups: most HTTP requests ask for a URL that no entry of the
 * database can match, and a full lookup of one (the literal table's probe, which misses the
 * processor's caches, then the glob indexes) costs more than reading the packet. The filter
 * answers from what the database holds, worked out once, on the first URL:
 *
 * - a literal can equal a URL only if it has the URL's `scheme://` near its start: those
 *   literals' hashes go into a small Bloom filter (a URL not in it equals no literal);
 * - a glob can match only if its indexed piece is found by the glob index's own walks (the
 *   prefix trie, the suffix trie, the automaton of inner pieces) and it is not one of the globs
 *   that every query must try: those walks are run on the URL's bytes.
 *
 * When the filter says "maybe" the URL is looked up as before, so hits are the same; a URL with
 * a byte outside ASCII is always looked up (the database folds such text its own way).
 *
 * @module
 */
import { type Database, stringMatcherOf } from "../db/database.ts";
import type { GlobIndex } from "../format/glob_index.ts";
import { StringMatches } from "../db/string_match.ts";
import type { AhoCorasickScan } from "../pattern/aho_corasick.ts";
import { forEachLiteralRun } from "../pattern/glob_program.ts";
import * as spanLookup from "./_span_lookup.ts";

const { FNV_BASIS, FNV_PRIME } = spanLookup;
const CH_COLON = 0x3a, CH_SLASH = 0x2f;
const A_UPPER = 0x41, Z_UPPER = 0x5a, CASE_BIT = 0x20;
/** A URL key's `://` starts within this many bytes (the capture matcher's scheme bound + 1). */
const SCHEME_LIMIT = 17;
/** Bloom filter: bits per URL-shaped literal (three probes: about 0.1% false "maybe"). */
const BLOOM_BITS_PER_KEY = 32;
const BLOOM_MIN_BITS = 1024;
const HASH_MIX = 0x9e3779b1 | 0, HASH_MIX_2 = 0x85ebca6b | 0;
/**
 * The seed of a URL key's FNV-1a hash: the capture matcher hashes the key with it as it writes
 * it, and hands the hash over (so that the bytes are not read again when the database does not
 * fold case).
 */
export const URL_SEED = FNV_BASIS ^ 4;

/**
 * What of a database may match a URL, worked out once per database (the literal keys are read
 * once: a few milliseconds per 100,000) and shared by every filter over it.
 */
interface UrlEntries {
  /** The database folds case. */
  fold: boolean;
  /** The Bloom filter of the URL-shaped literals, or null when there are none. */
  bloom: Int32Array | null;
  bloomMask: number;
  /** The glob index, or null when there are no globs. */
  globs: GlobIndex | null;
  /**
   * The walks' output and marks, one slot per glob: shared by the filters over the database
   * (a walk runs to its end before another starts), so that a matcher made per capture
   * allocates none.
   */
  scan: AhoCorasickScan | null;
  /** By byte: 1 when some prefix-anchored piece begins with it (a walk can find something). */
  firstBytes: Uint8Array;
  /** By byte: 1 when some suffix-anchored piece ends with it. */
  lastBytes: Uint8Array;
  /** No glob has a `/` in its literal text. */
  slashFree: boolean;
}

/** {@linkcode UrlFilter.originForm}: the URL matches nothing. */
export const URL_NONE = 0;
/** The URL may match: look it up. */
export const URL_MAYBE = 1;
/** Not decided: make the key and ask {@linkcode UrlFilter.mayMatch}. */
export const URL_ASK = 2;

const HTTP = new TextEncoder().encode("http://");
const B_H = 0x68;

const ENTRIES = new WeakMap<Database, UrlEntries>();

/** Decides, allocating nothing, that a URL key matches no entry. Not reentrant. */
export class UrlFilter {
  readonly #db: Database;
  #built = false;
  #fold = false;
  #bloom: Int32Array | null = null;
  #bloomMask = 0;
  // the glob index when there are globs (null: none)
  #globs: GlobIndex | null = null;
  /** Every URL must be looked up (globs that no index narrows down). */
  #always = false;
  #scan: AhoCorasickScan | null = null;
  #useInfix = false;
  #firstBytes: Uint8Array = NO_BYTES;
  #lastBytes: Uint8Array = NO_BYTES;
  #folded = new Uint8Array(256);
  #slashFree = false;
  // the host of the last origin-form URL (its raw bytes), whether the automaton finds a piece
  // in `http://host`, and the hash of that
  #host = new Uint8Array(256);
  #hostLength = -1;
  #originFound = false;
  #originHash = 0;
  #path = new Uint8Array(256);

  /** @param db The database the URLs are looked up in. */
  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * Whether the URL key `key[0, n)` may match an entry (a literal or a glob), as the
   * database's string lookup would answer it.
   *
   * @param key The key's bytes.
   * @param n Its length (at least 1).
   * @param hash Its FNV-1a hash seeded with {@linkcode URL_SEED} (unmasked).
   * @param ascii Whether every byte of it is below 0x80.
   * @returns False only when the lookup would find nothing.
   */
  mayMatch(key: Uint8Array, n: number, hash: number, ascii: boolean): boolean {
    if (!this.#built) this.#build();
    if (this.#always || !ascii) return true;
    // the bytes as the database reads them (folded when it folds), and their hash
    let bytes = key;
    let h = hash;
    if (this.#fold) {
      if (this.#folded.length < n) this.#folded = new Uint8Array(n * 2);
      bytes = this.#folded;
      h = URL_SEED;
      for (let i = 0; i < n; i++) {
        let c = key[i];
        if (c >= A_UPPER && c <= Z_UPPER) c |= CASE_BIT;
        bytes[i] = c;
        h = Math.imul(h ^ c, FNV_PRIME);
      }
    }
    if (this.#bloomHas(h)) return true;
    const globs = this.#globs;
    if (globs === null) return false;
    const scan = this.#scan!;
    scan.bytes = bytes;
    scan.length = n;
    scan.count = 0;
    if (this.#useInfix) {
      stamp(scan);
      if (globs.automaton.collect(scan) > 0) return true;
    }
    // the anchored walks, when their first step can be taken
    if (this.#firstBytes[bytes[0]] === 1 && globs.prefixTrie.collectPrefix(scan, false) > 0) {
      return true;
    }
    return this.#lastBytes[bytes[n - 1]] === 1 && globs.suffixTrie.collectSuffix(scan, false) > 0;
  }

  /**
   * {@linkcode UrlFilter.mayMatch} for the URL of an origin-form request, `http://` + the Host
   * `buf[h0, h1)` (folded to lower case) + the target `buf[t0, t1)` (which starts with `/`),
   * without making its key: when no glob has a `/` in its text no inner piece spans the `/`
   * that starts the path, so the automaton reads `http://host` once per host (the answer is
   * kept for the requests that follow) and each path on its own.
   *
   * @returns {@linkcode URL_NONE}, {@linkcode URL_MAYBE} or {@linkcode URL_ASK}.
   */
  originForm(buf: Uint8Array, h0: number, h1: number, t0: number, t1: number): number {
    if (!this.#built) this.#build();
    if (this.#always) return URL_MAYBE;
    const globs = this.#globs;
    if (globs === null || !this.#slashFree || !this.#useInfix) return URL_ASK;
    const scan = this.#scan!;
    // the scheme and host: as for the last request, else read
    const hn = h1 - h0;
    if (hn + HTTP.length > this.#folded.length) return URL_ASK;
    const host = this.#host;
    let same = this.#hostLength === hn;
    for (let i = 0; same && i < hn; i++) same = host[i] === buf[h0 + i];
    if (!same) {
      const origin = this.#folded;
      let h = URL_SEED, k = 0;
      for (let i = 0; i < HTTP.length; i++) {
        origin[k++] = HTTP[i];
        h = Math.imul(h ^ HTTP[i], FNV_PRIME);
      }
      for (let i = h0; i < h1; i++) {
        let c = buf[i];
        if (c >= 0x80) {
          this.#hostLength = -1;
          return URL_ASK;
        }
        if (c >= A_UPPER && c <= Z_UPPER) c |= CASE_BIT;
        origin[k++] = c;
        h = Math.imul(h ^ c, FNV_PRIME);
      }
      scan.bytes = origin;
      scan.length = k;
      scan.count = 0;
      stamp(scan);
      this.#originFound = globs.automaton.collect(scan) > 0;
      this.#originHash = h;
      for (let i = 0; i < hn; i++) host[i] = buf[h0 + i];
      this.#hostLength = hn;
    }
    if (this.#originFound) return URL_MAYBE;
    // the path: folded as the database folds, hashed on from the origin's hash
    const m = t1 - t0;
    if (this.#path.length < m) this.#path = new Uint8Array(m * 2);
    const path = this.#path, fold = this.#fold;
    let h = this.#originHash;
    for (let i = 0; i < m; i++) {
      let c = buf[t0 + i];
      if (c >= 0x80) return URL_ASK;
      if (fold && c >= A_UPPER && c <= Z_UPPER) c |= CASE_BIT;
      path[i] = c;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    if (this.#bloomHas(h)) return URL_MAYBE;
    scan.bytes = path;
    scan.length = m;
    scan.count = 0;
    stamp(scan);
    if (globs.automaton.collect(scan) > 0) return URL_MAYBE;
    // the anchored walks need the whole key (when their first step can be taken at all)
    if (this.#firstBytes[B_H] === 1) return URL_ASK;
    return m > 0 && this.#lastBytes[path[m - 1]] === 1 ? URL_ASK : URL_NONE;
  }

  #bloomHas(h: number): boolean {
    const bloom = this.#bloom;
    if (bloom === null) return false;
    const m = this.#bloomMask;
    const a = (h ^ (h >>> 15)) & m;
    const b = (Math.imul(h, HASH_MIX) >>> 7) & m;
    const c = (Math.imul(h ^ (h >>> 13), HASH_MIX_2) >>> 9) & m;
    return ((bloom[a >>> 5] >>> (a & 31)) & (bloom[b >>> 5] >>> (b & 31)) &
      (bloom[c >>> 5] >>> (c & 31)) & 1) !== 0;
  }

  // On the first URL: what of the database may match a URL.
  #build(): void {
    let e = ENTRIES.get(this.#db);
    if (e === undefined) {
      e = urlEntries(this.#db);
      ENTRIES.set(this.#db, e);
    }
    this.#built = true;
    this.#fold = e.fold;
    this.#bloom = e.bloom;
    this.#bloomMask = e.bloomMask;
    const globs = e.globs;
    if (globs !== null) {
      this.#always = globs.always.length > 0;
      this.#globs = globs;
      this.#useInfix = !globs.automaton.isEmpty;
      this.#firstBytes = e.firstBytes;
      this.#lastBytes = e.lastBytes;
      this.#slashFree = e.slashFree;
      this.#scan = e.scan;
    }
  }
}

/** Reads what of a database may match a URL. */
function urlEntries(db: Database): UrlEntries {
  const m = stringMatcherOf(db);
  if (m === null) {
    return {
      fold: false,
      bloom: null,
      bloomMask: 0,
      globs: null,
      scan: null,
      firstBytes: NO_BYTES,
      lastBytes: NO_BYTES,
      slashFree: false,
    };
  }
  // a lookup checks the untrusted glob tables first (and throws when they are corrupt): the
  // filter's walks then run on checked tables
  db.lookupStringSpan(EMPTY_QUERY, 0, EMPTY_QUERY.length, new StringMatches(1), FIRST);
  const urls: number[] = [];
  m.literalTable?.forEachKey((bytes, start, end) => {
    const stop = Math.min(end - 2, start + SCHEME_LIMIT);
    for (let i = start; i < stop; i++) {
      if (bytes[i] !== CH_COLON) continue;
      if (bytes[i + 1] === CH_SLASH && bytes[i + 2] === CH_SLASH) {
        let h = URL_SEED;
        for (let k = start; k < end; k++) h = Math.imul(h ^ bytes[k], FNV_PRIME);
        urls.push(h);
      }
      return;
    }
  });
  let bloom: Int32Array | null = null, bloomMask = 0;
  if (urls.length > 0) {
    let bits = BLOOM_MIN_BITS;
    while (bits < urls.length * BLOOM_BITS_PER_KEY) bits *= 2;
    bloom = new Int32Array(bits >>> 5);
    bloomMask = bits - 1;
    for (const h of urls) {
      const a = (h ^ (h >>> 15)) & bloomMask;
      const b = (Math.imul(h, HASH_MIX) >>> 7) & bloomMask;
      const c = (Math.imul(h ^ (h >>> 13), HASH_MIX_2) >>> 9) & bloomMask;
      bloom[a >>> 5] |= 1 << (a & 31);
      bloom[b >>> 5] |= 1 << (b & 31);
      bloom[c >>> 5] |= 1 << (c & 31);
    }
  }
  const globs = m.globIndex;
  // the bytes an anchored walk can take its first step on (the tries hold no empty piece: a
  // walk reports only the states it steps to)
  const firstBytes = new Uint8Array(256), lastBytes = new Uint8Array(256);
  // the glob index takes its pieces from the globs' literal text
  let slashFree = true;
  if (globs !== null) {
    const programs = globs.programs;
    const run = (from: number, to: number) => {
      for (let k = from; k < to; k++) if (programs[k] === CH_SLASH) slashFree = false;
    };
    for (let id = 0; id < globs.count && slashFree; id++) {
      forEachLiteralRun(programs, globs.programStart(id), run);
    }
    const one = new Uint8Array(1);
    for (let b = 0; b < 256; b++) {
      one[0] = b;
      if (!globs.prefixTrie.isEmpty && globs.prefixTrie.walk(one, 0, 1) > 0) firstBytes[b] = 1;
      if (!globs.suffixTrie.isEmpty && globs.suffixTrie.walk(one, 0, 1) > 0) lastBytes[b] = 1;
    }
  }
  const some = globs !== null && globs.count > 0;
  return {
    fold: m.caseInsensitive,
    bloom,
    bloomMask,
    globs: some ? globs : null,
    scan: some
      ? {
        bytes: EMPTY_QUERY,
        length: 0,
        out: new Uint32Array(globs.count),
        count: 0,
        seen: new Uint32Array(globs.count),
        stamp: 0,
      }
      : null,
    firstBytes,
    lastBytes,
    slashFree,
  };
}

/** Takes a new stamp for a walk that de-duplicates. */
function stamp(scan: AhoCorasickScan): void {
  if (scan.stamp === 0xffffffff) {
    scan.seen.fill(0);
    scan.stamp = 0;
  }
  scan.stamp++;
}

const EMPTY_QUERY = new Uint8Array(1);
const NO_BYTES = new Uint8Array(256);
const FIRST = { first: true } as const;
