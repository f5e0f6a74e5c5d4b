/**
 * The map helpers a VM registers: `bpf_map_lookup_elem`, `bpf_map_update_elem` and
 * `bpf_map_delete_elem` with Linux's ids, on maps referred to by handles.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import {
  HELPER_ID,
  type HelperFunction,
  type HelperPrototype,
  type HelperRegistry,
} from "./helpers.ts";
import type { BpfMap } from "./maps.ts";
import type { BpfMemory } from "./memory.ts";

/** Linux's prototypes of the map helpers (`bpf_map_lookup_elem_proto` …). */
const LOOKUP: HelperPrototype = { args: ["map", "map-key"], returns: "map-value-or-null" };
const UPDATE: HelperPrototype = { args: ["map", "map-key", "map-value", "scalar"] };
const DELETE: HelperPrototype = { args: ["map", "map-key"] };

/** Where map handles live in the 64-bit value space: `MAP_HANDLE_BASE + fd`. */
export const MAP_HANDLE_BASE = 0x7fff_0000_0000_0000n;
/** The high half of every map handle (`MAP_HANDLE_BASE >> 32`). */
export const MAP_HANDLE_HI = 0x7fff0000;

/** The maps behind each registered `map_lookup_elem`, so that engines can inline it. */
const LOOKUPS = new WeakMap<HelperFunction, readonly BpfMap[]>();

/**
 * The maps (by fd) of a registry whose helper 1 is the `map_lookup_elem` of
 * {@linkcode registerMapHelpers}, or `undefined` when helper 1 is something else. An engine may
 * then do array lookups itself, with exactly the helper's results.
 *
 * @param helpers The registry.
 * @returns The maps, or `undefined`.
 */
export function lookupMaps(helpers: HelperRegistry): readonly BpfMap[] | undefined {
  const fn = helpers.get(HELPER_ID.MAP_LOOKUP_ELEM);
  return fn === undefined ? undefined : LOOKUPS.get(fn);
}

/** Array maps with at most this many elements get their values' regions numbered in a row
 * when a program is prepared, so that engines can compute a lookup's result. */
export const INLINE_MAX_ENTRIES = 65536;

/**
 * Gives every value of an array map its memory region, in a row, unless it has more than
 * {@linkcode INLINE_MAX_ENTRIES} elements (the regions of a lookup's results are then
 * `region of element 0 + index` in every engine). Called when an `lddw` that refers to the map
 * is resolved, before the program runs.
 *
 * @param map The map.
 * @param memory The address space of the program being prepared.
 * @returns Nothing.
 */
export function numberValueRegions(map: BpfMap, memory: BpfMemory): void {
  if (map.type !== "array" || map.maxEntries > INLINE_MAX_ENTRIES) return;
  for (let i = 0; i < map.maxEntries; i++) memory.addressOf(map.valueView(i));
}

/**
 * Registers `bpf_map_lookup_elem` (1), `bpf_map_update_elem` (2) and `bpf_map_delete_elem` (3)
 * with Linux's ids in a helper registry. `R1` is a map handle (`MAP_HANDLE_BASE + fd`, what
 * `lddw rX, map` loads, fd = index in `maps`), `R2` a pointer to the key, `R3` to the value and
 * `R4` the update flags. Lookup returns a pointer to the live value or 0; update and delete return
 * 0 or a negative errno, as in Linux.
 *
 * @param registry The registry to add to.
 * @param maps The maps by fd (the array may grow later; it is read at call time).
 * @returns The registry.
 */
