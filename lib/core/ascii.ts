/**
 * ASCII case folding for byte and character-code loops: the one place that says which codes are
 * upper-case letters. Unicode case folding of database keys lives in the format layer.
 *
 * @module
 */

/**
 * Lower-cases one ASCII character code: `A`–`Z` become `a`–`z`, every other code (including
 * non-ASCII) is returned unchanged. Small enough for V8 to inline in hot loops.
 *
 * @param c A character code or byte.
 * @returns The lower-case code.
 */
export function asciiLower(c: number): number {
  return ((c - 0x41) >>> 0) < 26 ? c + 32 : c;
}

/**
 * Tells whether `bytes[offset…]` starts with `lower` ignoring ASCII case, for protocol tokens
 * (`Host:`, `GET `). `lower` must be lower-case ASCII.
 *
 * @param bytes The buffer.
 * @param offset Where to compare.
 * @param lower The expected text, lower-case ASCII.
 * @returns `true` when every byte matches after {@linkcode asciiLower}.
 * @example
 * ```ts
 * import { asciiStartsWith } from "@mxy/mxy/dpi";
 * import assert from "node:assert/strict";
 * const line = new TextEncoder().encode("HOST: example.com");
 * assert.equal(asciiStartsWith(line, 0, "host:"), true);
 * assert.equal(asciiStartsWith(line, 1, "host:"), false);
 * ```
 */
export function asciiStartsWith(bytes: Uint8Array, offset: number, lower: string): boolean {
  const n = lower.length;
  if (offset < 0 || offset + n > bytes.length) return false;
  for (let i = 0; i < n; i++) {
    if (asciiLower(bytes[offset + i]) !== lower.charCodeAt(i)) return false;
  }
  return true;
}
