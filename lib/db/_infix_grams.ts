/**
 * The infix automaton's patterns answered by q-grams instead of the automaton's walk: each
 * pattern whose indexed piece is ASCII is represented by one q-character window (q = 4, or up
 * to 6 when the matcher asks again for longer windows; shorter when some such pattern has no
 * ASCII literal run that long, but at least 2) of one ASCII literal run of its
 * program — the window the patterns' own text holds least often (the pattern cannot match a
 * query that lacks any of its runs; its indexed piece is one of them). A query is read once;
 * at each position the last q characters, packed 7 bits each into one integer, are hashed into
 * a bit set of the windows (32 KiB, read independently at each position: no chain of dependent
 * table reads as in the automaton's walk). A set bit sends the window to an exact table; each
 * run it represents is compared with the query where it would lie, and the patterns whose run
 * is there are candidates, as the automaton's are (a pattern whose program is its indexed piece
 * between two stars has that piece as its only run, so an index hit is still its match).
 *
 * Built from the glob section when the matcher has answered a few thousand queries (nothing is
 * stored in the file); used for ASCII queries only (a piece with a non-ASCII character cannot
 * occur in one). Not used when such a piece is shorter than 2 characters.
 *
 * @module
 */
import { forEachLiteralRun } from "../pattern/mod.ts";
import { FormatError } from "../format/format_error.ts";
import type { GlobIndex } from "../format/glob_index.ts";
import type { AhoCorasickScan } from "../pattern/mod.ts";
import { asciiLower } from "../core/ascii.ts";
import { sharedCopy } from "../core/shared_copy.ts";

// Windows of up to 4 characters at first (InfixGrams.of's default), of up to MAX_Q when the
// matcher asks again because too many windows reached the exact table.
const FIRST_MAX_Q = 4;
const MAX_Q = 6;
const MIN_Q = 2;
// A window's value: its characters packed gramShift(q) bits each (xor: up to 4 characters, 7
// bits each, are the characters themselves; 5 or 6 share values, which costs a comparison, not
// a wrong answer: a probe compares the whole run).
const GRAM_BITS = 30;
// The bit set: 2^FILTER_BITS bits (32 KiB).
const FILTER_BITS = 18;
const FILTER_SHIFT = 32 - FILTER_BITS;
const GOLDEN = 0x9e3779b1 | 0;
const MIX = 0x85ebca6b | 0;

/** An {@linkcode InfixGrams}' arrays in shared memory, for another thread to view. */
export interface InfixGramsShare {
  /** The window length. */
  q: number;
  /** The window length of a table of longer windows (at most 6) over the same patterns. */
  longerQ: number;
  /** The bit set of the windows' hashes. */
  filter: Int32Array;
  /** Per slot, the window (-1 = empty). */
  slotGram: Int32Array;
  /** Per slot, where its entries start; entries of slot `s` end where `s`'s next start is. */
  slotFrom: Int32Array;
  /** Per slot, where its entries end. */
  slotTo: Int32Array;
  /** Per entry, the key. */
  entryKey: Uint32Array;
  /** Per entry, where its piece's characters start in `chars`. */
  entryAt: Int32Array;
  /** Per entry, its piece's length. */
  entryLength: Int32Array;
  /** Per entry, where the window lies in its piece. */
  entryOffset: Int32Array;
  /** The pieces' characters. */
  chars: Uint8Array;
  /** Whether queries are folded. */
  fold: boolean;
}

/** The automaton's key pieces, which of them are all ASCII, and their counts. */
export interface AsciiPieces {
  /** The pieces (`AhoCorasick.keyPieces()`). */
  pieces: { keys: Uint32Array; at: Int32Array; length: Int32Array; bytes: Uint8Array };
  /** 1 for each piece that is all ASCII (only those can occur in an ASCII query). */
  ascii: Uint8Array;
  /** How many pieces are all ASCII. */
  count: number;
  /** Their bytes in all. */
  total: number;
  /** The shortest of them, at most `most`. */
  shortest: number;
}

