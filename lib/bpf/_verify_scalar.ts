/**
 * The verifier's scalar arithmetic: the result of each ALU operation on abstract scalars (known
 * values folded exactly with the RFC 9669 semantics; ranges widened soundly, in 64 or 32 bits,
 * unsigned and signed), and conditional jumps — decided when the ranges allow it, otherwise
 * each side narrows the ranges of both compared registers, signed and unsigned, as Linux's
 * `reg_set_min_max` does.
 *
 * @module
 */
import { EBPF } from "./opcodes.ts";
import { constant, lowBits, type Reg, SCALAR, scalar, scalarOf, U32 } from "./_verify_values.ts";

const { ALU_ADD, ALU_SUB, ALU_MUL, ALU_DIV, ALU_OR, ALU_AND, ALU_LSH, ALU_RSH } = EBPF;
const { ALU_MOD, ALU_XOR, ALU_ARSH, JMP_JEQ, JMP_JGT, JMP_JGE, JMP_JSET, JMP_JNE } = EBPF;
const { JMP_JSGT, JMP_JSGE, JMP_JLT, JMP_JLE, JMP_JSLT, JMP_JSLE } = EBPF;

/** The constants of one operation width. */
interface Width {
  bits: bigint;
  span: bigint; // 2^bits
  umax: bigint; // 2^bits - 1
  smin: bigint;
  smax: bigint;
}
const W64: Width = {
  bits: 64n,
  span: 1n << 64n,
  umax: (1n << 64n) - 1n,
  smin: -(1n << 63n),
  smax: (1n << 63n) - 1n,
};
const W32: Width = {
  bits: 32n,
  span: 1n << 32n,
  umax: U32,
  smin: -(1n << 31n),
  smax: (1n << 31n) - 1n,
};

/** A scalar seen in one width: its unsigned and signed ranges (mutable while computing). */
interface View {
  ulo: bigint;
  uhi: bigint;
  slo: bigint;
  shi: bigint;
}

function full(w: Width): View {
  return { ulo: 0n, uhi: w.umax, slo: w.smin, shi: w.smax };
}

function asSigned(v: bigint, w: Width): bigint {
  return v > w.smax ? v - w.span : v;
}

/** A register as seen by an operation of width `w` (64: itself; 32: its low half). */
function view(r: Reg, w: Width): View {
  if (w === W64) return { ulo: r.umin, uhi: r.umax, slo: r.smin, shi: r.smax };
  const u = lowBits(r, 32);
  const v = full(w);
  if (u !== null) {
    v.ulo = u[0];
    v.uhi = u[1];
  }
  if (r.smin >= w.smin && r.smax <= w.smax) {
    v.slo = r.smin;
    v.shi = r.smax;
  }
  return sync(v, w) ? v : full(w);
}

/**
 * Tightens a view's unsigned and signed ranges by each other.
 *
 * @returns false when no value is in both.
 */
function sync(v: View, w: Width): boolean {
  if (v.ulo > v.uhi || v.slo > v.shi) return false;
  let aLo = 1n, aHi = 0n, bLo = 1n, bHi = 0n;
  if (v.shi >= 0n) {
    aLo = v.slo > 0n ? v.slo : 0n;
    aHi = v.shi;
    if (aLo < v.ulo) aLo = v.ulo;
    if (aHi > v.uhi) aHi = v.uhi;
  }
  if (v.slo < 0n) {
    bLo = v.slo + w.span;
    bHi = (v.shi < 0n ? v.shi : -1n) + w.span;
    if (bLo < v.ulo) bLo = v.ulo;
    if (bHi > v.uhi) bHi = v.uhi;
  }
  const hasA = aLo <= aHi, hasB = bLo <= bHi;
  if (!hasA && !hasB) return false;
  if (hasA && hasB) {
    v.ulo = aLo;
    v.uhi = bHi;
    v.slo = bLo - w.span;
    v.shi = aHi;
  } else if (hasA) {
    v.ulo = v.slo = aLo;
    v.uhi = v.shi = aHi;
  } else {
    v.ulo = bLo;
    v.uhi = bHi;
    v.slo = bLo - w.span;
    v.shi = bHi - w.span;
  }
  return true;
}

