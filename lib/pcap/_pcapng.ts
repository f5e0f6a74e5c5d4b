/**
 * pcapng: sections (SHB, each with its own byte order), interfaces (IDB with `if_tsresol`,
 * `if_tsoffset`, `if_fcslen`, `if_name`), packets (EPB, SPB, obsolete PB), name resolution (NRB)
 * and interface statistics (ISB); other blocks are skipped.
 *
 * @module
 */
import { formatIpv4, formatIpv6 } from "../core/ip.ts";
import type { CaptureParser } from "./_capture_parser.ts";
import { decodePacket } from "./decode.ts";
import { setTimestamp, type TickScale, tickScale, tsresolText } from "./_pcapng_time.ts";
import type { InterfaceInfo } from "./_capture_parser.ts";
import * as format from "./_capture_format.ts";

// Module-level copies of the format's numbers: V8 folds these into the hot loops, but not
// bindings imported from another module.
const {
  BLOCK_EPB,
  BLOCK_HEADER_LEN,
  BLOCK_IDB,
  BLOCK_ISB,
  BLOCK_MIN_LEN,
  BLOCK_NRB,
  BLOCK_OVERHEAD,
  BLOCK_PB,
  BLOCK_SHB,
  BLOCK_SPB,
  BYTE_ORDER_MAGIC,
  BYTE_ORDER_MAGIC_SWAPPED,
  DEFAULT_TSRESOL,
  EPB_BODY_LEN,
  IDB_BODY_LEN,
  IF_FCSLEN,
  IF_NAME,
  IF_TSOFFSET,
  IF_TSRESOL,
  ISB_BODY_LEN,
  ISB_IFDROP,
  ISB_IFRECV,
  NRB_IPV4,
  NRB_IPV6,
  OPT_END,
  SHB_BODY_LEN,
  SPB_BODY_LEN,
} = format;

/** An interface of the current section: what the reader reports, and its tick scale. */
interface Interface {
  readonly info: InterfaceInfo;
  readonly scale: TickScale;
}

/** The state of the section being read. */
export interface PcapngSection {
  /** The section's byte order. */
  littleEndian: boolean;
  /** Whether a section header has been seen. */
  open: boolean;
  /** The section's interfaces, by id. */
  interfaces: Interface[];
}

/** The most name records kept from NRBs. */
const MAX_NAMES = 100000;
/** Offset of a block's total length, after its type. */
const BLOCK_LENGTH = 4;
/** SHB body: the version after the byte-order magic. */
const SHB_MAJOR = 4, SHB_MINOR = 6;
/** IDB body: link type (then 2 reserved bytes), snapshot length. */
const IDB_LINKTYPE = 0, IDB_SNAPLEN = 4;
/** EPB (and PB) body: interface, timestamp high and low words, captured and original lengths. */
const EPB_INTERFACE = 0, EPB_TS_HIGH = 4, EPB_TS_LOW = 8, EPB_CAPTURED = 12, EPB_ORIGINAL = 16;
/** An option's (or NRB record's) code and length before its value. */
const OPTION_HEADER_LEN = 4;
const TWO_32 = 4294967296;
const decoder = new TextDecoder();

/** Rounds an option or record length up to the 4-byte boundary the next one starts at. */
function padded(length: number): number {
  return (length + 3) & ~3;
}