export function registerMapHelpers(
  registry: HelperRegistry,
  maps: readonly BpfMap[],
): HelperRegistry {
  const mapOf = (handle: bigint): BpfMap => {
    const fd = handle - MAP_HANDLE_BASE;
    const m = fd >= 0n && fd < BigInt(maps.length) ? maps[Number(fd)] : undefined;
    if (m === undefined) {
      throw new BpfError("helper", `Map helper called with 0x${handle.toString(16)}, not a map`);
    }
    return m;
  };
  const key = (m: BpfMap, memory: BpfMemory, p: bigint) => memory.slice(p, m.keySize);
  /** Maps of maps: the handle of the inner map at a slot, or 0. */
  const innerHandle = (m: BpfMap, s: number): bigint => {
    const inner = m.objectAt(s) as BpfMap | undefined;
    if (inner === undefined) return 0n;
    const fd = maps.indexOf(inner);
    if (fd < 0) {
      throw new BpfError(
        "helper",
        `Inner map "${inner.name}" of "${m.name}" is not in this VM (add it with vm.addMap)`,
      );
    }
    return MAP_HANDLE_BASE + BigInt(fd);
  };
  const lookup: HelperFunction = (r1, r2, _r3, _r4, _r5, ctx) => {
    const m = mapOf(r1);
    const s = m.findSlot(key(m, ctx.memory, r2), 0);
    if (m.type === "array_of_maps" || m.type === "hash_of_maps") return innerHandle(m, s);
    return s < 0 ? 0n : ctx.memory.addressOf(m.valueView(s));
  };
  LOOKUPS.set(lookup, maps);
  const update: HelperFunction = (r1, r2, r3, r4, _r5, ctx) => {
    const m = mapOf(r1);
    const v = ctx.memory.slice(r3, m.valueSize);
    const r = m.updateErrno(key(m, ctx.memory, r2), 0, v, 0, Number(r4 & 0xffffffffn));
    return BigInt.asUintN(64, BigInt(r));
  };
  const del: HelperFunction = (r1, r2, _r3, _r4, _r5, ctx) => {
    const m = mapOf(r1);
    return BigInt.asUintN(64, BigInt(m.deleteErrno(key(m, ctx.memory, r2), 0)));
  };
  // The same helpers on the register halves, without a BigInt: engines call these (`raw`).
  const rawMap = (lo: number, hi: number): BpfMap => {
    const m = hi === MAP_HANDLE_HI ? maps[lo >>> 0] : undefined;
    if (m === undefined) mapOf((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)); // throws
    return m!;
  };
  const at = (memory: BpfMemory, lo: number, hi: number, length: number): number => {
    const g = hi >>> 0, o = lo >>> 0;
    if (g === 0 || g >= memory.views.length || o + length > memory.lengths[g]) {
      const a = (BigInt(g) << 32n) | BigInt(o);
      throw new BpfError(
        "memory",
        `Access of ${length} bytes at 0x${a.toString(16)} is outside mapped memory`,
      );
    }
    return g;
  };
  const raw = (fn: HelperFunction, body: (L: Int32Array, H: Int32Array, mem: BpfMemory) => void) =>
    Object.assign(fn, {
      raw: (m: { lo: Int32Array; hi: Int32Array; memory: BpfMemory }) => body(m.lo, m.hi, m.memory),
    });
  raw(lookup, (L, H, mem) => {
    const m = rawMap(L[1], H[1]);
    const s = m.findSlot(mem.bytes[at(mem, L[2], H[2], m.keySize)], L[2] >>> 0);
    if (m.type === "array_of_maps" || m.type === "hash_of_maps") {
      const h = innerHandle(m, s);
      L[0] = Number(h & 0xffffffffn) | 0;
      H[0] = Number(h >> 32n) | 0;
      return;
    }
    L[0] = 0;
    if (s < 0) H[0] = 0;
    else {
      const v = m.valueView(s);
      let region = mem.regionOf(v);
      if (region < 0) region = Number(mem.addressOf(v) >> 32n);
      H[0] = region;
    }
  });
  raw(update, (L, H, mem) => {
    const m = rawMap(L[1], H[1]);
    const vg = at(mem, L[3], H[3], m.valueSize);
    const kg = at(mem, L[2], H[2], m.keySize);
    const r = m.updateErrno(mem.bytes[kg], L[2] >>> 0, mem.bytes[vg], L[3] >>> 0, L[4] >>> 0);
    L[0] = r;
    H[0] = r >> 31;
  });
  raw(del, (L, H, mem) => {
    const m = rawMap(L[1], H[1]);
    const r = m.deleteErrno(mem.bytes[at(mem, L[2], H[2], m.keySize)], L[2] >>> 0);
    L[0] = r;
    H[0] = r >> 31;
  });
  registry.register(HELPER_ID.MAP_LOOKUP_ELEM, "map_lookup_elem", lookup, LOOKUP);
  registry.register(HELPER_ID.MAP_UPDATE_ELEM, "map_update_elem", update, UPDATE);
  registry.register(HELPER_ID.MAP_DELETE_ELEM, "map_delete_elem", del, DELETE);
  return registry;
}
