/**
 * The output of `filterCapture`: the kept packets in the input's format, written straight into
 * fixed-size chunks (no allocation per packet) that go to a sink as they fill or are kept in
 * memory.
 *
 * - From classic pcap: classic pcap in the input's byte order, timestamp resolution and
 *   link-type field (FCS length), so the kept records are copied as they are — a run of
 *   consecutive ones at a time, flushed when the run breaks and before the reader reuses its
 *   buffer (`onRefill`).
 * - From pcapng: pcapng (little-endian) with one interface per link type and FCS length met
 *   among the kept packets, nanosecond timestamps.
 *
 * @module
 */
import type { PacketView } from "./packet_view.ts";
import * as format from "./_capture_format.ts";

const {
  BLOCK_EPB,
  BLOCK_IDB,
  BLOCK_SHB,
  BYTE_ORDER_MAGIC,
  IF_FCSLEN,
  IF_TSRESOL,
  PCAP_FCS_PRESENT,
  PCAP_FCS_SHIFT,
  PCAP_FILE_HEADER_LEN,
  PCAP_MAGIC_NS,
  PCAP_MAGIC_US,
  PCAP_RECORD_HEADER_LEN,
} = format;

/** Bytes of an output chunk. */
const CHUNK = 1 << 20;
/** The snapshot length the output declares. */
const SNAPLEN = 262144;
/** Packets longer than this are copied with `set`; shorter ones word by word (no allocation). */
const SET_THRESHOLD = 256;
/** pcapng: an EPB's fixed part (header, interface, time, lengths) and trailer. */
const EPB_FIXED = 28, BLOCK_TRAILER = 4;
/** pcapng: nanosecond resolution for `if_tsresol`. */
const TSRESOL_NS = 9;
const TWO_16 = 65536, TWO_32 = 4294967296, NS_PER_SEC = 1e9;

/** What the output's format is taken from: the first packet's record fields. */
export interface OutputFormat {
  /** Link type of the first packet. */
  linktype: number;
  /** Its FCS length. */
  fcsLen: number;
  /** `"pcap"` or `"pcapng"`: the input's format. */
  format: "pcap" | "pcapng";
  /** Classic pcap: nanosecond timestamps. */
  nanos: boolean;
  /** Classic pcap: byte order. */
  littleEndian: boolean;
}

/** Writes kept packets; see the module description. */
export class FilterOutput {
  /** The filled chunks, when there is no sink. */
  readonly chunks: Uint8Array[] = [];
  #sink: ((chunk: Uint8Array) => void) | null;
  #out: Uint8Array = new Uint8Array(CHUNK);
  #dv: DataView = new DataView(this.#out.buffer);
  #pos = 0;
  #started = false;
  #pcapng = false;
  #littleEndian = true;
  #nanos = false;
  // The pending run of classic records copied as they are: buf[runStart, runEnd).
  #runBuf: Uint8Array | null = null;
  #runStart = 0;
  #runEnd = 0;
  /** pcapng: interface id per `linktype:fcsLen`. */
  #ifaces = new Map<number, number>();

  /**
   * @param sink Receives each filled chunk (valid only during the call); none: keep them.
   */
  constructor(sink: ((chunk: Uint8Array) => void) | null) {
    this.#sink = sink;
  }

