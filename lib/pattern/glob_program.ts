/**
 * The layout of a compiled glob program: an `Int32Array` the compiler writes, the matcher
 * runs, the glob section stores and its verifier checks. Every reader names the words with the
 * constants below.
 *
 * | word      | meaning                                                                 |
 * | --------- | ----------------------------------------------------------------------- |
 * | 0         | flags: {@linkcode LEADING_STAR}, {@linkcode TRAILING_STAR}, {@linkcode HAS_STAR} |
 * | 1         | number of segments (the runs between stars)                            |
 * | 2         | minimum query length in code points                                    |
 * | 3…        | per segment: `opCount`, `codePointCount`, then `opCount` op words      |
 *
 * Ops: a value ≥ 0 is a literal code point; {@linkcode OP_ANY} (`-1`) is `?`;
 * {@linkcode OP_SET} (`-2`) starts a set and is followed by `negated` (0 or 1), `rangeCount`
 * and `rangeCount` pairs `lo, hi` (inclusive, sorted, merged).
 *
 * Matching: the first segment is anchored at the start unless the pattern starts with `*`, the
 * last at the end unless it ends with `*`, and every middle segment is placed at its leftmost
 * occurrence after the previous one. Leftmost placement is always safe because a `*` absorbs
 * whatever lies between, so no choice is ever revisited: the cost is at most
 * (query length × segment length) per pattern, whatever the number of stars.
 *
 * @module
 */

/** Program word 0: the flags. */
export const PROGRAM_FLAGS = 0;
/** Program word 1: the number of segments. */
export const PROGRAM_SEGMENTS = 1;
/** Program word 2: the minimum query length in code points. */
export const PROGRAM_MIN_LENGTH = 2;
/** Words before the first segment. */
export const PROGRAM_HEADER_WORDS = 3;

/** Flag: the pattern starts with `*` (its first segment is not anchored at the start). */
export const LEADING_STAR = 1;
/** Flag: the pattern ends with `*` (its last segment is not anchored at the end). */
export const TRAILING_STAR = 2;
/** Flag: the pattern has a `*` at all (else its one segment covers the whole query). */
export const HAS_STAR = 4;

/** Segment word 0: how many op words follow the segment header. */
export const SEGMENT_OPS = 0;
/** Segment word 1: how many code points the segment matches. */
export const SEGMENT_CODE_POINTS = 1;
/** Words of a segment header (the ops follow). */
export const SEGMENT_HEADER_WORDS = 2;
/** Where the first segment's first op lies: the literal prefix of a pattern starts here. */
export const FIRST_OP = PROGRAM_HEADER_WORDS + SEGMENT_HEADER_WORDS;

/** Op `?`: any one code point. */
export const OP_ANY = -1;
/** Op `[…]`: a set, followed by `negated`, `rangeCount` and the ranges. */
export const OP_SET = -2;
/** Set word 1 (after {@linkcode OP_SET}): 1 when the set is negated. */
export const SET_NEGATED = 1;
/** Set word 2: the number of `lo, hi` range pairs that follow. */
export const SET_RANGE_COUNT = 2;
/** Words of a set before its ranges. */
export const SET_HEADER_WORDS = 3;

/**
 * Calls `run(from, to)` for every run of literal code points in the program at word `at` of
 * `words`, in order (a run ends at a `?`, a set, or a segment's end, which is where the stars
 * are).
 *
 * @param words Program words.
 * @param at Where the program starts.
 * @param run Called with each run's word range `[from, to)`.
 */
export function forEachLiteralRun(
  words: Int32Array,
  at: number,
  run: (from: number, to: number) => void,
): void {
  const segments = words[at + PROGRAM_SEGMENTS];
  let p = at + PROGRAM_HEADER_WORDS;
  for (let s = 0; s < segments; s++) {
    const end = p + SEGMENT_HEADER_WORDS + words[p + SEGMENT_OPS];
    let k = p + SEGMENT_HEADER_WORDS, start = -1;
    while (k < end) {
      const op = words[k];
      if (op >= 0) {
        if (start < 0) start = k;
        k++;
        continue;
      }
      if (start >= 0) run(start, k);
      start = -1;
      k += op === OP_ANY ? 1 : SET_HEADER_WORDS + 2 * words[k + SET_RANGE_COUNT];
    }
    if (start >= 0) run(start, end);
    p = end;
  }
}
