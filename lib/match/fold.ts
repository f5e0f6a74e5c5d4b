/**
 * ASCII case folding of spans, so a span of the scanned text can be looked up in a database built
 * with lower-case keys without making a string.
 *
 * @module
 */
import { asciiLower } from "../core/ascii.ts";

/**
 * Copies `bytes[start..end)` into `out` from index 0 with ASCII letters `A`–`Z` in lower case;
 * every other byte (UTF-8 included) is copied as it is. Allocates nothing.
 *
 * @param bytes The text.
 * @param out Where to write; at least `end - start` bytes long.
 * @param start First byte (default 0).
 * @param end One past the last byte (default `bytes.length`).
 * @returns The number of bytes written, `end - start`.
 * @throws {RangeError} When the range is outside `bytes` or `out` is too short.
 * @example
 * ```ts
 * import { lowerSpanInto } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 * const text = new TextEncoder().encode("GET http://EVIL.Com/");
 * const out = new Uint8Array(64);
 * const n = lowerSpanInto(text, out, 11, 19);
 * assert.equal(new TextDecoder().decode(out.subarray(0, n)), "evil.com");
 * ```
 */
export function lowerSpanInto(
  bytes: Uint8Array,
  out: Uint8Array,
  start = 0,
  end: number = bytes.length,
): number {
  if (!(start >= 0 && start <= end && end <= bytes.length)) {
    throw new RangeError(
      `Cannot read range ${start}..${end}: the buffer holds ${bytes.length} bytes`,
    );
  }
  const n = end - start;
  if (n > out.length) {
    throw new RangeError(`Cannot fold ${n} bytes: the output holds ${out.length}`);
  }
  for (let i = 0; i < n; i++) out[i] = asciiLower(bytes[start + i]);
  return n;
}
