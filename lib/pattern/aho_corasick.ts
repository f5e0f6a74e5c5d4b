/**
 * Walking an Aho-Corasick automaton (tables in ./aho_corasick_tables.ts, built here or viewed in
 * a file) over query bytes or characters, allocating nothing: unanchored scans through the
 * failure links, and anchored walks from either end of a query for the tries of prefixes and
 * suffixes.
 *
 * @module
 */
import * as layout from "./aho_corasick_tables.ts";
import type { AhoCorasickTables } from "./aho_corasick_tables.ts";
import { asciiLower } from "../core/ascii.ts";

// Module-local copies of the layout's constants: V8 folds these into the walks below even when
// a walk is inlined into a caller in another module (it does not fold imported bindings there).
const NODE_WORDS = layout.NODE_WORDS;
const NODE_FAIL = layout.NODE_FAIL;
const NODE_TARGET = layout.NODE_TARGET;
const NODE_INFO = layout.NODE_INFO;
const NODE_DICT = layout.NODE_DICT;
const INFO_EDGE_COUNT = layout.INFO_EDGE_COUNT;
const INFO_EDGE_BYTE_SHIFT = layout.INFO_EDGE_BYTE_SHIFT;
const INFO_HAS_OUTPUT = layout.INFO_HAS_OUTPUT;
const EDGE_WORDS = layout.EDGE_WORDS;
const EDGE_BYTE = layout.EDGE_BYTE;
const EDGE_TARGET = layout.EDGE_TARGET;
const DENSE_REPORTS = layout.DENSE_REPORTS;
const DENSE16_REPORTS = layout.DENSE16_REPORTS;
// Sparse edges of a state scanned one by one up to this many; a binary search beyond.
const LINEAR_EDGES = 16;

const NO_POINTS = new Int32Array(0);
const TRIE_ONLY = "This table is a trie built without failure links: walk it anchored";

/** A reusable scan context for {@linkcode AhoCorasick.collect}: input, output, de-duplication. */
export interface AhoCorasickScan {
  /** The query bytes. */
  bytes: Uint8Array;
  /** How many of `bytes` to scan. */
  length: number;
  /** Receives the keys found; must hold as many as there are keys. */
  out: Uint32Array;
  /** How many keys `out` holds: the walks append after them and update it. */
  count: number;
  /** One slot per key; a key is reported once per stamp. */
  seen: Uint32Array;
  /** A number different for every query (never 0). */
  stamp: number;
  /**
   * When set and long enough, {@linkcode AhoCorasick.collectOf} stores the (folded) character
   * codes it reads here, so a caller needs no second pass over the string.
   */
  points?: Int32Array;
  /**
   * The query's character set as {@linkcode AhoCorasick.setOutputSets} compares it (words 0
   * and 1; word 2 is 1 when they hold the current query's), or unset: the anchored walks of an
   * automaton given output sets pass over the keys whose set holds a character outside it.
   */
  set?: Int32Array;
}

/**
 * Walks an automaton's tables (built here or viewed in a file) over query bytes.
 */
export class AhoCorasick {
  #nodes: Int32Array;
  #edges: Int32Array;
  #outStart: Uint32Array;
  #outList: Uint32Array;
  #classes: Uint8Array;
  #C: number;
  #K: number;
  #dense: Int32Array | Uint16Array;
  #resolved: boolean;
  // The report flag and state mask of the dense entries' width.
  #flag: number;
  #mask: number;
  // Dense states an anchored walk may use: all of a trie's, only the root of an automaton's
  // (the root's resolved row holds its edges alone).
  #anchoredK: number;
  // Per output slot, its key's character set (2 words), or null (see setOutputSets).
  #outSets: Int32Array | null = null;

