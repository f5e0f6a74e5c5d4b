/**
 * The optimizer and assembler of the filter compiler. On the graph the code generator made:
 *
 * 1. Jump threading: what a test proved on the way to a block (the ethertype is 0x800, the
 *    protocol is not 6 …) decides later tests of the same value, so edges skip them; a block
 *    whose branches meet is skipped too (libpcap does both, and skipping a block also skips its
 *    loads, which matters for short packets).
 * 2. Identical blocks are merged.
 * 3. Statements that recompute what a register or scratch word already holds on every path
 *    are dropped (`ldh [12]` after `ldh [12]; jeq #0x800`).
 * 4. The blocks are laid out in depth-first order (true branch next, so it falls through) and
 *    assembled, with `ja` trampolines for conditional jumps longer than 255 instructions.
 *
 * @module
 */
import type { CbpfInstruction } from "../bpf/mod.ts";
import {
  ALU,
  Block,
  JA,
  JEQ,
  JGE,
  JGT,
  JMP,
  LD,
  LDX,
  RET,
  ST,
  type Stmt,
  STX,
  type Target,
  Verdict,
  X,
} from "./_filter_cfg.ts";

/** Blocks reachable from `root`, in reverse postorder (every block before its successors). */
function reversePostorder(root: Target): Block[] {
  const out: Block[] = [];
  const seen = new Set<Block>();
  // Iterative DFS visiting jf then jt, so that jt ends up right after its block.
  const stack: [Block, number][] = [];
  if (root instanceof Block) {
    seen.add(root);
    stack.push([root, 0]);
  }
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [b, step] = top;
    if (step < 2) {
      top[1]++;
      const next = step === 0 ? b.jf : b.jt;
      if (next instanceof Block && !seen.has(next)) {
        seen.add(next);
        stack.push([next, 0]);
      }
      continue;
    }
    stack.pop();
    out.push(b);
  }
  return out.reverse();
}

// ---- symbolic values of A, X and the scratch words ----

interface RegState {
  a: string;
  x: string;
  m: string[];
}

let unknownSerial = 0;
function unknown(): string {
  return `?${unknownSerial++}`;
}

const SIZE_NAMES: Readonly<Record<number, string>> = { 0x00: "w", 0x08: "h", 0x10: "b" };
const MAX_KEY = 512;

/** The state after one statement (keys name values; equal keys are equal values). */
function step(s: Stmt, st: RegState): RegState {
  const cls = s.code & 7;
  const k = s.k >>> 0;
  const cap = (key: string) => key.length > MAX_KEY ? unknown() : key;
  switch (cls) {
    case LD: {
      const mode = s.code & 0xe0;
      const size = SIZE_NAMES[s.code & 0x18];
      let a: string;
      if (mode === 0x00) a = `#${k}`;
      else if (mode === 0x20) a = `${size}[${k}]`;
      else if (mode === 0x40) a = cap(`${size}[${st.x}+${k}]`);
      else if (mode === 0x60) a = st.m[k];
      else a = "len";
      return { a, x: st.x, m: st.m };
    }
    case LDX: {
      const mode = s.code & 0xe0;
      let x: string;
      if (mode === 0x00) x = `#${k}`;
      else if (mode === 0x60) x = st.m[k];
      else if (mode === 0x80) x = "len";
      else x = `msh[${k}]`;
      return { a: st.a, x, m: st.m };
    }
    case ST:
    case STX: {
      const m = st.m.slice();
      m[k] = cls === ST ? st.a : st.x;
      return { a: st.a, x: st.x, m };
    }
    case ALU: {
      const op = s.code & 0xf0;
      if (op === 0x80) return { a: cap(`(-${st.a})`), x: st.x, m: st.m };
      const operand = (s.code & X) ? st.x : `#${k}`;
      return { a: cap(`(${st.a}${op}${operand})`), x: st.x, m: st.m };
    }
    default: // MISC
      return (s.code & 0x80) ? { a: st.x, x: st.x, m: st.m } : { a: st.a, x: st.a, m: st.m };
  }
}

function sameState(p: RegState, q: RegState): boolean {
  if (p.a !== q.a || p.x !== q.x) return false;
  for (let i = 0; i < p.m.length; i++) if (p.m[i] !== q.m[i]) return false;
  return true;
}

