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
// The reach filter: the last `window` characters of every piece (window = the shortest piece's
// length, at most WINDOW_MAX) hashed into 2^REACH_BITS bytes, each the longest piece with that
// hash (REACH_UNBOUNDED: longer than it holds). A query reads its last `window` characters,
// then only as far back as the longest piece that can end it (not as far as the longest piece
// of all); 0 ends the query.
const WINDOW_MAX = 8;
const REACH_BITS = 16;
const REACH_UNBOUNDED = 255;
// A slot's words, side by side (a probe reads one or two cache lines): the piece's hash, its
// length (0 = empty slot), where its characters start in #chars, and its key and the key's data
// offset when it has one key, else -1 - (the piece's number): its keys are
// #keys[keysFrom[p] .. keysFrom[p + 1]), their data offsets beside them in #keyOffsets.
const SLOT_WORDS = 5;
const SLOT_HASH = 0;
const SLOT_LENGTH = 1;
const SLOT_AT = 2;
const SLOT_KEY = 3;
const SLOT_OFFSET = 4;

/**
 * Literals side by side in one array of code points: literal `i` (of pattern `keys[i]`) is
 * `points[at[i] .. at[i] + length[i])`.
 */
export interface DotSuffixPieces {
  /** The pattern (key) number of each literal. */
  keys: Uint32Array;
  /** The data offset of each literal's pattern. */
  offsets: Int32Array;
  /** The code points (folded as queries will be). */
  points: Int32Array;
  /** Where each literal starts in `points`. */
  at: Int32Array;
  /** Each literal's length. */
  length: Int32Array;
}

