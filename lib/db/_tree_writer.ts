/**
 * Writing the search tree of sorted networks into the file, node by node in preorder, with no
 * trie in memory.
 *
 * @module
 */
import * as tree from "../format/search_tree.ts";
import { writeRecord } from "../format/search_tree.ts";
import type { SortedNetworks } from "./_sorted_networks.ts";

// Module-local copies of the 24-bit record layout, written inline on the hot path.
const NODE_BYTES_24 = tree.NODE_BYTES_24;
const RECORD_BYTES_24 = tree.RECORD_BYTES_24;

/**
 * Writes the search tree of sorted networks as the trie they make would be written: nodes in
 * preorder (a node's left child, when it has children, is the next node), a record holding a
 * child's number or, for a child without children, the data it holds or inherits (`records[e]`
 * for entry index + 1 `e`: `nodeCount + 16 +` its data offset; `records[0]`, `nodeCount`, for
 * none). A run of nodes with a single network
 * below them is written at once. A link (entry -1) is the IPv4 subtree, written by `v4` where
 * it is first reached; later links point to that number.
 */
export class TreeWriter {
  #file: Uint8Array;
  #recordSize: number;
  #records: Float64Array;
  #list: SortedNetworks;
  #words: Uint32Array;
  #stride: number;
  #prefix: Uint8Array;
  #entry: Int32Array;
  #v4: TreeWriter | null;
  #v4Number = -1;
  #count = 0;

  /**
   * @param file The file being written (the tree starts at 0; zero-filled).
   * @param recordSize 24, 28 or 32.
   * @param records The record value of each entry index + 1 (`records[0]`: no data).
   * @param list The networks.
   * @param v4 The IPv4 subtree's writer, for the links to it (an IPv6 tree), or null.
   */
  constructor(
    file: Uint8Array,
    recordSize: number,
    records: Float64Array,
    list: SortedNetworks,
    v4: TreeWriter | null,
  ) {
    this.#file = file;
    this.#recordSize = recordSize;
    this.#records = records;
    this.#list = list;
    this.#words = list.words;
    this.#stride = list.stride;
    this.#prefix = list.prefix;
    this.#entry = list.entry;
    this.#v4 = v4;
  }

  /** Whether the tree is a single node without children. */
  get leaf(): boolean {
    return this.#list.internal === 0;
  }

  /** The entry of a tree that is one leaf (its network of prefix length 0), or 0. */
  get rootEntry(): number {
    return this.#list.size > 0 && this.#prefix[0] === 0 ? this.#entry[0] : 0;
  }

  /** Writes the tree numbered from `start`, inheriting entry `inherited`; returns the next number. */
  write(start: number, inherited: number): number {
    this.#count = start;
    if (this.leaf) {
      // One node (the tree's root), its records the data of the root's network or none.
      const e = this.rootEntry || inherited;
      const n = this.#count++;
      this.#put(n, 0, this.#records[e]);
      this.#put(n, 1, this.#records[e]);
    } else this.#node(0, 0, this.#list.size, inherited);
    return this.#count;
  }

  #put(n: number, bit: number, v: number): void {
    if (this.#recordSize !== 24) return writeRecord(this.#file, this.#recordSize, n, bit, v);
    const file = this.#file;
    const p = n * NODE_BYTES_24 + bit * RECORD_BYTES_24;
    file[p] = v >>> 16;
    file[p + 1] = v >>> 8;
    file[p + 2] = v;
  }

  /** The record of a link to the IPv4 subtree, inheriting `e` (written when first reached). */
  #link(e: number): number {
    const v4 = this.#v4 as TreeWriter;
    if (v4.leaf) return this.#records[v4.rootEntry || e];
    if (this.#v4Number < 0) {
      this.#v4Number = this.#count;
      this.#count = v4.write(this.#count, e);
    }
    return this.#v4Number;
  }

  /**
   * Writes the node at depth `d` through which networks `[lo, hi)` pass (some of them below
   * it), inheriting entry `inherited`.
   */
  #node(d: number, lo: number, hi: number, inherited: number): void {
    const num = this.#count++;
    let e = inherited;
    // A network of this node sorts first.
    if (this.#prefix[lo] === d) e = this.#entry[lo++];
    // The networks with bit d clear sort before those with it set.
    const words = this.#words;
    const stride = this.#stride;
    const w = d >>> 5;
    const shift = 31 - (d & 31);
    let a = lo;
    let b = hi;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (((words[m * stride + w] >>> shift) & 1) === 0) a = m + 1;
      else b = m;
    }
    this.#child(num, 0, d + 1, lo, a, e);
    this.#child(num, 1, d + 1, a, hi, e);
  }

  /** Writes record `bit` of node `num`: its child at depth `d` with networks `[lo, hi)`. */
  #child(num: number, bit: number, d: number, lo: number, hi: number, e: number): void {
    if (lo === hi) return this.#put(num, bit, this.#records[e]);
    if (hi - lo > 1) {
      this.#put(num, bit, this.#count);
      return this.#node(d, lo, hi, e);
    }
    const p = this.#prefix[lo];
    const own = this.#entry[lo];
    if (p === d) return this.#put(num, bit, own < 0 ? this.#link(e) : this.#records[own]);
    // One network below: a run of nodes down to it, the other records inheriting `e`.
    this.#put(num, bit, this.#count);
    const words = this.#words;
    const at = lo * this.#stride;
    const other = this.#records[e];
    const file = this.#file;
    for (let k = d; k < p; k++) {
      const n = this.#count++;
      const side = (words[at + (k >>> 5)] >>> (31 - (k & 31))) & 1;
      if (this.#recordSize !== 24 || k + 1 === p) {
        this.#put(n, side ^ 1, other);
        if (k + 1 < p) this.#put(n, side, n + 1);
        else this.#put(n, side, own < 0 ? this.#link(e) : this.#records[own]);
        continue;
      }
      // 24-bit records written here: the next node on one side, `other` on the other.
      const q = n * NODE_BYTES_24 + side * RECORD_BYTES_24;
      const r = n * NODE_BYTES_24 + (side ^ 1) * RECORD_BYTES_24;
      file[q] = (n + 1) >>> 16;
      file[q + 1] = (n + 1) >>> 8;
      file[q + 2] = n + 1;
      file[r] = other >>> 16;
      file[r + 1] = other >>> 8;
      file[r + 2] = other;
    }
  }
}