function freshState(): RegState {
  return { a: unknown(), x: unknown(), m: Array.from({ length: 16 }, unknown) };
}

// ---- the branch optimizer (libpcap's opt_j, or_pullup and and_pullup) ----

/** What a block tests: the value of A, the jump opcode and the operand (constant or X). */
interface TestKey {
  a: string | null;
  code: number;
  operand: string | null;
}

function testKey(b: Block): TestKey {
  let st = freshState();
  for (const s of b.stmts) st = step(s, st);
  const known = (k: string) => (k.includes("?") ? null : k);
  return {
    a: known(st.a),
    code: b.jcode,
    operand: (b.jcode & X) !== 0 ? known(st.x) : `#${b.k >>> 0}`,
  };
}

/** An edge and what taking it proves: its block's test came out `sense`. */
interface EdgeFact {
  id: string;
  key: TestKey;
  sense: boolean;
}

/**
 * What a dominating edge says about `child`'s test (libpcap's fold_edge): the same test of the
 * same value goes the same way; after "A == k" held, "A == k2" fails.
 */
function fold(child: Block, childKey: TestKey, f: EdgeFact): Target | null {
  if (childKey.code !== f.key.code || childKey.a === null || childKey.a !== f.key.a) return null;
  if (childKey.operand !== null && childKey.operand === f.key.operand) {
    return f.sense ? child.jt! : child.jf!;
  }
  if (f.sense && f.key.code === (JMP | JEQ)) return child.jf!;
  return null;
}

/** The blocks in libpcap's level order (nearest the verdicts first), with their levels. */
function levelOrder(root: Target): Block[] {
  const level = new Map<Block, number>();
  const lists: Block[][] = [];
  // Iterative DFS, true branch first, as libpcap's find_levels.
  const stack: [Block, number][] = [];
  if (root instanceof Block) stack.push([root, 0]);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [b, st] = top;
    if (st === 0 && level.has(b)) {
      stack.pop();
      continue;
    }
    if (st < 2) {
      if (st === 0) level.set(b, -1);
      top[1]++;
      const next = st === 0 ? b.jt : b.jf;
      if (next instanceof Block && !level.has(next)) stack.push([next, 0]);
      continue;
    }
    stack.pop();
    const lv = (t: Target | null) => (t instanceof Block ? level.get(t)! : 0);
    const l = Math.max(lv(b.jt), lv(b.jf)) + 1;
    level.set(b, l);
    (lists[l] ??= []).unshift(b);
  }
  const out: Block[] = [];
  for (let i = 1; i < lists.length; i++) if (lists[i] !== undefined) out.push(...lists[i]);
  return out;
}

/** Predecessor edges of every reachable block. */
function inEdges(root: Target): Map<Block, [Block, boolean][]> {
  const preds = new Map<Block, [Block, boolean][]>();
  for (const b of reversePostorder(root)) {
    for (const side of [true, false]) {
      const t = side ? b.jt : b.jf;
      if (!(t instanceof Block)) continue;
      let list = preds.get(t);
      if (list === undefined) preds.set(t, list = []);
      list.push([b, side]);
    }
  }
  return preds;
}

/** Dominators (blocks) of every block, and dominating edges of every edge. */
function dominators(
  root: Target,
  keys: Map<Block, TestKey>,
): { dom: Map<Block, Set<Block>>; edom: Map<string, EdgeFact[]> } {
  const dom = new Map<Block, Set<Block>>();
  const edomIn = new Map<Block, Map<string, EdgeFact>>();
  const edom = new Map<string, EdgeFact[]>();
  const order = reversePostorder(root);
  const preds = inEdges(root);
  for (const b of order) {
    const ps = preds.get(b) ?? [];
    let d: Set<Block> | null = null;
    let e: Map<string, EdgeFact> | null = null;
    for (const [p, side] of ps) {
      const pd = dom.get(p)!;
      const pe = new Map(edomIn.get(p)!);
      const id = `${p.id}${side ? "t" : "f"}`;
      pe.set(id, { id, key: keys.get(p)!, sense: side });
      if (d === null || e === null) {
        d = new Set(pd);
        e = pe;
      } else {
        const prevD: Set<Block> = d, prevE: Map<string, EdgeFact> = e;
        d = new Set([...prevD].filter((x) => pd.has(x)));
        e = new Map([...prevE].filter(([k]) => pe.has(k)));
      }
    }
    d = d ?? new Set();
    d.add(b);
    dom.set(b, d);
    edomIn.set(b, e ?? new Map());
  }
  for (const b of order) {
    for (const side of [true, false]) {
      const id = `${b.id}${side ? "t" : "f"}`;
      const facts = [...edomIn.get(b)!.values()];
      facts.push({ id, key: keys.get(b)!, sense: side });
      edom.set(id, facts);
    }
  }
  return { dom, edom };
}

