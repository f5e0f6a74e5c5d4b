/**
 * An Aho-Corasick automaton over byte strings, flattened into typed arrays so that it can be
 * stored in a file and walked in place without allocation.
 *
 * States are numbered so that the shallow states — where a walk over text spends most of its
 * time — come first: the first `K` (those with a dense row, below) breadth-first from 0 (the
 * root), children in byte order; the subtrees below them depth-first, so a walk down a chain of
 * single-edge states reads consecutive records. Every edge leads to a higher number. Each state
 * is one 4-word record in `nodes` (one cache line holds four):
 *
 * | word | meaning                                                                     |
 * | ---- | --------------------------------------------------------------------------- |
 * | 0    | failure link (a shallower state; an earlier one for the first `K` states)   |
 * | 1    | the target of its edge (one edge) or where its edges start in `edges` (two or more) |
 * | 2    | bits 0–8: edge count; bits 9–16: the byte of a single edge; bit 17: the state has outputs |
 * | 3    | dictionary link: nearest state on the failure chain with outputs, or -1     |
 *
 * `edges` holds `(byte, target)` pairs sorted by byte within each state. `outStart[s] …
 * outStart[s+1]` slices `outList`, the keys (pattern numbers) whose piece ends at `s`.
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

/** Options for {@linkcode buildAhoCorasick}. */
export interface BuildAhoCorasickOptions {
  /**
   * Compute failure links and resolve them into the dense rows (for unanchored scans); false
   * for a trie that is only walked anchored (every failure link is then the root, and
   * `collect`/`collectOf` refuse it). Default true.
   */
  resolve?: boolean;
  /** At most this many dense-row entries (`K × C`). Default 2^20 (4 MiB). */
  denseBudget?: number;
  /**
   * Dense entry width: 16 bits when the automaton has at most 32,767 states (`"auto"`, the
   * default), or always 32 (for callers that keep several automata in one width, so that the
   * code walking them sees one kind of array).
   */
  denseWidth?: "auto" | 32;
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

function flatten(pieces: (Uint8Array | null)[]): PieceList {
  let total = 0;
  for (const p of pieces) if (p !== null) total += p.length;
  const bytes = new Uint8Array(total);
  const start = new Int32Array(pieces.length), end = new Int32Array(pieces.length);
  let at = 0;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i];
    start[i] = at;
    if (p !== null) {
      bytes.set(p, at);
      at += p.length;
    }
    end[i] = at;
  }
  return { bytes, start, end };
}

const HAS_OUT = 1 << 17;
/** Set in a dense entry whose target state reports keys. */
const REPORTS = 1 << 30;
const STATE = REPORTS - 1;
/** The report flag of 16-bit dense entries (used when every state number fits in 15 bits). */
const REPORTS16 = 1 << 15;

// Dense rows in their stored width: 16-bit entries for an automaton of at most 32,767 states
// (half the cache footprint), else the 32-bit entries as computed.
function narrow(dense: Int32Array, states: number): Int32Array | Uint16Array {
  if (states > 0x7fff) return dense;
  const out = new Uint16Array(dense.length);
  for (let i = 0; i < dense.length; i++) {
    const v = dense[i];
    out[i] = (v & STATE) | ((v & REPORTS) !== 0 ? REPORTS16 : 0);
  }
  return out;
}
const NO_POINTS = new Int32Array(0);
const TRIE_ONLY = "This table is a trie built without failure links: walk it anchored";

/**
 * Builds the automaton. Key `i` reports piece `pieces[i]`; a `null` or empty piece is left out
 * (its key never reports).
 *
 * @param pieces The byte strings, one per key (an array, or side by side in a {@linkcode PieceList}).
 * @param options Whether to resolve failure links into the dense rows, and their budget.
 * @returns The flattened tables.
 * @example
 * ```ts
 * import { AhoCorasick, buildAhoCorasick } from "./aho_corasick.ts";
 * import assert from "node:assert/strict";
 * const enc = new TextEncoder();
 * const ac = new AhoCorasick(buildAhoCorasick([enc.encode("he"), enc.encode("she"), null]));
 * const out = new Uint32Array(3);
 * const bytes = enc.encode("ushers");
 * const n = ac.collect({ bytes, length: 6, out, count: 0, seen: new Uint32Array(3), stamp: 1 });
 * assert.deepEqual([...out.subarray(0, n)].sort(), [0, 1]);
 * ```
 */
