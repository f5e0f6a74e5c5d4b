/**
 * Speculative loops for the JIT: a simple loop (one entry, a body with exits, back-edges to its
 * head and forward jumps inside it, whose targets join the states of the paths that reach them)
 * gets a second version that assumes, checked once on entry, that the
 * registers it reads are small numbers (high half 0, low half in [0, 2^31)) or pointers with a
 * small offset into the stack or the run's memory. In that version each register's range is
 * followed through the body (branch conditions and bounds checks narrow it), so arithmetic,
 * comparisons and memory accesses are single 32-bit integer operations with no carries and no
 * high halves. Where a range does not prove that the short form is exact, a guard leaves the
 * fast version before the instruction (a bail) and the generic code executes it. The register
 * locals hold the exact 64-bit values at every point in both versions (a small register's high
 * half is 0 in its local), so leaving is just a jump; anything the fast version does not
 * specialise is emitted by the generic emitter. The instruction budget is counted once per pass
 * (per block when the body has calls, exits, legacy loads or forward jumps).
 * When a countdown bounds the passes (`tripBounds`), a third version, chosen by one test on
 * entry, also drops the bounds checks of pointers advanced by constants and the overflow guards
 * of sums. Accesses through a pointer the body never writes are checked once on entry, an access
 * within what an earlier one through the same unchanged register checked is not checked again,
 * and a load of what the same pass stored at the same place (nothing stored or called between)
 * is that register.
 *
 * Why not the verifier's ranges: the JIT also runs programs that were never verified, on memory
 * of any size, and the verifier's walk stops at states that an explored one includes only where
 * registers are precise (Linux's `regsafe`), so its per-instruction ranges of the other
 * registers would not cover every run. What the fast versions assume is checked where it is
 * used.
 *
 * @module
 */
import { STACK_REGION } from "./memory.ts";
import { accessBytes, EBPF } from "./opcodes.ts";
import type { Machine } from "./_machine.ts";
import { type InstructionEmitter, storeCode } from "./_jit_emit.ts";
import { blockLength, forwardTargets } from "./_jit_blocks.ts";
import { MAP_HANDLE_HI } from "./_map_helpers.ts";

const { CLASS_MASK, CLASS_LD, CLASS_LDX, CLASS_ST, CLASS_STX, CLASS_ALU, CLASS_ALU64 } = EBPF;
const { CLASS_JMP, SRC_X, OP_MASK, MODE_MASK, MODE_MEM, MODE_ATOMIC } = EBPF;
const { ALU_ADD, ALU_SUB, ALU_MUL, ALU_DIV, ALU_OR, ALU_AND, ALU_LSH, ALU_RSH } = EBPF;
const { ALU_MOD, ALU_XOR, ALU_MOV, ALU_ARSH, ALU_END, ATOMIC_FETCH, ATOMIC_CMPXCHG } = EBPF;
const { JMP_JEQ, JMP_JGT, JMP_JGE, JMP_JSET, JMP_JNE, JMP_JSGT, JMP_JSGE } = EBPF;
const { JMP_JLT, JMP_JSLT } = EBPF;
const { LE, BE, LDDW, LDXW, LDXH, LDXB, LDXDW, JA, JA32, CALL, CALLX, EXIT } = EBPF;

/** The largest small value: 2^31 - 1. */
const MAX = 0x7fffffff;
/** The largest small value whose square is small. */
const SQRT_MAX = 46340;
/**
 * Register classes in the fast version: anything, a small number, a pointer (small offset),
 * an element of an inlined array map (`region` the map's `lddw` slot; never null).
 */
const G = 0, S = 1, P = 2, E = 3;

/** What is known about the registers at one point of the fast version. */
class Regs {
  cls = new Int8Array(11);
  region = new Int32Array(11);
  lo = new Float64Array(11);
  hi = new Float64Array(11);
  /** The point cannot be reached. */
  dead = false;

  copy(): Regs {
    const r = new Regs();
    r.cls.set(this.cls);
    r.region.set(this.region);
    r.lo.set(this.lo);
    r.hi.set(this.hi);
    r.dead = this.dead;
    return r;
  }

  set(r: number, cls: number, lo = 0, hi = MAX, region = 0): void {
    this.cls[r] = cls;
    this.lo[r] = lo;
    this.hi[r] = hi;
    this.region[r] = region;
  }

  /** Bit r set when register r is small (its high half is 0). */
  zeroMask(): number {
    let mask = 0;
    for (let r = 0; r < 11; r++) if (this.cls[r] === S) mask |= 1 << r;
    return mask;
  }
}

/** The fast version of a loop. */
export interface FastLoop {
  /** The code: `if(entry){R<head>:for(;;){…}}` leaving by `break F<head>` or the dispatcher. */
  text: string;
  /** The slots (other than the head) the fast version leaves to: they need `case` labels. */
  bails: number[];
}

/** The registers an instruction reads. */
function reads(m: Machine, q: number): number[] {
  const op = m.opc[q], d = m.dst[q], s = m.src[q];
  const cls = op & CLASS_MASK;
  const x = (op & SRC_X) !== 0;
  if (cls === CLASS_ALU || cls === CLASS_ALU64) {
    const mov = (op & OP_MASK) === ALU_MOV;
    return mov ? (x ? [s] : []) : x && (op & OP_MASK) !== ALU_END ? [d, s] : [d];
  }
  if (cls === CLASS_LDX) return [s];
  if (cls === CLASS_ST) return [d];
  if (cls === CLASS_STX) return [d, s];
  if (cls === CLASS_JMP || cls === EBPF.CLASS_JMP32) {
    if (op === JA || op === JA32 || op === CALL) return [];
    if (op === EXIT) return [0];
    if (op === CALLX) return [d];
    return x ? [d, s] : [d];
  }
  return [];
}

/** The registers an instruction writes. */
function writes(m: Machine, q: number): number[] {
  const op = m.opc[q], cls = op & CLASS_MASK;
  if (cls === CLASS_ALU || cls === CLASS_ALU64 || cls === CLASS_LDX || op === LDDW) {
    return [m.dst[q]];
  }
  if (op === CALL || op === CALLX) return [0, 1, 2, 3, 4, 5];
  if (cls === CLASS_LD) return [0];
  if (cls === CLASS_STX && (op & MODE_MASK) === MODE_ATOMIC) return [0, m.src[q]];
  return [];
}

/** Smallest 2^k - 1 at least `v`. */
function ones(v: number): number {
  let r = 0;
  while (r < v) r = r * 2 + 1;
  return r;
}

