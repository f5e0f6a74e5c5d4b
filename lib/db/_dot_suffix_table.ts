/**
 * The suffix globs of the commonest shape, `*.evil.com` (a star, then a literal that starts at a
 * label boundary), answered by hashing instead of walking the suffix trie: a query can only end
 * with such a literal at one of its dots, so one backward pass hashes the query's tail and each
 * dot within the longest literal's reach is one probe of a hash table of the literals (the
 * probes do not depend on each other, unlike the ~16 dependent steps of a trie walk). A
 * filter on the last character (then the last three) ends most queries that match nothing after one
 * read.
 *
 * Built from the glob section when the matcher first runs (nothing is stored in the file);
 * used only when every pattern of the suffix trie has that shape, so it replaces the trie's
 * anchored walk exactly (the trie is still walked for queries with a non-ASCII character).
 *
 * @module
 */
import { asciiLower } from "../core/ascii.ts";
import { sharedCopy } from "../core/shared_copy.ts";

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
// spreads a hash's bits before its top bits pick a slot (FNV's low bits mix poorly)
const MIX = 0x85ebca6b | 0;
const DOT = 46;
// The tail filter: 2^TAIL_BITS bits, indexed by a hash of the last TAIL characters.
const TAIL = 3;
const TAIL_BITS = 16;

/**
 * Literals side by side in one array of code points: literal `i` (of pattern `keys[i]`) is
 * `points[at[i] .. at[i] + length[i])`.
 */
export interface DotSuffixPieces {
  /** The pattern (key) number of each literal. */
  keys: Uint32Array;
  /** The code points (folded as queries will be). */
  points: Int32Array;
  /** Where each literal starts in `points`. */
  at: Int32Array;
  /** Each literal's length. */
  length: Int32Array;
}

/** A {@linkcode DotSuffixTable}'s arrays in shared memory, for another thread to view. */
export interface DotSuffixShare {
  /** Per slot, the piece's hash. */
  slotHash: Int32Array;
  /** Per slot, the piece's number + 1 (0 = empty). */
  slotPiece: Int32Array;
  /** Per piece, where its characters are in `chars`. */
  pieceAt: Int32Array;
  /** Per piece, its length. */
  pieceLength: Int32Array;
  /** Per piece, where its keys start in `keys`. */
  keysFrom: Int32Array;
  /** The pieces' characters. */
  chars: Uint8Array;
  /** The keys, grouped per piece. */
  keys: Uint32Array;
  /** 1 at each piece length. */
  lengths: Uint8Array;
  /** The bit set of last-three-character hashes. */
  tail: Int32Array;
  /** 1 at each last ASCII character. */
  lastChar: Uint8Array;
  /** `slots - 1`. */
  mask: number;
  /** `32 - log2(slots)`. */
  shift: number;
  /** The longest piece. */
  maxLength: number;
  /** Whether queries are folded. */
  fold: boolean;
}

/** The hash table of `.literal` tails (see the module). */
export class DotSuffixTable {
  // open addressing: per slot the piece's hash, its number + 1 (0 = empty)
  readonly #slotHash: Int32Array;
  readonly #slotPiece: Int32Array;
  readonly #mask: number;
  readonly #shift: number;
  // per piece: where its characters are in #chars, its length, its keys in #keys
  readonly #pieceAt: Int32Array;
  readonly #pieceLength: Int32Array;
  readonly #keysFrom: Int32Array;
  readonly #chars: Uint8Array;
  readonly #keys: Uint32Array;
  // lengths[n] = 1 when some piece has n characters
  readonly #lengths: Uint8Array;
  readonly #maxLength: number;
  readonly #tail: Int32Array;
  // lastChar[c] = 1 when some literal ends with ASCII character c (both cases when folding)
  readonly #lastChar: Uint8Array;
  readonly #fold: boolean;

  /**
   * The table over arrays another thread built ({@linkcode DotSuffixTable.share}).
   *
   * @param s The shared arrays.
   * @returns The table.
   */
  static fromShare(s: DotSuffixShare): DotSuffixTable {
    return new DotSuffixTable(s, s.fold);
  }

