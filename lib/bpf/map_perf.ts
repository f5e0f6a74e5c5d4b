/**
 * Perf event arrays (`BPF_MAP_TYPE_PERF_EVENT_ARRAY`): programs send records with
 * `bpf_perf_event_output(ctx, &map, index, data, size)`; off-kernel every index (CPU) is an
 * open event, and the host drains the records in order.
 *
 * @module
 */
import { BpfMap } from "./maps.ts";
import { BPF_MAP_ERRNO } from "./map_errno.ts";
import type { BpfMapSpec } from "./map_spec.ts";
import type { BpfMapPool } from "./map_pool.ts";
import type { BpfProfile } from "./profile.ts";

/** `BPF_F_CURRENT_CPU`: the index of the CPU the program runs on (0 off-kernel). */
const CURRENT_CPU = 0xffffffff;

/**
 * One record of a perf event array.
 *
 * @example
 * ```ts
 * import type { BpfPerfRecord } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const r: BpfPerfRecord = { index: 0, data: new Uint8Array([1]) };
 * assert.equal(r.data.length, 1);
 * ```
 */
export interface BpfPerfRecord {
  /** The array index (CPU) it was written to. */
  index: number;
  /** Its bytes. */
  data: Uint8Array;
}

/**
 * A perf event array. Create one with `createBpfMap({ type: "perf_event_array", keySize: 4,
 * valueSize: 4, maxEntries: CPUs })`. It keeps at most `capacity` undrained records (default
 * 4,096); further ones are counted in `lost`, as a full perf buffer loses samples.
 *
 * @example
 * ```ts
 * import { BpfPerfEventArray, createBpfMap } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const events = createBpfMap({ type: "perf_event_array", keySize: 4, valueSize: 4, maxEntries: 1 }) as BpfPerfEventArray;
 * assert.equal(events.outputErrno(0xffffffff, new Uint8Array([5, 6]), 0, 2), 0);
 * assert.deepEqual(events.drain(), [{ index: 0, data: new Uint8Array([5, 6]) }]);
 * ```
 */
export class BpfPerfEventArray extends BpfMap {
  /** The most undrained records kept. */
  capacity = 4096;
  /** Records dropped because `capacity` were waiting. */
  lost = 0;
  #records: BpfPerfRecord[] = [];

  /**
   * Use `createBpfMap`; this constructor is internal.
   *
   * @param spec The map's shape.
   * @param profile Its profile.
   * @param pool The pool, when the profile has one.
   */
  constructor(spec: BpfMapSpec, profile: BpfProfile, pool: BpfMapPool | undefined) {
    super(spec, profile, pool);
  }

  /**
   * Records `size` bytes of `buf` at `off` (what `bpf_perf_event_output` does).
   *
   * @param index The index (`flags & 0xffffffff`; `BPF_F_CURRENT_CPU` is 0).
   * @param buf The bytes.
   * @param off Where they start.
   * @param size How many.
   * @returns 0, `-E2BIG` for an index out of range, `-ENOSPC` when records were lost.
   */
  outputErrno(index: number, buf: Uint8Array, off: number, size: number): number {
    const i = index === CURRENT_CPU ? 0 : index;
    if (i >= this.maxEntries) return -BPF_MAP_ERRNO.E2BIG;
    if (this.#records.length >= this.capacity) {
      this.lost++;
      return -28; // -ENOSPC
    }
    this.#records.push({ index: i, data: buf.slice(off, off + size) });
    return 0;
  }

  /**
   * Takes the records written so far, oldest first.
   *
   * @returns The records.
   */
  drain(): BpfPerfRecord[] {
    const r = this.#records;
    this.#records = [];
    return r;
  }
}
