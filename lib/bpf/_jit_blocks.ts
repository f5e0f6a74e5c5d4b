/**
 * The JIT's view of a program's control flow: where basic blocks start, which instructions jump
 * to each slot, and which loops are simple enough to become native JavaScript loops.
 *
 * @module
 */
import { EBPF } from "./opcodes.ts";
import type { Machine } from "./_machine.ts";

const { CLASS_MASK, CLASS_LD, CLASS_JMP, CLASS_JMP32, CALL_SRC_LOCAL } = EBPF;
const { LDDW, JA32, CALL, CALLX, EXIT, ATOMIC32, ATOMIC64 } = EBPF;

/** Straight-line code is cut into blocks of at most this many instructions. */
const MAX_BLOCK = 200;

/** The control flow the code generator works from. */
export interface JitBlocks {
  /** 1 at every slot that starts a basic block (and at the end slot `n`). */
  leader: Uint8Array;
  /** For each slot: the slots of the jumps, local calls and call returns that go there. */
  sources: number[][];
  /**
   * For each slot that heads a simple loop (reached by a backward jump, entered by no other jump
   * and free of local calls), the last slot of the loop; -1 elsewhere.
   */
  regionEnd: Int32Array;
  /** Whether the program makes local calls (then `exit` may return to a caller). */
  hasCalls: boolean;
}

/** Whether the instruction at a slot is a local call (`call local`). */
function isLocalCall(m: Machine, pc: number): boolean {
  return m.opc[pc] === CALL && m.src[pc] === CALL_SRC_LOCAL;
}

/**
 * Finds the basic blocks, jump sources and simple loops of a prepared program.
 *
 * @param m The prepared program (jump targets already checked).
 * @returns The blocks.
 */
export function findBlocks(m: Machine): JitBlocks {
  const n = m.slots;
  const { opc, off, imm } = m;
  // Block leaders.
  const leader = new Uint8Array(n + 1);
  leader[0] = 1;
  leader[n] = 1;
  for (let pc = 0; pc < n; pc++) {
    const op = opc[pc];
    const cls = op & CLASS_MASK;
    if (op === LDDW) {
      pc++;
      continue;
    }
    if (cls === CLASS_JMP || cls === CLASS_JMP32) {
      leader[pc + 1] = 1;
      if (isLocalCall(m, pc)) leader[pc + 1 + imm[pc]] = 1;
      else if (op === JA32) leader[pc + 1 + imm[pc]] = 1;
      else if (op !== CALL && op !== CALLX && op !== EXIT) leader[pc + 1 + off[pc]] = 1;
    } else if (op === ATOMIC32 || op === ATOMIC64 || (cls === CLASS_LD && op !== LDDW)) {
      leader[pc + 1] = 1;
    }
  }
  // Cut long straight-line code so that it can be spread over several functions.
  for (let pc = 0, run = 0; pc < n; pc += opc[pc] === LDDW ? 2 : 1) {
    if (leader[pc] || run >= MAX_BLOCK) {
      leader[pc] = 1;
      run = 0;
    }
    run++;
  }
  let hasCalls = false;
  for (let pc = 0; pc < n; pc++) if (isLocalCall(m, pc)) hasCalls = true;
  // Explicit jump sources per target (jumps, local calls and their return points).
  const sources: number[][] = Array.from({ length: n + 1 }, () => []);
  for (let pc = 0; pc < n; pc++) {
    const op = opc[pc];
    if (op === LDDW) {
      pc++;
      continue;
    }
    const cls = op & CLASS_MASK;
    if (cls !== CLASS_JMP && cls !== CLASS_JMP32) continue;
    if (isLocalCall(m, pc)) {
      sources[pc + 1 + imm[pc]].push(pc);
      sources[pc + 1].push(pc);
    } else if (op === JA32) sources[pc + 1 + imm[pc]].push(pc);
    else if (op !== CALL && op !== CALLX && op !== EXIT) sources[pc + 1 + off[pc]].push(pc);
  }
  // Simple loops become native JavaScript loops: a header T reached by a backward jump from S,
  // with no other jump into (T, S] than forward jumps from inside and no local call inside, is
  // emitted as `for(;;)` whose back-edges are `continue` and whose forward jumps leave labelled
  // blocks, avoiding the block dispatcher.
  const regionEnd = new Int32Array(n + 1).fill(-1);
  for (let t = 0; t < n; t++) {
    let end = -1;
    for (const s of sources[t]) {
      if (s >= t && !isLocalCall(m, s)) end = Math.max(end, s);
    }
    if (end < 0) continue;
    let ok = true;
    for (let q = t; q <= end && ok; q++) {
      // Forward jumps from inside the loop are fine (labelled blocks, `loopTargets`).
      if (q > t && sources[q].some((s) => s < t || s >= q)) ok = false;
      if (isLocalCall(m, q)) ok = false;
      if (q > t && regionEnd[q] >= 0) ok = false;
    }
    if (ok) regionEnd[t] = end;
  }
  return { leader, sources, regionEnd, hasCalls };
}

/**
 * The slots of a simple loop that jumps inside it go forward to, in increasing order: the
 * loop's code opens a block labelled `J<slot>` for each at its start (the largest outermost) and
 * closes it just before the slot, so that those jumps are `break J<slot>`.
 *
 * @param m The prepared program.
 * @param head The loop's first slot.
 * @param end Its last slot.
 * @returns The targets.
 */
export function forwardTargets(m: Machine, head: number, end: number): number[] {
  const { opc, off, imm } = m;
  const targets = new Set<number>();
  for (let q = head; q <= end; q += opc[q] === LDDW ? 2 : 1) {
    const op = opc[q], cls = op & CLASS_MASK;
    if (cls !== CLASS_JMP && cls !== CLASS_JMP32) continue;
    if (op === CALL || op === CALLX || op === EXIT) continue;
    const t = q + 1 + (op === JA32 ? imm[q] : off[q]);
    if (t > q && t <= end) targets.add(t);
  }
  return [...targets].sort((a, b) => a - b);
}

/**
 * Counts the instructions of the basic block starting at `pc` (an `lddw` counts once).
 *
 * @param m The prepared program.
 * @param leader The block leaders.
 * @param pc The block's first slot.
 * @returns The number of instructions.
 */
export function blockLength(m: Machine, leader: Uint8Array, pc: number): number {
  let len = 0;
  for (let q = pc; q < m.slots && (q === pc || !leader[q]); q++) {
    len++;
    if (m.opc[q] === LDDW) q++;
  }
  return len;
}