export function buildAhoCorasick(
  pieces: (Uint8Array | null)[] | PieceList,
  options: BuildAhoCorasickOptions = {},
): AhoCorasickTables {
  const resolve = options.resolve ?? true;
  const budget = options.denseBudget ?? 1 << 20;
  // Each phase is its own small function over one TrieBuild, so the JIT optimizes each loop
  // on its own (this runs once per index, cold).
  const t = insertPieces(Array.isArray(pieces) ? flatten(pieces) : pieces);
  const n = t.n;
  const byNew = breadthFirst(t);
  // Byte classes, and how many states get a dense row.
  const used = new Uint8Array(256);
  const label = t.label;
  for (let s = 1; s < n; s++) used[label[s]] = 1;
  const classes = new Uint8Array(256);
  let C = 1;
  for (let b = 0; b < 256; b++) if (used[b] !== 0) classes[b] = C++;
  const K = Math.max(1, Math.min(n, Math.floor(budget / C)));
  const rank = new Int32Array(n);
  for (let r = 0; r < n; r++) rank[byNew[r]] = r;
  const fail = new Int32Array(n);
  const dictLink = new Int32Array(n).fill(-1);
  const rows = resolve ? failureLinks(t, byNew, rank, classes, C, K, fail, dictLink) : null;
  const id = numberStates(t, byNew, rank, K);
  const tables = emitTables(t, byNew, id, fail, dictLink);
  const wide = finalRows(t, byNew, id, rows, classes, C, K, dictLink);
  const dense = options.denseWidth === 32 ? wide : narrow(wide, n);
  return { ...tables, classes, classCount: C, denseStates: K, dense, resolved: resolve };
}

/**
 * The trie under construction, as linked lists in typed arrays (no per-state objects):
 * children of a state are a sibling list kept sorted by byte; the root's children, and those
 * of any state that gathers many, are also in 256-entry rows.
 */
class TrieBuild {
  first: Int32Array;
  sibling: Int32Array;
  label: Int32Array;
  outHead: Int32Array;
  outNext: Int32Array;
  rootOf = new Int32Array(256);
  // rowOf[s] is the row of a state with many children, plus 1; 0 for none.
  deg: Uint16Array;
  rowOf: Int32Array;
  rows = new Int32Array(256 * 64);
  rowCount = 0;
  n = 1;

  constructor(cap: number, keys: number) {
    this.first = new Int32Array(cap).fill(-1);
    this.sibling = new Int32Array(cap).fill(-1);
    this.label = new Int32Array(cap);
    this.outHead = new Int32Array(cap).fill(-1);
    this.outNext = new Int32Array(keys);
    this.deg = new Uint16Array(cap);
    this.rowOf = new Int32Array(cap);
  }

  /** The child of `s` on byte `b`, or 0. */
  child(s: number, b: number): number {
    if (s === 0) return this.rootOf[b];
    const r = this.rowOf[s];
    if (r !== 0) return this.rows[(r - 1) * 256 + b];
    const label = this.label, sibling = this.sibling;
    for (let c = this.first[s]; c >= 0; c = sibling[c]) {
      const l = label[c];
      if (l === b) return c;
      if (l > b) break;
    }
    return 0;
  }

