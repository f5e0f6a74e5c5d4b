/**
 * The out-of-order part of one TCP stream direction: byte ranges of stream offsets seen beyond
 * the next byte due, sorted and never overlapping, each with its bytes (copied out of the
 * packet, as the packet's memory is reused), {@linkcode MISSING} (seen on the wire but cut by
 * the capture's snap length) or `null` (not kept: nobody reads this stream's bytes). Overlaps
 * are resolved on insertion by a policy: the first copy of a byte wins, or the last.
 *
 * @module
 */

/** Marks a range whose bytes the capture does not hold (cut by the snap length). */
export const MISSING: Uint8Array = new Uint8Array(0);

/** Bytes of bookkeeping counted per stored range on top of its data, for memory budgets. */
export const RANGE_OVERHEAD = 64;

/** Ranges of one stream direction waiting for the bytes before them. */
export class SegmentList {
  /** Stream offset of each range's first byte, ascending. */
  readonly starts: number[] = [];
  /** Stream offset after each range's last byte. */
  readonly ends: number[] = [];
  /** Each range's bytes, {@linkcode MISSING}, or `null` when not kept. */
  readonly data: (Uint8Array | null)[] = [];
  /** Bytes of memory held: kept data plus {@linkcode RANGE_OVERHEAD} per range. */
  memory = 0;

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
        const a = starts[j], b = ends[j];
        overlap += Math.min(b, end) - Math.max(a, start);
        const d = this.data[j];
        this.#remove(j);
        if (b > end) this.#put(j, end, b, slice(d, end - a, b - a));
        if (a < start) this.#put(j, a, start, slice(d, 0, start - a));
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
      this.#put(i, a, b, null);
      return;
    }
    if (a >= capturedEnd) {
      this.#put(i, a, b, MISSING);
      return;
    }
    if (b > capturedEnd) {
      // The captured head and the cut tail become two ranges.
      this.#put(i, capturedEnd, b, MISSING);
      b = capturedEnd;
    }
    this.#put(i, a, b, buf.slice(off + (a - origin), off + (b - origin)));
  }

  #put(i: number, a: number, b: number, d: Uint8Array | null): void {
    this.starts.splice(i, 0, a);
    this.ends.splice(i, 0, b);
    this.data.splice(i, 0, d);
    this.memory += RANGE_OVERHEAD + (d === null ? 0 : d.length);
  }

  #remove(i: number): void {
    const d = this.data[i];
    this.memory -= RANGE_OVERHEAD + (d === null ? 0 : d.length);
    this.starts.splice(i, 1);
    this.ends.splice(i, 1);
    this.data.splice(i, 1);
  }

  /** Removes the first range. */
  shift(): void {
    this.#remove(0);
  }

  /** Drops the bytes kept (the stream's bytes are no longer read); the ranges stay. */
  dropData(): void {
    const data = this.data;
    for (let i = 0; i < data.length; i++) {
      const d = data[i];
      if (d !== null && d !== MISSING) {
        this.memory -= d.length;
        data[i] = null;
      }
    }
  }

  /** Removes every range. */
  clear(): void {
    this.starts.length = this.ends.length = this.data.length = 0;
    this.memory = 0;
  }
}

/** `d[from, to)`, sharing memory; `null` and {@linkcode MISSING} stay what they are. */
function slice(d: Uint8Array | null, from: number, to: number): Uint8Array | null {
  if (d === null || d === MISSING) return d;
  return d.subarray(from, to);
}
