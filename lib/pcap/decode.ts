/**
 * Header decoders: link layers (Ethernet with VLAN tags and PPPoE sessions, Linux SLL/SLL2, NULL,
 * LOOP, RAW), IPv4 (options, fragments flagged), IPv6 (extension headers), TCP (options), UDP,
 * ICMP and ICMPv6. They fill a {@linkcode PacketView} in place and allocate nothing.
 *
 * @module
 */
import { DecodeStatus, Layer, LinkType, type PacketView } from "./packet_view.ts";
import * as numbers from "./_protocol_numbers.ts";

// Module-level copies of the protocol numbers: V8 folds these into the hot loops, but not
// bindings imported from another module.
const {
  AF_INET,
  AF_INET6_BSD,
  AF_INET6_DARWIN,
  AF_INET6_FREEBSD,
  AF_INET6_LINUX,
  ETH_HEADER_LEN,
  ETH_TYPE_OFFSET,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_PPPOE_SESSION,
  ETHERTYPE_QINQ,
  ETHERTYPE_QINQ_OLD,
  ETHERTYPE_VLAN,
  ICMP_HEADER_LEN,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPV4_MIN_HEADER_LEN,
  IPV6_AUTH,
  IPV6_DEST_OPTIONS,
  IPV6_FRAGMENT,
  IPV6_HEADER_LEN,
  IPV6_HIP,
  IPV6_HOP_BY_HOP,
  IPV6_MOBILITY,
  IPV6_ROUTING,
  IPV6_SHIM6,
  NULL_HEADER_LEN,
  PPP_IPV4,
  PPP_IPV6,
  PPPOE_HEADER_LEN,
  SLL2_HEADER_LEN,
  SLL_HEADER_LEN,
  SLL_PROTOCOL_OFFSET,
  TCP_MIN_HEADER_LEN,
  TCPOPT_END,
  TCPOPT_MSS,
  TCPOPT_NOP,
  TCPOPT_SACK_PERMITTED,
  TCPOPT_TIMESTAMP,
  TCPOPT_WSCALE,
  UDP_HEADER_LEN,
  VLAN_TAG_LEN,
} = numbers;

const MAX_VLAN_TAGS = 8;
/** A VLAN tag's control field: the VLAN id in the low 12 bits (priority and DEI above). */
const VLAN_ID_MASK = 0x0fff;
const MAX_EXT_HEADERS = 16;
/** `DLT_RAW` as some BSDs number it in files written by old tools. */
const LINKTYPE_RAW_BSD_12 = 12;
/** `DLT_RAW` as OpenBSD numbers it in files written by old tools. */
const LINKTYPE_RAW_BSD_14 = 14;
/** IPv4 flags and fragment offset: the more-fragments bit. */
const IPV4_MORE_FRAGMENTS = 0x2000;
/** IPv4 flags and fragment offset: the offset, in 8-byte units. */
const IPV4_FRAGMENT_OFFSET_MASK = 0x1fff;
/** IPv6 fragment header: the offset in bytes (low 3 bits are flags). */
const IPV6_FRAGMENT_OFFSET_MASK = 0xfff8;
/** IPv6 fragment header: the more-fragments bit. */
const IPV6_MORE_FRAGMENTS = 1;
/** Bytes of an IPv6 fragment header. */
const IPV6_FRAGMENT_HEADER_LEN = 8;
/** Bytes an ICMP header has when the capture holds fewer than {@linkcode ICMP_HEADER_LEN}. */
const ICMP_MIN_HEADER_LEN = 4;

