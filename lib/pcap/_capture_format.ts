/**
 * The numbers of the two capture file formats: classic pcap (file and record headers, magics,
 * the FCS bits of the link-type field) and pcapng (block types, byte-order magic, option codes,
 * fixed block sizes).
 *
 * @module
 */

/** Classic pcap magic, microsecond timestamps, as read little-endian from a little-endian file. */
export const PCAP_MAGIC_US = 0xa1b2c3d4;
/** Classic pcap magic, nanosecond timestamps. */
export const PCAP_MAGIC_NS = 0xa1b23c4d;
/** {@linkcode PCAP_MAGIC_US} as it reads from a big-endian file. */
export const PCAP_MAGIC_US_SWAPPED = 0xd4c3b2a1;
/** {@linkcode PCAP_MAGIC_NS} as it reads from a big-endian file. */
export const PCAP_MAGIC_NS_SWAPPED = 0x4d3cb2a1;
/** Bytes of the classic pcap file header. */
export const PCAP_FILE_HEADER_LEN = 24;
/** Offset of the snapshot length in the file header. */
export const PCAP_SNAPLEN_OFFSET = 16;
/** Offset of the link-type field in the file header. */
export const PCAP_LINKTYPE_OFFSET = 20;
/** Bytes of a classic pcap record header. */
export const PCAP_RECORD_HEADER_LEN = 16;
/** Offset of the captured length in a record header. */
export const PCAP_RECORD_INCL_OFFSET = 8;
/** Offset of the original length in a record header. */
export const PCAP_RECORD_ORIG_OFFSET = 12;
/** Link-type field: the bit saying that the FCS length bits are set. */
export const PCAP_FCS_PRESENT = 0x04000000;
/** Link-type field: the link type itself. */
export const PCAP_LINKTYPE_MASK = 0xffff;
/** Link-type field: the FCS length in 16-bit units sits in the top 4 bits. */
export const PCAP_FCS_SHIFT = 28;
/** The first bytes of a gzip stream. */
export const GZIP_MAGIC_0 = 0x1f;
/** The second byte of a gzip stream. */
export const GZIP_MAGIC_1 = 0x8b;

/** pcapng Section Header Block type (a palindrome: it reads the same in both byte orders). */
export const BLOCK_SHB = 0x0a0d0d0a;
/** pcapng Interface Description Block type. */
export const BLOCK_IDB = 1;
/** pcapng (obsolete) Packet Block type. */
export const BLOCK_PB = 2;
/** pcapng Simple Packet Block type. */
export const BLOCK_SPB = 3;
/** pcapng Name Resolution Block type. */
export const BLOCK_NRB = 4;
/** pcapng Interface Statistics Block type. */
export const BLOCK_ISB = 5;
/** pcapng Enhanced Packet Block type. */
export const BLOCK_EPB = 6;
/** The SHB byte-order magic as read in the section's own byte order. */
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** The SHB byte-order magic as read little-endian from a big-endian section. */
export const BYTE_ORDER_MAGIC_SWAPPED = 0x4d3c2b1a;
/** Bytes of a block's type and length, and of its trailing length. */
export const BLOCK_HEADER_LEN = 8;
/** Bytes of the smallest block: type, length, trailing length. */
export const BLOCK_MIN_LEN = 12;
/** Slack allowed over `maxRecord` for a block's own fields. */
export const BLOCK_OVERHEAD = 64;
/** Bytes of an SHB body before its options (byte-order magic, version, section length). */
export const SHB_BODY_LEN = 16;
/** Bytes of an IDB body before its options (link type, reserved, snapshot length). */
export const IDB_BODY_LEN = 8;
/** Bytes of an EPB or PB body before the packet (interface, timestamp, lengths). */
export const EPB_BODY_LEN = 20;
/** Bytes of an SPB body before the packet (original length). */
export const SPB_BODY_LEN = 4;
/** Bytes of an ISB body before its options (interface, timestamp). */
export const ISB_BODY_LEN = 12;

/** Option code ending an option list. */
export const OPT_END = 0;
/** IDB option: the interface's name. */
export const IF_NAME = 2;
/** IDB option: timestamp resolution (`k` for 10^-k, `0x80 | k` for 2^-k). */
export const IF_TSRESOL = 9;
/** IDB option: bytes of FCS at the end of each frame. */
export const IF_FCSLEN = 13;
/** IDB option: seconds to add to every timestamp. */
export const IF_TSOFFSET = 14;
/** ISB option: packets received. */
export const ISB_IFRECV = 4;
/** ISB option: packets dropped. */
export const ISB_IFDROP = 5;
/** NRB record: an IPv4 address and names. */
export const NRB_IPV4 = 1;
/** NRB record: an IPv6 address and names. */
export const NRB_IPV6 = 2;
/** The default timestamp resolution: microseconds (10^-6). */
export const DEFAULT_TSRESOL = 6;
/** `if_tsresol` bit saying the resolution is a power of two. */
export const TSRESOL_BINARY = 0x80;