/** Moves a test of the same value up an `or` chain (or, with `and`, an `and` chain). */
function pullup(
  b: Block,
  preds: Map<Block, [Block, boolean][]>,
  dom: Map<Block, Set<Block>>,
  keys: Map<Block, TestKey>,
  isOr: boolean,
): boolean {
  const ps = preds.get(b);
  if (ps === undefined || ps.length === 0) return false;
  const val = keys.get(ps[0][0])?.a ?? null;
  if (val === null) return false;
  for (const [p] of ps) if (keys.get(p)?.a !== val) return false;
  // The branch followed along the chain, and the one that must lead where b's does.
  const along = (x: Block) => (isOr ? x.jf : x.jt);
  const setAlong = (x: Block, t: Target) => (isOr ? (x.jf = t) : (x.jt = t));
  const same = (x: Block) => (isOr ? x.jt : x.jf);
  const aOf = (x: Block) => keys.get(x)?.a ?? `?${x.id}`;
  const dominated = (x: Block) => dom.get(x)?.has(b) ?? false;
  // diff: [owner, side] of the pointer to the first block of another value; owner null = top.
  let diffOwner: Block | null = null;
  let diff: Target = b;
  for (;;) {
    if (!(diff instanceof Block)) return false;
    if (same(diff) !== same(b)) return false;
    if (!dominated(diff)) return false;
    if (aOf(diff) !== val) break;
    diffOwner = diff;
    diff = along(diff)!;
  }
  let sameOwner: Block = diff;
  let pull: Target = along(diff)!;
  for (;;) {
    if (!(pull instanceof Block)) return false;
    if (same(pull) !== same(b)) return false;
    if (!dominated(pull)) return false;
    if (aOf(pull) === val) break;
    sameOwner = pull;
    pull = along(pull)!;
  }
  setAlong(sameOwner, along(pull)!);
  setAlong(pull, diff);
  if (diffOwner === null) {
    for (const [p, side] of ps) {
      if (side) p.jt = pull;
      else p.jf = pull;
    }
  } else setAlong(diffOwner, pull);
  return true;
}

/**
 * One pass of libpcap's branch optimizer: whether anything changed, and whether any of it was
 * more than moving tests up (pull-ups can undo each other forever; libpcap stops after 100 passes
 * that only moved tests, and so does this, landing where it lands). The root stays the root
 * even when its branches meet: see {@linkcode skipRoot}.
 */
