/**
 * What the JIT's generated code calls at run time: the 64-bit arithmetic it does not inline, the
 * operations the interpreter implements once for both (helpers, atomics, legacy packet loads),
 * fully checked loads and stores for addresses outside the region the code guessed, and the
 * errors it throws. {@linkcode jitRuntime} gathers them into the `rt` object the generated
 * function receives.
 *
 * @module
 */
import { atomicOp, callHelper, legacyLoad, type Machine, memoryFault } from "./_machine.ts";
import {
  arsh64,
  bswap32,
  HI,
  lsh64,
  mul64,
  rsh64,
  sdiv64,
  smod64,
  udiv64,
  umod64,
} from "./_u64.ts";
import { KERNEL } from "./_kernel.ts";
import { lookupMaps, MAP_HANDLE_HI } from "./_map_helpers.ts";
import { EBPF } from "./opcodes.ts";

const { LDDW, LDDW_SRC_MAP_BY_FD, LDDW_SRC_MAP_BY_IDX } = EBPF;

/** A load outside the hinted region: fully checked; returns the low half, high in `HI[0]`. */
export const slowLoad: (
  m: Machine,
  pc: number,
  op: number,
  lo: number,
  hi: number,
  off: number,
) => number = KERNEL.slowLoad;

/** A store outside the hinted region: fully checked, including read-only regions. */
export const slowStore: (
  m: Machine,
  pc: number,
  op: number,
  lo: number,
  hi: number,
  off: number,
  vl: number,
  vh: number,
) => void = KERNEL.slowStore;

/** `call %rN` with the register's halves: 1 when the helper asked the program to stop. */
export const callx: (m: Machine, lo: number, hi: number, pc: number) => number = KERNEL.callx;

/** An array map whose lookups the generated code does itself. */
export interface InlineMap {
  /** The map's fd (what its handle's low half is). */
  fd: number;
  /** The region of element 0; element i's is `base + i`. */
  base: number;
  /** Elements whose regions are numbered in a row. */
  n: number;
  /** Value size. */
  size: number;
  /** The values (element i at `i * size`). */
  view: DataView;
}

/**
 * The array maps whose lookups the generated code may inline, by the slot of the `lddw` that
 * loads their handle: helper 1 must be the VM's `map_lookup_elem` and the map's values must
 * have regions numbered in a row (the VM's `lddw` resolver numbers them).
 */
export function inlineMaps(m: Machine): Record<number, InlineMap> {
  const out: Record<number, InlineMap> = {};
  const maps = lookupMaps(m.helpers);
  if (maps === undefined) return out;
  for (let p = 0; p < m.slots; p++) {
    if (m.opc[p] !== LDDW) continue;
    const src = m.src[p];
    if (src === LDDW_SRC_MAP_BY_FD || src === LDDW_SRC_MAP_BY_IDX) {
      const fd = m.imm[p];
      const map = m.imm2[p] === MAP_HANDLE_HI ? maps[fd] : undefined;
      if (map !== undefined && map.type === "array") {
        const n = map.maxEntries, size = map.valueSize;
        const chunk = map.valueChunk(0);
        const base = m.memory.regionOf(map.valueView(0));
        let ok = base > 0 && chunk.length >= n * size;
        for (let i = 1; ok && i < n; i++) ok = m.memory.regionOf(map.valueView(i)) === base + i;
        if (ok) {
          out[p] = {
            fd,
            base,
            n,
            size,
            view: new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength),
          };
        }
      }
    }
    p++;
  }
  return out;
}

/**
 * The runtime the generated code of one program receives as `rt`.
 *
 * @param m The prepared program.
 * @param chunkOf For each slot with a `case` label, its chunk.
 * @returns The runtime object.
 */
export function jitRuntime(m: Machine, chunkOf: Int32Array): Record<string, unknown> {
  return {
    IM: inlineMaps(m),
    m,
    HI,
    mul64,
    udiv64,
    sdiv64,
    umod64,
    smod64,
    lsh64,
    rsh64,
    arsh64,
    bswap32,
    memoryFault,
    atomicOp,
    legacyLoad,
    callHelper,
    callx,
    slowLoad,
    slowStore,
    chunkOf,
    budget: (pc: number) => KERNEL.budgetFault(pc, m.budget),
    callDepth: (pc: number) => KERNEL.callDepthFault(pc, m.maxCallDepth),
    stackOut: KERNEL.stackFault,
    fellOff: KERNEL.fellOffFault,
  };
}
