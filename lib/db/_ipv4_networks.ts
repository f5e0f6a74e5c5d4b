/**
 * The builder's IPv4 networks (the IPv4 subtree's, IPv4-mapped ones included): recorded in an
 * open-addressing hash table on (address, prefix length) for the duplicate policy, and sorted
 * for the tree writer at build time (no trie in memory).
 *
 * @module
 */
import { countInternal, type SortedNetworks } from "./_sorted_networks.ts";
import { grown } from "./_grow.ts";

/** Whether typed arrays are little-endian here (the low word of a 64-bit element comes first). */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Hash of an IPv4-subtree network (address and prefix length). */
function v4Hash(addr: number, prefix: number): number {
  let h = Math.imul(addr ^ Math.imul(prefix + 1, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The IPv4-subtree networks added so far, each with its entry. */
export class Ipv4Networks {
  // Per network (in insertion order): address, prefix length, entry index.
  #addr = new Uint32Array(1 << 12);
  #prefix = new Uint8Array(1 << 12);
  #entry = new Int32Array(1 << 12);
  // Network index + 1 by hash of (address, prefix); 0 = free slot.
  #table = new Int32Array(1 << 12);
  #count = 0;
  // The free slot where the last unsuccessful find() ended.
  #free = 0;

  /** The number of networks. */
  get count(): number {
    return this.#count;
  }

  /**
   * The entry of network `addr/prefix`, or -1 (then {@linkcode Ipv4Networks.insert} may add
   * it).
   *
   * @param addr The address, unsigned, host bits clear.
   * @param prefix The prefix length.
   * @returns The entry index, or -1.
   */
  find(addr: number, prefix: number): number {
    const table = this.#table;
    const mask = table.length - 1;
    let slot = v4Hash(addr, prefix) & mask;
    for (;;) {
      const e = table[slot];
      if (e === 0) break;
      const k = e - 1;
      if (this.#addr[k] === addr && this.#prefix[k] === prefix) return this.#entry[k];
      slot = (slot + 1) & mask;
    }
    this.#free = slot;
    return -1;
  }

  /**
   * Adds network `addr/prefix`, which the last {@linkcode Ipv4Networks.find} did not find.
   *
   * @param addr The address.
   * @param prefix The prefix length.
   * @param entry Its entry index.
   */
  insert(addr: number, prefix: number, entry: number): void {
    const k = this.#count++;
    if (k === this.#addr.length) {
      const n = 2 * k;
      this.#addr = grown(this.#addr, n);
      this.#prefix = grown(this.#prefix, n);
      this.#entry = grown(this.#entry, n);
    }
    this.#addr[k] = addr;
    this.#prefix[k] = prefix;
    this.#entry[k] = entry;
    let table = this.#table;
    table[this.#free] = k + 1;
    if (this.#count * 2 > table.length) {
      const old = table;
      table = new Int32Array(old.length * 2);
      const mask = table.length - 1;
      for (let s = 0; s < old.length; s++) {
        const e = old[s];
        if (e === 0) continue;
        let at = v4Hash(this.#addr[e - 1], this.#prefix[e - 1]) & mask;
        while (table[at] !== 0) at = (at + 1) & mask;
        table[at] = e;
      }
      this.#table = table;
    }
  }

  /**
   * The networks in address order (shorter prefixes first), with the number of search-tree
   * nodes they make.
   *
   * @param entryCount The builder's number of entries (all kinds), which bounds entry indexes.
   * @returns The sorted list.
   */
  sorted(entryCount: number): SortedNetworks {
    const count = this.#count;
    const addrs = this.#addr, prefixes = this.#prefix, entries = this.#entry;
    // Sort 64-bit words (address, prefix << 26 | entry index) natively: the sorted order gives
    // each network's entry without a hash probe. (Little-endian hosts with under 2^26 entries;
    // otherwise sort address * 64 + prefix and find the entries in the hash table.)
    const packed = LITTLE_ENDIAN && entryCount < 1 << 26;
    const words = new Uint32Array(packed ? 2 * count : 0);
    const keys = new Float64Array(packed ? 0 : count);
    for (let k = 0; k < count; k++) {
      if (packed) {
        words[2 * k] = ((prefixes[k] << 26) | entries[k]) >>> 0;
        words[2 * k + 1] = addrs[k];
      } else keys[k] = addrs[k] * 64 + prefixes[k];
    }
    if (packed) new BigUint64Array(words.buffer).sort();
    else keys.sort();
    const out: SortedNetworks = {
      words: new Uint32Array(count),
      stride: 1,
      prefix: new Uint8Array(count),
      entry: new Int32Array(count),
      size: count,
      internal: 0,
    };
    for (let j = 0; j < count; j++) {
      let addr: number, prefix: number, e: number;
      if (packed) {
        const low = words[2 * j];
        addr = words[2 * j + 1];
        prefix = low >>> 26;
        e = (low & 0x3ffffff) + 1;
      } else {
        const key = keys[j];
        prefix = key % 64;
        addr = (key - prefix) / 64;
        e = this.find(addr, prefix) + 1;
      }
      out.words[j] = addr;
      out.prefix[j] = prefix;
      out.entry[j] = e;
    }
    countInternal(out);
    return out;
  }
}
