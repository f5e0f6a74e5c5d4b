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
import { type CbpfInstruction, validateCbpf } from "./cbpf.ts";
import { type Instruction, type Program, programOf } from "./instruction.ts";

/** Options for {@linkcode cbpfToEbpf}. */
export interface CbpfToEbpfOptions {
  /**
   * The largest packet the program will see (default 65,535): indexed loads are bounded by it,
   * which is what lets the verifier prove them in bounds.
   */
  maxPacket?: number;
}

const A = 0, X = 8, PKT = 6, LEN = 7, T1 = 3, T2 = 4;

function ins(opcode: number, dst = 0, src = 0, offset = 0, imm = 0): Instruction {
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
 * import { cbpfToEbpf } from "./cbpf_ebpf.ts";
 * import { BpfVm } from "./vm.ts";
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
): Program {
  validateCbpf(program);
  const max = options.maxPacket ?? 65535;
  if (!Number.isInteger(max) || max < 0 || max > 0x7fff_0000) {
    throw new RangeError(`maxPacket must be 0 to 2^31, got ${max}`);
  }
  const out: Instruction[] = [];
  // Jumps to fix once every classic instruction's first eBPF instruction is known:
  // [eBPF index, classic target] or [eBPF index, -1] for "return 0".
  const fix: [number, number][] = [];
  const startOf: number[] = [];
  const emit = (...list: Instruction[]) => out.push(...list);
  const jumpTo = (opcode: number, dst: number, src: number, imm: number, target: number) => {
    fix.push([out.length, target]);
    emit(ins(opcode, dst, src, 0, imm));
  };
  const ret0 = (opcode: number, dst: number, src: number, imm: number) =>
    jumpTo(opcode, dst, src, imm, -1);

  emit(
    ins(0xbf, PKT, 1), // mov r6, r1
    ins(0xbf, LEN, 2), // mov r7, r2
    ins(0xb4, A, 0, 0, 0), // mov32 r0, 0
    ins(0xb4, X, 0, 0, 0), // mov32 r8, 0
  );
  /** Loads `size` big-endian bytes at packet offset `k` (constant) into `dst`, or returns 0. */
  const loadAbs = (dst: number, k: number, size: number): boolean => {
    if (k + size > max) {
      ret0(0x05, 0, 0, 0); // never in the packet: ja return-0
      return false;
    }
    ret0(0xa5, LEN, 0, k + size); // jlt r7, k+size → return 0
    const op = size === 4 ? 0x61 : size === 2 ? 0x69 : 0x71;
    if (k <= 0x7fff) emit(ins(op, dst, PKT, k));
    else emit(ins(0xbf, T1, PKT), ins(0x07, T1, 0, 0, k), ins(op, dst, T1, 0));
    if (size > 1) emit(ins(0xdc, dst, 0, 0, size * 8)); // be16/be32
    return true;
  };
  /** Loads `size` bytes at X + k, with the bounds checks classic BPF implies. */
  const loadInd = (k: number, size: number) => {
    if (max < size || k > max - size) {
      ret0(0x05, 0, 0, 0); // X + k is past any packet: ja return-0
      return;
    }
    emit(ins(0xbc, T1, X), ins(0x07, T1, 0, 0, k)); // r3 = X (zero-extended) + k, 64-bit: no wrap
    ret0(0x25, T1, 0, max - size); // jgt r3, max-size → return 0 (also bounds it for the verifier)
    emit(ins(0xbf, T2, T1), ins(0x07, T2, 0, 0, size)); // r4 = r3 + size
    ret0(0x2d, T2, LEN, 0); // jgt r4, r7 → return 0
    emit(ins(0xbf, T2, PKT), ins(0x0f, T2, T1)); // r4 = packet + r3
    const op = size === 4 ? 0x61 : size === 2 ? 0x69 : 0x71;
    emit(ins(op, A, T2, 0));
    if (size > 1) emit(ins(0xdc, A, 0, 0, size * 8));
  };
  const slot = (k: number) => -4 * (k + 1);

  const live = reachable(program, max);
  for (let pc = 0; pc < program.length; pc++) {
    startOf.push(out.length);
    if (!live[pc]) continue; // the eBPF verifier refuses unreachable code
    const { code, jt, jf } = program[pc];
    const k = program[pc].k >>> 0;
    const cls = code & 7;
    switch (cls) {
      case 0x00: { // LD
        const mode = code & 0xe0, size = [4, 2, 1, 0][(code >> 3) & 3];
        if (mode === 0x00) emit(ins(0xb4, A, 0, 0, k));
        else if (mode === 0x20) loadAbs(A, k, size);
        else if (mode === 0x40) loadInd(k, size);
        else if (mode === 0x60) emit(ins(0x61, A, 10, slot(k)));
        else emit(ins(0xbc, A, LEN)); // len
        break;
      }
      case 0x01: { // LDX
        const mode = code & 0xe0;
        if (mode === 0x00) emit(ins(0xb4, X, 0, 0, k));
        else if (mode === 0x60) emit(ins(0x61, X, 10, slot(k)));
        else if (mode === 0x80) emit(ins(0xbc, X, LEN));
        else { // msh: X = (P[k] & 0xf) << 2
          if (loadAbs(X, k, 1)) emit(ins(0x54, X, 0, 0, 0xf), ins(0x64, X, 0, 0, 2));
        }
        break;
      }
      case 0x02:
        emit(ins(0x63, 10, A, slot(k)));
        break;
      case 0x03:
        emit(ins(0x63, 10, X, slot(k)));
        break;
      case 0x04: { // ALU (32-bit)
        const op = code & 0xf0;
        if (op === 0x80) {
          emit(ins(0x84, A));
          break;
        }
        if ((code & 8) === 0) {
          emit(ins(0x04 | op, A, 0, 0, k));
          break;
        }
        if (op === 0x30 || op === 0x90) ret0(0x16, X, 0, 0); // jeq32 r8, 0 → return 0
        if (op === 0x60 || op === 0x70) {
          // Shifts by X ≥ 32 give 0 (libpcap); eBPF would mask the count.
          emit(ins(0xa6, X, 0, 2, 32), ins(0xb4, A, 0, 0, 0), ins(0x05, 0, 0, 1, 0));
        }
        emit(ins(0x0c | op, A, X));
        break;
      }
      case 0x05: { // JMP (forward only)
        const op = code & 0xf0;
        if (op === 0x00) {
          fix.push([out.length, pc + 1 + k]);
          emit(ins(0x05));
          break;
        }
        const T = pc + 1 + jt, F = pc + 1 + jf;
        const useX = (code & 8) !== 0;
        const j32 = 0x06 | op | (useX ? 8 : 0);
        if (T === F) {
          fix.push([out.length, T]);
          emit(ins(0x05));
        } else {
          jumpTo(j32, A, useX ? X : 0, useX ? 0 : k, T);
          if (F !== pc + 1) {
            fix.push([out.length, F]);
            emit(ins(0x05));
          }
        }
        break;
      }
      case 0x06: // RET
        if ((code & 0x18) === 0x10) emit(ins(0x95));
        else emit(ins(0xb4, A, 0, 0, k), ins(0x95));
        break;
      default: // MISC
        if ((code & 0xf8) === 0x80) emit(ins(0xbc, A, X));
        else emit(ins(0xbc, X, A));
    }
  }
  // The shared "return 0" tail, when something jumps to it.
  const zero = out.length;
  if (fix.some(([, t]) => t < 0)) emit(ins(0xb4, A, 0, 0, 0), ins(0x95));
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
    const cls = code & 7, mode = code & 0xe0, size = [4, 2, 1, 0][(code >> 3) & 3];
    if (cls === 6) continue;
    if (cls === 0 && mode === 0x20 && k + size > max) continue;
    if (cls === 0 && mode === 0x40 && (max < size || k > max - size)) continue;
    if (cls === 1 && mode === 0xa0 && k + 1 > max) continue;
    if (cls === 5) {
      if ((code & 0xf0) === 0) live[pc + 1 + k] = 1;
      else {
        live[pc + 1 + jt] = 1;
        live[pc + 1 + jf] = 1;
      }
    } else live[pc + 1] = 1;
  }
  return live;
}
