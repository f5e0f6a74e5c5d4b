/**
 * The eBPF interpreter: exact RFC 9669 semantics on registers held as pairs of 32-bit halves,
 * bounds checks on every memory access, an instruction budget, local calls with a call stack,
 * and no allocation per run.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import type { BpfProgram } from "./instruction.ts";
import type { BpfMemory } from "./memory.ts";
import type { BpfRunner, BpfRunOptions } from "./runner.ts";
import { atomicOp, CALL_FRAME, callHelper, legacyLoad, Machine, memoryFault } from "./_machine.ts";
import { KERNEL } from "./_kernel.ts";
import {
  arsh64,
  bswap32,
  HI,
  lsh64,
  mul64,
  rsh64,
  sdiv64,
  smod64,
  toBig,
  udiv64,
  umod64,
} from "./_u64.ts";

/**
 * The opcode names the run loop uses, as a `const enum`: every `case Op.ADD64_IMM:` compiles to
 * the literal `case 7:`, so V8 makes the `switch` a jump table. (Case labels that are imported
 * constants, or even module constants, compile to a chain of comparisons that depends on type
 * feedback: measured 3–9% slower, with an occasional 4× cliff.) The values are
 * {@linkcode EBPF}'s; tests/bpf/interpreter_test.ts checks every member against it.
 */
const enum Op {
  // Opcode fields.
  CLASS_MASK = 0x07,
  CLASS_JMP = 0x05,
  CLASS_JMP32 = 0x06,
  SRC_X = 0x08,
  OP_MASK = 0xf0,
  SIZE_MASK = 0x18,
  SIZE_W = 0x00,
  SIZE_H = 0x08,
  SIZE_B = 0x10,
  CALL_SRC_LOCAL = 0x01,
  // Jump operations (`opcode & OP_MASK`).
  JMP_JEQ = 0x10,
  JMP_JGT = 0x20,
  JMP_JGE = 0x30,
  JMP_JSET = 0x40,
  JMP_JNE = 0x50,
  JMP_JSGT = 0x60,
  JMP_JSGE = 0x70,
  JMP_JLT = 0xa0,
  JMP_JLE = 0xb0,
  JMP_JSLT = 0xc0,
  // 64-bit arithmetic.
  ADD64_IMM = 0x07,
  ADD64_REG = 0x0f,
  SUB64_IMM = 0x17,
  SUB64_REG = 0x1f,
  MUL64_IMM = 0x27,
  MUL64_REG = 0x2f,
  DIV64_IMM = 0x37,
  DIV64_REG = 0x3f,
  OR64_IMM = 0x47,
  OR64_REG = 0x4f,
  AND64_IMM = 0x57,
  AND64_REG = 0x5f,
  LSH64_IMM = 0x67,
  LSH64_REG = 0x6f,
  RSH64_IMM = 0x77,
  RSH64_REG = 0x7f,
  NEG64 = 0x87,
  MOD64_IMM = 0x97,
  MOD64_REG = 0x9f,
  XOR64_IMM = 0xa7,
  XOR64_REG = 0xaf,
  MOV64_IMM = 0xb7,
  MOV64_REG = 0xbf,
  ARSH64_IMM = 0xc7,
  ARSH64_REG = 0xcf,
  BSWAP = 0xd7,
  // 32-bit arithmetic.
  ADD32_IMM = 0x04,
  ADD32_REG = 0x0c,
  SUB32_IMM = 0x14,
  SUB32_REG = 0x1c,
  MUL32_IMM = 0x24,
  MUL32_REG = 0x2c,
  DIV32_IMM = 0x34,
  DIV32_REG = 0x3c,
  OR32_IMM = 0x44,
  OR32_REG = 0x4c,
  AND32_IMM = 0x54,
  AND32_REG = 0x5c,
  LSH32_IMM = 0x64,
  LSH32_REG = 0x6c,
  RSH32_IMM = 0x74,
  RSH32_REG = 0x7c,
  NEG32 = 0x84,
  MOD32_IMM = 0x94,
  MOD32_REG = 0x9c,
  XOR32_IMM = 0xa4,
  XOR32_REG = 0xac,
  MOV32_IMM = 0xb4,
  MOV32_REG = 0xbc,
  ARSH32_IMM = 0xc4,
  ARSH32_REG = 0xcc,
  LE = 0xd4,
  BE = 0xdc,
  // Loads and stores.
  LDDW = 0x18,
  LDABSW = 0x20,
  LDABSH = 0x28,
  LDABSB = 0x30,
  LDINDW = 0x40,
  LDINDH = 0x48,
  LDINDB = 0x50,
  LDXW = 0x61,
  LDXH = 0x69,
  LDXB = 0x71,
  LDXDW = 0x79,
  LDXSW = 0x81,
  LDXSH = 0x89,
  LDXSB = 0x91,
  STW = 0x62,
  STH = 0x6a,
  STB = 0x72,
  STDW = 0x7a,
  STXW = 0x63,
  STXH = 0x6b,
  STXB = 0x73,
  STXDW = 0x7b,
  ATOMIC32 = 0xc3,
  ATOMIC64 = 0xdb,
  // Jumps.
  JA = 0x05,
  JA32 = 0x06,
  CALL = 0x85,
  CALLX = 0x8d,
  EXIT = 0x95,
}

