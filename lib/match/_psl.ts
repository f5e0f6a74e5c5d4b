/**
 * Public Suffix List lookup over bytes, allocation-free after a one-time build.
 *
 * The table is an open-addressing hash set of suffixes (lower-case UTF-8 bytes) in typed arrays.
 * Each entry carries flags: a rule (`co.uk`), the base of a wildcard rule (`*.ck` is stored as
 * `ck` with {@linkcode F_WILDCARD}), an exception (`!www.ck` is stored as `www.ck`), or none of
 * these for an interior entry: every dot-suffix of every rule is present (`kobe.jp` for
 * `*.kobe.jp`, even where it is no rule itself) so that a walk from the right can stop at the
 * first suffix the table lacks.
 *
 * The hash runs over a name's bytes from the last to the first, so the walk extends it one label
 * at a time leftwards: `com`, then `.com`'s hash continued over `example.`, and so on. ASCII
 * letters are folded to lower case on the way; other bytes are compared as they are.
 *
 * The algorithm is the list's own (https://publicsuffix.org/list/): exception rules win and make
 * the public suffix the exception minus its leftmost label; otherwise the matching rule with the
 * most labels wins, a wildcard `*.x` matching one label more than `x`; when no rule matches, the
 * default rule `*` makes the last label the public suffix.
 *
 * @module
 */
import { asciiLower } from "../core/ascii.ts";
import { sharedCopy } from "../core/shared_copy.ts";
import * as charClass from "./_char_class.ts";
import { PSL_RULES } from "./_psl_data.ts";
// Module-level copies: V8 folds these into the hot paths, not bindings imported from a module.
const { B_DOT } = charClass;

/** A rule ends at this suffix. */
const F_RULE = 1;
/** `*.` + this suffix is a rule. */
const F_WILDCARD = 2;
/** `!` + this suffix is a rule. */
const F_EXCEPTION = 4;

const FNV_OFFSET = 0x811c9dc5 | 0;
/** Bytes of the rules text. */
const B_NEWLINE = 0x0a;
const B_SPACE = 0x20;
const B_BANG = 0x21;
const B_STAR = 0x2a;
const FNV_PRIME = 0x01000193;

let table: Table | undefined;
let shared: PublicSuffixTableShare | undefined;

/**
 * The Public Suffix List table in shared memory, from {@linkcode sharePublicSuffixTable}: plain
 * data for `postMessage`, whose arrays stay shared.
 */
export interface PublicSuffixTableShare {
  /** Every key's bytes, one after another. */
  keys: Uint8Array;
  /** Where each entry's key starts in `keys`. */
  keyStart: Int32Array;
  /** Each entry's key length. */
  keyLength: Uint16Array;
  /** Each entry's hash. */
  hash: Int32Array;
  /** Each entry's flags. */
  flags: Uint8Array;
  /** Slots of the open-addressing table: entry index + 1, or 0 when empty. */
  slots: Int32Array;
}

/** The table in use: the shared arrays (flags 0 for an interior entry) and the slot mask. */
interface Table extends PublicSuffixTableShare {
  /** `slots.length - 1`. */
  mask: number;
}

/**
 * The built-in Public Suffix List's lookup table (built now if no lookup has), copied once into
 * shared memory, for workers to take with {@linkcode usePublicSuffixTable} instead of building
 * it each (about 10 ms of CPU per thread).
 *
 * @returns The table, shared.
 * @example
 * ```ts
 * import { registrableDomain, sharePublicSuffixTable, usePublicSuffixTable } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 * const table = sharePublicSuffixTable();
 * // in a worker, before its first domain lookup: usePublicSuffixTable(tableFromTheMessage)
 * usePublicSuffixTable(table);
 * assert.equal(registrableDomain("a.b.example.co.uk"), "example.co.uk");
 * ```
 */
export function sharePublicSuffixTable(): PublicSuffixTableShare {
  if (shared !== undefined) return shared;
  const t = table ??= build();
  shared = {
    keys: sharedCopy(t.keys),
    keyStart: sharedCopy(t.keyStart),
    keyLength: sharedCopy(t.keyLength),
    hash: sharedCopy(t.hash),
    flags: sharedCopy(t.flags),
    slots: sharedCopy(t.slots),
  };
  return shared;
}

/**
 * Takes the lookup table another thread built ({@linkcode sharePublicSuffixTable}) instead of
 * building it; does nothing when this thread has its table already. The table is the built-in
 * list's, so answers do not change.
 *
 * @param share The shared table.
 * @throws {RangeError} When the arrays' sizes do not fit together.
 * @example
 * ```ts
 * import { registrableDomain, sharePublicSuffixTable, usePublicSuffixTable } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 * usePublicSuffixTable(sharePublicSuffixTable());
 * assert.equal(registrableDomain("www.example.com"), "example.com");
 * ```
 */
