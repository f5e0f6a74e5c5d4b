/**
 * The view a plugin reads a reassembled message through: the packet that completed it, with the
 * message as its transport payload and the stream direction's addresses and ports (a message
 * may be completed by a packet of the other direction, whose acknowledgment ends a gap).
 *
 * @module
 */
import type { PacketView } from "../pcap/packet_view.ts";
import type { TcpStream } from "../pcap/tcp_stream.ts";

// The DataViews of the last two buffers messages were read from: messages mostly alternate
// between the reader's buffer and a framing's own.
let lastBuf: Uint8Array | null = null, lastView: DataView | null = null;
let otherBuf: Uint8Array | null = null, otherView: DataView | null = null;

function dataViewOf(bytes: Uint8Array): DataView {
  if (bytes === lastBuf) return lastView!;
  if (bytes !== otherBuf) {
    otherBuf = bytes;
    otherView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const b = lastBuf, v = lastView;
  lastBuf = otherBuf;
  lastView = otherView;
  otherBuf = b;
  otherView = v;
  return lastView!;
}

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
  if (into.buf !== bytes) {
    // Messages alternate between a few buffers (the packets', the framings'): reuse their views.
    into.buf = bytes;
    into.dv = dataViewOf(bytes);
  }
  // Everything a plugin reads is set below; offsets into the packet's own headers are absent.
  into.l2Offset =
    into.l3Offset =
    into.l4Offset =
    into.ipSrcOffset =
    into.ipDstOffset =
      -1;
  into.dataOffset = offset;
  into.caplen = into.origlen = length;
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
  into.ipTtl = view.ipTtl;
  into.proto = view.proto;
  if (bytes === view.buf) {
    // The packet's own payload: the stream is the packet's direction.
    const family = view.ipVersion;
    into.ipVersion = family;
    if (family === 4) {
      into.ip4Src = view.ip4Src;
      into.ip4Dst = view.ip4Dst;
    } else {
      into.ip6Src.set(view.ip6Src);
      into.ip6Dst.set(view.ip6Dst);
    }
    into.srcPort = view.srcPort;
    into.dstPort = view.dstPort;
  } else {
    const family = stream.family;
    into.ipVersion = family;
    // (`src` and `dst` read the addresses' words anew at each use.)
    const src = stream.src, dst = stream.dst;
    if (family === 4) {
      into.ip4Src = src[0];
      into.ip4Dst = dst[0];
    } else {
      for (let i = 0; i < 4; i++) {
        into.ip6Src[i] = src[i];
        into.ip6Dst[i] = dst[i];
      }
    }
    into.srcPort = stream.srcPort;
    into.dstPort = stream.dstPort;
  }
  into.tcpFlags = view.tcpFlags;
  into.tcpSeq = view.tcpSeq;
  into.tcpAck = view.tcpAck;
  into.tcpWindow = view.tcpWindow;
  into.tcpHeaderLength = view.tcpHeaderLength;
  into.tcpMss = view.tcpMss;
  into.tcpWscale = view.tcpWscale;
  into.tcpSackPermitted = view.tcpSackPermitted;
  into.tcpTsVal = view.tcpTsVal;
  into.tcpTsEcr = view.tcpTsEcr;
  into.ipId = view.ipId;
  into.fragOffset = view.fragOffset;
  into.moreFragments = view.moreFragments;
  into.fragment = view.fragment;
  into.icmpType = into.icmpCode = -1;
  // The message is all the payload there is: as many bytes as it has.
  into.ipHeaderLength = 0;
  into.ipTotalLength = view.tcpHeaderLength + length;
  into.payloadOffset = offset;
  into.payloadLength = length;
  return into;
}
