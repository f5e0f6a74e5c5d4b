/**
 * The local part of an e-mail address, found backwards from its `@`.
 *
 * The local part is the longest run of `A`–`Z`, `a`–`z`, `0`–`9`, `.`, `_`, `%`, `+` and `-`
 * that ends at the `@` (the common "dot-atom" subset of RFC 5322; quoted local parts and the rarer
 * symbols `!#$&'*\/=?^\`{|}~` are left out, so `?email=bob@x.com` gives `bob@x.com`), without the
 * dots it starts with; it must then be 1–64 characters, and not end with a dot nor hold two dots
 * in a row.
 *
 * @module
 */
import * as charClass from "./_char_class.ts";
// Module-level copies: V8 folds these into the hot paths, not bindings imported from a module.
const { B_DOT, C_ALNUM, CHAR_CLASS } = charClass;

/** Longest local part (RFC 5321). */
const MAX_LOCAL = 64;

function isLocalChar(c: number): boolean {
  return (CHAR_CLASS[c] & C_ALNUM) !== 0 || c === 0x2e || c === 0x5f || c === 0x25 ||
    c === 0x2b || c === 0x2d;
}

/**
 * Where the local part ending at the `@` at `bytes[at]` starts.
 *
 * @param bytes The text.
 * @param at The index of the `@`.
 * @param limit The lowest index the local part may start at.
 * @returns The local part's first byte, or -1 when there is no valid local part.
 */
export function localPartStart(bytes: Uint8Array, at: number, limit: number): number {
  let s = at;
  // the run may be long (a line of letters before an "@"): stop looking past what could be valid
  const floor = Math.max(limit, at - 4 * MAX_LOCAL);
  while (s > floor && isLocalChar(bytes[s - 1])) s--;
  if (s > limit && s === floor && isLocalChar(bytes[s - 1])) {
    // the run goes on beyond what we looked at: it is too long, unless leading dots shorten it
    return -1;
  }
  while (s < at && bytes[s] === B_DOT) s++;
  if (s === at || at - s > MAX_LOCAL || bytes[at - 1] === B_DOT) return -1;
  for (let i = s + 1; i < at; i++) if (bytes[i] === B_DOT && bytes[i - 1] === B_DOT) return -1;
  return s;
}
