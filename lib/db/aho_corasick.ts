/**
 * An Aho-Corasick automaton over byte strings, flattened into typed arrays so that it can be
 * stored in a file and walked in place without allocation.
 *
 * States are numbered in depth-first preorder from 0 (the root), so a state's first child is
 * always the next state: a state with a single edge (most of them, in a trie of long pieces)
 * stores only the edge's byte. Each state is one 4-word record in `nodes` (one cache line holds
 * four states):
 *
 * | word | meaning                                                                     |
 * | ---- | --------------------------------------------------------------------------- |
 * | 0    | failure link                                                                |
 * | 1    | where its edges start in `edges` (when it has two or more)                  |
 * | 2    | bits 0–8: edge count; bits 9–16: the byte of a single edge (target = s + 1); bit 17: the state has outputs |
 * | 3    | dictionary link: nearest state on the failure chain with outputs, or -1     |
 *
 * `edges` holds `(byte, target)` pairs sorted by byte within each state; the root uses the dense
 * 256-entry `root` table instead. `outStart[s] … outStart[s+1]` slices `outList`, the keys
 * (pattern numbers) whose piece ends at `s`.
 *
 * @module
 */

/** The automaton's flattened tables. */
export interface AhoCorasickTables {
  /** Root transitions: the target state for each byte (0 when none). */
  root: Int32Array;
  /** Four words per state (see the module documentation). */
  nodes: Int32Array;
  /** `(byte, target)` pairs of states with two or more edges. */
  edges: Int32Array;
  /** Per state, where its outputs start in `outList`; length states + 1. */
  outStart: Uint32Array;
  /** Output keys. */
  outList: Uint32Array;
}

const HAS_OUT = 1 << 17;

