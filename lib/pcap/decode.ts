/**
 * Header decoders: link layers (Ethernet with VLAN tags and PPPoE sessions, Linux SLL/SLL2, NULL,
 * LOOP, RAW), IPv4
 * (options, fragments flagged), IPv6 (extension headers), TCP (options), UDP, ICMP and ICMPv6.
 * They fill a {@linkcode PacketView} in place and allocate nothing.
 *
 * @module
 */
import { DecodeStatus, Layer, LinkType, type PacketView } from "./packet_view.ts";

const MAX_VLAN_TAGS = 8;
const MAX_EXT_HEADERS = 16;

/**
 * Decodes the packet a view points at (its `buf`, `dataOffset`, `caplen`, `linktype`,
 * `fcsLen`), filling the decoded fields. Never throws and never allocates.
 *
 * @param view The packet view; its record fields must be set.
 * @returns The {@linkcode DecodeStatus}, also stored in `view.status`.
 * @example
 * ```ts
 * import { decodePacket } from "./decode.ts";
 * import { DecodeStatus, formatSrc, LinkType, PacketView } from "./packet_view.ts";
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
      if (end - p < 14) return done(view, DecodeStatus.TRUNCATED);
      etype = (buf[p + 12] << 8) | buf[p + 13];
      p += 14;
      etype = vlans(view, buf, p, end, etype);
      if (etype < 0) return done(view, DecodeStatus.TRUNCATED);
      p += view.vlanCount * 4;
      break;
    }
    case LinkType.LINUX_SLL: {
      view.l2Offset = p;
      view.layers = Layer.LINK;
      if (end - p < 16) return done(view, DecodeStatus.TRUNCATED);
      etype = (buf[p + 14] << 8) | buf[p + 15];
      p += 16;
      etype = vlans(view, buf, p, end, etype);
      if (etype < 0) return done(view, DecodeStatus.TRUNCATED);
      p += view.vlanCount * 4;
      break;
    }
    case LinkType.LINUX_SLL2: {
      view.l2Offset = p;
      view.layers = Layer.LINK;
      if (end - p < 20) return done(view, DecodeStatus.TRUNCATED);
      etype = (buf[p] << 8) | buf[p + 1];
      p += 20;
      etype = vlans(view, buf, p, end, etype);
      if (etype < 0) return done(view, DecodeStatus.TRUNCATED);
      p += view.vlanCount * 4;
      break;
    }
    case LinkType.NULL:
    case LinkType.LOOP: {
      view.l2Offset = p;
      view.layers = Layer.LINK;
      if (end - p < 4) return done(view, DecodeStatus.TRUNCATED);
      let fam = view.linktype === LinkType.LOOP
        ? ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0
        : (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0;
      // NULL is in the writer's byte order: a value above 0xffff means the other order.
      if (fam > 0xffff) {
        fam = ((fam & 0xff) << 24 | (fam & 0xff00) << 8 | (fam >>> 8) & 0xff00 | fam >>> 24) >>> 0;
      }
      p += 4;
      if (fam === 2) etype = 0x0800;
      else if (fam === 10 || fam === 24 || fam === 28 || fam === 30) etype = 0x86dd;
      else {
        view.ethertype = 0;
        return done(view, DecodeStatus.NOT_IP);
      }
      break;
    }
    case LinkType.RAW:
    case 12: // DLT_RAW on some BSDs, written as-is by old tools
    case 14: {
      if (end - p < 1) return done(view, DecodeStatus.TRUNCATED);
      const ver = buf[p] >>> 4;
      etype = ver === 4 ? 0x0800 : ver === 6 ? 0x86dd : 0;
      if (etype === 0) return done(view, DecodeStatus.MALFORMED);
      break;
    }
    case LinkType.IPV4:
      etype = 0x0800;
      break;
    case LinkType.IPV6:
      etype = 0x86dd;
      break;
    default:
      return done(view, DecodeStatus.UNSUPPORTED_LINK);
  }
  if (etype === 0x8864) {
    // PPPoE session stage: 6-byte header, then the 2-byte PPP protocol
    view.ethertype = etype;
    view.layers |= Layer.PPPOE;
    if (end - p < 8) return done(view, DecodeStatus.TRUNCATED);
    const ppp = (buf[p + 6] << 8) | buf[p + 7];
    p += 8;
    if (ppp === 0x0021) etype = 0x0800;
    else if (ppp === 0x0057) etype = 0x86dd;
    else return done(view, DecodeStatus.NOT_IP);
  }
  view.ethertype = etype;
  if (etype === 0x0800) return ipv4(view, buf, p, end);
  if (etype === 0x86dd) return ipv6(view, buf, p, end);
  return done(view, DecodeStatus.NOT_IP);
}

function done(view: PacketView, status: number): number {
  view.status = status;
  return status;
}

/** Skips VLAN tags; sets vlanCount/ids; returns the inner ethertype or -1 when truncated. */
function vlans(view: PacketView, buf: Uint8Array, p: number, end: number, etype: number): number {
  let n = 0;
  while ((etype === 0x8100 || etype === 0x88a8 || etype === 0x9100) && n < MAX_VLAN_TAGS) {
    if (end - p < 4) return -1;
    const id = ((buf[p] << 8) | buf[p + 1]) & 0x0fff;
    if (n === 0) view.vlanOuter = id;
    else if (n === 1) view.vlanInner = id;
    etype = (buf[p + 2] << 8) | buf[p + 3];
    p += 4;
    n++;
  }
  if (n > 0) view.layers |= Layer.VLAN;
  view.vlanCount = n;
  return etype;
}

