/**
 * The string side of a `.mxy` query: exact literals and glob patterns answered together, in
 * place over the file's literal and glob sections, without allocating per query.
 *
 * The literal table is probed with the query's UTF-8 bytes computed on the fly. For the globs,
 * the prefix trie, the suffix trie and the infix Aho-Corasick automaton are walked over the
 * query string itself while it is ASCII (an ASCII character is its own UTF-8 byte, folded in
 * case-insensitive mode); a non-ASCII query is encoded once into a reused buffer and walked as
 * bytes. After a few thousand queries, query-time tables take over where they fit: a hash table
 * of `*.lit` suffixes, a jump table over the prefix trie, and a q-gram table in place of the
 * automaton's walk (./_dot_suffix_table.ts, ./_prefix_jump.ts, ./_prefix_pieces.ts,
 * ./_infix_grams.ts, ./_infix_windows.ts). Empty indexes
 * are skipped. Each candidate (plus the patterns without a fixed piece) is
 * confirmed by its linear-time glob program, except a pattern whose index hit is already its
 * match (`lit*` found in the prefix trie, `*lit` in the suffix trie, `*lit*` in the automaton,
 * checked once when the matcher first runs). Results are entry numbers and data offsets in a reusable
 * {@linkcode StringMatches} holder: the literal first, then the globs, most specific first.
 *
 * @module
 */
import { FormatError } from "../format/format_error.ts";
import type { MmdbValue } from "../format/value.ts";
import { LiteralTable } from "../format/literal_table.ts";
import { GlobIndex } from "../format/glob_index.ts";
import {
  type AhoCorasickScan,
  codePointsInto,
  encodeUtf8Into,
  FIRST_OP,
  foldCodePoint,
  forEachLiteralRun,
  HAS_STAR,
  LEADING_STAR,
  PROGRAM_FLAGS,
  PROGRAM_HEADER_WORDS,
  PROGRAM_MIN_LENGTH,
  PROGRAM_SEGMENTS,
  runGlob,
  SEGMENT_CODE_POINTS,
  SEGMENT_OPS,
  TRAILING_STAR,
  utf8Put,
} from "../pattern/mod.ts";
import { asciiLower } from "../core/ascii.ts";
import { type DotSuffixShare, DotSuffixTable } from "./_dot_suffix_table.ts";
import { PrefixJump, type PrefixJumpShare } from "./_prefix_jump.ts";
import { sharedCopy } from "../core/shared_copy.ts";
import { InfixGrams, type InfixGramsShare } from "./_infix_grams.ts";
import { InfixWindows, type InfixWindowsShare, querySetOf } from "./_infix_windows.ts";
import { PrefixPieces, type PrefixPiecesShare } from "./_prefix_pieces.ts";

const TABLES_AFTER = 4096;
// The q-gram table of the infix pieces is kept when its first GRAMS_TRIAL queries after it was
// built sent fewer than one window in GRAMS_MAX_RATE characters to the exact table (each such
// probe costs about as much as the automaton's walk over a few characters).
const GRAMS_TRIAL = 2048;
const GRAMS_MAX_RATE = 8;
// When more than one window in GRAMS_LONGER_RATE characters reached it, the table is built
// again with longer windows (when the patterns' runs allow them), for a second trial: longer
// windows are rarer in queries (complex globs, 10,000 patterns: 0.098 -> 0.041-0.056 windows
// per character); with few windows reaching the table the shorter ones measured faster (mixed
// globs). When one length of up to 6 serves every pattern, that is a table of fixed windows of
// up to GRAMS_LONGER_Q; else a table of long windows (./_infix_windows.ts: up to 8
// characters, two lengths; complex globs, 100,000 patterns: 7.1 -> 2.6 windows per query).
const GRAMS_LONGER_RATE = 16;
const GRAMS_LONGER_Q = 6;
// Each pattern's literal characters as a 64-bit set (2 words; a character's bit is the top 6
// bits of its code point times GOLDEN): a candidate whose set holds a bit the query's lacks is
// not run (its program and record would be read for nothing: at 100,000 patterns each is a
// cache miss). Used when the programs fill at least REQUIRED_MIN_WORDS words (4 MiB): with
// fewer, they stay in cache and the check measured slower than running the candidates (complex
// globs, 10,000 patterns, 50% hits: 0.89x; 100,000 patterns: 1.30x).
const GOLDEN = 0x9e3779b1 | 0;
const REQUIRED_MIN_WORDS = 1 << 20;

/** One string match as {@linkcode StringResult} reports it. */
export interface StringMatch {
  /** `"literal"` (the exact string) or `"glob"` (a pattern). */
  kind: "literal" | "glob";
  /** What matched: the literal (case-folded in case-insensitive databases) or the glob's text. */
  entry: string;
  /** The entry's data. */
  data: MmdbValue;
}

/** The result of a string (non-IP) lookup. */
export interface StringResult {
  /** Always `"string"`. */
  kind: "string";
  /** The best match's data (the literal's, else the most specific glob's). */
  data: MmdbValue;
  /** Every match: the literal first, then the globs, most specific first. */
  matches: StringMatch[];
}

/** The kind code of a literal match in {@linkcode StringMatches.kinds}. */
export const MATCH_LITERAL = 0;
/** The kind code of a glob match in {@linkcode StringMatches.kinds}. */
export const MATCH_GLOB = 1;

/**
 * A reusable holder for the matches of one query: parallel arrays of kind
 * ({@linkcode MATCH_LITERAL} or {@linkcode MATCH_GLOB}), entry number and data offset; only the
 * first {@linkcode StringMatches.count} are valid. It grows (allocating) only when a query has
 * more matches than ever before.
 *
 * @example
 * ```ts
 * import { StringMatches } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * const m = new StringMatches();
 * assert.equal(m.count, 0);
 * ```
 */
