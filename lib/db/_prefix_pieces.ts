/**
 * The prefix trie's pieces as a hash table, for ASCII queries: instead of walking the trie one
 * dependent step per character (a cache miss at almost every step in a large trie), the query's
 * first L characters are hashed for each length L some piece has, as they are read; a bit set
 * of the pieces' hashes (2 bits per piece within one 32-bit word) answers most lengths, and a
 * set bit sends the prefix to an exact table whose one 8-word record per distinct piece holds
 * its hash, length and characters' place, and where its patterns' records (pattern and
 * character set, side by side) are. The prefixes' probes do not depend on one another, so
 * their cache misses overlap. A pattern whose character set holds a character the query lacks
 * is passed over (see ./string_match.ts), and, for case-sensitive queries, one whose program
 * cannot take the query's character after the piece (a set, `?`, or the end of a pattern
 * without stars; complex globs, 100,000 patterns, 50% hits: a third of the queries start with a
 * word ~13 patterns' pieces share, all followed by a set of letters the query's digit fails).
 * Otherwise the keys found are exactly those of the trie's anchored walk.
 *
 * Built from the trie when the matcher has answered a few thousand queries (nothing is stored
 * in the file); only when every piece is ASCII (a query with a non-ASCII character walks the
 * trie).
 *
 * @module
 */
import type { AhoCorasick, AhoCorasickScan } from "../pattern/mod.ts";
import {
  FIRST_OP,
  HAS_STAR,
  LEADING_STAR,
  OP_ANY,
  OP_SET,
  PROGRAM_FLAGS,
  PROGRAM_HEADER_WORDS,
  PROGRAM_SEGMENTS,
  SEGMENT_OPS,
  SET_HEADER_WORDS,
  SET_NEGATED,
  SET_RANGE_COUNT,
  TRAILING_STAR,
} from "../pattern/glob_program.ts";
import type { GlobIndex } from "../format/glob_index.ts";
import { sharedCopy } from "../core/shared_copy.ts";

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const GOLDEN = 0x9e3779b1 | 0;
const MIX = 0x85ebca6b | 0;
// The bit set: 32 bits per distinct piece, between 2^10 and 2^22 bits.
const BITS_PER_PIECE = 32;
const MIN_BITS = 10;
const MAX_BITS = 22;
// Longer pieces are not indexed here: the table is not built.
const MAX_LENGTH = 255;
/**
 * Words per piece record: hash, length, where its characters start, first key, end of keys, its
 * first 12 characters packed.
 */
export const PIECE_WORDS = 8;
const PIECE_HASH = 0;
const PIECE_LENGTH = 1;
const PIECE_AT = 2;
const PIECE_FROM = 3;
const PIECE_TO = 4;
// The piece's first HEAD_CHARS characters, 7 bits each, 4 to a word: compared without reading
// `chars` (another cache miss per probe in a large table).
const PIECE_HEAD = 5;
const HEAD_CHARS = 12;
/**
 * Words per key record: the pattern, its character set (2 words), and the characters its
 * program lets follow its piece (bit c of word KEY_NEXT + (c >>> 5) for ASCII code point c, bit
 * 0 of word KEY_NEXT + 4 when the query may end there).
 */
export const KEY_WORDS = 8;
const KEY_KEY = 0;
const KEY_SET_LO = 1;
const KEY_SET_HI = 2;
const KEY_NEXT = 3;
// the word of KEY_NEXT that says whether the query may end after the piece
const NEXT_END = 4;

/** A {@linkcode PrefixPieces}' arrays in shared memory, for another thread to view. */
export interface PrefixPiecesShare {
  /** Per length up to the longest piece's, 1 when some piece is that long. */
  lengths: Uint8Array;
  /** The bit set of the pieces' hashes. */
  filter: Int32Array;
  /** The piece records (see {@linkcode PIECE_WORDS}); an empty slot has length 0. */
  pieces: Int32Array;
  /** The key records (see {@linkcode KEY_WORDS}), grouped by piece. */
  keys: Int32Array;
  /** The pieces' characters. */
  chars: Uint8Array;
  /** Whether the key records hold character sets to check. */
  sets: boolean;
}

