/**
 * The flow facts sessions and correlation work on, and the canonical 5-tuple over numbers.
 *
 * A {@linkcode FlowPacket} is one reusable record of what a decoded packet says about its flow:
 * addresses as 32-bit words, ports, IP protocol, TCP flags, capture time as whole seconds plus
 * nanoseconds, and where its transport payload lies in the capture buffer. Nothing is allocated
 * per packet. {@linkcode canonicalize} orders the two endpoints so that both directions of a
 * conversation share one key and tells which direction a packet travels.
 *
 * @module
 */

import { DecodeStatus, Layer, LinkType, type PacketView } from "./packet_view.ts";

/** TCP flag bits as they appear in the TCP header's flags byte. */
export const TCP_FIN = 0x01;
/** TCP SYN flag bit. */
export const TCP_SYN = 0x02;
/** TCP RST flag bit. */
export const TCP_RST = 0x04;
/** TCP PSH flag bit. */
export const TCP_PSH = 0x08;
/** TCP ACK flag bit. */
export const TCP_ACK = 0x10;

/** Number of 32-bit words in a canonical key: family+proto, ports, address A (4), address B (4). */
export const KEY_WORDS = 10;

/**
 * One packet's flow facts, filled in place for every packet (one instance is reused).
 *
 * @example
 * ```ts
 * import { FlowPacket } from "./session_key.ts";
 * import assert from "node:assert/strict";
 * const p = new FlowPacket();
 * p.setIPv4(0x7f000001, 0x7f000002, 17, 5353, 53);
 * assert.equal(p.family, 4);
 * assert.equal(p.src[0], 0x7f000001);
 * ```
 */
export class FlowPacket {
  /** 1-based packet number in the capture. */
  frame = 0;
  /** Capture time, whole seconds since the epoch. */
  sec = 0;
  /** Capture time, nanoseconds within the second (0 to 999,999,999). */
  nsec = 0;
  /** Original length on the wire. */
  wireLen = 0;
  /** Length of the IP packet (header and payload), 0 when not IP. */
  ipLen = 0;
  /** 4 for IPv4, 6 for IPv6, 0 when the packet has no IP layer. */
  family: 0 | 4 | 6 = 0;
  /** IP protocol number (6 TCP, 17 UDP, 1 ICMP …), 0 when none. */
  proto = 0;
  /** Source address: IPv4 in word 0, IPv6 in words 0 to 3 (big-endian words). */
  readonly src: Uint32Array = new Uint32Array(4);
  /** Destination address, laid out like {@linkcode FlowPacket.src}. */
  readonly dst: Uint32Array = new Uint32Array(4);
  /** Source port (0 when the protocol has none). */
  sport = 0;
  /** Destination port. */
  dport = 0;
  /** TCP flags byte (FIN 1, SYN 2, RST 4, PSH 8, ACK 16), 0 for other protocols. */
  tcpFlags = 0;
  /** The buffer the payload lies in. */
  buf: Uint8Array = new Uint8Array(0);
  /** Offset of the transport payload in {@linkcode FlowPacket.buf}. */
  payOff = 0;
  /** Length of the transport payload as captured. */
  payLen = 0;
  /** Link type of the capture interface ({@linkcode LinkType} values). */
  linktype = 1;
  /** Bit set of decoded layers ({@linkcode Layer} values). */
  layers = 0;
  /** Application protocol name as classified (`dns`, `http`, `tls` …), or "" when unknown. */
  service = "";
  /** The decoded packet these facts came from (set by {@linkcode fromView}), for classifiers. */
  view: PacketView | null = null;

  /**
   * Sets IPv4 addresses, protocol and ports, clearing the upper address words.
   *
   * @param src Source address as an unsigned 32-bit number.
   * @param dst Destination address.
   * @param proto IP protocol number.
   * @param sport Source port.
   * @param dport Destination port.
   * @returns Nothing.
   */
  setIPv4(src: number, dst: number, proto: number, sport: number, dport: number): void {
    this.family = 4;
    this.src[0] = src;
    this.src[1] = this.src[2] = this.src[3] = 0;
    this.dst[0] = dst;
    this.dst[1] = this.dst[2] = this.dst[3] = 0;
    this.proto = proto;
    this.sport = sport;
    this.dport = dport;
  }
}

