/**
 * eBPF map types: Linux's numbers (`enum bpf_map_type`), the names mxy gives them, how each
 * stores its elements, and the map flags (`BPF_F_…`).
 *
 * @module
 */

/**
 * The kinds of map mxy implements, by Linux's name without `BPF_MAP_TYPE_`, lower case:
 *
 * - `"array"`, `"percpu_array"`: 4-byte indexes, every element exists (zeroed), no delete;
 * - `"hash"`, `"percpu_hash"`: any key; `"lru_hash"`, `"lru_percpu_hash"`: a full map evicts
 *   its least recently used element instead of refusing an insert;
 * - `"lpm_trie"`: keys are a 4-byte prefix length then the data (an IP address); lookups find
 *   the longest stored prefix that matches (`BPF_F_NO_PREALLOC` required, as in Linux);
 * - `"prog_array"`: programs for `bpf_tail_call` (4-byte indexes and values);
 * - `"array_of_maps"`, `"hash_of_maps"`: inner maps, looked up by programs;
 * - `"perf_event_array"`: records written by `bpf_perf_event_output`;
 * - `"ringbuf"`: a ring buffer of `maxEntries` bytes (`bpf_ringbuf_*`);
 * - `"stack"`, `"queue"`: no keys; `bpf_map_push_elem`, `…_pop_elem`, `…_peek_elem`;
 * - `"bloom_filter"`: no keys; `bpf_map_push_elem` adds a value, `bpf_map_peek_elem` answers
 *   "maybe present" (0) or "absent" (`-ENOENT`); `map_extra` holds the number of hash functions;
 * - `"stack_trace"`: stack ids to instruction pointers, filled by `bpf_get_stackid` — off-kernel
 *   there is no kernel stack, so the helper returns `-EFAULT` (as Linux does when it gets none);
 * - `"devmap"`, `"devmap_hash"`, `"cpumap"`, `"xskmap"`: redirect targets of XDP's
 *   `bpf_redirect_map` (which gives `XDP_REDIRECT` for a present key, else the flags' low bits);
 * - `"sockmap"`, `"sockhash"`: sockets for `bpf_sk_redirect_map` … (helpers declared only);
 * - `"cgroup_storage"`, `"percpu_cgroup_storage"`: one value per cgroup
 *   (`bpf_get_local_storage`; off-kernel, the one cgroup of every run);
 * - `"sk_storage"`, `"inode_storage"`, `"task_storage"`, `"cgrp_storage"`: values attached to
 *   kernel objects (helpers declared for verification only).
 *
 * Per-CPU maps hold one value per CPU; off-kernel there is one CPU, so they behave as their
 * plain counterparts.
 *
 * @example
 * ```ts
 * import { type BpfMapType, createBpfMap } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const type: BpfMapType = "array";
 * const m = createBpfMap({ type, keySize: 4, valueSize: 8, maxEntries: 3 });
 * assert.equal(m.size, 3);
 * ```
 */
export type BpfMapType =
  | "hash"
  | "array"
  | "prog_array"
  | "perf_event_array"
  | "percpu_hash"
  | "percpu_array"
  | "lru_hash"
  | "lru_percpu_hash"
  | "lpm_trie"
  | "array_of_maps"
  | "hash_of_maps"
  | "queue"
  | "stack"
  | "ringbuf"
  | "stack_trace"
  | "devmap"
  | "sockmap"
  | "cpumap"
  | "xskmap"
  | "sockhash"
  | "cgroup_storage"
  | "percpu_cgroup_storage"
  | "sk_storage"
  | "devmap_hash"
  | "inode_storage"
  | "task_storage"
  | "bloom_filter"
  | "cgrp_storage";

/**
 * Linux's map type numbers of the types mxy implements.
 *
 * @example
 * ```ts
 * import { BPF_MAP_TYPE } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * assert.equal(BPF_MAP_TYPE.lru_hash, 9);
 * assert.equal(BPF_MAP_TYPE.ringbuf, 27);
 * ```
 */
