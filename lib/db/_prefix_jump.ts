/**
 * A jump table over the prefix trie: the state its first L edges lead to, found by one hash
 * probe on the query's first L characters instead of L dependent steps (L = the shortest
 * prefix piece's length, at most 8, at least 3; no piece is shorter, so no state above depth L
 * reports anything). A query whose first L characters lead nowhere has no prefix candidate.
 * Built from the trie when the matcher has answered a few thousand queries (nothing is stored
 * in the file).
 *
 * @module
 */
import type { AhoCorasick } from "../pattern/mod.ts";
import { asciiLower } from "../core/ascii.ts";
import { sharedCopy } from "../core/shared_copy.ts";

const MAX_L = 8;
const MIN_L = 3;
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const MIX = 0x85ebca6b | 0;

// A slot's words, side by side (one cache line per probe): the path's hash, its state (0 =
// empty) and its bytes packed four to a word (the first in the low byte; MAX_L bytes at most).
const SLOT_WORDS = 4;
const SLOT_HASH = 0;
const SLOT_STATE = 1;
const SLOT_PATH = 2;
// A bit set of the paths' hashes (2^PRESENT_BITS bits, 4 KiB: stays in the first-level cache), read
// before the slots: most queries whose first characters lead nowhere end without reading them.
const PRESENT_BITS = 15;
const GOLDEN = 0x9e3779b1 | 0;

/** A {@linkcode PrefixJump}'s arrays in shared memory, for another thread to view. */
export interface PrefixJumpShare {
  /** How many characters a probe reads. */
  depth: number;
  /** Per slot, SLOT_WORDS words: the path's hash, its state (0 = empty), its bytes packed. */
  slots: Int32Array;
  /** The bit set of the paths' hashes. */
  present: Int32Array;
  /** Whether queries are folded. */
  fold: boolean;
}

/** The jump table (see the module). */
export class PrefixJump {
  /** How many characters a probe reads. */
  readonly depth: number;
  readonly #slots: Int32Array;
  readonly #present: Int32Array;
  readonly #mask: number;
  readonly #shift: number;
  readonly #fold: boolean;

  private constructor(trie: AhoCorasick | PrefixJumpShare, depth: number, fold: boolean) {
    this.depth = depth;
    this.#fold = fold;
    if ("slots" in trie) {
      const size = trie.slots.length / SLOT_WORDS;
      this.#mask = size - 1;
      this.#shift = 32 - Math.log2(size);
      this.#slots = trie.slots;
      this.#present = trie.present;
      return;
    }
    const { states, bytes } = trie.statesAt(depth);
    const n = states.length;
    let bits = 4;
    while (1 << bits < n * 2) bits++;
    this.#mask = (1 << bits) - 1;
    this.#shift = 32 - bits;
    const slots = this.#slots = new Int32Array(SLOT_WORDS << bits);
    const present = this.#present = new Int32Array(1 << (PRESENT_BITS - 5));
    for (let i = 0; i < n; i++) {
      let h = FNV_OFFSET, w0 = 0, w1 = 0;
      for (let k = 0; k < depth; k++) {
        const c = bytes[i * depth + k];
        h = Math.imul(h ^ c, FNV_PRIME);
        if (k < 4) w0 |= c << (k << 3);
        else w1 |= c << ((k - 4) << 3);
      }
      let slot = Math.imul(h ^ (h >>> 16), MIX) >>> this.#shift;
      while (slots[slot * SLOT_WORDS + SLOT_STATE] !== 0) slot = (slot + 1) & this.#mask;
      const w = slot * SLOT_WORDS;
      slots[w + SLOT_HASH] = h;
      slots[w + SLOT_STATE] = states[i];
      slots[w + SLOT_PATH] = w0;
      slots[w + SLOT_PATH + 1] = w1;
      const b = Math.imul(h, GOLDEN) >>> (32 - PRESENT_BITS);
      present[b >>> 5] |= 1 << (b & 31);
    }
  }

  /**
   * The table over arrays another thread built ({@linkcode PrefixJump.share}).
   *
   * @param s The shared arrays.
   * @returns The table.
   */
  static fromShare(s: PrefixJumpShare): PrefixJump {
    return new PrefixJump(s, s.depth, s.fold);
  }

  /**
   * This table's arrays, copied into shared memory.
   *
   * @returns The arrays.
   */
  share(): PrefixJumpShare {
    return {
      depth: this.depth,
      slots: sharedCopy(this.#slots),
      present: sharedCopy(this.#present),
      fold: this.#fold,
    };
  }

  /**
   * The jump table of a prefix trie, or null when a piece is shorter than 3 bytes (or the trie
   * is empty).
   *
   * @param trie The prefix trie.
   * @param fold Whether queries are folded to lower case.
   * @returns The table, or null.
   */
  static of(trie: AhoCorasick, fold: boolean): PrefixJump | null {
    const { shortest } = trie.statesAt(MAX_L);
    const depth = shortest < 0 ? MAX_L : shortest;
    if (depth < MIN_L) return null;
    return new PrefixJump(trie, depth, fold);
  }

  /**
   * {@linkcode PrefixJump.stateOf} over character codes already read and folded (all below
   * 0x80), at least {@linkcode PrefixJump.depth} of them.
   *
   * @param points The character codes.
   * @returns The state, or 0 when the first characters lead nowhere.
   */
  stateOfPoints(points: Int32Array): number {
    const depth = this.depth;
    let h = FNV_OFFSET, w0 = 0, w1 = 0;
    const first = depth < 4 ? depth : 4;
    for (let k = 0; k < first; k++) {
      const c = points[k];
      h = Math.imul(h ^ c, FNV_PRIME);
      w0 |= c << (k << 3);
    }
    for (let k = 4; k < depth; k++) {
      const c = points[k];
      h = Math.imul(h ^ c, FNV_PRIME);
      w1 |= c << ((k - 4) << 3);
    }
    return this.#probe(h, w0, w1);
  }

  /**
   * The state the query's first {@linkcode PrefixJump.depth} characters lead to: 0 when they
   * lead nowhere (no prefix piece can match), -1 when one of them is not ASCII (walk the
   * trie). The query must be at least that long.
   *
   * @param query The query.
   * @returns The state, 0 or -1.
   */
  stateOf(query: string): number {
    const depth = this.depth, fold = this.#fold;
    let h = FNV_OFFSET, w0 = 0, w1 = 0;
    for (let k = 0; k < depth; k++) {
      let c = query.charCodeAt(k);
      if (c >= 0x80) return -1;
      if (fold) c = asciiLower(c);
      h = Math.imul(h ^ c, FNV_PRIME);
      if (k < 4) w0 |= c << (k << 3);
      else w1 |= c << ((k - 4) << 3);
    }
    return this.#probe(h, w0, w1);
  }

  // The state of the path with hash h and bytes w0, w1 (packed as the slots hold them), or 0.
  #probe(h: number, w0: number, w1: number): number {
    const b = Math.imul(h, GOLDEN) >>> (32 - PRESENT_BITS);
    if ((this.#present[b >>> 5] & (1 << (b & 31))) === 0) return 0;
    const mask = this.#mask, slots = this.#slots;
    for (let slot = Math.imul(h ^ (h >>> 16), MIX) >>> this.#shift;; slot = (slot + 1) & mask) {
      const w = slot * SLOT_WORDS;
      const s = slots[w + SLOT_STATE];
      if (s === 0) return 0;
      if (
        slots[w + SLOT_HASH] === h && slots[w + SLOT_PATH] === w0 && slots[w + SLOT_PATH + 1] === w1
      ) {
        return s;
      }
    }
  }
}
