/**
 * The eBPF → WebAssembly compiler. Registers are `i64` locals, so eBPF's 64-bit arithmetic is
 * one WebAssembly instruction; each eBPF function (the entry and every `call local` target)
 * becomes a WebAssembly function taking r0–r10 and the instruction count and returning r0–r5 and
 * the count, so r6–r10 are restored for free. Control flow is structured by `_wasm_structure.ts`.
 *
 * Memory: one linear memory (imported as `bpf.memory`) holds a scratch area, the stack and the
 * run's memory ({@linkcode WASM_ABI}). Addresses keep the interpreter's `region << 32 | offset`
 * form: an access to region 1 (stack) or 2 (run memory) is bounds-checked and done inline; any
 * other region (map values, host arrays handed out by helpers) goes through the `load`/`store`
 * imports, which check it against the address space of the host. Helpers, atomics, legacy packet
 * loads and faults are imports too, so that they behave exactly as in the interpreter. Blocks
 * are the JIT's basic blocks, with the same instruction count added at the start of each.
 *
 * @module
 */
import { accessBytes, EBPF } from "./opcodes.ts";
import type { Machine } from "./_machine.ts";
import { findBlocks } from "./_jit_blocks.ts";
import { HINT_HANDLE, HINT_MEM, HINT_STACK, pointerHints } from "./_jit_hints.ts";
import { F64, FunctionBody, I32, I64, ModuleBuilder, W } from "./_wasm_encoder.ts";
import {
  analyzeFlow,
  emitControlFlow,
  emitDispatch,
  type FlowAnalysis,
  type FlowGraph,
  type Terminator,
} from "./_wasm_structure.ts";

const { CLASS_MASK, CLASS_LD, CLASS_LDX, CLASS_ST, CLASS_STX, CLASS_ALU, CLASS_ALU64 } = EBPF;
const { CLASS_JMP, CLASS_JMP32, SRC_X, OP_MASK, MODE_MASK, MODE_MEM } = EBPF;
const { ALU_ADD, ALU_SUB, ALU_MUL, ALU_DIV, ALU_OR, ALU_AND, ALU_LSH, ALU_RSH } = EBPF;
const { ALU_NEG, ALU_MOD, ALU_XOR, ALU_MOV, ALU_ARSH, ALU_END } = EBPF;
const { JMP_JEQ, JMP_JGT, JMP_JGE, JMP_JSET, JMP_JNE, JMP_JSGT, JMP_JSGE } = EBPF;
const { JMP_JLT, JMP_JLE, JMP_JSLT } = EBPF;
const { CALL_SRC_LOCAL, LDDW_SRC_IMM64, LE, LDDW, JA, JA32, CALL, CALLX, EXIT } = EBPF;
const { LDXW, LDXH, LDXB, LDXDW, LDXSW, LDXSH } = EBPF;

/**
 * The binary interface of a compiled module: where the scratch words, the stack and the run's
 * memory live in the linear memory, and the fault kinds the `fault` import receives.
 */
export const WASM_ABI = {
  /** r0 after a run; r0 handed back by the `helper`, `callx`, `atomic` and `legacy` imports. */
  SCRATCH_R0: 0,
  /** The high half of a value the `load` import returns. */
  SCRATCH_HI: 8,
  /** The source register after the `atomic` import (fetch forms). */
  SCRATCH_SREG: 16,
  /** The instruction count after a run (float64). */
  SCRATCH_COUNT: 24,
  /** Where the stack starts (the scratch area is below it). */
  STACK_BASE: 64,
  /** The instruction budget is exhausted. */
  FAULT_BUDGET: 1,
  /** A local call is nested deeper than allowed. */
  FAULT_CALL_DEPTH: 2,
  /** A local call finds no room on the stack. */
  FAULT_STACK: 3,
  /** Execution ran past the last instruction. */
  FAULT_FELL_OFF: 4,
  /** The run's memory does not fit in the linear memory. */
  FAULT_MEMORY_SIZE: 5,
} as const;

const { SCRATCH_R0, SCRATCH_HI, SCRATCH_SREG, SCRATCH_COUNT, STACK_BASE } = WASM_ABI;
const { FAULT_BUDGET, FAULT_CALL_DEPTH, FAULT_STACK, FAULT_FELL_OFF, FAULT_MEMORY_SIZE } = WASM_ABI;

/** The imports a compiled module may need, in the order they are declared. */
export type WasmImportName =
  | "memory"
  | "fault"
  | "load"
  | "store"
  | "helper"
  | "callx"
  | "atomic"
  | "legacy";

/** A compiled module and what its host must provide. */
export interface WasmCode {
  /** The module's bytes. */
  bytes: Uint8Array<ArrayBuffer>;
  /** Where the run's memory starts in the linear memory. */
  memBase: number;
  /** The function imports it declares (besides `memory`), in order. */
  imports: WasmImportName[];
  /** Slots of the `lddw`s whose values are imported globals `lddw<slot>` (maps, variables). */
  lddwSlots: number[];
  /** Whether every function's control flow was structured (else: a dispatch loop). */
  structured: boolean;
}

/** Options of {@linkcode compileWasm}. */
export interface CompileWasmOptions {
  /** A custom section to add (name and bytes), e.g. an artifact's metadata. */
  custom?: { name: string; data: Uint8Array };
}

