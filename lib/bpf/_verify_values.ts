/**
 * The verifier's abstract register values: not initialised, a scalar, or a typed pointer
 * (context, packet, stack, map value, maybe-null map value, map). A scalar is known by two
 * ranges that hold at once, as in the Linux verifier: an unsigned and a signed 64-bit range
 * (equal bounds: a known value). Also here: how registers are compared when states are pruned
 * (exactly, or one included in the other) and hashed.
 *
 * @module
 */

/** Register types: what an abstract register holds. */
export const NOT_INIT = 0,
  SCALAR = 1,
  PTR_CTX = 2,
  PTR_PACKET = 3,
  PTR_STACK = 4,
  PTR_MAP_VALUE = 5,
  PTR_MAP_VALUE_OR_NULL = 6,
  PTR_MAP = 7,
  PTR_PACKET_END = 8,
  PTR_MAP_OR_NULL = 9,
  PTR_MEM = 10,
  PTR_MEM_OR_NULL = 11,
  PTR_FUNC = 12;
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
  "pkt_end",
  "map_ptr_or_null",
  "mem",
  "mem_or_null",
  "func",
];

/** Whether a type is a pointer that may be null until checked. */
export function isOrNull(t: number): boolean {
  return t === PTR_MAP_VALUE_OR_NULL || t === PTR_MAP_OR_NULL || t === PTR_MEM_OR_NULL;
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

/** 2^64 - 1, 2^32 - 1, 2^64, and the signed 64-bit limits, as bigints. */
export const U64 = (1n << 64n) - 1n;
export const U32 = 0xffffffffn;
export const M64 = 1n << 64n;
export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;

/** An abstract register value; treated as immutable (states share them). */
export interface Reg {
  readonly t: number;
  /** Scalars: the unsigned range. */
  readonly umin: bigint;
  readonly umax: bigint;
  /** Scalars: the signed range (both ranges hold). */
  readonly smin: bigint;
  readonly smax: bigint;
  /** Pointers: constant offset and variable offset range. */
  readonly off: number;
  readonly vmin: number;
  readonly vmax: number;
  /** Map pointers and map values: the map's index in `options.maps`. */
  readonly map: number;
  /**
   * Stack pointers: the frame; maybe-null pointers: the lookup's id; packet pointers: which
   * variable offset they share (0: none).
   */
  readonly id: number;
  /**
   * Packet pointers of typed contexts: bytes from `pkt + variable offset` known to be before
   * `data_end`; memory from `bpf_ringbuf_reserve`: its size.
   */
  readonly range: number;
}

/** A register not written yet. */
export const UNINIT: Reg = Object.freeze({
  t: NOT_INIT,
  umin: 0n,
  umax: 0n,
  smin: 0n,
  smax: 0n,
  off: 0,
  vmin: 0,
  vmax: 0,
  map: -1,
  id: 0,
  range: 0,
});

function make(umin: bigint, umax: bigint, smin: bigint, smax: bigint): Reg {
  return {
    t: SCALAR,
    umin,
    umax,
    smin,
    smax,
    off: 0,
    vmin: 0,
    vmax: 0,
    map: -1,
    id: 0,
    range: 0,
  };
}

/** A scalar about which nothing is known. */
export const UNKNOWN: Reg = Object.freeze(make(0n, U64, S64_MIN, S64_MAX));

/** A known scalar (taken modulo 2^64). */
export function constant(v: bigint): Reg {
  const u = v >= 0n && v <= U64 ? v : BigInt.asUintN(64, v);
  const s = u > S64_MAX ? u - M64 : u;
  return make(u, u, s, s);
}

/**
 * A scalar in both an unsigned and a signed range, each tightened by the other (the values in
 * both at once); `null` when no value is in both.
 */
export function scalarOf(umin: bigint, umax: bigint, smin: bigint, smax: bigint): Reg | null {
  if (umin > umax || smin > smax) return null;
  if (umin === umax) {
    const s = umin > S64_MAX ? umin - M64 : umin;
    return s < smin || s > smax ? null : make(umin, umax, s, s);
  }
  // The signed range as one or two unsigned pieces, each intersected with the unsigned range.
  let aLo = 1n, aHi = 0n, bLo = 1n, bHi = 0n; // piece a: non-negative values, b: negative ones
  if (smax >= 0n) {
    aLo = smin > 0n ? smin : 0n;
    aHi = smax;
    if (aLo < umin) aLo = umin;
    if (aHi > umax) aHi = umax;
  }
  if (smin < 0n) {
    bLo = smin + M64;
    bHi = (smax < 0n ? smax : -1n) + M64;
    if (bLo < umin) bLo = umin;
    if (bHi > umax) bHi = umax;
  }
  const hasA = aLo <= aHi, hasB = bLo <= bHi;
  if (!hasA && !hasB) return null;
  if (hasA && hasB) return make(aLo, bHi, bLo - M64, aHi);
  return hasA ? make(aLo, aHi, aLo, aHi) : make(bLo, bHi, bLo - M64, bHi - M64);
}

/** A scalar in an unsigned range. */
export function scalar(umin: bigint, umax: bigint): Reg {
  return scalarOf(umin, umax, S64_MIN, S64_MAX)!;
}

/** A pointer of a type, with a constant offset, a map index and an id. */
export function ptr(t: number, off: number, map: number, id: number, range = 0): Reg {
  return { t, umin: 0n, umax: 0n, smin: 0n, smax: 0n, off, vmin: 0, vmax: 0, map, id, range };
}

/** A pointer with another constant offset or variable offset range (and id and range). */
export function movedPtr(
  p: Reg,
  off: number,
  vmin: number,
  vmax: number,
  id = p.id,
  range = p.range,
): Reg {
  return { t: p.t, umin: 0n, umax: 0n, smin: 0n, smax: 0n, off, vmin, vmax, map: p.map, id, range };
}

/** A packet pointer known to have `range` bytes before `data_end`. */
export function withRange(p: Reg, range: number): Reg {
  return movedPtr(p, p.off, p.vmin, p.vmax, p.id, range);
}

/**
 * A maybe-null pointer after its null check: a map value, a map (maps of maps) or memory
 * (ring buffer records).
 */
export function nonNull(p: Reg): Reg {
  return {
    t: p.t === PTR_MAP_OR_NULL ? PTR_MAP : p.t === PTR_MEM_OR_NULL ? PTR_MEM : PTR_MAP_VALUE,
    umin: 0n,
    umax: 0n,
    smin: 0n,
    smax: 0n,
    off: p.off,
    vmin: p.vmin,
    vmax: p.vmax,
    map: p.map,
    id: p.t === PTR_MEM_OR_NULL ? p.id : 0, // a record keeps its id: submit releases it
    range: p.range,
  };
}

/** Whether a register is a known scalar. */
export function isConst(r: Reg): boolean {
  return r.t === SCALAR && r.umin === r.umax;
}

/** Whether a scalar says nothing (every 64-bit value possible). */
export function isUnknown(r: Reg): boolean {
  return r.t === SCALAR && r.umin === 0n && r.umax === U64 && r.smin === S64_MIN &&
    r.smax === S64_MAX;
}

/**
 * The low `bits` bits of a scalar as an unsigned range `[lo, hi]`, or `null` when they can be
 * anything (the value's ranges wrap around a multiple of 2^bits).
 */
export function lowBits(r: Reg, bits: number): [bigint, bigint] | null {
  if (bits === 64) return [r.umin, r.umax];
  const span = 1n << BigInt(bits);
  const fromU = truncRange(r.umin, r.umax, span);
  const fromS = truncRange(r.smin, r.smax, span);
  if (fromU === null) return fromS;
  if (fromS === null) return fromU;
  const lo = fromU[0] > fromS[0] ? fromU[0] : fromS[0];
  const hi = fromU[1] < fromS[1] ? fromU[1] : fromS[1];
  return lo <= hi ? [lo, hi] : fromU; // disjoint cannot happen for a sound value; stay safe
}

function truncRange(lo: bigint, hi: bigint, span: bigint): [bigint, bigint] | null {
  if (hi - lo >= span) return null;
  const mask = span - 1n;
  const a = lo & mask, b = hi & mask;
  return a <= b ? [a, b] : null;
}

/** A scalar's low `bits` bits, zero-extended: a scalar in `[0, 2^bits)`. */
export function truncated(r: Reg, bits: number): Reg {
  if (bits === 64) return r;
  const v = lowBits(r, bits);
  return v === null ? scalar(0n, (1n << BigInt(bits)) - 1n) : scalar(v[0], v[1]);
}

/** Mixes a 32-bit hash with a number. */
export function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return (h ^ (h >>> 15)) | 0;
}