/** Delivers every complete block in `buf[pos, end)`; returns where it stopped. */
export function parsePcapngBlocks(
  p: CaptureParser,
  buf: Uint8Array,
  pos: number,
  end: number,
  base: number,
  final: boolean,
): number {
  const dv = p.view.dv;
  const section = p.section;
  while (!p.stopped) {
    if (end - pos < BLOCK_MIN_LEN) {
      if (final && end > pos) {
        p.cutShort(base + pos, `block header cut short (${end - pos} of ${BLOCK_MIN_LEN} bytes)`);
      }
      return pos;
    }
    let type = dv.getUint32(pos, section.littleEndian);
    if (dv.getUint32(pos, true) === BLOCK_SHB) {
      type = BLOCK_SHB;
      const bom = dv.getUint32(pos + BLOCK_HEADER_LEN, true);
      if (bom === BYTE_ORDER_MAGIC) section.littleEndian = true;
      else if (bom === BYTE_ORDER_MAGIC_SWAPPED) section.littleEndian = false;
      else {
        throw p.error(
          "bad-magic",
          `Section header has a bad byte-order magic 0x${bom.toString(16)}`,
          base + pos + BLOCK_HEADER_LEN,
        );
      }
    }
    const le = section.littleEndian;
    const len = dv.getUint32(pos + BLOCK_LENGTH, le);
    if (len < BLOCK_MIN_LEN || len % 4 !== 0) {
      throw p.error(
        "bad-length",
        `Block of type 0x${type.toString(16)} has an invalid length ${len}`,
        base + pos + BLOCK_LENGTH,
      );
    }
    if (len > p.maxRecord + BLOCK_OVERHEAD) {
      throw p.error(
        "record-too-large",
        `Block length ${len} exceeds the limit of ${p.maxRecord} bytes`,
        base + pos + BLOCK_LENGTH,
      );
    }
    if (end - pos < len) {
      if (final) p.cutShort(base + pos, `block cut short (${end - pos} of ${len} bytes)`);
      return pos;
    }
    const trailer = dv.getUint32(pos + len - 4, le);
    if (trailer !== len) {
      throw p.error(
        "bad-length",
        `Block trailer length ${trailer} does not match header length ${len}`,
        base + pos + len - 4,
      );
    }
    const bodyEnd = pos + len - 4;
    switch (type) {
      case BLOCK_SHB:
        sectionHeader(p, pos, bodyEnd, base);
        break;
      case BLOCK_IDB:
        requireSection(p, pos, base);
        interfaceDescription(p, buf, pos, bodyEnd, base);
        break;
      case BLOCK_EPB:
      case BLOCK_PB:
      case BLOCK_SPB:
        requireSection(p, pos, base);
        packetBlock(p, buf, type, pos, bodyEnd, base);
        break;
      case BLOCK_NRB:
        nameResolution(p, buf, pos + BLOCK_HEADER_LEN, bodyEnd);
        break;
      case BLOCK_ISB:
        interfaceStatistics(p, pos, bodyEnd, base);
        break;
      default:
        p.skippedBlocks++;
    }
    pos += len;
  }
  return pos;
}

function requireSection(p: CaptureParser, pos: number, base: number): void {
  if (!p.section.open) {
    throw p.error("bad-block", "Block appears before any section header", base + pos);
  }
}

function sectionHeader(p: CaptureParser, pos: number, bodyEnd: number, base: number): void {
  const dv = p.view.dv;
  const le = p.section.littleEndian;
  if (bodyEnd - pos < BLOCK_HEADER_LEN + SHB_BODY_LEN) {
    throw p.error(
      "truncated-header",
      `Section header block shorter than ${BLOCK_MIN_LEN + SHB_BODY_LEN} bytes`,
      base + pos,
    );
  }
  const body = pos + BLOCK_HEADER_LEN;
  const major = dv.getUint16(body + SHB_MAJOR, le);
  const minor = dv.getUint16(body + SHB_MINOR, le);
  if (major !== 1) {
    throw p.error(
      "bad-version",
      `Unsupported pcapng section version ${major}.${minor}`,
      base + body + SHB_MAJOR,
    );
  }
  p.version = `${major}.${minor}`;
  p.sections++;
  p.section.open = true;
  p.section.interfaces = [];
}

