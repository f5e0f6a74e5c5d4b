/**
 * The verifier's register data flow, computed backwards over the control-flow graph before the
 * walk: which registers each instruction reads and writes, which are live (read later before
 * being written), and which are precise (their value can reach a safety check). The walk tells
 * remembered states apart only by live registers, and by the values of precise scalars only.
 *
 * @module
 */
import type { BpfInstruction } from "./instruction.ts";
import { accessBytes, EBPF } from "./opcodes.ts";

const { CLASS_MASK, CLASS_LD, CLASS_LDX, CLASS_ST, CLASS_STX, CLASS_ALU, CLASS_JMP } = EBPF;
const { CLASS_JMP32 } = EBPF;
const { CLASS_ALU64, SRC_X, OP_MASK, MODE_MASK, MODE_IND, MODE_MEM, MODE_ATOMIC } = EBPF;
const { ALU_NEG, ALU_MOV } = EBPF;
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
 * @param stackMatters For a store of a register at `[R10 + off]`: whether the stored bytes can
 *   matter (default: every stored value does).
 * @returns A bit set of registers per instruction.
 */
function preciseRegisters(
  ins: readonly BpfInstruction[],
  succ: number[][],
  subOf: Int32Array,
  stackMatters?: (i: number) => boolean,
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
    // A value stored in the frame's own stack matters only if it is loaded where it matters.
    if (
      cls === CLASS_STX && (x.opcode & MODE_MASK) === MODE_MEM && x.dst === 10 &&
      x.src !== 10 && stackMatters !== undefined && !stackMatters(i)
    ) sens[i] &= ~(1 << x.src);
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

/**
 * Which stack bytes of a subprogram can matter for safety: per 8-byte slot (index `s` for bytes
 * `[-8(s+1), -8s)`), a mask of the bytes some `R10`-based load (or atomic fetch) reads into a
 * register that is precise afterwards; `null` when every byte counts — the subprogram uses `R10`
 * as a value (`mov rX, r10` …), so its stack may be reached through other pointers.
 */
export type StackPrecision = Map<number, number> | null;

/**
 * Whether each subprogram uses `R10` as a value (not only as the base of loads and stores), so
 * that its stack may be reached through other registers, helpers and callees.
 *
 * @param ins The instructions.
 * @param subOf The subprogram of each instruction.
 * @param subprograms The number of subprograms.
 * @returns Per subprogram, whether its stack escapes.
 */
function stackEscapes(
  ins: readonly BpfInstruction[],
  subOf: Int32Array,
  subprograms: number,
): boolean[] {
  const out = new Array<boolean>(subprograms).fill(false);
  for (let i = 0; i < ins.length; i++) {
    const x = ins[i];
    const cls = x.opcode & CLASS_MASK, useX = (x.opcode & SRC_X) !== 0;
    let escapes = false;
    if (cls === CLASS_STX) escapes = x.src === 10;
    else if (cls === CLASS_ALU || cls === CLASS_ALU64) {
      escapes = (useX && x.src === 10) || x.dst === 10;
    } else if (cls === CLASS_JMP || cls === CLASS_JMP32) {
      if (x.opcode === CALLX) escapes = x.dst === 10;
      else if ((x.opcode & OP_MASK) !== JMP_JA && x.opcode !== EXIT && x.opcode !== CALL) {
        escapes = x.dst === 10 || (useX && x.src === 10); // compares R10
      }
    } else if (cls === CLASS_LD && (x.opcode & MODE_MASK) === MODE_IND) escapes = x.src === 10;
    if (escapes) out[subOf[i]] = true;
  }
  return out;
}

function addBytes(m: Map<number, number>, off: number, size: number): void {
  for (let a = off; a < off + size; a++) {
    if (a >= 0) continue;
    const slot = (-a - 1) >> 3, b = a + 8 * (slot + 1);
    m.set(slot, (m.get(slot) ?? 0) | (1 << b));
  }
}

function overlaps(m: StackPrecision, off: number, size: number): boolean {
  if (m === null) return true;
  for (let a = off; a < off + size; a++) {
    if (a >= 0) continue;
    const slot = (-a - 1) >> 3, b = a + 8 * (slot + 1);
    if (((m.get(slot) ?? 0) >> b) & 1) return true;
  }
  return false;
}

/**
 * The stack bytes of each subprogram that `R10`-based loads read into precise registers.
 *
 * @param ins The instructions.
 * @param succ The successors of each instruction.
 * @param subOf The subprogram of each instruction.
 * @param precise The precise registers before each instruction.
 * @param escaped Per subprogram, whether its stack escapes (then all of it counts).
 * @returns Per subprogram, its precise stack bytes.
 */
function preciseStack(
  ins: readonly BpfInstruction[],
  succ: number[][],
  subOf: Int32Array,
  precise: Uint16Array,
  escaped: readonly boolean[],
): StackPrecision[] {
  const out: StackPrecision[] = escaped.map((e) => e ? null : new Map());
  for (let i = 0; i < ins.length; i++) {
    const x = ins[i];
    const m = out[subOf[i]];
    if (m === null) continue;
    const cls = x.opcode & CLASS_MASK;
    let after = 0;
    for (const t of succ[i]) after |= precise[t];
    if (cls === CLASS_LDX) {
      if (x.src === 10 && ((after >> x.dst) & 1)) addBytes(m, x.offset, accessBytes(x.opcode));
    } else if (cls === CLASS_STX && x.dst === 10 && (x.opcode & MODE_MASK) === MODE_ATOMIC) {
      // The old value comes back: into R0 (cmpxchg) or the source (fetch).
      const loaded = x.imm === ATOMIC_CMPXCHG ? 0 : (x.imm & ATOMIC_FETCH) ? x.src : -1;
      if (loaded >= 0 && ((after >> loaded) & 1)) addBytes(m, x.offset, accessBytes(x.opcode));
    }
  }
  return out;
}

/** Rounds of the joint register/stack precision analysis before it gives up on the stack. */
const PRECISION_ROUNDS = 8;

/**
 * Precision of registers and of stack bytes together: a value stored in a slot is precise when
 * the slot is loaded into a precise register, and a slot is precise when a load from it feeds one
 * (iterated to a fixed point; after a few rounds every stack byte counts).
 *
 * @param ins The instructions.
 * @param succ The successors of each instruction.
 * @param subOf The subprogram of each instruction.
 * @param subprograms The number of subprograms.
 * @returns The precise registers per instruction and the precise stack bytes per subprogram.
 */
export function precision(
  ins: readonly BpfInstruction[],
  succ: number[][],
  subOf: Int32Array,
  subprograms: number,
): { registers: Uint16Array; stack: StackPrecision[] } {
  const escaped = stackEscapes(ins, subOf, subprograms);
  let stack: StackPrecision[] = escaped.map((e) => e ? null : new Map());
  const matters = (i: number) =>
    overlaps(stack[subOf[i]], ins[i].offset, accessBytes(ins[i].opcode));
  for (let round = 0; round < PRECISION_ROUNDS; round++) {
    const registers = preciseRegisters(ins, succ, subOf, matters);
    const next = preciseStack(ins, succ, subOf, registers, escaped);
    if (sameStack(stack, next)) return { registers, stack };
    stack = next;
  }
  return {
    registers: preciseRegisters(ins, succ, subOf),
    stack: escaped.map(() => null),
  };
}

function sameStack(a: StackPrecision[], b: StackPrecision[]): boolean {
  for (let k = 0; k < a.length; k++) {
    const x = a[k], y = b[k];
    if (x === null || y === null) {
      if (x !== y) return false;
      continue;
    }
    if (x.size !== y.size) return false;
    for (const [s, m] of x) if (y.get(s) !== m) return false;
  }
  return true;
}