/**
 * Builds the fast version of the simple loop `head`…`end`, or null when no register can be
 * assumed small.
 *
 * @param m The prepared program.
 * @param emitter The generic emitter (for what is not specialised).
 * @param leader The block leaders.
 * @param head The loop's first slot.
 * @param end Its last slot.
 * @returns The fast version.
 */
export function fastLoop(
  m: Machine,
  emitter: InstructionEmitter,
  leader: Uint8Array,
  head: number,
  end: number,
): FastLoop | null {
  const { opc } = m;
  const next = (q: number) => q + (opc[q] === LDDW ? 2 : 1);
  const slots: number[] = [];
  for (let q = head; q <= end; q = next(q)) slots.push(q);
  // A body whose calls are all inlined array-map lookups (which leave the fast version when
  // the map or key is not one they handle) and whose forward jumps may all be null tests of
  // their results (never taken: an element is never null) runs straight through every pass.
  const mapBody = slots.some((q) => opc[q] === CALL) && slots.every((q) => {
    const op = opc[q];
    return op !== EXIT && op !== CALLX && (op !== CALL || emitter.inlineLookup(q) >= 0) &&
      ((op & CLASS_MASK) !== CLASS_LD || op === LDDW);
  });
  if (mapBody) {
    const decided = build(m, emitter, leader, head, end, slots, true);
    if (decided !== undefined) return decided;
  }
  return build(m, emitter, leader, head, end, slots, false) ?? null;
}

/**
 * The fast version of a loop (see {@linkcode fastLoop}); with `decide`, the version whose
 * calls are inlined lookups and whose forward jumps are never taken, or undefined when the
 * passes could not prove that.
 */
