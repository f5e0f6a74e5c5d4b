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
  87: ["queue", "stack"],
  88: ["queue", "stack"],
  89: ["queue", "stack"],
  51: [], // bpf_redirect_map: devmap, cpumap, xskmap (not implemented)
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
