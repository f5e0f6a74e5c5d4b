/**
 * The infix automaton's patterns answered by long windows instead of the automaton's walk, for
 * large sets where the fixed 4-character windows of ./_infix_grams.ts are met too often (the
 * matcher builds this table when their trial sent too many windows to the exact table). Each
 * pattern whose indexed piece is ASCII is represented by one window of one ASCII literal run
 * of its program — of the runs long enough, the window queries are estimated to hold least
 * often, from the patterns' own text with digits counted by their shape, and windows other
 * patterns chose preferred (the pattern cannot match a query that lacks any of its runs; its
 * indexed piece is one of them).
 *
 * The windows are q characters long, q the longest length up to 8 that at least 99% of the
 * patterns have a literal run of; the few others use windows of the longest length all of them
 * have (two lengths at most to hash per position; complex globs, 100,000 patterns: 5 and 4
 * characters, 2.6 windows per query reach the exact table instead of 7.1 with 4). At each
 * position the query's last 8 characters are kept packed 7 bits each in two integers; each
 * length's window is hashed from them into a bit set of 2 bits per window (within one 32-bit
 * word; 32 bits per window, up to 512 KiB; the shorter windows have a small set of their own,
 * which stays in the fastest cache). A hit sends the window to the exact table: one 8-word
 * record per pattern (its window's hash, the pattern, where the window lies in the run, the
 * run's length, the pattern's character set and the run's first 8 characters), open-addressed
 * by the window's hash, so a probe reads one cache line; in a large table the slots of a
 * query's windows are read once before any probe, so their cache misses overlap. The run is
 * compared with the query where it would lie, and the patterns whose run is there are
 * candidates, as the automaton's are (a pattern whose program is its indexed piece between two
 * stars has that piece as its only run, so an index hit is still its match). With the
 * patterns' character sets (see ./string_match.ts), a pattern with a literal character the
 * query lacks is passed over before its run is compared (the query's set is computed at its
 * first probe, or taken from `scan.set`).
 *
 * Built from the glob section (nothing is stored in the file); used for ASCII queries only (a
 * piece with a non-ASCII character cannot occur in one). Not built when such a piece is
 * shorter than 2 characters.
 *
 * @module
 */
import { forEachLiteralRun } from "../pattern/mod.ts";
import { FormatError } from "../format/format_error.ts";
import type { GlobIndex } from "../format/glob_index.ts";
import type { AhoCorasickScan } from "../pattern/mod.ts";
import { asciiLower } from "../core/ascii.ts";
import { sharedCopy } from "../core/shared_copy.ts";
import { asciiPieces } from "./_infix_grams.ts";

// Windows of up to MAX_Q characters, at least MIN_Q.
const MAX_Q = 8;
const MIN_Q = 2;
// A window's last 4 characters are packed 7 bits each into one integer, the 4 before into
// another.
const PACK = 7;
const PACK_MASK = (1 << (4 * PACK)) - 1;
// The bit set: LONG_BITS_PER_WINDOW bits per window, between 2^LONG_MIN_BITS and
// 2^LONG_MAX_BITS bits (4 KiB to 512 KiB); the shorter windows' own from 2^SMALL_MIN_BITS.
const LONG_BITS_PER_WINDOW = 32;
const LONG_MIN_BITS = 15;
const LONG_MAX_BITS = 22;
const SMALL_MIN_BITS = 10;
// The slots of a query's windows are read before the probes when the table is larger than this
// (words: 1 MiB); a smaller one stays in cache.
const TOUCH_FROM = 1 << 18;
// The share of the patterns that must have a run as long as the table's (longer) windows.
const LONG_COVER = 0.99;
const GOLDEN = 0x9e3779b1 | 0;
const MIX = 0x85ebca6b | 0;
// Each pattern's literal characters as a 64-bit set: the character's bit is the top 6 bits of
// its code point times this (./string_match.ts uses the same).
const SET_GOLDEN = 0x9e3779b1 | 0;
// A window some pattern already stands for costs this share of its estimate (a query that
// holds it probes the exact table anyway; only the run compare is added): complex globs,
// 100,000 patterns: 2.34 -> 1.86 windows per query sent to the exact table.
const SHARED_COST = 0.2;
// The windows chosen while building: pattern, where its run's characters start in `chars`,
// the run's length, where the window lies in the run, the window's length, the pattern's
// character set (2 words).
const ENTRY_WORDS = 8;
const ENTRY_KEY = 0;
const ENTRY_AT = 1;
const ENTRY_LENGTH = 2;
const ENTRY_OFFSET = 3;
const ENTRY_Q = 4;
const ENTRY_SET_LO = 5;
const ENTRY_SET_HI = 6;
// A long-window table's records: the window's key, the pattern, where the window lies in the
// run, the run's length (low 16 bits) and the window's (high), the pattern's character set (2
// words), the run's first 4 characters packed 7 bits each, and its next 4 (a run of up to 8)
// or where its characters from the fifth on start in `chars` minus 4 (a longer run). An empty
// slot's pattern is -1.
const REC_WORDS = 8;
const REC_HASH = 0;
const REC_KEY = 1;
const REC_OFFSET = 2;
const REC_LENGTH = 3;
const REC_SET_LO = 4;
const REC_SET_HI = 5;
const REC_HEAD = 6;
const REC_TAIL = 7;