function build(
  m: Machine,
  emitter: InstructionEmitter,
  leader: Uint8Array,
  head: number,
  end: number,
  slots: number[],
  decide: boolean,
): FastLoop | null | undefined {
  const { opc } = m;
  // The instruction count: a whole pass is counted when it starts (one addition and one
  // test per pass), and whatever leaves the pass early gives back what it did not execute —
  // unless the body has instructions whose generic code ends the run or reads the count
  // (exit, calls, legacy loads): then each block counts itself, as in the generic loop.
  const perPass = decide || forwardTargets(m, head, end).length === 0 && slots.every((q) => {
        const op = opc[q];
        return op !== EXIT && op !== CALL && op !== CALLX &&
          ((op & CLASS_MASK) !== CLASS_LD || op === LDDW);
      });
  // Instructions from each slot to the end of what was counted for it (the pass or its block):
  // what leaving before it gives back to `cnt`.
  const rest = new Map<number, number>();
  for (let i = slots.length - 1, run = 0; i >= 0; i--) {
    const q = slots[i];
    const nq = i + 1 < slots.length ? slots[i + 1] : -1;
    run = nq < 0 || (!perPass && leader[nq]) ? 1 : run + 1;
    rest.set(q, run);
  }
  // Registers read before they are written in the body: the candidates to assume small.
  const A = new Regs();
  const written = new Set<number>();
  for (const q of slots) {
    for (const r of reads(m, q)) {
      if (written.has(r) || A.cls[r] !== G) continue;
      const region = r === 10 ? STACK_REGION : emitter.pointerRegion(head, r);
      if (region >= 0) A.set(r, P, 0, MAX, region);
      else A.set(r, S);
    }
    const op = opc[q], cls = op & CLASS_MASK;
    if (cls === CLASS_ALU || cls === CLASS_ALU64 || cls === CLASS_LDX || op === LDDW) {
      written.add(m.dst[q]);
    }
    if (op === CALL || op === CALLX) { for (let r = 0; r <= 5; r++) written.add(r); }
  }
  const pass = (a: Regs) => body(m, emitter, leader, slots, rest, head, a, perPass, decide);
  // The assumptions must hold again at every back-edge: a register that does not stay what
  // it was assumed to be is not assumed anything (until nothing changes: each round drops a
  // lower bound or a register, so at most 22 rounds).
  let out = pass(A);
  for (let round = 0;; round++) {
    if (round > 22) return null;
    let changed = false;
    for (let r = 0; r < 11; r++) {
      if (A.cls[r] !== G && !holds(out.backs, A, r)) {
        if (A.lo[r] > 0) A.lo[r] = 0;
        else A.set(r, G);
        changed = true;
      }
    }
    if (!changed) break;
    out = pass(A);
  }
  // A higher lower bound at the head, when the back-edges keep it and it saves guards (a
  // counter tested against 0 before it is decremented).
  for (let r = 0; r < 11; r++) {
    if (A.cls[r] !== S || out.backs.length === 0) continue;
    const lo = Math.min(...out.backs.map((b) => b.lo[r]));
    if (!(lo > A.lo[r])) continue;
    const B = A.copy();
    B.lo[r] = lo;
    const tried = pass(B);
    if (tried.guards < out.guards && holdsAll(tried.backs, B)) {
      A.lo[r] = lo;
      out = tried;
    }
  }
  // A lower upper bound at the head, likewise (a counter tested against a limit at the end).
  for (let r = 0; r < 11; r++) {
    if (A.cls[r] !== S || out.backs.length === 0) continue;
    const hi = Math.max(...out.backs.map((b) => b.hi[r]));
    if (!(hi < A.hi[r]) || hi < A.lo[r]) continue;
    const B = A.copy();
    B.hi[r] = hi;
    const tried = pass(B);
    if (tried.guards < out.guards && holdsAll(tried.backs, B)) {
      A.hi[r] = hi;
      out = tried;
    }
  }
  // Accesses through a pointer the body never writes: their bounds are checked once on entry.
  const invariant = new Set<number>();
  const invConds: string[] = [];
  for (let r = 0; r < 11; r++) {
    if (A.cls[r] !== P || slots.some((q) => writes(m, q).includes(r))) continue;
    let lo = Infinity, hi = -Infinity;
    const qs: number[] = [];
    for (const q of slots) {
      const op = opc[q], cls = op & CLASS_MASK;
      if (
        (cls === CLASS_LDX || cls === CLASS_ST || cls === CLASS_STX) &&
        (op & MODE_MASK) === MODE_MEM && (cls === CLASS_LDX ? m.src[q] : m.dst[q]) === r
      ) {
        lo = Math.min(lo, m.off[q]);
        hi = Math.max(hi, m.off[q] + accessBytes(op));
        qs.push(q);
      }
    }
    if (qs.length === 0) continue;
    const len = A.region[r] === STACK_REGION ? "SL" : "ML";
    invConds.push(`l${r}+${lo}>=0&&l${r}+${hi}<=${len}`);
    for (const q of qs) invariant.add(q);
  }
  if (invariant.size > 0) {
    const tried = body(m, emitter, leader, slots, rest, head, A, perPass, decide, invariant);
    if (holdsAll(tried.backs, A)) out = tried;
    else invConds.length = 0, invariant.clear();
  }
  let zero = "", pos = "", regions = new Set<number>();
  for (let r = 0; r < 11; r++) {
    if (A.cls[r] === G) continue;
    if (A.cls[r] === S) zero += (zero ? "|" : "") + `h${r}`;
    else regions.add(A.region[r]);
    pos += (pos ? "|" : "") + `l${r}`;
  }
  if (pos === "") return null;
  const conds: string[] = [];
  if (zero !== "") conds.push(`(${zero})===0`);
  for (let r = 0; r < 11; r++) if (A.cls[r] === P) conds.push(`h${r}===${A.region[r]}`);
  conds.push(`(${pos})>=0`);
  for (let r = 0; r < 11; r++) if (A.cls[r] !== G && A.lo[r] > 0) conds.push(`l${r}>=${A.lo[r]}`);
  for (let r = 0; r < 11; r++) if (A.cls[r] === S && A.hi[r] < MAX) conds.push(`l${r}<=${A.hi[r]}`);
  conds.push(...invConds, ...new Set(out.entry));
  if (out.undecided) return undefined;
  regions = new Set([...regions, ...out.regions]);
  for (const g of regions) conds.push(`${g === STACK_REGION ? "SL" : "ML"}<=${MAX}`);
  const total = slots.length;
  const budget = perPass
    ? `if((cnt+=${total})>${m.budget}){cnt-=${total};break F${head};}`
    : `if(cnt+${total}>${m.budget})break F${head};`;
  let loops = `R${head}:for(;;){${budget}${out.text}break;}`;
  const bails = new Set(out.bails);
  // A second fast version without the checks that the trip count proves at entry.
  const trip = decide || forwardTargets(m, head, end).length === 0
    ? tripBounds(m, slots, head, A, out.addHi, perPass)
    : null;
  if (trip !== null) {
    const proven = new Set([...trip.proven, ...invariant]);
    // Stack slots the loop alone reads and writes live in locals (see `sinkable`).
    const sunk = sinkable(m, slots, invariant);
    const args = [m, emitter, leader, slots, rest, head, A, perPass, decide, proven] as const;
    const counted = perPass ? { c: trip.c, inc: trip.inc, dir: trip.dir, total } : null;
    let hoisted = body(...args, true, sunk, counted);
    if (hoisted.sinkBroken) hoisted = body(...args, true, [], counted);
    if (hoisted.undecided) return undefined;
    let same = holdsAll(hoisted.backs, A);
    for (const [q, hi] of hoisted.addHi) if (hi > (out.addHi.get(q) ?? -1)) same = false;
    if (same) {
      for (const q of hoisted.bails) bails.add(q);
      // At most `started` passes start: when they all fit in the budget, each pass only
      // counts itself (the count stays exact; the budget cannot run out inside the loop).
      const conds = [...trip.conds, ...new Set(hoisted.entry)];
      let fast = `R${head}:for(;;){${budget}${hoisted.text}break;}`;
      if (counted !== null) {
        // The passes' count is added when the loop leaves (`Counted`).
        conds.push(`cnt+${total}*${trip.started}<=${m.budget}`);
        const passes = trip.dir > 0 ? `l${trip.c}-Q${head}` : `Q${head}-l${trip.c}`;
        fast = `let Q${head}=l${trip.c};R${head}:for(;;){${hoisted.text}break;}` +
          `cnt+=${total}*(${passes});`;
      }
      if (!hoisted.sinkBroken && sunk.length > 0) {
        let load = "", flush = "";
        for (const { off, size, name } of sunk) {
          load += `${name}l=SV.getInt32(l10+${off},true),`;
          flush += `SV.setInt32(l10+${off},${name}l,true);`;
          if (size === 8) {
            load += `${name}h=SV.getInt32(l10+${off + 4},true),`;
            flush += `SV.setInt32(l10+${off + 4},${name}h,true);`;
          }
        }
        // Every way out of the fast version first writes the slots back.
        fast = fast.replace(/pc=(\d+);continue D;/g, `${flush}pc=$1;continue D;`)
          .replaceAll(`break F${head};`, `{${flush}break F${head};}`);
        fast = `let ${load.slice(0, -1)};${fast}${flush}`;
      }
      loops = `if(${conds.join("&&")}){${fast}}else{${loops}}`;
    }
  }
  const text = `if(${conds.join("&&")}){${loops}pc=${end + 1};continue D;}`;
  return { text, bails: [...bails].filter((q) => q !== head).sort((a, b) => a - b) };
}

/**
 * Checks a loop with a trip count makes unnecessary. When a small register `c` is decremented
 * by one exactly once per pass and either a pass ends the loop when it is 0 (`jeq c, 0`, out)
 * before the decrement, or the only back-edge is `jne c, 0` at the end (with c >= 1 at the
 * head), at most c passes (counted at the head) reach the instructions after that test (all of
 * them with the `jne`). Likewise when `c` is incremented by one exactly once per pass and the
 * only back-edge is `jlt c, K` at the end (c < K at the head, tested on entry): at most K - c
 * passes. Then a pointer only ever advanced by constants (δ per pass) stays below
 * `p + (n - 1)·δ + extent` in those instructions (n the passes), and a number only ever
 * increased by small operands (at most Σ per pass) below `a + n·Σ`: tested once on entry, they
 * prove the bounds checks and the overflow guards there.
 *
 * @returns The entry conditions, the slots whose checks they prove and the most passes that
 * start (an expression), or null.
 */
