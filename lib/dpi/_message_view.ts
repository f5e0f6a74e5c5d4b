/**
 * The view a plugin reads a reassembled message through: the packet that completed it, with the
 * message as its transport payload and the stream direction's addresses and ports (a message
 * may be completed by a packet of the other direction, whose acknowledgment ends a gap).
 *
 * @module
 */
import type { PacketView } from "../pcap/packet_view.ts";
import type { TcpStream } from "../pcap/tcp_stream.ts";

/**
 * Fills `into` to describe `bytes[offset, offset + length)` as the payload of `view`'s packet
 * sent on `stream`. Offsets into the packet's own bytes (headers) are absent: only the payload
 * is in `into.buf`.
 *
 * @returns `into`.
 */
export function messageView(
  view: PacketView,
  stream: TcpStream,
  into: PacketView,
  bytes: Uint8Array,
  offset: number,
  length: number,
): PacketView {
  into.setRecord(bytes, offset, length, length);
  into.number = view.number;
  into.fileOffset = view.fileOffset;
  into.tsSec = view.tsSec;
  into.tsNsec = view.tsNsec;
  into.linktype = view.linktype;
  into.fcsLen = view.fcsLen;
  into.iface = view.iface;
  into.section = view.section;
  into.status = view.status;
  into.layers = view.layers;
  into.ethertype = view.ethertype;
  into.vlanCount = view.vlanCount;
  into.vlanOuter = view.vlanOuter;
  into.vlanInner = view.vlanInner;
  into.ipVersion = stream.family;
  into.ipTtl = view.ipTtl;
  into.proto = view.proto;
  if (stream.family === 4) {
    into.ip4Src = stream.src[0];
    into.ip4Dst = stream.dst[0];
  } else {
    into.ip6Src.set(stream.src);
    into.ip6Dst.set(stream.dst);
  }
  into.srcPort = stream.srcPort;
  into.dstPort = stream.dstPort;
  into.tcpFlags = view.tcpFlags;
  into.tcpSeq = view.tcpSeq;
  into.tcpAck = view.tcpAck;
  into.tcpWindow = view.tcpWindow;
  into.tcpHeaderLength = view.tcpHeaderLength;
  // The message is all the payload there is: as many bytes as it has.
  into.ipHeaderLength = 0;
  into.ipTotalLength = view.tcpHeaderLength + length;
  into.payloadOffset = offset;
  into.payloadLength = length;
  return into;
}