  /**
   * @param tables The flattened tables.
   * @throws {RangeError} When the dense table's size disagrees with its state and class counts.
   */
  constructor(tables: AhoCorasickTables) {
    this.#nodes = tables.nodes;
    this.#edges = tables.edges;
    this.#outStart = tables.outStart;
    this.#outList = tables.outList;
    this.#classes = tables.classes;
    this.#C = tables.classCount;
    this.#K = tables.denseStates;
    this.#dense = tables.dense;
    this.#resolved = tables.resolved;
    this.#flag = tables.dense instanceof Uint16Array ? DENSE16_REPORTS : DENSE_REPORTS;
    this.#mask = this.#flag - 1;
    this.#anchoredK = tables.resolved ? 1 : tables.denseStates;
    if (
      this.#C < 1 || this.#C > 256 || this.#K < 1 || this.#dense.length !== this.#K * this.#C ||
      this.#classes.length !== 256
    ) {
      throw new RangeError(
        `Automaton dense table holds ${this.#dense.length} entries, not ${this.#K} states × ` +
          `${this.#C} classes`,
      );
    }
  }

  /** The number of states, root included. */
  get stateCount(): number {
    return this.#nodes.length / NODE_WORDS;
  }

  /** The number of states with a dense row. */
  get denseStateCount(): number {
    return this.#K;
  }

  /** Whether the dense rows follow failure links (an automaton for unanchored scans). */
  get resolved(): boolean {
    return this.#resolved;
  }

