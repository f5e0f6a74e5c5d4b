/**
 * The reusable packet view: one object per reader, refilled for every packet, holding numbers
 * and offsets into the capture buffer only. Reading and decoding a packet allocates nothing.
 * Also the tables of the values its fields take: {@linkcode LinkType}, {@linkcode DecodeStatus},
 * {@linkcode Layer} and {@linkcode TcpFlag}.
 *
 * @module
 */

/**
 * Link-layer header types (LINKTYPE_* values from the tcpdump registry).
 *
 * @example
 * ```ts
 * import { LinkType } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * assert.equal(LinkType.LINUX_SLL2, 276);
 * ```
 */
export const LinkType = {
  /** BSD loopback: 4-byte address family in the writer's byte order. */
  NULL: 0,
  /** Ethernet II / 802.3. */
  ETHERNET: 1,
  /** Raw IP (v4 or v6 from the version nibble). */
  RAW: 101,
  /** OpenBSD loopback: 4-byte address family in network byte order. */
  LOOP: 108,
  /** Linux cooked capture v1. */
  LINUX_SLL: 113,
  /** Raw IPv4. */
  IPV4: 228,
  /** Raw IPv6. */
  IPV6: 229,
  /** Linux cooked capture v2. */
  LINUX_SLL2: 276,
} as const;

/**
 * Result of decoding, in {@linkcode PacketView.status}.
 *
 * @example
 * ```ts
 * import { decodePacket, DecodeStatus, PacketView } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * const v = new PacketView();
 * v.setRecord(new Uint8Array(6), 0, 6, 6); // shorter than an Ethernet header
 * assert.equal(decodePacket(v), DecodeStatus.TRUNCATED);
 * ```
 */
export const DecodeStatus = {
  /** Not decoded (the reader ran with `decode: false`). */
  NONE: 0,
  /** Decoded up to the transport layer (or the deepest layer present). */
  OK: 1,
  /** The link layer carries something that is not IP (ARP, LLDP …); L2 fields are set. */
  NOT_IP: 2,
  /** The link type is not supported; only record fields are set. */
  UNSUPPORTED_LINK: 3,
  /** A header is cut short by the captured length; fields up to it are set. */
  TRUNCATED: 4,
  /** A header is invalid (bad IP version, header length …); fields up to it are set. */
  MALFORMED: 5,
} as const;

/**
 * Bits of {@linkcode PacketView.layers}: which headers were found.
 *
 * @example
 * ```ts
 * import { decodePacket, Layer, PacketView } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const b = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", proto: "tcp", vlans: [7] });
 * const v = new PacketView();
 * v.setRecord(b, 0, b.length, b.length);
 * decodePacket(v);
 * assert.ok(v.layers & Layer.VLAN && v.layers & Layer.TCP);
 * ```
 */
export const Layer = {
  /** A link-layer header (Ethernet, SLL, NULL …). */
  LINK: 1,
  /** At least one VLAN tag. */
  VLAN: 2,
  /** IPv4. */
  IPV4: 4,
  /** IPv6. */
  IPV6: 8,
  /** TCP. */
  TCP: 16,
  /** UDP. */
  UDP: 32,
  /** ICMP. */
  ICMP: 64,
  /** ICMPv6. */
  ICMPV6: 128,
  /** An IP fragment (offset > 0 or more-fragments; or IPv6 fragment header). */
  FRAGMENT: 256,
  /** A PPPoE session header (with PPP carrying IPv4 or IPv6). */
  PPPOE: 512,
} as const;

/**
 * TCP flag bits of {@linkcode PacketView.tcpFlags}.
 *
 * @example
 * ```ts
 * import { TcpFlag } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * const synAck = TcpFlag.SYN | TcpFlag.ACK;
 * assert.equal(synAck, 0x12);
 * ```
 */
export const TcpFlag = {
  /** FIN. */
  FIN: 0x01,
  /** SYN. */
  SYN: 0x02,
  /** RST. */
  RST: 0x04,
  /** PSH. */
  PSH: 0x08,
  /** ACK. */
  ACK: 0x10,
  /** URG. */
  URG: 0x20,
  /** ECE. */
  ECE: 0x40,
  /** CWR. */
  CWR: 0x80,
} as const;

const EMPTY = new Uint8Array(0);
/** Module-level copy of `DecodeStatus.NONE` for the per-packet path. */
const NONE = DecodeStatus.NONE;

