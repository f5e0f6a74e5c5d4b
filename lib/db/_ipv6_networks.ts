/**
 * The builder's IPv6 networks (outside the IPv4 subtree): recorded in an open-addressing hash
 * table on (address, prefix length) for the duplicate policy, and sorted for the tree writer
 * at build time, with the places where the IPv4 subtree is linked in.
 *
 * @module
 */
import { countInternal, type SortedNetworks } from "./_sorted_networks.ts";
import { grown } from "./_grow.ts";

/**
 * The order of `k` IPv6 networks (four address words each in `words`, prefix lengths in
 * `prefix`) by address, then prefix length: a stable radix sort on 16-bit digits, least
 * significant first, skipping digits that are the same in every network.
 */
function sortV6Order(words: Uint32Array, prefix: Uint8Array, k: number): Int32Array {
  let order = new Int32Array(k);
  let next = new Int32Array(k);
  for (let j = 0; j < k; j++) order[j] = j;
  const counts = new Int32Array(65536);
  const digitKeys = new Uint16Array(k);
  // Digit 0 is the prefix length; digits 1 to 8 the address's 16-bit halves, last word first.
  for (let digit = 0; digit <= 8; digit++) {
    const w = 3 - ((digit - 1) >> 1);
    const shift = (digit - 1) & 1 ? 16 : 0;
    const keys = digitKeys;
    for (let j = 0; j < k; j++) {
      keys[j] = digit === 0 ? prefix[j] : (words[4 * j + w] >>> shift) & 0xffff;
    }
    counts.fill(0);
    for (let j = 0; j < k; j++) counts[keys[j]]++;
    if (k === 0 || counts[keys[0]] === k) continue;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let j = 0; j < k; j++) {
      const o = order[j];
      next[counts[keys[o]]++] = o;
    }
    const t = order;
    order = next;
    next = t;
  }
  return order;
}

/** Hash of an IPv6 network (four address words and prefix length). */
function v6Hash(w0: number, w1: number, w2: number, w3: number, prefix: number): number {
  let h = Math.imul(w0 ^ Math.imul(prefix + 1, 0x9e3779b1), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15) ^ w1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13) ^ w2, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 16) ^ w3, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The IPv6 networks added so far, each with its entry. */
export class Ipv6Networks {
  // Per network (in insertion order): four 32-bit address words, prefix length, entry index.
  #words = new Uint32Array(4 << 10);
  #prefix = new Uint8Array(1 << 10);
  #entry = new Int32Array(1 << 10);
  // Network index + 1 by hash of (address, prefix); 0 = free slot.
  #table = new Int32Array(1 << 11);
  #count = 0;
  // The free slot where the last unsuccessful find() ended.
  #free = 0;

  /** The number of networks. */
  get count(): number {
    return this.#count;
  }

  /**
   * The entry of network `w0:w1:w2:w3/prefix` (four 32-bit words, most significant first), or
   * -1 (then {@linkcode Ipv6Networks.insert} may add it).
   *
   * @param w0 Address bits 0–31.
   * @param w1 Address bits 32–63.
   * @param w2 Address bits 64–95.
   * @param w3 Address bits 96–127.
   * @param prefix The prefix length.
   * @returns The entry index, or -1.
   */
  find(w0: number, w1: number, w2: number, w3: number, prefix: number): number {
    const table = this.#table;
    const mask = table.length - 1;
    const words = this.#words;
    let slot = v6Hash(w0, w1, w2, w3, prefix) & mask;
    for (;;) {
      const e = table[slot];
      if (e === 0) break;
      const k = e - 1;
      if (
        words[4 * k] === w0 && words[4 * k + 1] === w1 && words[4 * k + 2] === w2 &&
        words[4 * k + 3] === w3 && this.#prefix[k] === prefix
      ) {
        return this.#entry[k];
      }
      slot = (slot + 1) & mask;
    }
    this.#free = slot;
    return -1;
  }

