/**
 * The run-time kernel every eBPF engine shares: 64-bit arithmetic on pairs of 32-bit halves (no
 * BigInt on the fast paths), fully checked loads and stores, helper calls, atomics and legacy
 * packet loads. The interpreter, the JIT and the WebAssembly engine call these functions, so
 * they compute exactly the same values and raise exactly the same errors.
 *
 * {@linkcode bpfKernel} is self-contained on purpose: it refers to nothing outside its own body
 * (opcodes and region numbers are literals, checked against the shared tables by
 * tests/bpf/kernel_test.ts), so the JavaScript AOT compiler can embed its source text
 * (`bpfKernel.toString()`) in an artifact that runs without this library. The library's instance
 * is {@linkcode KERNEL}, built with {@linkcode BpfError}.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";

/** The error class the kernel throws: `new E(code, message, { pc, cause })`. */
export type KernelErrorClass = new (
  code: never,
  message: string,
  options?: { pc?: number; cause?: unknown },
) => Error & { readonly code: string; readonly pc: number };

/** What the kernel reads and writes of a machine (a prepared program with its run state). */
export interface KernelMachine {
  /** Register low halves r0–r10. */
  readonly lo: Int32Array;
  /** Register high halves r0–r10. */
  readonly hi: Int32Array;
  /** The address space: a view, a length and a writable flag per region. */
  readonly memory: {
    readonly views: DataView[];
    readonly lengths: number[];
    readonly writable: number[];
    /** Where legacy packet loads read (typed contexts): region, offset, length; else region 2. */
    readonly legacyPacket?: Int32Array | null;
  };
  /** The helpers by id. */
  readonly helpers: {
    get(
      id: number,
    ): ((a: bigint, b: bigint, c: bigint, d: bigint, e: bigint, ctx: never) => bigint) | undefined;
  };
  /** What a helper receives as its context. */
  readonly ctx: unknown;
  /** Set by a helper's `stop()`. */
  stopRequested: boolean;
  /** Opcode, registers, offset and immediate per slot. */
  readonly opc: Uint8Array;
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly off: Int16Array;
  readonly imm: Int32Array;
}

/** The kernel's functions. Functions returning a 64-bit value return the low half and leave the
 * high half in `HI[0]`. */
export interface BpfKernel {
  /** Where functions leave the high 32 bits of their result. */
  HI: Int32Array;
  /** 64-bit product modulo 2^64. */
  mul64(alo: number, ahi: number, blo: number, bhi: number): number;
  /** Unsigned 64-bit division; by zero gives 0. */
  udiv64(alo: number, ahi: number, blo: number, bhi: number): number;
  /** Unsigned 64-bit remainder; by zero leaves the dividend. */
  umod64(alo: number, ahi: number, blo: number, bhi: number): number;
  /** Signed 64-bit division toward zero; by zero 0; INT64_MIN / -1 wraps. */
  sdiv64(alo: number, ahi: number, blo: number, bhi: number): number;
  /** Signed 64-bit remainder (sign of the dividend); by zero leaves the dividend. */
  smod64(alo: number, ahi: number, blo: number, bhi: number): number;
  /** Left shift by `n & 63`. */
  lsh64(lo: number, hi: number, n: number): number;
  /** Logical right shift by `n & 63`. */
  rsh64(lo: number, hi: number, n: number): number;
  /** Arithmetic right shift by `n & 63`. */
  arsh64(lo: number, hi: number, n: number): number;
  /** Reverses the bytes of a 32-bit value. */
  bswap32(x: number): number;
  /** The unsigned value of two halves. */
  toBig(lo: number, hi: number): bigint;
  /** Splits a bigint (modulo 2^64): returns the low half, the high half in `HI[0]`. */
  fromBig(v: bigint): number;
  /** The error for an access outside its region. */
  memoryFault(pc: number, kind: string, size: number, lo: number, hi: number, off: number): Error;
  /** Calls helper `id` with r1–r5; r0 gets the result. Returns 1 when it asked to stop. */
  callHelper(m: KernelMachine, id: number, pc: number): number;
  /** `call %rN` with the register's halves. Returns 1 when the helper asked to stop. */
  callx(m: KernelMachine, lo: number, hi: number, pc: number): number;
  /** Executes the atomic instruction at `pc` on the register file. */
  atomicOp(m: KernelMachine, pc: number): void;
  /** The error for an exhausted instruction budget (`budget`). */
  budgetFault(pc: number, budget: number): Error;
  /** The error for local calls nested deeper than `max` (`call-depth`). */
  callDepthFault(pc: number, max: number): Error;
  /** The error for a local call that finds no room on the stack (`call-depth`). */
  stackFault(pc: number): Error;
  /** The error for running past the last instruction (`jump`). */
  fellOffFault(pc: number): Error;
  /** A legacy packet load; returns 1 when out of bounds (the program ends with r0 = 0). */
  legacyLoad(m: KernelMachine, pc: number): number;
  /** A fully checked load of `op`'s size at `lo`,`hi` + `off`: the low half, high in `HI[0]`. */
  slowLoad(m: KernelMachine, pc: number, op: number, lo: number, hi: number, off: number): number;
  /** A fully checked store (read-only regions included). */
  slowStore(
    m: KernelMachine,
    pc: number,
    op: number,
    lo: number,
    hi: number,
    off: number,
    vl: number,
    vh: number,
  ): void;
}