function tripBounds(
  m: Machine,
  slots: number[],
  head: number,
  A: Regs,
  addHi: Map<number, number>,
  perPass: boolean,
):
  | { conds: string[]; proven: Set<number>; started: string; c: number; inc: number; dir: number }
  | null {
  const { opc, dst, src, off, imm } = m;
  const last = slots[slots.length - 1];
  // The only jump to the head is the last instruction.
  for (const q of slots) {
    const op = opc[q], cls = op & CLASS_MASK;
    const jump = cls === CLASS_JMP || cls === EBPF.CLASS_JMP32;
    if (q !== last && jump && op !== CALL && op !== EXIT && op !== CALLX) {
      const t = q + 1 + (op === JA32 ? imm[q] : off[q]);
      if (t === head) return null;
    }
  }
  const lastOp = opc[last];
  if ((lastOp & CLASS_MASK) !== CLASS_JMP || lastOp === CALL || lastOp === EXIT) return null;
  if (last + 1 + (lastOp === JA32 ? imm[last] : off[last]) !== head) return null;
  const writers = (r: number) => slots.filter((q) => writes(m, q).includes(r));
  const isAddK = (q: number, r: number) =>
    opc[q] === (CLASS_ALU64 | ALU_ADD) && dst[q] === r && imm[q] >= 0;
  for (let c = 0; c < 11; c++) {
    if (A.cls[c] !== S) continue;
    const w = writers(c);
    if (w.length !== 1) continue;
    const dec = w[0];
    const isDec = (opc[dec] === (CLASS_ALU64 | ALU_SUB) && imm[dec] === 1) ||
      (opc[dec] === (CLASS_ALU64 | ALU_ADD) && imm[dec] === -1);
    const isInc = (opc[dec] === (CLASS_ALU64 | ALU_ADD) && imm[dec] === 1) ||
      (opc[dec] === (CLASS_ALU64 | ALU_SUB) && imm[dec] === -1);
    if (!(isDec || isInc) || dst[dec] !== c) continue;
    // Where the count starts to bound the passes, the passes that reach it and that start.
    let from = -1, passes = `l${c}`, started = `(l${c}+1)`;
    const conds: string[] = [];
    if (isInc) {
      // `jlt c, K` (unsigned; c is small) as the only back-edge, K > 0 a small constant.
      if (opc[last] !== (CLASS_JMP | JMP_JLT) || dst[last] !== c || imm[last] <= 0) continue;
      from = 0;
      passes = started = `(${imm[last]}-l${c})`;
      conds.push(`l${c}<${imm[last]}`);
    } else if (
      opc[last] === (CLASS_JMP | JMP_JNE) && dst[last] === c && imm[last] === 0 && A.lo[c] >= 1
    ) {
      from = 0;
      started = `l${c}`;
    } else {
      for (let i = 0; i < slots.length && slots[i] < dec; i++) {
        const q = slots[i];
        if (opc[q] === (CLASS_JMP | JMP_JEQ) && dst[q] === c && imm[q] === 0) {
          from = i + 1;
          break;
        }
      }
    }
    if (from < 0) continue;
    const proven = new Set<number>();
    for (let r = 0; r < 11; r++) {
      if (r === c || A.cls[r] === G) continue;
      const wr = writers(r);
      if (A.cls[r] === P) {
        if (!wr.every((q) => isAddK(q, r))) continue;
        const delta = wr.reduce((a, q) => a + imm[q], 0);
        let moved = 0, extent = -1;
        for (let i = 0; i < slots.length; i++) {
          const q = slots[i], op = opc[q], cls = op & CLASS_MASK;
          const base = cls === CLASS_LDX ? src[q] : dst[q];
          const mem = (cls === CLASS_LDX || cls === CLASS_ST || cls === CLASS_STX) &&
            (op & MODE_MASK) === MODE_MEM;
          if (i >= from && mem && base === r && moved + off[q] >= 0) {
            extent = Math.max(extent, moved + off[q] + accessBytes(op));
            proven.add(q);
          }
          if (isAddK(q, r)) moved += imm[q];
        }
        if (extent >= 0) {
          const len = A.region[r] === STACK_REGION ? "SL" : "ML";
          conds.push(`l${r}+(${passes}-1)*${delta}+${extent}<=${len}`);
        }
      } else {
        // A sum: only ever increased by small operands (their bounds from the checked pass).
        if (wr.length === 0 || !wr.every((q) => addHi.has(q) && dst[q] === r)) continue;
        if (wr.some((q) => slots.indexOf(q) < from)) continue;
        const sum = wr.reduce((a, q) => a + addHi.get(q)!, 0);
        if (sum > MAX) continue;
        for (const q of wr) proven.add(q);
        conds.push(`l${r}+${passes}*${sum}<=${MAX}`);
      }
    }
    if (proven.size > 0 || perPass) {
      return { conds, proven, started, c, inc: dec, dir: isInc ? 1 : -1 };
    }
  }
  return null;
}

/** Whether register r is, at every back-edge, what the head assumes. */
function holds(backs: Regs[], A: Regs, r: number): boolean {
  for (const b of backs) {
    if (b.cls[r] !== A.cls[r] || (A.cls[r] >= P && b.region[r] !== A.region[r])) return false;
    if (b.lo[r] < A.lo[r] || b.hi[r] > A.hi[r]) return false;
  }
  return true;
}

/** Whether every register assumed something at the head is that at every back-edge. */
function holdsAll(backs: Regs[], A: Regs): boolean {
  for (let r = 0; r < 11; r++) if (A.cls[r] !== G && !holds(backs, A, r)) return false;
  return true;
}

/**
 * A loop whose passes the counter `c` counts (incremented, `dir` 1, or decremented, -1, at
 * slot `inc`, once per pass; its value on entry in `Q<head>`): the fast version adds the
 * instruction count only when it leaves.
 */
interface Counted {
  c: number;
  inc: number;
  dir: number;
  total: number;
}

/** A stack slot the fast version keeps in locals `<name>l` (and `<name>h` for 8 bytes). */
interface SunkSlot {
  off: number;
  size: number;
  name: string;
}

/**
 * The stack slots a loop body's stores need not write each pass: when every access to the
 * stack in the body is a 4- or 8-byte load or store through r10 (whose bounds the entry
 * checks: `invariant`) at one of a few slots that do not overlap, and the body has no call,
 * exit, legacy or atomic access (nothing else can see the stack), the slots live in locals,
 * loaded on entry and written back on every way out, so the stack is exact whenever anything
 * can look at it. Accesses through other registers must be to other regions (checked by the
 * pass: `sinkBroken`).
 */
