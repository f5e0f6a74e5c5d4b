/**
 * Creating a map of any type: the classes of the types with their own storage (queues and
 * stacks, ring buffers, perf event arrays, bloom filters, stack traces, redirect maps, local
 * storage) or the general {@linkcode BpfMap}.
 *
 * @module
 */
import { BpfMap } from "./maps.ts";
import type { BpfMapSpec, CreateBpfMapOptions } from "./map_spec.ts";
import { BpfQueueMap } from "./map_queue.ts";
import { BpfRingBuf } from "./map_ringbuf.ts";
import { BpfPerfEventArray } from "./map_perf.ts";
import { BpfBloomFilter } from "./map_bloom.ts";
import { BpfRedirectMap } from "./map_redirect.ts";
import { BpfStackTraceMap } from "./map_stack_trace.ts";
import { BpfLocalStorageMap } from "./map_local_storage.ts";
import { CLOUD } from "./profile.ts";

/**
 * Creates a map under a profile's rules.
 *
 * @param spec The map's type, key and value sizes, capacity and flags.
 * @param options The profile (default `cloud`) and, for `embedded`, the pool.
 * @returns The map (a {@linkcode BpfQueueMap}, {@linkcode BpfRingBuf},
 *   {@linkcode BpfPerfEventArray}, {@linkcode BpfBloomFilter}, {@linkcode BpfStackTraceMap},
 *   {@linkcode BpfRedirectMap} or {@linkcode BpfLocalStorageMap} for those types); throws a `BpfError` for a bad spec or an
 *   exhausted pool.
 * @example
 * ```ts
 * import { BpfMapPool, createBpfMap, getBpfProfile } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const pool = new BpfMapPool(256);
 * const m = createBpfMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 4 }, {
 *   profile: getBpfProfile("embedded"),
 *   pool,
 * });
 * assert.equal(pool.free, 256 - 32);
 * assert.throws(() => m.resize(8), /cannot be resized/);
 * ```
 */
export function createBpfMap(spec: BpfMapSpec, options: CreateBpfMapOptions = {}): BpfMap {
  const profile = options.profile ?? CLOUD;
  const pool = options.pool;
  switch (spec.type) {
    case "queue":
    case "stack":
      return new BpfQueueMap(spec, profile, pool);
    case "ringbuf":
      return new BpfRingBuf(spec, profile, pool);
    case "perf_event_array":
      return new BpfPerfEventArray(spec, profile, pool);
    case "bloom_filter":
      return new BpfBloomFilter(spec, profile, pool);
    case "stack_trace":
      return new BpfStackTraceMap(spec, profile, pool);
    case "devmap":
    case "devmap_hash":
    case "cpumap":
    case "xskmap":
    case "sockmap":
    case "sockhash":
      return new BpfRedirectMap(spec, profile, pool);
    case "cgroup_storage":
    case "percpu_cgroup_storage":
    case "sk_storage":
    case "inode_storage":
    case "task_storage":
    case "cgrp_storage":
      return new BpfLocalStorageMap(spec, profile, pool);
    default:
      return new BpfMap(spec, profile, pool);
  }
}
