/**
 * Queue and stack maps (`BPF_MAP_TYPE_QUEUE`, `BPF_MAP_TYPE_STACK`): values without keys, pushed
 * and popped first-in-first-out or last-in-first-out, by programs (`bpf_map_push_elem`,
 * `bpf_map_pop_elem`, `bpf_map_peek_elem`) and by the host.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import { BpfMap } from "./maps.ts";
import { BPF_EXIST } from "./map_update_flags.ts";
import { BPF_MAP_ERRNO } from "./map_errno.ts";
import type { BpfMapSpec } from "./map_spec.ts";
import type { BpfMapPool } from "./map_pool.ts";
import type { BpfProfile } from "./profile.ts";

/**
 * A queue or stack map. Create one with `createBpfMap({ type: "queue" | "stack", keySize: 0, … })`.
 * A full map refuses a push unless the flag is `BPF_EXIST`, which drops the oldest element.
 *
 * @example
 * ```ts
 * import { BpfQueueMap, createBpfMap } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const q = createBpfMap({ type: "queue", keySize: 0, valueSize: 1, maxEntries: 2 }) as BpfQueueMap;
 * q.push(new Uint8Array([1]));
 * q.push(new Uint8Array([2]));
 * assert.deepEqual(q.pop(), new Uint8Array([1]));
 * const s = createBpfMap({ type: "stack", keySize: 0, valueSize: 1, maxEntries: 2 }) as BpfQueueMap;
 * s.push(new Uint8Array([1]));
 * s.push(new Uint8Array([2]));
 * assert.deepEqual(s.pop(), new Uint8Array([2]));
 * ```
 */
export class BpfQueueMap extends BpfMap {
  #values: Uint8Array;
  #head = 0;
  #count = 0;

  /**
   * Use `createBpfMap`; this constructor is internal.
   *
   * @param spec The map's shape.
   * @param profile Its profile.
   * @param pool The pool, when the profile has one.
   */
  constructor(spec: BpfMapSpec, profile: BpfProfile, pool: BpfMapPool | undefined) {
    super(spec, profile, pool);
    const bytes = spec.maxEntries * spec.valueSize;
    this.#values = pool !== undefined && profile.mapPoolBytes !== null
      ? pool.allocate(bytes, `map "${this.name}"`)
      : new Uint8Array(bytes);
  }

  /** How many values it holds. */
  override get size(): number {
    return this.#count;
  }

  /**
   * Pushes `valueSize` bytes of `buf` at `off` (for helpers).
   *
   * @param buf The bytes.
   * @param off Where the value starts.
   * @param flags 0 (`BPF_ANY`), or `BPF_EXIST` to drop the oldest value when full.
   * @returns 0, `-E2BIG` (full) or `-EINVAL` (bad flags).
   */
  pushErrno(buf: Uint8Array, off: number, flags: number): number {
    if (flags !== 0 && flags !== BPF_EXIST) return -BPF_MAP_ERRNO.EINVAL;
    const n = this.maxEntries, size = this.valueSize;
    if (this.#count === n) {
      if (flags !== BPF_EXIST) return -BPF_MAP_ERRNO.E2BIG;
      this.#head = (this.#head + 1) % n;
      this.#count--;
    }
    const at = ((this.#head + this.#count) % n) * size;
    for (let i = 0; i < size; i++) this.#values[at + i] = buf[off + i];
    this.#count++;
    return 0;
  }

  /**
   * Copies the next value (the oldest for a queue, the newest for a stack) to `out` at `off`,
   * removing it unless `peek` (for helpers).
   *
   * @param out Where to write it.
   * @param off At which offset.
   * @param peek Leave it in the map.
   * @returns 0, or `-ENOENT` when the map is empty.
   */
  popErrno(out: Uint8Array, off: number, peek: boolean): number {
    if (this.#count === 0) return -BPF_MAP_ERRNO.ENOENT;
    const n = this.maxEntries, size = this.valueSize;
    const idx = this.type === "queue" ? this.#head : (this.#head + this.#count - 1) % n;
    out.set(this.#values.subarray(idx * size, idx * size + size), off);
    if (!peek) {
      this.#count--;
      if (this.type === "queue") this.#head = (this.#head + 1) % n;
    }
    return 0;
  }

  /**
   * Pushes a value.
   *
   * @param value `valueSize` bytes.
   * @param flags 0, or `BPF_EXIST` to drop the oldest value when full.
   * @returns Nothing; throws a `BpfError` (`"map-full"`) when full.
   */
  push(value: Uint8Array, flags = 0): void {
    if (value.length !== this.valueSize) {
      throw new BpfError("map-key", `Map "${this.name}" takes ${this.valueSize}-byte values`);
    }
    const r = this.pushErrno(value, 0, flags);
    if (r === -BPF_MAP_ERRNO.E2BIG) {
      throw new BpfError("map-full", `Map "${this.name}" is full (${this.maxEntries} values)`);
    }
    if (r !== 0) throw new BpfError("map-key", `Map "${this.name}": invalid flags ${flags}`);
  }

  /**
   * Removes and returns the next value.
   *
   * @returns A copy, or `null` when empty.
   */
  pop(): Uint8Array | null {
    const out = new Uint8Array(this.valueSize);
    return this.popErrno(out, 0, false) === 0 ? out : null;
  }

  /**
   * Returns the next value without removing it.
   *
   * @returns A copy, or `null` when empty.
   */
  peek(): Uint8Array | null {
    const out = new Uint8Array(this.valueSize);
    return this.popErrno(out, 0, true) === 0 ? out : null;
  }
}