function sinkable(m: Machine, slots: number[], invariant: ReadonlySet<number>): SunkSlot[] {
  const { opc, dst, src, off } = m;
  const out: SunkSlot[] = [];
  for (const q of slots) {
    const op = opc[q], cls = op & CLASS_MASK, mode = op & MODE_MASK;
    if (op === CALL || op === CALLX || op === EXIT) return [];
    if (cls === CLASS_LD && op !== LDDW) return [];
    if (cls !== CLASS_LDX && cls !== CLASS_ST && cls !== CLASS_STX) continue;
    const base = cls === CLASS_LDX ? src[q] : dst[q];
    if (mode === MODE_ATOMIC) return [];
    if (base !== 10) continue;
    const size = accessBytes(op);
    if (mode !== MODE_MEM || (size !== 4 && size !== 8) || !invariant.has(q)) return [];
    const o = off[q];
    const hit = out.find((x) => x.off === o && x.size === size);
    if (hit !== undefined) continue;
    if (out.some((x) => x.off < o + size && o < x.off + x.size)) return [];
    out.push({ off: o, size, name: `K${out.length}` });
  }
  return out;
}

/** A small register stored through a pointer (see `fwd` in `body`). */
interface Stored {
  base: number;
  off: number;
  size: number;
  src: number;
  lo: number;
  hi: number;
}

/** The result of one pass over the body. */
interface BodyPass {
  text: string;
  /** The states at the back-edges. */
  backs: Regs[];
  /** Bail targets. */
  bails: Set<number>;
  /** Regions accessed in the fast form. */
  regions: Set<number>;
  /** Guards and zero tests in the code (fewer is faster). */
  guards: number;
  /** For each `add` of a small operand: the operand's largest value. */
  addHi: Map<number, number>;
  /** Conditions the code assumes, to test on entry (`anchor`). */
  entry: string[];
  /** An access the pass could not prove is outside the sunk stack slots. */
  sinkBroken: boolean;
  /** With `decide`: a call not inlined or a forward jump that may be taken. */
  undecided: boolean;
}

