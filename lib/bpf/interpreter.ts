/**
 * The eBPF interpreter: exact RFC 9669 semantics on registers held as pairs of 32-bit halves,
 * bounds checks on every memory access, an instruction budget, local calls with a call stack,
 * and no allocation per run.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import type { Program } from "./instruction.ts";
import {
  atomicOp,
  callHelper,
  legacyLoad,
  Machine,
  memoryFault,
  type RunOptions,
} from "./_machine.ts";
import type { BpfMemory } from "./memory.ts";
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

export type { RunOptions } from "./_machine.ts";

/** The interface both the interpreter and the JIT implement. */
export interface BpfRunner {
  /** The address space (stack, run memory, host regions). */
  readonly memory: BpfMemory;
  /**
   * Runs the program once: r1 = address of `mem`, r2 = its length, r10 = top of the stack.
   *
   * @param mem The run's memory (context or packet), or none.
   * @returns r0 as an unsigned 64-bit bigint.
   */
  run(mem?: Uint8Array): bigint;
  /**
   * Runs the program once without creating a bigint; read r0 from `resultLow`/`resultHigh`.
   *
   * @param mem The run's memory, or none.
   * @returns Nothing.
   */
  exec(mem?: Uint8Array): void;
  /** r0's low 32 bits after the last run, as an unsigned number. */
  readonly resultLow: number;
  /** r0's high 32 bits after the last run, as an unsigned number. */
  readonly resultHigh: number;
  /** Instructions executed by the last run (the JIT counts whole basic blocks). */
  readonly executed: number;
}

/** 64-bit conditional jump test. */
function cmp64(op: number, alo: number, ahi: number, blo: number, bhi: number): boolean {
  switch (op) {
    case 0x10:
      return alo === blo && ahi === bhi;
    case 0x50:
      return alo !== blo || ahi !== bhi;
    case 0x40:
      return (alo & blo) !== 0 || (ahi & bhi) !== 0;
    case 0x20:
      return (ahi >>> 0) > (bhi >>> 0) || (ahi === bhi && (alo >>> 0) > (blo >>> 0));
    case 0x30:
      return (ahi >>> 0) > (bhi >>> 0) || (ahi === bhi && (alo >>> 0) >= (blo >>> 0));
    case 0xa0:
      return (ahi >>> 0) < (bhi >>> 0) || (ahi === bhi && (alo >>> 0) < (blo >>> 0));
    case 0xb0:
      return (ahi >>> 0) < (bhi >>> 0) || (ahi === bhi && (alo >>> 0) <= (blo >>> 0));
    case 0x60:
      return ahi > bhi || (ahi === bhi && (alo >>> 0) > (blo >>> 0));
    case 0x70:
      return ahi > bhi || (ahi === bhi && (alo >>> 0) >= (blo >>> 0));
    case 0xc0:
      return ahi < bhi || (ahi === bhi && (alo >>> 0) < (blo >>> 0));
    default: // 0xd0
      return ahi < bhi || (ahi === bhi && (alo >>> 0) <= (blo >>> 0));
  }
}

/** 32-bit conditional jump test. */
function cmp32(op: number, a: number, b: number): boolean {
  switch (op) {
    case 0x10:
      return a === b;
    case 0x50:
      return a !== b;
    case 0x40:
      return (a & b) !== 0;
    case 0x20:
      return (a >>> 0) > (b >>> 0);
    case 0x30:
      return (a >>> 0) >= (b >>> 0);
    case 0xa0:
      return (a >>> 0) < (b >>> 0);
    case 0xb0:
      return (a >>> 0) <= (b >>> 0);
    case 0x60:
      return a > b;
    case 0x70:
      return a >= b;
    case 0xc0:
      return a < b;
    default:
      return a <= b;
  }
}