export class StringMatches {
  /** How many matches the last query had. */
  count = 0;
  /** Kind of each match. */
  kinds: Uint8Array;
  /** Entry number of each match (literal entry or glob pattern number). */
  entries: Int32Array;
  /** Data offset of each match (from the start of the data section). */
  offsets: Int32Array;

  /**
   * Creates an empty holder.
   *
   * @param capacity How many matches it holds before it grows (default 16).
   */
  constructor(capacity = 16) {
    this.kinds = new Uint8Array(capacity);
    this.entries = new Int32Array(capacity);
    this.offsets = new Int32Array(capacity);
  }

  /**
   * Appends a match (used by the matcher).
   *
   * @param kind The kind code.
   * @param entry The entry number.
   * @param offset The data offset.
   */
  push(kind: number, entry: number, offset: number): void {
    const n = this.count;
    if (n === this.kinds.length) {
      const k = new Uint8Array(n * 2 + 8);
      const e = new Int32Array(n * 2 + 8);
      const o = new Int32Array(n * 2 + 8);
      k.set(this.kinds);
      e.set(this.entries);
      o.set(this.offsets);
      this.kinds = k;
      this.entries = e;
      this.offsets = o;
    }
    this.kinds[n] = kind;
    this.entries[n] = entry;
    this.offsets[n] = offset;
    this.count = n + 1;
  }
}

/** Options for {@linkcode StringMatcher.fromSections}. */
export interface StringMatcherOptions {
  /** Absolute file offset of the literal section, for error messages. */
  literalFileOffset?: number;
  /** Absolute file offset of the glob section, for error messages. */
  globFileOffset?: number;
  /**
   * After how many queries the glob indexes get their query-time tables: the hash table of
   * the suffix trie's `*.lit` patterns (./_dot_suffix_table.ts) and the prefix trie's jump
   * table (./_prefix_jump.ts). Building them costs about as much as a few thousand queries,
   * which a one-shot lookup should not pay. Default 4096.
   */
  tablesAfter?: number;
  /**
   * From how many program words on the glob programs get their character sets with the tables
   * (a candidate pattern whose literal characters are not all in the query is not run). Default
   * 2^20 (4 MiB of programs: below, they stay in cache and running a candidate is cheaper).
   */
  characterSetsFrom?: number;
  /**
   * The glob section's checks as another matcher over the same bytes did them
   * ({@linkcode StringMatcher.checks}): the section is not verified again. Only for bytes that
   * matcher checked and that never change (shared read-only between threads).
   */
  checked?: StringMatcherChecks;
}

/** What {@linkcode StringMatcher.checks} returns: the glob section's checked state. */
export interface StringMatcherChecks {
  /** Per pattern, 1 when a hit in its index is already a match. */
  implied: Uint8Array;
  /** Per pattern, the index it is in (1 prefix, 2 suffix, 3 automaton, 0 none). */
  where: Uint8Array;
  /** The suffix trie's hash table (./_dot_suffix_table.ts), or null when it has none. */
  dotSuffix: DotSuffixShare | null;
  /** The prefix trie's jump table (./_prefix_jump.ts), or null when it has none. */
  prefixJump: PrefixJumpShare | null;
  /** The infix pieces' q-gram table (./_infix_grams.ts), or null when it has none. */
  infixGrams?: InfixGramsShare | null;
  /** The infix pieces' long-window table (./_infix_windows.ts), or null when it has none. */
  infixWindows?: InfixWindowsShare | null;
  /** The prefix pieces' hash table (./_prefix_pieces.ts), or null when it has none. */
  prefixPieces?: PrefixPiecesShare | null;
}

/**
 * Answers string queries over a literal table and a glob index (either may be absent).
 */
export class StringMatcher {
  #literal: LiteralTable | null;
  #globs: GlobIndex | null;
  #fold: boolean;
  #verified = false;
  #bytes = new Uint8Array(512);
  #cps = new Int32Array(256);
  #cpsLength = -1;
  #length = -1;
  #scan: AhoCorasickScan;
  // The suffix hash table's candidates are #scan.out[#dotFrom .. #dotTo): each a match (the table
  // holds only patterns whose hit is their match), with its data offset at the same index here.
  readonly #dotOffsets: Int32Array;
  #dotFrom = 0;
  #dotTo = 0;
  // Per pattern, 1 when a hit in its index is already a match (its program is the indexed
  // piece plus stars on the open sides: "lit*" in the prefix trie, "*lit" in the suffix trie,
  // "*lit*" in the automaton), so its program need not run. Set by #init.
  #implied: Uint8Array = new Uint8Array(0);
  // Per pattern, its literal characters' bits (see GOLDEN), built with the tables.
  #required: Int32Array | null = null;
  // The candidates #scan.out[#checkedFrom .. #checkedTo) were checked against the character
  // sets by the table that found them (#mayMatch need not check them again).
  #checkedFrom = 0;
  #checkedTo = 0;
  // The query's characters' bits: words 0 and 1, and 2 = 1 when they are the current query's.
  readonly #queryBits = new Int32Array(3);
  #usePrefix = false;
  #useSuffix = false;
  // The suffix trie's patterns as a hash table, when they all have the shape `*.lit` (see
  // ./_dot_suffix_table.ts); the trie is then walked only for non-ASCII queries.
  #dotSuffix: DotSuffixTable | null = null;
  // The prefix trie's jump table (see ./_prefix_jump.ts), or null.
  #prefixJump: PrefixJump | null = null;
  // The prefix trie's pieces as a hash table (see ./_prefix_pieces.ts), or null: used for
  // ASCII queries in place of the jump table and the walk.
  #prefixPieces: PrefixPieces | null = null;
  // The infix pieces' q-gram table (see ./_infix_grams.ts), or null; queries left in its trial
  // (0: decided).
  #grams: InfixGrams | null = null;
  // The infix pieces' long-window table (see ./_infix_windows.ts), used in place of #grams
  // when set; it has the same trial.
  #windows: InfixWindows | null = null;
  #gramsTrial = 0;
  // whether the table has been built again with longer windows (once per matcher)
  #gramsLonger = false;
  // queries left before the table is built (0: built, or never); where each pattern is indexed
  // (kept for the build)
  #countdown = 0;
  #tablesAfter: number;
  readonly #characterSetsFrom: number;
  #where: Uint8Array | null = null;
  // #where as checked, kept for checks() after the tables are built
  #checkedWhere: Uint8Array = new Uint8Array(0);
  #useInfix = false;
  /** Kind of the last {@linkcode StringMatcher.matchFirst} result (-1 when none). */
  lastKind = -1;
  /** Entry number of the last {@linkcode StringMatcher.matchFirst} result (-1 when none). */
  lastEntry = -1;

