/**
 * Many globs compiled side by side into one growing word array, for the builder's large
 * pattern sets.
 *
 * @module
 */
import { compiled, compiledWords, compileWords } from "./_glob_compiler.ts";
import { FIRST_OP } from "./glob_program.ts";

// Per glob, a row of columns (word positions are absolute in the word array).
const COL_START = 0; // where its program starts
const COL_LENGTH = 1; // its program's length in words
const COL_SPECIFICITY = 2;
const COL_PREFIX = 3; // the length of its prefix piece, in words (code points)
const COL_SUFFIX = 4; // the length of its suffix piece
const COLS = 5;

/**
 * Many globs compiled side by side into one growing word array, with their specificity and the
 * positions of their anchored pieces: no object, typed array or string per glob (what the
 * builder uses for large pattern sets). Their infix pieces are chosen from the programs'
 * literal runs (`forEachLiteralRun`).
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
    const words = this.#words, program = compiledWords();
    for (let k = 0; k < n; k++) words[base + k] = program[k];
    this.#used = base + n;
    const i = this.#count++;
    if (COLS * this.#count > this.#cols.length) {
      const next = new Int32Array(2 * this.#cols.length);
      next.set(this.#cols);
      this.#cols = next;
    }
    const c = this.#cols, at = COLS * i;
    c[at + COL_START] = base;
    c[at + COL_LENGTH] = n;
    c[at + COL_SPECIFICITY] = compiled.specificity;
    c[at + COL_PREFIX] = compiled.prefixLen;
    c[at + COL_SUFFIX] = compiled.suffixLen;
    return i;
  }

  /**
   * Where glob `i`'s program starts in {@linkcode GlobProgramSet.words}.
   *
   * @param i The index.
   * @returns The word offset.
   */
  programStart(i: number): number {
    return this.#cols[COLS * i + COL_START];
  }

  /**
   * The length of glob `i`'s program in words.
   *
   * @param i The index.
   * @returns The word count.
   */
  programLength(i: number): number {
    return this.#cols[COLS * i + COL_LENGTH];
  }

  /**
   * The specificity of glob `i` (see {@linkcode CompiledGlob.specificity}).
   *
   * @param i The index.
   * @returns The score.
   */
  specificity(i: number): number {
    return this.#cols[COLS * i + COL_SPECIFICITY];
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
    return kind === "prefix"
      ? c[at + COL_START] + FIRST_OP
      : c[at + COL_START] + c[at + COL_LENGTH] - c[at + COL_SUFFIX];
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
    return kind === "prefix"
      ? c[at + COL_START] + FIRST_OP + c[at + COL_PREFIX]
      : c[at + COL_START] + c[at + COL_LENGTH];
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
