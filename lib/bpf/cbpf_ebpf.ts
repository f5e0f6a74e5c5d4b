/**
 * Translating classic BPF into eBPF, as the Linux kernel does for socket filters, so that a
 * `tcpdump` filter can go through the eBPF verifier and run in the eBPF interpreter or JIT of a
 * {@linkcode BpfVm}.
 *
 * Register use: `A` is R0, `X` is R8, the packet pointer is kept in R6 and the captured length in
 * R7 (from R1/R2 at entry); scratch word `M[k]` is the 4 bytes at `R10 - 4(k+1)`. Every classic
 * load is preceded by a length check that ends the program with 0, as classic BPF does; divisions
 * by `X = 0` return 0 and shifts by `X ≥ 32` give 0, as in libpcap. `BPF_LEN` loads the captured
 * length (the eBPF input carries no separate wire length).
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import type { CbpfInstruction } from "./cbpf.ts";
import { validateCbpf } from "./cbpf_validate.ts";
import { type BpfInstruction, type BpfProgram, programOf } from "./instruction.ts";
import { EBPF } from "./opcodes.ts";
import { CBPF } from "./_cbpf_opcodes.ts";

const { MOV64_REG, MOV32_IMM, MOV32_REG, ADD64_IMM, ADD64_REG, AND32_IMM, LSH32_IMM, NEG32 } = EBPF;
const { LDXW, LDXH, LDXB, STXW, BE, JA, JLT_IMM, JGT_IMM, JGT_REG, JEQ32_IMM, JLT32_IMM } = EBPF;
const { EXIT, CLASS_ALU, CLASS_JMP32, SRC_X } = EBPF;

/**
 * Options for {@linkcode cbpfToEbpf}.
 *
 * @example
 * ```ts
 * import { cbpfToEbpf, type CbpfToEbpfOptions, parseCbpf, verifyProgram } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const options: CbpfToEbpfOptions = { maxPacket: 1514 };
 * const prog = cbpfToEbpf(parseCbpf("2\n48 0 0 0\n22 0 0 0\n"), options); // ldb [0]; ret a
 * assert.equal(verifyProgram(prog, { input: { kind: "packet", size: 1514 } }).subprograms, 1);
 * ```
 */
export interface CbpfToEbpfOptions {
  /**
   * The largest packet the program will see (default 65,535): indexed loads are bounded by it,
   * which is what lets the verifier prove them in bounds.
   */
  maxPacket?: number;
}

/** The eBPF registers that hold the classic machine's state and temporaries. */
const A = 0, X = 8, PKT = 6, LEN = 7, T1 = 3, T2 = 4;
/** The frame pointer. */
const FP = 10;

/** Bytes a classic load of this opcode reads (`W`, `H`, `B`; 0 for the size-less modes). */
function sizeOf(code: number): number {
  const size = code & CBPF.SIZE_MASK;
  return size === CBPF.W ? 4 : size === CBPF.H ? 2 : size === CBPF.B ? 1 : 0;
}

/** The eBPF load of `size` bytes. */
function loadOf(size: number): number {
  return size === 4 ? LDXW : size === 2 ? LDXH : LDXB;
}

function ins(opcode: number, dst = 0, src = 0, offset = 0, imm = 0): BpfInstruction {
  return { opcode, dst, src, offset, imm: imm | 0 };
}

/**
 * Translates a classic program into an eBPF program whose R0 is the classic return value, for an
 * input of kind `"packet"` (R1 = the packet, R2 = its length).
 *
 * @param program The classic instructions (validated here).
 * @param options The largest packet size.
 * @returns The eBPF program; throws a `BpfError` (`"cbpf-invalid"`) for an invalid classic
 *   program.
 * @example
 * ```ts
 * import { BpfVm, cbpfToEbpf } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * // ldb [0]; jeq #7 → ret #1 : ret #0
 * const prog = cbpfToEbpf([
 *   { code: 0x30, jt: 0, jf: 0, k: 0 },
 *   { code: 0x15, jt: 0, jf: 1, k: 7 },
 *   { code: 0x06, jt: 0, jf: 0, k: 1 },
 *   { code: 0x06, jt: 0, jf: 0, k: 0 },
 * ], { maxPacket: 1514 });
 * const loaded = new BpfVm({ profile: "embedded" }).load(prog, {
 *   input: { kind: "packet", size: 1514 },
 * });
 * assert.equal(loaded.run(new Uint8Array([7])), 1n);
 * assert.equal(loaded.run(new Uint8Array([8])), 0n);
 * assert.equal(loaded.run(new Uint8Array([])), 0n);
 * ```
 */
