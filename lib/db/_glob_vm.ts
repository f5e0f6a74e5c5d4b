/**
 * The glob program interpreter (see lib/db/glob.ts for the program layout).
 *
 * @module
 */

const ANY = -1;

function matchSeg(prog: Int32Array, at: number, ops: number, q: Int32Array, p: number): boolean {
  const end = at + ops;
  while (at < end) {
    const op = prog[at];
    const c = q[p++];
    if (op >= 0) {
      if (op !== c) return false;
      at++;
    } else if (op === ANY) {
      at++;
    } else {
      const neg = prog[at + 1] === 1;
      const nr = prog[at + 2];
      let k = at + 3;
      const stop = k + 2 * nr;
      let hit = false;
      for (; k < stop; k += 2) {
        if (c < prog[k]) break;
        if (c <= prog[k + 1]) {
          hit = true;
          break;
        }
      }
      if (hit === neg) return false;
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
 * @example
 * ```ts
 * import { runGlob } from "./_glob_vm.ts";
 * import { compileGlob } from "./glob.ts";
 * import assert from "node:assert/strict";
 * const p = compileGlob("a?c").program;
 * assert.equal(runGlob(p, 0, Int32Array.of(97, 98, 99), 3), true);
 * ```
 */
export function runGlob(
  program: Int32Array,
  base: number,
  cps: Int32Array,
  length: number,
): boolean {
  const flags = program[base];
  const nseg = program[base + 1];
  if (length < program[base + 2]) return false;
  if ((flags & 4) === 0) {
    // No star: one segment that must cover the whole query.
    if (nseg === 0) return length === 0;
    return program[base + 4] === length && matchSeg(program, base + 5, program[base + 3], cps, 0);
  }
  let pos = 0;
  let end = length;
  let s = 0;
  let at = base + 3;
  if ((flags & 1) === 0) {
    const ops = program[at];
    const len = program[at + 1];
    if (!matchSeg(program, at + 2, ops, cps, 0)) return false;
    pos = len;
    at += 2 + ops;
    s = 1;
  }
  let last = nseg;
  if ((flags & 2) === 0) {
    // Locate the last segment (anchored at the end).
    let a = at;
    for (let k = s; k < nseg - 1; k++) a += 2 + program[a];
    const ops = program[a];
    const len = program[a + 1];
    if (length - len < pos) return false;
    if (!matchSeg(program, a + 2, ops, cps, length - len)) return false;
    end = length - len;
    last = nseg - 1;
  }
  for (; s < last; s++) {
    const ops = program[at];
    const len = program[at + 1];
    const stop = end - len;
    let found = -1;
    const first = ops > 0 ? program[at + 2] : -1;
    for (let p = pos; p <= stop; p++) {
      if (first >= 0 && cps[p] !== first) continue;
      if (matchSeg(program, at + 2, ops, cps, p)) {
        found = p;
        break;
      }
    }
    if (found < 0) return false;
    pos = found + len;
    at += 2 + ops;
  }
  return true;
}
