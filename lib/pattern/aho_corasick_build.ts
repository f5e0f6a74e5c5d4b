/**
 * Building an Aho-Corasick automaton (tables in ./aho_corasick_tables.ts) from byte strings, in
 * phases that each run over typed arrays (no object per state): the pieces are inserted into a
 * trie, the states ordered breadth-first, failure and dictionary links found, the states
 * renumbered (shallow ones first, deeper ones depth-first) and the tables emitted.
 *
 * @module
 */
import {
  type AhoCorasickTables,
  DENSE_REPORTS,
  narrowDense,
  type PieceList,
} from "./aho_corasick_tables.ts";
import * as layout from "./aho_corasick_tables.ts";

// Module-level copies of the table layout for the hot loops (imported bindings are not folded).
const NODE_WORDS = layout.NODE_WORDS;
const NODE_FAIL = layout.NODE_FAIL;
const NODE_DICT = layout.NODE_DICT;
const NODE_INFO = layout.NODE_INFO;
const NODE_TARGET = layout.NODE_TARGET;
const EDGE_WORDS = layout.EDGE_WORDS;
const EDGE_BYTE = layout.EDGE_BYTE;
const EDGE_TARGET = layout.EDGE_TARGET;
const INFO_HAS_OUTPUT = layout.INFO_HAS_OUTPUT;
const INFO_EDGE_BYTE_SHIFT = layout.INFO_EDGE_BYTE_SHIFT;

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

/**
 * Builds the automaton. Key `i` reports piece `pieces[i]`; a `null` or empty piece is left out
 * (its key never reports).
 *
 * @param pieces The byte strings, one per key (an array, or side by side in a {@linkcode PieceList}).
 * @param options Whether to resolve failure links into the dense rows, and their budget.
 * @returns The flattened tables.
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
  const tables = emitTables(t, id, fail, dictLink);
  const wide = finalRows(t, byNew, id, rows, classes, C, K, dictLink);
  const dense = options.denseWidth === 32 ? wide : narrowDense(wide, n);
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
        if (v !== 0) {
          dense[at + c] = id[v] | (outHead[v] >= 0 || dictLink[v] >= 0 ? DENSE_REPORTS : 0);
        }
      }
    } else {
      for (let c = first[byNew[r]]; c >= 0; c = sibling[c]) {
        dense[at + classes[label[c]]] = id[c] | (outHead[c] >= 0 ? DENSE_REPORTS : 0);
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

// The sparse tables in the new numbering, filled in one pass over the states in their build
// order (each state's own fields read in sequence, its rows written where its new number puts
// them): the edges and outputs of each new number are counted and placed first.
function emitTables(
  t: TrieBuild,
  id: Int32Array,
  fail: Int32Array,
  dictLink: Int32Array,
): { nodes: Int32Array; edges: Int32Array; outStart: Uint32Array; outList: Uint32Array } {
  const n = t.n;
  const first = t.first, sibling = t.sibling, label = t.label;
  const outHead = t.outHead, outNext = t.outNext, deg = t.deg;
  // Insertion counted every state's children but the root's.
  let d0 = 0;
  for (let c = first[0]; c >= 0; c = sibling[c]) d0++;
  deg[0] = d0;
  // By new number: where its edges start (states with several children) and its outputs.
  const edgeAt = new Int32Array(n);
  const outStart = new Uint32Array(n + 1);
  for (let s = 0; s < n; s++) {
    const ns = id[s];
    const d = deg[s];
    edgeAt[ns] = d > 1 ? d : 0;
    let k = 0;
    for (let x = outHead[s]; x >= 0; x = outNext[x]) k++;
    outStart[ns] = k;
  }
  let edgeCount = 0;
  let total = 0;
  for (let ns = 0; ns < n; ns++) {
    const d = edgeAt[ns];
    edgeAt[ns] = edgeCount;
    edgeCount += d;
    const k = outStart[ns];
    outStart[ns] = total;
    total += k;
  }
  outStart[n] = total;
  const nodes = new Int32Array(NODE_WORDS * n);
  const edges = new Int32Array(EDGE_WORDS * edgeCount);
  const outList = new Uint32Array(total);
  for (let s = 0; s < n; s++) {
    const ns = id[s];
    const at = ns * NODE_WORDS;
    nodes[at + NODE_FAIL] = id[fail[s]];
    nodes[at + NODE_DICT] = dictLink[s] < 0 ? -1 : id[dictLink[s]];
    const d = deg[s];
    let info = d;
    if (outHead[s] >= 0) info |= INFO_HAS_OUTPUT;
    if (d === 1) {
      info |= label[first[s]] << INFO_EDGE_BYTE_SHIFT;
      nodes[at + NODE_TARGET] = id[first[s]];
    } else if (d > 1) {
      let e = edgeAt[ns];
      nodes[at + NODE_TARGET] = e;
      for (let c = first[s]; c >= 0; c = sibling[c]) {
        edges[e * EDGE_WORDS + EDGE_BYTE] = label[c];
        edges[e * EDGE_WORDS + EDGE_TARGET] = id[c];
        e++;
      }
    }
    nodes[at + NODE_INFO] = info;
    // Keys in ascending order within a state (the list holds them newest first).
    let k = outStart[ns + 1];
    for (let x = outHead[s]; x >= 0; x = outNext[x]) outList[--k] = x;
  }
  return { nodes, edges, outStart, outList };
}

/**
 * The same tables with 16-bit dense entries, when every state number fits in 15 bits (else the
 * tables unchanged).
 *
 * @param tables Tables built with 32-bit entries.
 * @returns Tables whose dense rows are 16-bit when possible.
 */
export function narrowDenseRows(tables: AhoCorasickTables): AhoCorasickTables {
  if (!(tables.dense instanceof Int32Array)) return tables;
  return { ...tables, dense: narrowDense(tables.dense, tables.nodes.length / NODE_WORDS) };
}