/** A {@linkcode DotSuffixTable}'s arrays in shared memory, for another thread to view. */
export interface DotSuffixShare {
  /** Per slot, SLOT_WORDS words: the piece's hash, length, characters' start and key. */
  slots: Int32Array;
  /** Per piece, where its keys start in `keys` (and, at `p + 1`, end). */
  keysFrom: Int32Array;
  /** The pieces' characters. */
  chars: Uint8Array;
  /** The keys, grouped per piece. */
  keys: Uint32Array;
  /** Each key's data offset. */
  keyOffsets: Int32Array;
  /** 1 at each piece length. */
  lengths: Uint8Array;
  /** The bit set of last-three-character hashes. */
  tail: Int32Array;
  /** 1 at each last ASCII character. */
  lastChar: Uint8Array;
  /** The reach filter. */
  reach: Uint8Array;
  /** How many characters the reach filter hashes. */
  window: number;
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
  readonly #slots: Int32Array;
  readonly #mask: number;
  readonly #shift: number;
  // per piece: where its characters are in #chars, its length, its keys in #keys
  readonly #keysFrom: Int32Array;
  readonly #chars: Uint8Array;
  readonly #keys: Uint32Array;
  readonly #keyOffsets: Int32Array;
  // lengths[n] = 1 when some piece has n characters
  readonly #lengths: Uint8Array;
  readonly #maxLength: number;
  readonly #tail: Int32Array;
  // lastChar[c] = 1 when some literal ends with ASCII character c (both cases when folding)
  readonly #lastChar: Uint8Array;
  readonly #reach: Uint8Array;
  readonly #window: number;
  readonly #fold: boolean;
  // collectOf's folded characters of the query's tail
  readonly #buf: Int32Array;
  // where the collect functions put each key's data offset (beside `out`)
  #offsetsOut: Int32Array = new Int32Array(0);

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
      slots: sharedCopy(this.#slots),
      keysFrom: sharedCopy(this.#keysFrom),
      chars: sharedCopy(this.#chars),
      keys: sharedCopy(this.#keys),
      keyOffsets: sharedCopy(this.#keyOffsets),
      lengths: sharedCopy(this.#lengths),
      tail: sharedCopy(this.#tail),
      lastChar: sharedCopy(this.#lastChar),
      reach: sharedCopy(this.#reach),
      window: this.#window,
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
    if ("slots" in pieces) {
      const s = pieces;
      this.#slots = s.slots;
      this.#mask = s.mask;
      this.#shift = s.shift;
      this.#keysFrom = s.keysFrom;
      this.#chars = s.chars;
      this.#keys = s.keys;
      this.#keyOffsets = s.keyOffsets;
      this.#lengths = s.lengths;
      this.#maxLength = s.maxLength;
      this.#tail = s.tail;
      this.#lastChar = s.lastChar;
      this.#reach = s.reach;
      this.#window = s.window;
      this.#buf = new Int32Array(s.maxLength);
      return;
    }
    this.#lastChar = new Uint8Array(128);
    const { keys, offsets, points, at, length } = pieces;
    const count = keys.length;
    let bits = 4;
    while (1 << bits < count * 2) bits++;
    const slots = 1 << bits;
    const mask = this.#mask = slots - 1;
    const shift = this.#shift = 32 - bits;
    const slotHash = new Int32Array(slots);
    const slotPiece = new Int32Array(slots);
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
    const keysFrom = this.#keysFrom = new Int32Array(pieces_ + 1);
    const pieceAt = new Int32Array(pieces_);
    this.#chars = new Uint8Array(totalChars);
    this.#keys = new Uint32Array(count);
    this.#keyOffsets = new Int32Array(count);
    this.#lengths = new Uint8Array(maxLength + 1);
    this.#maxLength = maxLength;
    this.#buf = new Int32Array(maxLength);
    let window = WINDOW_MAX;
    for (let i = 0; i < count; i++) if (length[i] < window) window = length[i];
    this.#window = window;
    const reach = this.#reach = new Uint8Array(1 << REACH_BITS);
    this.#tail = new Int32Array(1 << (TAIL_BITS - 5));
    // keys grouped per piece, ascending (the literals come in key order)
    for (let i = 0; i < count; i++) keysFrom[pieceOf[i] + 1]++;
    for (let p = 0; p < pieces_; p++) keysFrom[p + 1] += keysFrom[p];
    const fill = keysFrom.slice(0, pieces_);
    for (let i = 0; i < count; i++) {
      const x = fill[pieceOf[i]]++;
      this.#keys[x] = keys[i];
      this.#keyOffsets[x] = offsets[i];
    }
    let c = 0;
    for (let p = 0; p < pieces_; p++) {
      const j = first[p], len = length[j], from = at[j];
      pieceAt[p] = c;
      for (let k = 0; k < len; k++) this.#chars[c + k] = points[from + k];
      c += len;
      this.#lengths[len] = 1;
      let wh = FNV_OFFSET;
      for (let k = from + len - 1; k >= from + len - window; k--) {
        wh = Math.imul(wh ^ points[k], FNV_PRIME);
      }
      const r = Math.imul(wh ^ (wh >>> 16), MIX) >>> (32 - REACH_BITS);
      const most = len >= REACH_UNBOUNDED ? REACH_UNBOUNDED : len;
      if (most > reach[r]) reach[r] = most;
      const last = points[from + len - 1];
      this.#lastChar[last] = 1;
      if (fold) this.#lastChar[asciiUpper(last)] = 1;
      const bit = ((last * 31 + points[from + len - 2]) * 31 + points[from + len - 3]) &
        ((1 << TAIL_BITS) - 1);
      this.#tail[bit >>> 5] |= 1 << (bit & 31);
    }
    const words = this.#slots = new Int32Array(slots * SLOT_WORDS);
    for (let slot = 0; slot < slots; slot++) {
      const p = slotPiece[slot] - 1;
      if (p < 0) continue;
      const w = slot * SLOT_WORDS;
      words[w + SLOT_HASH] = slotHash[slot];
      words[w + SLOT_LENGTH] = length[first[p]];
      words[w + SLOT_AT] = pieceAt[p];
      const one = keysFrom[p + 1] - keysFrom[p] === 1;
      words[w + SLOT_KEY] = one ? this.#keys[keysFrom[p]] : -1 - p;
      words[w + SLOT_OFFSET] = one ? this.#keyOffsets[keysFrom[p]] : 0;
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
   * Appends to `out` (from `count`) the keys whose literal ends the query string (and their data
   * offsets to `offsets`), folding
   * ASCII case when the table does. Returns the new count, or -1 when the query's tail holds a
   * non-ASCII character (nothing appended; walk the trie over the encoded bytes instead).
   *
   * @param query The query.
   * @param out The output buffer.
   * @param count How many keys it holds already.
   * @param offsets Receives each appended key's data offset, at the key's index in `out`.
   * @returns The new count, or -1.
   */
  collectOf(query: string, out: Uint32Array, count: number, offsets: Int32Array): number {
    this.#offsetsOut = offsets;
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
    // the last `window` characters, then as far back as the reach filter says, kept folded
    // (reversed: buf[j] is query[n - 1 - j]) for the probes to compare
    // (the window is at least TAIL long: the three already read start it)
    const buf = this.#buf, lengths = this.#lengths, window = this.#window;
    if (n < window) return count;
    buf[0] = c1;
    buf[1] = c2;
    buf[2] = c3;
    let h = Math.imul(
      Math.imul(Math.imul(FNV_OFFSET ^ c1, FNV_PRIME) ^ c2, FNV_PRIME) ^ c3,
      FNV_PRIME,
    );
    for (let j = TAIL; j < window; j++) {
      let c = query.charCodeAt(n - 1 - j);
      if (c >= 0x80) return -1;
      if (fold) c = asciiLower(c);
      buf[j] = c;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    let reach = this.#reach[Math.imul(h ^ (h >>> 16), MIX) >>> (32 - REACH_BITS)];
    if (reach === 0) return count;
    if (reach === REACH_UNBOUNDED) reach = this.#maxLength;
    if (reach > n) reach = n;
    if (buf[window - 1] === DOT && lengths[window] === 1) {
      count = this.#probeReversed(h, buf, window, out, count);
    }
    for (let j = window; j < reach; j++) {
      let c = query.charCodeAt(n - 1 - j);
      if (c >= 0x80) return -1;
      if (fold) c = asciiLower(c);
      buf[j] = c;
      h = Math.imul(h ^ c, FNV_PRIME);
      if (c === DOT && lengths[j + 1] === 1) count = this.#probeReversed(h, buf, j + 1, out, count);
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
   * @param offsets Receives each appended key's data offset, at the key's index in `out`.
   * @returns The new count.
   */
  collectFolded(
    src: Int32Array | Uint8Array,
    n: number,
    out: Uint32Array,
    count: number,
    offsets: Int32Array,
  ): number {
    this.#offsetsOut = offsets;
    if (n < TAIL) return count;
    const c1 = src[n - 1];
    if (c1 >= 0x80 || this.#lastChar[c1] === 0) return count;
    const bit = ((c1 * 31 + src[n - 2]) * 31 + src[n - 3]) & ((1 << TAIL_BITS) - 1);
    if ((this.#tail[bit >>> 5] & (1 << (bit & 31))) === 0) return count;
    // as collectOf reads a string
    const lengths = this.#lengths, window = this.#window;
    if (n < window) return count;
    let h = FNV_OFFSET;
    for (let k = n - 1; k >= n - window; k--) h = Math.imul(h ^ src[k], FNV_PRIME);
    let reach = this.#reach[Math.imul(h ^ (h >>> 16), MIX) >>> (32 - REACH_BITS)];
    if (reach === 0) return count;
    if (reach === REACH_UNBOUNDED) reach = this.#maxLength;
    if (reach > n) reach = n;
    if (src[n - window] === DOT && lengths[window] === 1) {
      count = this.#probeFolded(h, src, n - window, n, out, count);
    }
    for (let k = n - window - 1; k >= n - reach; k--) {
      const c = src[k];
      h = Math.imul(h ^ c, FNV_PRIME);
      if (c === DOT && lengths[n - k] === 1) count = this.#probeFolded(h, src, k, n, out, count);
    }
    return count;
  }

  // The piece with hash h and buf[len - 1], …, buf[0] as its characters: its keys appended.
  #probeReversed(h: number, buf: Int32Array, len: number, out: Uint32Array, count: number): number {
    const mask = this.#mask, slots = this.#slots;
    for (let slot = Math.imul(h ^ (h >>> 16), MIX) >>> this.#shift;; slot = (slot + 1) & mask) {
      const w = slot * SLOT_WORDS;
      const l = slots[w + SLOT_LENGTH];
      if (l === 0) return count;
      if (slots[w + SLOT_HASH] !== h || l !== len) continue;
      const chars = this.#chars, at = slots[w + SLOT_AT] + len - 1;
      let i = 0;
      while (i < len && chars[at - i] === buf[i]) i++;
      if (i === len) return this.#append(w, out, count);
    }
  }

  // The piece with hash h and src[k..n) as its characters: its keys appended.
  #probeFolded(
    h: number,
    src: Int32Array | Uint8Array,
    k: number,
    n: number,
    out: Uint32Array,
    count: number,
  ): number {
    const mask = this.#mask, slots = this.#slots;
    const len = n - k;
    for (let slot = Math.imul(h ^ (h >>> 16), MIX) >>> this.#shift;; slot = (slot + 1) & mask) {
      const w = slot * SLOT_WORDS;
      const l = slots[w + SLOT_LENGTH];
      if (l === 0) return count;
      if (slots[w + SLOT_HASH] !== h || l !== len) continue;
      const chars = this.#chars, at = slots[w + SLOT_AT] - k;
      let i = k;
      while (i < n && chars[at + i] === src[i]) i++;
      if (i === n) return this.#append(w, out, count);
    }
  }

  // Appends the keys of the piece in the slot whose words start at w, and their data offsets.
  #append(w: number, out: Uint32Array, count: number): number {
    const slots = this.#slots, offsets = this.#offsetsOut;
    const key = slots[w + SLOT_KEY];
    if (key >= 0) {
      out[count] = key;
      offsets[count] = slots[w + SLOT_OFFSET];
      return count + 1;
    }
    const keys = this.#keys, keyOffsets = this.#keyOffsets, p = -1 - key;
    for (let x = this.#keysFrom[p], e = this.#keysFrom[p + 1]; x < e; x++) {
      out[count] = keys[x];
      offsets[count++] = keyOffsets[x];
    }
    return count;
  }
}

/** The upper-case twin of an ASCII lower-case letter (other characters unchanged). */
function asciiUpper(c: number): number {
  return c >= 97 && c <= 122 ? c - 32 : c;
}
