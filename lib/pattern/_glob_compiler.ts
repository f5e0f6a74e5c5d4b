/**
 * The glob compiler: one pass over the pattern text writes its program (layout in
 * ./glob_program.ts) into a shared word buffer and notes its pieces and specificity, with no
 * object per pattern (the builder compiles millions). Private to lib/pattern: `compileGlob` and
 * `GlobProgramSet` copy the words out.
 *
 * @module
 */
import { foldChangingCodePoints, foldCodePoint } from "./case_fold.ts";
import { GlobError } from "./glob_error.ts";
import {
  FIRST_OP,
  HAS_STAR,
  LEADING_STAR,
  OP_ANY,
  OP_SET,
  PROGRAM_FLAGS,
  PROGRAM_HEADER_WORDS,
  PROGRAM_MIN_LENGTH,
  PROGRAM_SEGMENTS,
  SEGMENT_CODE_POINTS,
  SEGMENT_HEADER_WORDS,
  SEGMENT_OPS,
  TRAILING_STAR,
} from "./glob_program.ts";

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

/**
 * The word buffer {@linkcode compileWords} writes (replaced when it grows: read it after
 * compiling).
 *
 * @returns The buffer.
 */
export function compiledWords(): Int32Array {
  return wordBuf;
}

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

// Parses the set starting at `src[start] === "["` and appends its ops (OP_SET, negated, count,
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
  n = pushWord(n, OP_SET);
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

/**
 * The string of the literal code points in words `[from, to)` of {@linkcode compiledWords},
 * built flat.
 *
 * @param from The first word.
 * @param to The end (exclusive).
 * @returns The text.
 */
export function compiledText(from: number, to: number): string {
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

/** The anchor names, by the index {@linkcode compiled}`.anchor` holds. */
export const ANCHORS = ["none", "prefix", "suffix", "infix"] as const;

/**
 * What the last {@linkcode compileWords} call found besides the program: piece positions are
 * word indexes into {@linkcode compiledWords}.
 */
export const compiled = {
  specificity: 0,
  prefixLen: 0, // the prefix piece is words [FIRST_OP, FIRST_OP + prefixLen)
  suffixLen: 0, // the suffix piece is the last suffixLen words
  fixedAt: 0,
  fixedLen: 0,
  anchor: 0, // index into ANCHORS
};

/**
 * Compiles a glob into the first `n` words of {@linkcode compiledWords} and fills
 * {@linkcode compiled}.
 *
 * @param source The pattern.
 * @param fold Fold literal characters and sets (Unicode simple case folding).
 * @returns `n`, the program's length in words.
 * @throws {GlobError} When the pattern is malformed.
 */
export function compileWords(source: string, fold: boolean): number {
  // One pass over the source writes the program: header [flags, segments, minLength], then per
  // segment [opCount, cpCount, op…], the segment header filled in when the segment closes.
  const len = source.length;
  let n = PROGRAM_HEADER_WORDS;
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
        wordBuf[segAt + SEGMENT_OPS] = n - segAt - SEGMENT_HEADER_WORDS;
        wordBuf[segAt + SEGMENT_CODE_POINTS] = segChars;
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
      n = pushWord(n, OP_ANY);
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
    wordBuf[segAt + SEGMENT_OPS] = n - segAt - SEGMENT_HEADER_WORDS;
    wordBuf[segAt + SEGMENT_CODE_POINTS] = segChars;
    nseg++;
  }
  wordBuf[PROGRAM_FLAGS] = (lead ? LEADING_STAR : 0) | (trail ? TRAILING_STAR : 0) |
    (hasStar ? HAS_STAR : 0);
  wordBuf[PROGRAM_SEGMENTS] = nseg;
  wordBuf[PROGRAM_MIN_LENGTH] = minLen;
  if (!hasStar) specificity += 1;
  // The prefix piece: the literal run that starts the first segment (when no star precedes it).
  let prefixLen = 0;
  if (!lead && nseg > 0) {
    const ops = wordBuf[PROGRAM_HEADER_WORDS + SEGMENT_OPS];
    while (prefixLen < ops && wordBuf[FIRST_OP + prefixLen] >= 0) prefixLen++;
  }
  const pb = utf8Bytes(FIRST_OP, FIRST_OP + prefixLen);
  const sb = utf8Bytes(n - suffixLen, n);
  const fb = utf8Bytes(bestAt, bestAt + bestLen);
  let anchor = 0;
  if (pb > 0 || sb > 0 || fb > 0) {
    if (2 * Math.max(pb, sb) >= fb) anchor = pb >= sb ? 1 : 2;
    else anchor = 3;
  }
  compiled.specificity = specificity;
  compiled.prefixLen = prefixLen;
  compiled.suffixLen = suffixLen;
  compiled.fixedAt = bestAt;
  compiled.fixedLen = bestLen;
  compiled.anchor = anchor;
  return n;
}
