/**
 * Builds packets from a description, for tests, benchmarks, examples and generated captures: any
 * of the link types the decoders read, VLAN tags, IPv4 (options, fragments) or IPv6 (extension
 * headers), TCP (flags, options), UDP, ICMP, ICMPv6, with a payload.
 *
 * @module
 */
import { parseIp } from "../core/ip.ts";
import { LinkType } from "../pcap/mod.ts";

/** What {@linkcode buildPacket} makes. */
export interface PacketSpec {
  /** Link type (default Ethernet); NULL is written little-endian unless `nullBigEndian`. */
  linktype?: number;
  /** Write the NULL family in big-endian order. */
  nullBigEndian?: boolean;
  /** VLAN ids, outermost first (Ethernet, SLL, SLL2). */
  vlans?: number[];
  /** TPID of the outer tag when there are several (0x88a8 default; 0x9100 allowed). */
  outerTpid?: number;
  /** Source address, IPv4 or IPv6 text (`::ffff:1.2.3.4` makes an IPv6 packet). */
  src: string;
  /** Destination address, same family as `src`. */
  dst: string;
  /** Transport: `"tcp"`, `"udp"`, `"icmp"`, `"icmpv6"` or a protocol number (default udp). */
  proto?: "tcp" | "udp" | "icmp" | "icmpv6" | number;
  /** Source port (TCP/UDP). */
  srcPort?: number;
  /** Destination port (TCP/UDP). */
  dstPort?: number;
  /** TCP flags byte (default ACK). */
  tcpFlags?: number;
  /** TCP sequence number. */
  seq?: number;
  /** TCP acknowledgment number. */
  ack?: number;
  /** TCP options bytes (padded to 4). */
  tcpOptions?: Uint8Array;
  /** IPv4 options bytes (padded to 4). */
  ipOptions?: Uint8Array;
  /** IPv6 extension headers to insert before the transport (0 hop-by-hop, 60 dest-opts, 43 routing). */
  ipv6Ext?: number[];
  /** Fragment: byte offset (multiple of 8), more-fragments flag and id. */
  fragment?: { offset: number; more: boolean; id?: number };
  /** ICMP type/code (default echo request 8/0, or 128/0 for ICMPv6). */
  icmpType?: number;
  /** ICMP code. */
  icmpCode?: number;
  /** TTL / hop limit (default 64). */
  ttl?: number;
  /** Transport payload. */
  payload?: Uint8Array;
}

