/**
 * The layout the capture pipeline's reader and workers share: a batch slot is one
 * `SharedArrayBuffer` holding a table of packet descriptors (one row of numbers per packet) and
 * then the packets' bytes, copied from the reader's buffer a run of consecutive records at a time
 * (never one copy per packet). Also the messages between the reader and its workers, and the
 * order keys of the records workers emit.
 *
 * @module
 */

// Descriptor words (Float64Array, packet `i` of a batch at `i * D_WORDS`).
/** The packet's position in the whole run (1-based, across files): the order key's first word. */
export const D_SEQ = 0;
/** The packet's number in its file (`view.number`). */
export const D_NUMBER = 1;
/** Capture time: whole seconds. */
export const D_SEC = 2;
/** Capture time: nanoseconds. */
export const D_NSEC = 3;
/** Where the packet's bytes start in the slot's data area. */
export const D_OFFSET = 4;
/** Captured length. */
export const D_CAPLEN = 5;
/** Length on the wire. */
export const D_ORIGLEN = 6;
/** Link type. */
export const D_LINKTYPE = 7;
/** FCS bytes. */
export const D_FCS = 8;
/** Interface id. */
export const D_IFACE = 9;
/** Bit set: {@linkcode BIT_LITTLE_ENDIAN}, {@linkcode BIT_NANOS}, {@linkcode BIT_PCAPNG}. */
export const D_BITS = 10;
/** The worker that handles the packet (the others only see its time go by). */
export const D_OWNER = 11;
/** IP version (0 when the packet has none, or was not decoded by the reader). */
export const D_FAMILY = 12;
/** Transport protocol (0 when none). */
export const D_PROTO = 13;
/** Source port in the high 16 bits, destination port in the low 16 bits. */
export const D_PORTS = 14;
/** pcapng section. */
export const D_SECTION = 15;
/** Words per descriptor. */
export const D_WORDS = 16;

/** {@linkcode D_BITS}: the file's (or section's) byte order is little-endian. */
export const BIT_LITTLE_ENDIAN = 1;
/** {@linkcode D_BITS}: classic pcap with nanosecond timestamps. */
export const BIT_NANOS = 2;
/** {@linkcode D_BITS}: the packet came from a pcapng file. */
export const BIT_PCAPNG = 4;

/** Most packets in one batch. */
export const MAX_BATCH_PACKETS = 16384;
/** Bytes of packet data a slot holds (a larger record gets a slot of its own size). */
export const SLOT_DATA_BYTES = 4 << 20;
/** Room before a run for a classic pcap record header. */
export const RECORD_HEADER_ROOM = 16;

/** Bytes of the descriptor table at the start of a slot. */
export const DESCRIPTOR_BYTES = MAX_BATCH_PACKETS * D_WORDS * 8;

// Order-key words of each emitted record (Float64Array, record `r` at `r * K_WORDS`).
/** The run position of the packet being handled when the record was made. */
export const K_SEQ = 0;
/** The phase within that packet ({@linkcode PipelinePhase}). */
export const K_PHASE = 1;
/** Ties between workers within one phase: three numbers the task chooses. */
export const K_TIE_A = 2;
/** Second tie word. */
export const K_TIE_B = 3;
/** Third tie word. */
export const K_TIE_C = 4;
/** Task data carried to the reader (flows: the session's key hash). */
export const K_EXTRA_A = 5;
/** Task data carried to the reader (flows: 1 + the session's creation number in its worker). */
export const K_EXTRA_B = 6;
/** Length of the record's text in bytes (UTF-8). */
export const K_LENGTH = 7;
/** Flows: where the uid placeholder starts in the record's bytes, or -1. */
export const K_UID_AT = 8;
/** Words per key. */
export const K_WORDS = 9;

/** Records of the end of the run a worker sends at a time (they are merged as they come). */
export const END_CHUNK_RECORDS = 4096;