function branchPass(root: Block): { changed: boolean; moved: boolean } {
  let changed = false;
  const keys = new Map<Block, TestKey>();
  for (const b of reversePostorder(root)) keys.set(b, testKey(b));
  const { dom, edom } = dominators(root, keys);
  const order = levelOrder(root);
  // Tests of a constant go one way (libpcap's opt_peep, for constants loaded with ld #k).
  for (const b of order) {
    const key = keys.get(b)!;
    if (b.jt === b.jf || key.a === null || !key.a.startsWith("#") || (b.jcode & X) !== 0) {
      continue;
    }
    const a = Number(key.a.slice(1)), k = b.k >>> 0, op = b.jcode & 0xf0;
    const holds = op === JEQ ? a === k : op === JGT ? a > k : op === JGE ? a >= k : (a & k) !== 0;
    if (holds) b.jf = b.jt;
    else b.jt = b.jf;
    changed = true;
  }
  // Jump threading (opt_j) on every edge, nearest the verdicts first.
  for (const b of order) {
    for (const side of [true, false]) {
      let succ: Target = side ? b.jt! : b.jf!;
      if (!(succ instanceof Block)) continue;
      if (succ.jt === succ.jf) {
        succ = succ.jt!;
        changed = true;
      }
      const facts = edom.get(`${b.id}${side ? "t" : "f"}`) ?? [];
      let again = true;
      while (again && succ instanceof Block) {
        again = false;
        let key = keys.get(succ);
        if (key === undefined) keys.set(succ, key = testKey(succ));
        for (const f of facts) {
          const target = fold(succ, key, f);
          if (target !== null) {
            succ = target;
            changed = true;
            again = true;
            break;
          }
        }
      }
      if (side) b.jt = succ;
      else b.jf = succ;
    }
  }
  // Pull tests of one value together in or/and chains.
  const preds = inEdges(root);
  let moved = false;
  for (const b of order) {
    if (pullup(b, preds, dom, keys, true)) moved = true;
    if (pullup(b, preds, dom, keys, false)) moved = true;
  }
  return { changed: changed || moved, moved: moved && !changed };
}

/** The graph's edges as text, to notice a pass that returns to an earlier graph. */
function shape(root: Block): string {
  const id = (
    t: Target | null,
  ) => (t instanceof Block ? t.id : t === null ? -1 : (t as Verdict).accept ? -2 : -3);
  return reversePostorder(root).map((b) => `${b.id}:${id(b.jt)}:${id(b.jf)}`).join(",");
}

/** libpcap's limit on consecutive passes that only move tests. */
const MOVE_ONLY_PASSES = 100;
/** A bound on all passes, should the graph keep changing some other way. */
const MAX_PASSES = 2000;

/**
 * Skips a root whose branches meet, keeping its statements (libpcap's opt_root): a load in it
 * still rejects a packet too short for it, unless nothing is left but a verdict. When libpcap's
 * root is a constant block (`lead`), what it keeps is a constant load: nothing to keep here.
 */
function skipRoot(root: Target, lead: boolean): Target {
  if (!(root instanceof Block)) return root;
  const stmts = root.stmts;
  let t: Target = root;
  while (t instanceof Block && t.jt === t.jf) t = t.jt!;
  if (t instanceof Block && t !== root && !lead) t.stmts = [...stmts, ...t.stmts];
  return t;
}

/** Merges blocks with the same statements, test and successors. */
function mergeIdentical(root: Target): Target {
  const order = reversePostorder(root);
  const canon = new Map<Block, Block>();
  const bySignature = new Map<string, Block>();
  const id = (t: Target | null): string =>
    t instanceof Verdict ? (t.accept ? "A" : "R") : String((canon.get(t!) ?? t!).id);
  for (let i = order.length - 1; i >= 0; i--) {
    const b = order[i];
    if (b.jt instanceof Block) b.jt = canon.get(b.jt) ?? b.jt;
    if (b.jf instanceof Block) b.jf = canon.get(b.jf) ?? b.jf;
    const sig = `${b.stmts.map((s) => `${s.code}:${s.k >>> 0}`).join(",")}|${b.jcode}:${
      b.k >>> 0
    }|${id(b.jt)}|${id(b.jf)}`;
    const same = bySignature.get(sig);
    if (same !== undefined) canon.set(b, same);
    else bySignature.set(sig, b);
  }
  return root instanceof Block ? canon.get(root) ?? root : root;
}

/** Drops statements that leave A, X and the scratch words as they already are on every path. */
function dropRedundant(root: Target): void {
  const order = reversePostorder(root);
  const entry = new Map<Block, RegState>();
  if (root instanceof Block) {
    entry.set(root, { a: "#0", x: "#0", m: Array.from({ length: 16 }, unknown) });
  }
  const merge = (p: RegState, q: RegState): RegState => ({
    a: p.a === q.a ? p.a : unknown(),
    x: p.x === q.x ? p.x : unknown(),
    m: p.m.map((v, i) => (v === q.m[i] ? v : unknown())),
  });
  for (const b of order) {
    let st = entry.get(b)!;
    const kept: Stmt[] = [];
    for (const s of b.stmts) {
      const next = step(s, st);
      if (sameState(next, st)) continue;
      kept.push(s);
      st = next;
    }
    b.stmts = kept;
    for (const t of [b.jt, b.jf]) {
      if (!(t instanceof Block)) continue;
      const prev = entry.get(t);
      entry.set(t, prev === undefined ? st : merge(prev, st));
    }
  }
}