const {
  FRAME_WORDS,
  FRAME_RETURN,
  FRAME_R6_LO,
  FRAME_R6_HI,
  FRAME_R10_LO,
  FRAME_R10_HI,
} = CALL_FRAME;
const { budgetFault, callDepthFault, stackFault, fellOffFault, callx } = KERNEL;

/** 64-bit conditional jump test. */
function cmp64(op: number, alo: number, ahi: number, blo: number, bhi: number): boolean {
  switch (op) {
    case Op.JMP_JEQ:
      return alo === blo && ahi === bhi;
    case Op.JMP_JNE:
      return alo !== blo || ahi !== bhi;
    case Op.JMP_JSET:
      return (alo & blo) !== 0 || (ahi & bhi) !== 0;
    case Op.JMP_JGT:
      return (ahi >>> 0) > (bhi >>> 0) || (ahi === bhi && (alo >>> 0) > (blo >>> 0));
    case Op.JMP_JGE:
      return (ahi >>> 0) > (bhi >>> 0) || (ahi === bhi && (alo >>> 0) >= (blo >>> 0));
    case Op.JMP_JLT:
      return (ahi >>> 0) < (bhi >>> 0) || (ahi === bhi && (alo >>> 0) < (blo >>> 0));
    case Op.JMP_JLE:
      return (ahi >>> 0) < (bhi >>> 0) || (ahi === bhi && (alo >>> 0) <= (blo >>> 0));
    case Op.JMP_JSGT:
      return ahi > bhi || (ahi === bhi && (alo >>> 0) > (blo >>> 0));
    case Op.JMP_JSGE:
      return ahi > bhi || (ahi === bhi && (alo >>> 0) >= (blo >>> 0));
    case Op.JMP_JSLT:
      return ahi < bhi || (ahi === bhi && (alo >>> 0) < (blo >>> 0));
    default: // JMP_JSLE
      return ahi < bhi || (ahi === bhi && (alo >>> 0) <= (blo >>> 0));
  }
}

