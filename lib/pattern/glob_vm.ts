/**
 * The glob program interpreter (program layout in ./glob_program.ts).
 *
 * @module
 */
import * as layout from "./glob_program.ts";

// Module-local copies of the layout's constants: V8 folds these into the loops below even when
// runGlob is inlined into a caller in another module (it does not fold imported bindings there).
const PROGRAM_FLAGS = layout.PROGRAM_FLAGS;
const PROGRAM_SEGMENTS = layout.PROGRAM_SEGMENTS;
const PROGRAM_MIN_LENGTH = layout.PROGRAM_MIN_LENGTH;
const PROGRAM_HEADER_WORDS = layout.PROGRAM_HEADER_WORDS;
const LEADING_STAR = layout.LEADING_STAR;
const TRAILING_STAR = layout.TRAILING_STAR;
const HAS_STAR = layout.HAS_STAR;
const SEGMENT_OPS = layout.SEGMENT_OPS;
const SEGMENT_CODE_POINTS = layout.SEGMENT_CODE_POINTS;
const SEGMENT_HEADER_WORDS = layout.SEGMENT_HEADER_WORDS;
const OP_ANY = layout.OP_ANY;
const SET_NEGATED = layout.SET_NEGATED;
const SET_RANGE_COUNT = layout.SET_RANGE_COUNT;
const SET_HEADER_WORDS = layout.SET_HEADER_WORDS;

// Whether the `ops` op words at `at` match the code points at `q[p]` onwards (the caller has
// checked that enough of them remain).
function matchSegment(
  program: Int32Array,
  at: number,
  ops: number,
  q: Int32Array,
  p: number,
): boolean {
  const end = at + ops;
  while (at < end) {
    const op = program[at];
    const c = q[p++];
    if (op >= 0) {
      if (op !== c) return false;
      at++;
    } else if (op === OP_ANY) {
      at++;
    } else {
      // A set: sorted ranges, so the scan stops at the first that starts after `c`.
      const negated = program[at + SET_NEGATED] === 1;
      let k = at + SET_HEADER_WORDS;
      const stop = k + 2 * program[at + SET_RANGE_COUNT];
      let hit = false;
      for (; k < stop; k += 2) {
        if (c < program[k]) break;
        if (c <= program[k + 1]) {
          hit = true;
          break;
        }
      }
      if (hit === negated) return false;
      at = stop;
    }
  }
  return true;
}

/**
 * Runs a compiled glob program (starting at word `base` of `program`) on a query given as code
 * points, already case-folded when the program was compiled case-insensitively. Allocates
 * nothing.
 *
 * @param program The program words (one program, or a table of many).
 * @param base Where this program starts.
 * @param cps The query's code points.
 * @param length How many of `cps` to use.
 * @returns Whether the whole query matches.
 */
export function runGlob(
  program: Int32Array,
  base: number,
  cps: Int32Array,
  length: number,
): boolean {
  const flags = program[base + PROGRAM_FLAGS];
  const segments = program[base + PROGRAM_SEGMENTS];
  if (length < program[base + PROGRAM_MIN_LENGTH]) return false;
  let at = base + PROGRAM_HEADER_WORDS;
  if ((flags & HAS_STAR) === 0) {
    // No star: one segment that must cover the whole query.
    if (segments === 0) return length === 0;
    return program[at + SEGMENT_CODE_POINTS] === length &&
      matchSegment(program, at + SEGMENT_HEADER_WORDS, program[at + SEGMENT_OPS], cps, 0);
  }
  let pos = 0;
  let end = length;
  let s = 0;
  if ((flags & LEADING_STAR) === 0) {
    // The first segment is anchored at the start.
    const ops = program[at + SEGMENT_OPS];
    if (!matchSegment(program, at + SEGMENT_HEADER_WORDS, ops, cps, 0)) return false;
    pos = program[at + SEGMENT_CODE_POINTS];
    at += SEGMENT_HEADER_WORDS + ops;
    s = 1;
  }
  let last = segments;
  if ((flags & TRAILING_STAR) === 0) {
    // The last segment is anchored at the end.
    let a = at;
    for (let k = s; k < segments - 1; k++) a += SEGMENT_HEADER_WORDS + program[a + SEGMENT_OPS];
    const ops = program[a + SEGMENT_OPS];
    const len = program[a + SEGMENT_CODE_POINTS];
    if (length - len < pos) return false;
    if (!matchSegment(program, a + SEGMENT_HEADER_WORDS, ops, cps, length - len)) return false;
    end = length - len;
    last = segments - 1;
  }
  // Every middle segment at its leftmost place after the previous one.
  for (; s < last; s++) {
    const ops = program[at + SEGMENT_OPS];
    const len = program[at + SEGMENT_CODE_POINTS];
    const stop = end - len;
    let found = -1;
    const first = ops > 0 ? program[at + SEGMENT_HEADER_WORDS] : -1;
    for (let p = pos; p <= stop; p++) {
      if (first >= 0 && cps[p] !== first) continue;
      if (matchSegment(program, at + SEGMENT_HEADER_WORDS, ops, cps, p)) {
        found = p;
        break;
      }
    }
    if (found < 0) return false;
    pos = found + len;
    at += SEGMENT_HEADER_WORDS + ops;
  }
  return true;
}
