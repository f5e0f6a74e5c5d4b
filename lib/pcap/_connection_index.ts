/**
 * The connection index shared by the session table and the TCP reassembler: slots numbered from
 * 0, each holding a canonical flow key (see `_flow_key.ts`), found by the key's hash, and kept in
 * an activity list (least recently active first: the idle expiry and eviction order). Freed slots
 * are reused, the most recently freed first (its memory is the likeliest to be in cache).
 *
 * The hash table is open addressing with linear probing. Each place has a one-byte tag (eight
 * bits of the key's hash, never 0; 0 marks an empty place) in one `Uint8Array`, and the slot
 * and the hash side by side in an `Int32Array` beside it (one cache line for both when an entry
 * is placed, found or moved). A lookup reads the tags first: a key that is not there (every new
 * connection) costs one cache line of a table of one byte per place, small enough to stay in
 * cache while packets stream through; the slot and its key are read only on a tag match. Removal
 * shifts the following entries back (no tombstones). The table holds at most half as many
 * entries as it has places, and grows with the slots in use, not with the capacity.
 *
 * The owner keeps its own per-slot arrays and grows them in the `grow` callback, called with the
 * new number of slots before a slot beyond the old number is handed out.
 *
 * @module
 */
import * as flowKey from "./_flow_key.ts";

// Module-level copy: V8 folds it into the hot paths, but not an imported binding.
const { KEY_WORDS } = flowKey;

/** Slots a new index has room for before it first grows. */
const FIRST_CAPACITY = 256;
/** Places of a new index's hash table. */
const FIRST_PLACES = 1024;

/** Slots, keys, hash lookup and activity order of a connection table. */
export class ConnectionIndex {
  /** Canonical keys, `KEY_WORDS` per slot (replaced as the index grows). */
  keys: Uint32Array = new Uint32Array(0);
  /** Each slot's key hash. */
  hashes: Uint32Array = new Uint32Array(0);
  /** 1 while a slot holds a connection. */
  live: Uint8Array = new Uint8Array(0);
  /** The least recently active slot, or -1. */
  head = -1;
  /** The most recently active slot, or -1. */
  tail = -1;
  /** Slots in use now. */
  open = 0;
  /** Slots handed out at least once (slots `[0, used)` exist). */
  used = 0;
  /** Slots the per-slot arrays have room for. */
  capacity = 0;
  #prev = new Int32Array(0);
  #next = new Int32Array(0);
  #free = new Int32Array(0);
  #freeCount = 0;
  /** The last slot {@linkcode add} handed out, and whether it was used for the first time. */
  #lastSlot = -1;
  #lastFresh = false;
  /** Slots `[0, highWater)` have been handed out at some time. */
  #highWater = 0;
  /** Each place's tag (see {@linkcode tagOf}); 0 marks an empty place. */
  #tags = new Uint8Array(0);
  /**
   * Per occupied place, side by side at `2 * place`: its slot and its key's hash (the home
   * place, for removal, without reading the slot's): one cache line for both.
   */
  #entries = new Int32Array(0);
  #mask = 0;
  #grow: (capacity: number) => void;

  /**
   * Creates an empty index.
   *
   * @param grow Called with the new capacity whenever the owner's per-slot arrays must grow
   *   (not for the first capacity, {@linkcode ConnectionIndex.capacity} once made).
   */
  constructor(grow: (capacity: number) => void) {
    this.#grow = grow;
    this.#resize(FIRST_CAPACITY);
    this.#rehash(FIRST_PLACES);
  }

  /**
   * The slot holding a key, or -1.
   *
   * @param hash The key's hash.
   * @param w The key's words.
   * @returns The slot, or -1.
   */
  find(hash: number, w: Uint32Array): number {
    const tags = this.#tags, mask = this.#mask, tag = tagOf(hash);
    for (let i = hash & mask;; i = (i + 1) & mask) {
      const t = tags[i];
      if (t === 0) return -1;
      if (t !== tag) continue;
      const s = this.#entries[2 * i], keys = this.keys, base = s * KEY_WORDS;
      let k = 0;
      while (k < KEY_WORDS && keys[base + k] === w[k]) k++;
      if (k === KEY_WORDS) return s;
    }
  }