/** One pass over the body from the assumptions `A`: the code and the back-edge states. */
function body(
  m: Machine,
  emitter: InstructionEmitter,
  leader: Uint8Array,
  slots: number[],
  rest: Map<number, number>,
  head: number,
  A: Regs,
  perPass: boolean,
  decide: boolean,
  proven: ReadonlySet<number> = new Set(),
  anchor = false,
  sunk: readonly SunkSlot[] = [],
  counted: Counted | null = null,
): BodyPass {
  let sinkBroken = false;
  // With `decide`: a call or forward jump the pass could not decide (the version is dropped).
  let undecided = false;
  let st = A.copy();
  // With `anchor`: anc[r] is the pointer register the body never writes that r is an offset
  // of (`add r, s` with r small), with the offset's range [ancLo[r], ancHi[r]], or -1; the
  // overflow guard of that sum and the bounds checks of accesses through r become conditions
  // tested once on entry (`entry`).
  const anc = new Int8Array(11).fill(-1);
  const ancLo = new Float64Array(11), ancHi = new Float64Array(11);
  const entry: string[] = [];
  const bodyWrites = new Set<number>();
  for (const q of slots) for (const r of writes(m, q)) bodyWrites.add(r);
  const backs: Regs[] = [];
  const bails = new Set<number>();
  const regions = new Set<number>();
  let text = "", guards = 0;
  const addHi = new Map<number, number>();
  // same[r]: a register r is a copy of (`mov r, s`, neither written since), or -1.
  const same = new Int8Array(11).fill(-1);
  const saved = emitter.loopHeader, savedTargets = emitter.loopTargets;
  emitter.loopHeader = head;
  // Forward jumps inside the body leave blocks labelled by their targets (`forwardTargets`);
  // the state at a target is the join of the states that reach it.
  const targets = forwardTargets(m, head, slots[slots.length - 1]);
  const T = new Set(targets);
  emitter.loopTargets = T;
  const pending = new Map<number, Regs>();
  const pend = (t: number, r: Regs) => {
    if (r.dead) return;
    const p = pending.get(t);
    pending.set(t, p === undefined ? r.copy() : join(p, r));
  };
  for (let i = targets.length - 1; i >= 0; i--) text += `J${targets[i]}:{`;
  // The last store of a small register through a pointer in this pass, while nothing else was
  // stored, no call was made and its base register was not written: a load of the same size
  // from the same place reads that value (`src` is -1 once the register was overwritten).
  let fwd = null as Stored | null;
  // checked[r]: an access through r (not written since) proved l<r> + checked[r] <= its
  // region's length this pass; -Infinity when none did.
  const checked = new Float64Array(11).fill(-Infinity);
  for (const q of slots) {
    if (T.has(q)) {
      text += "}";
      const p = pending.get(q);
      if (p !== undefined) st = join(st, p);
      same.fill(-1);
      fwd = null;
      checked.fill(-Infinity);
      anc.fill(-1);
    }
    if (!perPass && (q === head || leader[q])) {
      text += `cnt+=${blockLength(m, leader, q)};`;
    }
    // With `counted`, the count is added when leaving: the passes started (from the counter)
    // times the pass's length, less what this pass did not execute.
    const leave = (left: number) => {
      if (counted === null) return left > 0 ? `cnt-=${left};` : "";
      const { c, inc, dir, total } = counted;
      const passes = `${dir > 0 ? `l${c}-Q${head}` : `Q${head}-l${c}`}${q <= inc ? "+1" : ""}`;
      return `cnt+=${total}*(${passes})-${left};`;
    };
    const bail = () => {
      guards++;
      bails.add(q);
      const back = leave(rest.get(q)!);
      return q === head ? `{${back}break F${head};}` : `{${back}pc=${q};continue D;}`;
    };
    // A jump from this instruction (the last of its block): back to the head or out.
    const after = rest.get(q)! - 1;
    const give = perPass ? leave(after) : "";
    const go = (t: number) =>
      T.has(t)
        ? `break J${t};`
        : t === head
        ? give === "" || counted !== null ? `continue R${head};` : `{${give}continue R${head};}`
        : `{${give}pc=${t};continue D;}`;
    const gen = () => {
      emitter.setKnownZero(st.dead ? 0 : st.zeroMask());
      const c = emitter.emit(q);
      if (give === "") return c;
      // The generic code's jumps (its only ways out here) give back the rest of the pass.
      return c.replace(/\{pc=(\d+);continue D;\}/g, (_, t) => go(Number(t)))
        .replace(new RegExp(`(?<!\\{)continue R${head};`, "g"), go(head));
    };
    if (st.dead) {
      text += gen();
      fwd = null;
      checked.fill(-Infinity);
      anc.fill(-1);
      continue;
    }
    const op = m.opc[q], d = m.dst[q], s = m.src[q], o = m.off[q], k = m.imm[q];
    const cls = op & CLASS_MASK;
    const x = (op & SRC_X) !== 0;
    const D = `l${d}`;
    const stored = fwd as Stored | null;
    if (fwd !== null) {
      if (cls === CLASS_ST || cls === CLASS_STX || op === CALL || op === CALLX) fwd = null;
      else {
        for (const r of writes(m, q)) {
          if (r === fwd.base) fwd = null;
          else if (r === fwd.src) fwd.src = -1;
          if (fwd === null) break;
        }
      }
    }
    const copyOf = same.slice();
    const checkedBefore = checked.slice();
    for (const r of writes(m, q)) checked[r] = -Infinity;
    const ancBefore = anc.slice();
    for (const r of writes(m, q)) anc[r] = -1;
    for (const r of writes(m, q)) {
      same[r] = -1;
      for (let y = 0; y < 11; y++) if (same[y] === r) same[y] = -1;
    }
    if (op === (CLASS_ALU64 | ALU_MOV | SRC_X) && o === 0 && s !== d) same[d] = s;
    // The operand when it is small: its code and range.
    let B = "", blo = 0, bhi = 0, small = false;
    if (x && st.cls[s] === S) {
      B = `l${s}`, blo = st.lo[s], bhi = st.hi[s], small = true;
    } else if (!x && k >= 0) {
      B = String(k), blo = k, bhi = k, small = true;
    }
    const ds = st.cls[d] === S, dp = st.cls[d] === P;
    const dlo = st.lo[d], dhi = st.hi[d];
    if (cls === CLASS_ALU64) {
      const aop = op & OP_MASK;
      if (aop === ALU_MOV) {
        text += gen();
        if (x && o === 0) st.set(d, st.cls[s], st.lo[s], st.hi[s], st.region[s]);
        else if (!x && k >= 0) st.set(d, S, k, k);
        else st.set(d, G);
      } else if (aop === ALU_ADD && ds && x && st.cls[s] === P && s !== d) {
        // A small number plus a pointer: a pointer into the same region.
        const lo = dlo + st.lo[s], hi = dhi + st.hi[s];
        if (anchor && !bodyWrites.has(s)) {
          // An offset of a pointer the loop never moves: its largest sum is tested on entry.
          anc[d] = s, ancLo[d] = dlo, ancHi[d] = dhi;
          if (hi > MAX) entry.push(`l${s}+${dhi}<=${MAX}`);
        } else if (hi > MAX) text += `if(${D}+l${s}>${MAX})${bail()}`;
        text += `${D}=(${D}+l${s})|0;h${d}=${st.region[s]};`;
        st.set(d, P, lo, Math.min(hi, MAX), st.region[s]);
      } else if ((aop === ALU_ADD || aop === ALU_SUB) && (ds || dp) && (small || !x)) {
        // dst ± operand, as dst + [lo, hi].
        let alo: number, ahi: number, code: string;
        if (small) {
          alo = aop === ALU_ADD ? blo : -bhi;
          ahi = aop === ALU_ADD ? bhi : -blo;
          code = aop === ALU_ADD ? `${D}=(${D}+${B})|0;` : `${D}=(${D}-${B})|0;`;
        } else {
          // A negative immediate.
          alo = ahi = aop === ALU_ADD ? k : -k;
          code = `${D}=(${D}+(${alo}))|0;`;
        }
        let lo = dlo + alo, hi = dhi + ahi;
        let guard = "";
        if (aop === ALU_ADD && alo >= 0) addHi.set(q, ahi);
        // Proven at the head from the trip count (`tripBounds`): no upper guard.
        if (proven.has(q)) hi = Math.min(hi, MAX);
        if (lo < 0) {
          // Could go below zero: leave first unless dst - |lowest| stays >= 0.
          guard += aop === ALU_SUB && small && x
            ? `if(${D}<${B})${bail()}`
            : `if(${D}<${-alo})${bail()}`;
          if (aop === ALU_SUB && small && x) lo = Math.max(0, dlo - bhi);
          else lo = Math.max(0, lo);
        }
        if (hi > MAX) {
          if (ahi === alo) guard += `if(${D}>${MAX - ahi})${bail()}`;
          else guard += `if(${D}+${B}>${MAX})${bail()}`;
          hi = MAX;
        }
        text += guard + code;
        st.lo[d] = lo, st.hi[d] = Math.max(lo, hi);
      } else if (aop === ALU_MUL && ds && small) {
        const hi = dhi * bhi;
        if (hi <= MAX) text += `${D}=Math.imul(${D},${B});`, st.set(d, S, dlo * blo, hi);
        else {
          text += `t=${D}*${B};if(t>${MAX})${bail()}${D}=t|0;`;
          st.set(d, S, Math.min(dlo * blo, MAX), MAX);
          // A square that passed the guard: the register squared is at most sqrt(2^31 - 1).
          if (x && s !== d && (copyOf[d] === s || copyOf[s] === d)) {
            st.hi[s] = Math.min(st.hi[s], SQRT_MAX);
            if (st.lo[s] > st.hi[s]) st.dead = true;
          }
        }
      } else if ((aop === ALU_DIV || aop === ALU_MOD) && ds && small) {
        // Non-negative operands: signed and unsigned agree; by zero: 0 (div), unchanged (mod).
        const div = aop === ALU_DIV;
        const op1 = div ? `(${D}/${B})|0` : `(${D}%${B})|0`;
        if (blo > 0) text += `${D}=${op1};`;
        else {
          text += div ? `${D}=${B}===0?0:${op1};` : `if(${B}!==0)${D}=${op1};`;
          guards++;
        }
        if (div) st.set(d, S, blo > 0 ? Math.floor(dlo / bhi) : 0, dhi);
        else st.set(d, S, 0, blo > 0 ? Math.min(dhi, bhi - 1) : dhi);
      } else if (aop === ALU_AND && !x && k >= 0) {
        if (ds) text += `${D}&=${k};`;
        else text += gen();
        st.set(d, S, 0, ds ? Math.min(dhi, k) : k);
      } else if ((aop === ALU_AND || aop === ALU_OR || aop === ALU_XOR) && ds && small) {
        const sym = aop === ALU_AND ? "&" : aop === ALU_OR ? "|" : "^";
        text += `${D}${sym}=${B};`;
        st.set(d, S, 0, aop === ALU_AND ? Math.min(dhi, bhi) : ones(Math.max(dhi, bhi)));
      } else if (aop === ALU_LSH && ds && !x && (k & 63) < 31 && dhi * 2 ** (k & 63) <= MAX) {
        const n = k & 63;
        if (n !== 0) text += `${D}=${D}<<${n};`;
        st.set(d, S, dlo * 2 ** n, dhi * 2 ** n);
      } else if ((aop === ALU_RSH || aop === ALU_ARSH) && ds && !x) {
        const n = k & 63;
        if (n >= 31) text += `${D}=0;`, st.set(d, S, 0, 0);
        else {
          if (n !== 0) text += `${D}=${D}>>${n};`;
          st.set(d, S, Math.floor(dlo / 2 ** n), Math.floor(dhi / 2 ** n));
        }
      } else if (aop === ALU_RSH && !x && (k & 63) >= 33) {
        text += gen();
        st.set(d, S, 0, 2 ** (64 - (k & 63)) - 1);
      } else {
        text += gen();
        st.set(d, G);
      }
    } else if (cls === CLASS_ALU) {
      text += gen();
      const aop = op & OP_MASK;
      if (aop === ALU_MOV && !x && k >= 0) st.set(d, S, k, k);
      else if (aop === ALU_AND && !x && k >= 0) st.set(d, S, 0, k);
      else if ((op === LE || op === BE) && k === 16) st.set(d, S, 0, 0xffff);
      else if (aop === ALU_RSH && !x && (k & 31) >= 1) st.set(d, S, 0, 2 ** (32 - (k & 31)) - 1);
      else st.set(d, G);
    } else if (
      (cls === CLASS_LDX || cls === CLASS_ST || cls === CLASS_STX) &&
      (op & MODE_MASK) === MODE_MEM && st.cls[cls === CLASS_LDX ? s : d] === E && o >= 0
    ) {
      // An element of an inlined array map: its values' view at the element's offset (the
      // value size is tested on entry).
      const base = cls === CLASS_LDX ? s : d;
      const size = accessBytes(op);
      const I = `I${st.region[base]}`;
      entry.push(`${I}S>=${o + size}`);
      text += `o=(h${base}-${I}B)*${I}S+${o};`;
      const v = `${I}V`;
      if (cls === CLASS_LDX) {
        text += op === LDXW
          ? `${D}=${v}.getInt32(o,true);h${d}=0;`
          : op === LDXH
          ? `${D}=${v}.getUint16(o,true);h${d}=0;`
          : op === LDXB
          ? `${D}=${v}.getUint8(o);h${d}=0;`
          : `t=${v}.getInt32(o,true);h${d}=${v}.getInt32(o+4,true);${D}=t;`;
        if (op === LDXB) st.set(d, S, 0, 0xff);
        else if (op === LDXH) st.set(d, S, 0, 0xffff);
        else st.set(d, G);
      } else {
        const vl = cls === CLASS_STX ? `l${s}` : String(k | 0);
        const vh = cls === CLASS_STX ? `h${s}` : String(k >> 31);
        text += storeCode(v, size, vl, vh);
      }
    } else if (
      (cls === CLASS_LDX || cls === CLASS_ST || cls === CLASS_STX) &&
      (op & MODE_MASK) === MODE_MEM && st.cls[cls === CLASS_LDX ? s : d] === P
    ) {
      const base = cls === CLASS_LDX ? s : d;
      const size = accessBytes(op);
      const region = st.region[base];
      if (region === STACK_REGION && base !== 10) sinkBroken = true;
      const slot = base === 10 ? sunk.find((x) => x.off === o && x.size === size) : undefined;
      regions.add(region);
      const view = region === STACK_REGION ? "SV" : "MV";
      const len = region === STACK_REGION ? "SL" : "ML";
      const neg = st.lo[base] + o < 0 ? "o>=0&&" : "";
      let access: string;
      if (cls === CLASS_LDX) {
        access = op === LDXW
          ? `${D}=${view}.getInt32(o,true);h${d}=0;`
          : op === LDXH
          ? `${D}=${view}.getUint16(o,true);h${d}=0;`
          : op === LDXB
          ? `${D}=${view}.getUint8(o);h${d}=0;`
          : op === LDXDW
          ? `t=${view}.getInt32(o,true);h${d}=${view}.getInt32(o+4,true);${D}=t;`
          : "";
      } else {
        const vl = cls === CLASS_STX ? `l${s}` : String(k | 0);
        const vh = cls === CLASS_STX ? `h${s}` : String(k >> 31);
        access = size === 4
          ? `${view}.setInt32(o,${vl},true);`
          : size === 2
          ? `${view}.setInt16(o,${vl},true);`
          : size === 1
          ? `${view}.setInt8(o,${vl});`
          : `${view}.setInt32(o,${vl},true);${view}.setInt32(o+4,${vh},true);`;
      }
      if (slot !== undefined) {
        // A stack slot kept in locals (`sinkable`; its bounds were checked on entry).
        const kn = slot.name;
        if (cls === CLASS_LDX) {
          const forwarded = stored !== null && stored.base === base && stored.off === o &&
            stored.size === size;
          if (forwarded && stored.src >= 0) {
            text += `${D}=l${stored.src};h${d}=0;`;
            st.set(d, S, stored.lo, stored.hi);
          } else {
            text += size === 4 ? `${D}=${kn}l;h${d}=0;` : `${D}=${kn}l;h${d}=${kn}h;`;
            if (forwarded) st.set(d, S, stored.lo, stored.hi);
            else st.set(d, G);
          }
        } else {
          const vl = cls === CLASS_STX ? `l${s}` : String(k | 0);
          const vh = cls === CLASS_STX ? `h${s}` : String(k >> 31);
          text += size === 4 ? `${kn}l=${vl};` : `${kn}l=${vl};${kn}h=${vh};`;
          if (cls === CLASS_STX && st.cls[s] === S && st.hi[s] <= 2 ** (8 * size) - 1) {
            fwd = { base, off: o, size, src: s, lo: st.lo[s], hi: st.hi[s] };
          }
        }
      } else if (
        cls === CLASS_LDX && stored !== null && stored.base === base && stored.off === o &&
        stored.size === size
      ) {
        // The value this pass stored there (the store's check covers this access).
        text += stored.src >= 0 ? `${D}=l${stored.src};h${d}=0;` : `o=l${base}+${o};${access}`;
        st.set(d, S, stored.lo, stored.hi);
      } else if (access === "") {
        // Sign-extending loads: the generic code.
        text += gen();
        st.set(d, G);
      } else {
        // Proven on entry, or within what an earlier access through the same register proved.
        const within = neg === "" && o + size <= checkedBefore[base];
        const a = ancBefore[base];
        if (a >= 0 && !proven.has(q) && !within) {
          entry.push(`l${a}+${ancLo[base] + o}>=0&&l${a}+${ancHi[base] + o + size}<=${len}`);
        }
        text += proven.has(q) || within || a >= 0
          ? `o=l${base}+${o};${access}`
          : `o=l${base}+${o};if(!(${neg}o+${size}<=${len}))${bail()}${access}`;
        if (!proven.has(q)) checked[base] = Math.max(checked[base], o + size);
        // The access succeeded: base + off + size <= the region's length (< 2^31).
        st.lo[base] = Math.max(st.lo[base], -o);
        st.hi[base] = Math.min(st.hi[base], MAX - o - size);
        if (st.hi[base] < st.lo[base]) st.dead = true;
        if (
          cls === CLASS_STX && st.cls[s] === S && st.hi[s] <= 2 ** (8 * size) - 1 && s !== base
        ) {
          fwd = { base, off: o, size, src: s, lo: st.lo[s], hi: st.hi[s] };
        }
        if (cls === CLASS_LDX) {
          if (op === LDXB) st.set(d, S, 0, 0xff);
          else if (op === LDXH) st.set(d, S, 0, 0xffff);
          else st.set(d, G);
        }
      }
    } else if (cls === CLASS_LDX || cls === CLASS_ST || cls === CLASS_STX || cls === CLASS_LD) {
      // Memory the pass cannot place: it might be a sunk stack slot.
      if (cls !== CLASS_LD) sinkBroken = true;
      text += gen();
      if (cls === CLASS_LDX || op === LDDW) st.set(d, G);
      else if (cls === CLASS_LD) st.set(0, G);
      else if (cls === CLASS_STX && (op & MODE_MASK) === MODE_ATOMIC) {
        if ((k & ATOMIC_FETCH) !== 0) st.set(s, G);
        if (k === ATOMIC_CMPXCHG) st.set(0, G);
      }
    } else if (op === JA || op === JA32) {
      text += gen();
      const t = q + 1 + (op === JA ? o : k);
      if (t === head) backs.push(st.copy());
      else if (T.has(t)) pend(t, st);
      st.dead = true;
    } else if (op === EXIT) {
      text += gen();
      st.dead = true;
    } else if (op === CALL || op === CALLX) {
      const p = decide ? emitter.inlineLookup(q) : -1;
      if (p >= 0) {
        // The inlined lookup, or out to the generic code (which calls the helper).
        const I = `I${p}`;
        text += `if(!(l1===${I}F&&h1===${MAP_HANDLE_HI}&&h2===${STACK_REGION}&&` +
          `(o=(l2>>>0))+4<=SL&&(t=SV.getUint32(o,true))<${I}N))${bail()}l0=0;h0=${I}B+t;`;
        entry.push(`${I}B>0`);
        for (let r = 1; r <= 5; r++) st.set(r, G);
        st.set(0, E, 0, 0, p);
      } else {
        if (decide) undecided = true;
        text += gen();
        for (let r = 0; r <= 5; r++) st.set(r, G);
      }
    } else {
      // A conditional jump: to the head (a back-edge) or out of the loop.
      const target = q + 1 + o;
      const jop = op & OP_MASK;
      if (
        decide && cls === CLASS_JMP && jop === JMP_JEQ && !x && k === 0 && st.cls[d] === E
      ) continue; // An element is never null.
      if (decide && T.has(target)) undecided = true;
      const taken = st.copy(), fall = st;
      if (cls === CLASS_JMP && ds && small && jop !== JMP_JSET) {
        const sym = jop === JMP_JEQ
          ? "==="
          : jop === JMP_JNE
          ? "!=="
          : jop === JMP_JGT || jop === JMP_JSGT
          ? ">"
          : jop === JMP_JGE || jop === JMP_JSGE
          ? ">="
          : jop === JMP_JLT || jop === JMP_JSLT
          ? "<"
          : "<=";
        text += `if(${D}${sym}${B})${go(target)}`;
        refine(taken, fall, d, sym, blo, bhi);
      } else if (cls === CLASS_JMP && ds && small) {
        text += `if((${D}&${B})!==0)${go(target)}`;
      } else text += gen();
      if (target === head && !taken.dead) backs.push(taken);
      else if (T.has(target)) pend(target, taken);
    }
  }
  emitter.loopHeader = saved;
  emitter.loopTargets = savedTargets;
  return { text, backs, bails, regions, guards, addHi, entry, sinkBroken, undecided };
}

