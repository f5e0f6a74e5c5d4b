/**
 * Glob patterns: parser, compiler to a compact `Int32Array` program, and a matcher whose running
 * time is linear in the query for a given pattern (no backtracking).
 *
 * Syntax: `*` any run of characters (crossing `.` and `/`), `?` exactly one character, `[abc]`,
 * `[a-z]`, `[!a-z]` and `[^a-z]` (negation; `]` allowed as the first member), `\` escapes the
 * next character. The whole string must match. Characters are Unicode code points.
 *
 * Program layout (all `int32`):
 *
 * | index | meaning                                                        |
 * | ----- | -------------------------------------------------------------- |
 * | 0     | flags: bit 0 leading `*`, bit 1 trailing `*`, bit 2 has a `*`  |
 * | 1     | number of segments (runs between stars)                        |
 * | 2     | minimum query length in code points                            |
 * | 3…    | per segment: `opCount`, `cpCount`, then `opCount` op words     |
 *
 * Ops: a value ≥ 0 is a literal code point; `-1` is `?`; `-2` starts a set and is followed by
 * `negated`, `rangeCount` and `rangeCount` pairs `lo, hi` (inclusive, sorted, merged).
 *
 * Matching: the first segment is anchored at the start unless the pattern starts with `*`, the
 * last at the end unless it ends with `*`, and every middle segment is placed at its leftmost
 * occurrence after the previous one. Leftmost placement is always safe because a `*` absorbs
 * whatever lies between, so no choice is ever revisited: the cost is at most
 * (query length × segment length) per pattern, whatever the number of stars.
 *
 * @module
 */
import { codePointsInto, foldChangingCodePoints, foldCodePoint } from "../format/_case_fold.ts";
import { runGlob } from "./_glob_vm.ts";

/** Why a glob was rejected. */
export type GlobErrorCode = "unclosed-set" | "empty-set" | "reversed-range" | "trailing-backslash";

/**
 * A malformed glob pattern, with the reason and the position (UTF-16 index) in the pattern.
 *
 * @example
 * ```ts
 * import { compileGlob, GlobError } from "./glob.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => compileGlob("ab[c"), (e) => e instanceof GlobError && e.code === "unclosed-set");
 * ```
 */
export class GlobError extends Error {
  /** The reason, stable across versions. */
  readonly code: GlobErrorCode;
  /** The UTF-16 index in the pattern where the problem starts. */
  readonly position: number;
  /**
   * @param code The reason.
   * @param message What is wrong.
   * @param position Where in the pattern.
   */
  constructor(code: GlobErrorCode, message: string, position: number) {
    super(message);
    this.name = "GlobError";
    this.code = code;
    this.position = position;
  }
}

/** Options for {@linkcode compileGlob} and {@linkcode globMatches}. */
export interface GlobOptions {
  /** Match regardless of case (Unicode simple case folding). Default false. */
  caseInsensitive?: boolean;
}

/** A compiled glob: its program and what the multi-pattern index needs to know about it. */
export interface CompiledGlob {
  /** The pattern text as given. */
  source: string;
  /** The matcher program (see the module documentation for its layout). */
  program: Int32Array;
  /**
   * The longest run of literal code points that every match must contain (case-folded in
   * case-insensitive mode), or "" when the pattern has none (such patterns are always checked).
   */
  fixedPiece: string;
  /**
   * The literal characters the whole query must start with (case-folded in case-insensitive
   * mode), or "" (the pattern starts with `*`, `?` or a set).
   */
  prefixPiece: string;
  /** The literal characters the whole query must end with, or "". */
  suffixPiece: string;
  /**
   * The piece that would index this pattern on its own: `"prefix"` (checked at the query's
   * start), `"suffix"` (at its end), `"infix"` (the fixed piece, anywhere) or `"none"` (always
   * checked). Anchored pieces are preferred: checking one costs at most its length, and it is at
   * least as selective as the same characters found anywhere. The glob section's encoder also
   * weighs how many patterns share each piece and may pick another.
   */
  anchor: "prefix" | "suffix" | "infix" | "none";
  /** Higher is more specific: 3 per literal character, 2 per set, 1 per `?`, +1 if no `*`. */
  specificity: number;
}