/**
 * The ASCII pieces of a glob section's automaton, as the q-gram and long-window tables index
 * them; null when one is shorter than {@linkcode MIN_Q} (no window can stand for it).
 *
 * @param globs The checked glob section (its automaton is not empty).
 * @param most The longest window wanted.
 * @returns The pieces, or null.
 */
export function asciiPieces(globs: GlobIndex, most: number): AsciiPieces | null {
  const pieces = globs.automaton.keyPieces();
  const n = pieces.keys.length;
  const ascii = new Uint8Array(n);
  let shortest = most, count = 0, total = 0;
  for (let i = 0; i < n; i++) {
    const at = pieces.at[i], len = pieces.length[i];
    let ok = 1;
    for (let k = at; k < at + len; k++) if (pieces.bytes[k] >= 0x80) ok = 0;
    if (ok === 0) continue;
    ascii[i] = 1;
    count++;
    total += len;
    if (len < shortest) shortest = len;
  }
  return shortest < MIN_Q ? null : { pieces, ascii, count, total, shortest };
}

/** The q-gram table of the infix pieces (see the module). */
export class InfixGrams {
  /** The window length. */
  readonly q: number;
  /** The window length a table of longer windows over the same patterns would have. */
  readonly longerQ: number;
  readonly #gramShift: number;
  readonly #gramMask: number;
  readonly #filter: Int32Array;
  readonly #slotGram: Int32Array;
  readonly #slotFrom: Int32Array;
  readonly #slotTo: Int32Array;
  readonly #slotShift: number;
  readonly #slotMask: number;
  readonly #entryKey: Uint32Array;
  readonly #entryAt: Int32Array;
  readonly #entryLength: Int32Array;
  readonly #entryOffset: Int32Array;
  readonly #chars: Uint8Array;
  readonly #fold: boolean;
  // windows whose bit is set, found during the pass: (position of the window's last character)
  #pending = new Int32Array(64);
  /** How many windows {@linkcode InfixGrams.collectOf} sent to the exact table (a statistic). */
  probes = 0;
  /** How many characters it read (a statistic). */
  chars = 0;

  private constructor(s: InfixGramsShare) {
    this.q = s.q;
    this.longerQ = s.longerQ;
    this.#gramShift = gramShift(s.q);
    this.#gramMask = gramMask(s.q);
    this.#filter = s.filter;
    this.#slotGram = s.slotGram;
    this.#slotFrom = s.slotFrom;
    this.#slotTo = s.slotTo;
    this.#slotMask = s.slotGram.length - 1;
    this.#slotShift = 32 - Math.log2(s.slotGram.length);
    this.#entryKey = s.entryKey;
    this.#entryAt = s.entryAt;
    this.#entryLength = s.entryLength;
    this.#entryOffset = s.entryOffset;
    this.#chars = s.chars;
    this.#fold = s.fold;
  }

  /**
   * The table over arrays another thread built ({@linkcode InfixGrams.share}).
   *
   * @param s The shared arrays.
   * @returns The table.
   */
  static fromShare(s: InfixGramsShare): InfixGrams {
    return new InfixGrams(s);
  }

