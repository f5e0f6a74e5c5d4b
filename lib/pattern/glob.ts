/**
 * Glob patterns: the public face of the compiler and matcher. A program is an `Int32Array`
 * (layout in ./glob_program.ts) that matches in time linear in the query for a given pattern
 * (no backtracking).
 *
 * Syntax: `*` any run of characters (crossing `.` and `/`), `?` exactly one character, `[abc]`,
 * `[a-z]`, `[!a-z]` and `[^a-z]` (negation; `]` allowed as the first member), `\` escapes the
 * next character. The whole string must match. Characters are Unicode code points.
 *
 * @module
 */
import { codePointsInto } from "./case_fold.ts";
import { ANCHORS, compiled, compiledText, compiledWords, compileWords } from "./_glob_compiler.ts";
import { FIRST_OP } from "./glob_program.ts";
import { runGlob } from "./glob_vm.ts";

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

/**
 * Whether an entry looks like a glob: it contains an unescaped `*`, `?` or `[`. (It must also
 * compile to be stored as one.)
 *
 * @param text The entry.
 * @returns True when a glob metacharacter appears unescaped.
 * @example
 * ```ts
 * import { hasGlobSyntax } from "@mxy/mxy/db";
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

/**
 * Parses and compiles a glob.
 *
 * @param source The pattern text.
 * @param options Case sensitivity.
 * @returns The program, its fixed piece and its specificity.
 * @throws {GlobError} When the pattern is malformed.
 * @example
 * ```ts
 * import { compileGlob, matchGlob } from "@mxy/mxy/db";
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
    program: compiledWords().slice(0, n),
    fixedPiece: compiledText(compiled.fixedAt, compiled.fixedAt + compiled.fixedLen),
    prefixPiece: compiledText(FIRST_OP, FIRST_OP + compiled.prefixLen),
    suffixPiece: compiledText(n - compiled.suffixLen, n),
    anchor: ANCHORS[compiled.anchor],
    specificity: compiled.specificity,
  };
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
 * import { compileGlob, matchGlob } from "@mxy/mxy/db";
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
 * import { globMatches } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * assert.equal(globMatches("[!a-c]x\\*", "dx*"), true);
 * assert.equal(globMatches("[!a-c]x\\*", "bx*"), false);
 * ```
 */
export function globMatches(pattern: string, text: string, options: GlobOptions = {}): boolean {
  return matchGlob(compileGlob(pattern, options).program, text, options);
}