const ANY = -1;
const SET = -2;

/**
 * Whether an entry looks like a glob: it contains an unescaped `*`, `?` or `[`. (It must also
 * compile to be stored as one.)
 *
 * @param text The entry.
 * @returns True when a glob metacharacter appears unescaped.
 * @example
 * ```ts
 * import { hasGlobSyntax } from "./glob.ts";
 * import assert from "node:assert/strict";
 * assert.equal(hasGlobSyntax("*.example.com"), true);
 * assert.equal(hasGlobSyntax("a\\*b"), false);
 * ```
 */
export function hasGlobSyntax(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x2a || c === 0x3f || c === 0x5b) return true;
  }
  return false;
}

function cpAt(s: string, i: number): number {
  return s.codePointAt(i)!;
}

function cpLen(cp: number): number {
  return cp > 0xffff ? 2 : 1;
}

function normalizeRanges(ranges: number[], fold: boolean): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i], ranges[i + 1]]);
  if (fold) {
    const ch = foldChangingCodePoints();
    const extra: [number, number][] = [];
    for (const [lo, hi] of pairs) {
      // Binary search the first changing code point >= lo.
      let a = 0, b = ch.length;
      while (a < b) {
        const m = (a + b) >> 1;
        if (ch[m] < lo) a = m + 1;
        else b = m;
      }
      for (let k = a; k < ch.length && ch[k] <= hi; k++) {
        const f = foldCodePoint(ch[k]);
        extra.push([f, f]);
      }
    }
    pairs.push(...extra);
  }
  pairs.sort((x, y) => x[0] - y[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n > 0 && lo <= out[n - 1] + 1) {
      if (hi > out[n - 1]) out[n - 1] = hi;
    } else out.push(lo, hi);
  }
  return out;
}

let wordBuf = new Int32Array(256);

function pushWord(n: number, w: number): number {
  if (n >= wordBuf.length) {
    const next = new Int32Array(wordBuf.length * 2);
    next.set(wordBuf);
    wordBuf = next;
  }
  wordBuf[n] = w;
  return n + 1;
}

// The code point at `src[i]`, or the one after it when `src[i]` is a backslash; where it ends
// is left in `charEnd`.
let charEnd = 0;
function readChar(src: string, i: number): number {
  const c = src.charCodeAt(i);
  if (c === 0x5c) {
    if (i + 1 >= src.length) {
      throw new GlobError("trailing-backslash", "Glob ends with a lone backslash", i);
    }
    const cp = cpAt(src, i + 1);
    charEnd = i + 1 + cpLen(cp);
    return cp;
  }
  if (c < 0xd800 || c > 0xdbff) {
    charEnd = i + 1;
    return c;
  }
  const cp = cpAt(src, i);
  charEnd = i + cpLen(cp);
  return cp;
}

const setRanges: number[] = [];