function bigHash(h: number, v: bigint): number {
  // Through a double: exact below 2^53, rounded above (equal values still hash alike).
  const d = Number(v);
  return mix(h, (d | 0) ^ ((d / 4294967296) | 0));
}

/**
 * A hash of a register as {@linkcode regsEqual} compares it (lookup ids left out: they are
 * compared up to renaming).
 *
 * @param r The register.
 * @param precise Whether a scalar's value counts (else only that it is a scalar).
 * @returns The hash.
 */
export function regHash(r: Reg, precise: boolean): number {
  let h = mix(0x1234567, r.t);
  if (r.t === SCALAR) {
    if (!precise) return h;
    h = bigHash(h, r.umin);
    if (r.umin === r.umax) return h;
    return bigHash(bigHash(bigHash(h, r.umax), r.smin), r.smax);
  }
  if (r.t === NOT_INIT) return h;
  h = mix(mix(mix(mix(h, r.off), r.vmin), r.vmax), r.map);
  return r.t === PTR_STACK ? mix(h, r.id) : h;
}

/**
 * Lookup ids of maybe-null map values in two states, matched one to one while the states are
 * compared (the same lookup may have a different id on another path).
 */
export class IdMap {
  #ab = new Map<number, number>();
  #ba = new Map<number, number>();
  #used = false;