/** The state where two paths meet (`a` updated). */
function join(a: Regs, b: Regs): Regs {
  if (b.dead) return a;
  if (a.dead) return b.copy();
  for (let r = 0; r < 11; r++) {
    if (a.cls[r] !== b.cls[r] || (a.cls[r] >= P && a.region[r] !== b.region[r])) a.set(r, G);
    else if (a.cls[r] !== G) {
      a.lo[r] = Math.min(a.lo[r], b.lo[r]);
      a.hi[r] = Math.max(a.hi[r], b.hi[r]);
    }
  }
  return a;
}

/** Narrows dst's range on both sides of `dst sym [blo, bhi]`. */
function refine(taken: Regs, fall: Regs, d: number, sym: string, blo: number, bhi: number): void {
  const narrow = (st: Regs, lo: number, hi: number) => {
    st.lo[d] = Math.max(st.lo[d], lo);
    st.hi[d] = Math.min(st.hi[d], hi);
    if (st.lo[d] > st.hi[d]) st.dead = true;
  };
  switch (sym) {
    case ">":
      narrow(taken, blo + 1, MAX), narrow(fall, 0, bhi);
      break;
    case ">=":
      narrow(taken, blo, MAX), narrow(fall, 0, bhi - 1);
      break;
    case "<":
      narrow(taken, 0, bhi - 1), narrow(fall, blo, MAX);
      break;
    case "<=":
      narrow(taken, 0, bhi), narrow(fall, blo + 1, MAX);
      break;
    case "===":
    case "!==": {
      const eq = sym === "===" ? taken : fall, ne = sym === "===" ? fall : taken;
      narrow(eq, blo, bhi);
      if (blo === bhi) {
        if (ne.lo[d] === blo) ne.lo[d]++;
        if (ne.hi[d] === blo) ne.hi[d]--;
        if (ne.lo[d] > ne.hi[d]) ne.dead = true;
      }
      break;
    }
  }
}
