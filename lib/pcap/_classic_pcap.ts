/**
 * Classic pcap: the 24-byte file header (four magics: µs or ns, either byte order; the FCS bits
 * of the link-type field) and the 16-byte record headers before each packet.
 *
 * @module
 */
import type { CaptureParser } from "./_capture_parser.ts";
import { decodePacket } from "./decode.ts";
import * as format from "./_capture_format.ts";

// Module-level copies of the format's numbers: V8 folds these into the record loop, but not
// bindings imported from another module.
const {
  PCAP_FCS_PRESENT,
  PCAP_FCS_SHIFT,
  PCAP_FILE_HEADER_LEN,
  PCAP_LINKTYPE_MASK,
  PCAP_LINKTYPE_OFFSET,
  PCAP_MAGIC_NS,
  PCAP_MAGIC_NS_SWAPPED,
  PCAP_MAGIC_US,
  PCAP_RECORD_HEADER_LEN,
  PCAP_RECORD_INCL_OFFSET,
  PCAP_RECORD_ORIG_OFFSET,
  PCAP_SNAPLEN_OFFSET,
} = format;

const NANOS_PER_SECOND = 1e9;
const MICROS_PER_SECOND = 1e6;
const NANOS_PER_MICRO = 1000;

/** Reads the file header at `pos` (24 bytes are there); returns the position after it. */
export function parseClassicHeader(p: CaptureParser, pos: number, base: number): number {
  const dv = p.view.dv;
  const magic = dv.getUint32(pos, true);
  const le = magic === PCAP_MAGIC_US || magic === PCAP_MAGIC_NS;
  p.littleEndian = le;
  p.nanos = magic === PCAP_MAGIC_NS || magic === PCAP_MAGIC_NS_SWAPPED;
  const major = dv.getUint16(pos + 4, le);
  const minor = dv.getUint16(pos + 6, le);
  p.version = `${major}.${minor}`;
  if (major !== 2) {
    throw p.error("bad-version", `Unsupported pcap version ${major}.${minor}`, base + pos + 4);
  }
  const snaplen = dv.getUint32(pos + PCAP_SNAPLEN_OFFSET, le);
  const linktypeField = dv.getUint32(pos + PCAP_LINKTYPE_OFFSET, le);
  p.linktype = linktypeField & PCAP_LINKTYPE_MASK;
  p.fcsLen = (linktypeField & PCAP_FCS_PRESENT) !== 0 ? (linktypeField >>> PCAP_FCS_SHIFT) * 2 : 0;
  p.sections = 1;
  p.interfaces.push({
    section: 0,
    id: 0,
    linktype: p.linktype,
    snaplen,
    fcsLen: p.fcsLen,
    littleEndian: le,
    name: undefined,
    tsresol: p.nanos ? "1e-9" : "1e-6",
    tsoffset: 0,
    packets: 0,
    stats: undefined,
  });
  return pos + PCAP_FILE_HEADER_LEN;
}

/** Delivers every complete record in `buf[pos, end)`; returns where it stopped. */
export function parseClassicRecords(
  p: CaptureParser,
  buf: Uint8Array,
  pos: number,
  end: number,
  base: number,
  final: boolean,
): number {
  const view = p.view;
  const dv = view.dv;
  const le = p.littleEndian;
  const nanos = p.nanos;
  const maxRecord = p.maxRecord;
  const decode = p.decode;
  const onPacket = p.onPacket;
  const info = p.interfaces[0];
  while (!p.stopped) {
    if (end - pos < PCAP_RECORD_HEADER_LEN) {
      if (final && end > pos) {
        p.cutShort(
          base + pos,
          `record header cut short (${end - pos} of ${PCAP_RECORD_HEADER_LEN} bytes)`,
        );
      }
      return pos;
    }
    const incl = dv.getUint32(pos + PCAP_RECORD_INCL_OFFSET, le);
    const orig = dv.getUint32(pos + PCAP_RECORD_ORIG_OFFSET, le);
    if (incl > maxRecord) {
      throw p.error(
        "record-too-large",
        `Damaged record: captured length ${incl} exceeds the limit of ${maxRecord} bytes`,
        base + pos,
      );
    }
    if (end - pos - PCAP_RECORD_HEADER_LEN < incl) {
      if (final) {
        p.cutShort(
          base + pos,
          `record data cut short (${end - pos - PCAP_RECORD_HEADER_LEN} of ${incl} bytes)`,
        );
      }
      return pos;
    }
    let sec = dv.getUint32(pos, le);
    let frac = dv.getUint32(pos + 4, le);
    if (nanos) {
      if (frac >= NANOS_PER_SECOND) {
        sec += Math.floor(frac / NANOS_PER_SECOND);
        frac %= NANOS_PER_SECOND;
      }
    } else {
      if (frac >= MICROS_PER_SECOND) {
        sec += Math.floor(frac / MICROS_PER_SECOND);
        frac %= MICROS_PER_SECOND;
      }
      frac *= NANOS_PER_MICRO;
    }
    view.setRecord(buf, pos + PCAP_RECORD_HEADER_LEN, incl, orig);
    view.tsSec = sec;
    view.tsNsec = frac;
    view.linktype = p.linktype;
    view.fcsLen = p.fcsLen;
    view.iface = 0;
    view.section = 0;
    view.littleEndian = p.littleEndian;
    view.format = "pcap";
    view.nanos = p.nanos;
    view.fileOffset = base + pos;
    view.number = ++p.packets;
    p.capturedBytes += incl;
    p.wireBytes += orig;
    info.packets++;
    pos += PCAP_RECORD_HEADER_LEN + incl;
    if (decode) decodePacket(view);
    if (onPacket(view) === false) p.stopped = true;
  }
  return pos;
}
