/**
 * The verifier's abstract register values: not initialised, a scalar with an unsigned range
 * (exact when known), or a typed pointer (context, packet, stack, map value, maybe-null map
 * value, map); and the arithmetic on them — constants folded exactly, ranges widened soundly,
 * conditional jumps decided or their ranges narrowed.
 *
 * @module
 */
import type { BpfInstruction } from "./instruction.ts";
import { EBPF } from "./opcodes.ts";

const { SRC_X, ALU_ADD, ALU_SUB, ALU_MUL, ALU_DIV, ALU_OR, ALU_AND, ALU_LSH, ALU_RSH } = EBPF;
const { ALU_MOD, ALU_XOR, ALU_ARSH, JMP_JEQ, JMP_JGT, JMP_JGE, JMP_JSET, JMP_JNE } = EBPF;
const { JMP_JSGT, JMP_JSGE, JMP_JLT, JMP_JLE, JMP_JSLT, JMP_JSLE } = EBPF;

/** Register types: what an abstract register holds. */
export const NOT_INIT = 0,
  SCALAR = 1,
  PTR_CTX = 2,
  PTR_PACKET = 3,
  PTR_STACK = 4,
  PTR_MAP_VALUE = 5,
  PTR_MAP_VALUE_OR_NULL = 6,
  PTR_MAP = 7;
/** The Linux verifier's name of each register type, for messages. */
export const TYPE_NAME: readonly string[] = [
  "?",
  "scalar",
  "ctx",
  "pkt",
  "fp",
  "map_value",
  "map_value_or_null",
  "map_ptr",
];

/** 2^64 - 1, 2^32 - 1 and 2^63 as bigints. */
export const U64 = (1n << 64n) - 1n;
export const U32 = 0xffffffffn;
export const S64_MIN = 1n << 63n;

/** An abstract register value; treated as immutable. */
export interface Reg {
  readonly t: number;
  /** Scalars: unsigned range. */
  readonly umin: bigint;
  readonly umax: bigint;
  /** Pointers: constant offset and variable offset range. */
  readonly off: number;
  readonly vmin: number;
  readonly vmax: number;
  /** Map pointers and map values: the map's index in `options.maps`. */
  readonly map: number;
  /** Stack pointers: the frame; maybe-null map values: the lookup's id. */
  readonly id: number;
}

/** A register not written yet. */
export const UNINIT: Reg = Object.freeze({
  t: NOT_INIT,
  umin: 0n,
  umax: 0n,
  off: 0,
  vmin: 0,
  vmax: 0,
  map: -1,
  id: 0,
});
/** A scalar about which nothing is known. */
export const UNKNOWN: Reg = scalar(0n, U64);

/** A scalar in an unsigned range. */
export function scalar(umin: bigint, umax: bigint): Reg {
  return { t: SCALAR, umin, umax, off: 0, vmin: 0, vmax: 0, map: -1, id: 0 };
}
/** A known scalar (taken modulo 2^64). */
export function constant(v: bigint): Reg {
  const u = v & U64;
  return scalar(u, u);
}
/** A pointer of a type, with a constant offset, a map index and an id. */
export function ptr(t: number, off: number, map: number, id: number): Reg {
  return { t, umin: 0n, umax: 0n, off, vmin: 0, vmax: 0, map, id };
}
/** Whether a register is a known scalar. */
export function isConst(r: Reg): boolean {
  return r.t === SCALAR && r.umin === r.umax;
}

/** Mnemonics of the arithmetic operations by `op >> 4`, for messages. */
export const ALU_NAME: readonly string[] = [
  "add",
  "sub",
  "mul",
  "div",
  "or",
  "and",
  "lsh",
  "rsh",
  "neg",
  "mod",
  "xor",
  "mov",
  "arsh",
  "end",
];

/** A value truncated to 64 or 32 bits. */
export function trunc(v: bigint, is64: boolean): bigint {
  return is64 ? v & U64 : v & U32;
}

/** A 64-bit value as signed. */
export function toSigned(v: bigint): bigint {
  return v >= S64_MIN ? v - (1n << 64n) : v;
}

