/**
 * Structured control flow for WebAssembly from an eBPF function's basic blocks. A reducible
 * graph (every loop entered through its header, as compilers produce) is laid out with the
 * dominator-tree translation of N. Ramsey, "Beyond Relooper" (ICFP 2022): a loop header becomes a
 * `loop`, a block with several forward predecessors follows a `block` that its predecessors
 * leave with `br`, and every other block is placed inline where its only predecessor branches to
 * it — each block's code is emitted once. An irreducible graph (possible in hand-written or
 * unverified bytecode) becomes a dispatch loop: a `br_table` on a block index inside a `loop`.
 *
 * @module
 */
import { type FunctionBody, I32, W } from "./_wasm_encoder.ts";

/** How a basic block ends. */
export type Terminator =
  /** Continues at `to`. */
  | { kind: "goto"; to: number }
  /** A conditional jump: the condition (an i32) is pushed by `cond`, then `taken` or `fall`. */
  | { kind: "cond"; taken: number; fall: number }
  /** Leaves the function (return or a fault); the block's body already did. */
  | { kind: "leave" };

/** What the structurer asks of the instruction emitter. */
export interface BlockEmitter {
  /**
   * Emits the code of block `node` (without its final jump).
   *
   * @param node The block.
   * @param depth How many structured constructs enclose it (a `br` of this depth leaves them
   *   all: to the code after the function's structured body).
   */
  body(node: number, depth: number): void;
  /** Pushes the i32 condition of block `node`'s conditional jump. */
  cond(node: number): void;
}

/** The blocks of one function: its entry and each reachable block's terminator. */
export interface FlowGraph {
  /** The entry block. */
  entry: number;
  /** Terminator of every block reachable from the entry. */
  term: Map<number, Terminator>;
}

function successors(t: Terminator): number[] {
  if (t.kind === "goto") return [t.to];
  if (t.kind === "cond") return t.taken === t.fall ? [t.taken] : [t.taken, t.fall];
  return [];
}

/** Reverse postorder of the blocks reachable from the entry (iterative DFS). */
function reversePostorder(g: FlowGraph): number[] {
  const post: number[] = [];
  const seen = new Set<number>([g.entry]);
  const stack: [number, number][] = [[g.entry, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const succ = successors(g.term.get(top[0])!);
    if (top[1] < succ.length) {
      const s = succ[top[1]++];
      if (!seen.has(s)) {
        seen.add(s);
        stack.push([s, 0]);
      }
    } else {
      post.push(top[0]);
      stack.pop();
    }
  }
  return post.reverse();
}

type Frame = { kind: "loop"; node: number } | { kind: "block"; node: number } | { kind: "if" };

/** What the structurer learns of a function's blocks. */
export interface FlowAnalysis {
  /** The blocks in reverse postorder. */
  order: number[];
  /** Each block's index in `order`. */
  rpo: Map<number, number>;
  /** Whether every loop is entered through its header only. */
  reducible: boolean;
  /** The blocks that are targets of backward jumps (loop headers when reducible). */
  loopHeaders: Set<number>;
  /** Immediate dominator of each block, by index in `order`. */
  idom: Int32Array;
}

/**
 * Orders a function's blocks, finds its dominators and loops, and tells whether it is reducible.
 *
 * @param g The blocks.
 * @returns The analysis.
 */
export function analyzeFlow(g: FlowGraph): FlowAnalysis {
  const order = reversePostorder(g);
  const rpo = new Map<number, number>();
  order.forEach((n, i) => rpo.set(n, i));
  const preds = new Map<number, number[]>();
  for (const n of order) preds.set(n, []);
  for (const n of order) for (const s of successors(g.term.get(n)!)) preds.get(s)!.push(n);
  // Dominators (Cooper, Harvey, Kennedy: "A Simple, Fast Dominance Algorithm").
  const idom = new Int32Array(order.length).fill(-1);
  idom[0] = 0;
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 1; i < order.length; i++) {
      let d = -1;
      for (const p of preds.get(order[i])!) {
        let q = rpo.get(p)!;
        if (idom[q] < 0) continue;
        if (d < 0) {
          d = q;
          continue;
        }
        while (q !== d) {
          while (q > d) q = idom[q];
          while (d > q) d = idom[d];
        }
      }
      if (d !== idom[i]) {
        idom[i] = d;
        changed = true;
      }
    }
  }
  const dominates = (a: number, b: number): boolean => {
    while (b > a) b = idom[b];
    return a === b;
  };
  let reducible = true;
  const loopHeaders = new Set<number>();
  for (let i = 0; i < order.length; i++) {
    for (const s of successors(g.term.get(order[i])!)) {
      const j = rpo.get(s)!;
      if (j <= i) {
        if (!dominates(j, i)) reducible = false;
        loopHeaders.add(s);
      }
    }
  }
  return { order, rpo, reducible, loopHeaders, idom };
}

/**
 * Emits the control flow of a function into `fb`, calling `emit` for each block's code:
 * structured when the graph is reducible, else a dispatch loop.
 *
 * @param fb The function body.
 * @param g The blocks.
 * @param emit The instruction emitter.
 * @param pcLocal An i32 local for the dispatch loop (used only for irreducible graphs).
 * @returns `true` when the graph was reducible (structured), `false` for the dispatch loop.
 */