// Locals of every compiled function: r0–r10, the count and the first block are parameters.
const CNT = 11, START = 12, O = 13, T = 14, G = 15, ML = 16, PC = 17;
const PARAMS = 13;
/** Node numbers of the checked copy's resume blocks: `RESUME + slot`. */
const RESUME = 1 << 24;
const LOW_MASK = 0xffffffffn, HIGH_MASK = -0x100000000n;

/**
 * Compiles a prepared program to a WebAssembly module.
 *
 * @param m The prepared program (checked; `lddw` values resolved).
 * @param options A custom section.
 * @returns The module and its interface.
 */
export function compileWasm(m: Machine, options: CompileWasmOptions = {}): WasmCode {
  const n = m.slots;
  const { opc, src, off, imm } = m;
  const { leader } = findBlocks(m);
  const next = (q: number) => q + (opc[q] === LDDW ? 2 : 1);
  const isLocalCall = (q: number) => opc[q] === CALL && src[q] === CALL_SRC_LOCAL;
  // Which imports the code needs.
  const need = new Set<WasmImportName>(["fault"]);
  const lddwSlots: number[] = [];
  for (let q = 0; q < n; q = next(q)) {
    const op = opc[q], cls = op & CLASS_MASK;
    if (cls === CLASS_LDX || cls === CLASS_ST) need.add("load").add("store");
    else if (cls === CLASS_STX) {
      if ((op & MODE_MASK) === MODE_MEM) need.add("load").add("store");
      else need.add("atomic");
    } else if (cls === CLASS_LD) {
      if (op !== LDDW) need.add("legacy");
      else if (src[q] !== LDDW_SRC_IMM64) lddwSlots.push(q);
    } else if (op === CALL && src[q] !== CALL_SRC_LOCAL) need.add("helper");
    else if (op === CALLX) need.add("callx");
  }
  const order: WasmImportName[] = ["fault", "load", "store", "helper", "callx", "atomic", "legacy"];
  const imports = order.filter((i) => need.has(i));
  const mb = new ModuleBuilder();
  if (options.custom) mb.addCustom(options.custom.name, options.custom.data);
  const memBase = (STACK_BASE + m.memory.lengths[1] + 15) & ~15;
  mb.addImport({ module: "bpf", name: "memory", kind: "memory", minPages: 1 });
  const fn: Partial<Record<WasmImportName, number>> = {};
  const sig: Record<Exclude<WasmImportName, "memory">, [number[], number[]]> = {
    fault: [[I32, I32, F64], []],
    load: [[I32, I32, I32, I32, I32], [I32]],
    store: [[I32, I32, I32, I32, I32, I32, I32], []],
    helper: [[I32, I32, ...Array(10).fill(I32)], [I32]],
    callx: [[I32, I32, I32, ...Array(10).fill(I32)], [I32]],
    atomic: [[I32, I32, I32, I32, I32, I32, I32], []],
    legacy: [[I32, I32], [I32]],
  };
  for (const name of imports) {
    const [p, r] = sig[name as Exclude<WasmImportName, "memory">];
    fn[name] = mb.addImport({ module: "bpf", name, kind: "func", type: mb.type(p, r) });
  }
  const lddwGlobal = new Map<number, number>();
  for (const q of lddwSlots) {
    lddwGlobal.set(
      q,
      mb.addImport({ module: "bpf", name: `lddw${q}`, kind: "global", valType: I64 }),
    );
  }
  // Array map lookups done inline (as in the JavaScript JIT): for the map whose handle the
  // lddw at slot p loads, the globals map<p> (its handle; 0: not inlinable), map<p>base (the
  // region of element 0) and map<p>n (elements whose regions are numbered in a row).
  const hints = pointerHints(m);
  const inlineMap = new Map<number, [number, number, number]>();
  if (need.has("helper") && m.memory.lengths[1] >= 4) {
    for (let q = 0; q < n; q = next(q)) {
      if (opc[q] !== CALL || src[q] === CALL_SRC_LOCAL || imm[q] !== 1) continue;
      const h1 = hints[q * 11 + 1], h2 = hints[q * 11 + 2];
      if (h1 < HINT_HANDLE || (h1 & 1) !== 0 || h2 !== HINT_STACK) continue;
      const p = (h1 - HINT_HANDLE) >> 1;
      if (inlineMap.has(p)) continue;
      const handle = mb.addImport({ module: "bpf", name: `map${p}`, kind: "global", valType: I64 });
      const base = mb.addImport({
        module: "bpf",
        name: `map${p}base`,
        kind: "global",
        valType: I32,
      });
      const count = mb.addImport({ module: "bpf", name: `map${p}n`, kind: "global", valType: I32 });
      inlineMap.set(p, [handle, base, count]);
    }
  }
  const gMemLen = mb.addGlobal(I64, true, 0);
  const gDepth = mb.addGlobal(I32, true, 0);
  const gHalted = mb.addGlobal(I32, true, 0);
  // The functions: the entry and every local-call target.
  const entries = [0];
  for (let q = 0; q < n; q = next(q)) {
    if (isLocalCall(q) && !entries.includes(q + 1 + imm[q])) entries.push(q + 1 + imm[q]);
  }
  const subType = mb.type([...Array(12).fill(I64), I32], Array(7).fill(I64));
  const runType = mb.type([I32], []);
  const runIndex = mb.declareFunction(runType);
  // Terminators of every block.
  const term = new Map<number, Terminator>();
  const lastOf = new Map<number, number>();
  const lengthOf = new Map<number, number>();
  for (let b = 0; b < n; b = next(lastOf.get(b)!)) {
    let q = b, len = 1;
    while (next(q) < n && !leader[next(q)]) {
      q = next(q);
      len++;
    }
    lastOf.set(b, q);
    lengthOf.set(b, len);
    const op = opc[q], cls = op & CLASS_MASK;
    let t: Terminator;
    if (op === EXIT) t = { kind: "leave" };
    else if (op === JA) t = { kind: "goto", to: q + 1 + off[q] };
    else if (op === JA32) t = { kind: "goto", to: q + 1 + imm[q] };
    else if ((cls === CLASS_JMP || cls === CLASS_JMP32) && op !== CALL && op !== CALLX) {
      t = { kind: "cond", taken: q + 1 + off[q], fall: q + 1 };
    } else t = { kind: "goto", to: next(q) };
    term.set(b, t);
  }
  term.set(n, { kind: "leave" });
  lastOf.set(n, n);
  lengthOf.set(n, 0);
  // Each function twice: a fast copy that checks the budget only at its checkpoints (entry,
  // loop headers, returns from local calls), knowing the most instructions that can run before
  // the next one, and a checked copy (a dispatch loop that can start at any block, checking at
  // every block) that the fast copy continues in when the budget could run out before its next
  // checkpoint. An irreducible function has only the checked copy.
  const funcOf = new Map<number, number>();
  const checkedOf = new Map<number, number>();
  const graphs = new Map<number, { graph: FlowGraph; flow: FlowAnalysis }>();
  for (const e of entries) {
    const reach = new Map<number, Terminator>();
    const todo = [e];
    while (todo.length > 0) {
      const b = todo.pop()!;
      if (reach.has(b)) continue;
      const t = term.get(b)!;
      reach.set(b, t);
      if (t.kind === "goto") todo.push(t.to);
      else if (t.kind === "cond") todo.push(t.taken, t.fall);
    }
    const graph: FlowGraph = { entry: e, term: reach };
    const flow = analyzeFlow(graph);
    graphs.set(e, { graph, flow });
    funcOf.set(e, mb.declareFunction(subType));
    if (flow.reducible) checkedOf.set(e, mb.declareFunction(subType));
  }
  /** Whether the access at `q` goes through a pointer hinted to the stack or run memory. */
  const bailsOut = (q: number): boolean => {
    const op = opc[q], cls = op & CLASS_MASK;
    let base: number;
    if (cls === CLASS_LDX) base = src[q];
    else if (cls === CLASS_ST || (cls === CLASS_STX && (op & MODE_MASK) === MODE_MEM)) {
      base = m.dst[q];
    } else return false;
    const h = hints[q * 11 + base];
    return h === HINT_STACK || h === HINT_MEM;
  };
  let structured = true;
  const context = (): Context => ({
    fn,
    hints,
    inlineMap,
    funcOf,
    lddwGlobal,
    gDepth,
    gHalted,
    lastOf,
    leader,
    next,
  });
  const newBody = () => {
    const fb = new FunctionBody(PARAMS);
    for (let i = 0; i < 2; i++) fb.local(I64); // O, T
    fb.local(I32); // G
    fb.local(I64); // ML
    fb.local(I32); // PC (dispatch loops)
    fb.prologue(() => fb.gget(gMemLen).set(ML));
    return fb;
  };
  for (const e of entries) {
    const { graph, flow } = graphs.get(e)!;
    // The checked copy (the only one of an irreducible function). It can also start in the
    // middle of a block, at a load or store through a pointer to the stack or the run's memory
    // (a "resume" block, RESUME + slot, whose count the fast copy has already added): the fast
    // copy leaves for it when such an access misses its region, instead of calling out from its
    // loop (a call anywhere in a loop makes V8 keep the loop's values in memory).
    const resumeAt = new Map<number, number>();
    const checkedGraph: FlowGraph = { entry: e, term: new Map(graph.term) };
    const checkedFlow: FlowAnalysis = { ...flow, order: [...flow.order], rpo: new Map(flow.rpo) };
    if (flow.reducible) {
      for (const b of graph.term.keys()) {
        if (b >= n) continue;
        const last = lastOf.get(b)!;
        for (let q = b; q <= last; q = next(q)) {
          if (!bailsOut(q)) continue;
          const node = RESUME + q;
          checkedGraph.term.set(node, graph.term.get(b)!);
          resumeAt.set(q, checkedFlow.order.length);
          checkedFlow.rpo.set(node, checkedFlow.order.length);
          checkedFlow.order.push(node);
          lastOf.set(node, last);
        }
      }
    }
    const checked = newBody();
    emitDispatch(
      checked,
      checkedGraph,
      checkedFlow,
      new BodyEmitter(m, checked, context(), null),
      PC,
      START,
    );
    checked.op(W.unreachable);
    if (!flow.reducible) {
      structured = false;
      mb.setBody(funcOf.get(e)!, checked);
      continue;
    }
    mb.setBody(checkedOf.get(e)!, checked);
    // The fast copy: checkpoints and the longest run of instructions from each to the next.
    const points = new Set<number>([e, ...flow.loopHeaders]);
    for (const b of graph.term.keys()) {
      const q = lastOf.get(b)!;
      if (b < n && isLocalCall(q)) points.add(next(q));
    }
    const longest = new Map<number, number>();
    const reachFrom = (b: number, first: boolean): number => {
      if (!first && points.has(b)) return 0;
      const memo = first ? undefined : longest.get(b);
      if (memo !== undefined) return memo;
      const t = graph.term.get(b)!;
      const succ = t.kind === "goto" ? [t.to] : t.kind === "cond" ? [t.taken, t.fall] : [];
      let most = 0;
      for (const s of succ) most = Math.max(most, reachFrom(s, false));
      const total = lengthOf.get(b)! + most;
      if (!first) longest.set(b, total);
      return total;
    };
    const budgetPoints = new Map<number, { ahead: number; index: number }>();
    for (const p of points) {
      if (graph.term.has(p)) {
        budgetPoints.set(p, { ahead: reachFrom(p, true), index: flow.rpo.get(p)! });
      }
    }
    const fast = newBody();
    const fastEmitter = new BodyEmitter(m, fast, context(), {
      points: budgetPoints,
      checked: checkedOf.get(e)!,
      resumeAt,
    });
    fast.begin(W.block);
    emitControlFlow(fast, graph, fastEmitter, () => PC);
    fast.op(W.end);
    for (let r = 0; r <= 10; r++) fast.get(r);
    fast.get(CNT).get(PC).call(checkedOf.get(e)!).op(W.return);
    mb.setBody(funcOf.get(e)!, fast);
  }
  // run(memLen): checks that the memory fits, sets up r1, r2, r10, calls the entry, stores r0
  // and the count in the scratch area.
  const run = new FunctionBody(1);
  const r0 = run.local(I64);
  const cnt = run.local(I64);
  run.get(0).op(W.i64_extend_i32_u).i64(memBase).op(W.i64_add);
  run.code.byte(0x3f).byte(0); // memory.size
  run.op(W.i64_extend_i32_u).i64(16).op(W.i64_shl).op(W.i64_gt_u).begin(W.if);
  run.i32(FAULT_MEMORY_SIZE).i32(-1).code.byte(0x44).f64(0);
  run.call(fn.fault!).op(W.unreachable).op(W.end);
  run.get(0).op(W.i64_extend_i32_u).gset(gMemLen);
  run.i32(0).gset(gDepth).i32(0).gset(gHalted);
  run.i64(0).i64(2n << 32n).get(0).op(W.i64_extend_i32_u);
  for (let r = 3; r <= 9; r++) run.i64(0);
  run.i64((1n << 32n) | BigInt(m.memory.lengths[1])).i64(0).i32(0);
  run.call(funcOf.get(0)!);
  run.set(cnt);
  for (let r = 5; r >= 1; r--) run.op(W.drop);
  run.set(r0);
  run.i32(0).get(r0).mem(W.i64_store, SCRATCH_R0);
  run.i32(0).get(cnt).op(W.f64_convert_i64_u).mem(0x39, SCRATCH_COUNT); // f64.store
  mb.setBody(runIndex, run);
  mb.addExport({ name: "run", kind: "func", index: runIndex });
  mb.addExport({ name: "stack_base", kind: "global", index: mb.addGlobal(I32, false, STACK_BASE) });
  mb.addExport({
    name: "stack_size",
    kind: "global",
    index: mb.addGlobal(I32, false, m.memory.lengths[1]),
  });
  mb.addExport({ name: "mem_base", kind: "global", index: mb.addGlobal(I32, false, memBase) });
  return { bytes: mb.encode(), memBase, imports, lddwSlots, structured };
}

