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
import * as spanLookup from "./_span_lookup.ts";

const { FNV_BASIS, FNV_PRIME } = spanLookup;
const CH_COLON = 0x3a, CH_SLASH = 0x2f;
const A_UPPER = 0x41, Z_UPPER = 0x5a, CASE_BIT = 0x20;
/** A URL key's `://` starts within this many bytes (the capture matcher's scheme bound + 1). */
const SCHEME_LIMIT = 17;
/** Bloom filter: bits per URL-shaped literal (two probes: about 1.4% false "maybe"). */
const BLOOM_BITS_PER_KEY = 16;
const BLOOM_MIN_BITS = 1024;
const HASH_MIX = 0x9e3779b1 | 0;
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
}

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
    const bloom = this.#bloom;
    if (bloom !== null) {
      const m = this.#bloomMask;
      const a = (h ^ (h >>> 15)) & m;
      const b = (Math.imul(h, HASH_MIX) >>> 7) & m;
      if (((bloom[a >>> 5] >>> (a & 31)) & (bloom[b >>> 5] >>> (b & 31)) & 1) !== 0) return true;
    }
    const globs = this.#globs;
    if (globs === null) return false;
    const scan = this.#scan!;
    scan.bytes = bytes;
    scan.length = n;
    scan.count = 0;
    if (this.#useInfix) {
      if (scan.stamp === 0xffffffff) {
        scan.seen.fill(0);
        scan.stamp = 0;
      }
      scan.stamp++;
      if (globs.automaton.collect(scan) > 0) return true;
    }
    // the anchored walks, when their first step can be taken
    if (this.#firstBytes[bytes[0]] === 1 && globs.prefixTrie.collectPrefix(scan, false) > 0) {
      return true;
    }
    return this.#lastBytes[bytes[n - 1]] === 1 && globs.suffixTrie.collectSuffix(scan, false) > 0;
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
      bloom[a >>> 5] |= 1 << (a & 31);
      bloom[b >>> 5] |= 1 << (b & 31);
    }
  }
  const globs = m.globIndex;
  // the bytes an anchored walk can take its first step on (the tries hold no empty piece: a
  // walk reports only the states it steps to)
  const firstBytes = new Uint8Array(256), lastBytes = new Uint8Array(256);
  if (globs !== null) {
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
  };
}

const EMPTY_QUERY = new Uint8Array(1);
const NO_BYTES = new Uint8Array(256);
const FIRST = { first: true } as const;