  /** Adds a new child of `s` on byte `b` (not present yet); returns it. */
  addChild(s: number, b: number): number {
    const t = this.n++;
    const label = this.label, sibling = this.sibling, first = this.first;
    label[t] = b;
    if (s === 0) {
      this.rootOf[b] = t;
    }
    // Insert into the sorted sibling list.
    let prev = -1, c = first[s];
    while (c >= 0 && label[c] < b) {
      prev = c;
      c = sibling[c];
    }
    sibling[t] = c;
    if (prev < 0) first[s] = t;
    else sibling[prev] = t;
    if (s !== 0) {
      const d = ++this.deg[s];
      if (this.rowOf[s] !== 0) this.rows[(this.rowOf[s] - 1) * 256 + b] = t;
      else if (d === 8) {
        if ((this.rowCount + 1) * 256 > this.rows.length) {
          const grown = new Int32Array(this.rows.length * 2);
          grown.set(this.rows);
          this.rows = grown;
        }
        const at = this.rowCount++ * 256;
        for (let x = first[s]; x >= 0; x = sibling[x]) this.rows[at + label[x]] = x;
        this.rowOf[s] = this.rowCount;
      }
    }
    return t;
  }
}

function insertPieces(list: PieceList): TrieBuild {
  const bytes = list.bytes, from = list.start, to = list.end;
  const keys = from.length;
  let cap = 1;
  for (let key = 0; key < keys; key++) if (to[key] > from[key]) cap += to[key] - from[key];
  const t = new TrieBuild(cap, keys);
  const label = t.label, first = t.first, deg = t.deg, outHead = t.outHead, outNext = t.outNext;
  for (let key = 0; key < keys; key++) {
    const end = to[key];
    if (end <= from[key]) continue;
    let s = 0;
    let i = from[key];
    // Follow existing edges, then create the rest of the piece as a chain of new states.
    for (; i < end; i++) {
      const c = t.child(s, bytes[i]);
      if (c === 0) break;
      s = c;
    }
    if (i < end) {
      s = t.addChild(s, bytes[i]);
      for (i++; i < end; i++) {
        const u = t.n++;
        label[u] = bytes[i];
        first[s] = u;
        deg[s] = 1;
        s = u;
      }
    }
    outNext[key] = outHead[s];
    outHead[s] = key;
  }
  return t;
}

// Breadth-first order of the states, children in byte order.
function breadthFirst(t: TrieBuild): Int32Array {
  const first = t.first, sibling = t.sibling;
  const byNew = new Int32Array(t.n);
  let tail = 1;
  for (let head = 0; head < tail; head++) {
    for (let c = first[byNew[head]]; c >= 0; c = sibling[c]) byNew[tail++] = c;
  }
  return byNew;
}

// Failure and dictionary links (an automaton only: a trie is walked anchored and keeps the
// root as every failure link). States are taken breadth-first; the first K get a resolved row
// as they come (their failure state, shallower, has its row already), and a failure link is
// found by stepping from the parent's failure state: through sparse edges and failure links
// until a state with a row answers in one read.
function failureLinks(
  t: TrieBuild,
  byNew: Int32Array,
  rank: Int32Array,
  classes: Uint8Array,
  C: number,
  K: number,
  fail: Int32Array,
  dictLink: Int32Array,
): Int32Array {
  const first = t.first, sibling = t.sibling, label = t.label, outHead = t.outHead;
  const rows = new Int32Array(K * C);
  for (let r = 0; r < t.n; r++) {
    const s = byNew[r];
    if (r < K) {
      const at = r * C;
      if (s !== 0) rows.copyWithin(at, rank[fail[s]] * C, rank[fail[s]] * C + C);
      for (let c = first[s]; c >= 0; c = sibling[c]) rows[at + classes[label[c]]] = c;
    }
    if (s === 0) continue;
    for (let c = first[s]; c >= 0; c = sibling[c]) {
      const b = label[c];
      let f = fail[s];
      let g = -1;
      while (rank[f] >= K) {
        const x = t.child(f, b);
        if (x !== 0) {
          g = x;
          break;
        }
        f = fail[f];
      }
      if (g < 0) g = rows[rank[f] * C + classes[b]];
      fail[c] = g;
      dictLink[c] = outHead[g] >= 0 ? g : dictLink[g];
    }
  }
  return rows;
}

