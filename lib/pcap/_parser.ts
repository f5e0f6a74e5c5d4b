/**
 * The capture-format state machine shared by every reader: classic pcap (four magics, FCS bits)
 * and pcapng (SHB with byte-order switching, IDB with if_tsresol/if_tsoffset/if_fcslen, EPB, SPB,
 * PB, NRB, ISB; other blocks skipped). It parses whatever complete records a buffer holds and
 * says where it stopped, so the same code serves mapped files and chunked streams.
 *
 * @module
 */
import { PcapError, PcapErrorCode } from "./errors.ts";
import { decodePacket } from "./decode.ts";
import type { PacketView } from "./packet_view.ts";

/** Called for each packet; returning `false` stops reading. */
export type PacketCallback = (view: PacketView) => void | boolean;

/** One pcapng interface (or the single interface of a classic pcap file). */
export interface InterfaceInfo {
  /** Section index. */
  section: number;
  /** Interface id within the section. */
  id: number;
  /** Link type (FCS bits removed). */
  linktype: number;
  /** Snapshot length (0 = unlimited). */
  snaplen: number;
  /** FCS bytes per frame. */
  fcsLen: number;
  /** `if_name`, when given. */
  name: string | undefined;
  /** Timestamp resolution as text: `"1e-6"`, `"1e-9"`, `"2^-10"` … */
  tsresol: string;
  /** `if_tsoffset` in seconds. */
  tsoffset: number;
  /** Packets read on this interface. */
  packets: number;
  /** Interface statistics from the last ISB: packets received and dropped, when given. */
  stats: { received?: number; dropped?: number } | undefined;
}

interface Iface {
  info: InterfaceInfo;
  /** Decimal exponent when the resolution is 10^-k (k ≤ 9), else -1. */
  dec: number;
  /** Divisor for decimal resolution: 10^k. */
  div: number;
  /** Multiplier from remainder to nanoseconds for decimal k ≤ 9: 10^(9-k). */
  mul: number;
  /** Binary exponent (2^-k) or -1; also used for decimal k > 9 through BigInt. */
  bin: number;
  /** Decimal exponent when k > 9 (slow path), else -1. */
  bigDec: number;
}

const SHB = 0x0a0d0d0a;
const BOM = 0x1a2b3c4d;

/** The parser's outcome when the input ended in the middle of a record. */
export interface TruncationInfo {
  /** Byte offset of the incomplete record. */
  offset: number;
  /** Packets read before it. */
  packets: number;
  /** What was cut short. */
  reason: string;
}

/** Parser state; one per input. */
export class CaptureParser {
  /** `"pcap"`, `"pcapng"` or `""` before the header was seen. */
  format: "" | "pcap" | "pcapng" = "";
  /** Packets delivered. */
  packets = 0;
  /** Bytes of packet data captured (sum of caplen). */
  capturedBytes = 0;
  /** Bytes on the wire (sum of origlen). */
  wireBytes = 0;
  /** pcapng sections seen (1 for classic pcap). */
  sections = 0;
  /** Interfaces of every section, in order. */
  interfaces: InterfaceInfo[] = [];
  /** Name-resolution records (address text → names). */
  names: Map<string, string[]> = new Map();
  /** Set when the callback asked to stop. */
  stopped = false;
  /** Set when the input ended inside a record. */
  truncated: TruncationInfo | null = null;
  /** Blocks skipped because their type is unknown or custom. */
  skippedBlocks = 0;
  /** Classic pcap: nanosecond timestamps. */
  nanos = false;
  /** Classic pcap: little-endian. */
  le = true;
  /** Classic pcap: snapshot length. */
  snaplen = 0;
  /** Classic pcap version. */
  version = "";

  #name: string;
  #decode: boolean;
  #maxRecord: number;
  #view: PacketView;
  #cb: PacketCallback;
  #linktype = 0;
  #fcsLen = 0;
  #ifaces: Iface[] = [];
  #sectionLe = true;
  #inSection = false;

