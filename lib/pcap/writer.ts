/**
 * Writes captures: classic pcap (µs or ns, either byte order, FCS bits) or pcapng (sections,
 * interfaces with any `if_tsresol`/`if_tsoffset`, EPB, SPB, obsolete PB, NRB, ISB and raw
 * blocks), into memory or to a sink in chunks.
 *
 * @module
 */
import { parseIp } from "../core/ip.ts";
import type { PacketView } from "./packet_view.ts";
import { LinkType } from "./packet_view.ts";
import * as format from "./_capture_format.ts";

// Module-level copies of the format's numbers: V8 folds these into the hot loops, but not
// bindings imported from another module.
const {
  BLOCK_EPB,
  BLOCK_IDB,
  BLOCK_ISB,
  BLOCK_NRB,
  BLOCK_PB,
  BLOCK_SHB,
  BLOCK_SPB,
  BYTE_ORDER_MAGIC,
  DEFAULT_TSRESOL,
  IF_FCSLEN,
  IF_NAME,
  IF_TSOFFSET,
  IF_TSRESOL,
  ISB_IFDROP,
  ISB_IFRECV,
  NRB_IPV4,
  NRB_IPV6,
  PCAP_FCS_PRESENT,
  PCAP_FCS_SHIFT,
  PCAP_FILE_HEADER_LEN,
  PCAP_MAGIC_NS,
  PCAP_MAGIC_US,
  PCAP_RECORD_HEADER_LEN,
  TSRESOL_BINARY,
} = format;

/** Options for {@linkcode PcapWriter}. */
export interface PcapWriterOptions {
  /** `"pcap"` (default) or `"pcapng"`. */
  format?: "pcap" | "pcapng";
  /** Link type of the (first) interface; default 1 (Ethernet). */
  linktype?: number;
  /** Classic pcap: nanosecond magic (default µs). pcapng: default if_tsresol 9 instead of 6. */
  nanos?: boolean;
  /** Snapshot length (default 262144). Longer packets are cut to it. */
  snaplen?: number;
  /** Byte order (default little-endian). */
  littleEndian?: boolean;
  /** Classic pcap: FCS length in bytes to declare in the link-type field (even, ≤ 30). */
  fcsLen?: number;
  /** Receives output in chunks as it fills (default: kept in memory for `toBytes()`). */
  sink?: (chunk: Uint8Array) => void;
  /** Buffered bytes before the sink is called (default 64 KiB). */
  bufferSize?: number;
}

/** Options for {@linkcode PcapWriter.addInterface}. */
export interface AddInterfaceOptions {
  /** Snapshot length (default 262144). */
  snaplen?: number;
  /** Raw `if_tsresol` byte: `k` for 10^-k, `0x80 | k` for 2^-k (default 6, or 9 with `nanos`). */
  tsresol?: number;
  /** `if_tsoffset` in seconds (default none). */
  tsoffset?: number;
  /** `if_name`. */
  name?: string;
  /** `if_fcslen` in bytes. */
  fcsLen?: number;
}

/** Options for {@linkcode PcapWriter.writePacket}. */
export interface WritePacketOptions {
  /** Seconds since the epoch (default 0). */
  tsSec?: number;
  /** Nanoseconds within the second (default 0). */
  tsNsec?: number;
  /** Length on the wire (default: the data's length). */
  origlen?: number;
  /** pcapng interface id (default 0). */
  iface?: number;
  /** pcapng block kind: `"epb"` (default), `"spb"` (simple, no timestamp) or `"pb"` (obsolete). */
  block?: "epb" | "spb" | "pb";
}

interface IfaceState {
  tsresol: number;
  tsoffset: number;
  snaplen: number;
}

const encoder = new TextEncoder();

/**
 * A capture writer. Creates the file header (or first section and interface) at construction;
 * each `writePacket` appends one record.
 *
 * @example
 * ```ts
 * import { forEachPacketInBytes, PcapWriter } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * const w = new PcapWriter({ format: "pcapng", linktype: 1 });
 * w.writePacket(new Uint8Array(14), { tsSec: 1700000000, tsNsec: 123456000 });
 * const times: string[] = [];
 * const s = forEachPacketInBytes(w.toBytes(), (v) => {
 *   times.push(`${v.tsSec}.${v.tsNsec}`);
 * });
 * assert.equal(s.format, "pcapng");
 * assert.deepEqual(times, ["1700000000.123456000"]);
 * ```
 */