// The dense rows in the final numbering (`byNew`: new number → state, `id`: the inverse),
// from the resolved rows failureLinks() made (an automaton) or the children (a trie): what
// denseRows() derives from the emitted tables, without a sparse lookup per entry.
function finalRows(
  t: TrieBuild,
  byNew: Int32Array,
  id: Int32Array,
  resolvedRows: Int32Array | null,
  classes: Uint8Array,
  C: number,
  K: number,
  dictLink: Int32Array,
): Int32Array {
  const outHead = t.outHead, first = t.first, sibling = t.sibling, label = t.label;
  const dense = new Int32Array(K * C);
  for (let r = 0; r < K; r++) {
    const at = r * C;
    if (resolvedRows !== null) {
      for (let c = 1; c < C; c++) {
        const v = resolvedRows[at + c];
        if (v !== 0) dense[at + c] = id[v] | (outHead[v] >= 0 || dictLink[v] >= 0 ? REPORTS : 0);
      }
    } else {
      for (let c = first[byNew[r]]; c >= 0; c = sibling[c]) {
        dense[at + classes[label[c]]] = id[c] | (outHead[c] >= 0 ? REPORTS : 0);
      }
    }
  }
  return dense;
}

// The first K states in breadth-first order keep their rank; the subtrees below them are
// numbered depth-first (preorder, children in byte order), so a walk down a chain of
// single-edge states reads consecutive records. Returns the new number of every state.
function numberStates(t: TrieBuild, byNew: Int32Array, rank: Int32Array, K: number): Int32Array {
  const first = t.first, sibling = t.sibling;
  const id = new Int32Array(t.n);
  for (let r = 0; r < K; r++) id[byNew[r]] = r;
  let nextId = K;
  const stack = new Int32Array(t.n);
  for (let r = 0; r < K; r++) {
    for (let c = first[byNew[r]]; c >= 0; c = sibling[c]) {
      if (rank[c] < K) continue;
      let sp = 0;
      stack[sp++] = c;
      while (sp > 0) {
        const x = stack[--sp];
        id[x] = nextId++;
        const base = sp;
        for (let y = first[x]; y >= 0; y = sibling[y]) stack[sp++] = y;
        for (let lo = base, hi = sp - 1; lo < hi; lo++, hi--) {
          const tmp = stack[lo];
          stack[lo] = stack[hi];
          stack[hi] = tmp;
        }
      }
    }
  }
  return id;
}

// The sparse tables in the new numbering.
function emitTables(
  t: TrieBuild,
  order: Int32Array,
  id: Int32Array,
  fail: Int32Array,
  dictLink: Int32Array,
): { nodes: Int32Array; edges: Int32Array; outStart: Uint32Array; outList: Uint32Array } {
  const n = t.n;
  const first = t.first, sibling = t.sibling, label = t.label;
  const outHead = t.outHead, outNext = t.outNext, deg = t.deg;
  const byNew = order; // reused: new number → state
  for (let s = 0; s < n; s++) byNew[id[s]] = s;
  // Insertion counted every state's children but the root's.
  let d0 = 0;
  for (let c = first[0]; c >= 0; c = sibling[c]) d0++;
  deg[0] = d0;
  let edgeCount = 0;
  for (let s = 0; s < n; s++) if (deg[s] > 1) edgeCount += deg[s];
  const nodes = new Int32Array(4 * n);
  const edges = new Int32Array(2 * edgeCount);
  const outStart = new Uint32Array(n + 1);
  let e = 0;
  let total = 0;
  for (let ns = 0; ns < n; ns++) {
    const s = byNew[ns];
    outStart[ns] = total;
    for (let k = outHead[s]; k >= 0; k = outNext[k]) total++;
    nodes[4 * ns] = id[fail[s]];
    nodes[4 * ns + 3] = dictLink[s] < 0 ? -1 : id[dictLink[s]];
    const d = deg[s];
    let info = d;
    if (outHead[s] >= 0) info |= HAS_OUT;
    if (d === 1) {
      info |= label[first[s]] << 9;
      nodes[4 * ns + 1] = id[first[s]];
    } else if (d > 1) {
      nodes[4 * ns + 1] = e;
      for (let c = first[s]; c >= 0; c = sibling[c]) {
        edges[2 * e] = label[c];
        edges[2 * e + 1] = id[c];
        e++;
      }
    }
    nodes[4 * ns + 2] = info;
  }
  outStart[n] = total;
  const outList = new Uint32Array(total);
  for (let ns = 0; ns < n; ns++) {
    // Keys in ascending order within a state.
    let k = outStart[ns + 1];
    for (let x = outHead[byNew[ns]]; x >= 0; x = outNext[x]) outList[--k] = x;
  }
  return { nodes, edges, outStart, outList };
}