export function emitControlFlow(
  fb: FunctionBody,
  g: FlowGraph,
  emit: BlockEmitter,
  pcLocal: () => number,
): boolean {
  const flow = analyzeFlow(g);
  const { order, rpo, idom } = flow;
  if (!flow.reducible) {
    emitDispatch(fb, g, flow, emit, pcLocal(), null);
    return false;
  }
  const loopHeader = new Uint8Array(order.length);
  const forwardIn = new Int32Array(order.length);
  for (let i = 0; i < order.length; i++) {
    for (const s of successors(g.term.get(order[i])!)) {
      const j = rpo.get(s)!;
      if (j <= i) loopHeader[j] = 1;
      else forwardIn[j]++;
    }
  }
  const children: number[][] = Array.from({ length: order.length }, () => []);
  for (let i = 1; i < order.length; i++) children[idom[i]].push(i);
  const ctx: Frame[] = [];
  const depthOf = (kind: "loop" | "block", node: number): number => {
    for (let i = ctx.length - 1; i >= 0; i--) {
      const f = ctx[i];
      if (f.kind === kind && f.node === node) return ctx.length - 1 - i;
    }
    throw new RangeError(`No enclosing ${kind} for block ${node}`);
  };
  const doBranch = (from: number, to: number): void => {
    const j = rpo.get(to)!;
    if (j <= from) fb.br(W.br, depthOf("loop", j));
    else if (forwardIn[j] >= 2) fb.br(W.br, depthOf("block", j));
    else doTree(j);
  };
  const nodeWithin = (x: number, merges: number[]): void => {
    if (merges.length > 0) {
      const [y, ...rest] = merges;
      fb.begin(W.block);
      ctx.push({ kind: "block", node: y });
      nodeWithin(x, rest);
      ctx.pop();
      fb.op(W.end);
      doTree(y);
      return;
    }
    const node = order[x];
    emit.body(node, ctx.length);
    const t = g.term.get(node)!;
    if (t.kind === "goto" || (t.kind === "cond" && t.taken === t.fall)) {
      doBranch(x, t.kind === "goto" ? t.to : t.taken);
    } else if (t.kind === "cond") {
      emit.cond(node);
      fb.begin(W.if);
      ctx.push({ kind: "if" });
      doBranch(x, t.taken);
      fb.op(W.else);
      doBranch(x, t.fall);
      ctx.pop();
      fb.op(W.end);
    }
  };
  const doTree = (x: number): void => {
    // Merge children, the one latest in reverse postorder outermost.
    const merges = children[x].filter((c) => forwardIn[c] >= 2).sort((a, b) => b - a);
    if (loopHeader[x]) {
      fb.begin(W.loop);
      ctx.push({ kind: "loop", node: x });
      nodeWithin(x, merges);
      ctx.pop();
      fb.op(W.end);
    } else nodeWithin(x, merges);
  };
  doTree(0);
  return true;
}

/**
 * A dispatch loop: `loop { block … block { br_table } code0 } code1 … }`, where a jump sets the
 * block index (the index in `flow.order`) and branches back to the loop (or falls into the next
 * block's code when that is the target). The fallback for irreducible graphs, and the form that
 * can start at any block.
 *
 * @param fb The function body.
 * @param g The blocks.
 * @param flow Their analysis.
 * @param emit The instruction emitter.
 * @param pc An i32 local for the block index.
 * @param start An i32 local (a parameter) holding the index of the first block, or `null` for
 *   the entry.
 * @returns Nothing.
 */
export function emitDispatch(
  fb: FunctionBody,
  g: FlowGraph,
  flow: FlowAnalysis,
  emit: BlockEmitter,
  pc: number,
  start: number | null,
): void {
  const { order, rpo } = flow;
  const k = order.length;
  if (start === null) fb.i32(0).set(pc);
  else fb.get(start).set(pc);
  fb.begin(W.loop);
  for (let i = 0; i < k; i++) fb.begin(W.block);
  fb.get(pc).brTable(Array.from({ length: k }, (_, i) => i), k - 1);
  // After block i's `end` come node i's code and the `end`s of blocks i+1 … k-1.
  for (let i = 0; i < k; i++) {
    fb.op(W.end); // ends block i
    const depthToLoop = k - 1 - i;
    const node = order[i];
    const jump = (to: number, extra: number) => {
      const j = rpo.get(to)!;
      if (j === i + 1 && extra === 0) return; // falls into the next block's code
      fb.i32(j).set(pc).br(W.br, depthToLoop + extra);
    };
    emit.body(node, depthToLoop + 1);
    const t = g.term.get(node)!;
    if (t.kind === "goto") jump(t.to, 0);
    else if (t.kind === "cond") {
      emit.cond(node);
      fb.begin(W.if);
      jump(t.taken, 1);
      fb.op(W.else);
      jump(t.fall, 1);
      fb.op(W.end);
    }
    if (i === k - 1) fb.op(W.unreachable);
  }
  fb.op(W.end); // loop
}

/** The value type of the dispatch index local. */
export const DISPATCH_LOCAL_TYPE = I32;