/** Where {@linkcode canonicalize} writes its result; reuse one per caller. */
export interface CanonicalKey {
  /** The key words ({@linkcode KEY_WORDS} long). */
  readonly words: Uint32Array;
  /** 32-bit hash of the key words. */
  hash: number;
  /** `true` when the packet's source is endpoint A (the lower endpoint) of the key. */
  forward: boolean;
}

/**
 * Makes an empty {@linkcode CanonicalKey} to pass to {@linkcode canonicalize}.
 *
 * @returns A key with zeroed words.
 * @example
 * ```ts
 * import { newCanonicalKey, KEY_WORDS } from "./session_key.ts";
 * import assert from "node:assert/strict";
 * assert.equal(newCanonicalKey().words.length, KEY_WORDS);
 * ```
 */
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

/**
 * Writes the canonical 5-tuple key of a packet: the lower endpoint (address, then port) first,
 * so that both directions of a conversation give the same words and hash.
 *
 * @param p The packet's flow facts.
 * @param out Where to write the key, hash and direction.
 * @returns `out`, for chaining.
 * @example
 * ```ts
 * import { canonicalize, FlowPacket, newCanonicalKey } from "./session_key.ts";
 * import assert from "node:assert/strict";
 * const p = new FlowPacket();
 * p.setIPv4(0x0a000002, 0x0a000001, 6, 40000, 80);
 * const k1 = canonicalize(p, newCanonicalKey());
 * p.setIPv4(0x0a000001, 0x0a000002, 6, 80, 40000);
 * const k2 = canonicalize(p, newCanonicalKey());
 * assert.deepEqual(k1.words, k2.words);
 * assert.equal(k1.hash, k2.hash);
 * assert.notEqual(k1.forward, k2.forward);
 * ```
 */
export function canonicalize(p: FlowPacket, out: CanonicalKey): CanonicalKey {
  const w = out.words;
  const fwd = compareEndpoints(p) <= 0;
  const a = fwd ? p.src : p.dst, b = fwd ? p.dst : p.src;
  w[0] = (p.family << 8) | p.proto;
  w[1] = fwd ? ((p.sport << 16) | p.dport) >>> 0 : ((p.dport << 16) | p.sport) >>> 0;
  w[2] = a[0];
  w[3] = a[1];
  w[4] = a[2];
  w[5] = a[3];
  w[6] = b[0];
  w[7] = b[1];
  w[8] = b[2];
  w[9] = b[3];
  out.forward = fwd;
  out.hash = hashWords(w, KEY_WORDS);
  return out;
}

/**
 * Hashes the first `n` words of an array into 32 bits (murmur3-style mixing).
 *
 * @param w The words.
 * @param n How many words to hash.
 * @returns An unsigned 32-bit hash.
 * @example
 * ```ts
 * import { hashWords } from "./session_key.ts";
 * import assert from "node:assert/strict";
 * const a = new Uint32Array([1, 2, 3]);
 * assert.equal(hashWords(a, 3), hashWords(new Uint32Array([1, 2, 3]), 3));
 * assert.notEqual(hashWords(a, 3), hashWords(new Uint32Array([1, 2, 4]), 3));
 * ```
 */