/**
 * Builds the kernel around an error class. Self-contained: its source text runs anywhere.
 *
 * @param E The error class (`BpfError` in the library).
 * @returns The functions.
 */
export function bpfKernel(E: KernelErrorClass): BpfKernel {
  // Opcode fields and opcodes (EBPF's values), region numbers (memory.ts).
  const SIZE_MASK = 0x18, SIZE_W = 0x00, SIZE_H = 0x08, SIZE_B = 0x10, SIZE_DW = 0x18;
  const MODE_MASK = 0xe0, MODE_IND = 0x40;
  const ATOMIC_ADD = 0x00, ATOMIC_OR = 0x40, ATOMIC_AND = 0x50, ATOMIC_XOR = 0xa0;
  const ATOMIC_FETCH = 0x01, ATOMIC_XCHG = 0xe1, ATOMIC_CMPXCHG = 0xf1;
  const LDXW = 0x61, LDXH = 0x69, LDXB = 0x71, LDXDW = 0x79, LDXSW = 0x81, LDXSH = 0x89;
  const MEM_REGION = 2;
  const HI = new Int32Array(1);
  // deno-lint-ignore no-explicit-any
  const fail = (code: string, message: string, options?: { pc?: number; cause?: unknown }): any =>
    new E(code as never, message, options);

  /** High 32 bits of the unsigned product of two 32-bit values, as int32. */
  function mulHiU32(a: number, b: number): number {
    const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
    const m1 = a1 * b0, m2 = a0 * b1;
    const mid = ((a0 * b0) >>> 16) + (m1 & 0xffff) + (m2 & 0xffff);
    return (a1 * b1 + (m1 >>> 16) + (m2 >>> 16) + (mid >>> 16)) | 0;
  }
  function mul64(alo: number, ahi: number, blo: number, bhi: number): number {
    HI[0] = (mulHiU32(alo, blo) + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
    return Math.imul(alo, blo);
  }
  function toBig(lo: number, hi: number): bigint {
    return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  }
  function split(v: bigint): number {
    HI[0] = Number(BigInt.asIntN(32, v >> 32n));
    return Number(BigInt.asIntN(32, v));
  }
  function fromBig(v: bigint): number {
    return split(BigInt.asUintN(64, v));
  }
  function udiv64(alo: number, ahi: number, blo: number, bhi: number): number {
    if (blo === 0 && bhi === 0) {
      HI[0] = 0;
      return 0;
    }
    if (ahi === 0 && bhi === 0) {
      HI[0] = 0;
      return Math.floor((alo >>> 0) / (blo >>> 0)) | 0;
    }
    return split(toBig(alo, ahi) / toBig(blo, bhi));
  }
  function umod64(alo: number, ahi: number, blo: number, bhi: number): number {
    if (blo === 0 && bhi === 0) {
      HI[0] = ahi;
      return alo;
    }
    if (ahi === 0 && bhi === 0) {
      HI[0] = 0;
      return ((alo >>> 0) % (blo >>> 0)) | 0;
    }
    return split(toBig(alo, ahi) % toBig(blo, bhi));
  }
  function sdiv64(alo: number, ahi: number, blo: number, bhi: number): number {
    if (blo === 0 && bhi === 0) {
      HI[0] = 0;
      return 0;
    }
    if (ahi === alo >> 31 && bhi === blo >> 31) {
      const q = Math.trunc(alo / blo);
      HI[0] = q < 0 ? -1 : 0;
      return q | 0;
    }
    return split(BigInt.asIntN(64, toBig(alo, ahi)) / BigInt.asIntN(64, toBig(blo, bhi)));
  }
  function smod64(alo: number, ahi: number, blo: number, bhi: number): number {
    if (blo === 0 && bhi === 0) {
      HI[0] = ahi;
      return alo;
    }
    if (ahi === alo >> 31 && bhi === blo >> 31) {
      const r = (alo % blo) | 0;
      HI[0] = r >> 31;
      return r;
    }
    return split(BigInt.asIntN(64, toBig(alo, ahi)) % BigInt.asIntN(64, toBig(blo, bhi)));
  }
  function lsh64(lo: number, hi: number, n: number): number {
    n &= 63;
    if (n === 0) {
      HI[0] = hi;
      return lo;
    }
    if (n < 32) {
      HI[0] = (hi << n) | (lo >>> (32 - n));
      return lo << n;
    }
    HI[0] = lo << (n - 32);
    return 0;
  }
  function rsh64(lo: number, hi: number, n: number): number {
    n &= 63;
    if (n === 0) {
      HI[0] = hi;
      return lo;
    }
    if (n < 32) {
      HI[0] = hi >>> n;
      return (lo >>> n) | (hi << (32 - n));
    }
    HI[0] = 0;
    return hi >>> (n - 32);
  }
  function arsh64(lo: number, hi: number, n: number): number {
    n &= 63;
    if (n === 0) {
      HI[0] = hi;
      return lo;
    }
    if (n < 32) {
      HI[0] = hi >> n;
      return (lo >>> n) | (hi << (32 - n));
    }
    HI[0] = hi >> 31;
    return hi >> (n - 32);
  }
  function bswap32(x: number): number {
    return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
  }
  function accessBytes(op: number): number {
    const s = op & SIZE_MASK;
    return s === SIZE_W ? 4 : s === SIZE_H ? 2 : s === SIZE_B ? 1 : 8;
  }
  function memoryFault(
    pc: number,
    kind: string,
    size: number,
    lo: number,
    hi: number,
    off: number,
  ): Error {
    const addr = BigInt.asUintN(64, toBig(lo, hi) + BigInt(off));
    return fail("memory", `Out-of-bounds ${kind} of ${size} bytes at 0x${addr.toString(16)}`, {
      pc,
    });
  }
  function budgetFault(pc: number, budget: number): Error {
    return fail("budget", `Instruction budget of ${budget} exhausted`, { pc });
  }
  function callDepthFault(pc: number, max: number): Error {
    return fail("call-depth", `Call depth exceeds ${max}`, { pc });
  }
  function stackFault(pc: number): Error {
    return fail("call-depth", "Stack exhausted by a local call", { pc });
  }
  function fellOffFault(pc: number): Error {
    return fail("jump", "Execution fell off the end of the program", { pc });
  }
  function callHelper(m: KernelMachine, id: number, pc: number): number {
    const fn = m.helpers.get(id);
    if (fn === undefined) throw fail("helper", `Unknown helper ${id}`, { pc });
    const L = m.lo, H = m.hi;
    // A helper may offer a `raw` form working on the register halves (the map helpers do):
    // the same result without a BigInt.
    const raw = (fn as { raw?: (m: KernelMachine) => void }).raw;
    let r: bigint;
    try {
      if (raw !== undefined) {
        raw(m);
        return 0;
      }
      r = fn(
        toBig(L[1], H[1]),
        toBig(L[2], H[2]),
        toBig(L[3], H[3]),
        toBig(L[4], H[4]),
        toBig(L[5], H[5]),
        m.ctx as never,
      );
    } catch (e) {
      if (e instanceof E) {
        if (e.pc >= 0) throw e;
        throw fail(e.code, e.message, { pc });
      }
      throw fail("helper", `Helper ${id} failed: ${(e as Error)?.message ?? e}`, { pc });
    }
    L[0] = fromBig(typeof r === "bigint" ? r : BigInt(r));
    H[0] = HI[0];
    if (m.stopRequested) {
      m.stopRequested = false;
      return 1;
    }
    return 0;
  }
  function callx(m: KernelMachine, lo: number, hi: number, pc: number): number {
    if (hi !== 0 || lo < 0) {
      throw fail("helper", `Unknown helper 0x${toBig(lo, hi).toString(16)}`, { pc });
    }
    return callHelper(m, lo, pc);
  }
  function atomicOp(m: KernelMachine, pc: number): void {
    const L = m.lo, H = m.hi, mem = m.memory;
    const d = m.dst[pc], s = m.src[pc], off = m.off[pc], op = m.imm[pc];
    const wide = (m.opc[pc] & SIZE_MASK) === SIZE_DW;
    const size = wide ? 8 : 4;
    const o = (L[d] >>> 0) + off;
    const g = H[d];
    if (g <= 0 || g >= mem.lengths.length || o < 0 || o + size > mem.lengths[g]) {
      throw memoryFault(pc, "atomic access", size, L[d], H[d], off);
    }
    if (mem.writable[g] === 0) {
      throw memoryFault(pc, "atomic write to read-only memory", size, L[d], H[d], off);
    }
    const v = mem.views[g];
    const oldLo = v.getInt32(o, true);
    const oldHi = wide ? v.getInt32(o + 4, true) : 0;
    const sLo = L[s], sHi = wide ? H[s] : 0;
    let nLo = oldLo, nHi = oldHi;
    switch (op & ~ATOMIC_FETCH) {
      case ATOMIC_ADD: {
        nLo = (oldLo + sLo) | 0;
        const carry = (oldLo >>> 0) + (sLo >>> 0) > 0xffffffff ? 1 : 0;
        nHi = (oldHi + sHi + carry) | 0;
        break;
      }
      case ATOMIC_OR:
        nLo = oldLo | sLo;
        nHi = oldHi | sHi;
        break;
      case ATOMIC_AND:
        nLo = oldLo & sLo;
        nHi = oldHi & sHi;
        break;
      case ATOMIC_XOR:
        nLo = oldLo ^ sLo;
        nHi = oldHi ^ sHi;
        break;
      case ATOMIC_XCHG & ~ATOMIC_FETCH:
        nLo = sLo;
        nHi = sHi;
        break;
      case ATOMIC_CMPXCHG & ~ATOMIC_FETCH: { // compare with r0
        const eq = wide ? (L[0] === oldLo && H[0] === oldHi) : L[0] === oldLo;
        if (eq) {
          nLo = sLo;
          nHi = sHi;
        }
        L[0] = oldLo;
        H[0] = oldHi;
        break;
      }
    }
    v.setInt32(o, nLo, true);
    if (wide) v.setInt32(o + 4, nHi, true);
    if ((op & ATOMIC_FETCH) !== 0 && op !== ATOMIC_CMPXCHG) {
      L[s] = oldLo;
      H[s] = oldHi;
    }
  }
  function legacyLoad(m: KernelMachine, pc: number): number {
    const op = m.opc[pc];
    const size = op & SIZE_MASK;
    const n = size === SIZE_W ? 4 : size === SIZE_H ? 2 : 1;
    let o = m.imm[pc];
    if ((op & MODE_MASK) === MODE_IND) o += m.lo[m.src[pc]];
    const lp = m.memory.legacyPacket;
    const region = lp ? lp[0] : MEM_REGION;
    const len = lp ? lp[2] : m.memory.lengths[MEM_REGION];
    const L = m.lo, H = m.hi;
    if (o < 0 || o + n > len) {
      L[0] = 0;
      H[0] = 0;
      return 1;
    }
    if (lp) o += lp[1];
    const v = m.memory.views[region];
    L[0] = n === 4 ? v.getInt32(o, false) : n === 2 ? v.getUint16(o, false) : v.getUint8(o);
    H[0] = 0;
    return 0;
  }
  function slowLoad(
    m: KernelMachine,
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
  function slowStore(
    m: KernelMachine,
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
      g <= 0 || g >= mem.lengths.length || o < 0 || o + size > mem.lengths[g] ||
      mem.writable[g] === 0
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
  return {
    HI,
    mul64,
    udiv64,
    umod64,
    sdiv64,
    smod64,
    lsh64,
    rsh64,
    arsh64,
    bswap32,
    toBig,
    fromBig,
    memoryFault,
    budgetFault,
    callDepthFault,
    stackFault,
    fellOffFault,
    callHelper,
    callx,
    atomicOp,
    legacyLoad,
    slowLoad,
    slowStore,
  };
}

/** The library's kernel, throwing {@linkcode BpfError}. */
export const KERNEL: BpfKernel = bpfKernel(BpfError as unknown as KernelErrorClass);