/**
 * The same tables with 16-bit dense entries, when every state number fits in 15 bits (else the
 * tables unchanged).
 *
 * @param tables Tables built with 32-bit entries.
 * @returns Tables whose dense rows are 16-bit when possible.
 * @example
 * ```ts
 * import { buildAhoCorasick, narrowDenseRows } from "./aho_corasick.ts";
 * import assert from "node:assert/strict";
 * const t = buildAhoCorasick([new TextEncoder().encode("ab")], { denseWidth: 32 });
 * assert.ok(t.dense instanceof Int32Array);
 * assert.ok(narrowDenseRows(t).dense instanceof Uint16Array);
 * ```
 */
export function narrowDenseRows(tables: AhoCorasickTables): AhoCorasickTables {
  if (!(tables.dense instanceof Int32Array)) return tables;
  return { ...tables, dense: narrow(tables.dense, tables.nodes.length >> 2) };
}

// Whether state `t` reports something (its own outputs or through its dictionary link).
function reportsAt(nodes: Int32Array, t: number, resolved: boolean): boolean {
  return (nodes[4 * t + 2] & HAS_OUT) !== 0 || (resolved && nodes[4 * t + 3] > 0);
}

// The dense rows of states [0, K) computed from the sparse tables (also what verify() expects).
function denseRows(
  nodes: Int32Array,
  edges: Int32Array,
  classes: Uint8Array,
  C: number,
  K: number,
  resolved: boolean,
): Int32Array {
  const rep = new Int32Array(C).fill(-1);
  for (let b = 255; b >= 0; b--) if (classes[b] !== 0) rep[classes[b]] = b;
  const dense = new Int32Array(K * C);
  for (let s = 0; s < K; s++) {
    const info = nodes[4 * s + 2];
    for (let c = 1; c < C; c++) {
      const b = rep[c];
      const g = b < 0 ? 0 : next(nodes, edges, s, info, b);
      let v = 0;
      if (g !== 0) v = g | (reportsAt(nodes, g, resolved) ? REPORTS : 0);
      else if (resolved && s !== 0) v = dense[nodes[4 * s] * C + c]; // failure link: f < s
      dense[s * C + c] = v;
    }
  }
  return dense;
}

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
}

