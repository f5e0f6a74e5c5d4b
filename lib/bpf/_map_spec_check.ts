/**
 * What a map spec must be for each map type (Linux's rules on key and value sizes, entries and
 * flags), and the small facts about types the map code asks.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import type { BpfMap } from "./maps.ts";
import type { BpfMapSpec } from "./map_spec.ts";
import { BPF_F, BPF_MAP_TYPE, type BpfMapType, storageOf } from "./map_types.ts";

/**
 * Checks a spec; throws a `BpfError` (`"map-key"`) naming what is wrong.
 *
 * @param spec The spec.
 */
export function checkSpec(spec: BpfMapSpec): void {
  const name = spec.name ? `Map "${spec.name}"` : "Map";
  const bad = (why: string): never => {
    throw new BpfError("map-key", `${name}: ${why}`);
  };
  if (typeof spec.type !== "string" || !(spec.type in BPF_MAP_TYPE)) {
    bad(`unknown type "${String(spec.type)}"`);
  }
  const t = spec.type;
  const storage = storageOf(t);
  const size = (v: number, min: number) => Number.isInteger(v) && v >= min && v <= 0x7fffffff;
  const keyMin = storage === "own" ? 0 : 1, valueMin = t === "ringbuf" ? 0 : 1;
  // Local storage maps have no capacity (Linux requires max_entries 0).
  const local = isLocalStorage(t);
  if (local && spec.maxEntries !== 0) {
    bad(`${t} maps have no capacity (max entries 0), got ${spec.maxEntries}`);
  }
  if (
    !size(spec.keySize, keyMin) || !size(spec.valueSize, valueMin) ||
    !size(spec.maxEntries, local ? 0 : 1)
  ) {
    bad(
      `needs positive key size, value size and max entries, got ${spec.keySize}, ${spec.valueSize}, ${spec.maxEntries}`,
    );
  }
  const flags = spec.flags ?? 0;
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff) bad(`flags ${flags} invalid`);
  if (storage === "array" && spec.keySize !== 4) {
    bad(`${t} maps take 4-byte keys, got ${spec.keySize}`);
  }
  if (
    (t === "prog_array" || t === "perf_event_array" || t === "array_of_maps" ||
      t === "hash_of_maps") && spec.valueSize !== 4
  ) bad(`${t} maps take 4-byte values, got ${spec.valueSize}`);
  if ((t === "queue" || t === "stack") && spec.keySize !== 0) {
    bad(`${t} maps have no key (key size 0), got ${spec.keySize}`);
  }
  if (t === "ringbuf") {
    const n = spec.maxEntries;
    if (spec.keySize !== 0 || spec.valueSize !== 0) bad("ringbuf maps have key and value size 0");
    if ((n & (n - 1)) !== 0 || n % 4096 !== 0) {
      bad(`a ringbuf's size (max entries) must be a power of 2 and a multiple of 4096, got ${n}`);
    }
  }
  if (t === "lpm_trie") {
    if (spec.keySize < 5 || spec.keySize > 4 + 256) {
      bad(`lpm_trie keys are a 4-byte prefix length and 1-256 bytes of data, got ${spec.keySize}`);
    }
    if ((flags & BPF_F.NO_PREALLOC) === 0) bad("lpm_trie maps need the BPF_F_NO_PREALLOC flag");
  }
  checkNewerTypes(spec, flags, bad);
  if (spec.spinLock !== undefined && spec.spinLock !== -1) {
    const at = spec.spinLock;
    if (!SPIN_LOCK_TYPES.has(t)) bad(`${t} maps cannot hold a bpf_spin_lock`);
    if (!Number.isInteger(at) || at < 0 || at % 4 !== 0 || at + 4 > spec.valueSize) {
      bad(`bpf_spin_lock at ${at} is not a 4-aligned offset in the ${spec.valueSize}-byte value`);
    }
  }
  if (spec.mapExtra !== undefined && spec.mapExtra !== 0 && t !== "bloom_filter") {
    bad(`only bloom filters take map_extra, got ${spec.mapExtra}`);
  }
  if (spec.inner !== undefined && t !== "array_of_maps" && t !== "hash_of_maps") {
    bad(`only maps of maps take an inner map`);
  }
  if (storage !== "own" && spec.maxEntries * spec.valueSize > 1 << 30) {
    bad(`would need ${spec.maxEntries * spec.valueSize} bytes of values; the limit is 1 GiB`);
  }
}

/** Ids of the programs and maps held by maps of programs and maps (as Linux's ids, from 1). */
const OBJECT_IDS = new WeakMap<object, number>();
let nextObjectId = 1;
export function objectId(o: object): number {
  let id = OBJECT_IDS.get(o);
  if (id === undefined) OBJECT_IDS.set(o, id = nextObjectId++);
  return id;
}

export function isLru(t: BpfMapType): boolean {
  return t === "lru_hash" || t === "lru_percpu_hash";
}

