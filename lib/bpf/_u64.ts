/**
 * 64-bit integer arithmetic on pairs of signed 32-bit halves (`lo`, `hi`), without BigInt on the
 * fast paths. Functions return the low half and leave the high half in `HI[0]`. Shared by the
 * interpreter and the JIT so that both compute exactly the same values.
 *
 * @module
 */

/**
 * Where the functions of this module leave the high 32 bits of their result.
 */
export const HI: Int32Array = new Int32Array(1);

/** High 32 bits of the unsigned product of two 32-bit values, as int32. */
function mulHiU32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const m1 = a1 * b0, m2 = a0 * b1;
  const mid = ((a0 * b0) >>> 16) + (m1 & 0xffff) + (m2 & 0xffff);
  return (a1 * b1 + (m1 >>> 16) + (m2 >>> 16) + (mid >>> 16)) | 0;
}

/**
 * 64-bit product modulo 2^64.
 *
 * @param alo Low half of a.
 * @param ahi High half of a.
 * @param blo Low half of b.
 * @param bhi High half of b.
 * @returns The low half; the high half is in `HI[0]`.
 */
export function mul64(alo: number, ahi: number, blo: number, bhi: number): number {
  HI[0] = (mulHiU32(alo, blo) + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
  return Math.imul(alo, blo);
}

function big(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function split(v: bigint): number {
  HI[0] = Number(BigInt.asIntN(32, v >> 32n));
  return Number(BigInt.asIntN(32, v));
}

/**
 * Unsigned 64-bit division; division by zero gives 0 (RFC 9669).
 *
 * @param alo Low half of the dividend.
 * @param ahi High half of the dividend.
 * @param blo Low half of the divisor.
 * @param bhi High half of the divisor.
 * @returns The low half of the quotient; the high half is in `HI[0]`.
 */
export function udiv64(alo: number, ahi: number, blo: number, bhi: number): number {
  if (blo === 0 && bhi === 0) {
    HI[0] = 0;
    return 0;
  }
  if (ahi === 0 && bhi === 0) {
    HI[0] = 0;
    return Math.floor((alo >>> 0) / (blo >>> 0)) | 0;
  }
  return split(big(alo, ahi) / big(blo, bhi));
}

/**
 * Unsigned 64-bit remainder; modulo by zero leaves the dividend (RFC 9669).
 *
 * @param alo Low half of the dividend.
 * @param ahi High half of the dividend.
 * @param blo Low half of the divisor.
 * @param bhi High half of the divisor.
 * @returns The low half of the remainder; the high half is in `HI[0]`.
 */
export function umod64(alo: number, ahi: number, blo: number, bhi: number): number {
  if (blo === 0 && bhi === 0) {
    HI[0] = ahi;
    return alo;
  }
  if (ahi === 0 && bhi === 0) {
    HI[0] = 0;
    return ((alo >>> 0) % (blo >>> 0)) | 0;
  }
  return split(big(alo, ahi) % big(blo, bhi));
}

/**
 * Signed 64-bit division truncating toward zero; by zero gives 0; INT64_MIN / -1 wraps to
 * INT64_MIN (RFC 9669).
 *
 * @param alo Low half of the dividend.
 * @param ahi High half of the dividend.
 * @param blo Low half of the divisor.
 * @param bhi High half of the divisor.
 * @returns The low half of the quotient; the high half is in `HI[0]`.
 */
export function sdiv64(alo: number, ahi: number, blo: number, bhi: number): number {
  if (blo === 0 && bhi === 0) {
    HI[0] = 0;
    return 0;
  }
  if (ahi === alo >> 31 && bhi === blo >> 31) {
    const q = Math.trunc(alo / blo);
    HI[0] = q < 0 ? -1 : 0;
    return q | 0;
  }
  return split(BigInt.asIntN(64, big(alo, ahi)) / BigInt.asIntN(64, big(blo, bhi)));
}

/**
 * Signed 64-bit remainder (sign of the dividend); by zero leaves the dividend; INT64_MIN % -1
 * is 0 (RFC 9669).
 *
 * @param alo Low half of the dividend.
 * @param ahi High half of the dividend.
 * @param blo Low half of the divisor.
 * @param bhi High half of the divisor.
 * @returns The low half of the remainder; the high half is in `HI[0]`.
 */
export function smod64(alo: number, ahi: number, blo: number, bhi: number): number {
  if (blo === 0 && bhi === 0) {
    HI[0] = ahi;
    return alo;
  }
  if (ahi === alo >> 31 && bhi === blo >> 31) {
    const r = (alo % blo) | 0;
    HI[0] = r >> 31;
    return r;
  }
  return split(BigInt.asIntN(64, big(alo, ahi)) % BigInt.asIntN(64, big(blo, bhi)));
}

/**
 * Left shift of a 64-bit value by `n & 63`.
 *
 * @param lo Low half.
 * @param hi High half.
 * @param n The shift count (masked to 6 bits).
 * @returns The low half; the high half is in `HI[0]`.
 */
export function lsh64(lo: number, hi: number, n: number): number {
  n &= 63;
  if (n === 0) {
    HI[0] = hi;
    return lo;
  }
  if (n < 32) {
    HI[0] = (hi << n) | (lo >>> (32 - n));
    return lo << n;
  }
  HI[0] = lo << (n - 32);
  return 0;
}

/**
 * Logical right shift of a 64-bit value by `n & 63`.
 *
 * @param lo Low half.
 * @param hi High half.
 * @param n The shift count (masked to 6 bits).
 * @returns The low half; the high half is in `HI[0]`.
 */
export function rsh64(lo: number, hi: number, n: number): number {
  n &= 63;
  if (n === 0) {
    HI[0] = hi;
    return lo;
  }
  if (n < 32) {
    HI[0] = hi >>> n;
    return (lo >>> n) | (hi << (32 - n));
  }
  HI[0] = 0;
  return hi >>> (n - 32);
}

/**
 * Arithmetic right shift of a 64-bit value by `n & 63`.
 *
 * @param lo Low half.
 * @param hi High half.
 * @param n The shift count (masked to 6 bits).
 * @returns The low half; the high half is in `HI[0]`.
 */
export function arsh64(lo: number, hi: number, n: number): number {
  n &= 63;
  if (n === 0) {
    HI[0] = hi;
    return lo;
  }
  if (n < 32) {
    HI[0] = hi >> n;
    return (lo >>> n) | (hi << (32 - n));
  }
  HI[0] = hi >> 31;
  return hi >> (n - 32);
}

/**
 * Reverses the bytes of a 32-bit value.
 *
 * @param x The value.
 * @returns The swapped value as int32.
 */
export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

/**
 * Unsigned 64-bit value of two halves as a bigint.
 *
 * @param lo Low half.
 * @param hi High half.
 * @returns The value in [0, 2^64).
 */
export function toBig(lo: number, hi: number): bigint {
  return big(lo, hi);
}

/**
 * Splits a bigint (taken modulo 2^64) into halves.
 *
 * @param v The value.
 * @returns The low half as int32; the high half is in `HI[0]`.
 */
export function fromBig(v: bigint): number {
  return split(BigInt.asUintN(64, v));
}