  /**
   * Takes a slot for a key that is not in the index, as the most recently active one.
   *
   * @param hash The key's hash.
   * @param w The key's words.
   * @returns The slot.
   */
  add(hash: number, w: Uint32Array): number {
    let slot: number;
    if (this.#freeCount > 0) {
      slot = this.#free[--this.#freeCount];
      this.#lastFresh = false;
    } else {
      if (this.used === this.capacity) {
        this.#resize(this.capacity * 2);
        this.#grow(this.capacity);
      }
      slot = this.used++;
      this.#lastFresh = slot >= this.#highWater;
      if (this.#lastFresh) this.#highWater = slot + 1;
    }
    this.#lastSlot = slot;
    const keys = this.keys, ko = slot * KEY_WORDS;
    for (let k = 0; k < KEY_WORDS; k++) keys[ko + k] = w[k];
    this.hashes[slot] = hash;
    this.live[slot] = 1;
    this.open++;
    if (this.open * 2 > this.#mask + 1) this.#rehash((this.#mask + 1) * 2);
    this.#place(hash, slot);
    // Linked at the most recently active end.
    this.#prev[slot] = this.tail;
    this.#next[slot] = -1;
    if (this.tail >= 0) this.#next[this.tail] = slot;
    else this.head = slot;
    this.tail = slot;
    return slot;
  }

  /**
   * Moves a slot to the most recently active end of the activity list.
   *
   * @param slot A slot in use.
   */
  touch(slot: number): void {
    const tail = this.tail;
    if (tail === slot) return;
    const prev = this.#prev, next = this.#next;
    const p = prev[slot], n = next[slot];
    if (p >= 0) next[p] = n;
    else this.head = n;
    prev[n] = p; // a slot that is not the tail has a next one
    prev[slot] = tail;
    next[slot] = -1;
    next[tail] = slot;
    this.tail = slot;
  }

  /**
   * The slot active next after one in the activity list, or -1.
   *
   * @param slot A slot in use.
   * @returns The next slot, or -1 for the most recently active one.
   */
  after(slot: number): number {
    return this.#next[slot];
  }

  /**
   * Whether {@linkcode add} handed out a slot never used before (its owner's per-slot memory is
   * still as the `grow` callback left it: zero).
   *
   * @param slot A slot {@linkcode add} just returned.
   * @returns `true` for a slot used for the first time.
   */
  isFresh(slot: number): boolean {
    return slot === this.#lastSlot && this.#lastFresh;
  }

  /** Takes every slot out at once (slot numbers start again from 0; the capacity stays). */
  clear(): void {
    this.#tags.fill(0);
    this.live.fill(0, 0, this.used);
    this.#prev.fill(-1, 0, this.used);
    this.#next.fill(-1, 0, this.used);
    this.head = this.tail = -1;
    this.open = this.used = this.#freeCount = 0;
  }

  /**
   * Takes a slot out of the index; it is handed out again by a later {@linkcode add}.
   *
   * @param slot A slot in use.
   */
  remove(slot: number): void {
    const tags = this.#tags, entries = this.#entries;
    const mask = this.#mask;
    let i = this.hashes[slot] & mask;
    while (tags[i] === 0 || entries[2 * i] !== slot) i = (i + 1) & mask;
    // Shift back the entries after it that would no longer be found past the empty place.
    for (let j = (i + 1) & mask; tags[j] !== 0; j = (j + 1) & mask) {
      const home = entries[2 * j + 1] & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      tags[i] = tags[j];
      entries[2 * i] = entries[2 * j];
      entries[2 * i + 1] = entries[2 * j + 1];
      i = j;
    }
    tags[i] = 0;
    const prev = this.#prev, next = this.#next;
    const p = prev[slot], n = next[slot];
    if (p >= 0) next[p] = n;
    else this.head = n;
    if (n >= 0) prev[n] = p;
    else this.tail = p;
    prev[slot] = next[slot] = -1;
    this.live[slot] = 0;
    this.open--;
    this.#free[this.#freeCount++] = slot;
  }

  #resize(capacity: number): void {
    const keys = new Uint32Array(capacity * KEY_WORDS);
    keys.set(this.keys);
    this.keys = keys;
    this.hashes = grown(this.hashes, new Uint32Array(capacity));
    this.live = grown(this.live, new Uint8Array(capacity));
    this.#prev = grown(this.#prev, new Int32Array(capacity));
    this.#next = grown(this.#next, new Int32Array(capacity));
    this.#free = grown(this.#free, new Int32Array(capacity));
    this.capacity = capacity;
  }

  /** Puts a slot's entry in the first empty place from its hash's. */
  #place(hash: number, slot: number): void {
    const tags = this.#tags, mask = this.#mask;
    let i = hash & mask;
    while (tags[i] !== 0) i = (i + 1) & mask;
    tags[i] = tagOf(hash);
    const entries = this.#entries;
    entries[2 * i] = slot;
    entries[2 * i + 1] = hash;
  }

  /** Makes the table `places` places long (a power of two), holding every slot in use. */
  #rehash(places: number): void {
    this.#tags = new Uint8Array(places);
    this.#entries = new Int32Array(places * 2);
    this.#mask = places - 1;
    const live = this.live, hashes = this.hashes;
    for (let s = 0; s < this.used; s++) if (live[s] === 1) this.#place(hashes[s], s);
  }
}

/** A place's tag for a hash: its top eight bits, 1 for 0 (0 marks an empty place). */
function tagOf(hash: number): number {
  return hash >>> 24 || 1;
}

/** `into` with `from` copied to its start. */
function grown<T extends Uint8Array | Uint32Array | Int32Array>(from: T, into: T): T {
  into.set(from);
  return into;
}
