/**
 * Built-in plugins for the network layer: `ip` (IPv4 or IPv6 header fields, addresses of either
 * family) and `ipv6` (IPv6 addresses only, like tshark's `ipv6.src`). Addresses are written by
 * the one IP module (`::ffff:1.2.3.4` for IPv4-mapped IPv6).
 *
 * @module
 */
import { formatIpv6 } from "../core/ip.ts";
import { formatDst, formatSrc } from "../pcap/packet_text.ts";
import type { ProtocolPlugin } from "./plugin.ts";

/** `ip.*`: IPv4 or IPv6 header fields (addresses of either family). */
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

/** `ipv6.*`: IPv6 addresses only (absent for IPv4), like tshark's `ipv6.src`. */
export const ipv6Plugin: ProtocolPlugin = {
  id: 5,
  name: "ipv6",
  description: "Internet Protocol version 6",
  layer: "network",
  classify: (v) => v.ipVersion === 6,
  attributes: {
    src: (v) => formatIpv6(v.buf, v.ipSrcOffset),
    dst: (v) => formatIpv6(v.buf, v.ipDstOffset),
    hlim: (v) => v.ipTtl,
  },
};