  /**
   * This table's arrays, copied into shared memory.
   *
   * @returns The arrays.
   */
  share(): InfixGramsShare {
    return {
      q: this.q,
      longerQ: this.longerQ,
      filter: sharedCopy(this.#filter),
      slotGram: sharedCopy(this.#slotGram),
      slotFrom: sharedCopy(this.#slotFrom),
      slotTo: sharedCopy(this.#slotTo),
      entryKey: sharedCopy(this.#entryKey),
      entryAt: sharedCopy(this.#entryAt),
      entryLength: sharedCopy(this.#entryLength),
      entryOffset: sharedCopy(this.#entryOffset),
      chars: sharedCopy(this.#chars),
      fold: this.#fold,
    };
  }

  /**
   * The table of a glob section's infix pieces, or null when the automaton is empty or a piece
   * is shorter than 2 bytes.
   *
   * @param globs The checked glob section.
   * @param fold Whether queries are folded to lower case (the pieces already are).
   * @param maxQ The longest window (at most 6; default 4).
   * @returns The table, or null.
   */
  static of(globs: GlobIndex, fold: boolean, maxQ: number = FIRST_MAX_Q): InfixGrams | null {
    const most = Math.min(maxQ, MAX_Q);
    if (globs.automaton.isEmpty) return null;
    const a = asciiPieces(globs, most);
    if (a === null) return null;
    const { pieces, ascii, count, total, shortest } = a;
    const n = pieces.keys.length;
    const programs = globs.programs;
    // q: as long as every such pattern has an ASCII run that long (its indexed piece is one
    // run, so at least the shortest piece), at most `most`
    // (longerQ: the same up to MAX_Q, what a table of longer windows would have)
    let longerQ = MAX_Q, longest = 0;
    const measureRun = (from: number, to: number): void => {
      for (let k = from; k < to; k++) if (programs[k] >= 0x80) return;
      if (to - from > longest) longest = to - from;
    };
    for (let i = 0; i < n && longerQ > shortest; i++) {
      if (ascii[i] === 0) continue;
      longest = 0;
      forEachLiteralRun(programs, globs.programStart(pieces.keys[i]), measureRun);
      if (longest < longerQ) longerQ = longest;
    }
    if (longerQ < shortest) longerQ = shortest;
    const q = Math.min(most, longerQ);
    // Each pattern is represented by a window of an ASCII literal run of its program at least
    // q long (its indexed piece is one: the pattern cannot match a query that lacks the run):
    // the window the patterns' own text holds least often (patterns are written to match the
    // queries they meet: their text is the best sample of the queries the table has). A
    // window chosen counts once more.
    const mask = gramMask(q), shift = gramShift(q);
    const seen = new GramCounts(Math.min(programs.length, 1 << 12));
    const countRun = (from: number, to: number): void => {
      let g = 0;
      for (let k = from; k < to; k++) {
        const ch = programs[k];
        if (ch >= 0x80) return;
        g = ((g << shift) ^ ch) & mask;
        if (k - from >= q - 1) seen.add(g);
      }
    };
    for (let id = 0; id < globs.count; id++) {
      forEachLiteralRun(programs, globs.programStart(id), countRun);
    }
    const chosen = new GramCounts(count);
    let distinct = 0;
    const entryGram = new Int32Array(count);
    const entryKey = new Uint32Array(count), entryAt = new Int32Array(count);
    const entryLength = new Int32Array(count), entryOffset = new Int32Array(count);
    let chars = new Uint8Array(total);
    let e = 0, c = 0;
    let bestFrom = 0, bestTo = 0, best = 0, bestScore = Infinity, bestGram = 0;
    const consider = (from: number, to: number): void => {
      if (to - from < q) return;
      for (let k = from; k < to; k++) if (programs[k] >= 0x80) return;
      let g = 0;
      for (let k = from; k < to; k++) {
        g = ((g << shift) ^ programs[k]) & mask;
        if (k - from < q - 1) continue;
        const score = seen.get(g);
        if (score < bestScore) {
          bestScore = score;
          bestFrom = from;
          bestTo = to;
          best = k - q + 1 - from;
          bestGram = g;
        }
      }
    };
    for (let i = 0; i < n; i++) {
      if (ascii[i] === 0) continue;
      bestScore = Infinity;
      forEachLiteralRun(programs, globs.programStart(pieces.keys[i]), consider);
      if (bestScore === Infinity) {
        throw new FormatError(
          "bad-section",
          "Glob section: an indexed piece is not in its program",
        );
      }
      seen.add(bestGram);
      if (chosen.add(bestGram) === 1) distinct++;
      const len = bestTo - bestFrom;
      entryGram[e] = bestGram;
      entryKey[e] = pieces.keys[i];
      entryAt[e] = c;
      entryLength[e] = len;
      entryOffset[e] = best;
      if (c + len > chars.length) {
        const more = new Uint8Array(2 * chars.length + len);
        more.set(chars);
        chars = more;
      }
      for (let k = 0; k < len; k++) chars[c + k] = programs[bestFrom + k];
      c += len;
      e++;
    }
    // the exact table: open addressing over the distinct windows, entries grouped per slot
    let bits = 4;
    while (1 << bits < distinct * 2) bits++;
    const slots = 1 << bits, slotMask = slots - 1, slotShift = 32 - bits;
    const slotGram = new Int32Array(slots).fill(-1);
    const slotOf = new Int32Array(count);
    const slotCount = new Int32Array(slots);
    const filter = new Int32Array(1 << (FILTER_BITS - 5));
    for (let x = 0; x < count; x++) {
      const g = entryGram[x];
      let slot = Math.imul(g, MIX) >>> slotShift;
      while (slotGram[slot] !== -1 && slotGram[slot] !== g) slot = (slot + 1) & slotMask;
      slotGram[slot] = g;
      slotOf[x] = slot;
      slotCount[slot]++;
      const h = Math.imul(g, GOLDEN) >>> FILTER_SHIFT;
      filter[h >>> 5] |= 1 << (h & 31);
    }
    const slotFrom = new Int32Array(slots), slotTo = new Int32Array(slots);
    for (let s = 0, sum = 0; s < slots; s++) {
      slotFrom[s] = slotTo[s] = sum;
      sum += slotCount[s];
    }
    const order = new Int32Array(count);
    for (let x = 0; x < count; x++) order[slotTo[slotOf[x]]++] = x;
    const pick = <T extends Int32Array | Uint32Array>(a: T): T => {
      const out = a.slice() as T;
      for (let k = 0; k < count; k++) out[k] = a[order[k]];
      return out;
    };
    return new InfixGrams({
      q,
      longerQ,
      filter,
      slotGram,
      slotFrom,
      slotTo,
      entryKey: pick(entryKey),
      entryAt: pick(entryAt),
      entryLength: pick(entryLength),
      entryOffset: pick(entryOffset),
      chars: chars.slice(0, c),
      fold,
    });
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
    const n = query.length, fold = this.#fold, filter = this.#filter;
    const gramMask = this.#gramMask, last = this.q - 1;
    const shift = this.#gramShift;
    if (this.#pending.length < 2 * n) this.#pending = new Int32Array(n * 4);
    const pending = this.#pending;
    let g = 0, hits = 0;
    // two copies of the loop: a test of `fold` inside costs a third of the pass
    if (fold) {
      for (let i = 0; i < n; i++) {
        let c = query.charCodeAt(i);
        if (c >= 0x80) return -1;
        c = asciiLower(c);
        points[i] = c;
        g = ((g << shift) ^ c) & gramMask;
        const h = Math.imul(g, GOLDEN) >>> FILTER_SHIFT;
        if ((filter[h >>> 5] & (1 << (h & 31))) !== 0 && i >= last) {
          pending[hits++] = i;
          pending[hits++] = g;
        }
      }
    } else {
      for (let i = 0; i < n; i++) {
        const c = query.charCodeAt(i);
        if (c >= 0x80) return -1;
        points[i] = c;
        g = ((g << shift) ^ c) & gramMask;
        const h = Math.imul(g, GOLDEN) >>> FILTER_SHIFT;
        if ((filter[h >>> 5] & (1 << (h & 31))) !== 0 && i >= last) {
          pending[hits++] = i;
          pending[hits++] = g;
        }
      }
    }
    this.probes += hits >> 1;
    this.chars += n;
    for (let k = 0; k < hits; k += 2) this.#probe(pending[k], pending[k + 1], points, n, scan);
    return scan.count;
  }

  /**
   * {@linkcode InfixGrams.collectOf} over character codes already read and folded (all below
   * 0x80).
   *
   * @param points The character codes.
   * @param n How many.
   * @param scan The output buffer and de-duplication marks.
   * @returns The new number of keys in `scan.out` (also stored in `scan.count`).
   */
  collectPoints(points: Int32Array, n: number, scan: AhoCorasickScan): number {
    const filter = this.#filter, gramMask = this.#gramMask, last = this.q - 1;
    const shift = this.#gramShift;
    let g = 0;
    for (let i = 0; i < n; i++) {
      g = ((g << shift) ^ points[i]) & gramMask;
      const h = Math.imul(g, GOLDEN) >>> FILTER_SHIFT;
      if ((filter[h >>> 5] & (1 << (h & 31))) !== 0 && i >= last) {
        this.probes++;
        this.#probe(i, g, points, n, scan);
      }
    }
    this.chars += n;
    return scan.count;
  }

  // The window ending at character i: each piece it stands for, compared where it would lie.
  #probe(i: number, g: number, points: Int32Array, n: number, scan: AhoCorasickScan): void {
    const q = this.q;
    const slotGram = this.#slotGram, mask = this.#slotMask;
    let slot = Math.imul(g, MIX) >>> this.#slotShift;
    for (;; slot = (slot + 1) & mask) {
      const s = slotGram[slot];
      if (s === -1) return;
      if (s === g) break;
    }
    const chars = this.#chars, seen = scan.seen, stamp = scan.stamp, out = scan.out;
    for (let x = this.#slotFrom[slot], e = this.#slotTo[slot]; x < e; x++) {
      const len = this.#entryLength[x];
      const start = i - q + 1 - this.#entryOffset[x];
      if (start < 0 || start + len > n) continue;
      const key = this.#entryKey[x];
      if (seen[key] === stamp) continue;
      const at = this.#entryAt[x] - start;
      let k = start;
      while (k < start + len && chars[at + k] === points[k]) k++;
      if (k === start + len) {
        seen[key] = stamp;
        out[scan.count++] = key;
      }
    }
  }
}

// The bits per character of a q-character window, and the mask of its value.
function gramShift(q: number): number {
  return q <= 4 ? 7 : Math.floor(GRAM_BITS / q);
}

function gramMask(q: number): number {
  return (1 << (gramShift(q) * q)) - 1;
}

// How many pieces chose each window: open addressing over the packed windows (build time), key
// and count side by side (one cache line per probe), grown as windows come (a table sized for
// every window of a large section would be megabytes of mostly empty slots, each probe a miss).
class GramCounts {
  /** Key (-1: empty) and count of each slot. */
  #slots: Int32Array;
  #shift: number;
  #mask: number;
  #size = 0;

  constructor(expected: number) {
    let bits = 4;
    while (1 << bits < expected * 2) bits++;
    this.#slots = new Int32Array(2 << bits).fill(-1);
    this.#shift = 32 - bits;
    this.#mask = (1 << bits) - 1;
  }

  #slot(g: number): number {
    const slots = this.#slots;
    let slot = Math.imul(g, MIX) >>> this.#shift;
    while (slots[2 * slot] !== -1 && slots[2 * slot] !== g) slot = (slot + 1) & this.#mask;
    return slot;
  }

  add(g: number): number {
    let slot = this.#slot(g);
    if (this.#slots[2 * slot] === -1) {
      if (2 * (this.#size + 1) > this.#mask + 1) {
        this.#grow();
        slot = this.#slot(g);
      }
      this.#size++;
      this.#slots[2 * slot] = g;
      this.#slots[2 * slot + 1] = 0;
    }
    return ++this.#slots[2 * slot + 1];
  }

  get(g: number): number {
    const slot = this.#slot(g);
    const slots = this.#slots;
    return slots[2 * slot] === -1 ? 0 : slots[2 * slot + 1];
  }

  #grow(): void {
    const old = this.#slots;
    const bits = 33 - this.#shift;
    this.#slots = new Int32Array(2 << bits).fill(-1);
    this.#shift = 32 - bits;
    this.#mask = (1 << bits) - 1;
    for (let i = 0; i < old.length; i += 2) {
      const g = old[i];
      if (g === -1) continue;
      const slot = this.#slot(g);
      this.#slots[2 * slot] = g;
      this.#slots[2 * slot + 1] = old[i + 1];
    }
  }
}
