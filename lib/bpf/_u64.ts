/**
 * 64-bit integer arithmetic on pairs of signed 32-bit halves (`lo`, `hi`), without BigInt on the
 * fast paths. Functions return the low half and leave the high half in `HI[0]`. They are the
 * shared kernel's ({@linkcode KERNEL} in `_kernel.ts`), so that every engine computes exactly
 * the same values.
 *
 * @module
 */
import { KERNEL } from "./_kernel.ts";

type Op64 = (alo: number, ahi: number, blo: number, bhi: number) => number;
type Shift64 = (lo: number, hi: number, n: number) => number;

/** Where the functions of this module leave the high 32 bits of their result. */
export const HI: Int32Array = KERNEL.HI;
/** 64-bit product modulo 2^64. */
export const mul64: Op64 = KERNEL.mul64;
/** Unsigned 64-bit division; division by zero gives 0 (RFC 9669). */
export const udiv64: Op64 = KERNEL.udiv64;
/** Unsigned 64-bit remainder; modulo by zero leaves the dividend (RFC 9669). */
export const umod64: Op64 = KERNEL.umod64;
/** Signed 64-bit division toward zero; by zero gives 0; INT64_MIN / -1 wraps (RFC 9669). */
export const sdiv64: Op64 = KERNEL.sdiv64;
/** Signed 64-bit remainder (sign of the dividend); by zero leaves the dividend (RFC 9669). */
export const smod64: Op64 = KERNEL.smod64;
/** Left shift of a 64-bit value by `n & 63`. */
export const lsh64: Shift64 = KERNEL.lsh64;
/** Logical right shift of a 64-bit value by `n & 63`. */
export const rsh64: Shift64 = KERNEL.rsh64;
/** Arithmetic right shift of a 64-bit value by `n & 63`. */
export const arsh64: Shift64 = KERNEL.arsh64;
/** Reverses the bytes of a 32-bit value (result as int32). */
export const bswap32: (x: number) => number = KERNEL.bswap32;
/** Unsigned 64-bit value of two halves as a bigint, in [0, 2^64). */
export const toBig: (lo: number, hi: number) => bigint = KERNEL.toBig;
/** Splits a bigint (taken modulo 2^64): returns the low half as int32, the high half in `HI[0]`. */
export const fromBig: (v: bigint) => number = KERNEL.fromBig;