/** An {@linkcode InfixWindows}' arrays in shared memory, for another thread to view. */
export interface InfixWindowsShare {
  /** The (longest) window length. */
  q: number;
  /** Bit L set when some window is L characters long (one or two lengths). */
  lengths: number;
  /** The bit set of the windows' hashes. */
  filter: Int32Array;
  /** A long-window table's bit set of its shorter windows' hashes (empty when it has none). */
  small: Int32Array;
  /** The records (see REC_WORDS in the module), open-addressed by the window's hash. */
  slots: Int32Array;
  /** The runs' characters. */
  chars: Uint8Array;
  /** Whether queries are folded. */
  fold: boolean;
  /** Whether the entries hold their patterns' character sets (checked against the query's). */
  sets: boolean;
}

/** Options for {@linkcode InfixWindows.of}. */
export interface InfixWindowsOptions {
  /** The longest window, 2 to 8. Default 8. */
  maxQ?: number;
  /**
   * Each pattern's literal characters as a 64-bit set (2 words per pattern, as
   * ./string_match.ts computes them), or null: with them, a probe passes over a pattern whose
   * set holds a character the query lacks (0 words: every query passes).
   */
  sets?: Int32Array | null;
}

/** The q-gram table of the infix pieces (see the module). */
export class InfixWindows {
  /** The (longest) window length. */
  readonly q: number;
  /** Bit L set when some window is L characters long (one or two lengths). */
  readonly lengths: number;
  readonly #filter: Int32Array;
  // the bit set of the shorter windows of a long-window table: few patterns use them, so it is
  // small and stays in the fastest cache
  readonly #small: Int32Array;
  readonly #smallShift: number;
  readonly #filterShift: number;
  readonly #slots: Int32Array;
  readonly #slotShift: number;
  readonly #slotMask: number;
  readonly #chars: Uint8Array;
  readonly #fold: boolean;
  readonly #sets: boolean;
  // the shorter window length of a long-window table (0: one length)
  readonly #fallback: number;
  // windows whose bits are set, found during the pass: (position of the window's last
  // character, key, length) triples
  #pending = new Int32Array(96);
  // what #touch read (kept so that the reads are not left out)
  #sink = 0;
  // the query's character set: words 0 and 1, word 2 = 1 once computed for the current query
  readonly #querySet = new Int32Array(3);
  /** How many windows {@linkcode InfixWindows.collectOf} sent to the exact table (a statistic). */
  probes = 0;
  /** How many characters it read (a statistic). */
  chars = 0;

  private constructor(s: InfixWindowsShare) {
    this.q = s.q;
    this.lengths = s.lengths;
    this.#filter = s.filter;
    this.#small = s.small;
    this.#smallShift = 32 - Math.log2(Math.max(1, s.small.length));
    this.#filterShift = 32 - Math.log2(s.filter.length);
    this.#slots = s.slots;
    const slotCount = s.slots.length / REC_WORDS;
    this.#slotMask = slotCount - 1;
    this.#slotShift = 32 - Math.log2(slotCount);
    this.#chars = s.chars;
    this.#fold = s.fold;
    this.#sets = s.sets;
    let fallback = 0;
    for (let L = s.q - 1; L >= MIN_Q; L--) if ((s.lengths & (1 << L)) !== 0) fallback = L;
    this.#fallback = fallback;
  }

  /**
   * The table over arrays another thread built ({@linkcode InfixWindows.share}).
   *
   * @param s The shared arrays.
   * @returns The table.
   */
  static fromShare(s: InfixWindowsShare): InfixWindows {
    return new InfixWindows(s);
  }