// Parses the set starting at `src[start] === "["` and appends its ops (SET, negated, count,
// ranges) at word `n`. Returns the index after the set; the new word count is left in `setEnd`.
let setEnd = 0;
function compileSet(src: string, start: number, fold: boolean, n: number): number {
  const len = src.length;
  let i = start + 1;
  let neg = false;
  if (i < len && (src.charCodeAt(i) === 0x21 || src.charCodeAt(i) === 0x5e)) {
    neg = true;
    i++;
  }
  setRanges.length = 0;
  let first = true;
  let closed = false;
  while (i < len) {
    if (src.charCodeAt(i) === 0x5d && !first) {
      closed = true;
      i++;
      break;
    }
    first = false;
    const memberStart = i;
    const lo = readChar(src, i);
    i = charEnd;
    let hi = lo;
    if (i + 1 < len && src.charCodeAt(i) === 0x2d && src.charCodeAt(i + 1) !== 0x5d) {
      hi = readChar(src, i + 1);
      i = charEnd;
      if (hi < lo) {
        throw new GlobError(
          "reversed-range",
          `Glob set has a reversed range "${String.fromCodePoint(lo)}-${String.fromCodePoint(hi)}"`,
          memberStart,
        );
      }
    }
    setRanges.push(lo, hi);
  }
  if (!closed) {
    const body = src.slice(start + 1 + (neg ? 1 : 0));
    if (body === "]" || body.startsWith("]") && !body.slice(1).includes("]")) {
      throw new GlobError("empty-set", 'Glob has an empty set "[]"', start);
    }
    throw new GlobError("unclosed-set", 'Glob has a set "[" that is never closed', start);
  }
  const ranges = normalizeRanges(setRanges, fold);
  n = pushWord(n, SET);
  n = pushWord(n, neg ? 1 : 0);
  n = pushWord(n, ranges.length / 2);
  for (let r = 0; r < ranges.length; r++) n = pushWord(n, ranges[r]);
  setEnd = n;
  return i;
}

// UTF-8 length of the literal code points in words [from, to).
function utf8Bytes(from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = wordBuf[i];
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

let units = new Uint16Array(64);

/** The string of the literal code points in words [from, to), built flat. */
function fromCodePoints(from: number, to: number): string {
  if (to <= from) return "";
  if (units.length < 2 * (to - from)) units = new Uint16Array(4 * (to - from));
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = wordBuf[i];
    if (c < 0x10000) units[n++] = c;
    else {
      units[n++] = 0xd800 + ((c - 0x10000) >> 10);
      units[n++] = 0xdc00 + ((c - 0x10000) & 0x3ff);
    }
  }
  if (n > 4096) {
    let out = "";
    for (let k = 0; k < n; k += 4096) {
      out += String.fromCharCode.apply(
        null,
        units.subarray(k, Math.min(n, k + 4096)) as unknown as number[],
      );
    }
    return out;
  }
  return String.fromCharCode.apply(null, units.subarray(0, n) as unknown as number[]);
}

/**
 * Parses and compiles a glob.
 *
 * @param source The pattern text.
 * @param options Case sensitivity.
 * @returns The program, its fixed piece and its specificity.
 * @throws {GlobError} When the pattern is malformed.
 * @example
 * ```ts
 * import { compileGlob, matchGlob } from "./glob.ts";
 * import assert from "node:assert/strict";
 * const g = compileGlob("*.evil-[0-9].com");
 * assert.equal(g.fixedPiece, ".evil-");
 * assert.equal(matchGlob(g.program, "x.evil-7.com"), true);
 * assert.equal(matchGlob(g.program, "x.evil-a.com"), false);
 * ```
 */
export function compileGlob(source: string, options: GlobOptions = {}): CompiledGlob {
  const n = compileWords(source, options.caseInsensitive === true);
  return {
    source,
    program: wordBuf.slice(0, n),
    fixedPiece: fromCodePoints(out.fixedAt, out.fixedAt + out.fixedLen),
    prefixPiece: fromCodePoints(5, 5 + out.prefixLen),
    suffixPiece: fromCodePoints(n - out.suffixLen, n),
    anchor: ANCHORS[out.anchor],
    specificity: out.specificity,
  };
}

const ANCHORS = ["none", "prefix", "suffix", "infix"] as const;

// What compileWords found besides the program: piece positions are word indexes into wordBuf.
const out = {
  specificity: 0,
  prefixLen: 0, // the prefix piece is words [5, 5 + prefixLen)
  suffixLen: 0, // the suffix piece is the last suffixLen words
  fixedAt: 0,
  fixedLen: 0,
  anchor: 0, // index into ANCHORS
};

