/**
 * Ring buffers (`BPF_MAP_TYPE_RINGBUF`): programs reserve records in a buffer of `maxEntries`
 * bytes, fill them in place and submit (or discard) them, or copy one in with
 * `bpf_ringbuf_output`; the host consumes submitted records in order. As in Linux, each record
 * has an 8-byte header (length, busy and discard bits) and is 8-byte aligned, and a record
 * reserved but not yet submitted holds back the ones after it. A record that would wrap around
 * the end of the buffer starts at its beginning instead, after a discarded filler.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import { BpfMap } from "./maps.ts";
import type { BpfMapSpec } from "./map_spec.ts";
import type { BpfMapPool } from "./map_pool.ts";
import type { BpfProfile } from "./profile.ts";

const HEADER = 8;
const BUSY = 0x80000000, DISCARD = 0x40000000, LEN_MASK = 0x0fffffff;
/** `bpf_ringbuf_query` flags. */
const AVAIL_DATA = 0, RING_SIZE = 1, CONS_POS = 2, PROD_POS = 3;

/**
 * A ring buffer. Create one with `createBpfMap({ type: "ringbuf", keySize: 0, valueSize: 0,
 * maxEntries: bytes })` (a power of 2, a multiple of 4096).
 *
 * @example
 * ```ts
 * import { BpfRingBuf, createBpfMap } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const rb = createBpfMap({ type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 4096 }) as BpfRingBuf;
 * const at = rb.reserve(3);
 * rb.data.set([1, 2, 3], at);
 * rb.commit(at, false);
 * assert.equal(rb.output(new Uint8Array([9]), 0, 1), 0);
 * assert.deepEqual(rb.drain(), [new Uint8Array([1, 2, 3]), new Uint8Array([9])]);
 * ```
 */
export class BpfRingBuf extends BpfMap {
  /** The buffer's bytes (records and headers); pointers programs get point into it. */
  readonly data: Uint8Array;
  #v: DataView;
  #prod = 0; // bytes produced (positions grow; offset = pos % size)
  #cons = 0;

  /**
   * Use `createBpfMap`; this constructor is internal.
   *
   * @param spec The map's shape.
   * @param profile Its profile.
   * @param pool The pool, when the profile has one.
   */
  constructor(spec: BpfMapSpec, profile: BpfProfile, pool: BpfMapPool | undefined) {
    super(spec, profile, pool);
    this.data = pool !== undefined && profile.mapPoolBytes !== null
      ? pool.allocate(spec.maxEntries, `map "${this.name}"`)
      : new Uint8Array(spec.maxEntries);
    this.#v = new DataView(this.data.buffer, this.data.byteOffset, this.data.byteLength);
  }

  /** Records (and fillers) not consumed yet, in bytes with headers. */
  override get size(): number {
    return this.#prod - this.#cons;
  }

  /**
   * Reserves a record of `size` bytes.
   *
   * @param size The record's size.
   * @returns The offset of its bytes in {@linkcode BpfRingBuf.data}, or -1 when there is no
   *   room.
   */
  reserve(size: number): number {
    const cap = this.data.length;
    if (size < 0 || size > LEN_MASK) return -1;
    const need = (size + HEADER + 7) & ~7;
    let at = this.#prod % cap;
    const filler = at + need > cap ? cap - at : 0;
    if (this.#prod + filler + need - this.#cons > cap) return -1;
    if (filler > 0) {
      this.#v.setUint32(at, DISCARD | (filler - HEADER), true);
      this.#v.setUint32(at + 4, 0, true);
      this.#prod += filler;
      at = 0;
    }
    this.#v.setUint32(at, BUSY | size, true);
    this.#v.setUint32(at + 4, 0, true);
    this.#prod += need;
    return at + HEADER;
  }

  /**
   * Submits or discards a reserved record.
   *
   * @param at The offset {@linkcode BpfRingBuf.reserve} returned.
   * @param discard Discard it instead of submitting it.
   * @returns Nothing; throws a `BpfError` (`"helper"`) when `at` is not a reserved record.
   */
  commit(at: number, discard: boolean): void {
    const h = at - HEADER;
    const len = h >= 0 && h + HEADER <= this.data.length ? this.#v.getUint32(h, true) : 0;
    if (at % 8 !== 0 || (len & BUSY) === 0) {
      throw new BpfError(
        "helper",
        `Ring buffer "${this.name}": offset ${at} is not a reserved record (submitted twice, or never reserved)`,
      );
    }
    this.#v.setUint32(h, (len & ~BUSY) | (discard ? DISCARD : 0), true);
  }

  /**
   * Copies `size` bytes in as one record (what `bpf_ringbuf_output` does).
   *
   * @param buf The bytes.
   * @param off Where they start.
   * @param size How many.
   * @returns 0, or `-EAGAIN` when there is no room.
   */
  output(buf: Uint8Array, off: number, size: number): number {
    const at = this.reserve(size);
    if (at < 0) return -11; // -EAGAIN
    this.data.set(buf.subarray(off, off + size), at);
    this.commit(at, false);
    return 0;
  }

  /**
   * What `bpf_ringbuf_query` returns.
   *
   * @param flags `BPF_RB_AVAIL_DATA` (0), `BPF_RB_RING_SIZE` (1), `BPF_RB_CONS_POS` (2),
   *   `BPF_RB_PROD_POS` (3).
   * @returns The value, or 0 for unknown flags.
   */
  query(flags: number): number {
    switch (flags) {
      case AVAIL_DATA:
        return this.#prod - this.#cons;
      case RING_SIZE:
        return this.data.length;
      case CONS_POS:
        return this.#cons;
      case PROD_POS:
        return this.#prod;
      default:
        return 0;
    }
  }

  /**
   * Consumes the submitted records, oldest first, up to the first one still reserved.
   *
   * @returns Copies of their bytes (discarded records are skipped).
   */
  drain(): Uint8Array[] {
    const out: Uint8Array[] = [];
    const cap = this.data.length;
    while (this.#cons < this.#prod) {
      const at = this.#cons % cap;
      const len = this.#v.getUint32(at, true);
      if (len & BUSY) break;
      const size = len & LEN_MASK;
      if (!(len & DISCARD)) out.push(this.data.slice(at + HEADER, at + HEADER + size));
      this.#cons += (size + HEADER + 7) & ~7;
    }
    return out;
  }
}
