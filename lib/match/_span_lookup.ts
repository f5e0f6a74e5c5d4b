/**
 * Looking up one span in a database, allocating nothing: the one place that decides how an
 * indicator matches — an IP address in the search tree (longest prefix), any other string as a
 * literal entry, else the most specific glob, else (domains, when asked) the nearest parent
 * domain that is a literal — with caches of recent addresses and strings. The text matcher and
 * the capture matcher both look up through it.
 *
 * @module
 */
import type { Database } from "../db/database.ts";
import { StringMatches } from "../db/string_match.ts";
import { registrableDomainStart } from "./domain.ts";

const B_DOT = 0x2e;
/** FNV-1a over the key's bytes: callers hash as they copy, seeded with what the key is. */
export const FNV_BASIS = 0x811c9dc5 | 0;
/** FNV-1a's multiplier. */
export const FNV_PRIME = 0x01000193;
/**
 * Hashes are handed over masked to 30 bits: a small integer (Smi) on every V8 build — 31-bit
 * Smis where pointers are compressed (Chrome), 32-bit in Deno — which V8 passes to a function
 * that is not inlined as it is, where a number outside the Smi range is boxed (allocated) per
 * call.
 */
export const HASH_MASK = 0x3fffffff;
/** The IPv4 cache holds 2^this recent lookups (hits and misses). */
const IP_CACHE_BITS = 14;
/**
 * The IPv4 miss set has one bit for each value of an address's first this-many bits (2^20 bits,
 * 128 KiB, which stays in a core's own cache): set when no address under that prefix is in a
 * network, which a walk that ends in an empty record within those bits proves. Addresses in
 * logs are mostly not in any network and mostly new, so the recent-address cache answers few of
 * them, while the tree's walk (its jump table included) reads memory far out of cache.
 */
const V4_MISS_BITS = 20;
/** The miss set is made after this many IPv4 lookups (a short scan never pays for it). */
const V4_MISS_AFTER = 4096;
/** The IPv6 cache holds 2^this recent lookups. */
const IP6_CACHE_BITS = 10;
/** The string cache holds this many recent string lookups (hits and misses)... */
const STR_CACHE_SLOTS = 4096;
/** ...of keys up to this many bytes (longer ones are looked up every time). */
const STR_CACHE_KEY = 128;
/** Bytes of an IPv6 address. */
const IP6_BYTES = 16;

/** How a span matched; 0 when it did not (the values of `MatchVia`). */
export const VIA_NONE = 0, VIA_NETWORK = 1, VIA_LITERAL = 2, VIA_GLOB = 3, VIA_PARENT = 4;

const FIRST = { first: true } as const;

/**
 * One database with the caches in front of it. After a lookup that matched, the fields say
 * how: `via`, `dataOffset`, and for strings `entryKind`/`entry` (literal and glob) or `parent`
 * (where the parent domain starts in the key), for addresses `prefixLength` and `ipVersion`.
 * Not reentrant.
 */
export class SpanLookup {
  readonly db: Database;
  /** Look up parent domains of domains that match nothing themselves. */
  readonly parents: boolean;
  /** The key of a string lookup: write the (folded) bytes here, from 0. */
  key: Uint8Array = new Uint8Array(1024);
  /**
   * The same buffer as 32-bit words, for callers that write the key four bytes at a time (in
   * the platform's byte order: the bytes are what counts).
   */
  keyWords: Int32Array = new Int32Array(this.key.buffer);
  // results of the last lookup
  via = VIA_NONE;
  dataOffset = -1;
  entryKind = -1;
  entry = -1;
  parent = -1;
  prefixLength = 0;
  ipVersion: 0 | 4 | 6 = 0;
  /** Lookups answered from the caches. */
  cached = 0;
  #strings = new StringMatches(4);
  #v4Miss: Int32Array | null = null;
  #v4Lookups = 0;
  // the IPv4 cache: direct-mapped, one slot per hash of the address; prefix + 1 (0 = empty)
  #ipKeys = new Int32Array(1 << IP_CACHE_BITS);
  #ipOffsets = new Int32Array(1 << IP_CACHE_BITS);
  #ipPrefix = new Uint8Array(1 << IP_CACHE_BITS);
  // the IPv6 cache: four words of key; prefix + 1 (0 = empty); the family answered
  #ip6Keys = new Int32Array(4 << IP6_CACHE_BITS);
  #ip6Offsets = new Int32Array(1 << IP6_CACHE_BITS);
  #ip6Prefix = new Uint8Array(1 << IP6_CACHE_BITS);
  #ip6Version = new Uint8Array(1 << IP6_CACHE_BITS);
  // the string cache: direct-mapped; a slot holds the key's bytes and what it gave
  #strHash = new Int32Array(STR_CACHE_SLOTS);
  #strLength = new Int32Array(STR_CACHE_SLOTS).fill(-1);
  #strKeys = new Uint8Array(STR_CACHE_SLOTS * STR_CACHE_KEY);
  #strKeyWords = new Int32Array(this.#strKeys.buffer);
  #strVia = new Uint8Array(STR_CACHE_SLOTS);
  #strOffset = new Int32Array(STR_CACHE_SLOTS);
  #strEntryKind = new Int8Array(STR_CACHE_SLOTS);
  #strEntry = new Int32Array(STR_CACHE_SLOTS);
  #strParent = new Int32Array(STR_CACHE_SLOTS);

