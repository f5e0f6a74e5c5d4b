/**
 * Built-in plugins for the layers the decoders fill in: `meta` (record fields), `eth`, `vlan`,
 * `ip` (IPv4 or IPv6), `ipv6`, `tcp`, `udp`, `icmp` and `icmpv6`. Their attributes read the
 * {@linkcode PacketView} directly.
 *
 * @module
 */
import {
  formatDst,
  formatIPv6,
  formatSrc,
  formatTimestamp,
  Layer,
  LinkType,
  type PacketView,
} from "../pcap/packet_view.ts";
import type { ProtocolPlugin } from "./plugin.ts";

const HEX = "0123456789abcdef";

function mac(view: PacketView, off: number): string {
  const b = view.buf;
  let s = "";
  for (let i = 0; i < 6; i++) {
    if (i) s += ":";
    s += HEX[b[off + i] >> 4] + HEX[b[off + i] & 15];
  }
  return s;
}

const isEth = (v: PacketView): boolean => v.linktype === LinkType.ETHERNET && v.l2Offset >= 0;

const LINK_NAMES: Record<number, string> = {
  0: "null",
  1: "eth",
  101: "raw",
  108: "loop",
  113: "sll",
  228: "ipv4",
  229: "ipv6",
  276: "sll2",
};

/**
 * Names a link type the way protocol paths show it (`eth`, `sll`, `sll2`, `null`, `loop`,
 * `raw`, or `linktype-N`).
 *
 * @param linktype The link type.
 * @returns The short name.
 * @example
 * ```ts
 * import { linkTypeName } from "./core.ts";
 * import assert from "node:assert/strict";
 * assert.equal(linkTypeName(113), "sll");
 * ```
 */
export function linkTypeName(linktype: number): string {
  return LINK_NAMES[linktype] ?? `linktype-${linktype}`;
}

/**
 * `meta.*`: record fields of every packet.
 *
 * @example
 * ```ts
 * import { metaPlugin } from "./core.ts";
 * import { buildPacket } from "../pcap/build.ts";
 * import { decodePacket } from "../pcap/decode.ts";
 * import { PacketView } from "../pcap/packet_view.ts";
 * import assert from "node:assert/strict";
 * const b = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2" });
 * const v = new PacketView();
 * v.setRecord(b, 0, b.length, b.length);
 * v.number = 1;
 * decodePacket(v);
 * assert.ok(metaPlugin.classify(v));
 * assert.equal(metaPlugin.attributes.number(v), 1);
 * ```
 */
export const metaPlugin: ProtocolPlugin = {
  id: 1,
  name: "meta",
  description: "Capture record: time, lengths, link type, interface",
  layer: "frame",
  classify: () => true,
  attributes: {
    /** `seconds.nnnnnnnnn`, exact. */
    time: (v) => formatTimestamp(v),
    time_sec: (v) => v.tsSec,
    time_nsec: (v) => v.tsNsec,
    len: (v) => v.origlen,
    caplen: (v) => v.caplen,
    number: (v) => v.number,
    linktype: (v) => v.linktype,
    iface: (v) => v.iface,
    status: (v) => v.status,
  },
};

/**
 * `eth.*`: Ethernet addresses and type.
 *
 * @example
 * ```ts
 * import { ethPlugin } from "./core.ts";
 * import { buildPacket } from "../pcap/build.ts";
 * import { decodePacket } from "../pcap/decode.ts";
 * import { PacketView } from "../pcap/packet_view.ts";
 * import assert from "node:assert/strict";
 * const b = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2" });
 * const v = new PacketView();
 * v.setRecord(b, 0, b.length, b.length);
 * v.number = 1;
 * decodePacket(v);
 * assert.ok(ethPlugin.classify(v));
 * assert.equal(ethPlugin.attributes.type(v), 0x0800);
 * ```
 */
export const ethPlugin: ProtocolPlugin = {
  id: 2,
  name: "eth",
  description: "Ethernet II",
  layer: "link",
  classify: (v) => (v.layers & Layer.LINK) !== 0,
  attributes: {
    src: (v) => isEth(v) ? mac(v, v.l2Offset + 6) : undefined,
    dst: (v) => isEth(v) ? mac(v, v.l2Offset) : undefined,
    type: (v) => v.ethertype || undefined,
  },
};

