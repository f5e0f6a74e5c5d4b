/**
 * The flow facts sessions and correlation work on: one reusable record of what a decoded packet
 * says about its conversation (addresses as 32-bit words, ports, IP protocol, TCP flags, capture
 * time as whole seconds plus nanoseconds, where its transport payload lies). Nothing is
 * allocated per packet.
 *
 * @module
 */
import { DecodeStatus, Layer, LinkType, type PacketView } from "./packet_view.ts";

/**
 * One packet's flow facts, filled in place for every packet (one instance is reused). Fill it
 * from a decoded view with {@linkcode FlowPacket.readView}, or set the fields yourself.
 *
 * @example
 * ```ts
 * import { FlowPacket } from "@mxy/mxy/pcap";
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
  /** TCP flags byte ({@linkcode TcpFlag} bits), 0 for other protocols. */
  tcpFlags = 0;
  /** TCP sequence number (unsigned 32-bit), 0 for other protocols. */
  tcpSeq = 0;
  /** TCP acknowledgment number (unsigned 32-bit), 0 for other protocols. */
  tcpAck = 0;
  /**
   * TCP payload length the IP header declares: what the segment carried on the wire, more than
   * {@linkcode FlowPacket.payLen} when the capture's snap length cut it. 0 for other protocols.
   */
  tcpLen = 0;
  /**
   * The buffer the payload lies in: the view's `buf`, valid only while the reader's callback
   * runs (see {@linkcode PacketView}'s lifetime note).
   */
  buf: Uint8Array = new Uint8Array(0);
  /** Offset of the transport payload in {@linkcode FlowPacket.buf}. */
  payOff = 0;
  /** Length of the transport payload as captured. */
  payLen = 0;
  /** Link type of the capture interface ({@linkcode LinkType} values). */
  linktype: number = LinkType.ETHERNET;
  /** Bit set of decoded layers ({@linkcode Layer} values). */
  layers = 0;
  /** Application protocol name as classified (`dns`, `http`, `tls` …), or "" when unknown. */
  service = "";
  /** The decoded packet these facts came from (set by {@linkcode FlowPacket.readView}). */
  view: PacketView | null = null;

  /**
   * Sets IPv4 addresses, protocol and ports, clearing the upper address words.
   *
   * @param src Source address as an unsigned 32-bit number.
   * @param dst Destination address.
   * @param proto IP protocol number.
   * @param sport Source port.
   * @param dport Destination port.
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

  /**
   * Fills the facts from a decoded {@linkcode PacketView} without allocating. Packets without
   * an IP layer (or that failed to decode before it) get `family` 0; later IP fragments get no
   * ports (they belong to no 5-tuple that can be named).
   *
   * @param view The decoded packet.
   * @returns `true` when the packet decoded without error (status `OK` or `NOT_IP`).
   * @example
   * ```ts
   * import { decodePacket, FlowPacket, PacketView } from "@mxy/mxy/pcap";
   * import { buildPacket } from "@mxy/mxy/testing";
   * import assert from "node:assert/strict";
   * const bytes = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 5000, dstPort: 53 });
   * const v = new PacketView();
   * v.setRecord(bytes, 0, bytes.length, bytes.length);
   * decodePacket(v);
   * const p = new FlowPacket();
   * assert.equal(p.readView(v), true);
   * assert.deepEqual([p.family, p.proto, p.sport, p.dport, p.payLen], [4, 17, 5000, 53, 0]);
   * ```
   */
  readView(view: PacketView): boolean {
    this.view = view;
    this.frame = view.number;
    this.sec = view.tsSec;
    this.nsec = view.tsNsec;
    this.wireLen = view.origlen;
    this.linktype = view.linktype;
    this.layers = view.layers;
    this.service = "";
    this.tcpFlags = view.tcpFlags;
    this.buf = view.buf;
    const src = this.src, dst = this.dst;
    const version = view.ipVersion;
    if (version === 4) {
      this.family = 4;
      src[0] = view.ip4Src;
      dst[0] = view.ip4Dst;
      src[1] =
        src[2] =
        src[3] =
        dst[1] =
        dst[2] =
        dst[3] =
          0;
    } else if (version === 6) {
      this.family = 6;
      src.set(view.ip6Src);
      dst.set(view.ip6Dst);
    } else {
      this.family = 0;
    }
    this.ipLen = version === 0 ? 0 : view.ipTotalLength;
    this.proto = view.proto < 0 ? 0 : view.proto;
    this.sport = view.srcPort < 0 ? 0 : view.srcPort;
    this.dport = view.dstPort < 0 ? 0 : view.dstPort;
    if (view.fragment && view.fragOffset > 0) {
      this.sport = this.dport = 0;
    }
    if (view.payloadOffset >= 0 && (view.layers & (Layer.TCP | Layer.UDP)) !== 0) {
      this.payOff = view.payloadOffset;
      this.payLen = view.payloadLength;
    } else {
      this.payOff = 0;
      this.payLen = 0;
    }
    if (view.tcpHeaderLength > 0 && view.payloadOffset >= 0) {
      this.tcpSeq = view.tcpSeq;
      this.tcpAck = view.tcpAck;
      // IP total length 0 (segmentation offload) declares nothing: the capture is the segment.
      const declared = view.ipTotalLength - view.ipHeaderLength - view.tcpHeaderLength;
      this.tcpLen = view.ipTotalLength > view.ipHeaderLength && declared > this.payLen
        ? declared
        : this.payLen;
    } else {
      this.tcpSeq = this.tcpAck = this.tcpLen = 0;
    }
    const status = view.status;
    return status === DecodeStatus.OK || status === DecodeStatus.NOT_IP;
  }
}
