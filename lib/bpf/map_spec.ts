/**
 * What a map is made of ({@linkcode BpfMapSpec}) and how it is created
 * ({@linkcode CreateBpfMapOptions}).
 *
 * @module
 */
import type { BpfMap } from "./maps.ts";
import type { BpfMapPool } from "./map_pool.ts";
import type { BpfMapType } from "./map_types.ts";
import type { BpfProfile } from "./profile.ts";

/**
 * What a map holds.
 *
 * @example
 * ```ts
 * import { type BpfMapSpec, BpfVm } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const spec: BpfMapSpec = { type: "hash", keySize: 4, valueSize: 8, maxEntries: 1024, name: "flows" };
 * const vm = new BpfVm();
 * assert.equal(vm.fdOf(vm.createMap(spec)), 0);
 * ```
 */
export interface BpfMapSpec {
  /** The kind of map (see {@linkcode BpfMapType}). */
  type: BpfMapType;
  /** Key size in bytes (4 for arrays, 0 for queues, stacks and ring buffers). */
  keySize: number;
  /** Value size in bytes. */
  valueSize: number;
  /** The most elements the map holds. */
  maxEntries: number;
  /** A name for messages and for the ELF loader. */
  name?: string;
  /** `map_flags` (`BPF_F`): `NO_PREALLOC` (required by `lpm_trie`), `RDONLY_PROG` … */
  flags?: number;
  /**
   * Where the value's `struct bpf_spin_lock` is (a byte offset, 4-aligned), for
   * `bpf_spin_lock`; the ELF loader takes it from the value's BTF type. Hash, array and local
   * storage maps only.
   */
  spinLock?: number;
  /** `map_extra`: for `bloom_filter`, the number of hash functions (1-15; 0 means 5). */
  mapExtra?: number;
  /**
   * For `array_of_maps` and `hash_of_maps`: the inner map template (what programs may assume
   * of an inner map: its type and sizes). Inner maps must match it.
   */
  inner?: BpfMap;
}

/**
 * Options for {@linkcode createBpfMap}.
 *
 * @example
 * ```ts
 * import { BpfMapPool, createBpfMap, type CreateBpfMapOptions, getBpfProfile } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const options: CreateBpfMapOptions = { profile: getBpfProfile("embedded"), pool: new BpfMapPool(64) };
 * assert.throws(() => createBpfMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 16 }, options), /pool exhausted/);
 * ```
 */
export interface CreateBpfMapOptions {
  /** The profile whose rules the map follows (default `cloud`). */
  profile?: BpfProfile;
  /** The pool to carve storage from; required when the profile has a map pool. */
  pool?: BpfMapPool;
}