export function cbpfToEbpf(
  program: readonly CbpfInstruction[],
  options: CbpfToEbpfOptions = {},
): BpfProgram {
  validateCbpf(program);
  const max = options.maxPacket ?? 65535;
  if (!Number.isInteger(max) || max < 0 || max > 0x7fff_0000) {
    throw new RangeError(`maxPacket must be 0 to 2^31, got ${max}`);
  }
  const out: BpfInstruction[] = [];
  // Jumps to fix once every classic instruction's first eBPF instruction is known:
  // [eBPF index, classic target] or [eBPF index, -1] for "return 0".
  const fix: [number, number][] = [];
  const startOf: number[] = [];
  const emit = (...list: BpfInstruction[]) => out.push(...list);
  const jumpTo = (opcode: number, dst: number, src: number, imm: number, target: number) => {
    fix.push([out.length, target]);
    emit(ins(opcode, dst, src, 0, imm));
  };
  const ret0 = (opcode: number, dst: number, src: number, imm: number) =>
    jumpTo(opcode, dst, src, imm, -1);

  emit(
    ins(MOV64_REG, PKT, 1),
    ins(MOV64_REG, LEN, 2),
    ins(MOV32_IMM, A, 0, 0, 0),
    ins(MOV32_IMM, X, 0, 0, 0),
  );
  /** Loads `size` big-endian bytes at packet offset `k` (constant) into `dst`, or returns 0. */
  const loadAbs = (dst: number, k: number, size: number): boolean => {
    if (k + size > max) {
      ret0(JA, 0, 0, 0); // never in the packet
      return false;
    }
    ret0(JLT_IMM, LEN, 0, k + size);
    const op = loadOf(size);
    if (k <= 0x7fff) emit(ins(op, dst, PKT, k));
    else emit(ins(MOV64_REG, T1, PKT), ins(ADD64_IMM, T1, 0, 0, k), ins(op, dst, T1, 0));
    if (size > 1) emit(ins(BE, dst, 0, 0, size * 8));
    return true;
  };
  /** Loads `size` bytes at X + k, with the bounds checks classic BPF implies. */
  const loadInd = (k: number, size: number) => {
    if (max < size || k > max - size) {
      ret0(JA, 0, 0, 0); // X + k is past any packet
      return;
    }
    emit(ins(MOV32_REG, T1, X), ins(ADD64_IMM, T1, 0, 0, k)); // T1 = X (zero-extended) + k
    ret0(JGT_IMM, T1, 0, max - size); // also bounds T1 for the verifier
    emit(ins(MOV64_REG, T2, T1), ins(ADD64_IMM, T2, 0, 0, size)); // T2 = T1 + size
    ret0(JGT_REG, T2, LEN, 0);
    emit(ins(MOV64_REG, T2, PKT), ins(ADD64_REG, T2, T1)); // T2 = packet + T1
    emit(ins(loadOf(size), A, T2, 0));
    if (size > 1) emit(ins(BE, A, 0, 0, size * 8));
  };
  const slot = (k: number) => -4 * (k + 1);

  const live = reachable(program, max);
  for (let pc = 0; pc < program.length; pc++) {
    startOf.push(out.length);
    if (!live[pc]) continue; // the eBPF verifier refuses unreachable code
    const { code, jt, jf } = program[pc];
    const k = program[pc].k >>> 0;
    const cls = code & CBPF.CLASS_MASK;
    switch (cls) {
      case CBPF.LD: {
        const mode = code & CBPF.MODE_MASK, size = sizeOf(code);
        if (mode === CBPF.IMM) emit(ins(MOV32_IMM, A, 0, 0, k));
        else if (mode === CBPF.ABS) loadAbs(A, k, size);
        else if (mode === CBPF.IND) loadInd(k, size);
        else if (mode === CBPF.MEM) emit(ins(LDXW, A, FP, slot(k)));
        else emit(ins(MOV32_REG, A, LEN)); // LEN
        break;
      }
      case CBPF.LDX: {
        const mode = code & CBPF.MODE_MASK;
        if (mode === CBPF.IMM) emit(ins(MOV32_IMM, X, 0, 0, k));
        else if (mode === CBPF.MEM) emit(ins(LDXW, X, FP, slot(k)));
        else if (mode === CBPF.LEN) emit(ins(MOV32_REG, X, LEN));
        else { // MSH: X = (P[k] & 0xf) << 2
          if (loadAbs(X, k, 1)) emit(ins(AND32_IMM, X, 0, 0, 0xf), ins(LSH32_IMM, X, 0, 0, 2));
        }
        break;
      }
      case CBPF.ST:
        emit(ins(STXW, FP, A, slot(k)));
        break;
      case CBPF.STX:
        emit(ins(STXW, FP, X, slot(k)));
        break;
      case CBPF.ALU: { // 32-bit, with the same operation numbers as eBPF
        const op = code & CBPF.OP_MASK;
        if (op === CBPF.NEG) {
          emit(ins(NEG32, A));
          break;
        }
        if ((code & CBPF.SRC_MASK) === CBPF.K) {
          emit(ins(CLASS_ALU | op, A, 0, 0, k));
          break;
        }
        if (op === CBPF.DIV || op === CBPF.MOD) ret0(JEQ32_IMM, X, 0, 0);
        if (op === CBPF.LSH || op === CBPF.RSH) {
          // Shifts by X ≥ 32 give 0 (libpcap); eBPF would mask the count.
          emit(ins(JLT32_IMM, X, 0, 2, 32), ins(MOV32_IMM, A, 0, 0, 0), ins(JA, 0, 0, 1, 0));
        }
        emit(ins(CLASS_ALU | SRC_X | op, A, X));
        break;
      }
      case CBPF.JMP: { // forward only, with the same operation numbers as eBPF
        const op = code & CBPF.OP_MASK;
        if (op === CBPF.JA) {
          fix.push([out.length, pc + 1 + k]);
          emit(ins(JA));
          break;
        }
        const T = pc + 1 + jt, F = pc + 1 + jf;
        const useX = (code & CBPF.SRC_MASK) === CBPF.X;
        const j32 = CLASS_JMP32 | op | (useX ? SRC_X : 0);
        if (T === F) {
          fix.push([out.length, T]);
          emit(ins(JA));
        } else {
          jumpTo(j32, A, useX ? X : 0, useX ? 0 : k, T);
          if (F !== pc + 1) {
            fix.push([out.length, F]);
            emit(ins(JA));
          }
        }
        break;
      }
      case CBPF.RET:
        if ((code & CBPF.RVAL_MASK) === CBPF.A) emit(ins(EXIT));
        else emit(ins(MOV32_IMM, A, 0, 0, k), ins(EXIT));
        break;
      default: // MISC
        if ((code & CBPF.MISC_MASK) === CBPF.TXA) emit(ins(MOV32_REG, A, X));
        else emit(ins(MOV32_REG, X, A));
    }
  }
  // The shared "return 0" tail, when something jumps to it.
  const zero = out.length;
  if (fix.some(([, t]) => t < 0)) emit(ins(MOV32_IMM, A, 0, 0, 0), ins(EXIT));
  for (const [at, target] of fix) {
    const dest = target < 0 ? zero : startOf[target];
    if (dest === undefined) {
      throw new BpfError("cbpf-invalid", `Jump to classic instruction ${target} out of range`);
    }
    const delta = dest - at - 1;
    if (delta < -0x8000 || delta > 0x7fff) {
      throw new BpfError("cbpf-invalid", "Program too long to translate (jump beyond 32767)");
    }
    out[at] = { ...out[at], offset: delta };
  }
  return programOf(out);
}

/**
 * Which classic instructions the translation can reach: like the classic control flow, except
 * that a load beyond `max` always ends the program (packets are never longer).
 */
function reachable(program: readonly CbpfInstruction[], max: number): Uint8Array {
  const live = new Uint8Array(program.length);
  live[0] = 1;
  for (let pc = 0; pc < program.length; pc++) {
    if (!live[pc]) continue;
    const { code, jt, jf } = program[pc];
    const k = program[pc].k >>> 0;
    const cls = code & CBPF.CLASS_MASK, mode = code & CBPF.MODE_MASK, size = sizeOf(code);
    if (cls === CBPF.RET) continue;
    if (cls === CBPF.LD && mode === CBPF.ABS && k + size > max) continue;
    if (cls === CBPF.LD && mode === CBPF.IND && (max < size || k > max - size)) continue;
    if (cls === CBPF.LDX && mode === CBPF.MSH && k + 1 > max) continue;
    if (cls === CBPF.JMP) {
      if ((code & CBPF.OP_MASK) === CBPF.JA) live[pc + 1 + k] = 1;
      else {
        live[pc + 1 + jt] = 1;
        live[pc + 1 + jf] = 1;
      }
    } else live[pc + 1] = 1;
  }
  return live;
}