/**
 * One packet: its record fields (time, lengths, link type, interface) and, once decoded, the
 * offsets and values of its headers. All offsets are indices into {@linkcode PacketView.buf};
 * `-1` means "absent".
 *
 * **Lifetime.** A reader owns one view and refills it for every packet, so the view describes
 * the current packet only during the callback. Numbers copied out of it are yours to keep. Its
 * bytes (`buf`, `data()`, `payload()`, any `subarray` of them) point into memory the reader
 * controls:
 *
 * - bytes given to `forEachPacket`/`forEachPacketInBytes`: into those bytes, valid as long as
 *   you keep them unchanged;
 * - a memory-mapped file (`mode: "mmap"` of `@mxy/mxy/deno`): into the mapping, which stays
 *   valid as long as any view of it is reachable (the garbage collector releases it), but the
 *   file must not be truncated or rewritten in place meanwhile;
 * - a stream, a positional source or a file read in chunks (the default for files): into the
 *   reader's chunk buffer, which is **overwritten by the packets that follow** — the bytes are
 *   right only during the callback. Copy what you keep with `.slice()`.
 *
 * @example
 * ```ts
 * import { PacketView } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * const v = new PacketView();
 * v.setRecord(new Uint8Array([1, 2, 3]), 0, 3, 3);
 * assert.equal(v.caplen, 3);
 * const kept = v.data().slice(); // a copy survives the next packet
 * assert.deepEqual([...kept], [1, 2, 3]);
 * ```
 */
export class PacketView {
  // ---- record fields (set by the reader) ----
  /**
   * The buffer holding this packet: the bytes given to the reader, the mapped file, or the
   * reader's chunk buffer (reused for later packets: see the lifetime note above).
   */
  buf: Uint8Array = EMPTY;
  /** A DataView over the same bytes as `buf` (same start), for multi-byte reads. */
  dv: DataView = new DataView(EMPTY.buffer);
  /** 1-based packet number in the input. */
  number = 0;
  /** Absolute byte offset of the packet's record (or block) in the (decompressed) input. */
  fileOffset = 0;
  /** Timestamp: whole seconds since the epoch (may be negative for odd files). */
  tsSec = 0;
  /** Timestamp: nanoseconds within the second, 0 … 999 999 999. */
  tsNsec = 0;
  /** Captured length: bytes present in `buf` from `dataOffset`. */
  caplen = 0;
  /** Original length on the wire. */
  origlen = 0;
  /** Link type ({@linkcode LinkType}), FCS bits removed. */
  linktype: number = LinkType.ETHERNET;
  /** Bytes of frame check sequence at the end of each frame (from the pcap FCS bits), 0 if none. */
  fcsLen = 0;
  /** Interface id (pcapng IDB index within its section; 0 for classic pcap). */
  iface = 0;
  /** pcapng section index (0 for classic pcap). */
  section = 0;
  /**
   * Byte order of the file (classic pcap) or section (pcapng) the packet came from: the byte
   * order of the machine that wrote it, which `LinkType.NULL` headers use.
   */
  littleEndian = true;
  /**
   * The file format the packet came from: in `"pcap"`, its 16-byte record header (in the file's
   * byte order and resolution) is right before `dataOffset` in `buf`.
   */
  format: "pcap" | "pcapng" = "pcap";
  /** Classic pcap: the file's timestamps are in nanoseconds (`false` for µs and for pcapng). */
  nanos = false;
  /** Offset of the packet's first byte in `buf`. */
  dataOffset = 0;

  // ---- decoded fields (set by decodePacket) ----
  /** {@linkcode DecodeStatus} of the last decode. */
  status: number = DecodeStatus.NONE;
  /** Bit set of {@linkcode Layer} values found. */
  layers = 0;
  /** Offset of the link-layer header, or -1. */
  l2Offset: number = -1;
  /** Offset of the network-layer header (IPv4/IPv6), or -1. */
  l3Offset: number = -1;
  /** Offset of the transport header (TCP/UDP/ICMP/other), or -1. */
  l4Offset: number = -1;
  /** Offset of the transport payload (after TCP/UDP/ICMP header), or -1. */
  payloadOffset: number = -1;
  /** Length of the transport payload present in the capture (clipped to caplen, without FCS). */
  payloadLength = 0;
  /**
   * Ethernet type (after VLAN tags and PPPoE; SLL protocol; 0x0800/0x86dd synthesized for
   * NULL/RAW).
   */
  ethertype = 0;
  /** Number of VLAN tags (802.1Q, 802.1ad 0x88a8, 0x9100). */
  vlanCount = 0;
  /** VLAN id of the outer tag, or -1. */
  vlanOuter: number = -1;
  /** VLAN id of the inner (second) tag, or -1. */
  vlanInner: number = -1;
  /** IP version: 4, 6 or 0. */
  ipVersion = 0;
  /** IPv4 source address as an unsigned 32-bit number (0 when not IPv4). */
  ip4Src = 0;
  /** IPv4 destination address as an unsigned 32-bit number (0 when not IPv4). */
  ip4Dst = 0;
  /** IPv6 source address as four unsigned 32-bit words, network order (zeros when not IPv6). */
  readonly ip6Src: Uint32Array = new Uint32Array(4);
  /** IPv6 destination address as four unsigned 32-bit words, network order. */
  readonly ip6Dst: Uint32Array = new Uint32Array(4);
  /** Offset of the source address bytes in `buf` (4 bytes for v4, 16 for v6), or -1. */
  ipSrcOffset: number = -1;
  /** Offset of the destination address bytes in `buf`, or -1. */
  ipDstOffset: number = -1;
  /** IPv4 header length in bytes / IPv6 40 + extension headers. */
  ipHeaderLength = 0;
  /** IPv4 total length / IPv6 40 + payload length. */
  ipTotalLength = 0;
  /** TTL / hop limit. */
  ipTtl = 0;
  /** IPv4 identification (IPv6: fragment header identification low 16 bits, else 0). */
  ipId = 0;
  /** Fragment offset in bytes (0 for the first fragment or unfragmented). */
  fragOffset = 0;
  /** More-fragments flag. */
  moreFragments = false;
  /** Whether this packet is an IP fragment (offset > 0 or more-fragments). Not reassembled. */
  fragment = false;
  /** Transport protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, …) after extension headers. */
  proto: number = -1;
  /** Source port (TCP/UDP), or -1. */
  srcPort: number = -1;
  /** Destination port (TCP/UDP), or -1. */
  dstPort: number = -1;
  /** TCP flags byte ({@linkcode TcpFlag}). */
  tcpFlags = 0;
  /** TCP sequence number (unsigned 32-bit). */
  tcpSeq = 0;
  /** TCP acknowledgment number (unsigned 32-bit). */
  tcpAck = 0;
  /** TCP window (unscaled). */
  tcpWindow = 0;
  /** TCP header length in bytes. */
  tcpHeaderLength = 0;
  /** TCP MSS option, or -1. */
  tcpMss: number = -1;
  /** TCP window-scale option, or -1. */
  tcpWscale: number = -1;
  /** TCP SACK-permitted option present. */
  tcpSackPermitted = false;
  /** TCP timestamp option value (TSval), or -1. */
  tcpTsVal: number = -1;
  /** TCP timestamp echo reply (TSecr), or -1. */
  tcpTsEcr: number = -1;
  /** ICMP/ICMPv6 type, or -1. */
  icmpType: number = -1;
  /** ICMP/ICMPv6 code, or -1. */
  icmpCode: number = -1;