function signed(v: bigint, bits: bigint): bigint {
  const m = (1n << bits) - 1n;
  v &= m;
  return v >= 1n << (bits - 1n) ? v - (1n << bits) : v;
}

/** The result of `mov`/`movsx` of a scalar. */
export function movScalar(src: Reg, offset: number, is64: boolean): Reg {
  if (offset === 0) {
    if (is64) return src;
    return isConst(src) ? constant(src.umin & U32) : src.umax <= U32 ? src : scalar(0n, U32);
  }
  if (!isConst(src)) return scalar(0n, is64 ? U64 : U32);
  const v = signed(src.umin, BigInt(offset));
  return constant(trunc(v, is64));
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

/** The result of an arithmetic operation on two scalars: exact on constants, else a range. */
export function scalarAlu(op: number, offset: number, a: Reg, b: Reg, is64: boolean): Reg {
  const bits = is64 ? 64n : 32n;
  const mask = is64 ? U64 : U32;
  const full = scalar(0n, mask);
  if (isConst(a) && isConst(b)) {
    const x = a.umin & mask, y = b.umin & mask;
    let v: bigint;
    switch (op) {
      case ALU_ADD:
        v = x + y;
        break;
      case ALU_SUB:
        v = x - y;
        break;
      case ALU_MUL:
        v = x * y;
        break;
      case ALU_DIV:
        if (y === 0n) v = 0n;
        else if (offset === 1) v = signed(x, bits) / signed(y, bits);
        else v = x / y;
        break;
      case ALU_MOD:
        if (y === 0n) v = x;
        else if (offset === 1) v = signed(x, bits) % signed(y, bits);
        else v = x % y;
        break;
      case ALU_OR:
        v = x | y;
        break;
      case ALU_AND:
        v = x & y;
        break;
      case ALU_XOR:
        v = x ^ y;
        break;
      case ALU_LSH:
        v = x << (y & (bits - 1n));
        break;
      case ALU_RSH:
        v = x >> (y & (bits - 1n));
        break;
      case ALU_ARSH:
        v = signed(x, bits) >> (y & (bits - 1n));
        break;
      default:
        return full;
    }
    return constant(v & mask);
  }
  // Ranges.
  const amin = is64 || a.umax <= U32 ? a.umin : 0n, amax = is64 || a.umax <= U32 ? a.umax : U32;
  const bmin = is64 || b.umax <= U32 ? b.umin : 0n, bmax = is64 || b.umax <= U32 ? b.umax : U32;
  switch (op) {
    case ALU_ADD:
      return amax + bmax <= mask ? scalar(amin + bmin, amax + bmax) : full;
    case ALU_SUB:
      return amin >= bmax ? scalar(amin - bmax, amax - bmin) : full;
    case ALU_MUL:
      return amax * bmax <= mask ? scalar(amin * bmin, amax * bmax) : full;
    case ALU_DIV:
      if (offset === 0) return scalar(0n, amax);
      return full;
    case ALU_MOD:
      if (offset === 0 && bmin > 0n) return scalar(0n, bmax - 1n < amax ? bmax - 1n : amax);
      if (offset === 0) return scalar(0n, amax);
      return full;
    case ALU_AND:
      return scalar(0n, amax < bmax ? amax : bmax);
    case ALU_OR:
    case ALU_XOR: {
      let top = 1n;
      const m = amax > bmax ? amax : bmax;
      while (top <= m) top <<= 1n;
      return scalar(0n, top - 1n);
    }
    case ALU_LSH:
      if (isConst(b)) {
        const s = b.umin & (bits - 1n);
        return amax << s <= mask ? scalar(amin << s, amax << s) : full;
      }
      return full;
    case ALU_RSH:
      if (isConst(b)) {
        const s = b.umin & (bits - 1n);
        return scalar(amin >> s, amax >> s);
      }
      return scalar(0n, amax);
    default:
      return full;
  }
}

/** Signed comparisons of values that are non-negative in the signed view are unsigned ones. */
const SIGNED_AS_UNSIGNED: Readonly<Record<number, number>> = {
  [JMP_JSGT]: JMP_JGT,
  [JMP_JSGE]: JMP_JGE,
  [JMP_JSLT]: JMP_JLT,
  [JMP_JSLE]: JMP_JLE,
};
/** The opposite of an unsigned comparison (what holds when the jump is not taken). */
const NEGATED: Readonly<Record<number, number>> = {
  [JMP_JEQ]: JMP_JNE,
  [JMP_JNE]: JMP_JEQ,
  [JMP_JGT]: JMP_JLE,
  [JMP_JLE]: JMP_JGT,
  [JMP_JGE]: JMP_JLT,
  [JMP_JLT]: JMP_JGE,
};

function asUnsigned(op: number, a: Reg, b: Reg, is64: boolean): number {
  const u = SIGNED_AS_UNSIGNED[op];
  if (u === undefined) return op;
  const limit = is64 ? S64_MIN : 1n << 31n;
  return a.umax < limit && b.umax < limit ? u : op;
}

/** Decides a conditional jump when the ranges allow it: true (taken), false, or null. */
export function decide(op: number, a: Reg, b: Reg, is64: boolean): boolean | null {
  if (a.t !== SCALAR || b.t !== SCALAR) return null;
  if (!isConst(a) || !isConst(b)) {
    // Ranges (unsigned, 64-bit, or 32-bit when both fit).
    if (!is64 && (a.umax > U32 || b.umax > U32)) return null;
    switch (asUnsigned(op, a, b, is64)) {
      case JMP_JEQ:
        return a.umax < b.umin || a.umin > b.umax ? false : null;
      case JMP_JNE:
        return a.umax < b.umin || a.umin > b.umax ? true : null;
      case JMP_JGT:
        return a.umin > b.umax ? true : a.umax <= b.umin ? false : null;
      case JMP_JGE:
        return a.umin >= b.umax ? true : a.umax < b.umin ? false : null;
      case JMP_JLT:
        return a.umax < b.umin ? true : a.umin >= b.umax ? false : null;
      case JMP_JLE:
        return a.umax <= b.umin ? true : a.umin > b.umax ? false : null;
      default:
        return null;
    }
  }
  const bits = is64 ? 64n : 32n;
  const mask = is64 ? U64 : U32;
  const x = a.umin & mask, y = b.umin & mask;
  const sx = signed(x, bits), sy = signed(y, bits);
  switch (op) {
    case JMP_JEQ:
      return x === y;
    case JMP_JGT:
      return x > y;
    case JMP_JGE:
      return x >= y;
    case JMP_JSET:
      return (x & y) !== 0n;
    case JMP_JNE:
      return x !== y;
    case JMP_JSGT:
      return sx > sy;
    case JMP_JSGE:
      return sx >= sy;
    case JMP_JLT:
      return x < y;
    case JMP_JLE:
      return x <= y;
    case JMP_JSLT:
      return sx < sy;
    case JMP_JSLE:
      return sx <= sy;
    default:
      return null;
  }
}

/** Narrows the compared register's range on one side of an unsigned comparison. */
export function refine(
  r: Reg[],
  x: BpfInstruction,
  op: number,
  is64: boolean,
  taken: boolean,
): void {
  const a = r[x.dst];
  const b = (x.opcode & SRC_X) ? r[x.src] : constant(BigInt(x.imm));
  if (a.t !== SCALAR || b.t !== SCALAR || !isConst(b)) return;
  if (!is64 && a.umax > U32) return;
  const k = b.umin & (is64 ? U64 : U32);
  let lo = a.umin, hi = a.umax;
  op = asUnsigned(op, a, b, is64);
  // Normalise to "taken" semantics.
  let o = op;
  if (!taken) {
    o = NEGATED[op] ?? -1;
  }
  switch (o) {
    case JMP_JEQ:
      lo = k;
      hi = k;
      break;
    case JMP_JGT:
      if (k + 1n > lo) lo = k + 1n;
      break;
    case JMP_JGE:
      if (k > lo) lo = k;
      break;
    case JMP_JLT:
      if (k - 1n < hi) hi = k - 1n;
      break;
    case JMP_JLE:
      if (k < hi) hi = k;
      break;
    default:
      return;
  }
  if (lo > hi) return; // impossible side; keep the old range (the walk stays sound)
  r[x.dst] = scalar(lo, hi);
}