  /**
   * Adds a network the last {@linkcode Ipv6Networks.find} did not find.
   *
   * @param w0 Address bits 0–31.
   * @param w1 Address bits 32–63.
   * @param w2 Address bits 64–95.
   * @param w3 Address bits 96–127.
   * @param prefix The prefix length.
   * @param entry Its entry index.
   */
  insert(w0: number, w1: number, w2: number, w3: number, prefix: number, entry: number): void {
    const k = this.#count++;
    if (k === this.#prefix.length) {
      const n = 2 * k;
      this.#words = grown(this.#words, 4 * n);
      this.#prefix = grown(this.#prefix, n);
      this.#entry = grown(this.#entry, n);
    }
    const words = this.#words;
    words[4 * k] = w0;
    words[4 * k + 1] = w1;
    words[4 * k + 2] = w2;
    words[4 * k + 3] = w3;
    this.#prefix[k] = prefix;
    this.#entry[k] = entry;
    let table = this.#table;
    table[this.#free] = k + 1;
    if (this.#count * 2 > table.length) {
      table = new Int32Array(table.length * 2);
      const mask = table.length - 1;
      for (let j = 0; j < this.#count; j++) {
        const o = 4 * j;
        let at = v6Hash(words[o], words[o + 1], words[o + 2], words[o + 3], this.#prefix[j]) &
          mask;
        while (table[at] !== 0) at = (at + 1) & mask;
        table[at] = j + 1;
      }
      this.#table = table;
    }
  }

  /**
   * The networks in address order (shorter prefixes first), with, when `links` is set, the
   * places where the IPv4 subtree is linked in: `::/96`, and with the aliases (as MaxMind's
   * writers make them) `::ffff:0:0/96` (IPv4-mapped), `2001::/32` (Teredo) and `2002::/16`
   * (6to4).
   *
   * @param links Whether there is an IPv4 subtree to link in.
   * @param aliases Whether to link it at the aliases too.
   * @returns The sorted list.
   */
  sorted(links: boolean, aliases: boolean): SortedNetworks {
    const n = this.#count;
    const linkWords = !links
      ? []
      : aliases
      ? [[0, 0, 0, 0, 96], ...IPV4_ALIASES]
      : [[0, 0, 0, 0, 96]];
    const k = n + linkWords.length;
    const src = new Uint32Array(4 * k);
    src.set(this.#words.subarray(0, 4 * n));
    const srcPrefix = new Uint8Array(k);
    srcPrefix.set(this.#prefix.subarray(0, n));
    for (let j = 0; j < linkWords.length; j++) {
      src.set(linkWords[j].slice(0, 4), 4 * (n + j));
      srcPrefix[n + j] = linkWords[j][4];
    }
    const order = sortV6Order(src, srcPrefix, k);
    const out: SortedNetworks = {
      words: new Uint32Array(4 * k),
      stride: 4,
      prefix: new Uint8Array(k),
      entry: new Int32Array(k),
      size: k,
      internal: 0,
    };
    for (let j = 0; j < k; j++) {
      const o = order[j];
      out.words[4 * j] = src[4 * o];
      out.words[4 * j + 1] = src[4 * o + 1];
      out.words[4 * j + 2] = src[4 * o + 2];
      out.words[4 * j + 3] = src[4 * o + 3];
      out.prefix[j] = srcPrefix[o];
      out.entry[j] = o < n ? this.#entry[o] + 1 : -1;
    }
    countInternal(out);
    return out;
  }
}

/** The aliases of the IPv4 subtree: four address words and a prefix length each. */
const IPV4_ALIASES: number[][] = [
  [0, 0, 0xffff, 0, 96], // ::ffff:0:0/96, IPv4-mapped
  [0x20010000, 0, 0, 0, 32], // 2001::/32, Teredo
  [0x20020000, 0, 0, 0, 16], // 2002::/16, 6to4
];

/**
 * The first network (in address order) inside `2001::/32` (Teredo) or `2002::/16` (6to4), which
 * must stay empty when those ranges are aliases of the IPv4 space.
 *
 * @param list The sorted IPv6 networks.
 * @returns The entry index of the first such network, or -1.
 */
export function entryInsideAlias(list: SortedNetworks): number {
  for (let j = 0; j < list.size; j++) {
    if (list.entry[j] <= 0) continue;
    const w0 = list.words[4 * j];
    if (list.prefix[j] >= 16 && w0 >>> 16 === 0x2002) return list.entry[j] - 1;
    if (list.prefix[j] >= 32 && w0 === 0x20010000) return list.entry[j] - 1;
  }
  return -1;
}
