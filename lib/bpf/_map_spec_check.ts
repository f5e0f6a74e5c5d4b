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
  if (!size(spec.keySize, keyMin) || !size(spec.valueSize, valueMin) || !size(spec.maxEntries, 1)) {
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
