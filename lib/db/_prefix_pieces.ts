/**
 * The prefix trie's pieces as a hash table, for ASCII queries: instead of walking the trie one
 * dependent step per character (a cache miss at almost every step in a large trie), the query's
 * first L characters are hashed for each length L some piece has, as they are read; a bit set
 * of the pieces' hashes (2 bits per piece within one 32-bit word) answers most lengths, and a
 * set bit sends the prefix to an exact table whose one 8-word record per distinct piece holds
 * its hash, length and characters' place, and where its patterns' records (pattern and
 * character set, side by side) are. The prefixes' probes do not depend on one another, so
 * their cache misses overlap. A pattern whose character set holds a character the query lacks
 * is passed over (see ./string_match.ts). The keys found are exactly those of the trie's
 * anchored walk.
 *
 * Built from the trie when the matcher has answered a few thousand queries (nothing is stored
 * in the file); only when every piece is ASCII (a query with a non-ASCII character walks the
 * trie).
 *
 * @module
 */
import type { AhoCorasick, AhoCorasickScan } from "../pattern/mod.ts";
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
/** Words per piece record: hash, length, where its characters start, first key, end of keys. */
export const PIECE_WORDS = 8;
const PIECE_HASH = 0;
const PIECE_LENGTH = 1;
const PIECE_AT = 2;
const PIECE_FROM = 3;
const PIECE_TO = 4;
/** Words per key record: the pattern and its character set (2 words). */
export const KEY_WORDS = 4;
const KEY_KEY = 0;
const KEY_SET_LO = 1;
const KEY_SET_HI = 2;

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
   * @returns The table, or null.
   */
  static of(trie: AhoCorasick, sets: Int32Array | null): PrefixPieces | null {
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
      const x = Math.imul(h, GOLDEN), k = x ^ (x >>> 13);
      filter[x >>> wordShift] |= (1 << (k & 31)) | (1 << ((k >>> 5) & 31));
      lengths[length[i]] = 1;
      for (let e = i; e < j; e++) {
        keyRecs[e * KEY_WORDS + KEY_KEY] = keys[e];
        if (sets !== null) {
          keyRecs[e * KEY_WORDS + KEY_SET_LO] = sets[2 * keys[e]];
          keyRecs[e * KEY_WORDS + KEY_SET_HI] = sets[2 * keys[e] + 1];
        }
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
      if ((filter[x >>> shift] & m) === m) this.#probe(h, k + 1, points, scan);
    }
    return scan.count;
  }

  // The piece of `len` characters with hash h, if the query starts with it: its keys.
  #probe(h: number, len: number, points: Int32Array, scan: AhoCorasickScan): void {
    const pieces = this.#pieces, mask = this.#pieceMask, chars = this.#chars;
    for (let slot = Math.imul(h, MIX) >>> this.#pieceShift;; slot = (slot + 1) & mask) {
      const r = slot * PIECE_WORDS;
      const l = pieces[r + PIECE_LENGTH];
      if (l === 0) return;
      if (l !== len || pieces[r + PIECE_HASH] !== h) continue;
      const at = pieces[r + PIECE_AT];
      let k = 0;
      while (k < len && chars[at + k] === points[k]) k++;
      if (k < len) continue;
      const keys = this.#keys, out = scan.out, qs = scan.set;
      const check = this.#sets && qs !== undefined && qs[2] === 1;
      const lo = check ? ~qs![0] : 0, hi = check ? ~qs![1] : 0;
      let count = scan.count;
      for (let e = pieces[r + PIECE_FROM], to = pieces[r + PIECE_TO]; e < to; e++) {
        const x = e * KEY_WORDS;
        if (((keys[x + KEY_SET_LO] & lo) | (keys[x + KEY_SET_HI] & hi)) !== 0) continue;
        out[count++] = keys[x + KEY_KEY];
      }
      scan.count = count;
      return;
    }
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