function ipv4(view: PacketView, buf: Uint8Array, p: number, end: number): number {
  view.l3Offset = p;
  if (end - p < 20) return done(view, DecodeStatus.TRUNCATED);
  const b0 = buf[p];
  if (b0 >>> 4 !== 4) return done(view, DecodeStatus.MALFORMED);
  const ihl = (b0 & 15) * 4;
  if (ihl < 20) return done(view, DecodeStatus.MALFORMED);
  view.ipVersion = 4;
  view.layers |= Layer.IPV4;
  const total = (buf[p + 2] << 8) | buf[p + 3];
  view.ipTotalLength = total;
  view.ipHeaderLength = ihl;
  view.ipId = (buf[p + 4] << 8) | buf[p + 5];
  const ff = (buf[p + 6] << 8) | buf[p + 7];
  view.moreFragments = (ff & 0x2000) !== 0;
  view.fragOffset = (ff & 0x1fff) * 8;
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

function isExtHeader(nh: number): boolean {
  return nh === 0 || nh === 43 || nh === 44 || nh === 60 || nh === 51 || nh === 135 ||
    nh === 139 || nh === 140;
}

function ipv6(view: PacketView, buf: Uint8Array, p: number, end: number): number {
  view.l3Offset = p;
  if (end - p < 40) return done(view, DecodeStatus.TRUNCATED);
  if (buf[p] >>> 4 !== 6) return done(view, DecodeStatus.MALFORMED);
  view.ipVersion = 6;
  view.layers |= Layer.IPV6;
  const plen = (buf[p + 4] << 8) | buf[p + 5];
  view.ipTotalLength = 40 + plen;
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
  if (plen !== 0 && p + 40 + plen < end) end = p + 40 + plen;
  let nh = buf[p + 6];
  let q = p + 40;
  let count = 0;
  while (isExtHeader(nh)) {
    if (++count > MAX_EXT_HEADERS) return done(view, DecodeStatus.MALFORMED);
    if (end - q < 8) {
      view.proto = nh;
      view.ipHeaderLength = q - p;
      return done(view, DecodeStatus.TRUNCATED);
    }
    const next = buf[q];
    let len: number;
    if (nh === 44) {
      const fo = (buf[q + 2] << 8) | buf[q + 3];
      view.fragOffset = fo & 0xfff8;
      view.moreFragments = (fo & 1) !== 0;
      view.ipId = (buf[q + 6] << 8) | buf[q + 7];
      view.fragment = true;
      view.layers |= Layer.FRAGMENT;
      len = 8;
    } else if (nh === 51) {
      len = (buf[q + 1] + 2) * 4;
    } else {
      len = (buf[q + 1] + 1) * 8;
    }
    if (end - q < len) {
      view.proto = nh;
      view.ipHeaderLength = q - p;
      return done(view, DecodeStatus.TRUNCATED);
    }
    q += len;
    nh = next;
    if (view.fragOffset > 0) break;
  }
  view.proto = nh;
  view.ipHeaderLength = q - p;
  view.l4Offset = q;
  if (view.fragOffset > 0) {
    view.payloadOffset = q;
    view.payloadLength = end - q;
    return done(view, DecodeStatus.OK);
  }
  return transport(view, buf, q, end, nh);
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
    case 6: {
      view.layers |= Layer.TCP;
      if (end - p < 20) return done(view, DecodeStatus.TRUNCATED);
      view.srcPort = (buf[p] << 8) | buf[p + 1];
      view.dstPort = (buf[p + 2] << 8) | buf[p + 3];
      view.tcpSeq = view.dv.getUint32(p + 4);
      view.tcpAck = view.dv.getUint32(p + 8);
      const hl = (buf[p + 12] >>> 4) * 4;
      view.tcpHeaderLength = hl;
      view.tcpFlags = buf[p + 13];
      view.tcpWindow = (buf[p + 14] << 8) | buf[p + 15];
      if (hl < 20) return done(view, DecodeStatus.MALFORMED);
      if (end - p < hl) return done(view, DecodeStatus.TRUNCATED);
      if (hl > 20) tcpOptions(view, buf, p + 20, p + hl);
      view.payloadOffset = p + hl;
      view.payloadLength = end - p - hl;
      return done(view, DecodeStatus.OK);
    }
    case 17: {
      view.layers |= Layer.UDP;
      if (end - p < 8) return done(view, DecodeStatus.TRUNCATED);
      view.srcPort = (buf[p] << 8) | buf[p + 1];
      view.dstPort = (buf[p + 2] << 8) | buf[p + 3];
      const ulen = (buf[p + 4] << 8) | buf[p + 5];
      if (ulen >= 8 && p + ulen < end) end = p + ulen;
      view.payloadOffset = p + 8;
      view.payloadLength = end - p - 8;
      return done(view, DecodeStatus.OK);
    }
    case 1:
    case 58: {
      view.layers |= proto === 1 ? Layer.ICMP : Layer.ICMPV6;
      if (end - p < 4) return done(view, DecodeStatus.TRUNCATED);
      view.icmpType = buf[p];
      view.icmpCode = buf[p + 1];
      const hl = end - p >= 8 ? 8 : 4;
      view.payloadOffset = p + hl;
      view.payloadLength = end - p - hl;
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
    if (kind === 0) return;
    if (kind === 1) {
      p++;
      continue;
    }
    if (p + 1 >= end) return;
    const len = buf[p + 1];
    if (len < 2 || p + len > end) return;
    if (kind === 2 && len === 4) view.tcpMss = (buf[p + 2] << 8) | buf[p + 3];
    else if (kind === 3 && len === 3) view.tcpWscale = buf[p + 2];
    else if (kind === 4) view.tcpSackPermitted = true;
    else if (kind === 8 && len === 10) {
      view.tcpTsVal = view.dv.getUint32(p + 2);
      view.tcpTsEcr = view.dv.getUint32(p + 6);
    }
    p += len;
  }
}
