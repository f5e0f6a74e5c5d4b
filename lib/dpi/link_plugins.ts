/**
 * Built-in plugins for what every packet has and its link layer: `meta` (record fields), `eth`
 * (Ethernet addresses and type) and `vlan` (802.1Q and stacked tags). They read the
 * `PacketView` the decoders filled.
 *
 * @module
 */
import { formatTime } from "../pcap/packet_text.ts";
import { Layer, LinkType, type PacketView } from "../pcap/packet_view.ts";
import type { ProtocolPlugin } from "./plugin.ts";

const HEX = "0123456789abcdef";
/** Offset of the source MAC address in an Ethernet header (the destination comes first). */
const ETH_SRC_OFFSET = 6;
const MAC_LEN = 6;

function mac(view: PacketView, off: number): string {
  const b = view.buf;
  let s = "";
  for (let i = 0; i < MAC_LEN; i++) {
    if (i) s += ":";
    s += HEX[b[off + i] >> 4] + HEX[b[off + i] & 15];
  }
  return s;
}

const isEthernet = (v: PacketView): boolean => v.linktype === LinkType.ETHERNET && v.l2Offset >= 0;

/** `meta.*`: record fields of every packet. */
export const metaPlugin: ProtocolPlugin = {
  id: 1,
  name: "meta",
  description: "Capture record: time, lengths, link type, interface",
  layer: "frame",
  classify: () => true,
  attributes: {
    /** `seconds.nnnnnnnnn`, exact. */
    time: (v) => formatTime(v.tsSec, v.tsNsec),
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

/** `eth.*`: Ethernet addresses and type. */
export const ethPlugin: ProtocolPlugin = {
  id: 2,
  name: "eth",
  description: "Ethernet II",
  layer: "link",
  classify: (v) => (v.layers & Layer.LINK) !== 0,
  attributes: {
    src: (v) => isEthernet(v) ? mac(v, v.l2Offset + ETH_SRC_OFFSET) : undefined,
    dst: (v) => isEthernet(v) ? mac(v, v.l2Offset) : undefined,
    type: (v) => v.ethertype || undefined,
  },
};

/** `vlan.*`: 802.1Q / 802.1ad tags. */
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
