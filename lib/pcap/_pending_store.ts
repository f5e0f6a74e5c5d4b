/**
 * The store where unmatched packets wait for their partner: a hash index over fixed-width
 * numeric keys, insertion (capture-time) order kept in an intrusive list so the oldest entries
 * expire first, and a bound on the number of entries. Everything lives in typed arrays
 * allocated once; adding, finding and removing allocate nothing.
 *
 * @module
 */
import { elapsedNs } from "./_time.ts";

/** Options for {@linkcode PendingStore}. */
export interface PendingStoreOptions {
  /** Most entries kept at once; adding one more evicts the oldest (default 262,144). */
  maxPending?: number;
  /** How long, in nanoseconds of capture time, an entry waits before it expires (default 5 s). */
  windowNs?: number;
  /** Numbers kept with each entry in {@linkcode PendingStore.rec} (default 16). */
  recWords?: number;
  /** Called with an entry's slot just before it expires or is evicted (not when removed). */
  onDrop?: (slot: number, reason: "expired" | "evicted") => void;
}

/**
 * Unmatched packets waiting for a partner, keyed by `keyWords` 32-bit words plus a hash.
 * Fill {@linkcode PendingStore.key} before calling `add` or `find`. Internal to the correlator.
 */
export class PendingStore {
  /** Number of key words per entry. */
  readonly keyWords: number;
  /** Numbers of caller data per entry. */
  readonly recWords: number;
  /** Most entries kept at once. */
  readonly capacity: number;
  /** Expiry window in nanoseconds of capture time. */
  readonly windowNs: number;
  /** Scratch key: fill it before {@linkcode PendingStore.add} or {@linkcode PendingStore.find}. */
  readonly key: Uint32Array;
  /** Per-entry caller data: entry `slot` owns `rec[slot * recWords …]`. */
  readonly rec: Float64Array;
  /** Entries dropped because they waited longer than the window. */
  expired = 0;
  /** Entries dropped because the store was full. */
  evicted = 0;

  #keys: Uint32Array;
  #hash: Uint32Array;
  #sec: Float64Array;
  #nsec: Int32Array;
  #seq: Float64Array;
  #live: Uint8Array;
  #chain: Int32Array;
  #chainPrev: Int32Array;
  #buckets: Int32Array;
  #mask: number;
  #prev: Int32Array;
  #next: Int32Array;
  #head = -1;
  #tail = -1;
  #free: Int32Array;
  #freeTop: number;
  #size = 0;
  #seqNo = 0;
  #onDrop: ((slot: number, reason: "expired" | "evicted") => void) | null;

  /**
   * Allocates a store for `maxPending` entries.
   *
   * @param keyWords Number of 32-bit words in a key.
   * @param options {@linkcode PendingStoreOptions}.
   */
  constructor(keyWords: number, options: PendingStoreOptions = {}) {
    const cap = options.maxPending ?? 262_144;
    if (!Number.isInteger(cap) || cap < 1) {
      throw new RangeError(`Cannot size the pending store: maxPending is ${cap}, expected >= 1`);
    }
    this.keyWords = keyWords;
    this.recWords = options.recWords ?? 16;
    this.capacity = cap;
    this.windowNs = options.windowNs ?? 5e9;
    this.#onDrop = options.onDrop ?? null;
    this.key = new Uint32Array(keyWords);
    this.rec = new Float64Array(cap * this.recWords);
    this.#keys = new Uint32Array(cap * keyWords);
    this.#hash = new Uint32Array(cap);
    this.#sec = new Float64Array(cap);
    this.#nsec = new Int32Array(cap);
    this.#seq = new Float64Array(cap);
    this.#live = new Uint8Array(cap);
    this.#chain = new Int32Array(cap).fill(-1);
    this.#chainPrev = new Int32Array(cap).fill(-1);
    let nb = 16;
    while (nb < cap * 2) nb *= 2;
    this.#buckets = new Int32Array(nb).fill(-1);
    this.#mask = nb - 1;
    this.#prev = new Int32Array(cap).fill(-1);
    this.#next = new Int32Array(cap).fill(-1);
    this.#free = new Int32Array(cap);
    for (let i = 0; i < cap; i++) this.#free[i] = cap - 1 - i;
    this.#freeTop = cap;
  }

