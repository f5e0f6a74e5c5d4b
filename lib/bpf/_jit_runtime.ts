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

/**
 * The runtime the generated code of one program receives as `rt`.
 *
 * @param m The prepared program.
 * @param chunkOf For each slot with a `case` label, its chunk.
 * @returns The runtime object.
 */
export function jitRuntime(m: Machine, chunkOf: Int32Array): Record<string, unknown> {
  return {
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