export function hashWords(w: Uint32Array, n: number): number {
  let h = 0x9747b28c ^ n;
  for (let i = 0; i < n; i++) {
    let k = Math.imul(w[i], 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Formats an address held as 32-bit words: dotted quad for IPv4, RFC 5952 text for IPv6
 * (lower case, the longest run of two or more zero groups shortened to `::`, IPv4-mapped
 * addresses as `::ffff:a.b.c.d`).
 *
 * @param words The address words (IPv4 in word 0).
 * @param family 4 or 6.
 * @returns The address as text.
 * @example
 * ```ts
 * import { formatAddress } from "./session_key.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatAddress(new Uint32Array([0x7f000001, 0, 0, 0]), 4), "127.0.0.1");
 * assert.equal(formatAddress(new Uint32Array([0, 0, 0, 1]), 6), "::1");
 * assert.equal(formatAddress(new Uint32Array([0x20010db8, 0, 1, 0]), 6), "2001:db8::1:0:0");
 * ```
 */
export function formatAddress(words: ArrayLike<number>, family: number): string {
  if (family === 4) {
    const a = words[0] >>> 0;
    return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  }
  if (family !== 6) return "";
  if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) {
    // IPv4-mapped, written with the dotted quad as tshark does.
    return `::ffff:${formatAddress([words[3], 0, 0, 0], 4)}`;
  }
  const g: number[] = [];
  for (let i = 0; i < 4; i++) g.push((words[i] >>> 16) & 0xffff, words[i] & 0xffff);
  let bestAt = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestAt < 0) return g.map((x) => x.toString(16)).join(":");
  const head = g.slice(0, bestAt).map((x) => x.toString(16)).join(":");
  const tail = g.slice(bestAt + bestLen).map((x) => x.toString(16)).join(":");
  return `${head}::${tail}`;
}

/**
 * Parses an IPv4 or IPv6 address into 32-bit words.
 *
 * @param text The address.
 * @returns `{ family, words }`, or `null` when it is not an address.
 * @example
 * ```ts
 * import { parseAddress } from "./session_key.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseAddress("10.0.0.1"), { family: 4, words: [0x0a000001, 0, 0, 0] });
 * assert.deepEqual(parseAddress("::1"), { family: 6, words: [0, 0, 0, 1] });
 * assert.equal(parseAddress("10.0.0"), null);
 * ```
 */
export function parseAddress(text: string): { family: 4 | 6; words: number[] } | null {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split(".").map(Number);
    if (parts.some((x) => x > 255)) return null;
    return {
      family: 4,
      words: [((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0, 0, 0, 0],
    };
  }
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(":")) return null;
  let groups: number[] = [];
  const dbl = text.indexOf("::");
  if (dbl !== text.lastIndexOf("::")) return null;
  const parse = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (i === parts.length - 1 && part.includes(".")) {
        const v4 = parseAddress(part);
        if (!v4 || v4.family !== 4) return null;
        out.push(v4.words[0] >>> 16, v4.words[0] & 0xffff);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return null;
      out.push(parseInt(part, 16));
    }
    return out;
  };
  if (dbl >= 0) {
    const head = parse(text.slice(0, dbl));
    const tail = parse(text.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parse(text);
    if (!all || all.length !== 8) return null;
    groups = all;
  }
  const words = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) words[i] = ((groups[2 * i] << 16) | groups[2 * i + 1]) >>> 0;
  return { family: 6, words };
}

/** An address block, as {@linkcode parseAddressBlock} returns it. */
export interface AddressBlock {
  /** 4 or 6. */
  family: 4 | 6;
  /** The network address words. */
  words: number[];
  /** Prefix length in bits. */
  bits: number;
}

/**
 * Parses `ADDR/BITS` (or a bare address, meaning a single host).
 *
 * @param text The block, e.g. `10.0.0.0/8` or `fd00::/8`.
 * @returns The block, or `null` when it is malformed.
 * @example
 * ```ts
 * import { parseAddressBlock } from "./session_key.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseAddressBlock("10.0.0.0/8"), { family: 4, words: [0x0a000000, 0, 0, 0], bits: 8 });
 * assert.equal(parseAddressBlock("10.0.0.0/33"), null);
 * ```
 */