  /** Number of entries waiting. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds an entry with the current {@linkcode PendingStore.key}; evicts the oldest entry first
   * when the store is full.
   *
   * @param hash The key's hash (any 32-bit value derived from the key words).
   * @param sec The entry's capture time: whole seconds.
   * @param nsec The entry's capture time: nanoseconds within the second.
   * @returns The entry's slot, valid until it is removed, expired or evicted.
   */
  add(hash: number, sec: number, nsec: number): number {
    if (this.#freeTop === 0) {
      if (this.#onDrop) this.#onDrop(this.#head, "evicted");
      this.#drop(this.#head);
      this.evicted++;
    }
    const slot = this.#free[--this.#freeTop];
    const kw = this.keyWords, base = slot * kw, key = this.key, keys = this.#keys;
    for (let i = 0; i < kw; i++) keys[base + i] = key[i];
    hash >>>= 0;
    this.#hash[slot] = hash;
    this.#sec[slot] = sec;
    this.#nsec[slot] = nsec;
    this.#seq[slot] = this.#seqNo++;
    this.#live[slot] = 1;
    const b = hash & this.#mask;
    const first = this.#buckets[b];
    this.#chain[slot] = first;
    this.#chainPrev[slot] = -1;
    if (first >= 0) this.#chainPrev[first] = slot;
    this.#buckets[b] = slot;
    this.#prev[slot] = this.#tail;
    this.#next[slot] = -1;
    if (this.#tail >= 0) this.#next[this.#tail] = slot;
    else this.#head = slot;
    this.#tail = slot;
    this.#size++;
    return slot;
  }

  /**
   * Finds the oldest entry whose key equals {@linkcode PendingStore.key}.
   *
   * @param hash The key's hash, as given to `add`.
   * @returns Its slot, or -1.
   */
  find(hash: number): number {
    hash >>>= 0;
    const kw = this.keyWords, key = this.key, keys = this.#keys, hashes = this.#hash;
    let best = -1, bestSeq = Infinity;
    for (let s = this.#buckets[hash & this.#mask]; s >= 0; s = this.#chain[s]) {
      if (hashes[s] !== hash) continue;
      const base = s * kw;
      let i = 0;
      while (i < kw && keys[base + i] === key[i]) i++;
      if (i === kw && this.#seq[s] < bestSeq) {
        best = s;
        bestSeq = this.#seq[s];
      }
    }
    return best;
  }

  /**
   * The exact nanoseconds from an entry's capture time to a later (or earlier) one.
   *
   * @param slot The entry's slot.
   * @param sec The other time: whole seconds.
   * @param nsec The other time: nanoseconds within the second.
   * @returns Nanoseconds, negative when the other time is earlier.
   */
  elapsedSince(slot: number, sec: number, nsec: number): number {
    return elapsedNs(this.#sec[slot], this.#nsec[slot], sec, nsec);
  }

  /**
   * Removes an entry (it was matched).
   *
   * @param slot The entry's slot, from `find` or `add`.
   * @returns Nothing.
   */
  remove(slot: number): void {
    if (slot < 0 || this.#live[slot] === 0) return;
    this.#drop(slot);
  }

  /**
   * Drops every entry added more than the window before the current capture time.
   *
   * @param sec The current capture time: whole seconds.
   * @param nsec The current capture time: nanoseconds within the second.
   * @returns How many entries expired in this call.
   */
  expire(sec: number, nsec: number): number {
    const window = this.windowNs;
    let n = 0;
    while (
      this.#head >= 0 &&
      elapsedNs(this.#sec[this.#head], this.#nsec[this.#head], sec, nsec) > window
    ) {
      if (this.#onDrop) this.#onDrop(this.#head, "expired");
      this.#drop(this.#head);
      n++;
    }
    this.expired += n;
    return n;
  }

  /**
   * Calls `visit` for every waiting entry, oldest first, then empties the store.
   *
   * @param visit Called with each slot before it is freed.
   * @returns How many entries there were.
   */
  drain(visit?: (slot: number) => void): number {
    let n = 0;
    while (this.#head >= 0) {
      const s = this.#head;
      if (visit) visit(s);
      this.#drop(s);
      n++;
    }
    return n;
  }

  #drop(slot: number): void {
    const cp = this.#chainPrev[slot], cn = this.#chain[slot];
    if (cp >= 0) this.#chain[cp] = cn;
    else this.#buckets[this.#hash[slot] & this.#mask] = cn;
    if (cn >= 0) this.#chainPrev[cn] = cp;
    const p = this.#prev[slot], n = this.#next[slot];
    if (p >= 0) this.#next[p] = n;
    else this.#head = n;
    if (n >= 0) this.#prev[n] = p;
    else this.#tail = p;
    this.#live[slot] = 0;
    this.#free[this.#freeTop++] = slot;
    this.#size--;
  }
}