/**
 * Interprets a decoded program. Build once, run many times.
 *
 * @example
 * ```ts
 * import { Interpreter } from "./interpreter.ts";
 * import { decodeProgram } from "./instruction.ts";
 * import assert from "node:assert/strict";
 * // mov r0, 7; add r0, r2 (r2 = length of mem); exit
 * const bytes = new Uint8Array([
 *   0xb7, 0x00, 0, 0, 7, 0, 0, 0,
 *   0x0f, 0x20, 0, 0, 0, 0, 0, 0,
 *   0x95, 0x00, 0, 0, 0, 0, 0, 0,
 * ]);
 * const vm = new Interpreter(decodeProgram(bytes));
 * assert.equal(vm.run(new Uint8Array(3)), 10n);
 * ```
 */
export class Interpreter implements BpfRunner {
  #m: Machine;
  #executed = 0;

  /**
   * Prepares a program: checks opcodes and jump targets, resolves `lddw` variants.
   *
   * @param program The decoded program.
   * @param options Stack, budget, helpers, `lddw` resolver.
   * @throws {BpfError} `decode`, `jump` or `lddw` when the program cannot be prepared.
   */
  constructor(program: Program, options: RunOptions = {}) {
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
}

/** The run loop. Returns the number of executed instructions. */
function interpret(m: Machine): number {
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
      throw new BpfError("budget", `Instruction budget of ${budget} exhausted`, { pc });
    }
    const op = opc[pc];
    const d = dst[pc];
    switch (op) {
      // ---- ALU64 ----
      case 0x07:
      case 0x0f: {
        const blo = op & 8 ? L[src[pc]] : imms[pc];
        const bhi = op & 8 ? H[src[pc]] : imms[pc] >> 31;
        const a = L[d];
        const r = (a + blo) | 0;
        H[d] = (H[d] + bhi + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
        L[d] = r;
        break;
      }
      case 0x17:
      case 0x1f: {
        const blo = op & 8 ? L[src[pc]] : imms[pc];
        const bhi = op & 8 ? H[src[pc]] : imms[pc] >> 31;
        const a = L[d];
        H[d] = (H[d] - bhi - ((a >>> 0) < (blo >>> 0) ? 1 : 0)) | 0;
        L[d] = (a - blo) | 0;
        break;
      }
      case 0x27:
      case 0x2f: {
        const blo = op & 8 ? L[src[pc]] : imms[pc];
        const bhi = op & 8 ? H[src[pc]] : imms[pc] >> 31;
        L[d] = mul64(L[d], H[d], blo, bhi);
        H[d] = HI[0];
        break;
      }
      case 0x37:
      case 0x3f: {
        const blo = op & 8 ? L[src[pc]] : imms[pc];
        const bhi = op & 8 ? H[src[pc]] : imms[pc] >> 31;
        L[d] = offs[pc] === 1 ? sdiv64(L[d], H[d], blo, bhi) : udiv64(L[d], H[d], blo, bhi);
        H[d] = HI[0];
        break;
      }
      case 0x97:
      case 0x9f: {
        const blo = op & 8 ? L[src[pc]] : imms[pc];
        const bhi = op & 8 ? H[src[pc]] : imms[pc] >> 31;
        L[d] = offs[pc] === 1 ? smod64(L[d], H[d], blo, bhi) : umod64(L[d], H[d], blo, bhi);
        H[d] = HI[0];
        break;
      }
      case 0x47:
      case 0x4f:
        if (op & 8) {
          L[d] |= L[src[pc]];
          H[d] |= H[src[pc]];
        } else {
          L[d] |= imms[pc];
          H[d] |= imms[pc] >> 31;
        }
        break;
      case 0x57:
      case 0x5f:
        if (op & 8) {
          L[d] &= L[src[pc]];
          H[d] &= H[src[pc]];
        } else {
          L[d] &= imms[pc];
          H[d] &= imms[pc] >> 31;
        }
        break;
      case 0xa7:
      case 0xaf:
        if (op & 8) {
          L[d] ^= L[src[pc]];
          H[d] ^= H[src[pc]];
        } else {
          L[d] ^= imms[pc];
          H[d] ^= imms[pc] >> 31;
        }
        break;
      case 0x67:
      case 0x6f:
        L[d] = lsh64(L[d], H[d], op & 8 ? L[src[pc]] : imms[pc]);
        H[d] = HI[0];
        break;
      case 0x77:
      case 0x7f:
        L[d] = rsh64(L[d], H[d], op & 8 ? L[src[pc]] : imms[pc]);
        H[d] = HI[0];
        break;
      case 0xc7:
      case 0xcf:
        L[d] = arsh64(L[d], H[d], op & 8 ? L[src[pc]] : imms[pc]);
        H[d] = HI[0];
        break;
      case 0x87: {
        const a = L[d];
        L[d] = -a | 0;
        H[d] = (~H[d] + (a === 0 ? 1 : 0)) | 0;
        break;
      }
      case 0xb7:
        L[d] = imms[pc];
        H[d] = imms[pc] >> 31;
        break;
      case 0xbf: {
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
      case 0xd7:
      case 0xdc: {
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
      case 0xd4: {
        const w = imms[pc];
        if (w === 16) {
          L[d] &= 0xffff;
          H[d] = 0;
        } else if (w === 32) H[d] = 0;
        break;
      }
      // ---- ALU32 ----
      case 0x04:
      case 0x0c:
        L[d] = (L[d] + (op & 8 ? L[src[pc]] : imms[pc])) | 0;
        H[d] = 0;
        break;
      case 0x14:
      case 0x1c:
        L[d] = (L[d] - (op & 8 ? L[src[pc]] : imms[pc])) | 0;
        H[d] = 0;
        break;
      case 0x24:
      case 0x2c:
        L[d] = Math.imul(L[d], op & 8 ? L[src[pc]] : imms[pc]);
        H[d] = 0;
        break;
      case 0x34:
      case 0x3c: {
        const b = op & 8 ? L[src[pc]] : imms[pc];
        if (b === 0) L[d] = 0;
        else if (offs[pc] === 1) L[d] = Math.trunc(L[d] / b) | 0;
        else L[d] = Math.floor((L[d] >>> 0) / (b >>> 0)) | 0;
        H[d] = 0;
        break;
      }
      case 0x94:
      case 0x9c: {
        const b = op & 8 ? L[src[pc]] : imms[pc];
        if (b !== 0) {
          if (offs[pc] === 1) L[d] = (L[d] % b) | 0;
          else L[d] = ((L[d] >>> 0) % (b >>> 0)) | 0;
        }
        H[d] = 0;
        break;
      }
      case 0x44:
      case 0x4c:
        L[d] |= op & 8 ? L[src[pc]] : imms[pc];
        H[d] = 0;
        break;
      case 0x54:
      case 0x5c:
        L[d] &= op & 8 ? L[src[pc]] : imms[pc];
        H[d] = 0;
        break;
      case 0xa4:
      case 0xac:
        L[d] ^= op & 8 ? L[src[pc]] : imms[pc];
        H[d] = 0;
        break;
      case 0x64:
      case 0x6c:
        L[d] = L[d] << ((op & 8 ? L[src[pc]] : imms[pc]) & 31);
        H[d] = 0;
        break;
      case 0x74:
      case 0x7c:
        L[d] = (L[d] >>> ((op & 8 ? L[src[pc]] : imms[pc]) & 31)) | 0;
        H[d] = 0;
        break;
      case 0xc4:
      case 0xcc:
        L[d] = L[d] >> ((op & 8 ? L[src[pc]] : imms[pc]) & 31);
        H[d] = 0;
        break;
      case 0x84:
        L[d] = -L[d] | 0;
        H[d] = 0;
        break;
      case 0xb4:
        L[d] = imms[pc];
        H[d] = 0;
        break;
      case 0xbc: {
        const x = L[src[pc]];
        const k = offs[pc];
        L[d] = k === 8 ? (x << 24) >> 24 : k === 16 ? (x << 16) >> 16 : x;
        H[d] = 0;
        break;
      }
      // ---- loads ----
      case 0x61:
      case 0x69:
      case 0x71:
      case 0x79:
      case 0x81:
      case 0x89:
      case 0x91: {
        const s = src[pc];
        const size = (op & 0x18) === 0 ? 4 : (op & 0x18) === 8 ? 2 : (op & 0x18) === 0x10 ? 1 : 8;
        o = (L[s] >>> 0) + offs[pc];
        g = H[s];
        if (g <= 0 || g >= lens.length || o < 0 || o + size > lens[g]) {
          throw memoryFault(pc, "read", size, L[s], H[s], offs[pc]);
        }
        const v = views[g];
        switch (op) {
          case 0x61:
            L[d] = v.getInt32(o, true);
            H[d] = 0;
            break;
          case 0x69:
            L[d] = v.getUint16(o, true);
            H[d] = 0;
            break;
          case 0x71:
            L[d] = v.getUint8(o);
            H[d] = 0;
            break;
          case 0x79:
            L[d] = v.getInt32(o, true);
            H[d] = v.getInt32(o + 4, true);
            break;
          case 0x81:
            L[d] = v.getInt32(o, true);
            H[d] = L[d] >> 31;
            break;
          case 0x89:
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
      case 0x62:
      case 0x6a:
      case 0x72:
      case 0x7a:
      case 0x63:
      case 0x6b:
      case 0x73:
      case 0x7b: {
        const size = (op & 0x18) === 0 ? 4 : (op & 0x18) === 8 ? 2 : (op & 0x18) === 0x10 ? 1 : 8;
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
      case 0xc3:
      case 0xdb:
        atomicOp(m, pc);
        break;
      case 0x18:
        L[d] = imms[pc];
        H[d] = imm2[pc];
        pc++;
        break;
      case 0x20:
      case 0x28:
      case 0x30:
      case 0x40:
      case 0x48:
      case 0x50:
        if (legacyLoad(m, pc)) {
          m.lastCount = count;
          return count;
        }
        break;
      // ---- jumps ----
      case 0x05:
        pc += offs[pc];
        break;
      case 0x06:
        pc += imms[pc];
        break;
      case 0x85:
      case 0x8d: {
        if (op === 0x85 && src[pc] === 1) {
          if (depth >= m.maxCallDepth) {
            throw new BpfError("call-depth", `Call depth exceeds ${m.maxCallDepth}`, { pc });
          }
          const f = depth * 11;
          frames[f] = pc + 1;
          for (let r = 6; r <= 9; r++) {
            frames[f + 2 * r - 11] = L[r];
            frames[f + 2 * r - 10] = H[r];
          }
          frames[f + 9] = L[10];
          frames[f + 10] = H[10];
          const top = (L[10] >>> 0) - m.frameSize;
          if (top < 0) {
            throw new BpfError("call-depth", `Stack exhausted by a local call`, { pc });
          }
          L[10] = top;
          depth++;
          pc = pc + 1 + imms[pc];
          continue;
        }
        let id = imms[pc];
        if (op === 0x8d) {
          if (H[d] !== 0 || L[d] < 0) {
            throw new BpfError("helper", `Unknown helper 0x${toBig(L[d], H[d]).toString(16)}`, {
              pc,
            });
          }
          id = L[d];
        }
        if (callHelper(m, id, pc)) {
          m.lastCount = count;
          return count;
        }
        break;
      }
      case 0x95:
        if (depth === 0) {
          m.lastCount = count;
          return count;
        } else {
          depth--;
          const f = depth * 11;
          for (let r = 6; r <= 9; r++) {
            L[r] = frames[f + 2 * r - 11];
            H[r] = frames[f + 2 * r - 10];
          }
          L[10] = frames[f + 9];
          H[10] = frames[f + 10];
          pc = frames[f];
          continue;
        }
      default: {
        const cls = op & 7;
        if (cls === 5) {
          const blo = op & 8 ? L[src[pc]] : imms[pc];
          const bhi = op & 8 ? H[src[pc]] : imms[pc] >> 31;
          if (cmp64(op & 0xf0, L[d], H[d], blo, bhi)) pc += offs[pc];
          break;
        }
        if (cls === 6) {
          if (cmp32(op & 0xf0, L[d], op & 8 ? L[src[pc]] : imms[pc])) pc += offs[pc];
          break;
        }
        m.lastCount = count;
        if (pc >= m.slots) {
          throw new BpfError("jump", "Execution fell off the end of the program", { pc });
        }
        throw new BpfError("decode", `Unknown opcode 0x${op.toString(16)}`, { pc });
      }
    }
    pc++;
  }
}