  /**
   * @param name The input's name for messages.
   * @param view The view to fill.
   * @param cb The packet callback.
   * @param opts Whether to decode and the largest record accepted.
   */
  constructor(
    name: string,
    view: PacketView,
    cb: PacketCallback,
    opts: { decode: boolean; maxRecord: number },
  ) {
    this.#name = name;
    this.#view = view;
    this.#cb = cb;
    this.#decode = opts.decode;
    this.#maxRecord = opts.maxRecord;
  }

  #err(code: number, msg: string, offset: number): PcapError {
    return new PcapError(code, msg, { file: this.#name, offset, packets: this.packets });
  }

  /**
   * Parses complete records in `buf[pos, end)`. `base` is the absolute input offset of `buf[0]`.
   * Returns the position after the last complete record. With `final`, an incomplete record at
   * the end is recorded in {@linkcode CaptureParser.truncated}.
   */
  parse(buf: Uint8Array, pos: number, end: number, base: number, final: boolean): number {
    const view = this.#view;
    if (view.buf !== buf) view.setRecord(buf, 0, 0, 0);
    if (this.format === "") {
      if (end - pos < 4) {
        if (final) {
          throw this.#err(
            PcapErrorCode.TruncatedHeader,
            `Capture too short: ${end - pos} bytes, no file header`,
            base + pos,
          );
        }
        return pos;
      }
      const m = view.dv.getUint32(pos, true);
      if (m === SHB) this.format = "pcapng";
      else if (m === 0xa1b2c3d4 || m === 0xa1b23c4d || m === 0xd4c3b2a1 || m === 0x4d3cb2a1) {
        this.format = "pcap";
      } else if (buf[pos] === 0x1f && buf[pos + 1] === 0x8b) {
        throw this.#err(
          PcapErrorCode.BadMagic,
          "Input is gzip-compressed but was not decompressed (name it .gz or use a stream)",
          base + pos,
        );
      } else {
        throw this.#err(
          PcapErrorCode.BadMagic,
          `Not a pcap or pcapng file: magic 0x${m.toString(16).padStart(8, "0")}`,
          base + pos,
        );
      }
      if (this.format === "pcap") {
        if (end - pos < 24) {
          if (final) {
            throw this.#err(
              PcapErrorCode.TruncatedHeader,
              `Capture too short: ${end - pos} of 24 header bytes`,
              base + pos,
            );
          }
          this.format = "";
          return pos;
        }
        pos = this.#pcapHeader(buf, pos, base);
      }
    }
    if (this.format === "pcap") return this.#pcapRecords(buf, pos, end, base, final);
    return this.#pcapngBlocks(buf, pos, end, base, final);
  }

  #pcapHeader(buf: Uint8Array, pos: number, base: number): number {
    const dv = this.#view.dv;
    const m = dv.getUint32(pos, true);
    this.le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
    this.nanos = m === 0xa1b23c4d || m === 0x4d3cb2a1;
    const le = this.le;
    const major = dv.getUint16(pos + 4, le);
    const minor = dv.getUint16(pos + 6, le);
    this.version = `${major}.${minor}`;
    if (major !== 2) {
      throw this.#err(
        PcapErrorCode.BadVersion,
        `Unsupported pcap version ${major}.${minor}`,
        base + pos + 4,
      );
    }
    this.snaplen = dv.getUint32(pos + 16, le);
    const lt = dv.getUint32(pos + 20, le);
    this.#linktype = lt & 0xffff;
    this.#fcsLen = (lt & 0x04000000) !== 0 ? (lt >>> 28) * 2 : 0;
    this.sections = 1;
    const info: InterfaceInfo = {
      section: 0,
      id: 0,
      linktype: this.#linktype,
      snaplen: this.snaplen,
      fcsLen: this.#fcsLen,
      name: undefined,
      tsresol: this.nanos ? "1e-9" : "1e-6",
      tsoffset: 0,
      packets: 0,
      stats: undefined,
    };
    this.interfaces.push(info);
    void buf;
    return pos + 24;
  }

  #pcapRecords(buf: Uint8Array, pos: number, end: number, base: number, final: boolean): number {
    const view = this.#view;
    const dv = view.dv;
    const le = this.le;
    const nanos = this.nanos;
    const maxRecord = this.#maxRecord;
    const decode = this.#decode;
    const cb = this.#cb;
    const info = this.interfaces[0];
    while (!this.stopped) {
      if (end - pos < 16) {
        if (final && end > pos) {
          this.truncated = {
            offset: base + pos,
            packets: this.packets,
            reason: `record header cut short (${end - pos} of 16 bytes)`,
          };
        }
        return pos;
      }
      const incl = dv.getUint32(pos + 8, le);
      const orig = dv.getUint32(pos + 12, le);
      if (incl > maxRecord) {
        throw this.#err(
          PcapErrorCode.RecordTooLarge,
          `Damaged record: captured length ${incl} exceeds the limit of ${maxRecord} bytes`,
          base + pos,
        );
      }
      if (end - pos - 16 < incl) {
        if (final) {
          this.truncated = {
            offset: base + pos,
            packets: this.packets,
            reason: `record data cut short (${end - pos - 16} of ${incl} bytes)`,
          };
        }
        return pos;
      }
      let sec = dv.getUint32(pos, le);
      let frac = dv.getUint32(pos + 4, le);
      if (nanos) {
        if (frac >= 1e9) {
          sec += Math.floor(frac / 1e9);
          frac %= 1e9;
        }
      } else {
        if (frac >= 1e6) {
          sec += Math.floor(frac / 1e6);
          frac %= 1e6;
        }
        frac *= 1000;
      }
      view.setRecord(buf, pos + 16, incl, orig);
      view.tsSec = sec;
      view.tsNsec = frac;
      view.linktype = this.#linktype;
      view.fcsLen = this.#fcsLen;
      view.iface = 0;
      view.section = 0;
      view.fileOffset = base + pos;
      view.number = ++this.packets;
      this.capturedBytes += incl;
      this.wireBytes += orig;
      info.packets++;
      pos += 16 + incl;
      if (decode) decodePacket(view);
      if (cb(view) === false) this.stopped = true;
    }
    return pos;
  }

  #pcapngBlocks(buf: Uint8Array, pos: number, end: number, base: number, final: boolean): number {
    const view = this.#view;
    const dv = view.dv;
    while (!this.stopped) {
      if (end - pos < 12) {
        if (final && end > pos) {
          this.truncated = {
            offset: base + pos,
            packets: this.packets,
            reason: `block header cut short (${end - pos} of 12 bytes)`,
          };
        }
        return pos;
      }
      let type = dv.getUint32(pos, this.#sectionLe);
      if (dv.getUint32(pos, true) === SHB) {
        type = SHB;
        const bom = dv.getUint32(pos + 8, true);
        if (bom === BOM) this.#sectionLe = true;
        else if (bom === 0x4d3c2b1a) this.#sectionLe = false;
        else {
          throw this.#err(
            PcapErrorCode.BadMagic,
            `Section header has a bad byte-order magic 0x${bom.toString(16)}`,
            base + pos + 8,
          );
        }
      }
      const le = this.#sectionLe;
      const len = dv.getUint32(pos + 4, le);
      if (len < 12 || len % 4 !== 0) {
        throw this.#err(
          PcapErrorCode.BadLength,
          `Block of type 0x${type.toString(16)} has an invalid length ${len}`,
          base + pos + 4,
        );
      }
      if (len > this.#maxRecord + 64) {
        throw this.#err(
          PcapErrorCode.RecordTooLarge,
          `Block length ${len} exceeds the limit of ${this.#maxRecord} bytes`,
          base + pos + 4,
        );
      }
      if (end - pos < len) {
        if (final) {
          this.truncated = {
            offset: base + pos,
            packets: this.packets,
            reason: `block cut short (${end - pos} of ${len} bytes)`,
          };
        }
        return pos;
      }
      const trailer = dv.getUint32(pos + len - 4, le);
      if (trailer !== len) {
        throw this.#err(
          PcapErrorCode.BadLength,
          `Block trailer length ${trailer} does not match header length ${len}`,
          base + pos + len - 4,
        );
      }
      const bodyEnd = pos + len - 4;
      switch (type) {
        case SHB:
          this.#shb(buf, pos, bodyEnd, base);
          break;
        case 1:
          this.#requireSection(pos, base);
          this.#idb(buf, pos, bodyEnd, base);
          break;
        case 6:
        case 2:
        case 3:
          this.#requireSection(pos, base);
          this.#packetBlock(buf, type, pos, bodyEnd, base);
          break;
        case 4:
          this.#nrb(buf, pos + 8, bodyEnd);
          break;
        case 5:
          this.#isb(pos, bodyEnd, base);
          break;
        default:
          this.skippedBlocks++;
      }
      pos += len;
    }
    return pos;
  }

  #requireSection(pos: number, base: number): void {
    if (!this.#inSection) {
      throw this.#err(
        PcapErrorCode.BadBlock,
        "Block appears before any section header",
        base + pos,
      );
    }
  }

  #shb(_buf: Uint8Array, pos: number, bodyEnd: number, base: number): void {
    const dv = this.#view.dv;
    const le = this.#sectionLe;
    if (bodyEnd - pos < 24) {
      throw this.#err(
        PcapErrorCode.TruncatedHeader,
        "Section header block shorter than 28 bytes",
        base + pos,
      );
    }
    const major = dv.getUint16(pos + 12, le);
    const minor = dv.getUint16(pos + 14, le);
    if (major !== 1) {
      throw this.#err(
        PcapErrorCode.BadVersion,
        `Unsupported pcapng section version ${major}.${minor}`,
        base + pos + 12,
      );
    }
    this.version = `${major}.${minor}`;
    this.sections++;
    this.#inSection = true;
    this.#ifaces = [];
  }

  #idb(buf: Uint8Array, pos: number, bodyEnd: number, base: number): void {
    const dv = this.#view.dv;
    const le = this.#sectionLe;
    if (bodyEnd - pos < 16) {
      throw this.#err(
        PcapErrorCode.BadBlock,
        "Interface description block shorter than 20 bytes",
        base + pos,
      );
    }
    const linktype = dv.getUint16(pos + 8, le);
    const snaplen = dv.getUint32(pos + 12, le);
    let resolByte = 6;
    let tsoffset = 0;
    let fcsLen = 0;
    let name: string | undefined;
    let o = pos + 16;
    while (o + 4 <= bodyEnd) {
      const code = dv.getUint16(o, le);
      const olen = dv.getUint16(o + 2, le);
      if (code === 0) break;
      const v = o + 4;
      if (v + olen > bodyEnd) {
        throw this.#err(
          PcapErrorCode.BadBlock,
          `Interface option ${code} overruns its block`,
          base + o,
        );
      }
      if (code === 9 && olen >= 1) resolByte = buf[v];
      else if (code === 14 && olen >= 8) {
        const lo = dv.getUint32(v, le), hi = dv.getInt32(v + 4, le);
        tsoffset = le
          ? hi * 4294967296 + lo
          : dv.getInt32(v, le) * 4294967296 + dv.getUint32(v + 4, le);
      } else if (code === 13 && olen >= 1) fcsLen = buf[v];
      else if (code === 2) {
        name = new TextDecoder().decode(buf.subarray(v, v + olen)).replace(/\0+$/, "");
      }
      o = v + ((olen + 3) & ~3);
    }
    const k = resolByte & 0x7f;
    const binary = (resolByte & 0x80) !== 0;
    const iface: Iface = {
      info: {
        section: this.sections - 1,
        id: this.#ifaces.length,
        linktype,
        snaplen,
        fcsLen,
        name,
        tsresol: binary ? `2^-${k}` : `1e-${k}`,
        tsoffset,
        packets: 0,
        stats: undefined,
      },
      dec: !binary && k <= 9 ? k : -1,
      div: !binary && k <= 9 ? 10 ** k : 0,
      mul: !binary && k <= 9 ? 10 ** (9 - k) : 0,
      bin: binary ? k : -1,
      bigDec: !binary && k > 9 ? k : -1,
    };
    if (binary && k > 63) {
      throw this.#err(
        PcapErrorCode.BadBlock,
        `Interface timestamp resolution 2^-${k} is out of range`,
        base + pos,
      );
    }
    if (!binary && k > 19) {
      throw this.#err(
        PcapErrorCode.BadBlock,
        `Interface timestamp resolution 1e-${k} is out of range`,
        base + pos,
      );
    }
    this.#ifaces.push(iface);
    this.interfaces.push(iface.info);
  }

  #packetBlock(buf: Uint8Array, type: number, pos: number, bodyEnd: number, base: number): void {
    const view = this.#view;
    const dv = view.dv;
    const le = this.#sectionLe;
    let id: number, incl: number, orig: number, data: number;
    let hasTs = true;
    if (type === 6) {
      if (bodyEnd - pos < 28) {
        throw this.#err(
          PcapErrorCode.BadBlock,
          "Enhanced packet block shorter than 32 bytes",
          base + pos,
        );
      }
      id = dv.getUint32(pos + 8, le);
      incl = dv.getUint32(pos + 20, le);
      orig = dv.getUint32(pos + 24, le);
      data = pos + 28;
    } else if (type === 2) {
      if (bodyEnd - pos < 28) {
        throw this.#err(PcapErrorCode.BadBlock, "Packet block shorter than 32 bytes", base + pos);
      }
      id = dv.getUint16(pos + 8, le);
      incl = dv.getUint32(pos + 20, le);
      orig = dv.getUint32(pos + 24, le);
      data = pos + 28;
    } else {
      if (bodyEnd - pos < 12) {
        throw this.#err(
          PcapErrorCode.BadBlock,
          "Simple packet block shorter than 16 bytes",
          base + pos,
        );
      }
      id = 0;
      orig = dv.getUint32(pos + 8, le);
      data = pos + 12;
      incl = Math.min(orig, bodyEnd - data);
      hasTs = false;
    }
    const iface = this.#ifaces[id];
    if (iface === undefined) {
      throw this.#err(
        PcapErrorCode.UnknownInterface,
        `Packet refers to interface ${id}, but the section describes ${this.#ifaces.length}`,
        base + pos,
      );
    }
    if (type === 3 && iface.info.snaplen > 0 && incl > iface.info.snaplen) {
      incl = iface.info.snaplen;
    }
    if (data + incl > bodyEnd) {
      throw this.#err(
        PcapErrorCode.BadLength,
        `Packet captured length ${incl} overruns its block`,
        base + pos + 20,
      );
    }
    view.setRecord(buf, data, incl, orig);
    if (hasTs) this.#timestamp(iface, pos + 12);
    else {
      view.tsSec = 0;
      view.tsNsec = 0;
    }
    view.linktype = iface.info.linktype;
    view.fcsLen = iface.info.fcsLen;
    view.iface = id;
    view.section = this.sections - 1;
    view.fileOffset = base + pos;
    view.number = ++this.packets;
    this.capturedBytes += incl;
    this.wireBytes += orig;
    iface.info.packets++;
    if (this.#decode) decodePacket(view);
    if (this.#cb(view) === false) this.stopped = true;
  }

  /** Reads the 64-bit timestamp at `at` (high word first); numbers never cross a call boxed. */
  #timestamp(iface: Iface, at: number): void {
    const dv = this.#view.dv, le = this.#sectionLe;
    const hi = dv.getUint32(at, le), lo = dv.getUint32(at + 4, le);
    const view = this.#view;
    let sec: number, nsec: number;
    if (iface.dec >= 0) {
      const div = iface.div;
      if (hi < 0x200000) {
        // value < 2^53: exact in a double
        const v = hi * 4294967296 + lo;
        sec = Math.floor(v / div);
        nsec = (v - sec * div) * iface.mul;
      } else {
        // long division in 16-bit digits: every intermediate stays below 2^53
        let r = 0, q = 0;
        const digits0 = hi >>> 16,
          digits1 = hi & 0xffff,
          digits2 = lo >>> 16,
          digits3 = lo & 0xffff;
        r = digits0;
        q = Math.floor(r / div);
        r -= q * div;
        let cur = r * 65536 + digits1;
        let qd = Math.floor(cur / div);
        q = q * 65536 + qd;
        r = cur - qd * div;
        cur = r * 65536 + digits2;
        qd = Math.floor(cur / div);
        q = q * 65536 + qd;
        r = cur - qd * div;
        cur = r * 65536 + digits3;
        qd = Math.floor(cur / div);
        q = q * 65536 + qd;
        r = cur - qd * div;
        sec = q;
        nsec = r * iface.mul;
      }
    } else {
      slowTimestamp(view, iface, hi, lo);
      return;
    }
    view.tsSec = sec + iface.info.tsoffset;
    view.tsNsec = nsec;
  }

  #nrb(buf: Uint8Array, o: number, bodyEnd: number): void {
    const dv = this.#view.dv;
    const le = this.#sectionLe;
    while (o + 4 <= bodyEnd) {
      const t = dv.getUint16(o, le);
      const l = dv.getUint16(o + 2, le);
      if (t === 0) return;
      const v = o + 4;
      if (v + l > bodyEnd) return;
      const alen = t === 1 ? 4 : t === 2 ? 16 : 0;
      if (alen > 0 && l > alen && this.names.size < 100000) {
        const addr = t === 1
          ? `${buf[v]}.${buf[v + 1]}.${buf[v + 2]}.${buf[v + 3]}`
          : Array.from({ length: 8 }, (_, i) =>
            ((buf[v + 2 * i] << 8) | buf[v + 2 * i + 1]).toString(16))
            .join(":");
        const names = new TextDecoder().decode(buf.subarray(v + alen, v + l)).split("\0").filter((
          s,
        ) => s.length > 0);
        this.names.set(addr, names);
      }
      o = v + ((l + 3) & ~3);
    }
  }

  #isb(pos: number, bodyEnd: number, base: number): void {
    const dv = this.#view.dv;
    const le = this.#sectionLe;
    if (bodyEnd - pos < 12) {
      throw this.#err(
        PcapErrorCode.BadBlock,
        "Interface statistics block shorter than 24 bytes",
        base + pos,
      );
    }
    const id = dv.getUint32(pos + 8, le);
    const iface = this.#ifaces[id];
    if (iface === undefined) return;
    const stats: { received?: number; dropped?: number } = {};
    let o = pos + 20;
    while (o + 4 <= bodyEnd) {
      const code = dv.getUint16(o, le);
      const olen = dv.getUint16(o + 2, le);
      if (code === 0) break;
      const v = o + 4;
      if (v + olen > bodyEnd) break;
      if ((code === 4 || code === 5) && olen === 8) {
        const a = dv.getUint32(v, le), b = dv.getUint32(v + 4, le);
        const n = le ? b * 4294967296 + a : a * 4294967296 + b;
        if (code === 4) stats.received = n;
        else stats.dropped = n;
      }
      o = v + ((olen + 3) & ~3);
    }
    iface.info.stats = stats;
  }
}

/**
 * Binary resolutions and decimal ones finer than nanoseconds, through BigInt. Kept out of the
 * hot path so the common decimal case stays free of allocations.
 */
function slowTimestamp(view: PacketView, iface: Iface, hi: number, lo: number): void {
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  const unit = iface.bin >= 0 ? 1n << BigInt(iface.bin) : 10n ** BigInt(iface.bigDec);
  view.tsSec = Number(v / unit) + iface.info.tsoffset;
  view.tsNsec = Number(((v % unit) * 1000000000n) / unit);
}
