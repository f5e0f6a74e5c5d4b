/**
 * What the JIT's generated code calls at run time: the 64-bit arithmetic it does not inline, the
 * operations the interpreter implements once for both (helpers, atomics, legacy packet loads),
 * fully checked loads and stores for addresses outside the region the code guessed, and the
 * errors it throws. {@linkcode jitRuntime} gathers them into the `rt` object the generated
 * function receives.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import { accessBytes, EBPF } from "./opcodes.ts";
import { atomicOp, callHelper, legacyLoad, type Machine, memoryFault } from "./_machine.ts";
import { arsh64, HI, lsh64, mul64, rsh64, sdiv64, smod64, toBig, udiv64, umod64 } from "./_u64.ts";

const { LDXW, LDXH, LDXB, LDXDW, LDXSW, LDXSH } = EBPF;

/** A load outside the hinted region: fully checked; returns the low half, high in `HI[0]`. */
export function slowLoad(
  m: Machine,
  pc: number,
  op: number,
  lo: number,
  hi: number,
  off: number,
): number {
  const size = accessBytes(op);
  const o = (lo >>> 0) + off;
  const g = hi;
  const lens = m.memory.lengths;
  if (g <= 0 || g >= lens.length || o < 0 || o + size > lens[g]) {
    throw memoryFault(pc, "read", size, lo, hi, off);
  }
  const v = m.memory.views[g];
  let r: number;
  switch (op) {
    case LDXW:
      HI[0] = 0;
      return v.getInt32(o, true);
    case LDXH:
      HI[0] = 0;
      return v.getUint16(o, true);
    case LDXB:
      HI[0] = 0;
      return v.getUint8(o);
    case LDXDW:
      HI[0] = v.getInt32(o + 4, true);
      return v.getInt32(o, true);
    case LDXSW:
      r = v.getInt32(o, true);
      break;
    case LDXSH:
      r = v.getInt16(o, true);
      break;
    default: // LDXSB
      r = v.getInt8(o);
  }
  HI[0] = r >> 31;
  return r;
}

/** A store outside the hinted region: fully checked, including read-only regions. */
export function slowStore(
  m: Machine,
  pc: number,
  op: number,
  lo: number,
  hi: number,
  off: number,
  vl: number,
  vh: number,
): void {
  const size = accessBytes(op);
  const o = (lo >>> 0) + off;
  const g = hi;
  const mem = m.memory;
  if (
    g <= 0 || g >= mem.lengths.length || o < 0 || o + size > mem.lengths[g] || mem.writable[g] === 0
  ) {
    throw memoryFault(pc, "write", size, lo, hi, off);
  }
  const v = mem.views[g];
  if (size === 4) v.setInt32(o, vl, true);
  else if (size === 2) v.setInt16(o, vl, true);
  else if (size === 1) v.setInt8(o, vl);
  else {
    v.setInt32(o, vl, true);
    v.setInt32(o + 4, vh, true);
  }
}

/**
 * `call %rN`: calls the helper whose id is the register's value (halves `lo`, `hi`).
 *
 * @param m The machine (its `lo`/`hi` must hold r1–r5).
 * @param lo The register's low half.
 * @param hi The register's high half.
 * @param pc The slot (for errors).
 * @returns 1 when the helper asked the program to stop, else 0.
 */
export function callx(m: Machine, lo: number, hi: number, pc: number): number {
  if (hi !== 0 || lo < 0) {
    throw new BpfError("helper", `Unknown helper 0x${toBig(lo, hi).toString(16)}`, { pc });
  }
  return callHelper(m, lo, pc);
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
    bswap32: (x: number) =>
      ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24),
    memoryFault,
    atomicOp,
    legacyLoad,
    callHelper,
    callx,
    slowLoad,
    slowStore,
    chunkOf,
    budget: (pc: number) =>
      new BpfError("budget", `Instruction budget of ${m.budget} exhausted`, { pc }),
    callDepth: (pc: number) =>
      new BpfError("call-depth", `Call depth exceeds ${m.maxCallDepth}`, { pc }),
    stackOut: (pc: number) => new BpfError("call-depth", `Stack exhausted by a local call`, { pc }),
    fellOff: (pc: number) =>
      new BpfError("jump", "Execution fell off the end of the program", { pc }),
  };
}
