/**
 * The protocol path of a packet, `eth:vlan:ip:tcp:http`: the link layer, the layers the
 * decoders found and the application protocol, named as tshark's protocol hierarchy names them.
 * The one implementation, used by the session table's `path` and the DPI engine's paths.
 *
 * @module
 */
import { Layer, LinkType } from "./packet_view.ts";

const LINK_NAMES: Readonly<Record<number, string>> = {
  [LinkType.NULL]: "null",
  [LinkType.ETHERNET]: "eth",
  [LinkType.RAW]: "raw",
  [LinkType.LOOP]: "loop",
  [LinkType.LINUX_SLL]: "sll",
  [LinkType.IPV4]: "ipv4",
  [LinkType.IPV6]: "ipv6",
  [LinkType.LINUX_SLL2]: "sll2",
};

/**
 * Names a link type the way protocol paths show it (`eth`, `sll`, `sll2`, `null`, `loop`,
 * `raw`, `ipv4`, `ipv6`, or `linktype-N`).
 *
 * @param linktype The link type ({@linkcode LinkType}).
 * @returns The short name.
 * @example
 * ```ts
 * import { LinkType, linkTypeName } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * assert.equal(linkTypeName(LinkType.LINUX_SLL), "sll");
 * assert.equal(linkTypeName(147), "linktype-147");
 * ```
 */
export function linkTypeName(linktype: number): string {
  return LINK_NAMES[linktype] ?? `linktype-${linktype}`;
}

/** What {@linkcode protocolPath} reads: a `PacketView` or a `FlowPacket` has both fields. */
export interface ProtocolLayers {
  /** The link type ({@linkcode LinkType}). */
  readonly linktype: number;
  /** Bit set of {@linkcode Layer} values the decoders found. */
  readonly layers: number;
}

/**
 * The protocol path of a packet: its link layer (when decoded), `vlan`, `pppoes`, `ip` or
 * `ipv6`, the transport, then the application protocol when given. A packet with no layer
 * decoded is named by its link type alone.
 *
 * @param packet The link type and decoded layers (a `PacketView` or a `FlowPacket`).
 * @param application The application protocol (`dns`, `http` …), or `""` (default).
 * @returns The colon-separated path.
 * @example
 * ```ts
 * import { decodePacket, PacketView, protocolPath } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const bytes = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", vlans: [7], dstPort: 53 });
 * const v = new PacketView();
 * v.setRecord(bytes, 0, bytes.length, bytes.length);
 * decodePacket(v);
 * assert.equal(protocolPath(v, "dns"), "eth:vlan:ip:udp:dns");
 * ```
 */
export function protocolPath(packet: ProtocolLayers, application = ""): string {
  const layers = packet.layers;
  let path = "";
  const add = (name: string) => {
    path = path === "" ? name : `${path}:${name}`;
  };
  if (layers & Layer.LINK) add(linkTypeName(packet.linktype));
  if (layers & Layer.VLAN) add("vlan");
  if (layers & Layer.PPPOE) add("pppoes");
  if (layers & Layer.IPV4) add("ip");
  if (layers & Layer.IPV6) add("ipv6");
  if (layers & Layer.TCP) add("tcp");
  if (layers & Layer.UDP) add("udp");
  if (layers & Layer.ICMP) add("icmp");
  if (layers & Layer.ICMPV6) add("icmpv6");
  if (application !== "") add(application);
  return path === "" ? linkTypeName(packet.linktype) : path;
}
