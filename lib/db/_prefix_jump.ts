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

/** The jump table (see the module). */
/** A {@linkcode PrefixJump}'s arrays in shared memory, for another thread to view. */
export interface PrefixJumpShare {
  /** How many characters a probe reads. */
  depth: number;
  /** Per slot, the path's hash. */
  slotHash: Int32Array;
  /** Per slot, the state (0 = empty). */
  slotState: Int32Array;
  /** Per slot, where the path's bytes are in `paths`. */
  slotAt: Int32Array;
  /** The paths' bytes. */
  paths: Uint8Array;
  /** Whether queries are folded. */
  fold: boolean;
}

export class PrefixJump {
  /** How many characters a probe reads. */
  readonly depth: number;
  readonly #slotHash: Int32Array;
  readonly #slotState: Int32Array; // 0 = empty
  readonly #slotAt: Int32Array; // where the path's bytes are in #paths
  readonly #paths: Uint8Array;
  readonly #mask: number;
  readonly #shift: number;
  readonly #fold: boolean;

  private constructor(trie: AhoCorasick | PrefixJumpShare, depth: number, fold: boolean) {
    this.depth = depth;
    this.#fold = fold;
    if ("slotHash" in trie) {
      const size = trie.slotHash.length;
      this.#mask = size - 1;
      this.#shift = 32 - Math.log2(size);
      this.#slotHash = trie.slotHash;
      this.#slotState = trie.slotState;
      this.#slotAt = trie.slotAt;
      this.#paths = trie.paths;
      return;
    }
    const { states, bytes } = trie.statesAt(depth);
    const n = states.length;
    let bits = 4;
    while (1 << bits < n * 2) bits++;
    this.#mask = (1 << bits) - 1;
    this.#shift = 32 - bits;
    this.#slotHash = new Int32Array(1 << bits);
    this.#slotState = new Int32Array(1 << bits);
    this.#slotAt = new Int32Array(1 << bits);
    this.#paths = bytes;
    for (let i = 0; i < n; i++) {
      let h = FNV_OFFSET;
      for (let k = i * depth; k < (i + 1) * depth; k++) h = Math.imul(h ^ bytes[k], FNV_PRIME);
      let slot = Math.imul(h ^ (h >>> 16), MIX) >>> this.#shift;
      while (this.#slotState[slot] !== 0) slot = (slot + 1) & this.#mask;
      this.#slotHash[slot] = h;
      this.#slotState[slot] = states[i];
      this.#slotAt[slot] = i * depth;
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
      slotHash: sharedCopy(this.#slotHash),
      slotState: sharedCopy(this.#slotState),
      slotAt: sharedCopy(this.#slotAt),
      paths: sharedCopy(this.#paths),
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
    let h = FNV_OFFSET;
    for (let k = 0; k < depth; k++) h = Math.imul(h ^ points[k], FNV_PRIME);
    const mask = this.#mask, paths = this.#paths;
    for (let slot = Math.imul(h ^ (h >>> 16), MIX) >>> this.#shift;; slot = (slot + 1) & mask) {
      const s = this.#slotState[slot];
      if (s === 0) return 0;
      if (this.#slotHash[slot] !== h) continue;
      const at = this.#slotAt[slot];
      let k = 0;
      while (k < depth && paths[at + k] === points[k]) k++;
      if (k === depth) return s;
    }
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
    let h = FNV_OFFSET;
    for (let k = 0; k < depth; k++) {
      let c = query.charCodeAt(k);
      if (c >= 0x80) return -1;
      if (fold) c = asciiLower(c);
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    const mask = this.#mask, paths = this.#paths;
    for (let slot = Math.imul(h ^ (h >>> 16), MIX) >>> this.#shift;; slot = (slot + 1) & mask) {
      const s = this.#slotState[slot];
      if (s === 0) return 0;
      if (this.#slotHash[slot] !== h) continue;
      const at = this.#slotAt[slot];
      let k = 0;
      if (fold) { while (k < depth && paths[at + k] === asciiLower(query.charCodeAt(k))) k++; }
      else while (k < depth && paths[at + k] === query.charCodeAt(k)) k++;
      if (k === depth) return s;
    }
  }
}
