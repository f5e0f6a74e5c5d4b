/**
 * Which helpers work on which map types, as Linux's `check_map_func_compatibility`: a map of a
 * special type (program array, perf event array, ring buffer, queue, stack, map of maps) goes
 * only to its own helpers, and those helpers only take maps of their types.
 *
 * @module
 */
import type { BpfMapType } from "./map_types.ts";

/** The helpers a special map type may be given to. */
const ONLY: Partial<Record<BpfMapType, readonly number[]>> = {
  prog_array: [12],
  perf_event_array: [22, 25, 55],
  ringbuf: [130, 131, 134],
  queue: [87, 88, 89],
  stack: [87, 88, 89],
  array_of_maps: [1, 3],
  hash_of_maps: [1, 3],
  bloom_filter: [87, 89],
  stack_trace: [27],
  devmap: [51, 1],
  devmap_hash: [51, 1],
  cpumap: [51],
  xskmap: [51, 1],
  // Lookups in socket maps return sockets, which mxy does not model: not allowed.
  sockmap: [52, 53, 60, 3, 82],
  sockhash: [72, 70, 71, 3, 82],
  cgroup_storage: [81],
  percpu_cgroup_storage: [81],
  sk_storage: [107, 108],
  inode_storage: [145, 146],
  task_storage: [156, 157],
  cgrp_storage: [210, 211],
};

/** The map types a helper takes. */
const TAKES: Readonly<Record<number, readonly BpfMapType[]>> = {
  12: ["prog_array"],
  25: ["perf_event_array"],
  22: ["perf_event_array"],
  55: ["perf_event_array"],
  130: ["ringbuf"],
  131: ["ringbuf"],
  134: ["ringbuf"],
  87: ["queue", "stack", "bloom_filter"],
  88: ["queue", "stack"],
  89: ["queue", "stack", "bloom_filter"],
  27: ["stack_trace"],
  51: ["devmap", "devmap_hash", "cpumap", "xskmap"],
  52: ["sockmap"],
  53: ["sockmap"],
  60: ["sockmap"],
  70: ["sockhash"],
  71: ["sockhash"],
  72: ["sockhash"],
  82: ["sockmap", "sockhash"],
  81: ["cgroup_storage", "percpu_cgroup_storage"],
  107: ["sk_storage"],
  108: ["sk_storage"],
  145: ["inode_storage"],
  146: ["inode_storage"],
  156: ["task_storage"],
  157: ["task_storage"],
  210: ["cgrp_storage"],
  211: ["cgrp_storage"],
};

/**
 * Why a helper may not take a map, or `null` when it may.
 *
 * @param id The helper id (Linux's).
 * @param name The helper's name.
 * @param type The map's type.
 * @returns The verifier's message, or `null`.
 */
export function mapHelperMismatch(id: number, name: string, type: BpfMapType): string | null {
  const only = ONLY[type];
  const takes = TAKES[id];
  if (
    (only !== undefined && !only.includes(id)) || (takes !== undefined && !takes.includes(type))
  ) {
    return `cannot pass map_type ${type} into func ${name}#${id}`;
  }
  return null;
}
