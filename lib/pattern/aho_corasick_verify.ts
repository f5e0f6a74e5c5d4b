/**
 * Checking an Aho-Corasick automaton read from an untrusted file before it is walked.
 *
 * @module
 */
import {
  type AhoCorasickTables,
  DENSE16_MAX_STATES,
  DENSE16_REPORTS,
  DENSE_REPORTS,
  EDGE_BYTE,
  EDGE_TARGET,
  EDGE_WORDS,
  INFO_BITS,
  INFO_EDGE_BYTE_SHIFT,
  INFO_EDGE_COUNT,
  INFO_HAS_OUTPUT,
  NODE_DICT,
  NODE_FAIL,
  NODE_INFO,
  NODE_TARGET,
  NODE_WORDS,
} from "./aho_corasick_tables.ts";
import { reportsAt } from "./aho_corasick.ts";

/**
 * Checks untrusted tables: every edge leads forward to a state reached exactly once (so the
 * states form a tree), failure and dictionary links lead to shallower states (so walks
 * terminate; a dense state's failure link also to an earlier state), the byte classes and
 * every dense row are exactly what the sparse tables imply, and every range and key is in
 * bounds. Calls `bad` on the first problem.
 *
 * @param tables The tables.
 * @param keyCount The number of keys (pattern numbers must be below it).
 * @param bad Called with a description of the problem; must throw.
 */
export function verifyAutomaton(
  tables: AhoCorasickTables,
  keyCount: number,
  bad: (what: string) => never,
): void {
  const { nodes, edges, outStart, outList, classes } = tables;
  const K = tables.denseStates;
  const S = nodes.length / NODE_WORDS;
  const E = edges.length / EDGE_WORDS;
  const O = outList.length;
  if (S < 1 || outStart.length !== S + 1) bad("automaton tables differ in length");
  if (K > S) bad(`automaton has ${K} dense states but ${S} states`);
  const depth = new Int32Array(S).fill(-1);
  depth[0] = 0;
  const used = new Uint8Array(256);
  const reach = (from: number, t: number, b: number) => {
    if (t <= from || t >= S) bad(`automaton state ${from} has an edge to state ${t}`);
    if (depth[t] >= 0) bad(`automaton state ${t} is reached twice`);
    depth[t] = depth[from] + 1;
    used[b] = 1;
  };
  if (outStart[0] !== outStart[1]) bad("automaton root has outputs");
  if (nodes[NODE_DICT] !== -1) bad("automaton root has a dictionary link");
  for (let s = 0; s < S; s++) {
    if (depth[s] < 0) bad(`automaton state ${s} is unreachable`);
    const at = s * NODE_WORDS;
    const info = nodes[at + NODE_INFO];
    const cnt = info & INFO_EDGE_COUNT;
    if ((info & ~INFO_BITS) !== 0 || cnt > 256) bad(`automaton state ${s} is malformed`);
    if (cnt === 1) reach(s, nodes[at + NODE_TARGET], (info >>> INFO_EDGE_BYTE_SHIFT) & 255);
    else if (cnt > 1) {
      const e0 = nodes[at + NODE_TARGET];
      if (e0 < 0 || e0 + cnt > E) bad(`automaton state ${s} has an edge range out of bounds`);
      for (let k = e0; k < e0 + cnt; k++) {
        const b = edges[k * EDGE_WORDS + EDGE_BYTE];
        if (b < 0 || b > 255 || (k > e0 && b <= edges[(k - 1) * EDGE_WORDS + EDGE_BYTE])) {
          bad(`automaton state ${s} has unsorted or invalid edges`);
        }
        reach(s, edges[k * EDGE_WORDS + EDGE_TARGET], b);
      }
    }
    const o0 = outStart[s], o1 = outStart[s + 1];
    if (o1 < o0 || o1 > O) bad(`automaton state ${s} has an output range out of bounds`);
    if ((o1 > o0) !== ((info & INFO_HAS_OUTPUT) !== 0)) {
      bad(`automaton state ${s} output flag is wrong`);
    }
  }
  if (nodes[NODE_FAIL] !== 0) bad("automaton state 0 has a bad failure link");
  for (let s = 1; s < S; s++) {
    // A failure link leads to a shallower state, and for a dense state to an earlier one (its
    // row is derived from the failure state's row).
    const f = nodes[s * NODE_WORDS + NODE_FAIL];
    if (f < 0 || f >= S || depth[f] < 0 || depth[f] >= depth[s] || (s < K && f >= s)) {
      bad(`automaton state ${s} has a bad failure link`);
    }
    const d = nodes[s * NODE_WORDS + NODE_DICT];
    if (d !== -1 && (d <= 0 || d >= S || depth[d] < 0 || depth[d] >= depth[s])) {
      bad(`automaton state ${s} has a bad dictionary link`);
    }
  }
  for (let k = 0; k < O; k++) {
    if (outList[k] >= keyCount) bad(`automaton output ${k} is not a pattern`);
  }
  // Classes: one per byte some edge carries, numbered in byte order; 0 for all others.
  let C = 1;
  for (let b = 0; b < 256; b++) {
    if (classes[b] !== (used[b] !== 0 ? C++ : 0)) bad(`automaton byte ${b} has a bad class`);
  }
  if (C !== tables.classCount) {
    bad(`automaton has ${tables.classCount} byte classes, its edges use ${C}`);
  }
  const narrow = tables.dense instanceof Uint16Array;
  if (narrow && S > DENSE16_MAX_STATES) bad(`automaton has 16-bit dense rows but ${S} states`);
  // Rows hold exactly what the sparse tables imply, in either entry width.
  const flag = narrow ? DENSE16_REPORTS : DENSE_REPORTS;
  const want = denseRows(nodes, edges, classes, C, K, tables.resolved, flag);
  const dense = tables.dense;
  for (let k = 0; k < want.length; k++) {
    if (dense[k] !== want[k]) bad(`automaton dense row ${Math.floor(k / C)} is wrong`);
  }
}

