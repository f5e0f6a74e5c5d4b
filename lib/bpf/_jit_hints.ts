/**
 * What each register most likely points to, at every instruction: the stack, the run's memory,
 * a map handle loaded by an `lddw`, or a value of that map returned by `map_lookup_elem`. A
 * forward dataflow over the whole program (not just a basic block), so that a pointer checked
 * for null in one block keeps its kind in the next. The JIT uses the kinds to choose the fast
 * path of a load or store and to inline array map lookups; they are only hints — every fast
 * path checks its region, and anything else takes the fully checked path.
 *
 * @module
 */
import { HELPER_ID } from "./helpers.ts";
import { EBPF } from "./opcodes.ts";
import type { Machine } from "./_machine.ts";

const { CLASS_MASK, CLASS_LD, CLASS_LDX, CLASS_ST, CLASS_STX, CLASS_ALU, CLASS_ALU64 } = EBPF;
const { CLASS_JMP, CLASS_JMP32, SRC_X, OP_MASK, MODE_MASK, MODE_ATOMIC } = EBPF;
const { ALU_ADD, ALU_SUB, ALU_MOV, LDDW, JA, JA32, CALL, CALLX, EXIT } = EBPF;
const { CALL_SRC_LOCAL, LDDW_SRC_MAP_BY_FD, LDDW_SRC_MAP_BY_IDX, ATOMIC_FETCH } = EBPF;
const { ATOMIC_CMPXCHG } = EBPF;
const HELPER_LOOKUP = HELPER_ID.MAP_LOOKUP_ELEM;

/** Nothing known. */
export const HINT_UNKNOWN = 0;
/** Points into the stack. */
export const HINT_STACK = 1;
/** Points into the run's memory. */
export const HINT_MEM = 2;
/** The map handle loaded by the `lddw` at slot p: `HINT_HANDLE + 2 * p`. */
export const HINT_HANDLE = 4;
/** A value of the map whose handle the `lddw` at slot p loads: `HINT_VALUE + 2 * p`. */
export const HINT_VALUE = 5;

/** Whether a hint is a pointer (stack, memory, map value). */
function isPointer(h: number): boolean {
  return h === HINT_STACK || h === HINT_MEM || (h >= HINT_HANDLE && (h & 1) === 1);
}

/**
 * The hints of every register before every slot: `hints[pc * 11 + r]`.
 *
 * @param m The prepared program.
 * @returns The hints (unreached slots are all unknown).
 */
export function pointerHints(m: Machine): Int32Array {
  const n = m.slots;
  const { opc, dst, src, off, imm } = m;
  const hints = new Int32Array((n + 1) * 11);
  const reached = new Uint8Array(n + 1);
  const work: number[] = [];
  const cur = new Int32Array(11);
  /** Merges `cur` into the state before `to`; queues it when it changed. */
  const flow = (to: number) => {
    if (to < 0 || to > n) return;
    const base = to * 11;
    if (!reached[to]) {
      reached[to] = 1;
      hints.set(cur, base);
      work.push(to);
      return;
    }
    let changed = false;
    for (let r = 0; r < 11; r++) {
      if (hints[base + r] !== cur[r] && hints[base + r] !== HINT_UNKNOWN) {
        hints[base + r] = HINT_UNKNOWN;
        changed = true;
      }
    }
    if (changed) work.push(to);
  };
  const entry = (to: number) => {
    cur.fill(HINT_UNKNOWN);
    cur[1] = HINT_MEM;
    cur[10] = HINT_STACK;
    flow(to);
  };
  entry(0);
  for (let pc = 0; pc < n; pc++) {
    if (opc[pc] === CALL && src[pc] === CALL_SRC_LOCAL) {
      // A callee's frame: only r10 is known.
      cur.fill(HINT_UNKNOWN);
      cur[10] = HINT_STACK;
      flow(pc + 1 + imm[pc]);
    }
  }
  while (work.length > 0) {
    const pc = work.pop()!;
    if (pc >= n) continue;
    cur.set(hints.subarray(pc * 11, pc * 11 + 11));
    const op = opc[pc], d = dst[pc], s = src[pc];
    const cls = op & CLASS_MASK;
    const next = pc + (op === LDDW ? 2 : 1);
    if (cls === CLASS_ALU64) {
      const x = (op & SRC_X) !== 0;
      switch (op & OP_MASK) {
        case ALU_MOV:
          cur[d] = x && off[pc] === 0 ? cur[s] : HINT_UNKNOWN;
          break;
        case ALU_ADD:
          if (!isPointer(cur[d])) cur[d] = x && isPointer(cur[s]) ? cur[s] : HINT_UNKNOWN;
          break;
        case ALU_SUB:
          if (!isPointer(cur[d])) cur[d] = HINT_UNKNOWN;
          break;
        default:
          cur[d] = HINT_UNKNOWN;
      }
      flow(next);
    } else if (cls === CLASS_ALU || cls === CLASS_LDX) {
      cur[d] = HINT_UNKNOWN;
      flow(next);
    } else if (cls === CLASS_LD) {
      if (op === LDDW) {
        cur[d] = s === LDDW_SRC_MAP_BY_FD || s === LDDW_SRC_MAP_BY_IDX
          ? HINT_HANDLE + 2 * pc
          : HINT_UNKNOWN;
      } else cur[0] = HINT_UNKNOWN;
      flow(next);
    } else if (cls === CLASS_ST || cls === CLASS_STX) {
      if (cls === CLASS_STX && (op & MODE_MASK) === MODE_ATOMIC) {
        if ((imm[pc] & ATOMIC_FETCH) !== 0) cur[s] = HINT_UNKNOWN;
        if (imm[pc] === ATOMIC_CMPXCHG) cur[0] = HINT_UNKNOWN;
      }
      flow(next);
    } else if (cls === CLASS_JMP || cls === CLASS_JMP32) {
      if (op === EXIT) continue;
      if (op === JA) flow(pc + 1 + off[pc]);
      else if (op === JA32) flow(pc + 1 + imm[pc]);
      else if (op === CALL && s === CALL_SRC_LOCAL) {
        for (let r = 0; r <= 5; r++) cur[r] = HINT_UNKNOWN;
        flow(next);
      } else if (op === CALL || op === CALLX) {
        const h = cur[1];
        cur[0] = op === CALL && imm[pc] === HELPER_LOOKUP && h >= HINT_HANDLE && (h & 1) === 0
          ? h + 1
          : HINT_UNKNOWN;
        flow(next);
      } else {
        flow(next);
        flow(pc + 1 + off[pc]);
      }
    } else flow(next);
  }
  return hints;
}