/** Options for {@linkcode PrefixPieces.of}. */
export interface PrefixPiecesOptions {
  /**
   * The glob section whose prefix trie it is, for case-sensitive queries: each key then holds
   * the characters its program lets follow its piece, and a key whose next character the query
   * does not have is passed over (omitted: every key passes).
   */
  globs?: GlobIndex;
}

/** The prefix pieces' hash table (see the module). */
export class PrefixPieces {
  readonly #lengths: Uint8Array;
  readonly #filter: Int32Array;
  readonly #filterShift: number;
  readonly #pieces: Int32Array;
  readonly #pieceShift: number;
  readonly #pieceMask: number;
  readonly #keys: Int32Array;
  readonly #chars: Uint8Array;
  readonly #sets: boolean;

  private constructor(s: PrefixPiecesShare) {
    this.#lengths = s.lengths;
    this.#filter = s.filter;
    this.#filterShift = 32 - Math.log2(s.filter.length);
    this.#pieces = s.pieces;
    const slots = s.pieces.length / PIECE_WORDS;
    this.#pieceShift = 32 - Math.log2(slots);
    this.#pieceMask = slots - 1;
    this.#keys = s.keys;
    this.#chars = s.chars;
    this.#sets = s.sets;
  }

  /**
   * The table over arrays another thread built ({@linkcode PrefixPieces.share}).
   *
   * @param s The shared arrays.
   * @returns The table.
   */
  static fromShare(s: PrefixPiecesShare): PrefixPieces {
    return new PrefixPieces(s);
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
  share(): PrefixPiecesShare {
    return {
      lengths: sharedCopy(this.#lengths),
      filter: sharedCopy(this.#filter),
      pieces: sharedCopy(this.#pieces),
      keys: sharedCopy(this.#keys),
      chars: sharedCopy(this.#chars),
      sets: this.#sets,
    };
  }

  /**
   * The table of a prefix trie's pieces, or null when the trie is empty or a piece is not
   * ASCII or longer than 255 bytes.
   *
   * @param trie The prefix trie (pieces already case-folded when queries are).
   * @param sets Each pattern's character set (2 words per pattern), or null.
   * @param options The glob section, for the characters that may follow each piece.
   * @returns The table, or null.
   */
  static of(
    trie: AhoCorasick,
    sets: Int32Array | null,
    options: PrefixPiecesOptions = {},
  ): PrefixPieces | null {
    const globs = options.globs ?? null;
    if (trie.isEmpty) return null;
    const { keys, at, length, bytes } = trie.keyPieces();
    const n = keys.length;
    let longest = 0;
    for (let i = 0; i < n; i++) {
      if (length[i] > MAX_LENGTH || length[i] === 0) return null;
      for (let k = at[i]; k < at[i] + length[i]; k++) if (bytes[k] >= 0x80) return null;
      if (length[i] > longest) longest = length[i];
    }
    const hashes = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let h = FNV_OFFSET;
      for (let k = at[i]; k < at[i] + length[i]; k++) h = Math.imul(h ^ bytes[k], FNV_PRIME);
      hashes[i] = h;
    }
    // keyPieces lists keys depth-first: the keys of one piece are next to one another
    let distinct = 0;
    for (let i = 0; i < n; i++) if (i === 0 || !samePiece(bytes, at, length, i - 1, i)) distinct++;
    let bits = 4;
    while (1 << bits < distinct * 2) bits++;
    const slots = 1 << bits, mask = slots - 1, shift = 32 - bits;
    const pieces = new Int32Array(slots * PIECE_WORDS);
    const keyRecs = new Int32Array(n * KEY_WORDS);
    let filterBits = MIN_BITS;
    while (filterBits < MAX_BITS && 1 << filterBits < distinct * BITS_PER_PIECE) filterBits++;
    const filter = new Int32Array(1 << (filterBits - 5));
    const wordShift = 32 - (filterBits - 5);
    const lengths = new Uint8Array(longest + 1);
    for (let i = 0; i < n;) {
      let j = i + 1;
      while (j < n && samePiece(bytes, at, length, i, j)) j++;
      const h = hashes[i];
      let slot = Math.imul(h, MIX) >>> shift;
      while (pieces[slot * PIECE_WORDS + PIECE_LENGTH] !== 0) slot = (slot + 1) & mask;
      const r = slot * PIECE_WORDS;
      pieces[r + PIECE_HASH] = h;
      pieces[r + PIECE_LENGTH] = length[i];
      pieces[r + PIECE_AT] = at[i];
      pieces[r + PIECE_FROM] = i;
      pieces[r + PIECE_TO] = j;
      for (let k = 0; k < length[i] && k < HEAD_CHARS; k++) {
        pieces[r + PIECE_HEAD + (k >>> 2)] |= bytes[at[i] + k] << (7 * (k & 3));
      }
      const x = Math.imul(h, GOLDEN), k = x ^ (x >>> 13);
      filter[x >>> wordShift] |= (1 << (k & 31)) | (1 << ((k >>> 5) & 31));
      lengths[length[i]] = 1;
      for (let e = i; e < j; e++) {
        keyRecs[e * KEY_WORDS + KEY_KEY] = keys[e];
        if (sets !== null) {
          keyRecs[e * KEY_WORDS + KEY_SET_LO] = sets[2 * keys[e]];
          keyRecs[e * KEY_WORDS + KEY_SET_HI] = sets[2 * keys[e] + 1];
        }
        nextOf(globs, keys[e], length[i], keyRecs, e * KEY_WORDS + KEY_NEXT);
      }
      i = j;
    }
    return new PrefixPieces({
      lengths,
      filter,
      pieces,
      keys: keyRecs,
      chars: bytes,
      sets: sets !== null,
    });
  }

  /**
   * Appends to `scan.out` the key of every piece the query starts with (each key once: a key
   * has one piece), passing over the keys whose character set holds a character outside
   * `scan.set` when the table has sets and `scan.set` is the query's (word 2 = 1).
   *
   * @param points The query's (folded) character codes, all below 0x80.
   * @param n How many.
   * @param scan The output buffer.
   * @returns The new number of keys in `scan.out` (also stored in `scan.count`).
   */
  collect(points: Int32Array, n: number, scan: AhoCorasickScan): number {
    const lengths = this.#lengths, filter = this.#filter, shift = this.#filterShift;
    const end = n < lengths.length ? n : lengths.length - 1;
    let h = FNV_OFFSET;
    for (let k = 0; k < end; k++) {
      h = Math.imul(h ^ points[k], FNV_PRIME);
      if (lengths[k + 1] === 0) continue;
      const x = Math.imul(h, GOLDEN), y = x ^ (x >>> 13);
      const m = (1 << (y & 31)) | (1 << ((y >>> 5) & 31));
      if ((filter[x >>> shift] & m) === m) this.#probe(h, k + 1, points, n, scan);
    }
    return scan.count;
  }

  // The piece of `len` characters with hash h, if the query starts with it: its keys.
  #probe(
    h: number,
    len: number,
    points: Int32Array,
    n: number,
    scan: AhoCorasickScan,
  ): void {
    const pieces = this.#pieces, mask = this.#pieceMask, chars = this.#chars;
    for (let slot = Math.imul(h, MIX) >>> this.#pieceShift;; slot = (slot + 1) & mask) {
      const r = slot * PIECE_WORDS;
      const l = pieces[r + PIECE_LENGTH];
      if (l === 0) return;
      if (l !== len || pieces[r + PIECE_HASH] !== h) continue;
      // the first characters, 4 at a time against the packed words
      const head = len < HEAD_CHARS ? len : HEAD_CHARS;
      let k = 0, same = true;
      for (let w = r + PIECE_HEAD; k < head; w++) {
        let packed = 0;
        for (let shift = 0; shift < 28 && k < head; shift += 7) packed |= points[k++] << shift;
        if (packed !== pieces[w]) {
          same = false;
          break;
        }
      }
      if (!same) continue;
      const at = pieces[r + PIECE_AT];
      while (k < len && chars[at + k] === points[k]) k++;
      if (k < len) continue;
      const keys = this.#keys, out = scan.out, qs = scan.set;
      const check = this.#sets && qs !== undefined && qs[2] === 1;
      const lo = check ? ~qs![0] : 0, hi = check ? ~qs![1] : 0;
      let count = scan.count;
      // the query's character after the piece (128: none): its word and bit in KEY_NEXT
      const c = len < n ? points[len] : 128;
      const word = KEY_NEXT + (c >>> 5), bit = 1 << (c & 31);
      for (let e = pieces[r + PIECE_FROM], to = pieces[r + PIECE_TO]; e < to; e++) {
        const x = e * KEY_WORDS;
        if (((keys[x + KEY_SET_LO] & lo) | (keys[x + KEY_SET_HI] & hi)) !== 0) continue;
        if ((keys[x + word] & bit) === 0) continue;
        out[count++] = keys[x + KEY_KEY];
      }
      scan.count = count;
      return;
    }
  }
}

// Writes at keys[at..at+5) the characters pattern `key`'s program lets follow its first `len`
// characters (see KEY_NEXT): every character and the end unless the program is known to start
// with exactly those literals (its piece) followed by a `?` (any character), a set (its ASCII
// members), or the end of its only segment (the end of the query).
function nextOf(
  globs: GlobIndex | null,
  key: number,
  len: number,
  keys: Int32Array,
  at: number,
): void {
  keys.fill(-1, at, at + NEXT_END);
  keys[at + NEXT_END] = 1;
  if (globs === null) return;
  const programs = globs.programs, p = globs.programStart(key);
  const flags = programs[p + PROGRAM_FLAGS];
  if ((flags & LEADING_STAR) !== 0) return;
  const ops = programs[p + PROGRAM_HEADER_WORDS + SEGMENT_OPS];
  const first = p + FIRST_OP, end = first + ops;
  for (let k = 0; k < len; k++) if (first + k >= end || programs[first + k] < 0) return;
  const op = first + len;
  if (op === end) {
    // the end of the first segment: a star follows, or the query ends
    if (
      (flags & HAS_STAR) !== 0 &&
      (programs[p + PROGRAM_SEGMENTS] > 1 || (flags & TRAILING_STAR) !== 0)
    ) return;
    keys.fill(0, at, at + NEXT_END);
    return;
  }
  const word = programs[op];
  if (word === OP_ANY || word !== OP_SET) {
    // `?`, or a literal (the piece is shorter than the literal prefix): left as it is
    if (word >= 0 && word < 0x80) {
      keys.fill(0, at, at + NEXT_END + 1);
      keys[at + (word >>> 5)] = 1 << (word & 31);
    }
    if (word === OP_ANY) keys[at + NEXT_END] = 0;
    return;
  }
  const negated = programs[op + SET_NEGATED] === 1;
  const ranges = programs[op + SET_RANGE_COUNT];
  keys.fill(0, at, at + NEXT_END + 1);
  for (let c = 0; c < 0x80; c++) {
    let inside = false;
    for (let r = 0; r < ranges; r++) {
      const lo = programs[op + SET_HEADER_WORDS + 2 * r];
      const hi = programs[op + SET_HEADER_WORDS + 2 * r + 1];
      if (c >= lo && c <= hi) inside = true;
    }
    if (inside !== negated) keys[at + (c >>> 5)] |= 1 << (c & 31);
  }
}

// Whether pieces i and j have the same bytes.
function samePiece(
  bytes: Uint8Array,
  at: Int32Array,
  length: Int32Array,
  i: number,
  j: number,
): boolean {
  if (length[i] !== length[j]) return false;
  for (let k = 0; k < length[i]; k++) if (bytes[at[i] + k] !== bytes[at[j] + k]) return false;
  return true;
}