  /** Forgets every pair. */
  reset(): void {
    if (!this.#used) return;
    this.#ab.clear();
    this.#ba.clear();
    this.#used = false;
  }

  /**
   * Whether id `a` of the first state may stand for id `b` of the second (and records it).
   *
   * @param a The first state's id.
   * @param b The second state's id.
   * @returns Whether the pairing is consistent with the ones before.
   */
  pair(a: number, b: number): boolean {
    this.#used = true;
    const x = this.#ab.get(a), y = this.#ba.get(b);
    if (x === undefined && y === undefined) {
      this.#ab.set(a, b);
      this.#ba.set(b, a);
      return true;
    }
    return x === b && y === a;
  }
}

/**
 * Whether two registers are the same abstract value.
 *
 * @param a A register of the first state.
 * @param b A register of the second state.
 * @param precise Whether a scalar's value counts.
 * @param ids The pairing of lookup ids.
 * @returns Whether they are equal.
 */
export function regsEqual(a: Reg, b: Reg, precise: boolean, ids: IdMap): boolean {
  if (a === b) return !isOrNull(a.t) || ids.pair(a.id, b.id);
  if (a.t !== b.t) return false;
  switch (a.t) {
    case NOT_INIT:
      return true;
    case SCALAR:
      return !precise ||
        (a.umin === b.umin && a.umax === b.umax && a.smin === b.smin && a.smax === b.smax);
    default:
      if (
        a.off !== b.off || a.vmin !== b.vmin || a.vmax !== b.vmax || a.map !== b.map ||
        a.range !== b.range
      ) {
        return false;
      }
      if (isOrNull(a.t) || a.t === PTR_MEM) return ids.pair(a.id, b.id);
      return a.id === b.id;
  }
}

/**
 * Whether every concrete value register `cur` may hold is one `old` may hold, so that a walk
 * from `old` that was found safe covers `cur` (Linux's `regsafe`).
 *
 * @param old The register of the explored state.
 * @param cur The register of the new state.
 * @param precise Whether a scalar's value counts.
 * @param ids The pairing of lookup ids.
 * @returns Whether `old` includes `cur`.
 */
export function regWithin(old: Reg, cur: Reg, precise: boolean, ids: IdMap): boolean {
  if (old.t === NOT_INIT) return true; // the explored walk never read it
  if (old === cur) return !isOrNull(old.t) || ids.pair(old.id, cur.id);
  if (old.t !== cur.t) return false;
  if (old.t === SCALAR) {
    return !precise ||
      (cur.umin >= old.umin && cur.umax <= old.umax && cur.smin >= old.smin &&
        cur.smax <= old.smax);
  }
  if (old.off !== cur.off || old.map !== cur.map) return false;
  if (cur.vmin < old.vmin || cur.vmax > old.vmax) return false;
  if (old.t === PTR_PACKET) return cur.range >= old.range && old.id === cur.id;
  if (old.t === PTR_MEM) return old.range === cur.range && ids.pair(old.id, cur.id);
  if (isOrNull(old.t)) return ids.pair(old.id, cur.id);
  return old.id === cur.id;
}
