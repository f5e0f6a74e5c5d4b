/**
 * Checking classic BPF programs with the rules of the Linux kernel's `bpf_check_classic`.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import type { CbpfInstruction } from "./cbpf.ts";
import { CBPF, CBPF_MAX_INSNS, CBPF_MEMWORDS, CBPF_MNEMONICS } from "./_cbpf_opcodes.ts";

const { LD, LDX, ST, STX, ALU, JMP, RET, MEM, X, DIV, MOD, LSH, RSH, JA } = CBPF;
const { CLASS_MASK, MODE_MASK, OP_MASK } = CBPF;

/**
 * Checks a classic program the way the Linux kernel's `bpf_check_classic` does: 1 to 4096
 * instructions, known opcodes only, no division or modulo by a constant 0, constant shifts below
 * 32, scratch-memory indexes below 16, every jump forward and inside the program, the last
 * instruction a `ret`, and no scratch word read before it is written on every path.
 *
 * @param program The instructions.
 * @returns Nothing; throws a `BpfError` with code `"cbpf-invalid"` and the instruction index.
 * @example
 * ```ts
 * import { validateCbpf } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * validateCbpf([{ code: 0x06, jt: 0, jf: 0, k: 0xffff }]); // ret #65535
 * assert.throws(() => validateCbpf([{ code: 0x00, jt: 0, jf: 0, k: 0 }]), /not a ret/);
 * ```
 */
export function validateCbpf(program: readonly CbpfInstruction[]): void {
  const n = program.length;
  if (n === 0 || n > CBPF_MAX_INSNS) {
    throw invalid(`Classic program has ${n} instructions; 1 to ${CBPF_MAX_INSNS} are allowed`, 0);
  }
  for (let pc = 0; pc < n; pc++) {
    const ins = program[pc];
    checkFields(ins, pc);
    if (!CBPF_MNEMONICS.has(ins.code)) {
      throw invalid(`Unknown classic opcode 0x${ins.code.toString(16)}`, pc);
    }
    const cls = ins.code & CLASS_MASK;
    const op = ins.code & OP_MASK;
    if (cls === ALU && (ins.code & X) === 0) {
      if ((op === DIV || op === MOD) && ins.k === 0) {
        throw invalid(`Division by constant zero`, pc);
      }
      if ((op === LSH || op === RSH) && ins.k >= 32) {
        throw invalid(`Shift by ${ins.k} (at least 32)`, pc);
      }
    }
    if (
      ((cls === LD || cls === LDX) && (ins.code & MODE_MASK) === MEM) || cls === ST || cls === STX
    ) {
      if (ins.k >= CBPF_MEMWORDS) {
        throw invalid(`Scratch memory index ${ins.k} out of range 0-15`, pc);
      }
    }
    if (cls === JMP) {
      if (op === JA) {
        if (ins.k >= n - pc - 1) {
          throw invalid(`Jump goes past the end of the program`, pc);
        }
      } else if (pc + ins.jt + 1 >= n || pc + ins.jf + 1 >= n) {
        throw invalid(`Jump goes past the end of the program`, pc);
      }
    }
  }
  if ((program[n - 1].code & CLASS_MASK) !== RET) {
    throw invalid(`The last instruction is not a ret`, n - 1);
  }
  checkScratch(program);
}

function checkFields(ins: CbpfInstruction, pc: number): void {
  const ok = Number.isInteger(ins.code) && ins.code >= 0 && ins.code <= 0xffff &&
    Number.isInteger(ins.jt) && ins.jt >= 0 && ins.jt <= 0xff &&
    Number.isInteger(ins.jf) && ins.jf >= 0 && ins.jf <= 0xff &&
    Number.isInteger(ins.k) && ins.k >= 0 && ins.k <= 0xffffffff;
  if (!ok) {
    throw invalid(
      `Field out of range (code 16 bits, jt/jf 8 bits, k 32 bits)`,
      pc,
    );
  }
}

/** The kernel's `check_load_and_stores`: a scratch word is read only after a store on every path. */
function checkScratch(program: readonly CbpfInstruction[]): void {
  const n = program.length;
  const valid = new Int32Array(n).fill(-1); // bitmask of words stored on every path reaching pc; -1 = unknown
  valid[0] = 0;
  for (let pc = 0; pc < n; pc++) {
    if (valid[pc] === -1) continue; // unreachable: the kernel skips it too
    let mem = valid[pc];
    const ins = program[pc];
    const cls = ins.code & CLASS_MASK;
    if (cls === ST || cls === STX) mem |= 1 << ins.k;
    if (
      (cls === LD || cls === LDX) && (ins.code & MODE_MASK) === MEM && (mem & (1 << ins.k)) === 0
    ) {
      throw invalid(`Scratch word M[${ins.k}] read before it is written`, pc);
    }
    const merge = (to: number) => {
      valid[to] = valid[to] === -1 ? mem : valid[to] & mem;
    };
    if (cls === RET) continue;
    if (cls === JMP) {
      if ((ins.code & OP_MASK) === JA) merge(pc + 1 + ins.k);
      else {
        merge(pc + 1 + ins.jt);
        merge(pc + 1 + ins.jf);
      }
    } else merge(pc + 1);
  }
}

function invalid(message: string, pc: number): BpfError {
  return new BpfError("cbpf-invalid", message, { pc });
}