export function parseAddressBlock(text: string): AddressBlock | null {
  const slash = text.indexOf("/");
  const addr = parseAddress(slash >= 0 ? text.slice(0, slash) : text);
  if (!addr) return null;
  const max = addr.family === 4 ? 32 : 128;
  const bitsText = slash >= 0 ? text.slice(slash + 1) : String(max);
  if (!/^\d{1,3}$/.test(bitsText)) return null;
  const bits = Number(bitsText);
  if (bits > max) return null;
  return { family: addr.family, words: addr.words, bits };
}

/**
 * Tells whether an address (as words) lies inside a block.
 *
 * @param words The address words.
 * @param family The address family, 4 or 6.
 * @param cidr The block.
 * @returns `true` when inside.
 * @example
 * ```ts
 * import { blockContains, parseAddressBlock } from "./session_key.ts";
 * import assert from "node:assert/strict";
 * const net = parseAddressBlock("127.0.0.0/8")!;
 * assert.equal(blockContains(new Uint32Array([0x7f000005, 0, 0, 0]), 4, net), true);
 * assert.equal(blockContains(new Uint32Array([0x0a000005, 0, 0, 0]), 4, net), false);
 * ```
 */
export function blockContains(
  words: ArrayLike<number>,
  family: number,
  cidr: AddressBlock,
): boolean {
  if (family !== cidr.family) return false;
  let bits = cidr.bits;
  for (let i = 0; i < 4 && bits > 0; i++) {
    const take = bits >= 32 ? 32 : bits;
    const mask = take === 32 ? 0xffffffff : (0xffffffff << (32 - take)) >>> 0;
    if (((words[i] & mask) >>> 0) !== ((cidr.words[i] & mask) >>> 0)) return false;
    bits -= take;
  }
  return true;
}

/**
 * Fills a {@linkcode FlowPacket} from a decoded {@linkcode PacketView} without allocating.
 * Packets without an IP layer (or that failed to decode before it) get `family` 0.
 *
 * @param view The decoded packet.
 * @param p The record to fill.
 * @returns `true` when the packet decoded without error (status OK or NOT_IP).
 * @example
 * ```ts
 * import { FlowPacket, fromView } from "./session_key.ts";
 * import { PacketView } from "./packet_view.ts";
 * import { decodePacket } from "./decode.ts";
 * import assert from "node:assert/strict";
 * const v = new PacketView();
 * v.linktype = 101; // RAW
 * const ip = new Uint8Array([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
 *   0x13, 0x88, 0, 53, 0, 8, 0, 0]);
 * v.setRecord(ip, 0, ip.length, ip.length);
 * decodePacket(v);
 * const p = new FlowPacket();
 * assert.equal(fromView(v, p), true);
 * assert.deepEqual([p.family, p.proto, p.sport, p.dport, p.payLen], [4, 17, 5000, 53, 0]);
 * ```
 */
export function fromView(view: PacketView, p: FlowPacket): boolean {
  p.view = view;
  p.frame = view.number;
  p.sec = view.tsSec;
  p.nsec = view.tsNsec;
  p.wireLen = view.origlen;
  p.linktype = view.linktype;
  p.layers = view.layers;
  p.service = "";
  p.tcpFlags = view.tcpFlags;
  p.buf = view.buf;
  const st = view.status;
  const v = view.ipVersion;
  if (v === 4) {
    p.family = 4;
    p.src[0] = view.ip4Src;
    p.dst[0] = view.ip4Dst;
    p.src[1] =
      p.src[2] =
      p.src[3] =
      p.dst[1] =
      p.dst[2] =
      p.dst[3] =
        0;
  } else if (v === 6) {
    p.family = 6;
    p.src.set(view.ip6Src);
    p.dst.set(view.ip6Dst);
  } else {
    p.family = 0;
  }
  p.ipLen = v === 0 ? 0 : view.ipTotalLength;
  p.proto = view.proto < 0 ? 0 : view.proto;
  p.sport = view.srcPort < 0 ? 0 : view.srcPort;
  p.dport = view.dstPort < 0 ? 0 : view.dstPort;
  if (view.fragment && view.fragOffset > 0) {
    // A later fragment has no ports: it belongs to no 5-tuple we can name.
    p.sport = p.dport = 0;
  }
  if (view.payloadOffset >= 0 && (view.layers & (Layer.TCP | Layer.UDP)) !== 0) {
    p.payOff = view.payloadOffset;
    p.payLen = view.payloadLength;
  } else {
    p.payOff = 0;
    p.payLen = 0;
  }
  return st === DecodeStatus.OK || st === DecodeStatus.NOT_IP;
}

