/**
 * The out-of-order part of one TCP stream direction: byte ranges of stream offsets seen beyond
 * the next byte due, sorted and never overlapping, each with its bytes (copied out of the
 * packet into the list's own byte store, as the packet's memory is reused), marked
 * {@linkcode MISSING} (seen on the wire but cut by the capture's snap length) or
 * {@linkcode NOT_KEPT} (nobody reads this stream's bytes). Overlaps are resolved on insertion by
 * a policy: the first copy of a byte wins, or the last. The store is one typed array per list,
 * written from the front and reused once the list is empty (lists are pooled): holding a
 * segment allocates nothing in the steady state.
 *
 * @module
 */

/** A range's bytes are in the store at its offset. */
export const KEPT = 0;
/** A range the capture does not hold (cut by the snap length): a gap when its turn comes. */
export const MISSING = 1;
/** A range whose bytes are not kept (the stream's bytes are not read): only counted. */
export const NOT_KEPT = 2;

/** Bytes of bookkeeping counted per stored range on top of its data, for memory budgets. */
export const RANGE_OVERHEAD = 64;

const EMPTY = new Uint8Array(0);
/** The largest store a pooled list keeps. */
const MAX_POOLED_STORE = 64 * 1024;

/** Ranges of one stream direction waiting for the bytes before them. */
export class SegmentList {
  /** Stream offset of each range's first byte, ascending. */
  readonly starts: number[] = [];
  /** Stream offset after each range's last byte. */
  readonly ends: number[] = [];
  /** Each range's kind: {@linkcode KEPT}, {@linkcode MISSING} or {@linkcode NOT_KEPT}. */
  readonly kinds: number[] = [];
  /** Where each kept range's first byte is in {@linkcode SegmentList.store}. */
  readonly offsets: number[] = [];
  /** The bytes of the kept ranges. */
  store: Uint8Array = EMPTY;
  /** Bytes of memory held: kept data plus {@linkcode RANGE_OVERHEAD} per range. */
  memory = 0;
  /** Where the next bytes go in the store. */
  #top = 0;

  /** Number of ranges. */
  get count(): number {
    return this.starts.length;
  }

  /**
   * Adds the range `[start, end)` whose bytes are `buf[off …]` for its first `captured` bytes
   * (the rest is {@linkcode MISSING}), or not kept when `keep` is false. Where it overlaps
   * stored ranges, `last` decides: `false` keeps the stored bytes (the first copy wins), `true`
   * replaces them.
   *
   * @returns The number of bytes of the new range that overlapped stored ones.
   */
  insert(
    start: number,
    end: number,
    buf: Uint8Array,
    off: number,
    captured: number,
    keep: boolean,
    last: boolean,
  ): number {
    const starts = this.starts, ends = this.ends;
    // First range that ends after `start` (ranges before it are untouched).
    let i = starts.length;
    while (i > 0 && ends[i - 1] > start) i--;
    let overlap = 0;
    if (last) {
      // Trim or remove what the new range covers, keeping the parts outside it.
      let j = i;
      while (j < starts.length && starts[j] < end) {
        const a = starts[j], b = ends[j], kind = this.kinds[j], at = this.offsets[j];
        overlap += Math.min(b, end) - Math.max(a, start);
        this.#remove(j);
        if (b > end) this.#put(j, end, b, kind, at + (end - a));
        if (a < start) this.#put(j, a, start, kind, at);
        if (a < start) j++;
        if (b > end) j++;
      }
      while (i < starts.length && ends[i] <= start) i++;
      this.#add(i, start, end, start, buf, off, captured, keep);
      return overlap;
    }
    // First copy wins: add only the parts no stored range covers.
    let pos = start;
    while (pos < end) {
      if (i < starts.length && starts[i] <= pos) {
        const covered = Math.min(ends[i], end) - pos;
        overlap += covered;
        pos += covered;
        i++;
        continue;
      }
      const to = i < starts.length ? Math.min(starts[i], end) : end;
      this.#add(i, pos, to, start, buf, off, captured, keep);
      pos = to;
      i++;
    }
    return overlap;
  }

