/**
 * The control-flow graph a filter compiles to before it becomes classic BPF: blocks of
 * straight-line statements ending in a conditional jump, and the `and`/`or`/`not` combinators
 * that wire them together (libpcap's backpatching, with constant `true`/`false` folded away).
 * Each block the code generator makes computes what it tests from scratch, so the optimizer can
 * reason about a block alone; it removes the repeats afterwards.
 *
 * @module
 */

// Classic BPF opcode fields (pcap/bpf.h), as module-level constants.
/** Instruction classes. */
export const LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, RET = 0x06;
/** The miscellaneous class (`tax`, `txa`). */
export const MISC = 0x07;
/** Load sizes. */
export const W = 0x00, H = 0x08, B = 0x10;
/** Load modes. */
export const IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, LEN = 0x80, MSH = 0xa0;
/** Operand sources. */
export const K = 0x00, X = 0x08;
/** ALU operations. */
export const ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50;
/** More ALU operations. */
export const LSH = 0x60, RSH = 0x70, NEG = 0x80, MOD = 0x90, XOR = 0xa0;
/** Jump conditions. */
export const JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40;
/** `tax` and `txa`. */
export const TAX = 0x00, TXA = 0x80;

/** One straight-line instruction (no jumps). */
export interface Stmt {
  /** The opcode. */
  code: number;
  /** The constant operand. */
  k: number;
}

/** Where a jump goes: a block, or the end of the program with a verdict. */
export type Target = Block | Verdict;

/** `ret #snaplen` (keep) or `ret #0` (drop). */
export class Verdict {
  constructor(readonly accept: boolean) {}
}

/** The verdict that keeps the packet. */
export const ACCEPT: Verdict = new Verdict(true);
/** The verdict that drops the packet. */
export const REJECT: Verdict = new Verdict(false);

let nextId = 0;

/** Statements, then a test of A against `k` (or X) choosing `jt` or `jf`. */
export class Block {
  /** A number for maps and debugging. */
  readonly id: number = nextId++;
  /** Where to go when the test holds (null until patched). */
  jt: Target | null = null;
  /** Where to go when it does not. */
  jf: Target | null = null;

  constructor(public stmts: Stmt[], public jcode: number, public k: number) {}
}

/** An unresolved jump: a block and which of its branches. */
type Hole = [Block, boolean];

/**
 * A boolean expression under construction: a constant, or an entry block with the jumps that
 * still need to be pointed at whatever happens when it is true (`t`) or false (`f`). `lead`
 * says that libpcap's graph for it starts with a constant block (`gen_true`/`gen_false`, kept
 * until its optimizer's last pass), which matters for what its `opt_root` keeps.
 */
export type Frag = { c: boolean } | { entry: Block; t: Hole[]; f: Hole[]; lead: boolean };

/** The constant true expression. */
export const TRUE: Frag = { c: true };
/** The constant false expression. */
export const FALSE: Frag = { c: false };

/**
 * A test as an expression.
 *
 * @param stmts What computes the tested value into A.
 * @param jcode The jump opcode (`JMP | JEQ | K` …).
 * @param k The constant compared with.
 * @returns The expression.
 */
export function test(stmts: Stmt[], jcode: number, k: number): Frag {
  const b = new Block(stmts, jcode, k >>> 0);
  return { entry: b, t: [[b, true]], f: [[b, false]], lead: false };
}

function patch(holes: Hole[], to: Target): void {
  for (const [b, side] of holes) {
    if (side) b.jt = to;
    else b.jf = to;
  }
}

/**
 * `a and b`: `b` runs only when `a` holds.
 *
 * @param a The first operand (consumed).
 * @param b The second operand (consumed).
 * @returns The conjunction.
 */
export function and(a: Frag, b: Frag): Frag {
  if ("c" in a) return a.c ? led(b) : a;
  if ("c" in b) return b.c ? a : { entry: a.entry, t: [], f: [...a.t, ...a.f], lead: a.lead };
  patch(a.t, b.entry);
  return { entry: a.entry, t: b.t, f: [...a.f, ...b.f], lead: a.lead };
}

/** The expression, now preceded by a constant block in libpcap's graph. */
function led(b: Frag): Frag {
  return "c" in b ? b : { ...b, lead: true };
}

/**
 * `a or b`: `b` runs only when `a` does not hold.
 *
 * @param a The first operand (consumed).
 * @param b The second operand (consumed).
 * @returns The disjunction.
 */
export function or(a: Frag, b: Frag): Frag {
  if ("c" in a) return a.c ? a : led(b);
  if ("c" in b) return b.c ? { entry: a.entry, t: [...a.t, ...a.f], f: [], lead: a.lead } : a;
  patch(a.f, b.entry);
  return { entry: a.entry, t: [...a.t, ...b.t], f: b.f, lead: a.lead };
}

/**
 * `not a`.
 *
 * @param a The operand (consumed).
 * @returns The negation.
 */
export function not(a: Frag): Frag {
  if ("c" in a) return { c: !a.c };
  return { entry: a.entry, t: a.f, f: a.t, lead: a.lead };
}

/**
 * Points every open jump at a verdict: true keeps the packet, false drops it.
 *
 * @param a The whole filter (consumed).
 * @returns The program's first block or verdict, and whether libpcap's starts with a constant
 *   block.
 */
export function finish(a: Frag): { root: Target; lead: boolean } {
  if ("c" in a) return { root: a.c ? ACCEPT : REJECT, lead: true };
  patch(a.t, ACCEPT);
  patch(a.f, REJECT);
  return { root: a.entry, lead: a.lead };
}
