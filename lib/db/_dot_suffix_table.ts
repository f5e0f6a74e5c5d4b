/**
 * The suffix globs of the commonest shape, `*.evil.com` (a star, then a literal that starts at a
 * label boundary), answered by hashing instead of walking the suffix trie. A filter on the last
 * character (then the last three) ends most queries that match nothing after one read. Then the
 * query's last WINDOW characters are read backwards and hashed once: the literals at least that
 * long are grouped by the hash of their own last WINDOW characters, each group's records (length,
 * key, characters packed four to a word) side by side, so a query reads one group entry and
 * compares the few literals that end as it ends, without reading or hashing the rest of its
 * tail. Shorter literals, and the literals of a group too large to compare one by one (thousands
 * of `*.x.cdn.example`), are probed in a hash table of whole literals at each dot of the tail
 * (the probes do not depend on each other, unlike the ~16 dependent steps of a trie walk); the
 * group entry then says how far back its longest literal reaches.
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
// Literals of at least WINDOW characters are grouped by the hash of their last WINDOW; a group of
// more than GROUP_MAX of them is probed by dots instead (its entry holds the reach).
const WINDOW = 8;
const GROUP_MAX = 8;
// A group entry's words while the table is built: the window's hash, the group's record count
// (-1: probe by dots), where its records start in #records, and the longest literal. In the
// table, two words (a cache line holds 8 entries): the hash and ENTRY_COUNT_SHIFT
// (count << ENTRY_COUNT_SHIFT | start), or -(the longest literal) when probed by dots (0: empty).
const GROUP_WORDS = 4;
const GROUP_HASH = 0;
const GROUP_COUNT = 1;
const GROUP_START = 2;
const GROUP_REACH = 3;
const ENTRY_COUNT_SHIFT = 26;
const ENTRY_START_MASK = (1 << ENTRY_COUNT_SHIFT) - 1;
// A record's words: the literal's length, its key (or -1 - piece number, see SLOT_KEY), the key's
// data offset, then its characters from the last backwards, four to a word (first in the low byte).
const REC_LENGTH = 0;
const REC_KEY = 1;
const REC_OFFSET = 2;
const REC_CHARS = 3;
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
  /** 1 at each length of a piece in `slots`. */
  lengths: Uint8Array;
  /** The bit set of last-three-character hashes. */
  tail: Int32Array;
  /** 1 at each last ASCII character. */
  lastChar: Uint8Array;
  /** Per group entry, 2 words: the window's hash, its record count and start (or reach). */
  groups: Int32Array;
  /** The grouped pieces' records. */
  records: Int32Array;
  /** `slots - 1`. */
  mask: number;
  /** `32 - log2(slots)`. */
  shift: number;
  /** `32 - log2(group entries)`. */
  groupShift: number;
  /** The longest piece. */
  maxLength: number;
  /** Whether queries are folded. */
  fold: boolean;
}

