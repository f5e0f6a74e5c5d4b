/**
 * The recency list of an LRU hash map: slots in a doubly linked list, most recently used first,
 * so that a full map evicts its least recently used element in constant time.
 *
 * @module
 */

/** No slot. */
const NONE = -1;

/** A doubly linked list of slot numbers, most recent first. */
export class LruList {
  #prev: Int32Array;
  #next: Int32Array;
  #in: Uint8Array;
  #head = NONE;
  #tail = NONE;

  /**
   * @param slots The slots it may hold (grows with {@linkcode LruList.grow}).
   * @param alloc Where its arrays come from (a map pool), by byte count.
   */
  constructor(slots: number, alloc: (bytes: number) => Uint8Array = (n) => new Uint8Array(n)) {
    const p = alloc(slots * 4), n = alloc(slots * 4);
    this.#prev = new Int32Array(p.buffer, p.byteOffset, slots);
    this.#next = new Int32Array(n.buffer, n.byteOffset, slots);
    this.#in = alloc(slots);
  }

  /**
   * Makes room for more slots.
   *
   * @param slots The new slot count.
   */
  grow(slots: number): void {
    if (slots <= this.#prev.length) return;
    const prev = new Int32Array(slots), next = new Int32Array(slots), inl = new Uint8Array(slots);
    prev.set(this.#prev);
    next.set(this.#next);
    inl.set(this.#in);
    this.#prev = prev;
    this.#next = next;
    this.#in = inl;
  }

  /**
   * Marks a slot the most recently used (adding it when absent).
   *
   * @param s The slot.
   */
  touch(s: number): void {
    if (this.#head === s) return;
    if (this.#in[s]) this.remove(s);
    this.#in[s] = 1;
    this.#prev[s] = NONE;
    this.#next[s] = this.#head;
    if (this.#head !== NONE) this.#prev[this.#head] = s;
    this.#head = s;
    if (this.#tail === NONE) this.#tail = s;
  }

  /**
   * Takes a slot out of the list.
   *
   * @param s The slot.
   */
  remove(s: number): void {
    if (!this.#in[s]) return;
    this.#in[s] = 0;
    const p = this.#prev[s], n = this.#next[s];
    if (p !== NONE) this.#next[p] = n;
    else this.#head = n;
    if (n !== NONE) this.#prev[n] = p;
    else this.#tail = p;
  }

  /** The least recently used slot, or -1. */
  get oldest(): number {
    return this.#tail;
  }
}