export function usePublicSuffixTable(share: PublicSuffixTableShare): void {
  const n = share.keyStart.length;
  const size = share.slots.length;
  if (
    share.keyLength.length !== n || share.hash.length !== n || share.flags.length !== n ||
    size === 0 || (size & (size - 1)) !== 0 || size < n
  ) {
    throw new RangeError("The shared Public Suffix List table is malformed");
  }
  if (table !== undefined) return;
  table = { ...share, mask: size - 1 };
  shared = share;
}

/**
 * Builds the table from the rules text in one pass over its bytes: keys point into the encoded
 * text itself, and each rule inserts its dot-suffixes from the right, the table finding the ones
 * already there.
 */
function build(): Table {
  const text = new TextEncoder().encode(PSL_RULES);
  let capacity = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === B_DOT || c === B_NEWLINE || c === B_SPACE) capacity++;
  }
  let size = 1;
  while (size < capacity * 2) size <<= 1;
  const t: Table = {
    keys: text,
    keyStart: new Int32Array(capacity),
    keyLength: new Uint16Array(capacity),
    hash: new Int32Array(capacity),
    flags: new Uint8Array(capacity),
    slots: new Int32Array(size),
    mask: size - 1,
  };
  let entries = 0;
  let ruleStart = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i < text.length && text[i] !== B_NEWLINE && text[i] !== B_SPACE) continue;
    const ruleEnd = i;
    let start = ruleStart;
    ruleStart = i + 1;
    if (start === ruleEnd) continue;
    let flag = F_RULE;
    if (text[start] === B_BANG) {
      flag = F_EXCEPTION;
      start++;
    } else if (text[start] === B_STAR) {
      flag = F_WILDCARD;
      start += 2;
    }
    // every dot-suffix of the rule, shortest first
    let h = FNV_OFFSET;
    let j = ruleEnd - 1;
    while (true) {
      while (j >= start && text[j] !== B_DOT) {
        h = Math.imul(h ^ text[j], FNV_PRIME);
        j--;
      }
      const labelStart = j + 1;
      let e = find(t, h, text, labelStart, ruleEnd);
      if (e < 0) {
        e = entries++;
        t.keyStart[e] = labelStart;
        t.keyLength[e] = ruleEnd - labelStart;
        t.hash[e] = h;
        let slot = h & t.mask;
        while (t.slots[slot] !== 0) slot = (slot + 1) & t.mask;
        t.slots[slot] = e + 1;
      }
      if (labelStart === start) {
        t.flags[e] |= flag;
        break;
      }
      h = Math.imul(h ^ B_DOT, FNV_PRIME);
      j--;
    }
  }
  return t;
}

/** The entry for `bytes[start..end)` with hash `h`, or -1. */
function find(t: Table, h: number, bytes: Uint8Array, start: number, end: number): number {
  const len = end - start;
  let slot = h & t.mask;
  while (true) {
    const e = t.slots[slot] - 1;
    if (e < 0) return -1;
    if (t.hash[e] === h && t.keyLength[e] === len) {
      const k = t.keyStart[e];
      let i = 0;
      while (i < len && t.keys[k + i] === asciiLower(bytes[start + i])) i++;
      if (i === len) return e;
    }
    slot = (slot + 1) & t.mask;
  }
}

/**
 * Where the public suffix of the domain `bytes[start..end)` starts, by an explicit rule of the
 * list. The range must hold labels separated by single dots (no leading or trailing dot).
 *
 * @param bytes The text.
 * @param start First byte of the domain.
 * @param end One past its last byte.
 * @returns The offset of the public suffix's first byte, or -1 when no rule of the list matches
 * (only the default rule `*` would).
 */
export function publicSuffixStart(bytes: Uint8Array, start: number, end: number): number {
  const t = table ??= build();
  let h = FNV_OFFSET;
  let best = -1;
  let shorter = end + 1; // start of the previous, shorter suffix
  let i = end - 1;
  while (true) {
    // extend the hash over one more label, leftwards
    while (i >= start && bytes[i] !== B_DOT) {
      h = Math.imul(h ^ asciiLower(bytes[i]), FNV_PRIME);
      i--;
    }
    const labelStart = i + 1;
    const e = find(t, h, bytes, labelStart, end);
    if (e < 0) break;
    const flags = t.flags[e];
    if (flags & F_EXCEPTION) return shorter;
    if (flags & F_RULE) best = labelStart;
    if ((flags & F_WILDCARD) && i > start) {
      // `*` matches the label to the left
      let j = i - 1;
      while (j >= start && bytes[j] !== B_DOT) j--;
      best = j + 1;
    }
    if (i < start) break;
    h = Math.imul(h ^ B_DOT, FNV_PRIME);
    shorter = labelStart;
    i--;
  }
  return best;
}