/** The register holding a view's values (32-bit results are zero-extended). */
function regOf(v: View, w: Width): Reg {
  if (w === W64) return scalarOf(v.ulo, v.uhi, v.slo, v.shi) ?? scalar(v.ulo, v.uhi);
  return sync(v, w) ? scalar(v.ulo, v.uhi) : scalar(0n, U32);
}

function isConstView(v: View): boolean {
  return v.ulo === v.uhi;
}

/** The smallest 2^k - 1 that is at least `v`. */
function allOnes(v: bigint): bigint {
  let m = 1n;
  while (m <= v) m <<= 1n;
  return m - 1n;
}

function signedOf(v: bigint, bits: bigint): bigint {
  return BigInt.asIntN(Number(bits), v);
}

/** The exact result of an ALU operation on known values, in width `w` (unsigned). */
function exact(op: number, offset: number, x: bigint, y: bigint, w: Width): bigint | null {
  const bits = w.bits;
  switch (op) {
    case ALU_ADD: {
      const v = x + y;
      return v > w.umax ? v & w.umax : v;
    }
    case ALU_SUB: {
      const v = x - y;
      return v < 0n ? v & w.umax : v;
    }
    case ALU_MUL:
      return (x * y) & w.umax;
    case ALU_DIV:
      if (y === 0n) return 0n;
      return (offset === 1 ? signedOf(x, bits) / signedOf(y, bits) : x / y) & w.umax;
    case ALU_MOD:
      if (y === 0n) return x;
      return (offset === 1 ? signedOf(x, bits) % signedOf(y, bits) : x % y) & w.umax;
    case ALU_OR:
      return x | y;
    case ALU_AND:
      return x & y;
    case ALU_XOR:
      return x ^ y;
    case ALU_LSH:
      return (x << (y & (bits - 1n))) & w.umax;
    case ALU_RSH:
      return x >> (y & (bits - 1n));
    case ALU_ARSH:
      return (signedOf(x, bits) >> (y & (bits - 1n))) & w.umax;
    default:
      return null;
  }
}