export const BPF_MAP_TYPE: Readonly<Record<BpfMapType, number>> = Object.freeze({
  hash: 1,
  array: 2,
  prog_array: 3,
  perf_event_array: 4,
  percpu_hash: 5,
  percpu_array: 6,
  lru_hash: 9,
  lru_percpu_hash: 10,
  lpm_trie: 11,
  array_of_maps: 12,
  hash_of_maps: 13,
  queue: 22,
  stack: 23,
  ringbuf: 27,
  stack_trace: 7,
  devmap: 14,
  sockmap: 15,
  cpumap: 16,
  xskmap: 17,
  sockhash: 18,
  cgroup_storage: 19,
  percpu_cgroup_storage: 21,
  sk_storage: 24,
  devmap_hash: 25,
  inode_storage: 28,
  task_storage: 29,
  bloom_filter: 30,
  cgrp_storage: 32,
});

/** Linux's names of the map types mxy does not implement, for messages. */
const OTHER: Readonly<Record<number, string>> = {
  0: "unspec",
  8: "cgroup_array",
  20: "reuseport_sockarray",
  26: "struct_ops",
  31: "user_ringbuf",
  33: "arena",
};

const BY_ID = new Map<number, BpfMapType>(
  Object.entries(BPF_MAP_TYPE).map(([name, id]) => [id, name as BpfMapType]),
);

/**
 * The map type of a Linux map type number.
 *
 * @param id The number (`bpf_map_def.type`, BTF `__uint(type, …)`).
 * @returns The type, or `undefined` when mxy does not implement it.
 * @example
 * ```ts
 * import { bpfMapTypeOf } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * assert.equal(bpfMapTypeOf(11), "lpm_trie");
 * assert.equal(bpfMapTypeOf(30), "bloom_filter");
 * assert.equal(bpfMapTypeOf(26), undefined); // struct_ops
 * ```
 */
export function bpfMapTypeOf(id: number): BpfMapType | undefined {
  return BY_ID.get(id);
}

/**
 * Linux's name of a map type number, implemented or not (for messages).
 *
 * @param id The number.
 * @returns The name (`"struct_ops"`), or `"unknown"`.
 */
export function linuxMapTypeName(id: number): string {
  return BY_ID.get(id) ?? OTHER[id] ?? "unknown";
}

/**
 * Map flags (`map_flags`) with Linux's values.
 *
 * @example
 * ```ts
 * import { BPF_F, createBpfMap } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const m = createBpfMap({ type: "lpm_trie", keySize: 8, valueSize: 1, maxEntries: 4, flags: BPF_F.NO_PREALLOC });
 * assert.equal(m.flags, 1);
 * ```
 */
export const BPF_F: Readonly<{
  NO_PREALLOC: 1;
  NO_COMMON_LRU: 2;
  NUMA_NODE: 4;
  RDONLY: 8;
  WRONLY: 16;
  STACK_BUILD_ID: 32;
  ZERO_SEED: 64;
  RDONLY_PROG: 128;
  WRONLY_PROG: 256;
  MMAPABLE: 1024;
  INNER_MAP: 4096;
}> = Object.freeze({
  NO_PREALLOC: 1,
  NO_COMMON_LRU: 2,
  NUMA_NODE: 4,
  RDONLY: 8,
  WRONLY: 16,
  STACK_BUILD_ID: 32,
  ZERO_SEED: 64,
  RDONLY_PROG: 128,
  WRONLY_PROG: 256,
  MMAPABLE: 1024,
  INNER_MAP: 4096,
});

/** How a map type stores its elements: indexed slots, hashed keys, or its own way. */
export type MapStorage = "array" | "hash" | "own";

/**
 * The storage of a map type.
 *
 * @param type The type.
 * @returns `array`, `hash` or `own` (queue, stack, ring buffer, bloom filter, local storage).
 *   Maps Linux indexes by number whose elements exist only once stored (stack traces,
 *   devmap, cpumap, xskmap, sockmap) are hashes whose keys are checked against `maxEntries`.
 */
export function storageOf(type: BpfMapType): MapStorage {
  switch (type) {
    case "array":
    case "percpu_array":
    case "prog_array":
    case "perf_event_array":
    case "array_of_maps":
      return "array";
    case "hash":
    case "percpu_hash":
    case "lru_hash":
    case "lru_percpu_hash":
    case "lpm_trie":
    case "hash_of_maps":
    case "stack_trace":
    case "devmap":
    case "devmap_hash":
    case "cpumap":
    case "xskmap":
    case "sockmap":
    case "sockhash":
      return "hash";
    default:
      return "own";
  }
}