/**
 * `vlan.*`: 802.1Q / 802.1ad tags.
 *
 * @example
 * ```ts
 * import { vlanPlugin } from "./core.ts";
 * import { buildPacket } from "../pcap/build.ts";
 * import { decodePacket } from "../pcap/decode.ts";
 * import { PacketView } from "../pcap/packet_view.ts";
 * import assert from "node:assert/strict";
 * const b = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", vlans: [7, 8] });
 * const v = new PacketView();
 * v.setRecord(b, 0, b.length, b.length);
 * v.number = 1;
 * decodePacket(v);
 * assert.ok(vlanPlugin.classify(v));
 * assert.equal(vlanPlugin.attributes.inner_id(v), 8);
 * ```
 */
export const vlanPlugin: ProtocolPlugin = {
  id: 3,
  name: "vlan",
  description: "802.1Q and stacked (0x88a8, 0x9100) VLAN tags",
  layer: "link",
  classify: (v) => v.vlanCount > 0,
  attributes: {
    id: (v) => v.vlanOuter,
    inner_id: (v) => v.vlanInner >= 0 ? v.vlanInner : undefined,
    count: (v) => v.vlanCount,
  },
};

/**
 * `ip.*`: IPv4 or IPv6 header fields (addresses of either family).
 *
 * @example
 * ```ts
 * import { ipPlugin } from "./core.ts";
 * import { buildPacket } from "../pcap/build.ts";
 * import { decodePacket } from "../pcap/decode.ts";
 * import { PacketView } from "../pcap/packet_view.ts";
 * import assert from "node:assert/strict";
 * const b = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2" });
 * const v = new PacketView();
 * v.setRecord(b, 0, b.length, b.length);
 * v.number = 1;
 * decodePacket(v);
 * assert.ok(ipPlugin.classify(v));
 * assert.equal(ipPlugin.attributes.src(v), "10.0.0.1");
 * ```
 */
export const ipPlugin: ProtocolPlugin = {
  id: 4,
  name: "ip",
  description: "Internet Protocol, version 4 or 6",
  layer: "network",
  classify: (v) => v.ipVersion !== 0,
  attributes: {
    src: (v) => formatSrc(v),
    dst: (v) => formatDst(v),
    version: (v) => v.ipVersion,
    proto: (v) => v.proto,
    ttl: (v) => v.ipTtl,
    id: (v) => v.ipId,
    len: (v) => v.ipTotalLength,
    hdr_len: (v) => v.ipHeaderLength,
    fragment: (v) => v.fragment,
    frag_offset: (v) => v.fragOffset,
    more_fragments: (v) => v.moreFragments,
  },
};

/**
 * `ipv6.*`: IPv6 addresses only (absent for IPv4), like tshark's `ipv6.src`.
 *
 * @example
 * ```ts
 * import { ipv6Plugin } from "./core.ts";
 * import { buildPacket } from "../pcap/build.ts";
 * import { decodePacket } from "../pcap/decode.ts";
 * import { PacketView } from "../pcap/packet_view.ts";
 * import assert from "node:assert/strict";
 * const b = buildPacket({ src: "2001:db8::1", dst: "2001:db8::2" });
 * const v = new PacketView();
 * v.setRecord(b, 0, b.length, b.length);
 * v.number = 1;
 * decodePacket(v);
 * assert.ok(ipv6Plugin.classify(v));
 * assert.equal(ipv6Plugin.attributes.dst(v), "2001:db8::2");
 * ```
 */
export const ipv6Plugin: ProtocolPlugin = {
  id: 5,
  name: "ipv6",
  description: "Internet Protocol version 6",
  layer: "network",
  classify: (v) => v.ipVersion === 6,
  attributes: {
    src: (v) => formatIPv6(v.buf, v.ipSrcOffset),
    dst: (v) => formatIPv6(v.buf, v.ipDstOffset),
    hlim: (v) => v.ipTtl,
  },
};

/**
 * `tcp.*`.
 *
 * @example
 * ```ts
 * import { tcpPlugin } from "./core.ts";
 * import { buildPacket } from "../pcap/build.ts";
 * import { decodePacket } from "../pcap/decode.ts";
 * import { PacketView } from "../pcap/packet_view.ts";
 * import assert from "node:assert/strict";
 * const b = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", proto: "tcp", dstPort: 80 });
 * const v = new PacketView();
 * v.setRecord(b, 0, b.length, b.length);
 * v.number = 1;
 * decodePacket(v);
 * assert.ok(tcpPlugin.classify(v));
 * assert.equal(tcpPlugin.attributes.dst_port(v), 80);
 * ```
 */