/** The ranges of an ALU operation's result on ranges, in width `w`. */
function ranges(op: number, offset: number, a: View, b: View, w: Width): View {
  const r = full(w);
  const bConst = isConstView(b);
  switch (op) {
    case ALU_ADD: {
      const lo = a.ulo + b.ulo, hi = a.uhi + b.uhi;
      if (hi <= w.umax) [r.ulo, r.uhi] = [lo, hi];
      else if (lo > w.umax) [r.ulo, r.uhi] = [lo - w.span, hi - w.span];
      const slo = a.slo + b.slo, shi = a.shi + b.shi;
      if (slo >= w.smin && shi <= w.smax) [r.slo, r.shi] = [slo, shi];
      break;
    }
    case ALU_SUB: {
      if (a.ulo >= b.uhi) [r.ulo, r.uhi] = [a.ulo - b.uhi, a.uhi - b.ulo];
      else if (a.uhi < b.ulo) [r.ulo, r.uhi] = [a.ulo - b.uhi + w.span, a.uhi - b.ulo + w.span];
      const slo = a.slo - b.shi, shi = a.shi - b.slo;
      if (slo >= w.smin && shi <= w.smax) [r.slo, r.shi] = [slo, shi];
      break;
    }
    case ALU_MUL: {
      if (a.uhi * b.uhi <= w.umax) [r.ulo, r.uhi] = [a.ulo * b.ulo, a.uhi * b.uhi];
      const c = [a.slo * b.slo, a.slo * b.shi, a.shi * b.slo, a.shi * b.shi];
      let lo = c[0], hi = c[0];
      for (const x of c) {
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
      if (lo >= w.smin && hi <= w.smax) [r.slo, r.shi] = [lo, hi];
      break;
    }
    case ALU_DIV:
      if (offset === 0) {
        if (b.ulo > 0n) [r.ulo, r.uhi] = [a.ulo / b.uhi, a.uhi / b.ulo];
        else r.uhi = a.uhi; // by zero: 0
      } else if (a.slo >= 0n && b.slo > 0n) [r.ulo, r.uhi] = [a.slo / b.shi, a.shi / b.slo];
      break;
    case ALU_MOD:
      if (offset === 0) r.uhi = b.ulo > 0n && b.uhi - 1n < a.uhi ? b.uhi - 1n : a.uhi;
      else if (a.slo >= 0n && b.slo > 0n) r.uhi = b.shi - 1n < a.shi ? b.shi - 1n : a.shi;
      break;
    case ALU_AND:
      r.uhi = a.uhi < b.uhi ? a.uhi : b.uhi;
      if (a.shi < 0n && b.shi < 0n) r.shi = a.shi < b.shi ? a.shi : b.shi;
      break;
    case ALU_OR:
      r.ulo = a.ulo > b.ulo ? a.ulo : b.ulo;
      r.uhi = allOnes(a.uhi > b.uhi ? a.uhi : b.uhi);
      if (a.shi < 0n || b.shi < 0n) r.shi = -1n;
      break;
    case ALU_XOR:
      r.uhi = allOnes(a.uhi > b.uhi ? a.uhi : b.uhi);
      break;
    case ALU_LSH:
      if (bConst) {
        const s = b.ulo & (w.bits - 1n);
        if (a.uhi << s <= w.umax) [r.ulo, r.uhi] = [a.ulo << s, a.uhi << s];
        if (a.slo << s >= w.smin && a.shi << s <= w.smax) [r.slo, r.shi] = [a.slo << s, a.shi << s];
      }
      break;
    case ALU_RSH:
      if (bConst) {
        const s = b.ulo & (w.bits - 1n);
        [r.ulo, r.uhi] = [a.ulo >> s, a.uhi >> s];
        if (s === 0n) [r.slo, r.shi] = [a.slo, a.shi];
      } else r.uhi = a.uhi;
      break;
    case ALU_ARSH:
      if (bConst) {
        const s = b.ulo & (w.bits - 1n);
        [r.slo, r.shi] = [a.slo >> s, a.shi >> s];
        if (s === 0n) [r.ulo, r.uhi] = [a.ulo, a.uhi];
      } else {
        r.slo = a.slo < 0n ? a.slo : 0n;
        r.shi = a.shi >= 0n ? a.shi : -1n;
      }
      break;
  }
  return r;
}

/**
 * The result of an arithmetic operation on two scalars: exact on known values, else ranges.
 *
 * @param op The operation (`ALU_ADD` …).
 * @param offset The instruction's offset (1: signed division and modulo).
 * @param a The destination's value.
 * @param b The source's value.
 * @param is64 64-bit (else 32-bit, zero-extended).
 * @returns The result.
 */
export function scalarAlu(op: number, offset: number, a: Reg, b: Reg, is64: boolean): Reg {
  const w = is64 ? W64 : W32;
  if (a.umin === a.umax && b.umin === b.umax) {
    const v = exact(op, offset, a.umin & w.umax, b.umin & w.umax, w);
    return v === null ? scalar(0n, w.umax) : constant(v);
  }
  const va = view(a, w), vb = view(b, w);
  if (isConstView(va) && isConstView(vb)) {
    const v = exact(op, offset, va.ulo, vb.ulo, w);
    return v === null ? scalar(0n, w.umax) : constant(v);
  }
  return regOf(ranges(op, offset, va, vb, w), w);
}

/**
 * The result of `neg`.
 *
 * @param a The value.
 * @param is64 64-bit (else 32-bit).
 * @returns The result.
 */
export function negScalar(a: Reg, is64: boolean): Reg {
  const w = is64 ? W64 : W32;
  const v = view(a, w);
  if (isConstView(v)) return constant((w.span - v.ulo) & w.umax);
  const r = full(w);
  if (v.ulo > 0n) [r.ulo, r.uhi] = [w.span - v.uhi, w.span - v.ulo];
  if (v.slo > w.smin) [r.slo, r.shi] = [-v.shi, -v.slo];
  return regOf(r, w);
}

/**
 * The result of `mov`/`movsx` of a scalar.
 *
 * @param src The value moved.
 * @param offset 0 for `mov`, else the width sign-extended from (8, 16 or 32).
 * @param is64 64-bit (else 32-bit, zero-extended).
 * @returns The result.
 */
export function movScalar(src: Reg, offset: number, is64: boolean): Reg {
  const w = is64 ? W64 : W32;
  if (offset === 0) return is64 ? src : regOf(view(src, W32), W32);
  const bits = BigInt(offset);
  const low = lowBits(src, offset);
  const half = 1n << (bits - 1n), span = 1n << bits;
  const r = full(w);
  if (low !== null) {
    const [x, y] = low;
    if (y < half) [r.slo, r.shi] = [x, y];
    else if (x >= half) [r.slo, r.shi] = [x - span, y - span];
    else [r.slo, r.shi] = [-half, half - 1n];
  } else [r.slo, r.shi] = [-half, half - 1n];
  return regOf(r, w);
}

/** A byte swap (or truncation) of a known value. */
export function bswap(v: bigint, width: number, swap: boolean): bigint {
  const bytes = width / 8;
  const masked = v & ((1n << BigInt(width)) - 1n);
  if (!swap) return masked;
  let out = 0n;
  for (let b = 0; b < bytes; b++) out = (out << 8n) | ((masked >> BigInt(b * 8)) & 0xffn);
  return out;
}

/**
 * The result of a byte-order instruction on a scalar.
 *
 * @param a The value.
 * @param width 16, 32 or 64.
 * @param swap Whether the bytes are swapped (else the value is truncated).
 * @returns The result.
 */
export function endScalar(a: Reg, width: number, swap: boolean): Reg {
  if (a.umin === a.umax) return constant(bswap(a.umin, width, swap));
  if (!swap) {
    const low = lowBits(a, width);
    if (low !== null) return scalar(low[0], low[1]);
  }
  return scalar(0n, width === 64 ? W64.umax : (1n << BigInt(width)) - 1n);
}

/**
 * Decides a conditional jump when the ranges allow it.
 *
 * @param op The comparison (`JMP_JEQ` …).
 * @param a The destination register's value.
 * @param b The source's value.
 * @param is64 JMP (else JMP32: the low halves are compared).
 * @returns true (always taken), false (never taken), or null (both possible).
 */
export function decide(op: number, a: Reg, b: Reg, is64: boolean): boolean | null {
  if (a.t !== SCALAR || b.t !== SCALAR) return null;
  if (is64 && a.umin === a.umax && b.umin === b.umax) {
    return known(op, a.umin, b.umin, a.smin, b.smin);
  }
  const w = is64 ? W64 : W32;
  const x = view(a, w), y = view(b, w);
  if (isConstView(x) && isConstView(y)) {
    return known(op, x.ulo, y.ulo, asSigned(x.ulo, w), asSigned(y.ulo, w));
  }
  switch (op) {
    case JMP_JEQ:
    case JMP_JNE: {
      const apart = x.uhi < y.ulo || x.ulo > y.uhi || x.shi < y.slo || x.slo > y.shi;
      return apart ? op === JMP_JNE : null;
    }
    case JMP_JGT:
      return x.ulo > y.uhi ? true : x.uhi <= y.ulo ? false : null;
    case JMP_JGE:
      return x.ulo >= y.uhi ? true : x.uhi < y.ulo ? false : null;
    case JMP_JLT:
      return x.uhi < y.ulo ? true : x.ulo >= y.uhi ? false : null;
    case JMP_JLE:
      return x.uhi <= y.ulo ? true : x.ulo > y.uhi ? false : null;
    case JMP_JSGT:
      return x.slo > y.shi ? true : x.shi <= y.slo ? false : null;
    case JMP_JSGE:
      return x.slo >= y.shi ? true : x.shi < y.slo ? false : null;
    case JMP_JSLT:
      return x.shi < y.slo ? true : x.slo >= y.shi ? false : null;
    case JMP_JSLE:
      return x.shi <= y.slo ? true : x.slo > y.shi ? false : null;
    case JMP_JSET:
      return x.uhi === 0n || y.uhi === 0n ? false : null;
    default:
      return null;
  }
}

/** A comparison of known values (unsigned `u`, `v`; signed `su`, `sv`). */
function known(op: number, u: bigint, v: bigint, su: bigint, sv: bigint): boolean | null {
  switch (op) {
    case JMP_JEQ:
      return u === v;
    case JMP_JNE:
      return u !== v;
    case JMP_JGT:
      return u > v;
    case JMP_JGE:
      return u >= v;
    case JMP_JLT:
      return u < v;
    case JMP_JLE:
      return u <= v;
    case JMP_JSGT:
      return su > sv;
    case JMP_JSGE:
      return su >= sv;
    case JMP_JSLT:
      return su < sv;
    case JMP_JSLE:
      return su <= sv;
    case JMP_JSET:
      return (u & v) !== 0n;
    default:
      return null;
  }
}

/** What holds when a comparison is not taken. */
const NEGATED: Readonly<Record<number, number>> = {
  [JMP_JEQ]: JMP_JNE,
  [JMP_JNE]: JMP_JEQ,
  [JMP_JGT]: JMP_JLE,
  [JMP_JLE]: JMP_JGT,
  [JMP_JGE]: JMP_JLT,
  [JMP_JLT]: JMP_JGE,
  [JMP_JSGT]: JMP_JSLE,
  [JMP_JSLE]: JMP_JSGT,
  [JMP_JSGE]: JMP_JSLT,
  [JMP_JSLT]: JMP_JSGE,
};

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** Narrows `x op y` (taken semantics) in place; false when impossible. */
function narrow(o: number, x: View, y: View, w: Width): boolean {
  switch (o) {
    case JMP_JEQ:
      x.ulo = y.ulo = max(x.ulo, y.ulo);
      x.uhi = y.uhi = min(x.uhi, y.uhi);
      x.slo = y.slo = max(x.slo, y.slo);
      x.shi = y.shi = min(x.shi, y.shi);
      break;
    case JMP_JGT:
      x.ulo = max(x.ulo, y.ulo + 1n);
      y.uhi = min(y.uhi, x.uhi - 1n);
      break;
    case JMP_JGE:
      x.ulo = max(x.ulo, y.ulo);
      y.uhi = min(y.uhi, x.uhi);
      break;
    case JMP_JLT:
      x.uhi = min(x.uhi, y.uhi - 1n);
      y.ulo = max(y.ulo, x.ulo + 1n);
      break;
    case JMP_JLE:
      x.uhi = min(x.uhi, y.uhi);
      y.ulo = max(y.ulo, x.ulo);
      break;
    case JMP_JSGT:
      x.slo = max(x.slo, y.slo + 1n);
      y.shi = min(y.shi, x.shi - 1n);
      break;
    case JMP_JSGE:
      x.slo = max(x.slo, y.slo);
      y.shi = min(y.shi, x.shi);
      break;
    case JMP_JSLT:
      x.shi = min(x.shi, y.shi - 1n);
      y.slo = max(y.slo, x.slo + 1n);
      break;
    case JMP_JSLE:
      x.shi = min(x.shi, y.shi);
      y.slo = max(y.slo, x.slo);
      break;
    default:
      return true; // JNE, JSET: nothing learnt
  }
  return sync(x, w) && sync(y, w);
}

/**
 * The values of both compared scalars on one side of a conditional jump.
 *
 * @param op The comparison.
 * @param a The destination register's value.
 * @param b The source's value (a register or the immediate).
 * @param is64 JMP (else JMP32).
 * @param taken The side: the jump taken, or falling through.
 * @returns The narrowed `[a, b]`, or null when that side cannot happen.
 */
export function refine(
  op: number,
  a: Reg,
  b: Reg,
  is64: boolean,
  taken: boolean,
): [Reg, Reg] | null {
  const w = is64 ? W64 : W32;
  const o = taken ? op : NEGATED[op] ?? -1;
  const x = view(a, w), y = view(b, w);
  if (!narrow(o, x, y, w)) return null;
  if (is64) return [regOf(x, w), regOf(y, w)];
  // A 32-bit comparison says something about the whole register only when it has no high bits.
  const a2 = a.umax <= U32 ? regOf(x, w) : a;
  const b2 = b.umax <= U32 ? regOf(y, w) : b;
  return [a2, b2];
}