  // One unanchored step from a state without a dense row: sparse edges, else failure links
  // until a dense state answers. Returns a dense-style entry (target | flag).
  #slowStep(s: number, b: number, c: number): number {
    const nodes = this.#nodes;
    for (;;) {
      const g = nextState(nodes, this.#edges, s, nodes[s * NODE_WORDS + NODE_INFO], b);
      if (g !== 0) return g | (reportsAt(nodes, g, true) ? this.#flag : 0);
      s = nodes[s * NODE_WORDS + NODE_FAIL];
      if (s < this.#K) return this.#dense[s * this.#C + c];
    }
  }

  /**
   * Finds every key whose piece occurs anywhere in `scan.bytes[0..scan.length)` and appends
   * each (once per stamp) to `scan.out`. Allocates nothing.
   *
   * @param scan The query, the output buffer and the de-duplication marks.
   * @returns The new number of keys in `scan.out` (also stored in `scan.count`).
   * @throws {RangeError} When the table is a trie built without failure links.
   */
  collect(scan: AhoCorasickScan): number {
    const flag = this.#flag, mask = this.#mask;
    if (!this.#resolved) throw new RangeError(TRIE_ONLY);
    const bytes = scan.bytes;
    const length = scan.length;
    const classes = this.#classes;
    const dense = this.#dense;
    const C = this.#C, K = this.#K;
    let s = 0;
    for (let i = 0; i < length; i++) {
      const b = bytes[i];
      const c = classes[b];
      const v = s < K ? dense[s * C + c] : this.#slowStep(s, b, c);
      s = v & mask;
      if ((v & flag) !== 0) this.#report(s, scan);
    }
    return scan.count;
  }

  // Appends the keys state `s` reports, itself and along its dictionary links, once per stamp.
  #report(s: number, scan: AhoCorasickScan): void {
    const nodes = this.#nodes, outStart = this.#outStart, outList = this.#outList;
    const out = scan.out, seen = scan.seen, stamp = scan.stamp;
    let count = scan.count;
    let t = (nodes[s * NODE_WORDS + NODE_INFO] & INFO_HAS_OUTPUT) !== 0
      ? s
      : nodes[s * NODE_WORDS + NODE_DICT];
    while (t > 0) {
      for (let k = outStart[t], e = outStart[t + 1]; k < e; k++) {
        const key = outList[k];
        if (seen[key] !== stamp) {
          seen[key] = stamp;
          out[count++] = key;
        }
      }
      t = nodes[t * NODE_WORDS + NODE_DICT];
    }
    scan.count = count;
  }

  /**
   * Gives each key a character set for the anchored walks (query-time, not stored in the
   * file): a key whose set holds a bit that the query's ({@linkcode AhoCorasickScan.set}) lacks
   * is not reported. The sets of a state's keys lie side by side, so the walk reads one or two
   * cache lines for them instead of one per key elsewhere. A set of 0 always passes.
   *
   * @param sets Two words per key (indexed by key), or null to report every key again.
   */
  setOutputSets(sets: Int32Array | null): void {
    if (sets === null) {
      this.#outSets = null;
      return;
    }
    const outList = this.#outList;
    const o = new Int32Array(2 * outList.length);
    for (let x = 0; x < outList.length; x++) {
      o[2 * x] = sets[2 * outList[x]];
      o[2 * x + 1] = sets[2 * outList[x] + 1];
    }
    this.#outSets = o;
  }

  /** Whether the automaton has no keys at all (only the root): walking it finds nothing. */
  get isEmpty(): boolean {
    return this.#nodes.length <= NODE_WORDS;
  }

  /**
   * Follows trie edges only (no failure links) from the root over `bytes[start..end)`.
   *
   * @param bytes The bytes.
   * @param start Where to start.
   * @param end Where to stop (exclusive).
   * @returns The state reached, or -1 when an edge is missing.
   */
  walk(bytes: Uint8Array, start: number, end: number): number {
    let s = 0;
    const nodes = this.#nodes;
    for (let k = start; k < end; k++) {
      s = nextState(nodes, this.#edges, s, nodes[s * NODE_WORDS + NODE_INFO], bytes[k]);
      if (s === 0) return -1;
    }
    return s;
  }

  /**
   * Pushes a trie state's children as (state, depth, byte into it) triples onto a walk's stack
   * (for the allocating trie walks below, not for queries).
   *
   * @returns The stack's new top.
   */
  #pushChildren(stack: { [i: number]: number }, top: number, s: number, d: number): number {
    const nodes = this.#nodes, edges = this.#edges;
    const info = nodes[s * NODE_WORDS + NODE_INFO];
    const cnt = info & INFO_EDGE_COUNT;
    if (cnt === 1) {
      stack[top++] = nodes[s * NODE_WORDS + NODE_TARGET];
      stack[top++] = d + 1;
      stack[top++] = (info >>> INFO_EDGE_BYTE_SHIFT) & 255;
    } else {
      const lo = nodes[s * NODE_WORDS + NODE_TARGET];
      for (let x = lo; x < lo + cnt; x++) {
        stack[top++] = edges[x * EDGE_WORDS + EDGE_TARGET];
        stack[top++] = d + 1;
        stack[top++] = edges[x * EDGE_WORDS + EDGE_BYTE];
      }
    }
    return top;
  }

  /**
   * The states `depth` trie edges below the root, with the bytes that lead to each (`bytes`
   * holds `depth` bytes per state, in the order of `states`), and the depth of the shallowest
   * state with outputs down to `depth` (the shortest key's length, -1 when every key is
   * longer). Allocates the result (for
   * building a jump table over a trie, not for queries).
   *
   * @param depth How deep.
   * @returns The states, their paths and the shortest key's length.
   */
  statesAt(depth: number): { states: Int32Array; bytes: Uint8Array; shortest: number } {
    const nodes = this.#nodes;
    const path = new Uint8Array(depth + 1);
    const states: number[] = [];
    const bytes: number[] = [];
    let shortest = -1;
    // (state, depth, byte into it) triples: only the states down to `depth` are visited
    const stack: number[] = [0, 0, -1];
    let top = 3;
    while (top > 0) {
      const b = stack[--top], d = stack[--top], s = stack[--top];
      if (d > 0 && d <= depth) path[d - 1] = b;
      const info = nodes[s * NODE_WORDS + NODE_INFO];
      if ((info & INFO_HAS_OUTPUT) !== 0 && (shortest < 0 || d < shortest)) shortest = d;
      if (d === depth) {
        states.push(s);
        for (let k = 0; k < depth; k++) bytes.push(path[k]);
        continue;
      }
      top = this.#pushChildren(stack, top, s, d);
    }
    return { states: Int32Array.from(states), bytes: Uint8Array.from(bytes), shortest };
  }

  /**
   * Every key with the bytes of its piece (the path from the root to the state that reports
   * it): key `keys[i]`'s piece is `bytes[at[i] .. at[i] + length[i])`. Allocates the result
   * (for building query-time tables, not for queries).
   *
   * @returns The keys and their pieces, in depth-first order of the trie.
   */
  keyPieces(): { keys: Uint32Array; at: Int32Array; length: Int32Array; bytes: Uint8Array } {
    const nodes = this.#nodes;
    const outStart = this.#outStart, outList = this.#outList;
    const S = nodes.length / NODE_WORDS, K = outList.length;
    const keys = new Uint32Array(K), at = new Int32Array(K), length = new Int32Array(K);
    let bytes = new Uint8Array(1024);
    let n = 0, used = 0;
    const path = new Uint8Array(S);
    // (state, depth, byte into it) triples; a trie has S - 1 edges, so 3 * S words suffice
    const stack = new Int32Array(3 * S + 3);
    stack[2] = -1;
    let top = 3;
    while (top > 0) {
      const b = stack[--top], d = stack[--top], s = stack[--top];
      if (d > 0) path[d - 1] = b;
      for (let x = outStart[s], e = outStart[s + 1]; x < e; x++) {
        if (used + d > bytes.length) {
          const more = new Uint8Array(2 * bytes.length + d);
          more.set(bytes);
          bytes = more;
        }
        keys[n] = outList[x];
        at[n] = used;
        length[n++] = d;
        bytes.set(path.subarray(0, d), used);
        used += d;
      }
      top = this.#pushChildren(stack, top, s, d);
    }
    return { keys, at, length, bytes: bytes.slice(0, used) };
  }

  /**
   * Whether state `s` itself (not its dictionary links) reports `key`.
   *
   * @param s The state.
   * @param key The key.
   * @returns True when `key` is among the state's outputs.
   */
  reports(s: number, key: number): boolean {
    if (s < 0 || s >= this.#nodes.length / NODE_WORDS) return false;
    const outList = this.#outList;
    for (let x = this.#outStart[s], e = this.#outStart[s + 1]; x < e; x++) {
      if (outList[x] === key) return true;
    }
    return false;
  }

  /**
   * Marks in `marks` (one slot per key) every key this automaton reports, with `tag`; calls
   * `bad` when a key is reported twice, here or by an automaton marked before (so that a key
   * reaches a scan at most once per anchored walk).
   *
   * @param marks One slot per key, 0 when unmarked.
   * @param tag The non-zero mark.
   * @param bad Called with a description of the problem; must throw.
   */
  markKeys(marks: Uint8Array, tag: number, bad: (what: string) => never): void {
    const outList = this.#outList;
    for (let k = 0; k < outList.length; k++) {
      const key = outList[k];
      if (key >= marks.length || marks[key] !== 0) bad(`pattern ${key} is indexed twice`);
      marks[key] = tag;
    }
  }

  /**
   * {@linkcode AhoCorasick.collect} reading the query string itself rather than its UTF-8
   * bytes (an ASCII character is its own byte), optionally folding ASCII case. When
   * `scan.points` is set and long enough, the (folded) character codes are stored there as
   * they are read. Gives up and returns -1 (leaving `scan.count` as it was, but with some
   * stamps set: the caller takes a new stamp before walking the encoded bytes) when it meets a
   * non-ASCII character.
   *
   * @param query The query string.
   * @param fold Whether to fold ASCII upper case to lower case.
   * @param scan The output buffer and de-duplication marks (`bytes` and `length` unused).
   * @returns The new number of keys in `scan.out` (also stored in `scan.count`), or -1.
   * @throws {RangeError} When the table is a trie built without failure links.
   */
  collectOf(query: string, fold: boolean, scan: AhoCorasickScan): number {
    const flag = this.#flag, mask = this.#mask;
    if (!this.#resolved) throw new RangeError(TRIE_ONLY);
    const length = query.length;
    const classes = this.#classes;
    const dense = this.#dense;
    const C = this.#C, K = this.#K;
    const start = scan.count;
    const points = scan.points ?? NO_POINTS;
    const store = points.length >= length;
    let s = 0;
    for (let i = 0; i < length; i++) {
      let b = query.charCodeAt(i);
      if (b >= 0x80) {
        scan.count = start;
        return -1;
      }
      if (fold) b = asciiLower(b);
      if (store) points[i] = b;
      const c = classes[b];
      const v = s < K ? dense[s * C + c] : this.#slowStep(s, b, c);
      s = v & mask;
      if ((v & flag) !== 0) this.#report(s, scan);
    }
    return scan.count;
  }

  // One anchored step (edges only): a dense-style entry, 0 when there is no edge.
  #anchoredStep(s: number, b: number): number {
    if (s < this.#anchoredK) return this.#dense[s * this.#C + this.#classes[b]];
    const nodes = this.#nodes;
    const g = nextState(nodes, this.#edges, s, nodes[s * NODE_WORDS + NODE_INFO], b);
    return g === 0
      ? 0
      : g | ((nodes[g * NODE_WORDS + NODE_INFO] & INFO_HAS_OUTPUT) !== 0 ? this.#flag : 0);
  }

  // Appends state s's own outputs (no dictionary links: anchored walks), optionally once per
  // stamp.
  #own(s: number, scan: AhoCorasickScan, dedup: boolean): void {
    const outStart = this.#outStart, outList = this.#outList, out = scan.out;
    const sets = this.#outSets, qs = scan.set;
    const filter = sets !== null && qs !== undefined && qs[2] === 1;
    const lo = filter ? ~qs![0] : 0, hi = filter ? ~qs![1] : 0;
    let count = scan.count;
    for (let x = outStart[s], e = outStart[s + 1]; x < e; x++) {
      if (filter && ((sets![2 * x] & lo) | (sets![2 * x + 1] & hi)) !== 0) continue;
      const key = outList[x];
      if (dedup) {
        if (scan.seen[key] === scan.stamp) continue;
        scan.seen[key] = scan.stamp;
      }
      out[count++] = key;
    }
    scan.count = count;
  }

  /**
   * Uses the automaton as a plain trie anchored at the query's first byte: walks forwards while
   * edges exist and appends the keys of every state passed. With `dedup` false the stamps are
   * neither read nor written: the caller guarantees each key is reported by one state only
   * (see {@linkcode AhoCorasick.markKeys}), so an anchored walk meets it once. Costs at most the
   * longest piece's length. Allocates nothing.
   *
   * @param scan The query, the output buffer and the de-duplication marks.
   * @param dedup Whether to de-duplicate with the stamps.
   * @returns The new number of keys in `scan.out` (also stored in `scan.count`).
   */
  collectPrefix(scan: AhoCorasickScan, dedup: boolean): number {
    return this.#anchored(scan.bytes, scan.length, false, dedup, scan);
  }

  // The anchored walk over bytes or character codes, forwards or from the end.
  #anchored(
    src: Uint8Array | Int32Array,
    length: number,
    fromEnd: boolean,
    dedup: boolean,
    scan: AhoCorasickScan,
  ): number {
    const flag = this.#flag, mask = this.#mask;
    const step = fromEnd ? -1 : 1;
    let s = 0;
    for (let k = fromEnd ? length - 1 : 0, left = length; left > 0; k += step, left--) {
      const v = this.#anchoredStep(s, src[k]);
      if (v === 0) break;
      s = v & mask;
      if ((v & flag) !== 0) this.#own(s, scan, dedup);
    }
    return scan.count;
  }

  /**
   * {@linkcode AhoCorasick.collectPrefix} without de-duplication, reading the query string
   * itself rather than its UTF-8 bytes (an ASCII character is its own byte), optionally folding
   * ASCII case: the walk reads only as many characters as it follows edges. Gives up and returns
   * -1 (leaving `scan.count` as it was) when it meets a non-ASCII character before stopping;
   * the caller then walks the encoded bytes.
   *
   * @param query The query string.
   * @param fold Whether to fold ASCII upper case to lower case.
   * @param scan The output buffer (its `bytes` and `length` are not used).
   * @returns The new number of keys in `scan.out` (also stored in `scan.count`), or -1.
   */
  collectPrefixOf(query: string, fold: boolean, scan: AhoCorasickScan): number {
    return this.#anchoredOf(query, fold, false, scan);
  }

  // The anchored walk reading the string, forwards or from the end, from state `s` reached after
  // `from` characters; -1 on a non-ASCII character (`scan.count` put back to `start`).
  #anchoredOf(
    query: string,
    fold: boolean,
    fromEnd: boolean,
    scan: AhoCorasickScan,
    s = 0,
    from = 0,
    start = scan.count,
  ): number {
    const flag = this.#flag, mask = this.#mask;
    const length = query.length;
    const step = fromEnd ? -1 : 1;
    for (
      let k = fromEnd ? length - 1 - from : from, left = length - from;
      left > 0;
      k += step, left--
    ) {
      let b = query.charCodeAt(k);
      if (b >= 0x80) {
        scan.count = start;
        return -1;
      }
      if (fold) b = asciiLower(b);
      const v = this.#anchoredStep(s, b);
      if (v === 0) break;
      s = v & mask;
      if ((v & flag) !== 0) this.#own(s, scan, false);
    }
    return scan.count;
  }

  /**
   * {@linkcode AhoCorasick.collectPrefixOf} resumed at state `s`, which the query's first
   * `from` characters lead to (a jump table found it): reports `s`'s own outputs, then walks on
   * from character `from`.
   *
   * @param query The query string.
   * @param fold Whether to fold ASCII upper case to lower case.
   * @param s The state reached after `from` characters.
   * @param from How many characters that is.
   * @param scan The output buffer (its `bytes` and `length` are not used).
   * @returns The new number of keys in `scan.out` (also stored in `scan.count`), or -1 (as
   *   {@linkcode AhoCorasick.collectPrefixOf}: `scan.count` left as it was).
   */
  collectPrefixOfFrom(
    query: string,
    fold: boolean,
    s: number,
    from: number,
    scan: AhoCorasickScan,
  ): number {
    const start = scan.count;
    if ((this.#nodes[s * NODE_WORDS + NODE_INFO] & INFO_HAS_OUTPUT) !== 0) {
      this.#own(s, scan, false);
    }
    return this.#anchoredOf(query, fold, false, scan, s, from, start);
  }

  /**
   * {@linkcode AhoCorasick.collectPrefixOf} from the query's last character backwards (for a
   * trie of reversed pieces).
   *
   * @param query The query string.
   * @param fold Whether to fold ASCII upper case to lower case.
   * @param scan The output buffer (its `bytes` and `length` are not used).
   * @returns The new number of keys in `scan.out` (also stored in `scan.count`), or -1.
   */
  collectSuffixOf(query: string, fold: boolean, scan: AhoCorasickScan): number {
    return this.#anchoredOf(query, fold, true, scan);
  }

  /**
   * {@linkcode AhoCorasick.collectPrefix} without de-duplication over character codes already
   * read (as {@linkcode AhoCorasick.collectOf} leaves them in `scan.points`), forwards from the
   * first or backwards from the last (for a trie of reversed pieces). The codes must all be
   * below 0x80 (each its own UTF-8 byte).
   *
   * @param points The character codes.
   * @param length How many of them.
   * @param fromEnd Walk from the last code backwards.
   * @param scan The output buffer (its `bytes` and `length` are not used).
   * @returns The new number of keys in `scan.out` (also stored in `scan.count`).
   */
  collectAnchoredPoints(
    points: Int32Array,
    length: number,
    fromEnd: boolean,
    scan: AhoCorasickScan,
  ): number {
    return this.#anchored(points, length, fromEnd, false, scan);
  }

  /**
   * {@linkcode AhoCorasick.collectAnchoredPoints} forwards, resumed at state `s`, which the
   * first `from` codes lead to (a jump table found it): reports `s`'s own outputs, then walks
   * on from code `from`.
   *
   * @param points The character codes (all below 0x80).
   * @param length How many of them.
   * @param s The state reached after `from` codes.
   * @param from How many codes that is.
   * @param scan The output buffer (its `bytes` and `length` are not used).
   * @returns The new number of keys in `scan.out` (also stored in `scan.count`).
   */
  collectPointsFrom(
    points: Int32Array,
    length: number,
    s: number,
    from: number,
    scan: AhoCorasickScan,
  ): number {
    const flag = this.#flag, mask = this.#mask;
    if ((this.#nodes[s * NODE_WORDS + NODE_INFO] & INFO_HAS_OUTPUT) !== 0) {
      this.#own(s, scan, false);
    }
    for (let k = from; k < length; k++) {
      const v = this.#anchoredStep(s, points[k]);
      if (v === 0) break;
      s = v & mask;
      if ((v & flag) !== 0) this.#own(s, scan, false);
    }
    return scan.count;
  }

  /**
   * {@linkcode AhoCorasick.collectPrefix} from the last byte backwards (for a trie of
   * reversed pieces).
   *
   * @param scan The query, the output buffer and the de-duplication marks.
   * @param dedup Whether to de-duplicate with the stamps.
   * @returns The new number of keys in `scan.out` (also stored in `scan.count`).
   */
  collectSuffix(scan: AhoCorasickScan, dedup: boolean): number {
    return this.#anchored(scan.bytes, scan.length, true, dedup, scan);
  }
}

/**
 * Whether state `t` reports something: its own outputs, or (when the tables are resolved)
 * through its dictionary link.
 *
 * @param nodes The state records.
 * @param t The state.
 * @param resolved Whether dictionary links count (an automaton, not a trie).
 * @returns True when a walk reaching `t` reports keys.
 */
export function reportsAt(nodes: Int32Array, t: number, resolved: boolean): boolean {
  return (nodes[t * NODE_WORDS + NODE_INFO] & INFO_HAS_OUTPUT) !== 0 ||
    (resolved && nodes[t * NODE_WORDS + NODE_DICT] > 0);
}

/**
 * The trie edge from state `s` on byte `b`, or 0 when there is none (no edge leads back to the
 * root, so 0 is never a target).
 *
 * @param nodes The state records.
 * @param edges The edge pairs.
 * @param s The state.
 * @param info Its {@linkcode NODE_INFO} word.
 * @param b The byte.
 * @returns The target state, or 0.
 */
export function nextState(
  nodes: Int32Array,
  edges: Int32Array,
  s: number,
  info: number,
  b: number,
): number {
  const cnt = info & INFO_EDGE_COUNT;
  if (cnt === 1) {
    return ((info >>> INFO_EDGE_BYTE_SHIFT) & 255) === b ? nodes[s * NODE_WORDS + NODE_TARGET] : 0;
  }
  if (cnt === 0) return 0;
  let lo = nodes[s * NODE_WORDS + NODE_TARGET];
  const end = lo + cnt;
  if (cnt <= LINEAR_EDGES) {
    // Few edges: a linear scan over the sorted bytes beats a binary search.
    for (; lo < end; lo++) {
      const e = edges[lo * EDGE_WORDS + EDGE_BYTE];
      if (e >= b) return e === b ? edges[lo * EDGE_WORDS + EDGE_TARGET] : 0;
    }
    return 0;
  }
  let hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = edges[mid * EDGE_WORDS + EDGE_BYTE];
    if (e === b) return edges[mid * EDGE_WORDS + EDGE_TARGET];
    if (e < b) lo = mid + 1;
    else hi = mid;
  }
  return 0;
}