/**
 * Builds the automaton. Key `i` reports piece `pieces[i]`; a `null` or empty piece is left out
 * (its key never reports).
 *
 * @param pieces The byte strings, one per key.
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
export function buildAhoCorasick(pieces: (Uint8Array | null)[]): AhoCorasickTables {
  // The trie as linked lists in typed arrays (no per-state objects): children of a state are a
  // sibling list kept sorted by byte; the root's children are a dense table.
  let cap = 1;
  for (const p of pieces) if (p !== null) cap += p.length;
  const first = new Int32Array(cap).fill(-1);
  const sibling = new Int32Array(cap).fill(-1);
  const label = new Int32Array(cap);
  const outHead = new Int32Array(cap).fill(-1);
  const outKey = new Int32Array(pieces.length);
  const outNext = new Int32Array(pieces.length);
  const root = new Int32Array(256);
  let n = 1;
  const child = (s: number, b: number): number => {
    if (s === 0) return root[b];
    for (let c = first[s]; c >= 0; c = sibling[c]) {
      const l = label[c];
      if (l === b) return c;
      if (l > b) break;
    }
    return 0;
  };
  for (let key = 0; key < pieces.length; key++) {
    const p = pieces[key];
    if (p === null || p.length === 0) continue;
    let s = 0;
    for (let i = 0; i < p.length; i++) {
      const b = p[i];
      let t = child(s, b);
      if (t === 0) {
        t = n++;
        label[t] = b;
        if (s === 0) root[b] = t;
        else {
          // Insert into the sorted sibling list.
          let prev = -1, c = first[s];
          while (c >= 0 && label[c] < b) {
            prev = c;
            c = sibling[c];
          }
          sibling[t] = c;
          if (prev < 0) first[s] = t;
          else sibling[prev] = t;
        }
      }
      s = t;
    }
    outKey[key] = key;
    outNext[key] = outHead[s];
    outHead[s] = key;
  }
  const fail = new Int32Array(n);
  const dictLink = new Int32Array(n).fill(-1);
  const order = new Int32Array(n);
  let head = 0, tail = 0;
  for (let b = 0; b < 256; b++) if (root[b] !== 0) order[tail++] = root[b];
  while (head < tail) {
    const s = order[head++];
    for (let t = first[s]; t >= 0; t = sibling[t]) {
      const b = label[t];
      let f = fail[s];
      for (;;) {
        const g = child(f, b);
        if (g !== 0) {
          fail[t] = g;
          break;
        }
        if (f === 0) {
          fail[t] = 0;
          break;
        }
        f = fail[f];
      }
      const ft = fail[t];
      dictLink[t] = outHead[ft] >= 0 ? ft : dictLink[ft];
      order[tail++] = t;
    }
  }
  // Renumber in depth-first preorder (children in byte order): a first child is its parent + 1.
  const id = new Int32Array(n);
  const byNew = new Int32Array(n);
  const stack = new Int32Array(n);
  let sp = 0;
  stack[sp++] = 0;
  let next = 0;
  while (sp > 0) {
    const s = stack[--sp];
    id[s] = next;
    byNew[next++] = s;
    // Push the children in reverse byte order so the smallest byte is numbered first.
    const base = sp;
    if (s === 0) {
      for (let b = 0; b < 256; b++) if (root[b] !== 0) stack[sp++] = root[b];
    } else for (let c = first[s]; c >= 0; c = sibling[c]) stack[sp++] = c;
    for (let lo = base, hi = sp - 1; lo < hi; lo++, hi--) {
      const x = stack[lo];
      stack[lo] = stack[hi];
      stack[hi] = x;
    }
  }
  for (let b = 0; b < 256; b++) root[b] = root[b] === 0 ? 0 : id[root[b]];
  const nodes = new Int32Array(4 * n);
  const deg = new Int32Array(n);
  let edgeCount = 0;
  for (let s = 1; s < n; s++) {
    let d = 0;
    for (let c = first[s]; c >= 0; c = sibling[c]) d++;
    deg[s] = d;
    if (d > 1) edgeCount += d;
  }
  const edges = new Int32Array(2 * edgeCount);
  const outStart = new Uint32Array(n + 1);
  let e = 0;
  let total = 0;
  for (let ns = 0; ns < n; ns++) {
    const s = byNew[ns];
    outStart[ns] = total;
    for (let k = outHead[s]; k >= 0; k = outNext[k]) total++;
    nodes[4 * ns] = ns === 0 ? 0 : id[fail[s]];
    nodes[4 * ns + 3] = dictLink[s] < 0 ? -1 : id[dictLink[s]];
    const d = ns === 0 ? 0 : deg[s];
    let info = d;
    if (outHead[s] >= 0) info |= HAS_OUT;
    if (d === 1) info |= label[first[s]] << 9;
    if (d > 1) {
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
    for (let x = outHead[byNew[ns]]; x >= 0; x = outNext[x]) outList[--k] = outKey[x];
  }
  return { root, nodes, edges, outStart, outList };
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
  #root: Int32Array;
  #nodes: Int32Array;
  #edges: Int32Array;
  #outStart: Uint32Array;
  #outList: Uint32Array;

  /** @param tables The flattened tables. */
  constructor(tables: AhoCorasickTables) {
    this.#root = tables.root;
    this.#nodes = tables.nodes;
    this.#edges = tables.edges;
    this.#outStart = tables.outStart;
    this.#outList = tables.outList;
  }

  /** The number of states, root included. */
  get stateCount(): number {
    return this.#nodes.length >> 2;
  }

  /**
   * Checks an untrusted table: every edge leads forward to a state reached exactly once (so the
   * states form a tree), failure and dictionary links lead to shallower states (so walks
   * terminate), and every range and key is in bounds. Calls `bad` on the first problem.
   *
   * @param keyCount The number of keys (pattern numbers must be below it).
   * @param bad Called with a description of the problem; must throw.
   */
  verify(keyCount: number, bad: (what: string) => never): void {
    const nodes = this.#nodes, edges = this.#edges, root = this.#root;
    const S = nodes.length >> 2;
    const E = edges.length >> 1;
    const O = this.#outList.length;
    if (S < 1 || this.#outStart.length !== S + 1) bad("automaton tables differ in length");
    const depth = new Int32Array(S).fill(-1);
    depth[0] = 0;
    const reach = (from: number, t: number) => {
      if (t <= from || t >= S) bad(`automaton state ${from} has an edge to state ${t}`);
      if (depth[t] >= 0) bad(`automaton state ${t} is reached twice`);
      depth[t] = depth[from] + 1;
    };
    for (let b = 0; b < 256; b++) if (root[b] !== 0) reach(0, root[b]);
    if (nodes[2] !== 0 && nodes[2] !== HAS_OUT) bad("automaton root has list edges");
    if (this.#outStart[0] !== this.#outStart[1]) bad("automaton root has outputs");
    for (let s = 1; s < S; s++) {
      if (depth[s] < 0) bad(`automaton state ${s} is unreachable`);
      const info = nodes[4 * s + 2];
      const cnt = info & 511;
      if ((info & ~(HAS_OUT | 0x1ffff)) !== 0 || cnt > 256) {
        bad(`automaton state ${s} is malformed`);
      }
      if (cnt === 1) reach(s, s + 1);
      else if (cnt > 1) {
        const e0 = nodes[4 * s + 1];
        if (e0 < 0 || e0 + cnt > E) bad(`automaton state ${s} has an edge range out of bounds`);
        for (let k = e0; k < e0 + cnt; k++) {
          const b = edges[2 * k];
          if (b < 0 || b > 255 || (k > e0 && b <= edges[2 * k - 2])) {
            bad(`automaton state ${s} has unsorted or invalid edges`);
          }
          reach(s, edges[2 * k + 1]);
        }
      }
      const f = nodes[4 * s];
      if (f < 0 || f >= S || depth[f] >= depth[s]) {
        bad(`automaton state ${s} has a bad failure link`);
      }
      const d = nodes[4 * s + 3];
      if (d !== -1 && (d <= 0 || d >= S || depth[d] >= depth[s])) {
        bad(`automaton state ${s} has a bad dictionary link`);
      }
      const o0 = this.#outStart[s], o1 = this.#outStart[s + 1];
      if (o1 < o0 || o1 > O) bad(`automaton state ${s} has an output range out of bounds`);
      if ((o1 > o0) !== ((info & HAS_OUT) !== 0)) bad(`automaton state ${s} output flag is wrong`);
    }
    for (let k = 0; k < O; k++) {
      if (this.#outList[k] >= keyCount) bad(`automaton output ${k} is not a pattern`);
    }
  }

  /**
   * Finds every key whose piece occurs anywhere in `scan.bytes[0..scan.length)` and appends
   * each (once per stamp) to `scan.out`. Allocates nothing.
   *
   * @param scan The query, the output buffer and the de-duplication marks.
   * @returns The new number of keys in `scan.out` (also stored in `scan.count`).
   */
  collect(scan: AhoCorasickScan): number {
    const bytes = scan.bytes;
    const length = scan.length;
    const out = scan.out;
    const root = this.#root;
    const nodes = this.#nodes;
    const edges = this.#edges;
    const outStart = this.#outStart;
    const outList = this.#outList;
    const seen = scan.seen;
    const stamp = scan.stamp;
    let count = scan.count;
    let s = 0;
    for (let i = 0; i < length; i++) {
      const b = bytes[i];
      for (;;) {
        if (s === 0) {
          s = root[b];
          break;
        }
        const g = next(nodes, edges, s, nodes[4 * s + 2], b);
        if (g !== 0) {
          s = g;
          break;
        }
        s = nodes[4 * s];
      }
      if (s === 0) continue;
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
    }
    scan.count = count;
    return count;
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
    for (let k = start; k < end; k++) {
      s = this.#step(s, bytes[k]);
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

  #step(s: number, b: number): number {
    if (s === 0) return this.#root[b];
    return next(this.#nodes, this.#edges, s, this.#nodes[4 * s + 2], b);
  }

  /**
   * {@linkcode AhoCorasick.collect} reading the query string itself rather than its UTF-8
   * bytes (an ASCII character is its own byte), optionally folding ASCII case. Gives up and
   * returns -1 (leaving `scan.count` as it was, but with some stamps set: the caller takes a new
   * stamp before walking the encoded bytes) when it meets a non-ASCII character.
   *
   * @param query The query string.
   * @param fold Whether to fold ASCII upper case to lower case.
   * @param scan The output buffer and de-duplication marks (`bytes` and `length` unused).
   * @returns The new number of keys in `scan.out` (also stored in `scan.count`), or -1.
   */
  collectOf(query: string, fold: boolean, scan: AhoCorasickScan): number {
    const length = query.length;
    const out = scan.out;
    const root = this.#root;
    const nodes = this.#nodes;
    const edges = this.#edges;
    const outStart = this.#outStart;
    const outList = this.#outList;
    const seen = scan.seen;
    const stamp = scan.stamp;
    let count = scan.count;
    let s = 0;
    for (let i = 0; i < length; i++) {
      let b = query.charCodeAt(i);
      if (b >= 0x80) return -1;
      if (fold && b >= 0x41 && b <= 0x5a) b += 32;
      while (s !== 0) {
        const g = next(nodes, edges, s, nodes[4 * s + 2], b);
        if (g !== 0) {
          s = g;
          break;
        }
        s = nodes[4 * s];
      }
      if (s === 0) {
        s = root[b];
        if (s === 0) continue;
      }
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
    }
    scan.count = count;
    return count;
  }

  /**
   * Uses the automaton as a plain trie anchored at one end of the query: walks from the first
   * byte forwards (or from the last byte backwards, for a trie of reversed pieces) while
   * transitions exist, and appends the keys of every state passed (once per stamp). Costs at
   * most the longest piece's length. Allocates nothing.
   *
   * @param scan The query, the output buffer and the de-duplication marks.
   * @param fromEnd Walk from the end of the query backwards.
   * @returns The new number of keys in `scan.out` (also stored in `scan.count`).
   */
  collectAnchored(scan: AhoCorasickScan, fromEnd: boolean): number {
    return fromEnd ? this.collectSuffix(scan, true) : this.collectPrefix(scan, true);
  }

  /**
   * {@linkcode AhoCorasick.collectAnchored} from the first byte forwards. With `dedup` false
   * the stamps are neither read nor written: the caller guarantees each key is reported by one
   * state only (see {@linkcode AhoCorasick.markKeys}), so an anchored walk meets it once.
   *
   * @param scan The query, the output buffer and the de-duplication marks.
   * @param dedup Whether to de-duplicate with the stamps.
   * @returns The new number of keys in `scan.out` (also stored in `scan.count`).
   */
  collectPrefix(scan: AhoCorasickScan, dedup: boolean): number {
    const bytes = scan.bytes;
    const length = scan.length;
    const out = scan.out;
    const nodes = this.#nodes;
    const edges = this.#edges;
    const outStart = this.#outStart;
    const outList = this.#outList;
    const seen = scan.seen;
    const stamp = scan.stamp;
    let count = scan.count;
    if (length === 0) return count;
    let s = this.#root[bytes[0]];
    let k = 1;
    while (s !== 0) {
      const info = nodes[4 * s + 2];
      if ((info & HAS_OUT) !== 0) {
        for (let x = outStart[s], e = outStart[s + 1]; x < e; x++) {
          const key = outList[x];
          if (dedup) {
            if (seen[key] === stamp) continue;
            seen[key] = stamp;
          }
          out[count++] = key;
        }
      }
      if (k === length) break;
      const b = bytes[k++];
      s = next(nodes, edges, s, info, b);
    }
    scan.count = count;
    return count;
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
    const length = query.length;
    let count = scan.count;
    if (length === 0) return count;
    let b = query.charCodeAt(0);
    if (b >= 0x80) return -1;
    if (fold && b >= 0x41 && b <= 0x5a) b += 32;
    const out = scan.out;
    const nodes = this.#nodes;
    const edges = this.#edges;
    const outStart = this.#outStart;
    const outList = this.#outList;
    let s = this.#root[b];
    let k = 1;
    while (s !== 0) {
      const info = nodes[4 * s + 2];
      if ((info & HAS_OUT) !== 0) {
        for (let x = outStart[s], e = outStart[s + 1]; x < e; x++) out[count++] = outList[x];
      }
      if (k === length) break;
      b = query.charCodeAt(k++);
      if (b >= 0x80) return -1;
      if (fold && b >= 0x41 && b <= 0x5a) b += 32;
      s = next(nodes, edges, s, info, b);
    }
    scan.count = count;
    return count;
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
    let k = query.length - 1;
    let count = scan.count;
    if (k < 0) return count;
    let b = query.charCodeAt(k);
    if (b >= 0x80) return -1;
    if (fold && b >= 0x41 && b <= 0x5a) b += 32;
    const out = scan.out;
    const nodes = this.#nodes;
    const edges = this.#edges;
    const outStart = this.#outStart;
    const outList = this.#outList;
    let s = this.#root[b];
    while (s !== 0) {
      const info = nodes[4 * s + 2];
      if ((info & HAS_OUT) !== 0) {
        for (let x = outStart[s], e = outStart[s + 1]; x < e; x++) out[count++] = outList[x];
      }
      if (k === 0) break;
      b = query.charCodeAt(--k);
      if (b >= 0x80) return -1;
      if (fold && b >= 0x41 && b <= 0x5a) b += 32;
      s = next(nodes, edges, s, info, b);
    }
    scan.count = count;
    return count;
  }

  /**
   * {@linkcode AhoCorasick.collectAnchored} from the last byte backwards (for a trie of
   * reversed pieces); `dedup` as in {@linkcode AhoCorasick.collectPrefix}.
   *
   * @param scan The query, the output buffer and the de-duplication marks.
   * @param dedup Whether to de-duplicate with the stamps.
   * @returns The new number of keys in `scan.out` (also stored in `scan.count`).
   */
  collectSuffix(scan: AhoCorasickScan, dedup: boolean): number {
    const bytes = scan.bytes;
    const length = scan.length;
    const out = scan.out;
    const nodes = this.#nodes;
    const edges = this.#edges;
    const outStart = this.#outStart;
    const outList = this.#outList;
    const seen = scan.seen;
    const stamp = scan.stamp;
    let count = scan.count;
    if (length === 0) return count;
    let k = length - 1;
    let s = this.#root[bytes[k]];
    while (s !== 0) {
      const info = nodes[4 * s + 2];
      if ((info & HAS_OUT) !== 0) {
        for (let x = outStart[s], e = outStart[s + 1]; x < e; x++) {
          const key = outList[x];
          if (dedup) {
            if (seen[key] === stamp) continue;
            seen[key] = stamp;
          }
          out[count++] = key;
        }
      }
      if (k === 0) break;
      const b = bytes[--k];
      s = next(nodes, edges, s, info, b);
    }
    scan.count = count;
    return count;
  }
}

// The trie edge from state `s` (not the root; `info` is its word 2) on byte `b`, or 0 when there
// is none (no edge leads back to the root, so 0 is never a target). Every walk steps through here.
function next(nodes: Int32Array, edges: Int32Array, s: number, info: number, b: number): number {
  const cnt = info & 511;
  if (cnt === 1) return ((info >>> 9) & 255) === b ? s + 1 : 0;
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