  /**
   * This table's arrays, copied into shared memory.
   *
   * @returns The arrays.
   */
  share(): DotSuffixShare {
    return {
      slotHash: sharedCopy(this.#slotHash),
      slotPiece: sharedCopy(this.#slotPiece),
      pieceAt: sharedCopy(this.#pieceAt),
      pieceLength: sharedCopy(this.#pieceLength),
      keysFrom: sharedCopy(this.#keysFrom),
      chars: sharedCopy(this.#chars),
      keys: sharedCopy(this.#keys),
      lengths: sharedCopy(this.#lengths),
      tail: sharedCopy(this.#tail),
      lastChar: sharedCopy(this.#lastChar),
      mask: this.#mask,
      shift: this.#shift,
      maxLength: this.#maxLength,
      fold: this.#fold,
    };
  }

  /**
   * @param pieces Every pattern of the suffix trie, each with its literal (`.` first, ASCII).
   * @param fold Whether queries are folded to lower case (the literals already are).
   */
  constructor(pieces: DotSuffixPieces | DotSuffixShare, fold: boolean) {
    this.#fold = fold;
    if ("slotHash" in pieces) {
      const s = pieces;
      this.#slotHash = s.slotHash;
      this.#slotPiece = s.slotPiece;
      this.#mask = s.mask;
      this.#shift = s.shift;
      this.#pieceAt = s.pieceAt;
      this.#pieceLength = s.pieceLength;
      this.#keysFrom = s.keysFrom;
      this.#chars = s.chars;
      this.#keys = s.keys;
      this.#lengths = s.lengths;
      this.#maxLength = s.maxLength;
      this.#tail = s.tail;
      this.#lastChar = s.lastChar;
      return;
    }
    this.#lastChar = new Uint8Array(128);
    const { keys, points, at, length } = pieces;
    const count = keys.length;
    let bits = 4;
    while (1 << bits < count * 2) bits++;
    const slots = 1 << bits;
    const mask = this.#mask = slots - 1;
    const shift = this.#shift = 32 - bits;
    const slotHash = this.#slotHash = new Int32Array(slots);
    const slotPiece = this.#slotPiece = new Int32Array(slots);
    // distinct literals: piece numbers in order of first appearance; each literal's keys
    const pieceOf = new Int32Array(count);
    const first = new Int32Array(count); // the literal index that defines each piece
    let pieces_ = 0, maxLength = 0, totalChars = 0;
    for (let i = 0; i < count; i++) {
      const len = length[i], from = at[i];
      let h = FNV_OFFSET;
      for (let k = from + len - 1; k >= from; k--) h = Math.imul(h ^ points[k], FNV_PRIME);
      let slot = Math.imul(h ^ (h >>> 16), MIX) >>> shift;
      let found = -1;
      for (;; slot = (slot + 1) & mask) {
        const p = slotPiece[slot] - 1;
        if (p < 0) break;
        if (slotHash[slot] !== h) continue;
        const j = first[p];
        if (length[j] !== len) continue;
        let k = 0;
        while (k < len && points[at[j] + k] === points[from + k]) k++;
        if (k === len) {
          found = p;
          break;
        }
      }
      if (found < 0) {
        found = pieces_++;
        first[found] = i;
        slotHash[slot] = h;
        slotPiece[slot] = found + 1;
        totalChars += len;
        if (len > maxLength) maxLength = len;
      }
      pieceOf[i] = found;
    }
    this.#pieceAt = new Int32Array(pieces_);
    this.#pieceLength = new Int32Array(pieces_);
    this.#keysFrom = new Int32Array(pieces_ + 1);
    this.#chars = new Uint8Array(totalChars);
    this.#keys = new Uint32Array(count);
    this.#lengths = new Uint8Array(maxLength + 1);
    this.#maxLength = maxLength;
    this.#tail = new Int32Array(1 << (TAIL_BITS - 5));
    // keys grouped per piece, ascending (the literals come in key order)
    for (let i = 0; i < count; i++) this.#keysFrom[pieceOf[i] + 1]++;
    for (let p = 0; p < pieces_; p++) this.#keysFrom[p + 1] += this.#keysFrom[p];
    const fill = this.#keysFrom.slice(0, pieces_);
    for (let i = 0; i < count; i++) this.#keys[fill[pieceOf[i]]++] = keys[i];
    let c = 0;
    for (let p = 0; p < pieces_; p++) {
      const j = first[p], len = length[j], from = at[j];
      this.#pieceAt[p] = c;
      this.#pieceLength[p] = len;
      for (let k = 0; k < len; k++) this.#chars[c + k] = points[from + k];
      c += len;
      this.#lengths[len] = 1;
      const last = points[from + len - 1];
      this.#lastChar[last] = 1;
      if (fold) this.#lastChar[asciiUpper(last)] = 1;
      const bit = ((last * 31 + points[from + len - 2]) * 31 + points[from + len - 3]) &
        ((1 << TAIL_BITS) - 1);
      this.#tail[bit >>> 5] |= 1 << (bit & 31);
    }
  }

  /**
   * Whether a set of suffix-trie patterns can be answered by a table: every literal starts with
   * `.`, has at least TAIL characters and is ASCII.
   *
   * @param pieces The patterns.
   * @returns True when a table answers them all.
   */
  static fits(pieces: DotSuffixPieces): boolean {
    const { points, at, length } = pieces;
    for (let i = 0; i < at.length; i++) {
      const from = at[i], len = length[i];
      if (len < TAIL || points[from] !== DOT) return false;
      for (let k = from; k < from + len; k++) if (points[k] < 0 || points[k] >= 0x80) return false;
    }
    return at.length > 0;
  }

  /**
   * Appends to `out` (from `count`) the keys whose literal ends the query string, folding
   * ASCII case when the table does. Returns the new count, or -1 when the query's tail holds a
   * non-ASCII character (nothing appended; walk the trie over the encoded bytes instead).
   *
   * @param query The query.
   * @param out The output buffer.
   * @param count How many keys it holds already.
   * @returns The new count, or -1.
   */
  collectOf(query: string, out: Uint32Array, count: number): number {
    const n = query.length;
    if (n < TAIL) return count;
    const fold = this.#fold;
    // the tail filters: the last character, then the last three
    let c1 = query.charCodeAt(n - 1);
    if (c1 >= 0x80) return -1;
    if (this.#lastChar[c1] === 0) return count;
    let c2 = query.charCodeAt(n - 2), c3 = query.charCodeAt(n - 3);
    if ((c2 | c3) >= 0x80) return -1;
    if (fold) {
      c1 = asciiLower(c1);
      c2 = asciiLower(c2);
      c3 = asciiLower(c3);
    }
    const bit = ((c1 * 31 + c2) * 31 + c3) & ((1 << TAIL_BITS) - 1);
    if ((this.#tail[bit >>> 5] & (1 << (bit & 31))) === 0) return count;
    const lengths = this.#lengths;
    const stop = n > this.#maxLength ? n - this.#maxLength : 0;
    let h = FNV_OFFSET;
    for (let k = n - 1; k >= stop; k--) {
      let c = query.charCodeAt(k);
      if (c >= 0x80) return -1;
      if (fold) c = asciiLower(c);
      h = Math.imul(h ^ c, FNV_PRIME);
      if (c === DOT && lengths[n - k] === 1) count = this.#probeString(h, query, k, n, out, count);
    }
    return count;
  }

  /**
   * {@linkcode DotSuffixTable.collectOf} over code points or bytes already folded (all below
   * 0x80 for code points; UTF-8 bytes of other characters simply never equal a literal).
   *
   * @param src The code points or bytes.
   * @param n How many.
   * @param out The output buffer.
   * @param count How many keys it holds already.
   * @returns The new count.
   */
  collectFolded(src: Int32Array | Uint8Array, n: number, out: Uint32Array, count: number): number {
    if (n < TAIL) return count;
    const c1 = src[n - 1];
    if (c1 >= 0x80 || this.#lastChar[c1] === 0) return count;
    const bit = ((c1 * 31 + src[n - 2]) * 31 + src[n - 3]) & ((1 << TAIL_BITS) - 1);
    if ((this.#tail[bit >>> 5] & (1 << (bit & 31))) === 0) return count;
    const lengths = this.#lengths;
    const stop = n > this.#maxLength ? n - this.#maxLength : 0;
    let h = FNV_OFFSET;
    for (let k = n - 1; k >= stop; k--) {
      const c = src[k];
      h = Math.imul(h ^ c, FNV_PRIME);
      if (c === DOT && lengths[n - k] === 1) count = this.#probeFolded(h, src, k, n, out, count);
    }
    return count;
  }

  // The piece with hash h and query[k..n) as its characters: its keys appended.
  #probeString(
    h: number,
    query: string,
    k: number,
    n: number,
    out: Uint32Array,
    count: number,
  ): number {
    const mask = this.#mask, slotHash = this.#slotHash, slotPiece = this.#slotPiece;
    const len = n - k;
    for (let slot = Math.imul(h ^ (h >>> 16), MIX) >>> this.#shift;; slot = (slot + 1) & mask) {
      const p = slotPiece[slot] - 1;
      if (p < 0) return count;
      if (slotHash[slot] !== h || this.#pieceLength[p] !== len) continue;
      const chars = this.#chars, at = this.#pieceAt[p] - k;
      let i = k;
      if (this.#fold) { while (i < n && chars[at + i] === asciiLower(query.charCodeAt(i))) i++; }
      else while (i < n && chars[at + i] === query.charCodeAt(i)) i++;
      if (i === n) return this.#append(p, out, count);
    }
  }

  #probeFolded(
    h: number,
    src: Int32Array | Uint8Array,
    k: number,
    n: number,
    out: Uint32Array,
    count: number,
  ): number {
    const mask = this.#mask, slotHash = this.#slotHash, slotPiece = this.#slotPiece;
    const len = n - k;
    for (let slot = Math.imul(h ^ (h >>> 16), MIX) >>> this.#shift;; slot = (slot + 1) & mask) {
      const p = slotPiece[slot] - 1;
      if (p < 0) return count;
      if (slotHash[slot] !== h || this.#pieceLength[p] !== len) continue;
      const chars = this.#chars, at = this.#pieceAt[p] - k;
      let i = k;
      while (i < n && chars[at + i] === src[i]) i++;
      if (i === n) return this.#append(p, out, count);
    }
  }

  #append(p: number, out: Uint32Array, count: number): number {
    const keys = this.#keys;
    for (let x = this.#keysFrom[p], e = this.#keysFrom[p + 1]; x < e; x++) out[count++] = keys[x];
    return count;
  }
}

/** The upper-case twin of an ASCII lower-case letter (other characters unchanged). */
function asciiUpper(c: number): number {
  return c >= 97 && c <= 122 ? c - 32 : c;
}