  constructor(db: Database, parents: boolean) {
    this.db = db;
    this.parents = parents;
  }

  /**
   * Makes the key buffer hold at least `n` bytes and the word that ends them, a whole number of
   * words (its contents are lost when it grows); {@linkcode SpanLookup.keyWords} follows it.
   *
   * @returns The key buffer.
   */
  keyFor(n: number): Uint8Array {
    if (n + 4 > this.key.length) {
      this.key = new Uint8Array((n * 2 + 7) & ~3);
      this.keyWords = new Int32Array(this.key.buffer);
    }
    return this.key;
  }

  /**
   * Looks up an IPv4 address (a 32-bit number, signed or not).
   *
   * @returns Whether a network holds it (`dataOffset`, `prefixLength` set; `ipVersion` 4).
   */
  ipv4(v: number): boolean {
    v |= 0;
    const missSet = this.#v4Miss;
    if (missSet !== null) {
      const at = v >>> (32 - V4_MISS_BITS);
      if (((missSet[at >>> 5] >>> (at & 31)) & 1) !== 0) {
        this.cached++;
        return false;
      }
    } else if (++this.#v4Lookups === V4_MISS_AFTER) {
      this.#v4Miss = new Int32Array(1 << (V4_MISS_BITS - 5));
    }
    const slot = Math.imul(v, 0x9e3779b1) >>> (32 - IP_CACHE_BITS);
    let off: number;
    if (this.#ipKeys[slot] === v && this.#ipPrefix[slot] !== 0) {
      off = this.#ipOffsets[slot];
      this.cached++;
      if (off < 0) return false;
      this.prefixLength = this.#ipPrefix[slot] - 1;
    } else {
      const db = this.db;
      off = db.lookupIpv4(v);
      this.#ipKeys[slot] = v;
      this.#ipOffsets[slot] = off;
      const depth = db.lastPrefixLength;
      this.#ipPrefix[slot] = depth + 1;
      if (off < 0) {
        if (missSet !== null && depth <= V4_MISS_BITS) missRange(missSet, v, depth);
        return false;
      }
      this.prefixLength = depth;
    }
    this.via = VIA_NETWORK;
    this.dataOffset = off;
    this.ipVersion = 4;
    return true;
  }

  /**
   * Looks up an IPv6 address, `a[0..16)`. An address the tree answers as IPv4 (IPv4-mapped, or
   * through an alias) gives `ipVersion` 4; the caller then reads the IPv4 address from
   * `a[12..16)`.
   *
   * @returns Whether a network holds it.
   */
  ipv6(a: Uint8Array): boolean {
    const w0 = (a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3];
    const w1 = (a[4] << 24) | (a[5] << 16) | (a[6] << 8) | a[7];
    const w2 = (a[8] << 24) | (a[9] << 16) | (a[10] << 8) | a[11];
    const w3 = (a[12] << 24) | (a[13] << 16) | (a[14] << 8) | a[15];
    const slot =
      Math.imul(w0 ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ w3, 0x9e3779b1) >>>
      (32 - IP6_CACHE_BITS);
    const keys = this.#ip6Keys;
    const at = slot << 2;
    let off: number;
    if (
      this.#ip6Prefix[slot] !== 0 && keys[at] === w0 && keys[at + 1] === w1 &&
      keys[at + 2] === w2 && keys[at + 3] === w3
    ) {
      off = this.#ip6Offsets[slot];
      this.cached++;
      if (off < 0) return false;
      this.prefixLength = this.#ip6Prefix[slot] - 1;
      this.ipVersion = this.#ip6Version[slot] === 4 ? 4 : 6;
    } else {
      const db = this.db;
      off = db.lookupIpBytes(a, 6);
      keys[at] = w0;
      keys[at + 1] = w1;
      keys[at + 2] = w2;
      keys[at + 3] = w3;
      this.#ip6Offsets[slot] = off;
      this.#ip6Prefix[slot] = db.lastPrefixLength + 1;
      const version = db.lastIpVersion === 4 ? 4 : 6;
      this.#ip6Version[slot] = version;
      if (off < 0) return false;
      this.prefixLength = db.lastPrefixLength;
      this.ipVersion = version;
    }
    this.via = VIA_NETWORK;
    this.dataOffset = off;
    return true;
  }

