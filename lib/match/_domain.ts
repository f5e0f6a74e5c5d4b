/**
 * Domain-name recognition over bytes: the shape rules of host names and the Public Suffix List
 * condition the extractor applies.
 *
 * A domain is two or more labels separated by single dots; a label is 1–63 letters, digits,
 * hyphens or non-ASCII characters, with no hyphen first or last (`xn--` labels are plain ASCII
 * labels); the name is at most 253 characters. Lengths count characters: a non-ASCII character
 * counts once however many UTF-8 bytes it takes (its punycode form may be longer; the extractor
 * does not encode it). Its last labels must form a suffix an explicit rule of the list gives, with
 * at least one label before that suffix.
 *
 * @module
 */
import * as charClass from "./_char_class.ts";
import { publicSuffixStart } from "./_psl.ts";
import type { ExtraSuffixes } from "./_extra_suffixes.ts";
// Module-level copies: V8 folds these into the hot paths, not bindings imported from a module.
const { B_DOT, B_HYPHEN, C_HIGH, C_LABEL, CHAR_CLASS } = charClass;

/** Longest label, in characters. */
export const MAX_LABEL = 63;
/** Longest name, in characters, without a trailing dot. */
export const MAX_NAME = 253;

/**
 * Tells whether `bytes[start..end)` has the shape of a host name (see the module doc), without
 * consulting the Public Suffix List.
 *
 * @param bytes The text.
 * @param start First byte.
 * @param end One past the last byte (no trailing dot).
 * @returns `true` when every label is well formed and there are at least two.
 */
export function isHostName(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start < 3) return false;
  let labels = 0;
  let labelStart = start;
  let chars = 0; // characters of the whole name
  let labelChars = 0;
  for (let i = start; i <= end; i++) {
    if (i === end || bytes[i] === B_DOT) {
      if (i === labelStart || labelChars > MAX_LABEL) return false;
      if (bytes[labelStart] === B_HYPHEN || bytes[i - 1] === B_HYPHEN) return false;
      labels++;
      chars += labelChars + 1;
      labelChars = 0;
      labelStart = i + 1;
      continue;
    }
    const b = bytes[i];
    const k = CHAR_CLASS[b];
    if ((k & C_LABEL) === 0) return false;
    // a UTF-8 continuation byte adds no character
    if ((k & C_HIGH) === 0 || b >= 0xc0) labelChars++;
  }
  return labels >= 2 && chars - 1 <= MAX_NAME;
}

/**
 * Tells whether `bytes[start..end)` is a domain the extractor reports: a host name whose last
 * labels are a public suffix by an explicit rule of the list, with a label before it, or whose
 * last label is one of `extra`'s.
 *
 * @param bytes The text.
 * @param start First byte.
 * @param end One past the last byte (no trailing dot).
 * @param extra Last labels accepted beyond the list, or `null`.
 * @returns `true` for `evil.com`, `b.c.mm`; `false` for `com`, `c.mm`, `file.txt`, `a_b.com`.
 */
export function isDomain(
  bytes: Uint8Array,
  start: number,
  end: number,
  extra: ExtraSuffixes | null = null,
): boolean {
  // the suffix first: most dotted words of a log (file names, versions) fail there, at once
  return end - start >= 3 &&
    (publicSuffixStart(bytes, start, end) > start ||
      (extra !== null && extra.matches(bytes, start, end))) &&
    isHostName(bytes, start, end);
}