export const tcpPlugin: ProtocolPlugin = {
  id: 6,
  name: "tcp",
  description: "Transmission Control Protocol",
  layer: "transport",
  classify: (v) => (v.layers & Layer.TCP) !== 0 && v.srcPort >= 0,
  attributes: {
    src_port: (v) => v.srcPort,
    dst_port: (v) => v.dstPort,
    flags: (v) => v.tcpFlags,
    seq: (v) => v.tcpSeq,
    ack: (v) => v.tcpAck,
    window: (v) => v.tcpWindow,
    len: (v) => v.payloadOffset >= 0 ? v.payloadLength : undefined,
    hdr_len: (v) => v.tcpHeaderLength,
    mss: (v) => v.tcpMss >= 0 ? v.tcpMss : undefined,
    wscale: (v) => v.tcpWscale >= 0 ? v.tcpWscale : undefined,
  },
};

/**
 * `udp.*`.
 *
 * @example
 * ```ts
 * import { udpPlugin } from "./core.ts";
 * import { buildPacket } from "../pcap/build.ts";
 * import { decodePacket } from "../pcap/decode.ts";
 * import { PacketView } from "../pcap/packet_view.ts";
 * import assert from "node:assert/strict";
 * const b = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 5353 });
 * const v = new PacketView();
 * v.setRecord(b, 0, b.length, b.length);
 * v.number = 1;
 * decodePacket(v);
 * assert.ok(udpPlugin.classify(v));
 * assert.equal(udpPlugin.attributes.src_port(v), 5353);
 * ```
 */
export const udpPlugin: ProtocolPlugin = {
  id: 7,
  name: "udp",
  description: "User Datagram Protocol",
  layer: "transport",
  classify: (v) => (v.layers & Layer.UDP) !== 0 && v.srcPort >= 0,
  attributes: {
    src_port: (v) => v.srcPort,
    dst_port: (v) => v.dstPort,
    len: (v) => v.payloadLength,
  },
};

/**
 * `icmp.*` (ICMP for IPv4).
 *
 * @example
 * ```ts
 * import { icmpPlugin } from "./core.ts";
 * import { buildPacket } from "../pcap/build.ts";
 * import { decodePacket } from "../pcap/decode.ts";
 * import { PacketView } from "../pcap/packet_view.ts";
 * import assert from "node:assert/strict";
 * const b = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", proto: "icmp", icmpType: 0 });
 * const v = new PacketView();
 * v.setRecord(b, 0, b.length, b.length);
 * v.number = 1;
 * decodePacket(v);
 * assert.ok(icmpPlugin.classify(v));
 * assert.equal(icmpPlugin.attributes.type(v), 0);
 * ```
 */
export const icmpPlugin: ProtocolPlugin = {
  id: 8,
  name: "icmp",
  description: "Internet Control Message Protocol",
  layer: "transport",
  classify: (v) => (v.layers & Layer.ICMP) !== 0 && v.icmpType >= 0,
  attributes: {
    type: (v) => v.icmpType,
    code: (v) => v.icmpCode,
  },
};

/**
 * `icmpv6.*`.
 *
 * @example
 * ```ts
 * import { icmpv6Plugin } from "./core.ts";
 * import { buildPacket } from "../pcap/build.ts";
 * import { decodePacket } from "../pcap/decode.ts";
 * import { PacketView } from "../pcap/packet_view.ts";
 * import assert from "node:assert/strict";
 * const b = buildPacket({ src: "::1", dst: "::2", proto: "icmpv6", icmpType: 136 });
 * const v = new PacketView();
 * v.setRecord(b, 0, b.length, b.length);
 * v.number = 1;
 * decodePacket(v);
 * assert.ok(icmpv6Plugin.classify(v));
 * assert.equal(icmpv6Plugin.attributes.type(v), 136);
 * ```
 */
export const icmpv6Plugin: ProtocolPlugin = {
  id: 9,
  name: "icmpv6",
  description: "Internet Control Message Protocol for IPv6",
  layer: "transport",
  classify: (v) => (v.layers & Layer.ICMPV6) !== 0 && v.icmpType >= 0,
  attributes: {
    type: (v) => v.icmpType,
    code: (v) => v.icmpCode,
  },
};

/**
 * The core plugins, in classification order.
 *
 * @example
 * ```ts
 * import { CORE_PLUGINS } from "./core.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(CORE_PLUGINS.map((p) => p.name).slice(0, 4), ["meta", "eth", "vlan", "ip"]);
 * ```
 */
export const CORE_PLUGINS: readonly ProtocolPlugin[] = [
  metaPlugin,
  ethPlugin,
  vlanPlugin,
  ipPlugin,
  ipv6Plugin,
  tcpPlugin,
  udpPlugin,
  icmpPlugin,
  icmpv6Plugin,
];
