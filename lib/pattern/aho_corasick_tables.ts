/**
 * The layout of an Aho-Corasick automaton over byte strings, flattened into typed arrays so
 * that it can be stored in a file and walked in place without allocation. Built by
 * ./aho_corasick_build.ts, walked by ./aho_corasick.ts, stored by the glob section.
 *
 * States are numbered so that the shallow states — where a walk over text spends most of its
 * time — come first: the first `K` (those with a dense row, below) breadth-first from 0 (the
 * root), children in byte order; the subtrees below them depth-first, so a walk down a chain of
 * single-edge states reads consecutive records. Every edge leads to a higher number. Each state
 * is one 4-word record in `nodes` (one cache line holds four):
 *
 * | word              | meaning                                                                |
 * | ----------------- | ---------------------------------------------------------------------- |
 * | 0 `NODE_FAIL`     | failure link (a shallower state; an earlier one for the first `K`)     |
 * | 1 `NODE_TARGET`   | the target of its edge (one edge) or where its edges start in `edges`  |
 * | 2 `NODE_INFO`     | bits 0–8 edge count; bits 9–16 the byte of a single edge; bit 17 (`INFO_HAS_OUTPUT`) the state has outputs |
 * | 3 `NODE_DICT`     | dictionary link: nearest state on the failure chain with outputs, or -1 |
 *
 * `edges` holds `(byte, target)` pairs (`EDGE_WORDS` words each) sorted by byte within each
 * state. `outStart[s] … outStart[s+1]` slices `outList`, the keys (pattern numbers) whose piece
 * ends at `s`.
 *
 * On top of these sparse tables, the first `K` states (the shallowest) also get a dense row of
 * `C` transitions, one per byte class: `classes` maps each byte to its class, 0 for the bytes
 * no piece contains and one class of its own for every other byte. A row entry is the target
 * state, with a flag set when that state reports something (bit 15 of a 16-bit entry, used
 * when every state number fits in 15 bits; bit 30 of a 32-bit one). In an automaton the rows are
 * resolved (failure links already followed: a full DFA over the dense states), so the common
 * step is one table read; in a trie (walked anchored, without failure links) they hold the
 * edges alone, 0 for none. States beyond `K` step through the sparse tables, falling back along
 * failure links until a dense state answers.
 *
 * @module
 */

/** Words per state record in `nodes`. */
export const NODE_WORDS = 4;
/** State word 0: the failure link. */
export const NODE_FAIL = 0;
/** State word 1: the single edge's target, or where the state's edges start in `edges`. */
export const NODE_TARGET = 1;
/** State word 2: edge count, single-edge byte and output flag. */
export const NODE_INFO = 2;
/** State word 3: the dictionary link, or -1. */
export const NODE_DICT = 3;

/** {@linkcode NODE_INFO} bits 0–8: the number of edges. */
export const INFO_EDGE_COUNT = 0x1ff;
/** {@linkcode NODE_INFO} bits 9–16 hold the byte of a single edge: shift right by this. */
export const INFO_EDGE_BYTE_SHIFT = 9;
/** {@linkcode NODE_INFO} bit 17: the state itself reports keys. */
export const INFO_HAS_OUTPUT = 1 << 17;
/** Every bit {@linkcode NODE_INFO} may use. */
export const INFO_BITS = INFO_HAS_OUTPUT | 0x1ffff;

/** Words per edge in `edges`: the byte, then the target. */
export const EDGE_WORDS = 2;
/** Edge word 0: the byte. */
export const EDGE_BYTE = 0;
/** Edge word 1: the target state. */
export const EDGE_TARGET = 1;

/** Set in a 32-bit dense entry whose target state reports keys. */
export const DENSE_REPORTS = 1 << 30;
/** The target state of a 32-bit dense entry. */
export const DENSE_STATE = DENSE_REPORTS - 1;
/** Set in a 16-bit dense entry whose target state reports keys. */
export const DENSE16_REPORTS = 1 << 15;
/** The most states an automaton with 16-bit dense entries may have. */
export const DENSE16_MAX_STATES = 0x7fff;

/** The automaton's flattened tables. */
export interface AhoCorasickTables {
  /** Four words per state (see the module documentation). */
  nodes: Int32Array;
  /** `(byte, target)` pairs of states with two or more edges. */
  edges: Int32Array;
  /** Per state, where its outputs start in `outList`; length states + 1. */
  outStart: Uint32Array;
  /** Output keys. */
  outList: Uint32Array;
  /** The class of every byte (256 entries). */
  classes: Uint8Array;
  /** The number of byte classes `C` (class 0 included). */
  classCount: number;
  /** The number of states `K` with a dense row (at least 1: the root). */
  denseStates: number;
  /**
   * `K × C` transitions (see the module documentation): 16-bit entries (state in bits 0–14,
   * bit 15 set when it reports) when the automaton has at most 32,767 states (unless built
   * with `denseWidth: 32`), else 32-bit (bit 30).
   */
  dense: Int32Array | Uint16Array;
  /** Whether the dense rows follow failure links (an automaton) or only edges (a trie). */
  resolved: boolean;
}

/**
 * Pieces stored side by side: key `i` reports `bytes[start[i] .. end[i])`, or nothing when the
 * range is empty.
 */
export interface PieceList {
  /** The bytes of all pieces. */
  bytes: Uint8Array;
  /** Where each key's piece starts. */
  start: Int32Array;
  /** Where each key's piece ends (exclusive). */
  end: Int32Array;
}

/**
 * Dense rows in their stored width: 16-bit entries for an automaton of at most
 * {@linkcode DENSE16_MAX_STATES} states (half the cache footprint), else the 32-bit entries as
 * computed.
 *
 * @param dense The rows with 32-bit entries.
 * @param states The automaton's number of states.
 * @returns 16-bit rows, or `dense` itself.
 */
export function narrowDense(dense: Int32Array, states: number): Int32Array | Uint16Array {
  if (states > DENSE16_MAX_STATES) return dense;
  const out = new Uint16Array(dense.length);
  for (let i = 0; i < dense.length; i++) {
    const v = dense[i];
    out[i] = (v & DENSE_STATE) | ((v & DENSE_REPORTS) !== 0 ? DENSE16_REPORTS : 0);
  }
  return out;
}