function checksum(b: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i += 2) s += (b[i] << 8) | (i + 1 < end ? b[i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function pad4(b: Uint8Array | undefined): Uint8Array {
  if (!b || b.length === 0) return new Uint8Array(0);
  const out = new Uint8Array((b.length + 3) & ~3);
  out.set(b);
  return out;
}

/**
 * Builds one packet's bytes (link header included) from a {@linkcode PacketSpec}. The IPv4 header
 * checksum is computed; transport checksums are left zero.
 *
 * @param spec What to build.
 * @returns The packet's bytes, ready for `PcapWriter.writePacket` of `@mxy/mxy/pcap`.
 * @throws {IpAddressError} When `src` or `dst` is not an IP address.
 * @throws {TypeError} When `src` and `dst` are of different families.
 * @throws {RangeError} For a link type the builder cannot make.
 * @example
 * ```ts
 * import { decodePacket, PacketView } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const b = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", proto: "tcp", srcPort: 1, dstPort: 2 });
 * const v = new PacketView();
 * v.setRecord(b, 0, b.length, b.length);
 * decodePacket(v);
 * assert.equal(v.dstPort, 2);
 * assert.equal(v.proto, 6);
 * ```
 */
export function buildPacket(spec: PacketSpec): Uint8Array {
  const src = parseIp(spec.src).bytes, dst = parseIp(spec.dst).bytes;
  if (src.length !== dst.length) {
    throw new TypeError(`Cannot build a packet from ${spec.src} to ${spec.dst}: families differ`);
  }
  const v6 = src.length === 16;
  const protoName = spec.proto ?? "udp";
  const proto = typeof protoName === "number"
    ? protoName
    : { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 }[protoName];
  const payload = spec.payload ?? new Uint8Array(0);
  // transport
  let l4: Uint8Array;
  if (proto === 6) {
    const opts = pad4(spec.tcpOptions);
    l4 = new Uint8Array(20 + opts.length + payload.length);
    const dv = new DataView(l4.buffer);
    dv.setUint16(0, spec.srcPort ?? 0);
    dv.setUint16(2, spec.dstPort ?? 0);
    dv.setUint32(4, (spec.seq ?? 0) >>> 0);
    dv.setUint32(8, (spec.ack ?? 0) >>> 0);
    l4[12] = ((20 + opts.length) / 4) << 4;
    l4[13] = spec.tcpFlags ?? 0x10;
    dv.setUint16(14, 65535);
    l4.set(opts, 20);
    l4.set(payload, 20 + opts.length);
  } else if (proto === 17) {
    l4 = new Uint8Array(8 + payload.length);
    const dv = new DataView(l4.buffer);
    dv.setUint16(0, spec.srcPort ?? 0);
    dv.setUint16(2, spec.dstPort ?? 0);
    dv.setUint16(4, 8 + payload.length);
    l4.set(payload, 8);
  } else if (proto === 1 || proto === 58) {
    l4 = new Uint8Array(8 + payload.length);
    l4[0] = spec.icmpType ?? (proto === 1 ? 8 : 128);
    l4[1] = spec.icmpCode ?? 0;
    l4.set(payload, 8);
  } else {
    l4 = payload;
  }
  if (spec.fragment && spec.fragment.offset > 0) l4 = payload; // later fragments carry data only
  // network
  let l3: Uint8Array;
  if (!v6) {
    const opts = pad4(spec.ipOptions);
    const hl = 20 + opts.length;
    l3 = new Uint8Array(hl + l4.length);
    const dv = new DataView(l3.buffer);
    l3[0] = 0x40 | (hl / 4);
    dv.setUint16(2, l3.length);
    dv.setUint16(4, spec.fragment?.id ?? 1);
    if (spec.fragment) {
      dv.setUint16(6, (spec.fragment.more ? 0x2000 : 0) | (spec.fragment.offset / 8));
    }
    l3[8] = spec.ttl ?? 64;
    l3[9] = proto;
    l3.set(src, 12);
    l3.set(dst, 16);
    l3.set(opts, 20);
    dv.setUint16(10, checksum(l3, 0, hl));
    l3.set(l4, hl);
  } else {
    const ext = [...(spec.ipv6Ext ?? [])];
    if (spec.fragment) ext.push(44);
    const extLen = ext.length * 8;
    l3 = new Uint8Array(40 + extLen + l4.length);
    const dv = new DataView(l3.buffer);
    dv.setUint32(0, 0x60000000);
    dv.setUint16(4, extLen + l4.length);
    l3[6] = ext.length > 0 ? ext[0] : proto;
    l3[7] = spec.ttl ?? 64;
    l3.set(src, 8);
    l3.set(dst, 24);
    for (let i = 0; i < ext.length; i++) {
      const o = 40 + i * 8;
      l3[o] = i + 1 < ext.length ? ext[i + 1] : proto;
      if (ext[i] === 44) {
        dv.setUint16(o + 2, (spec.fragment!.offset & 0xfff8) | (spec.fragment!.more ? 1 : 0));
        dv.setUint32(o + 4, spec.fragment!.id ?? 1);
      } else {
        l3[o + 1] = 0; // (0 + 1) * 8 = 8 bytes; padding option PadN follows
        l3[o + 2] = 1;
        l3[o + 3] = 4;
      }
    }
    l3.set(l4, 40 + extLen);
  }
  // link
  const etype = v6 ? 0x86dd : 0x0800;
  const lt = spec.linktype ?? LinkType.ETHERNET;
  const vl = spec.vlans ?? [];
  const tags = new Uint8Array(vl.length * 4);
  let innerType = etype;
  for (let i = vl.length - 1; i >= 0; i--) {
    tags[i * 4] = (vl[i] >> 8) & 0x0f;
    tags[i * 4 + 1] = vl[i] & 255;
    tags[i * 4 + 2] = innerType >> 8;
    tags[i * 4 + 3] = innerType & 255;
    innerType = i === 0 && vl.length > 1 ? (spec.outerTpid ?? 0x88a8) : 0x8100;
  }
  const firstType = vl.length > 0 ? innerType : etype;
  let head: Uint8Array;
  switch (lt) {
    case LinkType.ETHERNET:
      head = new Uint8Array(14);
      head.set([0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10]);
      head[12] = firstType >> 8;
      head[13] = firstType & 255;
      break;
    case LinkType.LINUX_SLL:
      head = new Uint8Array(16);
      head[3] = 1; // ARPHRD_ETHER
      head[5] = 6;
      head[14] = firstType >> 8;
      head[15] = firstType & 255;
      break;
    case LinkType.LINUX_SLL2:
      head = new Uint8Array(20);
      head[0] = firstType >> 8;
      head[1] = firstType & 255;
      head[9] = 1;
      head[11] = 6;
      break;
    case LinkType.NULL:
    case LinkType.LOOP: {
      head = new Uint8Array(4);
      const fam = v6 ? (lt === LinkType.LOOP ? 24 : 30) : 2;
      new DataView(head.buffer).setUint32(0, fam, lt === LinkType.NULL && !spec.nullBigEndian);
      return concat(head, l3);
    }
    case LinkType.RAW:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return l3;
    default:
      throw new RangeError(`Cannot build packets for link type ${lt}`);
  }
  return concat(concat(head, tags), l3);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