  /** Whether the table checks its candidates against the patterns' character sets. */
  get sets(): boolean {
    return this.#sets;
  }

  /**
   * This table's arrays, copied into shared memory.
   *
   * @returns The arrays.
   */
  share(): InfixWindowsShare {
    return {
      q: this.q,
      lengths: this.lengths,
      filter: sharedCopy(this.#filter),
      small: sharedCopy(this.#small),
      slots: sharedCopy(this.#slots),
      chars: sharedCopy(this.#chars),
      fold: this.#fold,
      sets: this.#sets,
    };
  }

  /**
   * The table of a glob section's infix pieces, or null when the automaton is empty or a piece
   * is shorter than 2 bytes.
   *
   * @param globs The checked glob section.
   * @param fold Whether queries are folded to lower case (the pieces already are).
   * @param options The longest window and the patterns' character sets.
   * @returns The table, or null.
   */
  static of(
    globs: GlobIndex,
    fold: boolean,
    options: InfixWindowsOptions = {},
  ): InfixWindows | null {
    const maxQ = options.maxQ ?? MAX_Q;
    const sets = options.sets ?? null;
    const most = Math.min(maxQ, MAX_Q);
    if (globs.automaton.isEmpty) return null;
    const a = asciiPieces(globs, most);
    if (a === null) return null;
    const { pieces, ascii, count, total, shortest } = a;
    const n = pieces.keys.length;
    const programs = globs.programs;
    // each such pattern's longest ASCII run (its indexed piece is one, so at least the
    // shortest piece), and the longest of them
    let longest = 0;
    const measureRun = (from: number, to: number): void => {
      for (let k = from; k < to; k++) if (programs[k] >= 0x80) return;
      if (to - from > longest) longest = to - from;
    };
    let anyLonger = shortest;
    const longestOf = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (ascii[i] === 0) continue;
      longest = 0;
      forEachLiteralRun(programs, globs.programStart(pieces.keys[i]), measureRun);
      longestOf[i] = longest;
      if (longest > anyLonger) anyLonger = longest;
    }
    // q is the longest length (up to `most`) that at least LONG_COVER of the patterns have a
    // run of, and the others use windows of `fallback` characters (the longest all of them
    // have): two lengths at most to hash per position.
    const atLeast = new Int32Array(MAX_Q + 2);
    for (let i = 0; i < n; i++) if (ascii[i] === 1) atLeast[Math.min(longestOf[i], MAX_Q)]++;
    for (let L = MAX_Q - 1; L >= 0; L--) atLeast[L] += atLeast[L + 1];
    let q = Math.min(most, anyLonger);
    while (q > shortest && atLeast[q] < LONG_COVER * count) q--;
    let fallback = q;
    for (let i = 0; i < n; i++) {
      if (ascii[i] === 1 && longestOf[i] < fallback) fallback = longestOf[i];
    }
    if (fallback === q) fallback = 0;
    // The window length of the pattern being looked at.
    let windowQ = q;
    // Each pattern is represented by a window of an ASCII literal run of its program (its
    // indexed piece is one: the pattern cannot match a query that lacks the run): the window
    // the queries are estimated to hold least often. Patterns are written to match the queries
    // they meet: their text is the best sample of the queries the table has, but not of its
    // digits: a number a pattern holds once is as likely in a query as any other number of as
    // many digits, so a window with d digits also counts the windows of its shape (digits read
    // as "0") divided by 10^d (complex globs, 100,000 patterns, where the 5-digit windows of
    // the patterns' numbers cover most of the 10^5: 2.58 -> 2.34 windows per query sent to the
    // exact table). A window another pattern already chose costs SHARED_COST of its estimate.
    const seen = new GramCounts(4 * count);
    const shapes = new GramCounts(count);
    const countRun = (from: number, to: number): void => {
      if (to - from < windowQ) return;
      for (let k = from; k < to; k++) if (programs[k] >= 0x80) return;
      for (let k = from + windowQ - 1; k < to; k++) {
        seen.add(windowKey(programs, k, windowQ));
        if (digitsIn(programs, k, windowQ) !== 0) shapes.add(shapeKey(programs, k, windowQ));
      }
    };
    for (let id = 0; id < globs.count; id++) {
      windowQ = q;
      forEachLiteralRun(programs, globs.programStart(id), countRun);
      if (fallback === 0) continue;
      windowQ = fallback;
      forEachLiteralRun(programs, globs.programStart(id), countRun);
    }
    const chosen = new GramCounts(count);
    let distinct = 0, lengths = 0;
    const entryGram = new Int32Array(count);
    const entries = new Int32Array(count * ENTRY_WORDS);
    let chars = new Uint8Array(total);
    let e = 0, c = 0;
    let bestFrom = 0, bestTo = 0, best = 0, bestScore = Infinity, bestGram = 0, bestQ = 0;
    const consider = (from: number, to: number): void => {
      const L = windowQ;
      if (to - from < L) return;
      for (let k = from; k < to; k++) if (programs[k] >= 0x80) return;
      for (let k = from + L - 1; k < to; k++) {
        const g = windowKey(programs, k, L);
        const d = digitsIn(programs, k, L);
        let score = d === 0
          ? seen.get(g)
          : seen.get(g) + shapes.get(shapeKey(programs, k, L)) / DIGIT_SPACE[d];
        if (chosen.get(g) > 0) score *= SHARED_COST;
        if (score < bestScore) {
          bestScore = score;
          bestFrom = from;
          bestTo = to;
          best = k - L + 1 - from;
          bestGram = g;
          bestQ = L;
        }
      }
    };
    for (let i = 0; i < n; i++) {
      if (ascii[i] === 0) continue;
      bestScore = Infinity;
      bestQ = 0;
      windowQ = longestOf[i] < q ? fallback : q;
      const key = pieces.keys[i];
      forEachLiteralRun(programs, globs.programStart(key), consider);
      if (bestScore === Infinity) {
        throw new FormatError(
          "bad-section",
          "Glob section: an indexed piece is not in its program",
        );
      }
      if (chosen.add(bestGram) === 1) distinct++;
      lengths |= 1 << bestQ;
      const len = bestTo - bestFrom;
      entryGram[e] = bestGram;
      const r = e * ENTRY_WORDS;
      entries[r + ENTRY_KEY] = key;
      entries[r + ENTRY_AT] = c;
      entries[r + ENTRY_LENGTH] = len;
      entries[r + ENTRY_OFFSET] = best;
      entries[r + ENTRY_Q] = bestQ;
      if (sets !== null) {
        entries[r + ENTRY_SET_LO] = sets[2 * key];
        entries[r + ENTRY_SET_HI] = sets[2 * key + 1];
      }
      if (c + len > chars.length) {
        const more = new Uint8Array(2 * chars.length + len);
        more.set(chars);
        chars = more;
      }
      for (let k = 0; k < len; k++) chars[c + k] = programs[bestFrom + k];
      c += len;
      e++;
    }
    return longTable(entries, entryGram, chars, count, distinct, q, lengths, fold, sets);
  }

  /**
   * Appends to `scan.out` (once per stamp) the key of every piece that occurs in the query,
   * reading the string itself and storing its (folded) character codes in `points` (which must
   * hold the query). Returns -1 when the query has a non-ASCII character (`scan.count` left as
   * it was; walk the automaton over the encoded bytes instead).
   *
   * @param query The query.
   * @param points Receives the character codes.
   * @param scan The output buffer and de-duplication marks.
   * @returns The new number of keys in `scan.out` (also stored in `scan.count`), or -1.
   */
  collectOf(query: string, points: Int32Array, scan: AhoCorasickScan): number {
    const n = query.length;
    if (this.#pending.length < 3 * n * 2) this.#pending = new Int32Array(n * 12);
    this.#querySet[2] = 0;
    if (scan.set !== undefined) scan.set[2] = 0;
    const hits = this.#fold
      ? this.#passLongFolded(query, points, n)
      : this.#passLong(query, points, n);
    if (hits < 0) return -1;
    this.probes += (hits / 3) | 0;
    this.chars += n;
    const pending = this.#pending;
    if (hits > 3 && this.#slots.length > TOUCH_FROM) this.#touch(pending, hits);
    for (let k = 0; k < hits; k += 3) {
      this.#probeLong(pending[k], pending[k + 1], pending[k + 2], points, n, scan);
    }
    return scan.count;
  }

  // The pass of a long-window table: reads (and folds) the query into `points` and hashes the
  // windows of each length in use at each position (one copy per case mode, as above).
  #passLong(query: string, points: Int32Array, n: number): number {
    const filter = this.#filter, shift = this.#filterShift, q = this.q, f = this.#fallback;
    const small = this.#small, smallShift = this.#smallShift;
    const qa = headMask(q), qb = tailMask(q), fa = headMask(f), fb = tailMask(f);
    const pending = this.#pending;
    let a = 0, b = 0, hits = 0;
    for (let i = 0; i < n; i++) {
      const c = query.charCodeAt(i);
      if (c >= 0x80) return -1;
      points[i] = c;
      b = ((b << PACK) | (a >>> (3 * PACK))) & PACK_MASK;
      a = ((a << PACK) | c) & PACK_MASK;
      const h = Math.imul((a & qa) ^ Math.imul(b & qb, MIX), GOLDEN);
      const k = h ^ (h >>> 13);
      const m = (1 << (k & 31)) | (1 << ((k >>> 5) & 31));
      if ((filter[h >>> shift] & m) === m && i + 1 >= q) {
        pending[hits++] = i;
        pending[hits++] = h;
        pending[hits++] = q;
      }
      if (f === 0) continue;
      const g = Math.imul((a & fa) ^ Math.imul(b & fb, MIX), GOLDEN);
      const l = g ^ (g >>> 13);
      const w = (1 << (l & 31)) | (1 << ((l >>> 5) & 31));
      if ((small[g >>> smallShift] & w) === w && i + 1 >= f) {
        pending[hits++] = i;
        pending[hits++] = g;
        pending[hits++] = f;
      }
    }
    return hits;
  }

  #passLongFolded(query: string, points: Int32Array, n: number): number {
    const filter = this.#filter, shift = this.#filterShift, q = this.q, f = this.#fallback;
    const small = this.#small, smallShift = this.#smallShift;
    const qa = headMask(q), qb = tailMask(q), fa = headMask(f), fb = tailMask(f);
    const pending = this.#pending;
    let a = 0, b = 0, hits = 0;
    for (let i = 0; i < n; i++) {
      let c = query.charCodeAt(i);
      if (c >= 0x80) return -1;
      c = asciiLower(c);
      points[i] = c;
      b = ((b << PACK) | (a >>> (3 * PACK))) & PACK_MASK;
      a = ((a << PACK) | c) & PACK_MASK;
      const h = Math.imul((a & qa) ^ Math.imul(b & qb, MIX), GOLDEN);
      const k = h ^ (h >>> 13);
      const m = (1 << (k & 31)) | (1 << ((k >>> 5) & 31));
      if ((filter[h >>> shift] & m) === m && i + 1 >= q) {
        pending[hits++] = i;
        pending[hits++] = h;
        pending[hits++] = q;
      }
      if (f === 0) continue;
      const g = Math.imul((a & fa) ^ Math.imul(b & fb, MIX), GOLDEN);
      const l = g ^ (g >>> 13);
      const w = (1 << (l & 31)) | (1 << ((l >>> 5) & 31));
      if ((small[g >>> smallShift] & w) === w && i + 1 >= f) {
        pending[hits++] = i;
        pending[hits++] = g;
        pending[hits++] = f;
      }
    }
    return hits;
  }

  // The long windows of points[0..n) whose bits are set: pending triples; their word count.
  #windows(points: Int32Array, n: number): number {
    const filter = this.#filter, shift = this.#filterShift, q = this.q, f = this.#fallback;
    const small = this.#small, smallShift = this.#smallShift;
    const qa = headMask(q), qb = tailMask(q), fa = headMask(f), fb = tailMask(f);
    const pending = this.#pending;
    let a = 0, b = 0, hits = 0;
    for (let i = 0; i < n; i++) {
      b = ((b << PACK) | (a >>> (3 * PACK))) & PACK_MASK;
      a = ((a << PACK) | points[i]) & PACK_MASK;
      const h = Math.imul((a & qa) ^ Math.imul(b & qb, MIX), GOLDEN);
      const k = h ^ (h >>> 13);
      const m = (1 << (k & 31)) | (1 << ((k >>> 5) & 31));
      if ((filter[h >>> shift] & m) === m && i + 1 >= q) {
        pending[hits++] = i;
        pending[hits++] = h;
        pending[hits++] = q;
      }
      if (f === 0) continue;
      const g = Math.imul((a & fa) ^ Math.imul(b & fb, MIX), GOLDEN);
      const l = g ^ (g >>> 13);
      const w = (1 << (l & 31)) | (1 << ((l >>> 5) & 31));
      if ((small[g >>> smallShift] & w) === w && i + 1 >= f) {
        pending[hits++] = i;
        pending[hits++] = g;
        pending[hits++] = f;
      }
    }
    return hits;
  }

  /**
   * {@linkcode InfixWindows.collectOf} over character codes already read and folded (all below
   * 0x80).
   *
   * @param points The character codes.
   * @param n How many.
   * @param scan The output buffer and de-duplication marks.
   * @returns The new number of keys in `scan.out` (also stored in `scan.count`).
   */
  collectPoints(points: Int32Array, n: number, scan: AhoCorasickScan): number {
    this.#querySet[2] = 0;
    if (scan.set !== undefined) scan.set[2] = 0;
    if (this.#pending.length < 3 * n * 2) this.#pending = new Int32Array(n * 12);
    const hits = this.#windows(points, n);
    const pending = this.#pending;
    this.probes += (hits / 3) | 0;
    for (let k = 0; k < hits; k += 3) {
      this.#probeLong(pending[k], pending[k + 1], pending[k + 2], points, n, scan);
    }
    this.chars += n;
    return scan.count;
  }

  // Reads the first slot of each pending window, all before any probe: the reads do not wait
  // for one another, so their cache misses overlap; the probes then find the slots in cache.
  #touch(pending: Int32Array, hits: number): void {
    const t = this.#slots, shift = this.#slotShift;
    let sink = 0;
    for (let k = 0; k < hits; k += 3) {
      sink ^= t[(Math.imul(pending[k + 1], MIX) >>> shift) * REC_WORDS + REC_KEY];
    }
    this.#sink = sink;
  }

  // The long window of `q` characters ending at character i, with key h: each run it stands
  // for, compared where it would lie.
  #probeLong(
    i: number,
    h: number,
    q: number,
    points: Int32Array,
    n: number,
    scan: AhoCorasickScan,
  ): void {
    const t = this.#slots, mask = this.#slotMask, shift = this.#slotShift;
    const sets = this.#sets, qs = scan.set ?? this.#querySet;
    const home = Math.imul(h, MIX) >>> shift;
    for (let slot = home;; slot = (slot + 1) & mask) {
      const r = slot * REC_WORDS;
      const key = t[r + REC_KEY];
      if (key < 0) return;
      const other = t[r + REC_HASH];
      if (other !== h) {
        // a record placed after every record whose first slot is this window's (complex globs,
        // 100,000 patterns: 11.3 -> 6.6 records read per query at 50% hits)
        if (Math.imul(other, MIX) >>> shift > home) return;
        continue;
      }
      const lq = t[r + REC_LENGTH];
      if (lq >>> 16 !== q) continue;
      const len = lq & 0xffff;
      const start = i - q + 1 - t[r + REC_OFFSET];
      if (start < 0 || start + len > n) continue;
      if (sets) {
        if (qs[2] === 0) querySetOf(points, n, qs);
        if (((t[r + REC_SET_LO] & ~qs[0]) | (t[r + REC_SET_HI] & ~qs[1])) !== 0) continue;
      }
      if (!runAt(t, r, this.#chars, points, start, len)) continue;
      if (scan.seen[key] === scan.stamp) continue;
      scan.seen[key] = scan.stamp;
      scan.out[scan.count++] = key;
    }
  }
}

// A long-window table: one record per pattern (see REC_WORDS) in an open-addressing table keyed
// by the window's key, with the run's first 8 characters in the record itself.
function longTable(
  entries: Int32Array,
  entryGram: Int32Array,
  chars: Uint8Array,
  count: number,
  distinct: number,
  q: number,
  lengths: number,
  fold: boolean,
  sets: Int32Array | null,
): InfixWindows {
  let bits = 4;
  while (1 << bits < count + (count >>> 1)) bits++;
  const slotCount = 1 << bits, slotMask = slotCount - 1, slotShift = 32 - bits;
  const table = new Int32Array(slotCount * REC_WORDS);
  for (let s = 0; s < slotCount; s++) table[s * REC_WORDS + REC_KEY] = -1;
  let filterBits = LONG_MIN_BITS;
  while (filterBits < LONG_MAX_BITS && 1 << filterBits < distinct * LONG_BITS_PER_WINDOW) {
    filterBits++;
  }
  const filter = new Int32Array(1 << (filterBits - 5));
  const wordShift = 32 - (filterBits - 5);
  let shorter = 0;
  for (let x = 0; x < count; x++) if (entries[x * ENTRY_WORDS + ENTRY_Q] !== q) shorter++;
  let smallBits = SMALL_MIN_BITS;
  while (smallBits < LONG_MAX_BITS && 1 << smallBits < shorter * LONG_BITS_PER_WINDOW) smallBits++;
  const small = new Int32Array(shorter === 0 ? 0 : 1 << (smallBits - 5));
  const smallShift = 32 - (smallBits - 5);
  // the characters of runs longer than 8 from their fifth on
  let rest = new Uint8Array(64);
  let used = 0;
  // inserted in the order of their first slot: along a run of filled slots the records' first
  // slots then never decrease (but where the run wraps past the table's end), so a probe stops
  // at a record whose first slot lies after its own (see #probeLong)
  const order = Array.from({ length: count }, (_, x) => x);
  order.sort((x, y) =>
    (Math.imul(entryGram[x], MIX) >>> slotShift) - (Math.imul(entryGram[y], MIX) >>> slotShift) ||
    x - y
  );
  for (const x of order) {
    const g = entryGram[x];
    const k = g ^ (g >>> 13);
    const bits = (1 << (k & 31)) | (1 << ((k >>> 5) & 31));
    if (entries[x * ENTRY_WORDS + ENTRY_Q] === q) filter[g >>> wordShift] |= bits;
    else small[g >>> smallShift] |= bits;
    let slot = Math.imul(g, MIX) >>> slotShift;
    while (table[slot * REC_WORDS + REC_KEY] !== -1) slot = (slot + 1) & slotMask;
    const r = slot * REC_WORDS, e = x * ENTRY_WORDS;
    const at = entries[e + ENTRY_AT], len = entries[e + ENTRY_LENGTH];
    table[r + REC_HASH] = g;
    table[r + REC_KEY] = entries[e + ENTRY_KEY];
    table[r + REC_OFFSET] = entries[e + ENTRY_OFFSET];
    table[r + REC_LENGTH] = len | (entries[e + ENTRY_Q] << 16);
    table[r + REC_SET_LO] = entries[e + ENTRY_SET_LO];
    table[r + REC_SET_HI] = entries[e + ENTRY_SET_HI];
    let head = 0;
    for (let k = 0; k < 4 && k < len; k++) head |= chars[at + k] << (PACK * k);
    table[r + REC_HEAD] = head;
    if (len <= 8) {
      let tail = 0;
      for (let k = 4; k < len; k++) tail |= chars[at + k] << (PACK * (k - 4));
      table[r + REC_TAIL] = tail;
    } else {
      if (used + len > rest.length) {
        const more = new Uint8Array(2 * rest.length + len);
        more.set(rest);
        rest = more;
      }
      table[r + REC_TAIL] = used - 4;
      for (let k = 4; k < len; k++) rest[used++] = chars[at + k];
    }
  }
  return InfixWindows.fromShare({
    q,
    lengths,
    filter,
    small,
    slots: table,
    chars: rest.slice(0, used),
    fold,
    sets: sets !== null,
  });
}

// Whether the run of record r (in a long-window table) is points[start..start+len).
function runAt(
  t: Int32Array,
  r: number,
  chars: Uint8Array,
  points: Int32Array,
  start: number,
  len: number,
): boolean {
  const head = t[r + REC_HEAD];
  const m = len < 4 ? len : 4;
  for (let k = 0; k < m; k++) {
    if (((head >>> (PACK * k)) & 127) !== points[start + k]) return false;
  }
  if (len <= 4) return true;
  const tail = t[r + REC_TAIL];
  if (len <= 8) {
    for (let k = 4; k < len; k++) {
      if (((tail >>> (PACK * (k - 4))) & 127) !== points[start + k]) return false;
    }
    return true;
  }
  for (let k = 4; k < len; k++) if (chars[tail + k] !== points[start + k]) return false;
  return true;
}

/**
 * The 64-bit character set of code points `points[0..n)` into `set` (words 0 and 1; word 2
 * set to 1): a character's bit is the top 6 bits of its code point times the golden ratio.
 *
 * @param points The code points.
 * @param n How many.
 * @param set Receives the set.
 */
export function querySetOf(points: Int32Array, n: number, set: Int32Array): void {
  let lo = 0, hi = 0;
  for (let i = 0; i < n; i++) {
    const c = points[i];
    if (c < 0x80) {
      lo |= SET_LO[c];
      hi |= SET_HI[c];
      continue;
    }
    const b = Math.imul(c, SET_GOLDEN) >>> 26;
    const bit = 1 << (b & 31);
    if (b < 32) lo |= bit;
    else hi |= bit;
  }
  set[0] = lo;
  set[1] = hi;
  set[2] = 1;
}

// Each ASCII character's bit in the low and high word of a character set (one of the two 0).
const SET_LO = new Int32Array(0x80);
const SET_HI = new Int32Array(0x80);
for (let c = 0; c < 0x80; c++) {
  const b = Math.imul(c, SET_GOLDEN) >>> 26;
  if (b < 32) SET_LO[c] = 1 << b;
  else SET_HI[c] = 1 << (b & 31);
}

// The key of a long window of L characters whose last 4 are packed in `a` and the 4 before in
// `b` (7 bits each, the last character lowest): the filter's bits and the exact table's key.
function longKey(a: number, b: number, L: number): number {
  return Math.imul((a & headMask(L)) ^ Math.imul(b & tailMask(L), MIX), GOLDEN);
}

// The masks of a long window's last 4 (or fewer) characters and of the ones before them.
function headMask(L: number): number {
  return L >= 4 ? PACK_MASK : (1 << (PACK * L)) - 1;
}

function tailMask(L: number): number {
  return L <= 4 ? 0 : (1 << (PACK * (L - 4))) - 1;
}

// The key of the window of L characters ending at words[k] (ASCII code points): the packed
// characters, hashed as the query's pass hashes them.
function windowKey(words: Int32Array, k: number, L: number): number {
  let a = 0, b = 0;
  for (let j = k - L + 1; j <= k; j++) {
    b = ((b << PACK) | (a >>> (3 * PACK))) & PACK_MASK;
    a = ((a << PACK) | words[j]) & PACK_MASK;
  }
  return longKey(a, b, L);
}

// How many ways a window with d digits can be written with other digits (d = 0: the term is
// left out).
const DIGIT_SPACE = [Infinity, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];

// How many digits the window of L characters ending at words[k] holds.
function digitsIn(words: Int32Array, k: number, L: number): number {
  let d = 0;
  for (let j = k - L + 1; j <= k; j++) if (words[j] >= 0x30 && words[j] <= 0x39) d++;
  return d;
}

// The key of that window with each digit read as "0" (its shape).
function shapeKey(words: Int32Array, k: number, L: number): number {
  let a = 0, b = 0;
  for (let j = k - L + 1; j <= k; j++) {
    const c = words[j] >= 0x30 && words[j] <= 0x39 ? 0x30 : words[j];
    b = ((b << PACK) | (a >>> (3 * PACK))) & PACK_MASK;
    a = ((a << PACK) | c) & PACK_MASK;
  }
  return longKey(a, b, L);
}

// How many pieces chose each window: open addressing over the window keys (build time); grows.
class GramCounts {
  #keys: Int32Array;
  #used: Uint8Array;
  #counts: Int32Array;
  #shift: number;
  #mask: number;
  #size = 0;

  constructor(most: number) {
    let bits = 4;
    while (1 << bits < most * 2) bits++;
    this.#keys = new Int32Array(1 << bits);
    this.#used = new Uint8Array(1 << bits);
    this.#counts = new Int32Array(1 << bits);
    this.#shift = 32 - bits;
    this.#mask = (1 << bits) - 1;
  }

  #slot(g: number): number {
    let slot = Math.imul(g, MIX) >>> this.#shift;
    while (this.#used[slot] === 1 && this.#keys[slot] !== g) slot = (slot + 1) & this.#mask;
    return slot;
  }

  add(g: number): number {
    const slot = this.#slot(g);
    if (this.#used[slot] === 0) {
      this.#used[slot] = 1;
      this.#keys[slot] = g;
      if (++this.#size * 2 > this.#keys.length) {
        this.#grow();
        return ++this.#counts[this.#slot(g)];
      }
    }
    return ++this.#counts[slot];
  }

  #grow(): void {
    const keys = this.#keys, used = this.#used, counts = this.#counts;
    const bits = 33 - this.#shift;
    this.#keys = new Int32Array(1 << bits);
    this.#used = new Uint8Array(1 << bits);
    this.#counts = new Int32Array(1 << bits);
    this.#shift = 32 - bits;
    this.#mask = (1 << bits) - 1;
    for (let s = 0; s < keys.length; s++) {
      if (used[s] === 0) continue;
      const t = this.#slot(keys[s]);
      this.#used[t] = 1;
      this.#keys[t] = keys[s];
      this.#counts[t] = counts[s];
    }
  }

  get(g: number): number {
    return this.#counts[this.#slot(g)];
  }
}