/** 32-bit conditional jump test. */
function cmp32(op: number, a: number, b: number): boolean {
  switch (op) {
    case Op.JMP_JEQ:
      return a === b;
    case Op.JMP_JNE:
      return a !== b;
    case Op.JMP_JSET:
      return (a & b) !== 0;
    case Op.JMP_JGT:
      return (a >>> 0) > (b >>> 0);
    case Op.JMP_JGE:
      return (a >>> 0) >= (b >>> 0);
    case Op.JMP_JLT:
      return (a >>> 0) < (b >>> 0);
    case Op.JMP_JLE:
      return (a >>> 0) <= (b >>> 0);
    case Op.JMP_JSGT:
      return a > b;
    case Op.JMP_JSGE:
      return a >= b;
    case Op.JMP_JSLT:
      return a < b;
    default: // JMP_JSLE
      return a <= b;
  }
}

/**
 * Interprets a decoded program. Build once, run many times.
 *
 * @example
 * ```ts
 * import { assemble, BpfInterpreter, decodeProgram } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * // r0 = the first byte of the memory + its length (r2)
 * const vm = new BpfInterpreter(decodeProgram(assemble("ldxb %r0, [%r1]\nadd %r0, %r2\nexit")));
 * assert.equal(vm.run(new Uint8Array([7, 0, 0])), 10n);
 * assert.equal(vm.executed, 3);
 * ```
 */
export class BpfInterpreter implements BpfRunner {
  #m: Machine;
  #executed = 0;

  /**
   * Prepares a program: checks opcodes and jump targets, resolves `lddw` variants.
   *
   * @param program The decoded program.
   * @param options Stack, budget, helpers, `lddw` resolver.
   * @throws {BpfError} `decode`, `jump` or `lddw` when the program cannot be prepared.
   */
  constructor(program: BpfProgram, options: BpfRunOptions = {}) {
    this.#m = new Machine(program, options);
  }

  /** The address space. */
  get memory(): BpfMemory {
    return this.#m.memory;
  }

  /** r0's low 32 bits after the last run (unsigned). */
  get resultLow(): number {
    return this.#m.lo[0] >>> 0;
  }

  /** r0's high 32 bits after the last run (unsigned). */
  get resultHigh(): number {
    return this.#m.hi[0] >>> 0;
  }

  /** Instructions executed by the last run. */
  get executed(): number {
    return this.#executed;
  }