/**
 * Optimizes the graph and assembles it into classic BPF.
 *
 * @param graph The first block (or a verdict), and whether libpcap's starts with a constant.
 * @param snaplen The value `ret` returns for a kept packet.
 * @returns The program.
 */
export function assembleFilter(
  graph: { root: Target; lead: boolean },
  snaplen: number,
): CbpfInstruction[] {
  let root = graph.root;
  if (root instanceof Block) {
    let moveOnly = 0;
    // Graphs already seen: a pass that comes back to one is going round in circles.
    const seen = new Set<string>([shape(root)]);
    for (let i = 0; i < MAX_PASSES; i++) {
      const pass = branchPass(root);
      if (!pass.changed) break;
      if (!pass.moved) moveOnly = 0;
      else if (++moveOnly >= MOVE_ONLY_PASSES) break;
      const now = shape(root);
      if (seen.has(now)) break;
      seen.add(now);
    }
  }
  root = mergeIdentical(root);
  dropRedundant(root);
  root = skipRoot(root, graph.lead);
  return layout(root, snaplen);
}

/** Lays the blocks out and emits instructions, adding `ja` where a branch is too long. */
function layout(root: Target, snaplen: number): CbpfInstruction[] {
  const ret = (accept: boolean): CbpfInstruction => ({
    code: RET,
    jt: 0,
    jf: 0,
    k: accept ? snaplen >>> 0 : 0,
  });
  if (root instanceof Verdict) return [ret(root.accept)];
  const order = reversePostorder(root);
  const usesVerdict = (v: boolean) =>
    order.some((b) => [b.jt, b.jf].some((t) => t instanceof Verdict && t.accept === v));
  const verdicts = [true, false].filter(usesVerdict);
  // Trampolines needed: [jt far, jf far] per block.
  const far = new Map<Block, [boolean, boolean]>();
  for (;;) {
    const start = new Map<Block, number>();
    let pc = 0;
    for (const b of order) {
      start.set(b, pc);
      const [t, f] = far.get(b) ?? [false, false];
      pc += b.stmts.length + 1 + (t ? 1 : 0) + (f ? 1 : 0);
    }
    const verdictAt = new Map<boolean, number>();
    for (const v of verdicts) verdictAt.set(v, pc++);
    const at = (t: Target) => t instanceof Verdict ? verdictAt.get(t.accept)! : start.get(t)!;
    let grew = false;
    for (const b of order) {
      const jump = start.get(b)! + b.stmts.length;
      const [t, f] = far.get(b) ?? [false, false];
      const next = jump + 1;
      const needT = !t && at(b.jt!) - next > 255;
      const needF = !f && at(b.jf!) - next > 255;
      if (needT || needF) {
        far.set(b, [t || needT, f || needF]);
        grew = true;
      }
    }
    if (grew) continue;
    const out: CbpfInstruction[] = [];
    for (const b of order) {
      for (const s of b.stmts) out.push({ code: s.code, jt: 0, jf: 0, k: s.k >>> 0 });
      const [t, f] = far.get(b) ?? [false, false];
      const next = out.length + 1;
      const ins: CbpfInstruction = { code: b.jcode, jt: 0, jf: 0, k: b.k >>> 0 };
      out.push(ins);
      let tramp = next;
      if (t) {
        ins.jt = tramp - next;
        out.push({ code: JMP | JA, jt: 0, jf: 0, k: at(b.jt!) - (tramp + 1) });
        tramp++;
      } else ins.jt = at(b.jt!) - next;
      if (f) {
        ins.jf = tramp - next;
        out.push({ code: JMP | JA, jt: 0, jf: 0, k: at(b.jf!) - (tramp + 1) });
      } else ins.jf = at(b.jf!) - next;
    }
    for (const v of verdicts) out.push(ret(v));
    return out;
  }
}