// The dense rows of states [0, K) computed from the sparse tables, with `flag` as the reports
// bit (DENSE_REPORTS or DENSE16_REPORTS: the entries as a table of that width holds them; a
// 16-bit table's states are checked to fit): a state's
// row is its failure state's row (an earlier state's: checked; zeros for the root and for an
// unresolved automaton) with its own edges written over it (each edge's byte has its own class:
// checked). The same as a `nextState` per entry, without a search per entry.
function denseRows(
  nodes: Int32Array,
  edges: Int32Array,
  classes: Uint8Array,
  C: number,
  K: number,
  resolved: boolean,
  flag: number,
): Int32Array {
  const dense = new Int32Array(K * C);
  for (let s = 0; s < K; s++) {
    const at = s * NODE_WORDS;
    const row = s * C;
    if (resolved && s !== 0) {
      dense.copyWithin(row, nodes[at + NODE_FAIL] * C, nodes[at + NODE_FAIL] * C + C);
    }
    const info = nodes[at + NODE_INFO];
    const cnt = info & INFO_EDGE_COUNT;
    if (cnt === 1) {
      const t = nodes[at + NODE_TARGET];
      dense[row + classes[(info >>> INFO_EDGE_BYTE_SHIFT) & 255]] = t |
        (reportsAt(nodes, t, resolved) ? flag : 0);
    } else if (cnt > 1) {
      const e0 = nodes[at + NODE_TARGET];
      for (let k = e0; k < e0 + cnt; k++) {
        const t = edges[k * EDGE_WORDS + EDGE_TARGET];
        dense[row + classes[edges[k * EDGE_WORDS + EDGE_BYTE]]] = t |
          (reportsAt(nodes, t, resolved) ? flag : 0);
      }
    }
  }
  return dense;
}