// Compiles a glob into wordBuf[0..n) and fills `out`; returns n.
function compileWords(source: string, fold: boolean): number {
  // One pass over the source writes the program: header [flags, segments, minLength], then per
  // segment [opCount, cpCount, op…], the segment header filled in when the segment closes.
  const len = source.length;
  let n = 3;
  let nseg = 0, minLen = 0, specificity = 0;
  let lead = false, trail = false, hasStar = false;
  let segAt = -1, segChars = 0; // the open segment's header word (-1: none open)
  let runAt = 0, runLen = 0; // the current run of literal code points (words)
  let bestAt = 0, bestLen = 0; // the first of the longest runs
  let i = 0;
  while (i < len) {
    const c = source.charCodeAt(i);
    if (c === 0x2a) { // *
      hasStar = true;
      if (i === 0) lead = true;
      while (i < len && source.charCodeAt(i) === 0x2a) i++;
      if (i === len) trail = true;
      if (segAt >= 0) {
        wordBuf[segAt] = n - segAt - 2;
        wordBuf[segAt + 1] = segChars;
        nseg++;
        segAt = -1;
      }
      runLen = 0;
      continue;
    }
    if (segAt < 0) {
      segAt = n;
      n = pushWord(pushWord(n, 0), 0);
      segChars = 0;
    }
    segChars++;
    minLen++;
    if (c === 0x3f) { // ?
      n = pushWord(n, ANY);
      specificity += 1;
      runLen = 0;
      i++;
      continue;
    }
    if (c === 0x5b) { // [
      i = compileSet(source, i, fold, n);
      n = setEnd;
      specificity += 2;
      runLen = 0;
      continue;
    }
    let cp = readChar(source, i); // a literal, or one escaped by a backslash
    i = charEnd;
    if (fold) cp = foldCodePoint(cp);
    if (runLen === 0) runAt = n;
    n = pushWord(n, cp);
    runLen++;
    if (runLen > bestLen) {
      bestAt = runAt;
      bestLen = runLen;
    }
    specificity += 3;
  }
  // The suffix piece: the literal run that ends the last segment (when no star follows it).
  const suffixLen = trail ? 0 : runLen;
  if (!trail) {
    if (segAt < 0) { // the empty pattern: one empty segment
      segAt = n;
      n = pushWord(pushWord(n, 0), 0);
      segChars = 0;
    }
    wordBuf[segAt] = n - segAt - 2;
    wordBuf[segAt + 1] = segChars;
    nseg++;
  }
  wordBuf[0] = (lead ? 1 : 0) | (trail ? 2 : 0) | (hasStar ? 4 : 0);
  wordBuf[1] = nseg;
  wordBuf[2] = minLen;
  if (!hasStar) specificity += 1;
  // The prefix piece: the literal run that starts the first segment (when no star precedes it).
  let prefixLen = 0;
  if (!lead && nseg > 0) {
    const ops = wordBuf[3];
    while (prefixLen < ops && wordBuf[5 + prefixLen] >= 0) prefixLen++;
  }
  const pb = utf8Bytes(5, 5 + prefixLen);
  const sb = utf8Bytes(n - suffixLen, n);
  const fb = utf8Bytes(bestAt, bestAt + bestLen);
  let anchor = 0;
  if (pb > 0 || sb > 0 || fb > 0) {
    if (2 * Math.max(pb, sb) >= fb) anchor = pb >= sb ? 1 : 2;
    else anchor = 3;
  }
  out.specificity = specificity;
  out.prefixLen = prefixLen;
  out.suffixLen = suffixLen;
  out.fixedAt = bestAt;
  out.fixedLen = bestLen;
  out.anchor = anchor;
  return n;
}

/** Per glob in a {@linkcode GlobProgramSet}: its columns (word positions are absolute). */
// programStart, programLength, specificity, prefix length, suffix length (in words).
const COLS = 5;

