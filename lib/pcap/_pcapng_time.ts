/**
 * pcapng timestamps: an interface's `if_tsresol` (10^-k or 2^-k seconds per tick) turned into a
 * conversion of 64-bit tick counts to whole seconds and nanoseconds, exactly. Decimal
 * resolutions down to nanoseconds (the common case) use double arithmetic with no allocation;
 * binary ones and those finer than nanoseconds go through BigInt.
 *
 * @module
 */
import type { PacketView } from "./packet_view.ts";
import { TSRESOL_BINARY } from "./_capture_format.ts";

/** 2^32, to combine two 32-bit words. */
const TWO_32 = 4294967296;
/** High words below this keep the 64-bit value under 2^53: exact in a double. */
const EXACT_HIGH_LIMIT = 0x200000;
const DIGIT = 65536;

/** How one interface's ticks become seconds and nanoseconds. */
export interface TickScale {
  /** Decimal exponent when the resolution is 10^-k with k ≤ 9, else -1 (slow path). */
  readonly decimal: number;
  /** Ticks per second for a decimal resolution (10^k), else 0. */
  readonly ticksPerSecond: number;
  /** Nanoseconds per tick for a decimal resolution (10^(9-k)), else 0. */
  readonly nanosPerTick: number;
  /** Binary exponent (2^-k), or -1. */
  readonly binary: number;
  /** Decimal exponent when k > 9 (slow path), or -1. */
  readonly fineDecimal: number;
  /** `if_tsoffset`: seconds added to every timestamp. */
  readonly offsetSeconds: number;
}

/**
 * The scale of a raw `if_tsresol` byte, or `null` when out of range (2^-k with k > 63, or
 * 10^-k with k > 19).
 */
export function tickScale(tsresol: number, offsetSeconds: number): TickScale | null {
  const k = tsresol & ~TSRESOL_BINARY;
  const binary = (tsresol & TSRESOL_BINARY) !== 0;
  if (binary ? k > 63 : k > 19) return null;
  const decimal = !binary && k <= 9;
  return {
    decimal: decimal ? k : -1,
    ticksPerSecond: decimal ? 10 ** k : 0,
    nanosPerTick: decimal ? 10 ** (9 - k) : 0,
    binary: binary ? k : -1,
    fineDecimal: !binary && k > 9 ? k : -1,
    offsetSeconds,
  };
}

/** The resolution as text: `"1e-6"`, `"1e-9"`, `"2^-10"` … */
export function tsresolText(tsresol: number): string {
  const k = tsresol & ~TSRESOL_BINARY;
  return (tsresol & TSRESOL_BINARY) !== 0 ? `2^-${k}` : `1e-${k}`;
}

/**
 * Sets `view.tsSec` and `view.tsNsec` from a 64-bit tick count given as its high and low
 * 32-bit words. Numbers never cross a call boxed.
 */
export function setTimestamp(view: PacketView, scale: TickScale, hi: number, lo: number): void {
  if (scale.decimal < 0) {
    slowTimestamp(view, scale, hi, lo);
    return;
  }
  const div = scale.ticksPerSecond;
  let sec: number, nsec: number;
  if (hi < EXACT_HIGH_LIMIT) {
    const v = hi * TWO_32 + lo;
    sec = Math.floor(v / div);
    nsec = (v - sec * div) * scale.nanosPerTick;
  } else {
    // long division in 16-bit digits: every intermediate stays below 2^53
    let r = hi >>> 16;
    let q = Math.floor(r / div);
    r -= q * div;
    let cur = r * DIGIT + (hi & 0xffff);
    let qd = Math.floor(cur / div);
    q = q * DIGIT + qd;
    r = cur - qd * div;
    cur = r * DIGIT + (lo >>> 16);
    qd = Math.floor(cur / div);
    q = q * DIGIT + qd;
    r = cur - qd * div;
    cur = r * DIGIT + (lo & 0xffff);
    qd = Math.floor(cur / div);
    q = q * DIGIT + qd;
    r = cur - qd * div;
    sec = q;
    nsec = r * scale.nanosPerTick;
  }
  view.tsSec = sec + scale.offsetSeconds;
  view.tsNsec = nsec;
}

/**
 * Binary resolutions and decimal ones finer than nanoseconds, through BigInt. Kept out of the
 * hot path so the common decimal case stays free of allocations.
 */
function slowTimestamp(view: PacketView, scale: TickScale, hi: number, lo: number): void {
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  const unit = scale.binary >= 0 ? 1n << BigInt(scale.binary) : 10n ** BigInt(scale.fineDecimal);
  view.tsSec = Number(v / unit) + scale.offsetSeconds;
  view.tsNsec = Number(((v % unit) * 1000000000n) / unit);
}