export class PcapWriter {
  #format: "pcap" | "pcapng";
  #le: boolean;
  #nanos: boolean;
  #snaplen: number;
  #sink: ((chunk: Uint8Array) => void) | undefined;
  #bufferSize: number;
  #buf: Uint8Array;
  #dv: DataView;
  #len = 0;
  #chunks: Uint8Array[] = [];
  #ifaces: IfaceState[] = [];
  /** Packets written. */
  packets = 0;

  /**
   * Creates a writer and writes the file header (or first section and interface).
   *
   * @param options {@linkcode PcapWriterOptions}.
   */
  constructor(options: PcapWriterOptions = {}) {
    this.#format = options.format ?? "pcap";
    this.#le = options.littleEndian ?? true;
    this.#nanos = options.nanos ?? false;
    this.#snaplen = options.snaplen ?? 262144;
    this.#sink = options.sink;
    this.#bufferSize = options.bufferSize ?? 65536;
    this.#buf = new Uint8Array(Math.max(this.#bufferSize, 1024));
    this.#dv = new DataView(this.#buf.buffer);
    const linktype = options.linktype ?? LinkType.ETHERNET;
    if (this.#format === "pcap") {
      const fcs = options.fcsLen ?? 0;
      if (fcs % 2 !== 0 || fcs > 30) {
        throw new RangeError(`FCS length ${fcs} must be even and at most 30`);
      }
      const lt = fcs > 0
        ? (linktype | PCAP_FCS_PRESENT | ((fcs / 2) << PCAP_FCS_SHIFT)) >>> 0
        : linktype;
      this.#reserve(PCAP_FILE_HEADER_LEN);
      const o = this.#len;
      this.#u32(o, this.#nanos ? PCAP_MAGIC_NS : PCAP_MAGIC_US);
      this.#u16(o + 4, 2);
      this.#u16(o + 6, 4);
      this.#u32(o + 8, 0);
      this.#u32(o + 12, 0);
      this.#u32(o + 16, this.#snaplen);
      this.#u32(o + 20, lt);
      this.#len += PCAP_FILE_HEADER_LEN;
      this.#ifaces.push({
        tsresol: this.#nanos ? 9 : DEFAULT_TSRESOL,
        tsoffset: 0,
        snaplen: this.#snaplen,
      });
    } else {
      this.newSection();
      this.addInterface(linktype, { snaplen: this.#snaplen, fcsLen: options.fcsLen });
    }
  }

  /**
   * pcapng: starts a new section (SHB). Interfaces must be added again after it.
   *
   * @param options `littleEndian` switches the byte order for this and later blocks.
   */
  newSection(options: { littleEndian?: boolean } = {}): void {
    if (this.#format !== "pcapng") throw new TypeError("Sections exist only in pcapng");
    if (options.littleEndian !== undefined) this.#le = options.littleEndian;
    const body = new Uint8Array(16);
    const dv = new DataView(body.buffer);
    dv.setUint32(0, BYTE_ORDER_MAGIC, this.#le);
    dv.setUint16(4, 1, this.#le);
    dv.setUint16(6, 0, this.#le);
    dv.setInt32(8, -1, this.#le);
    dv.setInt32(12, -1, this.#le);
    this.writeBlock(BLOCK_SHB, body);
    this.#ifaces = [];
  }

  /**
   * pcapng: adds an Interface Description Block and returns its id.
   *
   * @param linktype The interface's link type.
   * @param options {@linkcode AddInterfaceOptions}.
   * @returns The interface id within the section.
   */
  addInterface(linktype: number, options: AddInterfaceOptions = {}): number {
    if (this.#format !== "pcapng") throw new TypeError("Interfaces can be added only in pcapng");
    const tsresol = options.tsresol ?? (this.#nanos ? 9 : DEFAULT_TSRESOL);
    const snaplen = options.snaplen ?? 262144;
    const opts: [number, Uint8Array][] = [];
    if (options.name !== undefined) opts.push([IF_NAME, encoder.encode(options.name)]);
    if (tsresol !== DEFAULT_TSRESOL) opts.push([IF_TSRESOL, new Uint8Array([tsresol])]);
    if (options.fcsLen !== undefined && options.fcsLen > 0) {
      opts.push([IF_FCSLEN, new Uint8Array([options.fcsLen])]);
    }
    if (options.tsoffset !== undefined) {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigInt64(0, BigInt(options.tsoffset), this.#le);
      opts.push([IF_TSOFFSET, b]);
    }
    const head = new Uint8Array(8);
    const dv = new DataView(head.buffer);
    dv.setUint16(0, linktype, this.#le);
    dv.setUint32(4, snaplen, this.#le);
    this.writeBlock(BLOCK_IDB, concat([head, this.#options(opts)]));
    this.#ifaces.push({ tsresol, tsoffset: options.tsoffset ?? 0, snaplen });
    return this.#ifaces.length - 1;
  }

  /**
   * Appends one packet.
   *
   * @param data The packet's bytes (cut to the snapshot length).
   * @param options {@linkcode WritePacketOptions}.
   */
  writePacket(data: Uint8Array, options: WritePacketOptions = {}): void {
    const tsSec = options.tsSec ?? 0;
    const tsNsec = options.tsNsec ?? 0;
    const origlen = options.origlen ?? data.length;
    const iface = options.iface ?? 0;
    const st = this.#ifaces[iface];
    if (st === undefined) throw new RangeError(`Interface ${iface} does not exist`);
    const incl = Math.min(data.length, st.snaplen > 0 ? st.snaplen : data.length);
    this.packets++;
    if (this.#format === "pcap") {
      this.#reserve(PCAP_RECORD_HEADER_LEN + incl);
      const o = this.#len;
      this.#u32(o, tsSec);
      this.#u32(o + 4, this.#nanos ? tsNsec : Math.floor(tsNsec / 1000));
      this.#u32(o + 8, incl);
      this.#u32(o + 12, origlen);
      this.#buf.set(data.subarray(0, incl), o + PCAP_RECORD_HEADER_LEN);
      this.#len += PCAP_RECORD_HEADER_LEN + incl;
      return;
    }
    const block = options.block ?? "epb";
    if (block === "spb") {
      const padded = (incl + 3) & ~3;
      const total = 16 + padded;
      this.#reserve(total);
      const o = this.#len;
      this.#u32(o, BLOCK_SPB);
      this.#u32(o + 4, total);
      this.#u32(o + 8, origlen);
      this.#buf.fill(0, o + 12, o + 12 + padded);
      this.#buf.set(data.subarray(0, incl), o + 12);
      this.#u32(o + total - 4, total);
      this.#len += total;
      return;
    }
    const [hi, lo] = ticks(tsSec - st.tsoffset, tsNsec, st.tsresol);
    const padded = (incl + 3) & ~3;
    const total = 32 + padded;
    this.#reserve(total);
    const o = this.#len;
    this.#u32(o, block === "pb" ? BLOCK_PB : BLOCK_EPB);
    this.#u32(o + 4, total);
    if (block === "pb") {
      this.#u16(o + 8, iface);
      this.#u16(o + 10, 0);
    } else this.#u32(o + 8, iface);
    this.#u32(o + 12, hi);
    this.#u32(o + 16, lo);
    this.#u32(o + 20, incl);
    this.#u32(o + 24, origlen);
    this.#buf.fill(0, o + 28, o + 28 + padded);
    this.#buf.set(data.subarray(0, incl), o + 28);
    this.#u32(o + total - 4, total);
    this.#len += total;
  }

  /**
   * Appends the packet a reader's view currently holds, with its timestamp and lengths.
   *
   * @param view The packet view (inside a reader callback).
   */
  writeView(view: PacketView): void {
    this.writePacket(view.buf.subarray(view.dataOffset, view.dataOffset + view.caplen), {
      tsSec: view.tsSec,
      tsNsec: view.tsNsec,
      origlen: view.origlen,
    });
  }

  /**
   * pcapng: appends a Name Resolution Block with IPv4 and IPv6 records.
   *
   * @param records Address (IPv4 or IPv6 text) and names.
   * @throws {IpAddressError} For an address that is not valid IP text.
   */
  writeNameRecords(records: { address: string; names: string[] }[]): void {
    const opts: [number, Uint8Array][] = [];
    for (const r of records) {
      const address = parseIp(r.address);
      const names = encoder.encode(r.names.map((n) => n + "\0").join(""));
      opts.push([address.version === 4 ? NRB_IPV4 : NRB_IPV6, concat([address.bytes, names])]);
    }
    this.writeBlock(BLOCK_NRB, this.#options(opts));
  }

  /**
   * pcapng: appends an Interface Statistics Block with received and dropped counts.
   *
   * @param iface The interface id.
   * @param stats Counts.
   */
  writeStatistics(iface: number, stats: { received: number; dropped: number }): void {
    const head = new Uint8Array(12);
    const dv = new DataView(head.buffer);
    dv.setUint32(0, iface, this.#le);
    const u64 = (n: number) => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, BigInt(n), this.#le);
      return b;
    };
    this.writeBlock(
      BLOCK_ISB,
      concat([
        head,
        this.#options([[ISB_IFRECV, u64(stats.received)], [ISB_IFDROP, u64(stats.dropped)]]),
      ]),
    );
  }

  /**
   * pcapng: appends a block of any type with the given body (padded to 4 bytes), e.g. a custom
   * block (0x00000BAD) that readers must skip.
   *
   * @param type The block type.
   * @param body The block body.
   */
  writeBlock(type: number, body: Uint8Array): void {
    const padded = (body.length + 3) & ~3;
    const total = 12 + padded;
    this.#reserve(total);
    const o = this.#len;
    this.#u32(o, type);
    this.#u32(o + 4, total);
    this.#buf.fill(0, o + 8, o + 8 + padded);
    this.#buf.set(body, o + 8);
    this.#u32(o + total - 4, total);
    this.#len += total;
  }

  /** Hands buffered bytes to the sink (no-op without one). */
  flush(): void {
    if (this.#sink && this.#len > 0) {
      this.#sink(this.#buf.slice(0, this.#len));
      this.#len = 0;
    }
  }

  /**
   * Everything written so far (without a sink).
   *
   * @returns The capture file's bytes.
   */
  toBytes(): Uint8Array<ArrayBuffer> {
    if (this.#sink) throw new TypeError("toBytes() is not available with a sink; call flush()");
    return concat([...this.#chunks, this.#buf.subarray(0, this.#len)]);
  }

  #options(opts: [number, Uint8Array][]): Uint8Array {
    if (opts.length === 0) return new Uint8Array(0);
    const parts: Uint8Array[] = [];
    for (const [code, value] of opts) {
      const h = new Uint8Array(4);
      const dv = new DataView(h.buffer);
      dv.setUint16(0, code, this.#le);
      dv.setUint16(2, value.length, this.#le);
      parts.push(h, value, new Uint8Array(((value.length + 3) & ~3) - value.length));
    }
    parts.push(new Uint8Array(4)); // opt_endofopt
    return concat(parts);
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    if (this.#sink) {
      this.flush();
      if (n <= this.#buf.length) return;
    } else if (this.#len > 0) {
      this.#chunks.push(this.#buf.slice(0, this.#len));
      this.#len = 0;
      if (n <= this.#buf.length) return;
    }
    this.#buf = new Uint8Array(Math.max(n, this.#bufferSize));
    this.#dv = new DataView(this.#buf.buffer);
  }

  #u32(o: number, v: number): void {
    this.#dv.setUint32(o, v >>> 0, this.#le);
  }

  #u16(o: number, v: number): void {
    this.#dv.setUint16(o, v, this.#le);
  }
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Converts a time to pcapng timestamp units as [high, low] 32-bit words. */
function ticks(sec: number, nsec: number, tsresol: number): [number, number] {
  const k = tsresol & ~TSRESOL_BINARY;
  let v: bigint;
  if (tsresol & TSRESOL_BINARY) {
    v = (BigInt(sec) << BigInt(k)) + (BigInt(nsec) << BigInt(k)) / 1000000000n;
  } else if (k <= 9) v = BigInt(sec) * 10n ** BigInt(k) + BigInt(nsec) / 10n ** BigInt(9 - k);
  else v = BigInt(sec) * 10n ** BigInt(k) + BigInt(nsec) * 10n ** BigInt(k - 9);
  return [Number((v >> 32n) & 0xffffffffn), Number(v & 0xffffffffn)];
}