  /**
   * @param literal The literal table, or null.
   * @param globs The glob index, or null.
   * @throws {FormatError} With code `bad-section` when the two disagree on case sensitivity.
   */
  constructor(
    literal: LiteralTable | null,
    globs: GlobIndex | null,
    options: StringMatcherOptions = {},
  ) {
    this.#tablesAfter = Math.max(1, options.tablesAfter ?? TABLES_AFTER);
    this.#characterSetsFrom = options.characterSetsFrom ?? REQUIRED_MIN_WORDS;
    this.#literal = literal;
    this.#globs = globs;
    if (literal !== null && globs !== null && literal.caseInsensitive !== globs.caseInsensitive) {
      throw new FormatError(
        "bad-section",
        "Literal and glob sections disagree on case sensitivity",
      );
    }
    this.#fold = literal?.caseInsensitive ?? globs?.caseInsensitive ?? false;
    const P = globs?.count ?? 0;
    this.#scan = {
      bytes: this.#bytes,
      length: 0,
      out: new Uint32Array(P),
      count: 0,
      seen: new Uint32Array(P),
      stamp: 0,
      set: this.#queryBits,
    };
    this.#dotOffsets = new Int32Array(P);
    const checked = options.checked;
    if (checked !== undefined && globs !== null) {
      if (checked.implied.length !== P || checked.where.length !== P) {
        throw new FormatError("bad-section", "Glob section: checks of another section given");
      }
      this.#adopt(checked.where, checked.implied);
      this.#dotSuffix = checked.dotSuffix === null
        ? null
        : DotSuffixTable.fromShare(checked.dotSuffix);
      this.#prefixJump = checked.prefixJump === null
        ? null
        : PrefixJump.fromShare(checked.prefixJump);
      const pieces = checked.prefixPieces ?? null;
      this.#prefixPieces = pieces === null ? null : PrefixPieces.fromShare(pieces);
      const grams = checked.infixGrams ?? null;
      if (grams !== null) this.#startGrams(InfixGrams.fromShare(grams));
      const windows = checked.infixWindows ?? null;
      if (windows !== null) this.#startWindows(InfixWindows.fromShare(windows));
      this.#where = null;
      this.#countdown = 0;
    }
  }

  /**
   * The glob section's checked state and query-time tables (verifying the section and
   * building the tables first if no query has), copied into shared memory, for
   * {@linkcode StringMatcherOptions.checked} of a matcher over the same bytes on another thread.
   *
   * @returns The state, or null when there is no glob section.
   * @throws {FormatError} When the glob section is corrupt.
   */
  checks(): StringMatcherChecks | null {
    if (this.#globs === null) return null;
    if (!this.#verified) this.#init();
    if (this.#countdown > 0) {
      this.#countdown = 0;
      this.#buildTables();
    }
    return {
      implied: sharedCopy(this.#implied),
      where: sharedCopy(this.#checkedWhere),
      dotSuffix: this.#dotSuffix?.share() ?? null,
      prefixJump: this.#prefixJump?.share() ?? null,
      infixGrams: this.#grams?.share() ?? null,
      infixWindows: this.#windows?.share() ?? null,
      prefixPieces: this.#prefixPieces?.share() ?? null,
    };
  }

  /**
   * Views the sections in place (nothing is copied or rebuilt).
   *
   * @param literal The literal section bytes, or null.
   * @param glob The glob section bytes, or null.
   * @param options File offsets for error messages.
   * @returns The matcher.
   * @throws {FormatError} When a section header is invalid.
   */
  static fromSections(
    literal: Uint8Array | null,
    glob: Uint8Array | null,
    options: StringMatcherOptions = {},
  ): StringMatcher {
    return new StringMatcher(
      literal === null
        ? null
        : new LiteralTable(literal, { fileOffset: options.literalFileOffset }),
      glob === null ? null : new GlobIndex(glob, { fileOffset: options.globFileOffset }),
      options,
    );
  }

  /** Whether queries are compared regardless of case. */
  get caseInsensitive(): boolean {
    return this.#fold;
  }

  /** The number of literals. */
  get literalCount(): number {
    return this.#literal?.count ?? 0;
  }

  /** The number of glob patterns. */
  get globCount(): number {
    return this.#globs?.count ?? 0;
  }

  // Encodes the query to UTF-8 (folded) in #bytes, once per query; its length is #length.
  // Only needed when a walk over the string met a non-ASCII character.
  #encode(query: string): number {
    if (this.#length >= 0) return this.#length;
    let len = encodeUtf8Into(query, this.#bytes, this.#fold);
    if (len < 0) {
      this.#bytes = new Uint8Array(query.length * 3 + 64);
      this.#scan.bytes = this.#bytes;
      len = encodeUtf8Into(query, this.#bytes, this.#fold);
    }
    this.#scan.length = len;
    return this.#length = len;
  }

  // The query's (folded) code points in #cps, once per query (the infix scan may have stored
  // them already); their count is #cpsLength.
  #codePoints(query: string): number {
    if (this.#cpsLength < 0) {
      if (this.#cps.length < query.length) this.#cps = new Int32Array(query.length * 2);
      // An ASCII query's code points are its char codes.
      const n = query.length, cps = this.#cps, fold = this.#fold;
      let i = 0;
      for (; i < n; i++) {
        let c = query.charCodeAt(i);
        if (c >= 0x80) break;
        if (fold) c = asciiLower(c);
        cps[i] = c;
      }
      this.#cpsLength = i === n ? n : codePointsInto(query, cps, fold);
    }
    return this.#cpsLength;
  }

  // Whether pattern `id` may match the query whose code points are #cps[0..cl): each of its
  // literal characters' bits is among the query's (computed at the first call per query).
  #mayMatch(required: Int32Array, id: number, cl: number): boolean {
    const qb = this.#queryBits;
    if (qb[2] === 0) querySetOf(this.#cps, cl, qb);
    return ((required[2 * id] & ~qb[0]) | (required[2 * id + 1] & ~qb[1])) === 0;
  }

  // The prefix pieces' candidates of an ASCII query (its code points cps[0..n)); with the
  // character sets they are checked, as the range #checkedFrom..#checkedTo records.
  #collectPieces(pieces: PrefixPieces, cps: Int32Array, n: number): void {
    const scan = this.#scan;
    if (this.#required !== null && this.#queryBits[2] === 0) querySetOf(cps, n, this.#queryBits);
    const from = scan.count;
    pieces.collect(cps, n, scan);
    if (!pieces.sets) return;
    // one range of checked candidates: the infix table's, extended, or the pieces' own
    if (this.#checkedTo !== from) this.#checkedFrom = from;
    this.#checkedTo = scan.count;
  }

  // Whether candidate k (an index into #scan.out) was checked against the character sets.
  #checked(k: number): boolean {
    return k < this.#checkedTo && k >= this.#checkedFrom;
  }

  #run(programs: Int32Array, at: number, query: string): boolean {
    const cl = this.#codePoints(query); // may grow #cps: read it after
    return runGlob(programs, at, this.#cps, cl);
  }

  // Once per matcher: checks the untrusted tables, and finds the patterns whose index hit is
  // already a match.
  #init(): void {
    const globs = this.#globs!;
    globs.verify();
    const P = globs.count;
    // verify() has checked that each pattern is indexed once: mark where.
    const where = new Uint8Array(P);
    const never = (): never => {
      throw new FormatError("bad-section", "Glob section: a pattern is indexed twice");
    };
    globs.prefixTrie.markKeys(where, 1, never);
    globs.suffixTrie.markKeys(where, 2, never);
    globs.automaton.markKeys(where, 3, never);
    const implied = new Uint8Array(P);
    const programs = globs.programs;
    let buf = new Uint8Array(64);
    // The flags of "lit*" (indexed in the prefix trie), "*lit" (suffix trie), "*lit*" (automaton).
    const wanted = [
      0,
      HAS_STAR | TRAILING_STAR,
      HAS_STAR | LEADING_STAR,
      HAS_STAR | LEADING_STAR | TRAILING_STAR,
    ];
    const segment = PROGRAM_HEADER_WORDS;
    for (let id = 0; id < P; id++) {
      const tag = where[id];
      if (tag === 0) continue;
      const at = globs.programStart(id);
      // Wanted: one segment of literal code points, stars exactly on the open sides.
      if (programs[at + PROGRAM_FLAGS] !== wanted[tag]) continue;
      if (programs[at + PROGRAM_SEGMENTS] !== 1) continue;
      const ops = programs[at + segment + SEGMENT_OPS];
      if (programs[at + segment + SEGMENT_CODE_POINTS] !== ops) continue;
      if (programs[at + PROGRAM_MIN_LENGTH] !== ops) continue;
      let lit = true;
      for (let k = 0; k < ops; k++) if (programs[at + FIRST_OP + k] < 0) lit = false;
      if (!lit) continue;
      if (ops * 4 > buf.length) buf = new Uint8Array(ops * 8);
      // The segment's UTF-8 must lead exactly to the state that reports this pattern.
      let n = 0;
      for (let k = 0; k < ops; k++) n = utf8Put(programs[at + FIRST_OP + k], buf, n);
      if (tag === 2) buf.subarray(0, n).reverse();
      const trie = tag === 1 ? globs.prefixTrie : tag === 2 ? globs.suffixTrie : globs.automaton;
      if (trie.reports(trie.walk(buf, 0, n), id)) implied[id] = 1;
    }
    this.#adopt(where, implied);
  }

  // The checked state, from #init or from another matcher's checks.
  #adopt(where: Uint8Array, implied: Uint8Array): void {
    const globs = this.#globs!;
    this.#implied = implied;
    this.#checkedWhere = where;
    this.#usePrefix = !globs.prefixTrie.isEmpty;
    this.#useSuffix = !globs.suffixTrie.isEmpty;
    this.#useInfix = !globs.automaton.isEmpty;
    if (this.#useSuffix || this.#usePrefix || this.#useInfix) {
      this.#where = where;
      this.#countdown = this.#tablesAfter;
    }
    this.#verified = true;
  }

  // The suffix hash table and the prefix jump table, built by the query that ends the
  // countdown (each stays null when its trie does not fit it).
  #buildTables(): void {
    const globs = this.#globs!;
    if (this.#useSuffix) {
      this.#dotSuffix = dotSuffixTable(globs, this.#where!, this.#implied, this.#fold);
    }
    if (this.#usePrefix) this.#prefixJump = PrefixJump.of(globs.prefixTrie, this.#fold);
    if (globs.programs.length >= this.#characterSetsFrom) {
      this.#required = requiredBits(globs, this.#implied);
      globs.prefixTrie.setOutputSets(this.#required);
    }
    // (with the character sets only: below their threshold the trie stays in cache and its walk
    // measured faster: mixed globs, 10,000 patterns, 0.88-0.91x; 100,000: 1.19-1.38x)
    if (this.#usePrefix && this.#required !== null) {
      // (case-sensitive: the characters that may follow each piece are checked too)
      this.#prefixPieces = PrefixPieces.of(
        globs.prefixTrie,
        this.#required,
        this.#fold ? {} : { globs },
      );
    }
    if (this.#useInfix) {
      const grams = InfixGrams.of(globs, this.#fold);
      if (grams !== null) this.#startGrams(grams);
    }
    this.#where = null;
  }

  #startGrams(grams: InfixGrams): void {
    this.#grams = grams;
    this.#gramsTrial = GRAMS_TRIAL;
    grams.probes = 0;
    grams.chars = 0;
  }

  #startWindows(windows: InfixWindows): void {
    this.#grams = null;
    this.#windows = windows;
    this.#gramsTrial = GRAMS_TRIAL;
    windows.probes = 0;
    windows.chars = 0;
  }

  // The end of the q-gram table's trial: kept when it sent few windows to the exact table.
  #endGramsTrial(): void {
    const windows = this.#windows;
    if (windows !== null) {
      if (windows.probes * GRAMS_MAX_RATE > windows.chars) this.#windows = null;
      return;
    }
    const grams = this.#grams!;
    if (!this.#gramsLonger && grams.probes * GRAMS_LONGER_RATE > grams.chars) {
      this.#gramsLonger = true;
      const longer = InfixWindows.of(this.#globs!, this.#fold, { sets: this.#required });
      if (longer !== null && longer.q > grams.q) {
        const lengths = longer.lengths;
        if ((lengths & (lengths - 1)) !== 0 || longer.q > GRAMS_LONGER_Q) {
          this.#startWindows(longer);
          return;
        }
        // one length of up to 6: fixed windows
        const fixed = grams.longerQ > grams.q
          ? InfixGrams.of(this.#globs!, this.#fold, GRAMS_LONGER_Q)
          : null;
        if (fixed !== null && fixed.q > grams.q) {
          this.#startGrams(fixed);
          return;
        }
      }
    }
    if (grams.probes * GRAMS_MAX_RATE > grams.chars) this.#grams = null;
  }

  #nextStamp(): void {
    const scan = this.#scan;
    if (scan.stamp === 0xffffffff) {
      scan.seen.fill(0);
      scan.stamp = 0;
    }
    scan.stamp++;
  }

  #candidates(query: string): number {
    if (!this.#verified) this.#init();
    this.#queryBits[2] = 0;
    this.#dotFrom = this.#dotTo = 0;
    this.#checkedTo = this.#checkedFrom = 0;
    this.#length = -1;
    this.#cpsLength = -1;
    const globs = this.#globs!;
    const scan = this.#scan;
    scan.count = 0;
    if (this.#countdown > 0 && --this.#countdown === 0) this.#buildTables();
    let anchoredDone = false;
    if (this.#useInfix) {
      this.#nextStamp();
      // The scan stores the folded character codes as it reads them: an ASCII query's code
      // points are then ready for the anchored walks and the glob programs without reading
      // the string again.
      const n = query.length;
      if (this.#cps.length < n) this.#cps = new Int32Array(n * 2);
      scan.points = this.#cps;
      const grams = this.#grams, windows = this.#windows;
      let found: number;
      if (windows !== null) {
        found = windows.collectOf(query, this.#cps, scan);
        // with the character sets, the table has checked its candidates
        if (found >= 0 && windows.sets) this.#checkedTo = scan.count;
        if (this.#gramsTrial > 0 && --this.#gramsTrial === 0) this.#endGramsTrial();
      } else if (grams !== null) {
        found = grams.collectOf(query, this.#cps, scan);
        if (this.#gramsTrial > 0 && --this.#gramsTrial === 0) this.#endGramsTrial();
      } else found = globs.automaton.collectOf(query, this.#fold, scan);
      if (found >= 0) {
        this.#cpsLength = n;
        const cps = this.#cps;
        if (this.#usePrefix) {
          // the prefix trie's keys are checked against the query's characters as found
          if (this.#required !== null && this.#queryBits[2] === 0) {
            querySetOf(cps, n, this.#queryBits);
          }
          const jump = this.#prefixJump;
          if (this.#prefixPieces !== null) this.#collectPieces(this.#prefixPieces, cps, n);
          else if (jump === null || n < jump.depth) {
            globs.prefixTrie.collectAnchoredPoints(cps, n, false, scan);
          } else {
            // one probe for the first characters, then the walk from where they lead
            const s = jump.stateOfPoints(cps);
            if (s > 0) globs.prefixTrie.collectPointsFrom(cps, n, s, jump.depth, scan);
          }
        }
        const dot = this.#dotSuffix;
        if (dot !== null) {
          this.#dotFrom = scan.count;
          scan.count = dot.collectFolded(cps, n, scan.out, scan.count, this.#dotOffsets);
          this.#dotTo = scan.count;
        } else if (this.#useSuffix) globs.suffixTrie.collectAnchoredPoints(cps, n, true, scan);
        anchoredDone = true;
      } else {
        this.#encode(query);
        this.#nextStamp();
        globs.automaton.collect(scan);
      }
    }
    if (anchoredDone) return scan.count;
    if (this.#usePrefix) {
      const jump = this.#prefixJump;
      let done = false;
      if (jump !== null && query.length >= jump.depth) {
        // one probe for the first characters, then the walk from where they lead
        const s = jump.stateOf(query);
        if (s === 0) done = true;
        else if (s > 0) {
          done = globs.prefixTrie.collectPrefixOfFrom(query, this.#fold, s, jump.depth, scan) >= 0;
        }
      }
      if (!done && globs.prefixTrie.collectPrefixOf(query, this.#fold, scan) < 0) {
        this.#encode(query);
        globs.prefixTrie.collectPrefix(scan, false);
      }
    }
    if (this.#useSuffix) {
      const dot = this.#dotSuffix;
      if (dot !== null) {
        const count = dot.collectOf(query, scan.out, scan.count, this.#dotOffsets);
        if (count >= 0) {
          this.#dotFrom = scan.count;
          scan.count = this.#dotTo = count;
        } else {
          this.#encode(query);
          globs.suffixTrie.collectSuffix(scan, false);
        }
      } else if (globs.suffixTrie.collectSuffixOf(query, this.#fold, scan) < 0) {
        this.#encode(query);
        globs.suffixTrie.collectSuffix(scan, false);
      }
    }
    return scan.count;
  }

  /**
   * Finds every match of a query: the literal (if any) first, then the matching globs, most
   * specific first. Allocates nothing in steady state.
   *
   * @param query The string.
   * @param out The holder to fill (its previous content is replaced).
   * @returns The number of matches.
   */
  matchAll(query: string, out: StringMatches): number {
    out.count = 0;
    const lit = this.#literal;
    if (lit !== null) {
      const e = lit.find(query);
      if (e >= 0) out.push(MATCH_LITERAL, e, lit.dataOffset(e));
    }
    const globs = this.#globs;
    if (globs === null || globs.count === 0) return out.count;
    const n = this.#candidates(query);
    const first = out.count;
    const cand = this.#scan.out;
    const programs = globs.programs;
    const implied = this.#implied, required = this.#required;
    const dotFrom = this.#dotFrom, dotTo = this.#dotTo, dotOffsets = this.#dotOffsets;
    for (let k = 0; k < n; k++) {
      const id = cand[k];
      if (k >= dotFrom && k < dotTo) {
        out.push(MATCH_GLOB, id, dotOffsets[k]);
        continue;
      }
      if (implied[id] !== 1) {
        if (
          required !== null && !this.#checked(k) &&
          !this.#mayMatch(required, id, this.#codePoints(query))
        ) continue;
        if (!this.#run(programs, globs.programStart(id), query)) continue;
      }
      out.push(MATCH_GLOB, id, globs.dataOffset(id));
    }
    const always = globs.always;
    for (let k = 0; k < always.length; k++) {
      const id = always[k];
      if (required !== null && !this.#mayMatch(required, id, this.#codePoints(query))) continue;
      if (this.#run(programs, globs.programStart(id), query)) {
        out.push(MATCH_GLOB, id, globs.dataOffset(id));
      }
    }
    if (out.count - first < 2) return out.count;
    // Most specific first = ascending pattern number (insertion sort: few matches).
    const ent = out.entries, off = out.offsets;
    for (let i = first + 1; i < out.count; i++) {
      const e = ent[i], o = off[i];
      let j = i - 1;
      while (j >= first && ent[j] > e) {
        ent[j + 1] = ent[j];
        off[j + 1] = off[j];
        j--;
      }
      ent[j + 1] = e;
      off[j + 1] = o;
    }
    return out.count;
  }

  // Loads the UTF-8 span bytes[start..end) as a query: its key bytes (case-folded as the build
  // did) in #bytes (length #length) and its code points in #cps (count #cpsLength). A byte that
  // is not part of valid UTF-8 stands for U+FFFD, as TextDecoder reads it. Returns the key
  // length. Allocates only when the span is longer than every span before.
  #loadSpan(bytes: Uint8Array, start: number, end: number): number {
    const n = end - start;
    if (this.#bytes.length < n * 3 + 8) {
      this.#bytes = new Uint8Array(n * 3 + 64);
      this.#scan.bytes = this.#bytes;
    }
    if (this.#cps.length < n) this.#cps = new Int32Array(n * 2);
    const key = this.#bytes, cps = this.#cps, fold = this.#fold;
    let i = start;
    // the ASCII head (all of most spans), one loop per case
    if (fold) {
      for (; i < end; i++) {
        const c = bytes[i];
        if (c >= 0x80) break;
        const l = asciiLower(c);
        key[i - start] = l;
        cps[i - start] = l;
      }
    } else {
      for (; i < end; i++) {
        const c = bytes[i];
        if (c >= 0x80) break;
        key[i - start] = c;
        cps[i - start] = c;
      }
    }
    let j = i - start, k = j;
    while (i < end) {
      let c = bytes[i];
      if (c < 0x80) {
        if (fold) c = asciiLower(c);
        key[j++] = c;
        cps[k++] = c;
        i++;
        continue;
      }
      // a multi-byte sequence (shortest form, no surrogates), else one U+FFFD per bad byte
      let cp = 0xfffd, len = 1;
      if (c >= 0xc2 && c <= 0xdf && i + 1 < end && (bytes[i + 1] & 0xc0) === 0x80) {
        cp = ((c & 31) << 6) | (bytes[i + 1] & 63);
        len = 2;
      } else if (
        c >= 0xe0 && c <= 0xef && i + 2 < end && (bytes[i + 1] & 0xc0) === 0x80 &&
        (bytes[i + 2] & 0xc0) === 0x80
      ) {
        const v = ((c & 15) << 12) | ((bytes[i + 1] & 63) << 6) | (bytes[i + 2] & 63);
        if (v >= 0x800 && (v < 0xd800 || v > 0xdfff)) {
          cp = v;
          len = 3;
        }
      } else if (
        c >= 0xf0 && c <= 0xf4 && i + 3 < end && (bytes[i + 1] & 0xc0) === 0x80 &&
        (bytes[i + 2] & 0xc0) === 0x80 && (bytes[i + 3] & 0xc0) === 0x80
      ) {
        const v = ((c & 7) << 18) | ((bytes[i + 1] & 63) << 12) | ((bytes[i + 2] & 63) << 6) |
          (bytes[i + 3] & 63);
        if (v >= 0x10000 && v <= 0x10ffff) {
          cp = v;
          len = 4;
        }
      }
      if (fold) cp = foldCodePoint(cp);
      cps[k++] = cp;
      j = utf8Put(cp, key, j);
      i += len;
    }
    this.#length = j;
    this.#scan.length = j;
    this.#cpsLength = k;
    return j;
  }

  // The glob candidates of the span loaded by #loadSpan, walking its key bytes.
  #spanCandidates(): number {
    if (!this.#verified) this.#init();
    this.#queryBits[2] = 0;
    this.#dotFrom = this.#dotTo = 0;
    this.#checkedTo = this.#checkedFrom = 0;
    const globs = this.#globs!;
    const scan = this.#scan;
    scan.count = 0;
    if (this.#countdown > 0 && --this.#countdown === 0) this.#buildTables();
    if (this.#useInfix) {
      this.#nextStamp();
      const grams = this.#grams, windows = this.#windows;
      // an ASCII span (one byte per code point) through the q-gram table
      if (windows !== null && this.#cpsLength === scan.length) {
        windows.collectPoints(this.#cps, this.#cpsLength, scan);
        if (windows.sets) this.#checkedTo = scan.count;
        if (this.#gramsTrial > 0 && --this.#gramsTrial === 0) this.#endGramsTrial();
      } else if (grams !== null && this.#cpsLength === scan.length) {
        grams.collectPoints(this.#cps, this.#cpsLength, scan);
        if (this.#gramsTrial > 0 && --this.#gramsTrial === 0) this.#endGramsTrial();
      } else globs.automaton.collect(scan);
    }
    if (this.#usePrefix) {
      const pieces = this.#prefixPieces;
      if (pieces !== null && this.#cpsLength === scan.length) {
        if (this.#required !== null && this.#queryBits[2] === 0) {
          querySetOf(this.#cps, this.#cpsLength, this.#queryBits);
        }
        this.#collectPieces(pieces, this.#cps, this.#cpsLength);
      } else globs.prefixTrie.collectPrefix(scan, false);
    }
    const dot = this.#dotSuffix;
    if (dot !== null) {
      this.#dotFrom = scan.count;
      scan.count = dot.collectFolded(
        scan.bytes,
        scan.length,
        scan.out,
        scan.count,
        this.#dotOffsets,
      );
      this.#dotTo = scan.count;
    } else if (this.#useSuffix) globs.suffixTrie.collectSuffix(scan, false);
    return scan.count;
  }

  /**
   * {@linkcode StringMatcher.matchAll} for a query given as UTF-8 bytes, `bytes[start..end)`
   * (case-folded here as the build did; a byte that is not valid UTF-8 reads as U+FFFD).
   * Allocates nothing in steady state.
   *
   * @param bytes The text holding the query.
   * @param start First byte of the query.
   * @param end One past its last byte.
   * @param out The holder to fill (its previous content is replaced).
   * @returns The number of matches.
   */
  matchAllSpan(bytes: Uint8Array, start: number, end: number, out: StringMatches): number {
    out.count = 0;
    const len = this.#loadSpan(bytes, start, end);
    const lit = this.#literal;
    if (lit !== null) {
      const e = lit.findBytes(this.#bytes, len);
      if (e >= 0) out.push(MATCH_LITERAL, e, lit.dataOffset(e));
    }
    const globs = this.#globs;
    if (globs === null || globs.count === 0) return out.count;
    const n = this.#spanCandidates();
    const first = out.count;
    const cand = this.#scan.out;
    const programs = globs.programs;
    const implied = this.#implied, required = this.#required;
    const cps = this.#cps, cl = this.#cpsLength;
    const dotFrom = this.#dotFrom, dotTo = this.#dotTo, dotOffsets = this.#dotOffsets;
    for (let k = 0; k < n; k++) {
      const id = cand[k];
      if (k >= dotFrom && k < dotTo) {
        out.push(MATCH_GLOB, id, dotOffsets[k]);
        continue;
      }
      if (implied[id] !== 1) {
        if (required !== null && !this.#checked(k) && !this.#mayMatch(required, id, cl)) continue;
        if (!runGlob(programs, globs.programStart(id), cps, cl)) continue;
      }
      out.push(MATCH_GLOB, id, globs.dataOffset(id));
    }
    const always = globs.always;
    for (let k = 0; k < always.length; k++) {
      const id = always[k];
      if (required !== null && !this.#mayMatch(required, id, cl)) continue;
      if (runGlob(programs, globs.programStart(id), cps, cl)) {
        out.push(MATCH_GLOB, id, globs.dataOffset(id));
      }
    }
    if (out.count - first < 2) return out.count;
    const ent = out.entries, off = out.offsets;
    for (let i = first + 1; i < out.count; i++) {
      const e = ent[i], o = off[i];
      let j = i - 1;
      while (j >= first && ent[j] > e) {
        ent[j + 1] = ent[j];
        off[j + 1] = off[j];
        j--;
      }
      ent[j + 1] = e;
      off[j + 1] = o;
    }
    return out.count;
  }

  /**
   * {@linkcode StringMatcher.matchFirst} for a query given as UTF-8 bytes, `bytes[start..end)`
   * (see {@linkcode StringMatcher.matchAllSpan}). Sets {@linkcode StringMatcher.lastKind} and
   * {@linkcode StringMatcher.lastEntry}. Allocates nothing in steady state.
   *
   * @param bytes The text holding the query.
   * @param start First byte of the query.
   * @param end One past its last byte.
   * @returns The data offset of the best match, or -1.
   */
  matchFirstSpan(bytes: Uint8Array, start: number, end: number): number {
    const len = this.#loadSpan(bytes, start, end);
    const lit = this.#literal;
    if (lit !== null) {
      const e = lit.findBytes(this.#bytes, len);
      if (e >= 0) {
        this.lastKind = MATCH_LITERAL;
        this.lastEntry = e;
        return lit.dataOffset(e);
      }
    }
    this.lastKind = -1;
    this.lastEntry = -1;
    const globs = this.#globs;
    if (globs === null || globs.count === 0) return -1;
    const n = this.#spanCandidates();
    let best = globs.count;
    const cand = this.#scan.out;
    const programs = globs.programs;
    const implied = this.#implied;
    const cps = this.#cps, cl = this.#cpsLength;
    for (let k = 0; k < n; k++) {
      const id = cand[k];
      if (id >= best) continue;
      if (implied[id] === 1 || runGlob(programs, globs.programStart(id), cps, cl)) best = id;
    }
    const always = globs.always;
    for (let k = 0; k < always.length; k++) {
      const id = always[k];
      if (id >= best) continue;
      if (runGlob(programs, globs.programStart(id), cps, cl)) best = id;
    }
    if (best === globs.count) return -1;
    this.lastKind = MATCH_GLOB;
    this.lastEntry = best;
    return globs.dataOffset(best);
  }

  /**
   * {@linkcode StringMatcher.matchLiteral} for a query given as UTF-8 bytes,
   * `bytes[start..end)` (see {@linkcode StringMatcher.matchAllSpan}).
   *
   * @param bytes The text holding the query.
   * @param start First byte of the query.
   * @param end One past its last byte.
   * @returns The literal's data offset, or -1.
   */
  matchLiteralSpan(bytes: Uint8Array, start: number, end: number): number {
    const lit = this.#literal;
    if (lit === null) return -1;
    let e = lit.findAsciiSpan(bytes, start, end);
    if (e === -2) e = lit.findBytes(this.#bytes, this.#loadSpan(bytes, start, end));
    if (e >= 0) this.lastEntry = e;
    return lit.dataOffset(e);
  }

  /**
   * Finds the best match only: the literal if there is one, else the most specific glob.
   * Sets {@linkcode StringMatcher.lastKind} and {@linkcode StringMatcher.lastEntry}.
   * Allocates nothing in steady state.
   *
   * @param query The string.
   * @returns The data offset of the best match, or -1.
   */
  matchFirst(query: string): number {
    const lit = this.#literal;
    if (lit !== null) {
      const e = lit.find(query);
      if (e >= 0) {
        this.lastKind = MATCH_LITERAL;
        this.lastEntry = e;
        return lit.dataOffset(e);
      }
    }
    this.lastKind = -1;
    this.lastEntry = -1;
    const globs = this.#globs;
    if (globs === null || globs.count === 0) return -1;
    const n = this.#candidates(query);
    let best = globs.count;
    const cand = this.#scan.out;
    const programs = globs.programs;
    const implied = this.#implied;
    for (let k = 0; k < n; k++) {
      const id = cand[k];
      if (id >= best) continue;
      if (implied[id] === 1 || this.#run(programs, globs.programStart(id), query)) best = id;
    }
    const always = globs.always;
    for (let k = 0; k < always.length; k++) {
      const id = always[k];
      if (id >= best) continue;
      if (this.#run(programs, globs.programStart(id), query)) best = id;
    }
    if (best === globs.count) return -1;
    this.lastKind = MATCH_GLOB;
    this.lastEntry = best;
    return globs.dataOffset(best);
  }

  /**
   * Looks up a literal only.
   *
   * @param query The string.
   * @returns The literal's data offset, or -1.
   */
  matchLiteral(query: string): number {
    const lit = this.#literal;
    if (lit === null) return -1;
    return lit.dataOffset(lit.find(query));
  }

  /**
   * The text of a matched entry: the literal (case-folded in case-insensitive mode) or the
   * glob as written. Allocates the string.
   *
   * @param kind {@linkcode MATCH_LITERAL} or {@linkcode MATCH_GLOB}.
   * @param entry The entry number.
   * @returns The text.
   */
  text(kind: number, entry: number): string {
    if (kind === MATCH_LITERAL && this.#literal !== null) return this.#literal.text(entry);
    if (kind === MATCH_GLOB && this.#globs !== null) return this.#globs.text(entry);
    throw new RangeError(`No ${kind === MATCH_LITERAL ? "literal" : "glob"} entry ${entry}`);
  }

  /**
   * The specificity score of a glob (see `CompiledGlob.specificity`).
   *
   * @param entry The pattern number.
   * @returns The score.
   */
  specificity(entry: number): number {
    return this.#globs?.specificity(entry) ?? 0;
  }

  /** The glob index, when the file has one (for inspection and validation). */
  get globIndex(): GlobIndex | null {
    return this.#globs;
  }

  /** The literal table, when the file has one (for inspection and validation). */
  get literalTable(): LiteralTable | null {
    return this.#literal;
  }
}

// The suffix trie's patterns as a DotSuffixTable when every one is `*.lit` (its program is its
// literal: `implied`), else null.
function dotSuffixTable(
  globs: GlobIndex,
  where: Uint8Array,
  implied: Uint8Array,
  fold: boolean,
): DotSuffixTable | null {
  const programs = globs.programs;
  let n = 0;
  for (let id = 0; id < where.length; id++) {
    if (where[id] !== 2) continue;
    if (implied[id] !== 1) return null;
    n++;
  }
  const keys = new Uint32Array(n), at = new Int32Array(n), length = new Int32Array(n);
  const offsets = new Int32Array(n);
  for (let id = 0, i = 0; id < where.length; id++) {
    if (where[id] !== 2) continue;
    const start = globs.programStart(id);
    keys[i] = id;
    offsets[i] = globs.dataOffset(id);
    at[i] = start + FIRST_OP;
    length[i++] = programs[start + PROGRAM_HEADER_WORDS + SEGMENT_OPS];
  }
  const pieces = { keys, offsets, points: programs, at, length };
  return DotSuffixTable.fits(pieces) ? new DotSuffixTable(pieces, fold) : null;
}

// Each pattern's literal characters' bits (see GOLDEN); 0 for the patterns whose index hit is
// their match.
function requiredBits(globs: GlobIndex, implied: Uint8Array): Int32Array {
  const programs = globs.programs;
  const bits = new Int32Array(2 * globs.count);
  let w = 0;
  const add = (from: number, to: number): void => {
    for (let k = from; k < to; k++) {
      const b = Math.imul(programs[k], GOLDEN) >>> 26;
      bits[w + (b >>> 5)] |= 1 << (b & 31);
    }
  };
  for (let id = 0; id < globs.count; id++) {
    if (implied[id] === 1) continue;
    w = 2 * id;
    forEachLiteralRun(programs, globs.programStart(id), add);
  }
  return bits;
}
