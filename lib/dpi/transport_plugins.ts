/**
 * Built-in plugins for the transport layer: `tcp`, `udp`, `icmp` (ICMP for IPv4) and `icmpv6`.
 *
 * @module
 */
import { Layer } from "../pcap/packet_view.ts";
import type { ProtocolPlugin } from "./plugin.ts";

/** `tcp.*`. */
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

/** `udp.*`. */
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

/** `icmp.*` (ICMP for IPv4). */
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

/** `icmpv6.*`. */
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