  /**
   * Looks up the string `key[0..n)`, already folded as the caller wants it: a literal entry,
   * else the most specific glob, else — for a domain, when parent domains are on — the nearest
   * parent domain that is a literal, down to the registrable domain.
   *
   * @param n The key's length.
   * @param h The key's FNV-1a hash, seeded with whatever else the key's meaning depends on,
   *   masked with {@linkcode HASH_MASK}.
   * @param domain Whether the key is a domain name (parent domains apply).
   * @returns Whether it matched.
   */
  string(n: number, h: number, domain: boolean): boolean {
    const key = this.key;
    const slot = (h ^ (h >>> 15)) & (STR_CACHE_SLOTS - 1);
    const cacheable = n <= STR_CACHE_KEY;
    if (cacheable && this.#strHash[slot] === h && this.#strLength[slot] === n) {
      // four bytes at a time, then the last few
      const words = this.#strKeyWords, keyWords = this.keyWords;
      const w0 = slot * (STR_CACHE_KEY >> 2), full = n >> 2;
      let g = 0;
      while (g < full && words[w0 + g] === keyWords[g]) g++;
      let x = g << 2;
      if (g === full) {
        const keys = this.#strKeys;
        const at = slot * STR_CACHE_KEY;
        while (x < n && keys[at + x] === key[x]) x++;
      }
      if (x === n) {
        this.cached++;
        const via = this.#strVia[slot];
        if (via === VIA_NONE) return false;
        this.via = via;
        this.dataOffset = this.#strOffset[slot];
        this.entryKind = this.#strEntryKind[slot];
        this.entry = this.#strEntry[slot];
        this.parent = this.#strParent[slot];
        return true;
      }
    }
    const db = this.db;
    let via = VIA_NONE, off = -1, entryKind = -1, entry = -1, parent = -1;
    const out = this.#strings;
    if (db.lookupStringSpan(key, 0, n, out, FIRST) > 0) {
      via = out.kinds[0] === 0 ? VIA_LITERAL : VIA_GLOB;
      off = out.offsets[0];
      entryKind = out.kinds[0];
      entry = out.entries[0];
    } else if (domain && this.parents) {
      const reg = registrableDomainStart(key, 0, n);
      for (let i = 0; i < reg; i++) {
        if (key[i] !== B_DOT) continue;
        off = db.lookupLiteralSpan(key, i + 1, n);
        if (off < 0) continue;
        via = VIA_PARENT;
        parent = i + 1;
        break;
      }
    }
    if (cacheable) {
      this.#strHash[slot] = h;
      this.#strLength[slot] = n;
      const keys = this.#strKeys;
      const at = slot * STR_CACHE_KEY;
      for (let i = 0; i < n; i++) keys[at + i] = key[i];
      this.#strVia[slot] = via;
      this.#strOffset[slot] = off;
      this.#strEntryKind[slot] = entryKind;
      this.#strEntry[slot] = entry;
      this.#strParent[slot] = parent;
    }
    if (via === VIA_NONE) return false;
    this.via = via;
    this.dataOffset = off;
    this.entryKind = entryKind;
    this.entry = entry;
    this.parent = parent;
    return true;
  }
}

/**
 * Sets the bits of the miss set for every prefix under the first `depth` bits of `v` (at most
 * {@linkcode V4_MISS_BITS}).
 */
function missRange(set: Int32Array, v: number, depth: number): void {
  const span = V4_MISS_BITS - depth;
  const from = ((v >>> (32 - V4_MISS_BITS)) >>> span) << span;
  const to = from + (1 << span);
  if (span < 5) {
    // within one word
    set[from >>> 5] |= ((1 << (1 << span)) - 1) << (from & 31);
    return;
  }
  set.fill(-1, from >>> 5, to >>> 5);
}

/** Bytes of an IPv6 address (for callers' scratch buffers). */
export const IPV6_BYTES = IP6_BYTES;