/**
 * Decodes the packet a view points at (its `buf`, `dataOffset`, `caplen`, `linktype`,
 * `fcsLen`), filling the decoded fields. Never throws and never allocates.
 *
 * @param view The packet view; its record fields must be set.
 * @returns The {@linkcode DecodeStatus}, also stored in `view.status`.
 * @example
 * ```ts
 * import { decodePacket, DecodeStatus, formatSrc, LinkType, PacketView } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * // Raw IPv4 + UDP 1234 -> 53, no payload
 * const pkt = new Uint8Array([
 *   0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
 *   0x04, 0xd2, 0, 53, 0, 8, 0, 0,
 * ]);
 * const v = new PacketView();
 * v.setRecord(pkt, 0, pkt.length, pkt.length);
 * v.linktype = LinkType.RAW;
 * assert.equal(decodePacket(v), DecodeStatus.OK);
 * assert.equal(formatSrc(v), "10.0.0.1");
 * assert.equal(v.dstPort, 53);
 * ```
 */
export function decodePacket(view: PacketView): number {
  view.clearDecoded();
  const buf = view.buf;
  const start = view.dataOffset;
  let end = start + view.caplen;
  if (view.fcsLen > 0 && view.caplen === view.origlen && view.caplen >= view.fcsLen) {
    end -= view.fcsLen;
  }
  if (end > buf.length) end = buf.length;
  let p = start;
  let etype = 0;
  switch (view.linktype) {
    case LinkType.ETHERNET: {
      view.l2Offset = p;
      view.layers = Layer.LINK;
      if (end - p < ETH_HEADER_LEN) return done(view, DecodeStatus.TRUNCATED);
      etype = u16(buf, p + ETH_TYPE_OFFSET);
      p += ETH_HEADER_LEN;
      etype = vlans(view, buf, p, end, etype);
      if (etype < 0) return done(view, DecodeStatus.TRUNCATED);
      p += view.vlanCount * VLAN_TAG_LEN;
      break;
    }
    case LinkType.LINUX_SLL: {
      view.l2Offset = p;
      view.layers = Layer.LINK;
      if (end - p < SLL_HEADER_LEN) return done(view, DecodeStatus.TRUNCATED);
      etype = u16(buf, p + SLL_PROTOCOL_OFFSET);
      p += SLL_HEADER_LEN;
      etype = vlans(view, buf, p, end, etype);
      if (etype < 0) return done(view, DecodeStatus.TRUNCATED);
      p += view.vlanCount * VLAN_TAG_LEN;
      break;
    }
    case LinkType.LINUX_SLL2: {
      view.l2Offset = p;
      view.layers = Layer.LINK;
      if (end - p < SLL2_HEADER_LEN) return done(view, DecodeStatus.TRUNCATED);
      etype = u16(buf, p);
      p += SLL2_HEADER_LEN;
      etype = vlans(view, buf, p, end, etype);
      if (etype < 0) return done(view, DecodeStatus.TRUNCATED);
      p += view.vlanCount * VLAN_TAG_LEN;
      break;
    }
    case LinkType.NULL:
    case LinkType.LOOP: {
      view.l2Offset = p;
      view.layers = Layer.LINK;
      if (end - p < NULL_HEADER_LEN) return done(view, DecodeStatus.TRUNCATED);
      let family = view.linktype === LinkType.LOOP
        ? ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0
        : (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0;
      // NULL is in the writer's byte order: a value above 0xffff means the other order.
      if (family > 0xffff) {
        family = ((family & 0xff) << 24 | (family & 0xff00) << 8 | (family >>> 8) & 0xff00 |
          family >>> 24) >>> 0;
      }
      p += NULL_HEADER_LEN;
      if (family === AF_INET) etype = ETHERTYPE_IPV4;
      else if (
        family === AF_INET6_LINUX || family === AF_INET6_BSD || family === AF_INET6_FREEBSD ||
        family === AF_INET6_DARWIN
      ) etype = ETHERTYPE_IPV6;
      else {
        view.ethertype = 0;
        return done(view, DecodeStatus.NOT_IP);
      }
      break;
    }
    case LinkType.RAW:
    case LINKTYPE_RAW_BSD_12:
    case LINKTYPE_RAW_BSD_14: {
      if (end - p < 1) return done(view, DecodeStatus.TRUNCATED);
      const version = buf[p] >>> 4;
      etype = version === 4 ? ETHERTYPE_IPV4 : version === 6 ? ETHERTYPE_IPV6 : 0;
      if (etype === 0) return done(view, DecodeStatus.MALFORMED);
      break;
    }
    case LinkType.IPV4:
      etype = ETHERTYPE_IPV4;
      break;
    case LinkType.IPV6:
      etype = ETHERTYPE_IPV6;
      break;
    default:
      return done(view, DecodeStatus.UNSUPPORTED_LINK);
  }
  if (etype === ETHERTYPE_PPPOE_SESSION) {
    // PPPoE session stage: 6-byte header, then the 2-byte PPP protocol
    view.ethertype = etype;
    view.layers |= Layer.PPPOE;
    if (end - p < PPPOE_HEADER_LEN) return done(view, DecodeStatus.TRUNCATED);
    const ppp = u16(buf, p + 6);
    p += PPPOE_HEADER_LEN;
    if (ppp === PPP_IPV4) etype = ETHERTYPE_IPV4;
    else if (ppp === PPP_IPV6) etype = ETHERTYPE_IPV6;
    else return done(view, DecodeStatus.NOT_IP);
  }
  view.ethertype = etype;
  if (etype === ETHERTYPE_IPV4) return ipv4(view, buf, p, end);
  if (etype === ETHERTYPE_IPV6) return ipv6(view, buf, p, end);
  return done(view, DecodeStatus.NOT_IP);
}

/** The big-endian 16-bit number at `p`. */
function u16(buf: Uint8Array, p: number): number {
  return (buf[p] << 8) | buf[p + 1];
}

function done(view: PacketView, status: number): number {
  view.status = status;
  return status;
}

/** Skips VLAN tags; sets vlanCount/ids; returns the inner ethertype or -1 when truncated. */
function vlans(view: PacketView, buf: Uint8Array, p: number, end: number, etype: number): number {
  let n = 0;
  while (
    (etype === ETHERTYPE_VLAN || etype === ETHERTYPE_QINQ || etype === ETHERTYPE_QINQ_OLD) &&
    n < MAX_VLAN_TAGS
  ) {
    if (end - p < VLAN_TAG_LEN) return -1;
    const id = u16(buf, p) & VLAN_ID_MASK;
    if (n === 0) view.vlanOuter = id;
    else if (n === 1) view.vlanInner = id;
    etype = u16(buf, p + 2);
    p += VLAN_TAG_LEN;
    n++;
  }
  if (n > 0) view.layers |= Layer.VLAN;
  view.vlanCount = n;
  return etype;
}

function ipv4(view: PacketView, buf: Uint8Array, p: number, end: number): number {
  view.l3Offset = p;
  if (end - p < IPV4_MIN_HEADER_LEN) return done(view, DecodeStatus.TRUNCATED);
  const versionAndIhl = buf[p];
  if (versionAndIhl >>> 4 !== 4) return done(view, DecodeStatus.MALFORMED);
  const ihl = (versionAndIhl & 15) * 4;
  if (ihl < IPV4_MIN_HEADER_LEN) return done(view, DecodeStatus.MALFORMED);
  view.ipVersion = 4;
  view.layers |= Layer.IPV4;
  const total = u16(buf, p + 2);
  view.ipTotalLength = total;
  view.ipHeaderLength = ihl;
  view.ipId = u16(buf, p + 4);
  const flagsAndOffset = u16(buf, p + 6);
  view.moreFragments = (flagsAndOffset & IPV4_MORE_FRAGMENTS) !== 0;
  view.fragOffset = (flagsAndOffset & IPV4_FRAGMENT_OFFSET_MASK) * 8;
  view.fragment = view.moreFragments || view.fragOffset > 0;
  if (view.fragment) view.layers |= Layer.FRAGMENT;
  view.ipTtl = buf[p + 8];
  view.proto = buf[p + 9];
  view.ip4Src = ((buf[p + 12] << 24) | (buf[p + 13] << 16) | (buf[p + 14] << 8) | buf[p + 15]) >>>
    0;
  view.ip4Dst = ((buf[p + 16] << 24) | (buf[p + 17] << 16) | (buf[p + 18] << 8) | buf[p + 19]) >>>
    0;
  view.ipSrcOffset = p + 12;
  view.ipDstOffset = p + 16;
  if (end - p < ihl) return done(view, DecodeStatus.TRUNCATED);
  // total length 0 happens with TCP segmentation offload: trust the capture then.
  if (total !== 0) {
    if (total < ihl) return done(view, DecodeStatus.MALFORMED);
    if (p + total < end) end = p + total;
  }
  const l4 = p + ihl;
  view.l4Offset = l4;
  if (view.fragOffset > 0) {
    // A later fragment: no transport header here.
    view.payloadOffset = l4;
    view.payloadLength = end - l4;
    return done(view, DecodeStatus.OK);
  }
  return transport(view, buf, l4, end, view.proto);
}

function isExtensionHeader(next: number): boolean {
  return next === IPV6_HOP_BY_HOP || next === IPV6_ROUTING || next === IPV6_FRAGMENT ||
    next === IPV6_DEST_OPTIONS || next === IPV6_AUTH || next === IPV6_MOBILITY ||
    next === IPV6_HIP || next === IPV6_SHIM6;
}

function ipv6(view: PacketView, buf: Uint8Array, p: number, end: number): number {
  view.l3Offset = p;
  if (end - p < IPV6_HEADER_LEN) return done(view, DecodeStatus.TRUNCATED);
  if (buf[p] >>> 4 !== 6) return done(view, DecodeStatus.MALFORMED);
  view.ipVersion = 6;
  view.layers |= Layer.IPV6;
  const payloadLength = u16(buf, p + 4);
  view.ipTotalLength = IPV6_HEADER_LEN + payloadLength;
  view.ipTtl = buf[p + 7];
  const dv = view.dv;
  const s = view.ip6Src, d = view.ip6Dst;
  for (let i = 0; i < 4; i++) {
    s[i] = dv.getUint32(p + 8 + 4 * i);
    d[i] = dv.getUint32(p + 24 + 4 * i);
  }
  view.ipSrcOffset = p + 8;
  view.ipDstOffset = p + 24;
  // Jumbograms (payload length 0 with hop-by-hop) keep the captured end.
  if (payloadLength !== 0 && p + IPV6_HEADER_LEN + payloadLength < end) {
    end = p + IPV6_HEADER_LEN + payloadLength;
  }
  let next = buf[p + 6];
  let q = p + IPV6_HEADER_LEN;
  let count = 0;
  while (isExtensionHeader(next)) {
    if (++count > MAX_EXT_HEADERS) return done(view, DecodeStatus.MALFORMED);
    if (end - q < 8) {
      view.proto = next;
      view.ipHeaderLength = q - p;
      return done(view, DecodeStatus.TRUNCATED);
    }
    const after = buf[q];
    let len: number;
    if (next === IPV6_FRAGMENT) {
      const offsetAndFlags = u16(buf, q + 2);
      view.fragOffset = offsetAndFlags & IPV6_FRAGMENT_OFFSET_MASK;
      view.moreFragments = (offsetAndFlags & IPV6_MORE_FRAGMENTS) !== 0;
      view.ipId = u16(buf, q + 6);
      view.fragment = true;
      view.layers |= Layer.FRAGMENT;
      len = IPV6_FRAGMENT_HEADER_LEN;
    } else if (next === IPV6_AUTH) {
      len = (buf[q + 1] + 2) * 4;
    } else {
      len = (buf[q + 1] + 1) * 8;
    }
    if (end - q < len) {
      view.proto = next;
      view.ipHeaderLength = q - p;
      return done(view, DecodeStatus.TRUNCATED);
    }
    q += len;
    next = after;
    if (view.fragOffset > 0) break;
  }
  view.proto = next;
  view.ipHeaderLength = q - p;
  view.l4Offset = q;
  if (view.fragOffset > 0) {
    view.payloadOffset = q;
    view.payloadLength = end - q;
    return done(view, DecodeStatus.OK);
  }
  return transport(view, buf, q, end, next);
}

function transport(
  view: PacketView,
  buf: Uint8Array,
  p: number,
  end: number,
  proto: number,
): number {
  view.l4Offset = p;
  switch (proto) {
    case IPPROTO_TCP: {
      view.layers |= Layer.TCP;
      if (end - p < TCP_MIN_HEADER_LEN) return done(view, DecodeStatus.TRUNCATED);
      view.srcPort = u16(buf, p);
      view.dstPort = u16(buf, p + 2);
      view.tcpSeq = view.dv.getUint32(p + 4);
      view.tcpAck = view.dv.getUint32(p + 8);
      const headerLength = (buf[p + 12] >>> 4) * 4;
      view.tcpHeaderLength = headerLength;
      view.tcpFlags = buf[p + 13];
      view.tcpWindow = u16(buf, p + 14);
      if (headerLength < TCP_MIN_HEADER_LEN) return done(view, DecodeStatus.MALFORMED);
      if (end - p < headerLength) return done(view, DecodeStatus.TRUNCATED);
      if (headerLength > TCP_MIN_HEADER_LEN) {
        tcpOptions(view, buf, p + TCP_MIN_HEADER_LEN, p + headerLength);
      }
      view.payloadOffset = p + headerLength;
      view.payloadLength = end - p - headerLength;
      return done(view, DecodeStatus.OK);
    }
    case IPPROTO_UDP: {
      view.layers |= Layer.UDP;
      if (end - p < UDP_HEADER_LEN) return done(view, DecodeStatus.TRUNCATED);
      view.srcPort = u16(buf, p);
      view.dstPort = u16(buf, p + 2);
      const udpLength = u16(buf, p + 4);
      if (udpLength >= UDP_HEADER_LEN && p + udpLength < end) end = p + udpLength;
      view.payloadOffset = p + UDP_HEADER_LEN;
      view.payloadLength = end - p - UDP_HEADER_LEN;
      return done(view, DecodeStatus.OK);
    }
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: {
      view.layers |= proto === IPPROTO_ICMP ? Layer.ICMP : Layer.ICMPV6;
      if (end - p < ICMP_MIN_HEADER_LEN) return done(view, DecodeStatus.TRUNCATED);
      view.icmpType = buf[p];
      view.icmpCode = buf[p + 1];
      const headerLength = end - p >= ICMP_HEADER_LEN ? ICMP_HEADER_LEN : ICMP_MIN_HEADER_LEN;
      view.payloadOffset = p + headerLength;
      view.payloadLength = end - p - headerLength;
      return done(view, DecodeStatus.OK);
    }
    default:
      view.payloadOffset = p;
      view.payloadLength = end - p;
      return done(view, DecodeStatus.OK);
  }
}

function tcpOptions(view: PacketView, buf: Uint8Array, p: number, end: number): void {
  while (p < end) {
    const kind = buf[p];
    if (kind === TCPOPT_END) return;
    if (kind === TCPOPT_NOP) {
      p++;
      continue;
    }
    if (p + 1 >= end) return;
    const len = buf[p + 1];
    if (len < 2 || p + len > end) return;
    if (kind === TCPOPT_MSS && len === 4) view.tcpMss = u16(buf, p + 2);
    else if (kind === TCPOPT_WSCALE && len === 3) view.tcpWscale = buf[p + 2];
    else if (kind === TCPOPT_SACK_PERMITTED) view.tcpSackPermitted = true;
    else if (kind === TCPOPT_TIMESTAMP && len === 10) {
      view.tcpTsVal = view.dv.getUint32(p + 2);
      view.tcpTsEcr = view.dv.getUint32(p + 6);
    }
    p += len;
  }
}