/** The order key of records made after the last packet (at the end of the run). */
export const SEQ_END = Number.MAX_SAFE_INTEGER;

/** The reader's messages to a worker. */
export type ToWorker =
  | {
    type: "init";
    index: number;
    workers: number;
    task: string;
    config: unknown;
    slots: SharedArrayBuffer[];
  }
  | {
    type: "batch";
    batch: number;
    slot: number;
    count: number;
    run: number;
    buffer?: SharedArrayBuffer;
  }
  | { type: "finish" };

/** A worker's messages to the reader. */
export type FromWorker =
  | { type: "ready"; index: number }
  | {
    type: "done";
    index: number;
    batch: number;
    keys: Float64Array;
    bytes: Uint8Array;
    marked: Uint32Array;
    created: Float64Array;
  }
  | { type: "chunk"; index: number; keys: Float64Array; bytes: Uint8Array }
  | {
    type: "finished";
    index: number;
    keys: Float64Array;
    bytes: Uint8Array;
    stats: Record<string, number>;
  }
  | {
    type: "failed";
    index: number;
    name: string;
    code: string;
    message: string;
    frame: number;
  };

/** Mixes a 32-bit hash into a worker's number, 0 … `workers - 1` (small-integer arithmetic). */
export function shardOf(hash: number, workers: number): number {
  let h = hash | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return (h & 0x7fffffff) % workers;
}

/** A packet's endpoints as sharding reads them (a `FlowPacket` has them). */
export interface ShardEndpoints {
  family: number;
  proto: number;
  src: Uint32Array;
  dst: Uint32Array;
  sport: number;
  dport: number;
}

/** What the reader learns of a packet for sharding: its endpoints and where its payload is. */
export interface ShardFacts extends ShardEndpoints {
  payOff: number;
  payLen: number;
}

/**
 * A hash of a packet's conversation that both directions give (sums and exclusive ors of the
 * two endpoints' address words and ports, which do not change when they swap): what `flow`
 * sharding needs, without building the canonical key (`canonicalize`) on the reader.
 */
export function flowShardHash(p: ShardEndpoints): number {
  const s = p.src, d = p.dst;
  let h = Math.imul(s[0] ^ d[0], 0x9e3779b1) ^ (s[0] + d[0]);
  if (p.family === 6) {
    h = Math.imul(h ^ s[1] ^ d[1], 0x85ebca6b) ^ (s[1] + d[1]);
    h = Math.imul(h ^ s[2] ^ d[2], 0xc2b2ae35) ^ (s[2] + d[2]);
    h = Math.imul(h ^ s[3] ^ d[3], 0x27d4eb2f) ^ (s[3] + d[3]);
  }
  const sp = p.sport, dp = p.dport;
  return Math.imul(h ^ ((sp ^ dp) | ((sp + dp) << 16)) ^ (p.proto << 24), 0x165667b1);
}

/**
 * A hash of a payload that any copy of the same bytes gives: its length and eight four-byte
 * words at fixed fractions of it (so that payloads sharing a prefix still spread). Equal payloads
 * always land on one worker, which is all the `payload` and `seed` modes need.
 */
export function payloadShardHash(b: Uint8Array, off: number, len: number): number {
  let h = Math.imul(len, 0x9e3779b1);
  if (len >= 4) {
    const last = len - 4;
    for (let k = 0; k < 8; k++) {
      const o = off + Math.floor((last * k) / 7);
      const w = b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
      h = Math.imul(h ^ w, 0x01000193);
      h ^= h >>> 13;
    }
  } else {
    for (let i = 0; i < len; i++) h = Math.imul(h ^ b[off + i], 0x01000193);
  }
  return h >>> 0;
}