function interfaceDescription(
  p: CaptureParser,
  buf: Uint8Array,
  pos: number,
  bodyEnd: number,
  base: number,
): void {
  const dv = p.view.dv;
  const le = p.section.littleEndian;
  if (bodyEnd - pos < BLOCK_HEADER_LEN + IDB_BODY_LEN) {
    throw p.error(
      "bad-block",
      `Interface description block shorter than ${BLOCK_MIN_LEN + IDB_BODY_LEN} bytes`,
      base + pos,
    );
  }
  const linktype = dv.getUint16(pos + BLOCK_HEADER_LEN + IDB_LINKTYPE, le);
  const snaplen = dv.getUint32(pos + BLOCK_HEADER_LEN + IDB_SNAPLEN, le);
  let tsresol = DEFAULT_TSRESOL;
  let tsoffset = 0;
  let fcsLen = 0;
  let name: string | undefined;
  let o = pos + BLOCK_HEADER_LEN + IDB_BODY_LEN;
  while (o + OPTION_HEADER_LEN <= bodyEnd) {
    const code = dv.getUint16(o, le);
    const olen = dv.getUint16(o + 2, le);
    if (code === OPT_END) break;
    const v = o + OPTION_HEADER_LEN;
    if (v + olen > bodyEnd) {
      throw p.error("bad-block", `Interface option ${code} overruns its block`, base + o);
    }
    if (code === IF_TSRESOL && olen >= 1) tsresol = buf[v];
    else if (code === IF_TSOFFSET && olen >= 8) {
      tsoffset = le
        ? dv.getInt32(v + 4, le) * TWO_32 + dv.getUint32(v, le)
        : dv.getInt32(v, le) * TWO_32 + dv.getUint32(v + 4, le);
    } else if (code === IF_FCSLEN && olen >= 1) fcsLen = buf[v];
    else if (code === IF_NAME) {
      name = decoder.decode(buf.subarray(v, v + olen)).replace(/\0+$/, "");
    }
    o = v + padded(olen);
  }
  const scale = tickScale(tsresol, tsoffset);
  if (scale === null) {
    throw p.error(
      "bad-block",
      `Interface timestamp resolution ${tsresolText(tsresol)} is out of range`,
      base + pos,
    );
  }
  const info: InterfaceInfo = {
    section: p.sections - 1,
    id: p.section.interfaces.length,
    linktype,
    snaplen,
    fcsLen,
    littleEndian: le,
    name,
    tsresol: tsresolText(tsresol),
    tsoffset,
    packets: 0,
    stats: undefined,
  };
  p.section.interfaces.push({ info, scale });
  p.interfaces.push(info);
}

function packetBlock(
  p: CaptureParser,
  buf: Uint8Array,
  type: number,
  pos: number,
  bodyEnd: number,
  base: number,
): void {
  const view = p.view;
  const dv = view.dv;
  const le = p.section.littleEndian;
  let id: number, incl: number, orig: number, data: number;
  const body = pos + BLOCK_HEADER_LEN;
  if (type === BLOCK_SPB) {
    if (bodyEnd - body < SPB_BODY_LEN) {
      throw p.error(
        "bad-block",
        `Simple packet block shorter than ${BLOCK_MIN_LEN + SPB_BODY_LEN} bytes`,
        base + pos,
      );
    }
    id = 0;
    orig = dv.getUint32(body, le);
    data = body + SPB_BODY_LEN;
    incl = Math.min(orig, bodyEnd - data);
  } else {
    if (bodyEnd - body < EPB_BODY_LEN) {
      const what = type === BLOCK_EPB ? "Enhanced packet block" : "Packet block";
      throw p.error(
        "bad-block",
        `${what} shorter than ${BLOCK_MIN_LEN + EPB_BODY_LEN} bytes`,
        base + pos,
      );
    }
    // the obsolete PB has a 16-bit interface id and a 16-bit drop count
    id = type === BLOCK_EPB
      ? dv.getUint32(body + EPB_INTERFACE, le)
      : dv.getUint16(body + EPB_INTERFACE, le);
    incl = dv.getUint32(body + EPB_CAPTURED, le);
    orig = dv.getUint32(body + EPB_ORIGINAL, le);
    data = body + EPB_BODY_LEN;
  }
  const iface = p.section.interfaces[id];
  if (iface === undefined) {
    throw p.error(
      "unknown-interface",
      `Packet refers to interface ${id}, but the section describes ${p.section.interfaces.length}`,
      base + pos,
    );
  }
  if (type === BLOCK_SPB && iface.info.snaplen > 0 && incl > iface.info.snaplen) {
    incl = iface.info.snaplen;
  }
  if (data + incl > bodyEnd) {
    throw p.error(
      "bad-length",
      `Packet captured length ${incl} overruns its block`,
      base + body + EPB_CAPTURED,
    );
  }
  view.setRecord(buf, data, incl, orig);
  if (type === BLOCK_SPB) {
    view.tsSec = 0;
    view.tsNsec = 0;
  } else {
    const high = dv.getUint32(body + EPB_TS_HIGH, le), low = dv.getUint32(body + EPB_TS_LOW, le);
    setTimestamp(view, iface.scale, high, low);
  }
  view.linktype = iface.info.linktype;
  view.fcsLen = iface.info.fcsLen;
  view.iface = id;
  view.section = p.sections - 1;
  view.littleEndian = le;
  view.format = "pcapng";
  view.nanos = false;
  view.fileOffset = base + pos;
  view.number = ++p.packets;
  p.capturedBytes += incl;
  p.wireBytes += orig;
  iface.info.packets++;
  if (p.decode) decodePacket(view);
  if (p.onPacket(view) === false) p.stopped = true;
}

