/**
 * An Aho-Corasick automaton over byte strings, flattened into typed arrays so that it can be
 * stored in a file and walked in place without allocation.
 *
 * States are numbered from 0 (the root). Transitions of the root are a dense table of 256
 * entries; every other state's transitions are a slice of a sorted edge list
 * (`edgeStart[s] … edgeStart[s+1]` into `edgeBytes` and `edgeTargets`). `fail[s]` is the failure
 * link; `outStart[s] … outStart[s+1]` slices `outList`, the keys (pattern numbers) whose piece
 * ends at `s`; `dictLink[s]` is the nearest state on the failure chain with outputs (-1 if none).
 *
 * @module
 */

/** The automaton's flattened tables. */
export interface AhoCorasickTables {
  /** Root transitions: the target state for each byte (0 when none). */
  root: Int32Array;
  /** Per state, where its edges start in `edgeBytes`/`edgeTargets`; length states + 1. */
  edgeStart: Uint32Array;
  /** Edge labels, sorted within each state. */
  edgeBytes: Uint8Array;
  /** Edge targets. */
  edgeTargets: Int32Array;
  /** Failure links. */
  fail: Int32Array;
  /** Per state, where its outputs start in `outList`; length states + 1. */
  outStart: Uint32Array;
  /** Output keys. */
  outList: Uint32Array;
  /** Nearest state with outputs along the failure chain, or -1. */
  dictLink: Int32Array;
}

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
 * const n = ac.collect({ bytes, length: 6, out, seen: new Uint32Array(3), stamp: 1 });
 * assert.deepEqual([...out.subarray(0, n)].sort(), [0, 1]);
 * ```
 */
export function buildAhoCorasick(pieces: (Uint8Array | null)[]): AhoCorasickTables {
  // Trie with per-state Maps (build time only).
  const kids: Map<number, number>[] = [new Map()];
  const outs: number[][] = [[]];
  for (let key = 0; key < pieces.length; key++) {
    const p = pieces[key];
    if (p === null || p.length === 0) continue;
    let s = 0;
    for (let i = 0; i < p.length; i++) {
      const m = kids[s];
      let t = m.get(p[i]);
      if (t === undefined) {
        t = kids.length;
        kids.push(new Map());
        outs.push([]);
        m.set(p[i], t);
      }
      s = t;
    }
    outs[s].push(key);
  }
  const n = kids.length;
  const fail = new Int32Array(n);
  const dictLink = new Int32Array(n).fill(-1);
  // Breadth-first order for failure links.
  const order = new Int32Array(n);
  let head = 0, tail = 0;
  const root = new Int32Array(256);
  for (const [b, t] of kids[0]) {
    root[b] = t;
    fail[t] = 0;
    order[tail++] = t;
  }
  while (head < tail) {
    const s = order[head++];
    for (const [b, t] of kids[s]) {
      let f = fail[s];
      for (;;) {
        const g = f === 0 ? root[b] : kids[f].get(b);
        if (g !== undefined && g !== 0) {
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
      dictLink[t] = outs[ft].length > 0 ? ft : dictLink[ft];
      order[tail++] = t;
    }
  }
  // Renumber states in breadth-first order so that failure and dictionary links always point
  // to a smaller number and edges to a larger one: walks provably terminate, and a reader can
  // verify an untrusted table in one pass.
  const id = new Int32Array(n);
  const byNew = new Int32Array(n);
  for (let k = 0; k < tail; k++) {
    id[order[k]] = k + 1;
    byNew[k + 1] = order[k];
  }
  const nFail = new Int32Array(n);
  const nDict = new Int32Array(n).fill(-1);
  for (let s = 1; s < n; s++) {
    nFail[id[s]] = id[fail[s]];
    nDict[id[s]] = dictLink[s] < 0 ? -1 : id[dictLink[s]];
  }
  for (let b = 0; b < 256; b++) root[b] = root[b] === 0 ? 0 : id[root[b]];
  const edgeStart = new Uint32Array(n + 1);
  let edges = 0;
  for (let s = 0; s < n; s++) {
    edgeStart[s] = edges;
    if (s !== 0) edges += kids[byNew[s]].size;
  }
  edgeStart[n] = edges;
  const edgeBytes = new Uint8Array(edges);
  const edgeTargets = new Int32Array(edges);
  for (let s = 1; s < n; s++) {
    const list = [...kids[byNew[s]]].sort((a, b) => a[0] - b[0]);
    let k = edgeStart[s];
    for (const [b, t] of list) {
      edgeBytes[k] = b;
      edgeTargets[k++] = id[t];
    }
  }
  const outStart = new Uint32Array(n + 1);
  let total = 0;
  for (let s = 0; s < n; s++) {
    outStart[s] = total;
    total += outs[byNew[s]].length;
  }
  outStart[n] = total;
  const outList = new Uint32Array(total);
  for (let s = 0; s < n; s++) outList.set(outs[byNew[s]], outStart[s]);
  return {
    root,
    edgeStart,
    edgeBytes,
    edgeTargets,
    fail: nFail,
    outStart,
    outList,
    dictLink: nDict,
  };
}

/** A reusable scan context for {@linkcode AhoCorasick.collect}: input, output, de-duplication. */
export interface AhoCorasickScan {
  /** The query bytes. */
  bytes: Uint8Array;
  /** How many of `bytes` to scan. */
  length: number;
  /** Receives the keys found; must hold as many as there are keys. */
  out: Uint32Array;
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
  #edgeStart: Uint32Array;
  #edgeBytes: Uint8Array;
  #edgeTargets: Int32Array;
  #fail: Int32Array;
  #outStart: Uint32Array;
  #outList: Uint32Array;
  #dictLink: Int32Array;

  /** @param tables The flattened tables. */
  constructor(tables: AhoCorasickTables) {
    this.#root = tables.root;
    this.#edgeStart = tables.edgeStart;
    this.#edgeBytes = tables.edgeBytes;
    this.#edgeTargets = tables.edgeTargets;
    this.#fail = tables.fail;
    this.#outStart = tables.outStart;
    this.#outList = tables.outList;
    this.#dictLink = tables.dictLink;
  }

  /**
   * Checks that every link and edge of an untrusted table is in range and that failure and
   * dictionary links point to earlier states (so walks terminate). Calls `bad` on the first
   * problem.
   *
   * @param keyCount The number of keys (pattern numbers must be below it).
   * @param bad Called with a description of the problem; must throw.
   */
  verify(keyCount: number, bad: (what: string) => never): void {
    const S = this.#fail.length;
    const E = this.#edgeBytes.length;
    const O = this.#outList.length;
    if (this.#edgeTargets.length !== E) bad("automaton edge tables differ in length");
    if (this.#dictLink.length !== S) bad("automaton link tables differ in length");
    for (let b = 0; b < 256; b++) {
      const t = this.#root[b];
      if (t < 0 || t >= S) bad(`automaton root edge ${b} leads to state ${t} of ${S}`);
    }
    if (this.#edgeStart[0] !== 0 || this.#edgeStart[1] !== 0) bad("automaton root has list edges");
    if (this.#outStart[0] !== 0 || this.#outStart[1] !== 0) bad("automaton root has outputs");
    for (let s = 1; s < S; s++) {
      const e0 = this.#edgeStart[s], e1 = this.#edgeStart[s + 1];
      if (e1 < e0 || e1 > E) bad(`automaton state ${s} has an edge range out of bounds`);
      for (let k = e0; k < e1; k++) {
        const t = this.#edgeTargets[k];
        if (t <= s || t >= S) bad(`automaton state ${s} has an edge to state ${t}`);
        if (k > e0 && this.#edgeBytes[k] <= this.#edgeBytes[k - 1]) {
          bad(`automaton state ${s} has unsorted edges`);
        }
      }
      const f = this.#fail[s];
      if (f < 0 || f >= s) bad(`automaton state ${s} has a failure link to ${f}`);
      const d = this.#dictLink[s];
      if (d < -1 || d >= s || d === 0) bad(`automaton state ${s} has a dictionary link to ${d}`);
      const o0 = this.#outStart[s], o1 = this.#outStart[s + 1];
      if (o1 < o0 || o1 > O) bad(`automaton state ${s} has an output range out of bounds`);
    }
    for (let k = 0; k < O; k++) {
      if (this.#outList[k] >= keyCount) bad(`automaton output ${k} is not a pattern`);
    }
  }

  /** The number of states, root included. */
  get stateCount(): number {
    return this.#fail.length;
  }

  /**
   * Finds every key whose piece occurs in `scan.bytes[0..scan.length)` and writes each once to
   * `scan.out`. Allocates nothing.
   *
   * @param scan The query, the output buffer and the de-duplication marks.
   * @returns The number of keys written.
   */
  collect(scan: AhoCorasickScan): number {
    const bytes = scan.bytes;
    const length = scan.length;
    const out = scan.out;
    const root = this.#root;
    const edgeStart = this.#edgeStart;
    const edgeBytes = this.#edgeBytes;
    const edgeTargets = this.#edgeTargets;
    const fail = this.#fail;
    const outStart = this.#outStart;
    const outList = this.#outList;
    const dictLink = this.#dictLink;
    const seen = scan.seen;
    const stamp = scan.stamp;
    let count = 0;
    let s = 0;
    for (let i = 0; i < length; i++) {
      const b = bytes[i];
      for (;;) {
        if (s === 0) {
          s = root[b];
          break;
        }
        let lo = edgeStart[s];
        let hi = edgeStart[s + 1];
        let next = -1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          const e = edgeBytes[mid];
          if (e === b) {
            next = edgeTargets[mid];
            break;
          }
          if (e < b) lo = mid + 1;
          else hi = mid;
        }
        if (next >= 0) {
          s = next;
          break;
        }
        s = fail[s];
      }
      if (s === 0) continue;
      let t = outStart[s] !== outStart[s + 1] ? s : dictLink[s];
      while (t > 0) {
        for (let k = outStart[t], e = outStart[t + 1]; k < e; k++) {
          const key = outList[k];
          if (seen[key] !== stamp) {
            seen[key] = stamp;
            out[count++] = key;
          }
        }
        t = dictLink[t];
      }
    }
    return count;
  }
}