/** Ethernet II header bytes. */
const ETH_HEADER = 14;
/** Ethertype of IPv4. */
const ETHERTYPE_IPV4 = 0x0800;
/** IPv4 header bytes without options. */
const IPV4_MIN = 20;
/** IPv4 fragment bits: more fragments and the offset. */
const IPV4_FRAGMENT_BITS = 0x3fff;
/** TCP header bytes without options. */
const TCP_MIN = 20;
/** UDP header bytes. */
const UDP_HEADER = 8;
const PROTO_TCP = 6, PROTO_UDP = 17;
const LINKTYPE_ETHERNET = 1;

/**
 * The reader's fast path for what sharding needs (addresses, protocol, ports, payload range) of
 * the common packet — Ethernet without VLAN tags, IPv4 not fragmented, TCP or UDP, complete —
 * without a full decode. Fills `p` exactly as `decodePacket` then `p.readView(view)` would for
 * those fields, and returns `false` for anything else (the caller decodes in full).
 *
 * @param buf The record's buffer.
 * @param start The packet's first byte in `buf`.
 * @param caplen Captured bytes.
 * @param origlen Bytes on the wire.
 * @param fcsLen FCS bytes at the end of each frame.
 * @param linktype The link type.
 * @param p Receives the facts.
 * @returns Whether the facts were filled.
 */
export function quickFlowFacts(
  buf: Uint8Array,
  start: number,
  caplen: number,
  origlen: number,
  fcsLen: number,
  linktype: number,
  p: ShardFacts,
): boolean {
  if (linktype !== LINKTYPE_ETHERNET) return false;
  let end = start + caplen;
  if (fcsLen > 0 && caplen === origlen && caplen >= fcsLen) end -= fcsLen;
  if (end > buf.length) end = buf.length;
  const l3 = start + ETH_HEADER;
  if (end - l3 < IPV4_MIN || ((buf[start + 12] << 8) | buf[start + 13]) !== ETHERTYPE_IPV4) {
    return false;
  }
  const vihl = buf[l3];
  const ihl = (vihl & 15) * 4;
  if (vihl >>> 4 !== 4 || ihl < IPV4_MIN || end - l3 < ihl) return false;
  if ((((buf[l3 + 6] << 8) | buf[l3 + 7]) & IPV4_FRAGMENT_BITS) !== 0) return false;
  const total = (buf[l3 + 2] << 8) | buf[l3 + 3];
  if (total !== 0) {
    if (total < ihl) return false;
    if (l3 + total < end) end = l3 + total;
  }
  const proto = buf[l3 + 9];
  const l4 = l3 + ihl;
  let payOff: number;
  if (proto === PROTO_TCP) {
    if (end - l4 < TCP_MIN) return false;
    const hl = (buf[l4 + 12] >>> 4) * 4;
    if (hl < TCP_MIN || end - l4 < hl) return false;
    payOff = l4 + hl;
  } else if (proto === PROTO_UDP) {
    if (end - l4 < UDP_HEADER) return false;
    const udpLength = (buf[l4 + 4] << 8) | buf[l4 + 5];
    if (udpLength >= UDP_HEADER && l4 + udpLength < end) end = l4 + udpLength;
    payOff = l4 + UDP_HEADER;
  } else return false;
  p.family = 4;
  p.proto = proto;
  const src = p.src, dst = p.dst;
  src[0] = ((buf[l3 + 12] << 24) | (buf[l3 + 13] << 16) | (buf[l3 + 14] << 8) | buf[l3 + 15]) >>>
    0;
  dst[0] = ((buf[l3 + 16] << 24) | (buf[l3 + 17] << 16) | (buf[l3 + 18] << 8) | buf[l3 + 19]) >>>
    0;
  src[1] =
    src[2] =
    src[3] =
    dst[1] =
    dst[2] =
    dst[3] =
      0;
  p.sport = (buf[l4] << 8) | buf[l4 + 1];
  p.dport = (buf[l4 + 2] << 8) | buf[l4 + 3];
  p.payOff = payOff;
  p.payLen = end - payOff;
  return true;
}