  /**
   * Points the view at a packet's bytes and clears the decoded fields. Readers call this; tests
   * and tools may call it to decode bytes they hold.
   *
   * @param buf The buffer holding the packet.
   * @param dataOffset Where the packet starts in `buf`.
   * @param caplen Bytes captured.
   * @param origlen Bytes on the wire.
   */
  setRecord(buf: Uint8Array, dataOffset: number, caplen: number, origlen: number): void {
    if (buf !== this.buf) {
      this.buf = buf;
      this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    this.dataOffset = dataOffset;
    this.caplen = caplen;
    this.origlen = origlen;
    // Decoded fields are set only with a status (decodePacket always sets one): a view that holds
    // no decode has nothing to clear, which spares readers run without decoding the work.
    if (this.status !== NONE) this.clearDecoded();
  }

  /** Resets every decoded field to its "absent" value. */
  clearDecoded(): void {
    this.status = DecodeStatus.NONE;
    this.layers = 0;
    this.l2Offset = -1;
    this.l3Offset = -1;
    this.l4Offset = -1;
    this.payloadOffset = -1;
    this.payloadLength = 0;
    this.ethertype = 0;
    this.vlanCount = 0;
    this.vlanOuter = -1;
    this.vlanInner = -1;
    this.ipVersion = 0;
    this.ip4Src = 0;
    this.ip4Dst = 0;
    this.ipSrcOffset = -1;
    this.ipDstOffset = -1;
    this.ipHeaderLength = 0;
    this.ipTotalLength = 0;
    this.ipTtl = 0;
    this.ipId = 0;
    this.fragOffset = 0;
    this.moreFragments = false;
    this.fragment = false;
    this.proto = -1;
    this.srcPort = -1;
    this.dstPort = -1;
    this.tcpFlags = 0;
    this.tcpSeq = 0;
    this.tcpAck = 0;
    this.tcpWindow = 0;
    this.tcpHeaderLength = 0;
    this.tcpMss = -1;
    this.tcpWscale = -1;
    this.tcpSackPermitted = false;
    this.tcpTsVal = -1;
    this.tcpTsEcr = -1;
    this.icmpType = -1;
    this.icmpCode = -1;
  }

  /**
   * The captured bytes as a subarray of {@linkcode PacketView.buf} (allocates a view object;
   * use offsets in hot paths). Valid as long as `buf` is: copy with `.slice()` to keep it.
   *
   * @returns `buf[dataOffset, dataOffset + caplen)`.
   */
  data(): Uint8Array {
    return this.buf.subarray(this.dataOffset, this.dataOffset + this.caplen);
  }

  /**
   * The transport payload as a subarray of {@linkcode PacketView.buf} (allocates a view
   * object), empty when absent. Valid as long as `buf` is: copy with `.slice()` to keep it.
   *
   * @returns `buf[payloadOffset, payloadOffset + payloadLength)`.
   */
  payload(): Uint8Array {
    if (this.payloadOffset < 0) return EMPTY;
    return this.buf.subarray(this.payloadOffset, this.payloadOffset + this.payloadLength);
  }
}
