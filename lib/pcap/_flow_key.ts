/**
 * The canonical 5-tuple key of a conversation over numbers: the lower endpoint (address, then
 * port) first, so that both directions of a conversation give the same words and hash, and which
 * direction a packet travels.
 *
 * @module
 */
import type { FlowPacket } from "./flow_packet.ts";

/** Key word: address family in bits 8–15, IP protocol in bits 0–7. */
export const KEY_FAMILY_PROTO = 0;
/** Key word: endpoint A's port in the high 16 bits, endpoint B's in the low 16 bits. */
export const KEY_PORTS = 1;
/** Key words 2–5: endpoint A's address (IPv4 in the first word). */
export const KEY_ADDR_A = 2;
/** Key words 6–9: endpoint B's address. */
export const KEY_ADDR_B = 6;
/** Words in a key. */
export const KEY_WORDS = 10;

/** Where {@linkcode canonicalize} writes its result; reuse one per caller. */
export interface CanonicalKey {
  /** The key words ({@linkcode KEY_WORDS} long). */
  readonly words: Uint32Array;
  /** 32-bit hash of the key words. */
  hash: number;
  /** `true` when the packet's source is endpoint A (the lower endpoint) of the key. */
  forward: boolean;
}

/** An empty key to pass to {@linkcode canonicalize}. */
export function newCanonicalKey(): CanonicalKey {
  return { words: new Uint32Array(KEY_WORDS), hash: 0, forward: true };
}

function compareEndpoints(p: FlowPacket): number {
  const a = p.src, b = p.dst;
  for (let i = 0; i < 4; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return p.sport - p.dport;
}

/** Writes the canonical key of a packet's conversation into `out`; returns `out`. */
export function canonicalize(p: FlowPacket, out: CanonicalKey): CanonicalKey {
  const w = out.words;
  const forward = compareEndpoints(p) <= 0;
  const a = forward ? p.src : p.dst, b = forward ? p.dst : p.src;
  w[KEY_FAMILY_PROTO] = (p.family << 8) | p.proto;
  w[KEY_PORTS] = forward ? ((p.sport << 16) | p.dport) >>> 0 : ((p.dport << 16) | p.sport) >>> 0;
  for (let i = 0; i < 4; i++) {
    w[KEY_ADDR_A + i] = a[i];
    w[KEY_ADDR_B + i] = b[i];
  }
  out.forward = forward;
  // IPv4 keys have zeros in the upper address words: hash only the words that vary.
  out.hash = p.family === 6 ? hashWords(w, KEY_WORDS) : hashV4(w);
  return out;
}

/** Hashes an IPv4 key's family/protocol, ports and the two addresses' first words. */
function hashV4(w: Uint32Array): number {
  let h = 0x9747b28c ^ 4;
  h = mix(h, w[KEY_FAMILY_PROTO]);
  h = mix(h, w[KEY_PORTS]);
  h = mix(h, w[KEY_ADDR_A]);
  h = mix(h, w[KEY_ADDR_B]);
  return finalize(h);
}

function mix(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalize(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes the first `n` words into 32 bits (murmur3-style mixing). */
export function hashWords(w: Uint32Array, n: number): number {
  let h = 0x9747b28c ^ n;
  for (let i = 0; i < n; i++) h = mix(h, w[i]);
  return finalize(h);
}
