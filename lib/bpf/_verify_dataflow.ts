/**
 * The verifier's register data flow, computed backwards over the control-flow graph before the
 * walk: which registers each instruction reads and writes, which are live (read later before
 * being written), and which are precise (their value can reach a safety check). The walk tells
 * remembered states apart only by live registers, and by the values of precise scalars only.
 *
 * @module
 */
import type { BpfInstruction } from "./instruction.ts";
import { EBPF } from "./opcodes.ts";

const { CLASS_MASK, CLASS_LD, CLASS_LDX, CLASS_ST, CLASS_ALU, CLASS_JMP, CLASS_JMP32 } = EBPF;
const { CLASS_ALU64, SRC_X, OP_MASK, MODE_MASK, MODE_IND, MODE_ATOMIC, ALU_NEG, ALU_MOV } = EBPF;
const { ALU_END, JMP_JA, ATOMIC_FETCH, ATOMIC_CMPXCHG, LDDW, CALL, CALLX, EXIT } = EBPF;

/** Registers r1–r5 as a bit set: the arguments a call reads and clobbers. */
const R1_5 = 0b111110;
/** All eleven registers. */
const ALL_REGS = 0x7ff;

/**
 * The registers one instruction reads and writes, as bit sets (bit r for register r), in a
 * record of three words.
 */
const EFFECT_ALU_READS = 0, EFFECT_OTHER_READS = 1, EFFECT_WRITES = 2;

/**
 * Fills `out` with the registers an instruction reads and writes: `EFFECT_ALU_READS`, the
 * operands an ALU instruction reads to compute its destination; `EFFECT_OTHER_READS`, every other
 * read (branch operands, addresses, stored values, helper and call arguments, R0 at exit);
 * `EFFECT_WRITES`, what it writes (never r10).
 */
function registerEffects(x: BpfInstruction, out: Uint16Array): void {
  const cls = x.opcode & CLASS_MASK, op = x.opcode & OP_MASK, useX = (x.opcode & SRC_X) !== 0;
  let f = 0, u = 0, d = 0;
  if (cls === CLASS_ALU || cls === CLASS_ALU64) {
    if (op !== ALU_MOV) f |= 1 << x.dst;
    if (useX && op !== ALU_END && op !== ALU_NEG) f |= 1 << x.src;
    d |= 1 << x.dst;
  } else if (cls === CLASS_JMP || cls === CLASS_JMP32) {
    if (x.opcode === EXIT) u |= 1;
    else if (x.opcode === CALL || x.opcode === CALLX) {
      u |= R1_5;
      if (x.opcode === CALLX) u |= 1 << x.dst;
      d |= 1 | R1_5;
    } else if (op !== JMP_JA) {
      u |= 1 << x.dst;
      if (useX) u |= 1 << x.src;
    }
  } else if (cls === CLASS_LD) {
    if (x.opcode === LDDW) d |= 1 << x.dst;
    else {
      if ((x.opcode & MODE_MASK) === MODE_IND) u |= 1 << x.src;
      d |= 1 | R1_5;
    }
  } else if (cls === CLASS_LDX) {
    u |= 1 << x.src;
    d |= 1 << x.dst;
  } else if (cls === CLASS_ST) u |= 1 << x.dst;
  else {
    u |= (1 << x.dst) | (1 << x.src);
    if ((x.opcode & MODE_MASK) === MODE_ATOMIC) {
      if (x.imm === ATOMIC_CMPXCHG) u |= 1;
      d |= x.imm === ATOMIC_CMPXCHG ? 1 : (x.imm & ATOMIC_FETCH) ? 1 << x.src : 0;
    }
  }
  out[EFFECT_ALU_READS] = f;
  out[EFFECT_OTHER_READS] = u;
  out[EFFECT_WRITES] = d & ~(1 << 10);
}

/**
 * Backward data flow: for each instruction, the registers some path reads before writing.
 *
 * @param ins The instructions.
 * @param succ The successors of each instruction.
 * @returns A bit set of registers per instruction.
 */
export function liveRegisters(ins: readonly BpfInstruction[], succ: number[][]): Uint16Array {
  const n = ins.length;
  const use = new Uint16Array(n), def = new Uint16Array(n);
  const fx = new Uint16Array(3);
  for (let i = 0; i < n; i++) {
    registerEffects(ins[i], fx);
    use[i] = fx[EFFECT_ALU_READS] | fx[EFFECT_OTHER_READS];
    def[i] = fx[EFFECT_WRITES];
  }
  const live = new Uint16Array(n);
  for (let changed = true; changed;) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      let out = 0;
      for (const t of succ[i]) out |= live[t];
      const v = (use[i] | (out & ~def[i])) & ALL_REGS;
      if (v !== live[i]) {
        live[i] = v;
        changed = true;
      }
    }
  }
  return live;
}

/**
 * Backward data flow like liveness, but a register counts only when its value can reach
 * something that safety or the path depends on: a branch condition, a memory address, a
 * stored value, a helper or local-call argument, a callee's return value. Scalars outside this
 * set are compared as "some scalar" when states are pruned, so programs that only accumulate
 * results do not multiply paths.
 *
 * @param ins The instructions.
 * @param succ The successors of each instruction.
 * @param subOf The subprogram of each instruction.
 * @returns A bit set of registers per instruction.
 */
export function preciseRegisters(
  ins: readonly BpfInstruction[],
  succ: number[][],
  subOf: Int32Array,
): Uint16Array {
  const n = ins.length;
  // sens: registers used sensitively; flow: for ALU, dst needed after ⇒ these needed before.
  const sens = new Uint16Array(n), def = new Uint16Array(n), flow = new Uint16Array(n);
  const dstOf = new Int8Array(n).fill(-1);
  const fx = new Uint16Array(3);
  for (let i = 0; i < n; i++) {
    const x = ins[i];
    registerEffects(x, fx);
    const cls = x.opcode & CLASS_MASK;
    if (cls === CLASS_ALU || cls === CLASS_ALU64) dstOf[i] = x.dst;
    // The main program's exit value is the verdict, not something safety depends on.
    sens[i] = x.opcode === EXIT && subOf[i] === 0 ? 0 : fx[EFFECT_OTHER_READS];
    def[i] = fx[EFFECT_WRITES];
    flow[i] = fx[EFFECT_ALU_READS];
  }
  const need = new Uint16Array(n);
  for (let changed = true; changed;) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      let out = 0;
      for (const t of succ[i]) out |= need[t];
      let v = sens[i] | (out & ~def[i]);
      if (dstOf[i] >= 0 && (out >> dstOf[i]) & 1) v |= flow[i];
      v &= ALL_REGS;
      if (v !== need[i]) {
        need[i] = v;
        changed = true;
      }
    }
  }
  return need;
}