interface Context {
  fn: Partial<Record<WasmImportName, number>>;
  hints: Int32Array;
  inlineMap: Map<number, [number, number, number]>;
  funcOf: Map<number, number>;
  lddwGlobal: Map<number, number>;
  gDepth: number;
  gHalted: number;
  lastOf: Map<number, number>;
  leader: Uint8Array;
  next: (q: number) => number;
}

/** Emits the instructions of basic blocks into one function. */
class BodyEmitter {
  #m: Machine;
  #f: FunctionBody;
  #c: Context;
  #stackLen: number;
  #memBase: number;
  #limits = new Map<number, number>();

  /**
   * The fast copy's budget checkpoints (block → instructions that can run from it before the
   * next checkpoint, and its index in the checked copy) and the checked copy; `null` in the
   * checked copy, which checks at every block.
   */
  #budget: {
    points: Map<number, { ahead: number; index: number }>;
    checked: number;
    resumeAt: Map<number, number>;
  } | null;
  /** How many structured constructs enclose the block being emitted. */
  #depth = 0;

  constructor(
    m: Machine,
    f: FunctionBody,
    c: Context,
    budget: {
      points: Map<number, { ahead: number; index: number }>;
      checked: number;
      resumeAt: Map<number, number>;
    } | null,
  ) {
    this.#m = m;
    this.#f = f;
    this.#c = c;
    this.#budget = budget;
    this.#stackLen = m.memory.lengths[1];
    this.#memBase = (STACK_BASE + this.#stackLen + 15) & ~15;
  }

  /** Pushes the count (minus `minus`) as f64 and calls `fault(kind, pc, count)`. */
  #fault(kind: number, pc: number, minus = 0): void {
    const f = this.#f;
    f.i32(kind).i32(pc).get(CNT);
    if (minus !== 0) f.i64(minus).op(W.i64_sub);
    f.op(W.f64_convert_i64_u).call(this.#c.fn.fault!).op(W.unreachable);
  }

  /** Returns r0–r5 and the count. */
  #return(): void {
    const f = this.#f;
    for (let r = 0; r <= 5; r++) f.get(r);
    f.get(CNT).op(W.return);
  }

  /** Ends the whole program (a helper's stop, a failed legacy load): flags it and returns. */
  #halt(): void {
    this.#f.i32(1).gset(this.#c.gHalted);
    this.#return();
  }

  body(node: number, depth: number): void {
    const m = this.#m, f = this.#f;
    if (node === m.slots) {
      this.#fault(FAULT_FELL_OFF, node);
      return;
    }
    this.#depth = depth;
    const last = this.#c.lastOf.get(node)!;
    if (node >= RESUME) {
      // A resume block: the rest of a block whose count the fast copy added.
      for (let q = node - RESUME; q <= last; q = this.#c.next(q)) this.#insn(q, q === last);
      return;
    }
    let len = 0;
    for (let q = node; q <= last; q = this.#c.next(q)) len++;
    const budget = this.#budget;
    if (budget === null) {
      f.get(CNT).i64(len).op(W.i64_add).tee(CNT).i64(m.budget).op(W.i64_gt_s).begin(W.if);
      this.#fault(FAULT_BUDGET, node, len);
      f.op(W.end);
    } else {
      const point = budget.points.get(node);
      f.get(CNT).i64(len).op(W.i64_add);
      if (point === undefined) f.set(CNT);
      else {
        // The budget could run out before the next checkpoint: leave the structured body (to
        // the call of the checked copy after it) with this block's index and count.
        f.tee(CNT).i64(m.budget - point.ahead + len).op(W.i64_gt_s).begin(W.if);
        f.get(CNT).i64(len).op(W.i64_sub).set(CNT);
        f.i32(point.index).set(PC).br(W.br, depth + 1);
        f.op(W.end);
      }
    }
    for (let q = node; q <= last; q = this.#c.next(q)) this.#insn(q, q === last);
  }

  cond(node: number): void {
    const m = this.#m, f = this.#f;
    const q = this.#c.lastOf.get(node)!;
    const op = m.opc[q], d = m.dst[q], s = m.src[q], k = m.imm[q];
    const x = (op & SRC_X) !== 0;
    const wide = (op & CLASS_MASK) === CLASS_JMP;
    f.get(d);
    if (!wide) f.op(W.i32_wrap_i64);
    if (x) {
      f.get(s);
      if (!wide) f.op(W.i32_wrap_i64);
    } else if (wide) f.i64(k);
    else f.i32(k);
    const jop = op & OP_MASK;
    const pick = (a: number, b: number) => wide ? a : b;
    switch (jop) {
      case JMP_JEQ:
        f.op(pick(W.i64_eq, W.i32_eq));
        break;
      case JMP_JNE:
        f.op(pick(W.i64_ne, W.i32_ne));
        break;
      case JMP_JSET:
        if (wide) f.op(W.i64_and).op(W.i64_eqz).op(W.i32_eqz);
        else f.op(W.i32_and).op(W.i32_eqz).op(W.i32_eqz);
        break;
      case JMP_JGT:
        f.op(pick(W.i64_gt_u, W.i32_gt_u));
        break;
      case JMP_JGE:
        f.op(pick(W.i64_ge_u, W.i32_ge_u));
        break;
      case JMP_JLT:
        f.op(pick(W.i64_lt_u, W.i32_lt_u));
        break;
      case JMP_JLE:
        f.op(pick(W.i64_le_u, W.i32_le_u));
        break;
      case JMP_JSGT:
        f.op(pick(W.i64_gt_s, W.i32_gt_s));
        break;
      case JMP_JSGE:
        f.op(pick(W.i64_ge_s, W.i32_ge_s));
        break;
      case JMP_JSLT:
        f.op(pick(W.i64_lt_s, W.i32_lt_s));
        break;
      default: // JMP_JSLE
        f.op(pick(W.i64_le_s, W.i32_le_s));
    }
  }

  /** Pushes the low half of register `r` as i32. */
  #lo(r: number): void {
    this.#f.get(r).op(W.i32_wrap_i64);
  }

  /** Pushes the high half of register `r` as i32. */
  #hi(r: number): void {
    this.#f.get(r).i64(32).op(W.i64_shr_u).op(W.i32_wrap_i64);
  }

  #insn(pc: number, last: boolean): void {
    const m = this.#m, f = this.#f, c = this.#c;
    const op = m.opc[pc], d = m.dst[pc], s = m.src[pc], o = m.off[pc], k = m.imm[pc];
    const cls = op & CLASS_MASK;
    if (cls === CLASS_ALU || cls === CLASS_ALU64) {
      this.#alu(op, d, s, o, k);
      return;
    }
    if (cls === CLASS_LDX) {
      this.#access(pc, op, s, o, accessBytes(op), () => {}, d);
      return;
    }
    if (cls === CLASS_ST || (cls === CLASS_STX && (op & MODE_MASK) === MODE_MEM)) {
      const value = cls === CLASS_STX ? () => f.get(s) : () => f.i64(k);
      this.#access(pc, op, d, o, accessBytes(op), value, -1);
      return;
    }
    if (cls === CLASS_STX) { // atomic
      f.i32(pc);
      this.#lo(d);
      this.#hi(d);
      this.#lo(s);
      this.#hi(s);
      this.#lo(0);
      this.#hi(0);
      f.call(c.fn.atomic!);
      f.i32(0).mem(W.i64_load, SCRATCH_SREG).set(s);
      f.i32(0).mem(W.i64_load, SCRATCH_R0).set(0);
      return;
    }
    if (cls === CLASS_LD) {
      if (op === LDDW) {
        const g = c.lddwGlobal.get(pc);
        if (g !== undefined) f.gget(g).set(d);
        else f.i64((BigInt(m.imm2[pc]) << 32n) | BigInt(k >>> 0)).set(d);
        return;
      }
      f.i32(pc);
      this.#lo(s);
      f.call(c.fn.legacy!).begin(W.if);
      f.i64(0).set(0);
      this.#halt();
      f.op(W.end);
      f.i32(0).mem(W.i64_load, SCRATCH_R0).set(0);
      return;
    }
    // Jumps: conditional jumps and `ja` are the block's terminator.
    if (op === EXIT) {
      this.#return();
      return;
    }
    if (op === CALL && s === CALL_SRC_LOCAL) {
      this.#localCall(pc, pc + 1 + k);
      return;
    }
    if (op === CALL || op === CALLX) {
      const h1 = c.hints[pc * 11 + 1];
      const inline = op === CALL && k === 1 && h1 >= HINT_HANDLE && (h1 & 1) === 0
        ? c.inlineMap.get((h1 - HINT_HANDLE) >> 1)
        : undefined;
      if (inline !== undefined) {
        // r1 is the map's handle and r2 points to 4 key bytes on the stack: r0 is the region of
        // element key (or the helper runs, for a key past the numbered elements).
        const [handle, base, count] = inline;
        f.begin(W.block);
        f.get(1).gget(handle).op(W.i64_eq);
        f.get(2).i64(-(1n << 32n)).op(W.i64_add).tee(O).i64(this.#stackLen - 3).op(W.i64_lt_u);
        f.op(W.i32_and).begin(W.if);
        f.get(O).op(W.i32_wrap_i64).mem(W.i64_load32_u, STACK_BASE).tee(T);
        f.gget(count).op(W.i64_extend_i32_u).op(W.i64_lt_u).begin(W.if);
        f.gget(base).op(W.i64_extend_i32_u).get(T).op(W.i64_add).i64(32).op(W.i64_shl).set(0);
        f.br(W.br, 2).op(W.end).op(W.end);
        this.#helperCall(pc, op, d, k);
        f.op(W.end);
        return;
      }
      this.#helperCall(pc, op, d, k);
      return;
    }
    if (!last) throw new RangeError(`Jump at ${pc} is not the last instruction of its block`);
  }

  /** `call N` or `call %rN` through the `helper`/`callx` import; a stop ends the program. */
  #helperCall(pc: number, op: number, d: number, k: number): void {
    const f = this.#f, c = this.#c;
    {
      if (op === CALL) f.i32(k).i32(pc);
      else {
        this.#lo(d);
        this.#hi(d);
        f.i32(pc);
      }
      for (let r = 1; r <= 5; r++) {
        this.#lo(r);
        this.#hi(r);
      }
      f.call(op === CALL ? c.fn.helper! : c.fn.callx!);
      f.i32(0).mem(W.i64_load, SCRATCH_R0).set(0);
      f.begin(W.if);
      this.#halt();
      f.op(W.end);
    }
  }

  #localCall(pc: number, target: number): void {
    const m = this.#m, f = this.#f, c = this.#c;
    f.gget(c.gDepth).i32(m.maxCallDepth).op(W.i32_ge_s).begin(W.if);
    this.#fault(FAULT_CALL_DEPTH, pc);
    f.op(W.end);
    f.get(10).i64(LOW_MASK).op(W.i64_and).i64(m.frameSize).op(W.i64_sub).tee(O);
    f.i64(0).op(W.i64_lt_s).begin(W.if);
    this.#fault(FAULT_STACK, pc);
    f.op(W.end);
    for (let r = 0; r <= 9; r++) f.get(r);
    f.get(10).i64(HIGH_MASK).op(W.i64_and).get(O).op(W.i64_or).get(CNT).i32(0);
    f.gget(c.gDepth).i32(1).op(W.i32_add).gset(c.gDepth);
    f.call(c.funcOf.get(target)!);
    f.gget(c.gDepth).i32(1).op(W.i32_sub).gset(c.gDepth);
    f.set(CNT);
    for (let r = 5; r >= 0; r--) f.set(r);
    f.gget(c.gHalted).begin(W.if);
    this.#return();
    f.op(W.end);
  }

  /**
   * The local holding `max(0, ML - c)`: the bound the run memory's fast path compares with
   * (computed once per function, in its prologue).
   */
  #memLimit(c: number): number {
    let l = this.#limits.get(c);
    if (l === undefined) {
      const f = this.#f, local = f.local(I64);
      l = local;
      this.#limits.set(c, l);
      f.prologue(() => {
        f.get(ML).i64(c).op(W.i64_sub).i64(0).get(ML).i64(c).op(W.i64_ge_u).op(W.select);
        f.set(local);
      });
    }
    return l;
  }

  /**
   * A load (`dst >= 0`) or store of `size` bytes at register `base` + `off`: inline for the stack
   * and the run's memory (the region the base register most likely points to first), through
   * the `load`/`store` imports for any other region or a failed check.
   *
   * The check of region R is one unsigned comparison: with `v = base - (R << 32) + min(off, 0)`,
   * the access is inside R exactly when `v < len - size - max(off, 0) + 1` (then the high half
   * is R, and the offset, `v + max(off, 0)`, fits). The address is `v` plus a static offset.
   */
  #access(
    pc: number,
    op: number,
    base: number,
    off: number,
    size: number,
    value: () => void,
    dst: number,
  ): void {
    const f = this.#f, c = this.#c;
    const isLoad = dst >= 0;
    const type = isLoad ? I64 : 0x40;
    const regions = base === 10 ? [1, 2] : [2, 1];
    const below = Math.min(off, 0), above = Math.max(off, 0);
    let opened = 0;
    for (const region of regions) {
      const k = size + above - 1;
      if (region === 1 && this.#stackLen - k <= 0) continue;
      f.get(base).i64(BigInt(below) - (BigInt(region) << 32n)).op(W.i64_add).tee(O);
      if (region === 1) f.i64(this.#stackLen - k);
      else f.get(this.#memLimit(k));
      f.op(W.i64_lt_u).begin(W.if, type);
      f.get(O).op(W.i32_wrap_i64);
      const addr = (region === 1 ? STACK_BASE : this.#memBase) + above;
      if (isLoad) f.mem(loadOp(op), addr);
      else {
        value();
        f.mem(storeOp(size), addr);
      }
      f.op(W.else);
      opened++;
    }
    // The generic path: the host checks the address against every region (in the fast copy,
    // for a pointer hinted to the stack or run memory, the checked copy from this access on).
    const resume = this.#budget?.resumeAt.get(pc);
    if (resume !== undefined) {
      f.i32(resume).set(PC).br(W.br, this.#depth + opened);
      if (isLoad) f.op(W.unreachable);
      for (let i = 0; i < opened; i++) f.op(W.end);
      if (isLoad) f.set(dst);
      return;
    }
    f.i32(pc).i32(op);
    this.#lo(base);
    this.#hi(base);
    f.i32(off);
    if (isLoad) {
      f.call(c.fn.load!).op(W.i64_extend_i32_u);
      f.i32(0).mem(W.i64_load32_u, SCRATCH_HI).i64(32).op(W.i64_shl).op(W.i64_or);
    } else {
      value();
      f.set(T);
      f.get(T).op(W.i32_wrap_i64).get(T).i64(32).op(W.i64_shr_u).op(W.i32_wrap_i64);
      f.call(c.fn.store!);
    }
    for (let i = 0; i < opened; i++) f.op(W.end);
    if (isLoad) f.set(dst);
  }

  #alu(op: number, d: number, s: number, o: number, k: number): void {
    const f = this.#f;
    const wide = (op & CLASS_MASK) === CLASS_ALU64;
    const x = (op & SRC_X) !== 0;
    const a = () => {
      f.get(d);
      if (!wide) f.op(W.i32_wrap_i64);
    };
    const b = () => {
      if (x) {
        f.get(s);
        if (!wide) f.op(W.i32_wrap_i64);
      } else if (wide) f.i64(k);
      else f.i32(k);
    };
    const done = () => {
      if (!wide) f.op(W.i64_extend_i32_u);
      f.set(d);
    };
    const pick = (w64: number, w32: number) => wide ? w64 : w32;
    const simple = (w64: number, w32: number) => {
      a();
      b();
      f.op(pick(w64, w32));
      done();
    };
    const zeroType = wide ? I64 : I32;
    const isZero = () => {
      b();
      f.op(pick(W.i64_eqz, W.i32_eqz));
    };
    const konst = (v: number) => wide ? f.i64(v) : f.i32(v);
    switch (op & OP_MASK) {
      case ALU_ADD:
        return simple(W.i64_add, W.i32_add);
      case ALU_SUB:
        return simple(W.i64_sub, W.i32_sub);
      case ALU_MUL:
        return simple(W.i64_mul, W.i32_mul);
      case ALU_OR:
        return simple(W.i64_or, W.i32_or);
      case ALU_AND:
        return simple(W.i64_and, W.i32_and);
      case ALU_XOR:
        return simple(W.i64_xor, W.i32_xor);
      case ALU_LSH:
        return simple(W.i64_shl, W.i32_shl);
      case ALU_RSH:
        return simple(W.i64_shr_u, W.i32_shr_u);
      case ALU_ARSH:
        return simple(W.i64_shr_s, W.i32_shr_s);
      case ALU_NEG:
        konst(0);
        a();
        f.op(pick(W.i64_sub, W.i32_sub));
        return done();
      case ALU_DIV:
      case ALU_MOD: {
        const div = (op & OP_MASK) === ALU_DIV;
        const signed = o === 1;
        const opcode = div
          ? (signed ? pick(W.i64_div_s, W.i32_div_s) : pick(W.i64_div_u, W.i32_div_u))
          : (signed ? pick(W.i64_rem_s, W.i32_rem_s) : pick(W.i64_rem_u, W.i32_rem_u));
        if (!x) {
          if (k === 0) {
            if (div) konst(0);
            else a();
          } else if (k === -1 && signed && div) {
            konst(0);
            a();
            f.op(pick(W.i64_sub, W.i32_sub));
          } else {
            a();
            b();
            f.op(opcode);
          }
          return done();
        }
        // By zero: 0 for a division, the dividend for a modulo; signed division by -1 negates
        // (WebAssembly traps on INT_MIN / -1).
        isZero();
        f.begin(W.if, zeroType);
        if (div) konst(0);
        else a();
        f.op(W.else);
        if (signed && div) {
          b();
          konst(-1);
          f.op(pick(W.i64_eq, W.i32_eq)).begin(W.if, zeroType);
          konst(0);
          a();
          f.op(pick(W.i64_sub, W.i32_sub)).op(W.else);
          a();
          b();
          f.op(opcode).op(W.end);
        } else if (!signed && wide) {
          // Both operands below 2^32: the 32-bit instruction is faster.
          f.get(d).get(s).op(W.i64_or).i64(32).op(W.i64_shr_u).op(W.i64_eqz);
          f.begin(W.if, I64);
          f.get(d).op(W.i32_wrap_i64).get(s).op(W.i32_wrap_i64);
          f.op(div ? W.i32_div_u : W.i32_rem_u).op(W.i64_extend_i32_u);
          f.op(W.else);
          a();
          b();
          f.op(opcode).op(W.end);
        } else {
          a();
          b();
          f.op(opcode);
        }
        f.op(W.end);
        return done();
      }
      case ALU_MOV:
        if (!x) {
          if (wide) f.i64(k);
          else f.i64(k >>> 0);
          f.set(d);
          return;
        }
        f.get(s);
        if (o === 0) {
          if (!wide) f.i64(LOW_MASK).op(W.i64_and);
        } else if (o === 32) f.op(W.i64_extend32_s);
        else if (wide) f.op(o === 8 ? W.i64_extend8_s : W.i64_extend16_s);
        else {
          f.op(W.i32_wrap_i64).op(o === 8 ? W.i32_extend8_s : W.i32_extend16_s);
          f.op(W.i64_extend_i32_u);
        }
        f.set(d);
        return;
      case ALU_END:
        if (op === LE) {
          if (k === 16) f.get(d).i64(0xffff).op(W.i64_and).set(d);
          else if (k === 32) f.get(d).i64(LOW_MASK).op(W.i64_and).set(d);
          return;
        }
        if (k === 16) {
          f.get(d).i64(0xff).op(W.i64_and).i64(8).op(W.i64_shl);
          f.get(d).i64(8).op(W.i64_shr_u).i64(0xff).op(W.i64_and).op(W.i64_or).set(d);
        } else if (k === 32) {
          f.get(d).op(W.i32_wrap_i64);
          this.#bswap32();
          f.op(W.i64_extend_i32_u).set(d);
        } else {
          f.get(d).op(W.i32_wrap_i64);
          this.#bswap32();
          f.op(W.i64_extend_i32_u).i64(32).op(W.i64_shl);
          f.get(d).i64(32).op(W.i64_shr_u).op(W.i32_wrap_i64);
          this.#bswap32();
          f.op(W.i64_extend_i32_u).op(W.i64_or).set(d);
        }
        return;
    }
  }

  /** Byte-swaps the i32 on the stack (uses the `G` local). */
  #bswap32(): void {
    const f = this.#f;
    f.set(G);
    f.get(G).i32(0x00ff00ff).op(W.i32_and).i32(8).op(W.i32_rotr);
    f.get(G).i32(0xff00ff00 | 0).op(W.i32_and).i32(8).op(W.i32_rotl);
    f.op(W.i32_or);
  }
}

function loadOp(op: number): number {
  switch (op) {
    case LDXW:
      return W.i64_load32_u;
    case LDXH:
      return W.i64_load16_u;
    case LDXB:
      return W.i64_load8_u;
    case LDXDW:
      return W.i64_load;
    case LDXSW:
      return W.i64_load32_s;
    case LDXSH:
      return W.i64_load16_s;
    default: // LDXSB
      return W.i64_load8_s;
  }
}

function storeOp(size: number): number {
  return size === 4
    ? W.i64_store32
    : size === 2
    ? W.i64_store16
    : size === 1
    ? W.i64_store8
    : W.i64_store;
}