  /**
   * Writes one kept packet.
   *
   * @param v The reader's view of it.
   */
  write(v: PacketView): void {
    if (!this.#started) this.#start(v);
    if (this.#pcapng) return this.#block(v);
    if (v.format === "pcap" && v.nanos === this.#nanos && v.littleEndian === this.#littleEndian) {
      const h = v.dataOffset - PCAP_RECORD_HEADER_LEN, e = v.dataOffset + v.caplen;
      if (v.buf === this.#runBuf && h === this.#runEnd) {
        this.#runEnd = e;
        return;
      }
      this.flush();
      this.#runBuf = v.buf;
      this.#runStart = h;
      this.#runEnd = e;
      return;
    }
    this.flush();
    this.#record(v);
  }

  /** Copies the pending run of records out of the reader's buffer. */
  flush(): void {
    const buf = this.#runBuf;
    if (buf === null) return;
    this.#runBuf = null;
    const run = buf.subarray(this.#runStart, this.#runEnd);
    if (this.#pos + run.length <= this.#out.length) {
      this.#out.set(run, this.#pos);
      this.#pos += run.length;
      return;
    }
    this.#emit();
    if (this.#sink !== null) this.#sink(run);
    else if (run.length > this.#out.length) this.chunks.push(run.slice());
    else {
      this.#out.set(run, 0);
      this.#pos = run.length;
    }
  }

  /** Hands the current chunk over and starts a fresh one. */
  #emit(): void {
    if (this.#pos === 0) return;
    if (this.#sink !== null) this.#sink(this.#out.subarray(0, this.#pos));
    else {
      this.chunks.push(this.#out.subarray(0, this.#pos));
      this.#out = new Uint8Array(CHUNK);
      this.#dv = new DataView(this.#out.buffer);
    }
    this.#pos = 0;
  }

  /** Makes room for `n` bytes in the current chunk (a bigger one for a huge record). */
  #room(n: number): void {
    if (this.#pos + n <= this.#out.length) return;
    this.#emit();
    if (n > this.#out.length) {
      this.#out = new Uint8Array(n);
      this.#dv = new DataView(this.#out.buffer);
    }
  }

  /** Copies `n` packet bytes from the view to `p` in the chunk. */
  #copy(v: PacketView, p: number): void {
    const n = v.caplen, out = this.#out;
    let o = v.dataOffset;
    const end = o + n;
    if (n > SET_THRESHOLD) {
      out.set(v.buf.subarray(o, end), p);
      return;
    }
    const dv = this.#dv, src = v.dv, buf = v.buf;
    for (const words = end - 3; o < words; o += 4, p += 4) dv.setUint32(p, src.getUint32(o));
    while (o < end) out[p++] = buf[o++];
  }

  /** A classic record with a header in the output's format. */
  #record(v: PacketView): void {
    const n = v.caplen;
    this.#room(PCAP_RECORD_HEADER_LEN + n);
    const dv = this.#dv, le = this.#littleEndian, p = this.#pos;
    dv.setUint32(p, v.tsSec >>> 0, le);
    dv.setUint32(p + 4, this.#nanos ? v.tsNsec : Math.floor(v.tsNsec / 1000), le);
    dv.setUint32(p + 8, n, le);
    dv.setUint32(p + 12, v.origlen >>> 0, le);
    this.#copy(v, p + PCAP_RECORD_HEADER_LEN);
    this.#pos = p + PCAP_RECORD_HEADER_LEN + n;
  }

  /** A pcapng Enhanced Packet Block on the packet's interface (added on first use). */
  #block(v: PacketView): void {
    const key = v.linktype * 256 + v.fcsLen;
    let iface = this.#ifaces.get(key);
    if (iface === undefined) {
      iface = this.#ifaces.size;
      this.#ifaces.set(key, iface);
      this.#idb(v.linktype, v.fcsLen);
    }
    const n = v.caplen, padded = (n + 3) & ~3, total = EPB_FIXED + padded + BLOCK_TRAILER;
    this.#room(total);
    const dv = this.#dv, p = this.#pos;
    // Nanoseconds since the epoch as a 64-bit count, split exactly: tsSec = hi16 * 2^16 + lo16.
    const sec = v.tsSec >>> 0;
    const m = Math.floor(sec / TWO_16) * NS_PER_SEC;
    const low = (m % TWO_16) * TWO_16 + (sec % TWO_16) * NS_PER_SEC + v.tsNsec;
    const high = Math.floor(m / TWO_16) + Math.floor(low / TWO_32);
    dv.setUint32(p, BLOCK_EPB, true);
    dv.setUint32(p + 4, total, true);
    dv.setUint32(p + 8, iface, true);
    dv.setUint32(p + 12, high >>> 0, true);
    dv.setUint32(p + 16, low % TWO_32, true);
    dv.setUint32(p + 20, n, true);
    dv.setUint32(p + 24, v.origlen >>> 0, true);
    this.#copy(v, p + EPB_FIXED);
    for (let i = p + EPB_FIXED + n; i < p + EPB_FIXED + padded; i++) this.#out[i] = 0;
    dv.setUint32(p + total - BLOCK_TRAILER, total, true);
    this.#pos = p + total;
  }

  #idb(linktype: number, fcsLen: number): void {
    const total = 8 + 8 + 8 + (fcsLen > 0 ? 8 : 0) + 4 + BLOCK_TRAILER;
    this.#room(total);
    const dv = this.#dv, p = this.#pos;
    this.#out.fill(0, p, p + total);
    dv.setUint32(p, BLOCK_IDB, true);
    dv.setUint32(p + 4, total, true);
    dv.setUint16(p + 8, linktype, true);
    dv.setUint32(p + 12, SNAPLEN, true);
    let o = p + 16;
    dv.setUint16(o, IF_TSRESOL, true);
    dv.setUint16(o + 2, 1, true);
    this.#out[o + 4] = TSRESOL_NS;
    o += 8;
    if (fcsLen > 0) {
      dv.setUint16(o, IF_FCSLEN, true);
      dv.setUint16(o + 2, 1, true);
      this.#out[o + 4] = fcsLen;
      o += 8;
    }
    o += 4; // opt_endofopt
    dv.setUint32(o, total, true);
    this.#pos = p + total;
  }

  /** Writes the file header (classic) or section header (pcapng) in the input's format. */
  #start(f: OutputFormat): void {
    this.#started = true;
    this.#pcapng = f.format === "pcapng";
    const dv = this.#dv;
    if (this.#pcapng) {
      const total = 28;
      dv.setUint32(0, BLOCK_SHB, true);
      dv.setUint32(4, total, true);
      dv.setUint32(8, BYTE_ORDER_MAGIC, true);
      dv.setUint16(12, 1, true);
      dv.setUint16(14, 0, true);
      dv.setInt32(16, -1, true);
      dv.setInt32(20, -1, true);
      dv.setUint32(24, total, true);
      this.#pos = total;
      return;
    }
    this.#littleEndian = f.littleEndian;
    this.#nanos = f.nanos;
    const le = f.littleEndian;
    dv.setUint32(0, f.nanos ? PCAP_MAGIC_NS : PCAP_MAGIC_US, le);
    dv.setUint16(4, 2, le);
    dv.setUint16(6, 4, le);
    dv.setUint32(8, 0, le);
    dv.setUint32(12, 0, le);
    dv.setUint32(16, SNAPLEN, le);
    const field = f.fcsLen > 0
      ? (f.linktype | PCAP_FCS_PRESENT | ((f.fcsLen / 2) << PCAP_FCS_SHIFT)) >>> 0
      : f.linktype;
    dv.setUint32(20, field, le);
    this.#pos = PCAP_FILE_HEADER_LEN;
  }

  /**
   * Ends the output: a header when nothing was kept (with an interface for pcapng), then the last
   * chunk.
   *
   * @param first The format to use when no packet was kept.
   */
  finish(first: OutputFormat): void {
    this.flush();
    if (!this.#started) {
      this.#start(first);
      if (this.#pcapng) this.#idb(first.linktype, first.fcsLen);
    }
    this.#emit();
  }
}