function nameResolution(p: CaptureParser, buf: Uint8Array, o: number, bodyEnd: number): void {
  const dv = p.view.dv;
  const le = p.section.littleEndian;
  while (o + OPTION_HEADER_LEN <= bodyEnd) {
    const type = dv.getUint16(o, le);
    const len = dv.getUint16(o + 2, le);
    if (type === OPT_END) return;
    const v = o + OPTION_HEADER_LEN;
    if (v + len > bodyEnd) return;
    const addressLength = type === NRB_IPV4 ? 4 : type === NRB_IPV6 ? 16 : 0;
    if (addressLength > 0 && len > addressLength && p.names.size < MAX_NAMES) {
      const address = type === NRB_IPV4 ? formatIpv4(dv.getUint32(v)) : formatIpv6(buf, v);
      const names = decoder.decode(buf.subarray(v + addressLength, v + len)).split("\0")
        .filter((s) => s.length > 0);
      p.names.set(address, names);
    }
    o = v + padded(len);
  }
}

function interfaceStatistics(p: CaptureParser, pos: number, bodyEnd: number, base: number): void {
  const dv = p.view.dv;
  const le = p.section.littleEndian;
  if (bodyEnd - pos < BLOCK_HEADER_LEN + 4) {
    throw p.error(
      "bad-block",
      `Interface statistics block shorter than ${BLOCK_MIN_LEN + ISB_BODY_LEN} bytes`,
      base + pos,
    );
  }
  const iface = p.section.interfaces[dv.getUint32(pos + BLOCK_HEADER_LEN, le)];
  if (iface === undefined) return;
  const stats: { received?: number; dropped?: number } = {};
  let o = pos + BLOCK_HEADER_LEN + ISB_BODY_LEN;
  while (o + OPTION_HEADER_LEN <= bodyEnd) {
    const code = dv.getUint16(o, le);
    const olen = dv.getUint16(o + 2, le);
    if (code === OPT_END) break;
    const v = o + OPTION_HEADER_LEN;
    if (v + olen > bodyEnd) break;
    if ((code === ISB_IFRECV || code === ISB_IFDROP) && olen === 8) {
      const a = dv.getUint32(v, le), b = dv.getUint32(v + 4, le);
      const n = le ? b * TWO_32 + a : a * TWO_32 + b;
      if (code === ISB_IFRECV) stats.received = n;
      else stats.dropped = n;
    }
    o = v + padded(olen);
  }
  iface.info.stats = stats;
}
