/**
 * Capture times as whole seconds plus nanoseconds, and the exact integer nanoseconds between two
 * of them. No time is ever a float count of nanoseconds from some origin (that loses precision
 * once the origin is more than 2^53 ns, about 104 days, away): differences are taken from the
 * seconds and the nanoseconds separately, so they are exact whenever the result is below 2^53 ns.
 *
 * @module
 */

/** Nanoseconds per second. */
export const NS_PER_SECOND = 1_000_000_000;

/**
 * The nanoseconds from one capture time to another (negative when `to` is earlier), exact while
 * the result is below 2^53 in magnitude.
 */
export function elapsedNs(
  fromSec: number,
  fromNsec: number,
  toSec: number,
  toNsec: number,
): number {
  return (toSec - fromSec) * NS_PER_SECOND + (toNsec - fromNsec);
}

/**
 * A duration of `ns` nanoseconds (an integer) as exact decimal seconds text: `1.000000003`,
 * `-0.5`; trailing zeros are dropped.
 */
export function secondsText(ns: number): string {
  const negative = ns < 0;
  const abs = negative ? -ns : ns;
  const whole = Math.floor(abs / NS_PER_SECOND);
  const frac = abs - whole * NS_PER_SECOND;
  let text = String(whole);
  if (frac > 0) text += "." + String(frac).padStart(9, "0").replace(/0+$/, "");
  return negative ? "-" + text : text;
}