export function holdsObjects(t: BpfMapType): boolean {
  return t === "prog_array" || t === "array_of_maps" || t === "hash_of_maps";
}

/**
 * Checks that an inner map fits a map of maps' template (type, key and value sizes, and the
 * entries unless the template has `BPF_F_INNER_MAP`); throws a `BpfError` (`"map-key"`).
 *
 * @param outer The map of maps.
 * @param map The inner map.
 */
export function checkInnerMap(outer: BpfMap, map: BpfMap): void {
  const t = outer.inner;
  if (
    t !== undefined &&
    (map.type !== t.type || map.keySize !== t.keySize || map.valueSize !== t.valueSize ||
      ((t.flags & BPF_F.INNER_MAP) === 0 && map.maxEntries !== t.maxEntries))
  ) {
    throw new BpfError(
      "map-key",
      `Map "${map.name}" (${map.type}, ${map.keySize}/${map.valueSize} bytes, ${map.maxEntries} entries) does not match the inner map of "${outer.name}" (${t.type}, ${t.keySize}/${t.valueSize} bytes, ${t.maxEntries} entries)`,
    );
  }
}

/** The map types whose values may hold a `bpf_spin_lock` (Linux's `map_check_btf`). */
const SPIN_LOCK_TYPES: ReadonlySet<BpfMapType> = new Set<BpfMapType>([
  "hash",
  "array",
  "cgroup_storage",
  "sk_storage",
  "inode_storage",
  "task_storage",
  "cgrp_storage",
]);

/** The largest stack `bpf_get_stackid` records (`sysctl_perf_event_max_stack`'s default). */
const MAX_STACK = 127;
/** `sizeof(struct bpf_stack_build_id)`. */
const BUILD_ID_BYTES = 32;

/** Linux's rules for stack traces, redirect, socket, storage and bloom filter maps. */
function checkNewerTypes(spec: BpfMapSpec, flags: number, bad: (why: string) => never): void {
  const t = spec.type, k = spec.keySize, v = spec.valueSize;
  switch (t) {
    case "stack_trace": {
      if (k !== 4) bad(`stack_trace maps take 4-byte keys (stack ids), got ${k}`);
      const buildId = (flags & BPF_F.STACK_BUILD_ID) !== 0;
      const entry = buildId ? BUILD_ID_BYTES : 8;
      if (v % entry !== 0 || v / entry > MAX_STACK) {
        bad(
          `stack_trace values are 1-${MAX_STACK} ${
            buildId ? "32-byte build ids" : "8-byte addresses"
          }, got ${v} bytes`,
        );
      }
      break;
    }
    case "devmap":
    case "devmap_hash":
    case "cpumap":
    case "sockmap":
      if (k !== 4) bad(`${t} maps take 4-byte keys, got ${k}`);
      if (v !== 4 && v !== 8) bad(`${t} values are 4 or 8 bytes, got ${v}`);
      break;
    case "sockhash":
      if (v !== 4 && v !== 8) bad(`${t} values are 4 or 8 bytes, got ${v}`);
      break;
    case "xskmap":
      if (k !== 4 || v !== 4) bad(`xskmap maps take 4-byte keys and values, got ${k}/${v}`);
      break;
    case "cgroup_storage":
    case "percpu_cgroup_storage":
      if (k !== 8 && k !== 16) {
        bad(`${t} keys are a cgroup id (8 bytes) or struct bpf_cgroup_storage_key (16), got ${k}`);
      }
      break;
    case "sk_storage":
    case "inode_storage":
    case "task_storage":
    case "cgrp_storage":
      if (k !== 4) bad(`${t} maps take 4-byte keys (an fd), got ${k}`);
      if ((flags & BPF_F.NO_PREALLOC) === 0) bad(`${t} maps need the BPF_F_NO_PREALLOC flag`);
      break;
    case "bloom_filter": {
      if (k !== 0) bad(`bloom_filter maps have no key (key size 0), got ${k}`);
      const extra = spec.mapExtra ?? 0;
      if (!Number.isInteger(extra) || extra < 0 || extra > 15) {
        bad(`a bloom filter's map_extra is its number of hash functions, 0-15, got ${extra}`);
      }
      break;
    }
  }
}

/** Maps of values attached to cgroups, sockets, inodes and tasks (no capacity of their own). */
export function isLocalStorage(t: BpfMapType): boolean {
  return t === "cgroup_storage" || t === "percpu_cgroup_storage" || t === "sk_storage" ||
    t === "inode_storage" || t === "task_storage" || t === "cgrp_storage";
}

/** Maps indexed by number whose elements exist only once stored: keys below `maxEntries`. */
export function isIndexed(t: BpfMapType): boolean {
  return t === "stack_trace" || t === "devmap" || t === "cpumap" || t === "xskmap" ||
    t === "sockmap";
}