  /** Stores `[a, b)` of a range that starts at `origin` (bytes `buf[off …]`) at index `i`. */
  #add(
    i: number,
    a: number,
    b: number,
    origin: number,
    buf: Uint8Array,
    off: number,
    captured: number,
    keep: boolean,
  ): void {
    const capturedEnd = origin + captured;
    if (!keep) {
      this.#put(i, a, b, NOT_KEPT, 0);
      return;
    }
    if (a >= capturedEnd) {
      this.#put(i, a, b, MISSING, 0);
      return;
    }
    if (b > capturedEnd) {
      // The captured head and the cut tail become two ranges.
      this.#put(i, capturedEnd, b, MISSING, 0);
      b = capturedEnd;
    }
    const at = this.#room(b - a);
    this.store.set(buf.subarray(off + (a - origin), off + (b - origin)), at);
    this.#put(i, a, b, KEPT, at);
  }

  /** Where `n` more bytes fit in the store: after the last ones, moved up, or in a larger one. */
  #room(n: number): number {
    if (this.#top + n <= this.store.length) {
      const at = this.#top;
      this.#top += n;
      return at;
    }
    // Move the kept ranges to the front of a store large enough for them and the new bytes.
    let live = 0;
    for (let k = 0; k < this.kinds.length; k++) {
      if (this.kinds[k] === KEPT) live += this.ends[k] - this.starts[k];
    }
    let size = Math.max(this.store.length, 4096);
    while (size < 2 * (live + n)) size *= 2;
    const old = this.store;
    const store = new Uint8Array(size);
    let top = 0;
    for (let k = 0; k < this.kinds.length; k++) {
      if (this.kinds[k] !== KEPT) continue;
      const len = this.ends[k] - this.starts[k];
      store.set(old.subarray(this.offsets[k], this.offsets[k] + len), top);
      this.offsets[k] = top;
      top += len;
    }
    this.store = store;
    this.#top = top + n;
    return top;
  }

  #put(i: number, a: number, b: number, kind: number, at: number): void {
    if (i === this.starts.length) {
      // The common case: past every range held.
      this.starts.push(a);
      this.ends.push(b);
      this.kinds.push(kind);
      this.offsets.push(at);
    } else {
      this.starts.splice(i, 0, a);
      this.ends.splice(i, 0, b);
      this.kinds.splice(i, 0, kind);
      this.offsets.splice(i, 0, at);
    }
    this.memory += RANGE_OVERHEAD + (kind === KEPT ? b - a : 0);
  }

  #remove(i: number): void {
    this.memory -= RANGE_OVERHEAD + (this.kinds[i] === KEPT ? this.ends[i] - this.starts[i] : 0);
    if (this.starts.length === 1) {
      // The store is not reset here: a trimmed part of the range may be put back.
      this.starts.length =
        this.ends.length =
        this.kinds.length =
        this.offsets.length =
          0;
      return;
    }
    this.starts.splice(i, 1);
    this.ends.splice(i, 1);
    this.kinds.splice(i, 1);
    this.offsets.splice(i, 1);
  }

  /** Removes the first range (its turn came); the store is reused once none is left. */
  shift(): void {
    this.#remove(0);
    if (this.starts.length === 0) this.#top = 0;
  }

  /** Drops the bytes kept (the stream's bytes are no longer read); the ranges stay. */
  dropData(): void {
    const kinds = this.kinds;
    for (let i = 0; i < kinds.length; i++) {
      if (kinds[i] === KEPT) {
        this.memory -= this.ends[i] - this.starts[i];
        kinds[i] = NOT_KEPT;
      }
    }
  }

  /** Removes every range (the store is kept for the next ranges). */
  clear(): void {
    this.starts.length =
      this.ends.length =
      this.kinds.length =
      this.offsets.length =
        0;
    this.memory = 0;
    this.#top = 0;
  }

  /** Lets a large store go (before the list is pooled), keeping a small one for reuse. */
  shrink(): void {
    if (this.store.length > MAX_POOLED_STORE) this.store = EMPTY;
  }
}