/**
 * Guesses the application protocol of a packet from its ports and first payload bytes: `dns`,
 * `http`, `tls` (`ssl` in Zeek's words) or "" — a cheap stand-in when no protocol registry is used.
 *
 * @param p The packet.
 * @returns The service name or "".
 * @example
 * ```ts
 * import { FlowPacket, guessService } from "./session_key.ts";
 * import assert from "node:assert/strict";
 * const p = new FlowPacket();
 * p.setIPv4(1, 2, 17, 40000, 53);
 * assert.equal(guessService(p), "dns");
 * ```
 */
export function guessService(p: FlowPacket): string {
  const sp = p.sport, dp = p.dport;
  if (p.proto === 17 || p.proto === 6) {
    if (sp === 53 || dp === 53 || sp === 5353 || dp === 5353) return "dns";
  }
  if (p.proto !== 6 || p.payLen < 5) return "";
  const b = p.buf, o = p.payOff;
  if (b[o] === 0x16 && b[o + 1] === 3 && b[o + 5] === 1) return "tls";
  if (b[o] === 72 && b[o + 1] === 84 && b[o + 2] === 84 && b[o + 3] === 80 && b[o + 4] === 47) {
    return "http";
  }
  const c0 = b[o];
  // GET / POST / PUT / HEAD / DELETE / OPTIONS / PATCH / CONNECT / TRACE followed by a space
  if (c0 >= 65 && c0 <= 90) {
    let i = 1;
    while (i < 8 && i < p.payLen && b[o + i] >= 65 && b[o + i] <= 90) i++;
    if (i >= 3 && i < p.payLen && b[o + i] === 32) {
      const w = String.fromCharCode(...b.subarray(o, o + i));
      if (/^(GET|POST|PUT|HEAD|DELETE|OPTIONS|PATCH|CONNECT|TRACE)$/.test(w)) return "http";
    }
  }
  return "";
}

/**
 * The protocol path of a packet, e.g. `eth:ip:udp:dns` or `sll:ipv6:tcp`.
 *
 * @param p The packet (`linktype`, `layers` and `service` are used).
 * @returns The colon-separated path.
 * @example
 * ```ts
 * import { FlowPacket, protocolPath } from "./session_key.ts";
 * import assert from "node:assert/strict";
 * const p = new FlowPacket();
 * p.linktype = 1; p.layers = 1 | 4 | 32; p.service = "dns";
 * assert.equal(protocolPath(p), "eth:ip:udp:dns");
 * ```
 */
export function protocolPath(p: FlowPacket): string {
  const parts: string[] = [];
  const l = p.layers;
  if (l & Layer.LINK) {
    switch (p.linktype) {
      case LinkType.ETHERNET:
        parts.push("eth");
        break;
      case LinkType.LINUX_SLL:
        parts.push("sll");
        break;
      case LinkType.LINUX_SLL2:
        parts.push("sll2");
        break;
      case LinkType.NULL:
      case LinkType.LOOP:
        parts.push("null");
        break;
      default:
        break;
    }
  }
  if (l & Layer.VLAN) parts.push("vlan");
  if (l & Layer.IPV4) parts.push("ip");
  if (l & Layer.IPV6) parts.push("ipv6");
  if (l & Layer.TCP) parts.push("tcp");
  if (l & Layer.UDP) parts.push("udp");
  if (l & Layer.ICMP) parts.push("icmp");
  if (l & Layer.ICMPV6) parts.push("icmpv6");
  if (p.service) parts.push(p.service);
  return parts.join(":");
}
