/**
 * Networks in the order the search-tree writer takes them, and the node count they make.
 *
 * @module
 */

/**
 * Networks sorted by address, then prefix length (shorter first), as the tree writer takes
 * them: the IPv4 subtree's (`Ipv4Networks.sorted`) or the IPv6 tree's (`Ipv6Networks.sorted`).
 */
export interface SortedNetworks {
  /** Address words (`stride` 32-bit words per network, most significant first). */
  words: Uint32Array;
  /** 1 (IPv4 subtree) or 4 (IPv6). */
  stride: number;
  /** Prefix length of each network. */
  prefix: Uint8Array;
  /** Entry index + 1 of each network; -1 marks where the IPv4 subtree is linked in. */
  entry: Int32Array;
  /** The number of networks. */
  size: number;
  /** Search-tree nodes the networks make (trie nodes with children); 0 when one leaf. */
  internal: number;
}

/**
 * Counts the search-tree nodes of sorted networks (`internal`): a network adds the trie nodes
 * of its path below the deepest node it shares with the previous network's path (all new: the
 * list is sorted); a node has children unless it is a network's own node and the next network
 * does not lie below it.
 *
 * @param list The sorted networks; `internal` is set.
 */
export function countInternal(list: SortedNetworks): void {
  const { words, stride, prefix, size } = list;
  let nodes = 1;
  let leaves = size === 0 ? 1 : 0;
  for (let j = 1; j < size; j++) {
    let common = 32 * stride;
    for (let w = 0; w < stride; w++) {
      const x = (words[j * stride + w] ^ words[(j - 1) * stride + w]) >>> 0;
      if (x !== 0) {
        common = 32 * w + Math.clz32(x);
        break;
      }
    }
    const p = prefix[j];
    const q = prefix[j - 1];
    const d = Math.min(common, q, p);
    nodes += p - d;
    if (!(d === q && p > q)) leaves++;
  }
  if (size > 0) {
    nodes += prefix[0];
    leaves++; // the last network
  }
  list.internal = nodes - leaves;
}