/**
 * Many globs compiled side by side into one growing word array, with their specificity and the
 * positions of their anchored pieces: no object, typed array or string per glob (what the
 * builder uses for large pattern sets). Their infix pieces are chosen from the programs'
 * literal runs ({@linkcode forEachLiteralRun}).
 *
 * @example
 * ```ts
 * import { GlobProgramSet, matchGlob } from "./glob.ts";
 * import assert from "node:assert/strict";
 * const set = new GlobProgramSet();
 * const i = set.add("*.evil.com", false);
 * assert.equal(set.count, 1);
 * assert.equal(set.pieceText(i, "suffix"), ".evil.com");
 * const start = set.programStart(i);
 * const program = set.words.subarray(start, start + set.programLength(i));
 * assert.equal(matchGlob(program, "a.evil.com"), true);
 * ```
 */
export class GlobProgramSet {
  #words = new Int32Array(1024);
  #used = 0;
  #cols = new Int32Array(COLS * 64);
  #count = 0;

  /** The number of globs added. */
  get count(): number {
    return this.#count;
  }

  /** All program words (programs are at {@linkcode GlobProgramSet.programStart}). */
  get words(): Int32Array {
    return this.#words;
  }

  /**
   * Compiles a glob and appends it.
   *
   * @param source The pattern.
   * @param caseInsensitive Fold literal characters and sets (Unicode simple folding).
   * @returns Its index in the set.
   * @throws {GlobError} When the pattern is malformed (nothing is added).
   */
  add(source: string, caseInsensitive: boolean): number {
    const n = compileWords(source, caseInsensitive);
    const base = this.#used;
    if (base + n > this.#words.length) {
      const next = new Int32Array(Math.max(2 * this.#words.length, base + n));
      next.set(this.#words.subarray(0, base));
      this.#words = next;
    }
    const words = this.#words;
    for (let k = 0; k < n; k++) words[base + k] = wordBuf[k];
    this.#used = base + n;
    const i = this.#count++;
    if (COLS * this.#count > this.#cols.length) {
      const next = new Int32Array(2 * this.#cols.length);
      next.set(this.#cols);
      this.#cols = next;
    }
    const c = this.#cols, at = COLS * i;
    c[at] = base;
    c[at + 1] = n;
    c[at + 2] = out.specificity;
    c[at + 3] = out.prefixLen;
    c[at + 4] = out.suffixLen;
    return i;
  }

  /**
   * Where glob `i`'s program starts in {@linkcode GlobProgramSet.words}.
   *
   * @param i The index.
   * @returns The word offset.
   */
  programStart(i: number): number {
    return this.#cols[COLS * i];
  }

  /**
   * The length of glob `i`'s program in words.
   *
   * @param i The index.
   * @returns The word count.
   */
  programLength(i: number): number {
    return this.#cols[COLS * i + 1];
  }

  /**
   * The specificity of glob `i` (see {@linkcode CompiledGlob.specificity}).
   *
   * @param i The index.
   * @returns The score.
   */
  specificity(i: number): number {
    return this.#cols[COLS * i + 2];
  }

  /**
   * Where a piece of glob `i` lies in {@linkcode GlobProgramSet.words}: literal code points
   * (case-folded in case-insensitive mode), as `[start, end)`.
   *
   * @param i The index.
   * @param kind Which piece (see {@linkcode CompiledGlob}).
   * @returns The start word; the end is {@linkcode GlobProgramSet.pieceEnd}.
   */
  pieceStart(i: number, kind: "prefix" | "suffix"): number {
    const c = this.#cols, at = COLS * i;
    return kind === "prefix" ? c[at] + 5 : c[at] + c[at + 1] - c[at + 4];
  }

  /**
   * The end (exclusive) of a piece of glob `i`; see {@linkcode GlobProgramSet.pieceStart}.
   *
   * @param i The index.
   * @param kind Which piece.
   * @returns The end word.
   */
  pieceEnd(i: number, kind: "prefix" | "suffix"): number {
    const c = this.#cols, at = COLS * i;
    return kind === "prefix" ? c[at] + 5 + c[at + 3] : c[at] + c[at + 1];
  }

  /**
   * A piece of glob `i` as a string (allocates; for inspection).
   *
   * @param i The index.
   * @param kind Which piece.
   * @returns The piece, "" when the glob has none.
   */
  pieceText(i: number, kind: "prefix" | "suffix"): string {
    let s = "";
    const w = this.#words;
    for (let k = this.pieceStart(i, kind); k < this.pieceEnd(i, kind); k++) {
      s += String.fromCodePoint(w[k]);
    }
    return s;
  }
}

/**
 * Calls `run(from, to)` for every run of literal code points in the program at word `at` of
 * `words`, in order (a run ends at a `?`, a set, or a segment's end, which is where the stars
 * are).
 *
 * @param words Program words.
 * @param at Where the program starts.
 * @param run Called with each run's word range `[from, to)`.
 * @example
 * ```ts
 * import { compileGlob, forEachLiteralRun } from "./glob.ts";
 * import assert from "node:assert/strict";
 * const p = compileGlob("ab?c*d[0-9]ef").program;
 * const runs: string[] = [];
 * forEachLiteralRun(p, 0, (a, b) => runs.push(String.fromCodePoint(...p.subarray(a, b))));
 * assert.deepEqual(runs, ["ab", "c", "d", "ef"]);
 * ```
 */
export function forEachLiteralRun(
  words: Int32Array,
  at: number,
  run: (from: number, to: number) => void,
): void {
  const nseg = words[at + 1];
  let p = at + 3;
  for (let s = 0; s < nseg; s++) {
    const end = p + 2 + words[p];
    let k = p + 2, start = -1;
    while (k < end) {
      const op = words[k];
      if (op >= 0) {
        if (start < 0) start = k;
        k++;
        continue;
      }
      if (start >= 0) run(start, k);
      start = -1;
      k += op === ANY ? 1 : 3 + 2 * words[k + 2];
    }
    if (start >= 0) run(start, end);
    p = end;
  }
}

let scratch = new Int32Array(256);

/**
 * Matches a compiled program against a string (decoding it into a reused buffer, folding case
 * when asked). Allocates nothing once the buffer has grown to the longest query seen.
 *
 * @param program A program from {@linkcode compileGlob}.
 * @param text The query.
 * @param options Whether the program was compiled case-insensitively (fold the query too).
 * @returns Whether the whole query matches.
 * @example
 * ```ts
 * import { compileGlob, matchGlob } from "./glob.ts";
 * import assert from "node:assert/strict";
 * const g = compileGlob("*.EXAMPLE.com", { caseInsensitive: true });
 * assert.equal(matchGlob(g.program, "www.example.COM", { caseInsensitive: true }), true);
 * ```
 */
export function matchGlob(program: Int32Array, text: string, options: GlobOptions = {}): boolean {
  if (scratch.length < text.length) scratch = new Int32Array(text.length * 2);
  const n = codePointsInto(text, scratch, options.caseInsensitive === true);
  return runGlob(program, 0, scratch, n);
}

/**
 * Compiles a glob and tests one string against it (convenience; compile once with
 * {@linkcode compileGlob} for repeated use).
 *
 * @param pattern The glob.
 * @param text The string to test.
 * @param options Case sensitivity.
 * @returns Whether the whole string matches.
 * @example
 * ```ts
 * import { globMatches } from "./glob.ts";
 * import assert from "node:assert/strict";
 * assert.equal(globMatches("[!a-c]x\\*", "dx*"), true);
 * assert.equal(globMatches("[!a-c]x\\*", "bx*"), false);
 * ```
 */
export function globMatches(pattern: string, text: string, options: GlobOptions = {}): boolean {
  return matchGlob(compileGlob(pattern, options).program, text, options);
}
