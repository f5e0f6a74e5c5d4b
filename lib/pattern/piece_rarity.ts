/**
 * How likely a literal piece is to occur in a query, estimated from the patterns themselves:
 * a character-bigram model over every literal run of every glob program. Patterns are written
 * to match the queries they will meet, so their text is the best sample of that text the
 * builder has; a piece made of common sequences (`.com`, a word every other domain contains)
 * is a poor index key even when it is long, and a piece made of rare ones (a run of digits) a
 * good one even when it is short.
 *
 * @module
 */
import { forEachLiteralRun } from "./glob_program.ts";

// Code points at or above 128 share one symbol.
const SYMBOLS = 129;
// Add-half smoothing of single characters: an unseen one is unlikely, not impossible.
const ALPHA = 0.5;

function symbol(cp: number): number {
  return cp < 128 ? cp : 128;
}

/**
 * A character-bigram model of the patterns' literal text, and the rarest literal run of a
 * pattern under it.
 */
export class PieceRarity {
  /** Where the run found by {@linkcode PieceRarity.rarestRun} starts (a word index). */
  runFrom = 0;
  /** Where it ends (exclusive). */
  runTo = 0;
  #first = new Float64Array(SYMBOLS);
  #pairs = new Float64Array(SYMBOLS * SYMBOLS);
  #from = new Float64Array(SYMBOLS);
  // How many different characters follow each one.
  #kinds = new Float64Array(SYMBOLS);
  #chars = 0;

  /**
   * Counts the literal runs of the glob program at word `at` of `words`.
   *
   * @param words Program words (layout in ./glob_program.ts).
   * @param at Where the program starts.
   */
  addProgram(words: Int32Array, at: number): void {
    forEachLiteralRun(words, at, (from, to) => this.#count(words, from, to, 1));
  }

  /**
   * Takes a counted program's runs out of the model again, so that its pieces are judged by
   * the other patterns' text only (a piece seen once, in its own pattern, is not common for
   * that); {@linkcode PieceRarity.addProgram} puts them back.
   *
   * @param words Program words.
   * @param at Where the program starts.
   */
  removeProgram(words: Int32Array, at: number): void {
    forEachLiteralRun(words, at, (from, to) => this.#count(words, from, to, -1));
  }

  /**
   * Finds the rarest literal run of the program at word `at` (the first of equally rare ones)
   * and leaves its bounds in {@linkcode PieceRarity.runFrom} and {@linkcode PieceRarity.runTo}
   * (equal when the program has no literal).
   *
   * @param words Program words.
   * @param at Where the program starts.
   * @returns The run's log-probability (see {@linkcode PieceRarity.logProbability}); 0 when
   *   there is none.
   */
  rarestRun(words: Int32Array, at: number): number {
    let best = 0;
    this.runFrom = this.runTo = 0;
    forEachLiteralRun(words, at, (from, to) => {
      const lp = this.logProbability(words, from, to);
      if (this.runTo === this.runFrom || lp < best) {
        best = lp;
        this.runFrom = from;
        this.runTo = to;
      }
    });
    return best;
  }

  #count(words: Int32Array, from: number, to: number, d: number): void {
    let prev = -1;
    for (let k = from; k < to; k++) {
      const c = symbol(words[k]);
      this.#first[c] += d;
      this.#chars += d;
      if (prev >= 0) {
        const at = prev * SYMBOLS + c;
        if (d > 0 && this.#pairs[at] === 0) this.#kinds[prev]++;
        this.#pairs[at] += d;
        if (d < 0 && this.#pairs[at] === 0) this.#kinds[prev]--;
        this.#from[prev] += d;
      }
      prev = c;
    }
  }

  /**
   * The natural log of the chance that a query holds `words[from..to)` at a given position:
   * the first character's frequency times each next character's frequency after the one
   * before it (Witten-Bell smoothed: after a character seldom seen, or followed by many
   * different ones, the plain frequency weighs more).
   *
   * @param words The code points.
   * @param from The first.
   * @param to The end (exclusive); must be after `from`.
   * @returns A negative number; smaller is rarer.
   */
  logProbability(words: Int32Array, from: number, to: number): number {
    let prev = symbol(words[from]);
    let lp = Math.log(this.#single(prev));
    for (let k = from + 1; k < to; k++) {
      const c = symbol(words[k]);
      const n = this.#from[prev], t = this.#kinds[prev];
      const p = n === 0
        ? this.#single(c)
        : (this.#pairs[prev * SYMBOLS + c] + t * this.#single(c)) / (n + t);
      lp += Math.log(p);
      prev = c;
    }
    return lp;
  }

  #single(c: number): number {
    return (this.#first[c] + ALPHA) / (this.#chars + ALPHA * SYMBOLS);
  }
}