/**
 * Walks an automaton's tables (built here or viewed in a file) over query bytes.
 *
 * @example
 * ```ts
 * import { AhoCorasick, buildAhoCorasick } from "./aho_corasick.ts";
 * import assert from "node:assert/strict";
 * const enc = new TextEncoder();
 * const ac = new AhoCorasick(buildAhoCorasick([enc.encode("abc")]));
 * assert.equal(ac.stateCount, 4);
 * ```
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
    this.#flag = tables.dense instanceof Uint16Array ? REPORTS16 : REPORTS;
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
    return this.#nodes.length >> 2;
  }

  /** The number of states with a dense row. */
  get denseStateCount(): number {
    return this.#K;
  }

  /** Whether the dense rows follow failure links (an automaton for unanchored scans). */
  get resolved(): boolean {
    return this.#resolved;
  }

  /**
   * Checks an untrusted table: every edge leads forward to a state reached exactly once (so the
   * states form a tree), failure and dictionary links lead to shallower states (so walks
   * terminate; a dense state's failure link also to an earlier state), the byte classes and every dense row are exactly what the sparse tables
   * imply, and every range and key is in bounds. Calls `bad` on the first problem.
   *
   * @param keyCount The number of keys (pattern numbers must be below it).
   * @param bad Called with a description of the problem; must throw.
   */
  verify(keyCount: number, bad: (what: string) => never): void {
    const nodes = this.#nodes, edges = this.#edges;
    const S = nodes.length >> 2;
    const E = edges.length >> 1;
    const O = this.#outList.length;
    if (S < 1 || this.#outStart.length !== S + 1) bad("automaton tables differ in length");
    if (this.#K > S) bad(`automaton has ${this.#K} dense states but ${S} states`);
    const depth = new Int32Array(S).fill(-1);
    depth[0] = 0;
    const used = new Uint8Array(256);
    const reach = (from: number, t: number, b: number) => {
      if (t <= from || t >= S) bad(`automaton state ${from} has an edge to state ${t}`);
      if (depth[t] >= 0) bad(`automaton state ${t} is reached twice`);
      depth[t] = depth[from] + 1;
      used[b] = 1;
    };
    if (this.#outStart[0] !== this.#outStart[1]) bad("automaton root has outputs");
    if (nodes[3] !== -1) bad("automaton root has a dictionary link");
    for (let s = 0; s < S; s++) {
      if (depth[s] < 0) bad(`automaton state ${s} is unreachable`);
      const info = nodes[4 * s + 2];
      const cnt = info & 511;
      if ((info & ~(HAS_OUT | 0x1ffff)) !== 0 || cnt > 256) {
        bad(`automaton state ${s} is malformed`);
      }
      if (cnt === 1) reach(s, nodes[4 * s + 1], (info >>> 9) & 255);
      else if (cnt > 1) {
        const e0 = nodes[4 * s + 1];
        if (e0 < 0 || e0 + cnt > E) bad(`automaton state ${s} has an edge range out of bounds`);
        for (let k = e0; k < e0 + cnt; k++) {
          const b = edges[2 * k];
          if (b < 0 || b > 255 || (k > e0 && b <= edges[2 * k - 2])) {
            bad(`automaton state ${s} has unsorted or invalid edges`);
          }
          reach(s, edges[2 * k + 1], b);
        }
      }
      const o0 = this.#outStart[s], o1 = this.#outStart[s + 1];
      if (o1 < o0 || o1 > O) bad(`automaton state ${s} has an output range out of bounds`);
      if ((o1 > o0) !== ((info & HAS_OUT) !== 0)) bad(`automaton state ${s} output flag is wrong`);
    }
    if (nodes[0] !== 0) bad("automaton state 0 has a bad failure link");
    for (let s = 1; s < S; s++) {
      // A failure link leads to a shallower state, and for a dense state to an earlier one (its
      // row is derived from the failure state's row).
      const f = nodes[4 * s];
      if (f < 0 || f >= S || depth[f] < 0 || depth[f] >= depth[s] || (s < this.#K && f >= s)) {
        bad(`automaton state ${s} has a bad failure link`);
      }
      const d = nodes[4 * s + 3];
      if (d !== -1 && (d <= 0 || d >= S || depth[d] < 0 || depth[d] >= depth[s])) {
        bad(`automaton state ${s} has a bad dictionary link`);
      }
    }
    for (let k = 0; k < O; k++) {
      if (this.#outList[k] >= keyCount) bad(`automaton output ${k} is not a pattern`);
    }
    // Classes: one per byte some edge carries, numbered in byte order; 0 for all others.
    let C = 1;
    for (let b = 0; b < 256; b++) {
      if (this.#classes[b] !== (used[b] !== 0 ? C++ : 0)) {
        bad(`automaton byte ${b} has a bad class`);
      }
    }
    if (C !== this.#C) bad(`automaton has ${this.#C} byte classes, its edges use ${C}`);
    if (this.#dense instanceof Uint16Array && S > 0x7fff) {
      bad(`automaton has 16-bit dense rows but ${S} states`);
    }
    // Rows hold exactly what the sparse tables imply, in either entry width.
    const want = denseRows(nodes, edges, this.#classes, C, this.#K, this.#resolved);
    const dense = this.#dense, flag = this.#flag;
    for (let k = 0; k < want.length; k++) {
      const w = want[k];
      if (dense[k] !== ((w & STATE) | ((w & REPORTS) !== 0 ? flag : 0))) {
        bad(`automaton dense row ${Math.floor(k / C)} is wrong`);
      }
    }
  }

  // One unanchored step from a state without a dense row: sparse edges, else failure links
  // until a dense state answers. Returns a dense-style entry (target | flag).
  #slowStep(s: number, b: number, c: number): number {
    const nodes = this.#nodes;
    for (;;) {
      const g = next(nodes, this.#edges, s, nodes[4 * s + 2], b);
      if (g !== 0) return g | (reportsAt(nodes, g, true) ? this.#flag : 0);
      s = nodes[4 * s];
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
    let t = (nodes[4 * s + 2] & HAS_OUT) !== 0 ? s : nodes[4 * s + 3];
    while (t > 0) {
      for (let k = outStart[t], e = outStart[t + 1]; k < e; k++) {
        const key = outList[k];
        if (seen[key] !== stamp) {
          seen[key] = stamp;
          out[count++] = key;
        }
      }
      t = nodes[4 * t + 3];
    }
    scan.count = count;
  }

  /** Whether the automaton has no keys at all (only the root): walking it finds nothing. */
  get isEmpty(): boolean {
    return this.#nodes.length <= 4;
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
      s = next(nodes, this.#edges, s, nodes[4 * s + 2], bytes[k]);
      if (s === 0) return -1;
    }
    return s;
  }

  /**
   * Whether state `s` itself (not its dictionary links) reports `key`.
   *
   * @param s The state.
   * @param key The key.
   * @returns True when `key` is among the state's outputs.
   */
  reports(s: number, key: number): boolean {
    if (s < 0 || s >= this.#nodes.length >> 2) return false;
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
      if (fold && b >= 0x41 && b <= 0x5a) b += 32;
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
    const g = next(nodes, this.#edges, s, nodes[4 * s + 2], b);
    return g === 0 ? 0 : g | ((nodes[4 * g + 2] & HAS_OUT) !== 0 ? this.#flag : 0);
  }

  // Appends state s's own outputs (no dictionary links: anchored walks), optionally once per
  // stamp.
  #own(s: number, scan: AhoCorasickScan, dedup: boolean): void {
    const outStart = this.#outStart, outList = this.#outList, out = scan.out;
    let count = scan.count;
    for (let x = outStart[s], e = outStart[s + 1]; x < e; x++) {
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

  // The anchored walk reading the string, forwards or from the end; -1 on a non-ASCII character.
  #anchoredOf(query: string, fold: boolean, fromEnd: boolean, scan: AhoCorasickScan): number {
    const flag = this.#flag, mask = this.#mask;
    const start = scan.count;
    const length = query.length;
    const step = fromEnd ? -1 : 1;
    let s = 0;
    for (let k = fromEnd ? length - 1 : 0, left = length; left > 0; k += step, left--) {
      let b = query.charCodeAt(k);
      if (b >= 0x80) {
        scan.count = start;
        return -1;
      }
      if (fold && b >= 0x41 && b <= 0x5a) b += 32;
      const v = this.#anchoredStep(s, b);
      if (v === 0) break;
      s = v & mask;
      if ((v & flag) !== 0) this.#own(s, scan, false);
    }
    return scan.count;
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

// The trie edge from state `s` (`info` is its word 2) on byte `b`, or 0 when there is none (no
// edge leads back to the root, so 0 is never a target).
function next(nodes: Int32Array, edges: Int32Array, s: number, info: number, b: number): number {
  const cnt = info & 511;
  if (cnt === 1) return ((info >>> 9) & 255) === b ? nodes[4 * s + 1] : 0;
  if (cnt === 0) return 0;
  let lo = nodes[4 * s + 1];
  const end = lo + cnt;
  if (cnt <= 16) {
    // Few edges: a linear scan over the sorted bytes beats a binary search.
    for (; lo < end; lo++) {
      const e = edges[2 * lo];
      if (e >= b) return e === b ? edges[2 * lo + 1] : 0;
    }
    return 0;
  }
  let hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = edges[2 * mid];
    if (e === b) return edges[2 * mid + 1];
    if (e < b) lo = mid + 1;
    else hi = mid;
  }
  return 0;
}