  /**
   * Runs the program.
   *
   * @param mem The run's memory.
   * @returns r0 as an unsigned 64-bit value.
   */
  run(mem?: Uint8Array): bigint {
    this.exec(mem);
    return toBig(this.#m.lo[0], this.#m.hi[0]);
  }

  /**
   * Runs the program without allocating; the result is in `resultLow`/`resultHigh`.
   *
   * @param mem The run's memory.
   * @returns Nothing.
   */
  exec(mem?: Uint8Array): void {
    const m = this.#m;
    m.reset(mem);
    try {
      interpret(m);
    } finally {
      this.#executed = m.lastCount;
    }
  }

  /**
   * Runs the program on the first `length` bytes of `mem` without allocating — for a buffer
   * reused for runs of different lengths (packets copied into it), where `exec` on a view of
   * each length would make the address space compare views; the result is in
   * `resultLow`/`resultHigh`.
   *
   * @param mem The buffer.
   * @param length Bytes of it the run's memory holds (r2).
   * @returns Nothing.
   * @throws {RangeError} When `length` is not a count of bytes inside `mem`.
   * @example
   * ```ts
   * import { assemble, BpfInterpreter, decodeProgram } from "@mxy/mxy/bpf";
   * import assert from "node:assert/strict";
   * const vm = new BpfInterpreter(decodeProgram(assemble("mov %r0, %r2\nexit")));
   * vm.execPrefix(new Uint8Array(1514), 60);
   * assert.equal(vm.resultLow, 60);
   * ```
   */
  execPrefix(mem: Uint8Array, length: number): void {
    const m = this.#m;
    m.reset(mem, length);
    try {
      interpret(m);
    } finally {
      this.#executed = m.lastCount;
    }
  }
}

/**
 * The run loop, from slot 0 with the registers as they are. Returns the number of executed
 * instructions.
 *
 * @param m The prepared machine.
 * @returns The number of executed instructions.
 */
export function interpret(m: Machine): number {
  const L = m.lo, H = m.hi;
  const opc = m.opc, dst = m.dst, src = m.src, offs = m.off, imms = m.imm, imm2 = m.imm2;
  const mem = m.memory;
  const views = mem.views, lens = mem.lengths, wr = mem.writable;
  const budget = m.budget;
  const frames = m.frames;
  let depth = 0;
  let pc = 0;
  let count = 0;
  let o = 0, g = 0;
  m.lastCount = 0;
  for (;;) {
    if (++count > budget) {
      m.lastCount = count - 1;
      throw budgetFault(pc, budget);
    }
    const op = opc[pc];
    const d = dst[pc];
    switch (op) {
      // ---- ALU64 ----
      case Op.ADD64_IMM:
      case Op.ADD64_REG: {
        const blo = op & Op.SRC_X ? L[src[pc]] : imms[pc];
        const bhi = op & Op.SRC_X ? H[src[pc]] : imms[pc] >> 31;
        const a = L[d];
        const r = (a + blo) | 0;
        H[d] = (H[d] + bhi + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
        L[d] = r;
        break;
      }
      case Op.SUB64_IMM:
      case Op.SUB64_REG: {
        const blo = op & Op.SRC_X ? L[src[pc]] : imms[pc];
        const bhi = op & Op.SRC_X ? H[src[pc]] : imms[pc] >> 31;
        const a = L[d];
        H[d] = (H[d] - bhi - ((a >>> 0) < (blo >>> 0) ? 1 : 0)) | 0;
        L[d] = (a - blo) | 0;
        break;
      }
      case Op.MUL64_IMM:
      case Op.MUL64_REG: {
        const blo = op & Op.SRC_X ? L[src[pc]] : imms[pc];
        const bhi = op & Op.SRC_X ? H[src[pc]] : imms[pc] >> 31;
        L[d] = mul64(L[d], H[d], blo, bhi);
        H[d] = HI[0];
        break;
      }
      case Op.DIV64_IMM:
      case Op.DIV64_REG: {
        const blo = op & Op.SRC_X ? L[src[pc]] : imms[pc];
        const bhi = op & Op.SRC_X ? H[src[pc]] : imms[pc] >> 31;
        L[d] = offs[pc] === 1 ? sdiv64(L[d], H[d], blo, bhi) : udiv64(L[d], H[d], blo, bhi);
        H[d] = HI[0];
        break;
      }
      case Op.MOD64_IMM:
      case Op.MOD64_REG: {
        const blo = op & Op.SRC_X ? L[src[pc]] : imms[pc];
        const bhi = op & Op.SRC_X ? H[src[pc]] : imms[pc] >> 31;
        L[d] = offs[pc] === 1 ? smod64(L[d], H[d], blo, bhi) : umod64(L[d], H[d], blo, bhi);
        H[d] = HI[0];
        break;
      }
      case Op.OR64_IMM:
      case Op.OR64_REG:
        if (op & Op.SRC_X) {
          L[d] |= L[src[pc]];
          H[d] |= H[src[pc]];
        } else {
          L[d] |= imms[pc];
          H[d] |= imms[pc] >> 31;
        }
        break;
      case Op.AND64_IMM:
      case Op.AND64_REG:
        if (op & Op.SRC_X) {
          L[d] &= L[src[pc]];
          H[d] &= H[src[pc]];
        } else {
          L[d] &= imms[pc];
          H[d] &= imms[pc] >> 31;
        }
        break;
      case Op.XOR64_IMM:
      case Op.XOR64_REG:
        if (op & Op.SRC_X) {
          L[d] ^= L[src[pc]];
          H[d] ^= H[src[pc]];
        } else {
          L[d] ^= imms[pc];
          H[d] ^= imms[pc] >> 31;
        }
        break;
      case Op.LSH64_IMM:
      case Op.LSH64_REG:
        L[d] = lsh64(L[d], H[d], op & Op.SRC_X ? L[src[pc]] : imms[pc]);
        H[d] = HI[0];
        break;
      case Op.RSH64_IMM:
      case Op.RSH64_REG:
        L[d] = rsh64(L[d], H[d], op & Op.SRC_X ? L[src[pc]] : imms[pc]);
        H[d] = HI[0];
        break;
      case Op.ARSH64_IMM:
      case Op.ARSH64_REG:
        L[d] = arsh64(L[d], H[d], op & Op.SRC_X ? L[src[pc]] : imms[pc]);
        H[d] = HI[0];
        break;
      case Op.NEG64: {
        const a = L[d];
        L[d] = -a | 0;
        H[d] = (~H[d] + (a === 0 ? 1 : 0)) | 0;
        break;
      }
      case Op.MOV64_IMM:
        L[d] = imms[pc];
        H[d] = imms[pc] >> 31;
        break;
      case Op.MOV64_REG: {
        const s = src[pc];
        switch (offs[pc]) {
          case 0:
            L[d] = L[s];
            H[d] = H[s];
            break;
          case 8:
            L[d] = (L[s] << 24) >> 24;
            H[d] = L[d] >> 31;
            break;
          case 16:
            L[d] = (L[s] << 16) >> 16;
            H[d] = L[d] >> 31;
            break;
          default:
            L[d] = L[s];
            H[d] = L[s] >> 31;
        }
        break;
      }
      case Op.BSWAP:
      case Op.BE: {
        const w = imms[pc];
        if (w === 16) {
          const x = L[d];
          L[d] = ((x & 0xff) << 8) | ((x >>> 8) & 0xff);
          H[d] = 0;
        } else if (w === 32) {
          L[d] = bswap32(L[d]);
          H[d] = 0;
        } else {
          const t = bswap32(L[d]);
          L[d] = bswap32(H[d]);
          H[d] = t;
        }
        break;
      }
      case Op.LE: {
        const w = imms[pc];
        if (w === 16) {
          L[d] &= 0xffff;
          H[d] = 0;
        } else if (w === 32) H[d] = 0;
        break;
      }
      // ---- ALU32 ----
      case Op.ADD32_IMM:
      case Op.ADD32_REG:
        L[d] = (L[d] + (op & Op.SRC_X ? L[src[pc]] : imms[pc])) | 0;
        H[d] = 0;
        break;
      case Op.SUB32_IMM:
      case Op.SUB32_REG:
        L[d] = (L[d] - (op & Op.SRC_X ? L[src[pc]] : imms[pc])) | 0;
        H[d] = 0;
        break;
      case Op.MUL32_IMM:
      case Op.MUL32_REG:
        L[d] = Math.imul(L[d], op & Op.SRC_X ? L[src[pc]] : imms[pc]);
        H[d] = 0;
        break;
      case Op.DIV32_IMM:
      case Op.DIV32_REG: {
        const b = op & Op.SRC_X ? L[src[pc]] : imms[pc];
        if (b === 0) L[d] = 0;
        else if (offs[pc] === 1) L[d] = Math.trunc(L[d] / b) | 0;
        else L[d] = Math.floor((L[d] >>> 0) / (b >>> 0)) | 0;
        H[d] = 0;
        break;
      }
      case Op.MOD32_IMM:
      case Op.MOD32_REG: {
        const b = op & Op.SRC_X ? L[src[pc]] : imms[pc];
        if (b !== 0) {
          if (offs[pc] === 1) L[d] = (L[d] % b) | 0;
          else L[d] = ((L[d] >>> 0) % (b >>> 0)) | 0;
        }
        H[d] = 0;
        break;
      }
      case Op.OR32_IMM:
      case Op.OR32_REG:
        L[d] |= op & Op.SRC_X ? L[src[pc]] : imms[pc];
        H[d] = 0;
        break;
      case Op.AND32_IMM:
      case Op.AND32_REG:
        L[d] &= op & Op.SRC_X ? L[src[pc]] : imms[pc];
        H[d] = 0;
        break;
      case Op.XOR32_IMM:
      case Op.XOR32_REG:
        L[d] ^= op & Op.SRC_X ? L[src[pc]] : imms[pc];
        H[d] = 0;
        break;
      case Op.LSH32_IMM:
      case Op.LSH32_REG:
        L[d] = L[d] << ((op & Op.SRC_X ? L[src[pc]] : imms[pc]) & 31);
        H[d] = 0;
        break;
      case Op.RSH32_IMM:
      case Op.RSH32_REG:
        L[d] = (L[d] >>> ((op & Op.SRC_X ? L[src[pc]] : imms[pc]) & 31)) | 0;
        H[d] = 0;
        break;
      case Op.ARSH32_IMM:
      case Op.ARSH32_REG:
        L[d] = L[d] >> ((op & Op.SRC_X ? L[src[pc]] : imms[pc]) & 31);
        H[d] = 0;
        break;
      case Op.NEG32:
        L[d] = -L[d] | 0;
        H[d] = 0;
        break;
      case Op.MOV32_IMM:
        L[d] = imms[pc];
        H[d] = 0;
        break;
      case Op.MOV32_REG: {
        const x = L[src[pc]];
        const k = offs[pc];
        L[d] = k === 8 ? (x << 24) >> 24 : k === 16 ? (x << 16) >> 16 : x;
        H[d] = 0;
        break;
      }
      // ---- loads ----
      case Op.LDXW:
      case Op.LDXH:
      case Op.LDXB:
      case Op.LDXDW:
      case Op.LDXSW:
      case Op.LDXSH:
      case Op.LDXSB: {
        const s = src[pc];
        const sz = op & Op.SIZE_MASK;
        const size = sz === Op.SIZE_W ? 4 : sz === Op.SIZE_H ? 2 : sz === Op.SIZE_B ? 1 : 8;
        o = (L[s] >>> 0) + offs[pc];
        g = H[s];
        if (g <= 0 || g >= lens.length || o < 0 || o + size > lens[g]) {
          throw memoryFault(pc, "read", size, L[s], H[s], offs[pc]);
        }
        const v = views[g];
        switch (op) {
          case Op.LDXW:
            L[d] = v.getInt32(o, true);
            H[d] = 0;
            break;
          case Op.LDXH:
            L[d] = v.getUint16(o, true);
            H[d] = 0;
            break;
          case Op.LDXB:
            L[d] = v.getUint8(o);
            H[d] = 0;
            break;
          case Op.LDXDW:
            L[d] = v.getInt32(o, true);
            H[d] = v.getInt32(o + 4, true);
            break;
          case Op.LDXSW:
            L[d] = v.getInt32(o, true);
            H[d] = L[d] >> 31;
            break;
          case Op.LDXSH:
            L[d] = v.getInt16(o, true);
            H[d] = L[d] >> 31;
            break;
          default:
            L[d] = v.getInt8(o);
            H[d] = L[d] >> 31;
        }
        break;
      }
      // ---- stores ----
      case Op.STW:
      case Op.STH:
      case Op.STB:
      case Op.STDW:
      case Op.STXW:
      case Op.STXH:
      case Op.STXB:
      case Op.STXDW: {
        const sz = op & Op.SIZE_MASK;
        const size = sz === Op.SIZE_W ? 4 : sz === Op.SIZE_H ? 2 : sz === Op.SIZE_B ? 1 : 8;
        o = (L[d] >>> 0) + offs[pc];
        g = H[d];
        if (g <= 0 || g >= lens.length || o < 0 || o + size > lens[g] || wr[g] === 0) {
          throw memoryFault(pc, "write", size, L[d], H[d], offs[pc]);
        }
        let vlo: number, vhi: number;
        if (op & 1) {
          vlo = L[src[pc]];
          vhi = H[src[pc]];
        } else {
          vlo = imms[pc];
          vhi = vlo >> 31;
        }
        const v = views[g];
        if (size === 4) v.setInt32(o, vlo, true);
        else if (size === 2) v.setInt16(o, vlo, true);
        else if (size === 1) v.setInt8(o, vlo);
        else {
          v.setInt32(o, vlo, true);
          v.setInt32(o + 4, vhi, true);
        }
        break;
      }
      case Op.ATOMIC32:
      case Op.ATOMIC64:
        atomicOp(m, pc);
        break;
      case Op.LDDW:
        L[d] = imms[pc];
        H[d] = imm2[pc];
        pc++;
        break;
      case Op.LDABSW:
      case Op.LDABSH:
      case Op.LDABSB:
      case Op.LDINDW:
      case Op.LDINDH:
      case Op.LDINDB:
        if (legacyLoad(m, pc)) {
          m.lastCount = count;
          return count;
        }
        break;
      // ---- jumps ----
      case Op.JA:
        pc += offs[pc];
        break;
      case Op.JA32:
        pc += imms[pc];
        break;
      case Op.CALL:
      case Op.CALLX: {
        if (op === Op.CALL && src[pc] === Op.CALL_SRC_LOCAL) {
          if (depth >= m.maxCallDepth) {
            throw callDepthFault(pc, m.maxCallDepth);
          }
          const f = depth * FRAME_WORDS;
          frames[f + FRAME_RETURN] = pc + 1;
          for (let r = 6; r <= 9; r++) {
            frames[f + FRAME_R6_LO + 2 * (r - 6)] = L[r];
            frames[f + FRAME_R6_HI + 2 * (r - 6)] = H[r];
          }
          frames[f + FRAME_R10_LO] = L[10];
          frames[f + FRAME_R10_HI] = H[10];
          const top = (L[10] >>> 0) - m.frameSize;
          if (top < 0) {
            throw stackFault(pc);
          }
          L[10] = top;
          depth++;
          pc = pc + 1 + imms[pc];
          continue;
        }
        if (op === Op.CALLX ? callx(m, L[d], H[d], pc) : callHelper(m, imms[pc], pc)) {
          m.lastCount = count;
          return count;
        }
        break;
      }
      case Op.EXIT:
        if (depth === 0) {
          m.lastCount = count;
          return count;
        } else {
          depth--;
          const f = depth * FRAME_WORDS;
          for (let r = 6; r <= 9; r++) {
            L[r] = frames[f + FRAME_R6_LO + 2 * (r - 6)];
            H[r] = frames[f + FRAME_R6_HI + 2 * (r - 6)];
          }
          L[10] = frames[f + FRAME_R10_LO];
          H[10] = frames[f + FRAME_R10_HI];
          pc = frames[f + FRAME_RETURN];
          continue;
        }
      default: {
        const cls = op & Op.CLASS_MASK;
        if (cls === Op.CLASS_JMP) {
          const blo = op & Op.SRC_X ? L[src[pc]] : imms[pc];
          const bhi = op & Op.SRC_X ? H[src[pc]] : imms[pc] >> 31;
          if (cmp64(op & Op.OP_MASK, L[d], H[d], blo, bhi)) pc += offs[pc];
          break;
        }
        if (cls === Op.CLASS_JMP32) {
          if (cmp32(op & Op.OP_MASK, L[d], op & Op.SRC_X ? L[src[pc]] : imms[pc])) pc += offs[pc];
          break;
        }
        m.lastCount = count;
        if (pc >= m.slots) {
          throw fellOffFault(pc);
        }
        throw new BpfError("decode", `Unknown opcode 0x${op.toString(16)}`, { pc });
      }
    }
    pc++;
  }
}
