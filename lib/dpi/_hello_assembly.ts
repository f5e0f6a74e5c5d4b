/**
 * Reassembly of TLS hello records that span TCP segments (a ClientHello with a post-quantum
 * key share is about 1,800 bytes, more than one segment). The first segment opens an assembly
 * for its flow direction; segments continuing it in sequence add their bytes; the one that
 * completes the record hands over the whole record. Only hellos are assembled, each at most
 * 16 KiB + 5 bytes, and at most 256 flows wait at once (the oldest is dropped).
 *
 * @module
 */
import type { PacketView } from "../pcap/packet_view.ts";

const MAX_WAITING = 256;

interface Waiting {
  ipVersion: number;
  src: Uint32Array;
  dst: Uint32Array;
  srcPort: number;
  dstPort: number;
  /** The sequence number of the next byte wanted. */
  next: number;
  record: Uint8Array;
  have: number;
}

/** The TCP payload length the IP header declares (what the segment carried on the wire). */
export function declaredPayload(v: PacketView): number {
  return v.ipTotalLength - v.ipHeaderLength - v.tcpHeaderLength;
}

function sameAddress(v: PacketView, w: Waiting): boolean {
  if (v.ipVersion !== w.ipVersion || v.srcPort !== w.srcPort || v.dstPort !== w.dstPort) {
    return false;
  }
  if (v.ipVersion === 4) return v.ip4Src === w.src[0] && v.ip4Dst === w.dst[0];
  for (let i = 0; i < 4; i++) {
    if (v.ip6Src[i] !== w.src[i] || v.ip6Dst[i] !== w.dst[i]) return false;
  }
  return true;
}

/** The hello records waiting for their next segments. */
export class HelloAssembly {
  #waiting: Waiting[] = [];
  /** The record completed by the last {@linkcode HelloAssembly.add} that returned true. */
  record: Uint8Array = new Uint8Array(0);

  /** How many records wait. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Opens an assembly for a segment that starts a hello record of `recordLength` bytes (header
   * included) but holds only its first part. A record already waiting on the same flow
   * direction is dropped.
   *
   * @param v The segment (TCP, its whole payload captured).
   * @param recordLength The record's length, header included.
   */
  open(v: PacketView, recordLength: number): void {
    this.#drop(v);
    if (this.#waiting.length >= MAX_WAITING) this.#waiting.shift();
    const record = new Uint8Array(recordLength);
    record.set(v.buf.subarray(v.payloadOffset, v.payloadOffset + v.payloadLength));
    const v4 = v.ipVersion === 4;
    this.#waiting.push({
      ipVersion: v.ipVersion,
      src: v4 ? Uint32Array.of(v.ip4Src) : Uint32Array.from(v.ip6Src),
      dst: v4 ? Uint32Array.of(v.ip4Dst) : Uint32Array.from(v.ip6Dst),
      srcPort: v.srcPort,
      dstPort: v.dstPort,
      next: (v.tcpSeq + v.payloadLength) >>> 0,
      record,
      have: v.payloadLength,
    });
  }

  /**
   * Whether a segment continues a waiting record: same flow direction, next in sequence.
   *
   * @param v The segment.
   * @returns The waiting record's index, or -1.
   */
  find(v: PacketView): number {
    if (v.payloadLength <= 0) return -1;
    const w = this.#waiting;
    for (let i = w.length - 1; i >= 0; i--) {
      if (w[i].next === v.tcpSeq && sameAddress(v, w[i])) return i;
    }
    return -1;
  }

  /**
   * Adds a continuing segment's bytes to waiting record `i`. When they complete it, the
   * record is left in {@linkcode HelloAssembly.record} and no longer waits.
   *
   * @param i The index {@linkcode HelloAssembly.find} gave.
   * @param v The segment.
   * @returns Whether the record is now complete.
   */
  add(i: number, v: PacketView): boolean {
    const w = this.#waiting[i];
    const n = Math.min(v.payloadLength, w.record.length - w.have);
    w.record.set(v.buf.subarray(v.payloadOffset, v.payloadOffset + n), w.have);
    w.have += n;
    w.next = (w.next + v.payloadLength) >>> 0;
    if (w.have < w.record.length) return false;
    this.#waiting.splice(i, 1);
    this.record = w.record;
    return true;
  }

  // Drops what waits on the flow direction of `v`.
  #drop(v: PacketView): void {
    const w = this.#waiting;
    for (let i = w.length - 1; i >= 0; i--) if (sameAddress(v, w[i])) w.splice(i, 1);
  }
}
