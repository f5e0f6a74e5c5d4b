/**
 * The map helpers a VM registers: `bpf_map_lookup_elem`, `bpf_map_update_elem` and
 * `bpf_map_delete_elem` with Linux's ids, on maps referred to by handles.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import { HELPER_ID, type HelperPrototype, type HelperRegistry } from "./helpers.ts";
import type { BpfMap } from "./maps.ts";
import type { BpfMemory } from "./memory.ts";

/** Linux's prototypes of the map helpers (`bpf_map_lookup_elem_proto` …). */
const LOOKUP: HelperPrototype = { args: ["map", "map-key"], returns: "map-value-or-null" };
const UPDATE: HelperPrototype = { args: ["map", "map-key", "map-value", "scalar"] };
const DELETE: HelperPrototype = { args: ["map", "map-key"] };

/** Where map handles live in the 64-bit value space: `MAP_HANDLE_BASE + fd`. */
export const MAP_HANDLE_BASE = 0x7fff_0000_0000_0000n;

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
  registry.register(HELPER_ID.MAP_LOOKUP_ELEM, "map_lookup_elem", (r1, r2, _r3, _r4, _r5, ctx) => {
    const m = mapOf(r1);
    const s = m.findSlot(key(m, ctx.memory, r2), 0);
    return s < 0 ? 0n : ctx.memory.addressOf(m.valueView(s));
  }, LOOKUP);
  registry.register(HELPER_ID.MAP_UPDATE_ELEM, "map_update_elem", (r1, r2, r3, r4, _r5, ctx) => {
    const m = mapOf(r1);
    const v = ctx.memory.slice(r3, m.valueSize);
    const r = m.updateErrno(key(m, ctx.memory, r2), 0, v, 0, Number(r4 & 0xffffffffn));
    return BigInt.asUintN(64, BigInt(r));
  }, UPDATE);
  registry.register(HELPER_ID.MAP_DELETE_ELEM, "map_delete_elem", (r1, r2, _r3, _r4, _r5, ctx) => {
    const m = mapOf(r1);
    return BigInt.asUintN(64, BigInt(m.deleteErrno(key(m, ctx.memory, r2), 0)));
  }, DELETE);
  return registry;
}