/** The hash table of `.literal` tails (see the module). */
export class DotSuffixTable {
  // open addressing: per slot the piece's hash, length, characters' start, key and offset
  readonly #slots: Int32Array;
  readonly #mask: number;
  readonly #shift: number;
  // per piece: where its characters are in #chars, its length, its keys in #keys
  readonly #keysFrom: Int32Array;
  readonly #chars: Uint8Array;
  readonly #keys: Uint32Array;
  readonly #keyOffsets: Int32Array;
  // lengths[n] = 1 when some piece in #slots has n characters
  readonly #lengths: Uint8Array;
  readonly #maxLength: number;
  readonly #tail: Int32Array;
  // lastChar[c] = 1 when some literal ends with ASCII character c (both cases when folding)
  readonly #lastChar: Uint8Array;
  // open addressing over the windows' hashes (GROUP_WORDS per entry), and the groups' records
  readonly #groups: Int32Array;
  readonly #groupMask: number;
  readonly #groupShift: number;
  readonly #records: Int32Array;
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
      groups: sharedCopy(this.#groups),
      records: sharedCopy(this.#records),
      mask: this.#mask,
      shift: this.#shift,
      groupShift: this.#groupShift,
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
      this.#groups = s.groups;
      this.#groupShift = s.groupShift;
      this.#groupMask = s.groups.length / 2 - 1;
      this.#records = s.records;
      this.#buf = new Int32Array(Math.max(s.maxLength, WINDOW));
      return;
    }
    this.#lastChar = new Uint8Array(128);
    const { keys, offsets, points, at, length } = pieces;
    const count = keys.length;
    // distinct literals: piece numbers in order of first appearance; each literal's keys
    let bits = 4;
    while (1 << bits < count * 2) bits++;
    const dedupe = new Int32Array(1 << bits);
    const pieceOf = new Int32Array(count);
    const first = new Int32Array(count); // the literal index that defines each piece
    const pieceHash = new Int32Array(count), windowHash = new Int32Array(count);
    let pieces_ = 0, maxLength = 0, totalChars = 0;
    for (let i = 0; i < count; i++) {
      const len = length[i], from = at[i];
      let h = FNV_OFFSET, wh = 0;
      for (let k = from + len - 1; k >= from; k--) {
        h = Math.imul(h ^ points[k], FNV_PRIME);
        if (from + len - k === WINDOW) wh = h;
      }
      let slot = Math.imul(h ^ (h >>> 16), MIX) >>> (32 - bits);
      let found = -1;
      for (;; slot = (slot + 1) & ((1 << bits) - 1)) {
        const p = dedupe[slot] - 1;
        if (p < 0) break;
        if (pieceHash[p] !== h) continue;
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
        pieceHash[found] = h;
        windowHash[found] = wh;
        dedupe[slot] = found + 1;
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
    this.#buf = new Int32Array(Math.max(maxLength, WINDOW));
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
    // the window groups: open addressing over the windows' hashes, each group's pieces
    let gbits = 4;
    while (1 << gbits < pieces_ * 2) gbits++;
    const groupMask = this.#groupMask = (1 << gbits) - 1;
    const groupShift = this.#groupShift = 32 - gbits;
    const groups = new Int32Array(GROUP_WORDS << gbits);
    const entryOf = new Int32Array(pieces_).fill(-1);
    for (let p = 0; p < pieces_; p++) {
      const len = length[first[p]];
      if (len < WINDOW) continue;
      const wh = windowHash[p];
      let e = Math.imul(wh ^ (wh >>> 16), MIX) >>> groupShift;
      for (; groups[e * GROUP_WORDS + GROUP_COUNT] !== 0; e = (e + 1) & groupMask) {
        if (groups[e * GROUP_WORDS + GROUP_HASH] === wh) break;
      }
      const w = e * GROUP_WORDS;
      groups[w + GROUP_HASH] = wh;
      groups[w + GROUP_COUNT]++;
      if (len > groups[w + GROUP_REACH]) groups[w + GROUP_REACH] = len;
      entryOf[p] = e;
    }
    // a group too large is probed by dots: its pieces go to the slots (all groups, when the
    // records would not fit the entries' start field)
    let recordWords = 0, slotted = 0, groupMax = GROUP_MAX;
    for (let pass = 0; pass < 2; pass++) {
      recordWords = slotted = 0;
      for (let p = 0; p < pieces_; p++) {
        const e = entryOf[p];
        const len = length[first[p]];
        if (e >= 0 && groups[e * GROUP_WORDS + GROUP_COUNT] <= groupMax) {
          recordWords += REC_CHARS + ((len + 3) >> 2);
        } else slotted++;
      }
      if (recordWords <= ENTRY_START_MASK) break;
      groupMax = 0;
    }
    const records = this.#records = new Int32Array(recordWords);
    for (let e = 0; e <= groupMask; e++) {
      if (groups[e * GROUP_WORDS + GROUP_COUNT] > groupMax) {
        groups[e * GROUP_WORDS + GROUP_COUNT] = -1;
      }
    }
    // records group by group (entries in table order), each group's pieces in piece order
    let r = 0;
    const groupAt = new Int32Array(groupMask + 1);
    for (let p = 0; p < pieces_; p++) {
      const e = entryOf[p];
      if (e < 0 || groups[e * GROUP_WORDS + GROUP_COUNT] < 0) continue;
      groupAt[e] += REC_CHARS + ((length[first[p]] + 3) >> 2);
    }
    for (let e = 0; e <= groupMask; e++) {
      const words = groupAt[e];
      groupAt[e] = r;
      if (groups[e * GROUP_WORDS + GROUP_COUNT] > 0) groups[e * GROUP_WORDS + GROUP_START] = r;
      r += words;
    }
    let c = 0;
    for (let p = 0; p < pieces_; p++) {
      const j = first[p], len = length[j], from = at[j];
      pieceAt[p] = c;
      for (let k = 0; k < len; k++) this.#chars[c + k] = points[from + k];
      c += len;
      const last = points[from + len - 1];
      this.#lastChar[last] = 1;
      if (fold) this.#lastChar[asciiUpper(last)] = 1;
      const bit = ((last * 31 + points[from + len - 2]) * 31 + points[from + len - 3]) &
        ((1 << TAIL_BITS) - 1);
      this.#tail[bit >>> 5] |= 1 << (bit & 31);
      const e = entryOf[p];
      const one = keysFrom[p + 1] - keysFrom[p] === 1;
      const key = one ? this.#keys[keysFrom[p]] : -1 - p;
      const offset = one ? this.#keyOffsets[keysFrom[p]] : 0;
      if (e < 0 || groups[e * GROUP_WORDS + GROUP_COUNT] < 0) continue;
      const x = groupAt[e];
      records[x + REC_LENGTH] = len;
      records[x + REC_KEY] = key;
      records[x + REC_OFFSET] = offset;
      for (let k = 0; k < len; k++) {
        records[x + REC_CHARS + (k >> 2)] |= points[from + len - 1 - k] << ((k & 3) << 3);
      }
      groupAt[e] = x + REC_CHARS + ((len + 3) >> 2);
    }
    const entries = this.#groups = new Int32Array(2 << gbits);
    for (let e = 0; e <= groupMask; e++) {
      const w = e * GROUP_WORDS, size = groups[w + GROUP_COUNT];
      if (size === 0) continue;
      entries[2 * e] = groups[w + GROUP_HASH];
      entries[2 * e + 1] = size > 0
        ? (size << ENTRY_COUNT_SHIFT) | groups[w + GROUP_START]
        : -groups[w + GROUP_REACH];
    }
    // the slots: the pieces shorter than the window and those of groups probed by dots
    bits = 4;
    while (1 << bits < slotted * 2) bits++;
    const slots = 1 << bits;
    const mask = this.#mask = slots - 1;
    const shift = this.#shift = 32 - bits;
    const words = this.#slots = new Int32Array(slots * SLOT_WORDS);
    for (let p = 0; p < pieces_; p++) {
      const e = entryOf[p];
      if (e >= 0 && groups[e * GROUP_WORDS + GROUP_COUNT] > 0) continue;
      const h = pieceHash[p];
      let slot = Math.imul(h ^ (h >>> 16), MIX) >>> shift;
      while (words[slot * SLOT_WORDS + SLOT_LENGTH] !== 0) slot = (slot + 1) & mask;
      const w = slot * SLOT_WORDS, len = length[first[p]];
      this.#lengths[len] = 1;
      words[w + SLOT_HASH] = h;
      words[w + SLOT_LENGTH] = len;
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
    // the last WINDOW characters, kept folded (reversed: buf[j] is query[n - 1 - j]) for the
    // probes to compare; a slot probe at each dot that ends a piece of the slots' lengths
    const buf = this.#buf, lengths = this.#lengths;
    buf[0] = c1;
    buf[1] = c2;
    buf[2] = c3;
    let h = Math.imul(
      Math.imul(Math.imul(FNV_OFFSET ^ c1, FNV_PRIME) ^ c2, FNV_PRIME) ^ c3,
      FNV_PRIME,
    );
    if (c3 === DOT && lengths[TAIL] === 1) count = this.#probeReversed(h, buf, TAIL, out, count);
    const m = n < WINDOW ? n : WINDOW;
    for (let j = TAIL; j < m; j++) {
      let c = query.charCodeAt(n - 1 - j);
      if (c >= 0x80) return -1;
      if (fold) c = asciiLower(c);
      buf[j] = c;
      h = Math.imul(h ^ c, FNV_PRIME);
      if (c === DOT && lengths[j + 1] === 1) count = this.#probeReversed(h, buf, j + 1, out, count);
    }
    if (n < WINDOW) return count;
    // the group of the pieces that end with the same WINDOW characters
    const groups = this.#groups, groupMask = this.#groupMask;
    let w = (Math.imul(h ^ (h >>> 16), MIX) >>> this.#groupShift) << 1;
    for (;; w = (w + 2) & ((groupMask << 1) | 1)) {
      if (groups[w + 1] === 0) return count;
      if (groups[w] === h) break;
    }
    const entry = groups[w + 1];
    if (entry > 0) {
      const size = entry >>> ENTRY_COUNT_SHIFT;
      const records = this.#records;
      const w0 = buf[0] | (buf[1] << 8) | (buf[2] << 16) | (buf[3] << 24);
      const w1 = buf[4] | (buf[5] << 8) | (buf[6] << 16) | (buf[7] << 24);
      let x = entry & ENTRY_START_MASK;
      for (let g = 0; g < size; g++) {
        const len = records[x + REC_LENGTH];
        if (len <= n && records[x + REC_CHARS] === w0 && records[x + REC_CHARS + 1] === w1) {
          let j = WINDOW;
          for (; j < len; j++) {
            let c = query.charCodeAt(n - 1 - j);
            if (c >= 0x80) return -1;
            if (fold) c = asciiLower(c);
            if (((records[x + REC_CHARS + (j >> 2)] >>> ((j & 3) << 3)) & 0xff) !== c) break;
          }
          if (j === len) {
            count = this.#appendKey(records[x + REC_KEY], records[x + REC_OFFSET], out, count);
          }
        }
        x += REC_CHARS + ((len + 3) >> 2);
      }
      return count;
    }
    // a large group: read back as far as its longest piece, a slot probe at each dot
    let reach = -entry;
    if (reach > n) reach = n;
    for (let j = WINDOW; j < reach; j++) {
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
    const lengths = this.#lengths;
    const m = n < WINDOW ? n : WINDOW;
    let h = FNV_OFFSET;
    for (let k = n - 1; k >= n - m; k--) {
      const c = src[k];
      h = Math.imul(h ^ c, FNV_PRIME);
      if (c === DOT && lengths[n - k] === 1) count = this.#probeFolded(h, src, k, n, out, count);
    }
    if (n < WINDOW) return count;
    const groups = this.#groups, groupMask = this.#groupMask;
    let w = (Math.imul(h ^ (h >>> 16), MIX) >>> this.#groupShift) << 1;
    for (;; w = (w + 2) & ((groupMask << 1) | 1)) {
      if (groups[w + 1] === 0) return count;
      if (groups[w] === h) break;
    }
    const entry = groups[w + 1];
    if (entry > 0) {
      const size = entry >>> ENTRY_COUNT_SHIFT;
      const records = this.#records;
      // (a byte or code point of 0x80 or more never equals a piece's character: kept apart)
      const w0 = byteOf(src[n - 1]) | (byteOf(src[n - 2]) << 8) | (byteOf(src[n - 3]) << 16) |
        (byteOf(src[n - 4]) << 24);
      const w1 = byteOf(src[n - 5]) | (byteOf(src[n - 6]) << 8) | (byteOf(src[n - 7]) << 16) |
        (byteOf(src[n - 8]) << 24);
      let x = entry & ENTRY_START_MASK;
      for (let g = 0; g < size; g++) {
        const len = records[x + REC_LENGTH];
        if (len <= n && records[x + REC_CHARS] === w0 && records[x + REC_CHARS + 1] === w1) {
          let j = WINDOW;
          while (
            j < len &&
            ((records[x + REC_CHARS + (j >> 2)] >>> ((j & 3) << 3)) & 0xff) === src[n - 1 - j]
          ) j++;
          if (j === len) {
            count = this.#appendKey(records[x + REC_KEY], records[x + REC_OFFSET], out, count);
          }
        }
        x += REC_CHARS + ((len + 3) >> 2);
      }
      return count;
    }
    let reach = -entry;
    if (reach > n) reach = n;
    for (let k = n - WINDOW - 1; k >= n - reach; k--) {
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
    const slots = this.#slots;
    return this.#appendKey(slots[w + SLOT_KEY], slots[w + SLOT_OFFSET], out, count);
  }

  // Appends a piece's key and its data offset, given as SLOT_KEY and SLOT_OFFSET hold them (a
  // piece of several keys: each of its keys).
  #appendKey(key: number, offset: number, out: Uint32Array, count: number): number {
    const offsets = this.#offsetsOut;
    if (key >= 0) {
      out[count] = key;
      offsets[count] = offset;
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

/** A character or byte as a record holds it: 0x80 or more as 0xff, which no piece holds. */
function byteOf(c: number): number {
  return c < 0x80 ? c : 0xff;
}

/** The upper-case twin of an ASCII lower-case letter (other characters unchanged). */
function asciiUpper(c: number): number {
  return c >= 97 && c <= 122 ? c - 32 : c;
}
