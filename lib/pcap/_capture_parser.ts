/**
 * The capture-format state machine shared by every reader: it recognises the format from the
 * first bytes, then hands complete records to the classic pcap or the pcapng parser and says
 * where it stopped, so the same code serves bytes in memory, mapped files and chunked streams.
 *
 * @module
 */
import { PcapError, type PcapErrorCode } from "./pcap_error.ts";
import type { PacketView } from "./packet_view.ts";
import {
  BLOCK_SHB,
  GZIP_MAGIC_0,
  GZIP_MAGIC_1,
  PCAP_FILE_HEADER_LEN,
  PCAP_MAGIC_NS,
  PCAP_MAGIC_NS_SWAPPED,
  PCAP_MAGIC_US,
  PCAP_MAGIC_US_SWAPPED,
} from "./_capture_format.ts";
import { parseClassicHeader, parseClassicRecords } from "./_classic_pcap.ts";
import { parsePcapngBlocks, type PcapngSection } from "./_pcapng.ts";

/** Called for each packet with the reader's one view; returning `false` stops reading. */
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
  /** Byte order of the file (classic pcap) or section (pcapng). */
  littleEndian: boolean;
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

/** Where and why the input ended in the middle of a record. */
export interface TruncationInfo {
  /** Byte offset of the incomplete record. */
  offset: number;
  /** Packets read before it. */
  packets: number;
  /** What was cut short. */
  reason: string;
}

/** What the parser needs besides the bytes. */
export interface CaptureParserOptions {
  /** Decode headers before each callback. */
  decode: boolean;
  /** The largest record or block accepted, in bytes. */
  maxRecord: number;
}

/** Parser state; one per input. Fields are read and written by the format parsers. */
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
  littleEndian = true;
  /** Classic pcap: the link type of every packet (FCS bits removed). */
  linktype = 0;
  /** Classic pcap: FCS bytes per frame. */
  fcsLen = 0;
  /** Format version (`"2.4"`, `"1.0"`). */
  version = "";
  /** pcapng: the current section's byte order and interfaces. */
  readonly section: PcapngSection = { littleEndian: true, open: false, interfaces: [] };

  /** The input's name for messages. */
  readonly name: string;
  /** The view every packet is delivered in. */
  readonly view: PacketView;
  /** The packet callback. */
  readonly onPacket: PacketCallback;
  /** Decode headers before each callback. */
  readonly decode: boolean;
  /** The largest record accepted. */
  readonly maxRecord: number;

  /**
   * @param name The input's name for messages.
   * @param view The view to fill.
   * @param onPacket The packet callback.
   * @param options Whether to decode and the largest record accepted.
   */
  constructor(
    name: string,
    view: PacketView,
    onPacket: PacketCallback,
    options: CaptureParserOptions,
  ) {
    this.name = name;
    this.view = view;
    this.onPacket = onPacket;
    this.decode = options.decode;
    this.maxRecord = options.maxRecord;
  }

  /** A typed error naming the input, the byte offset and the packets read. */
  error(code: PcapErrorCode, message: string, offset: number): PcapError {
    return new PcapError(code, message, { file: this.name, offset, packets: this.packets });
  }

  /** Records that the input ended inside a record (when `final`). */
  cutShort(offset: number, reason: string): void {
    this.truncated = { offset, packets: this.packets, reason };
  }

  /**
   * Parses complete records in `buf[pos, end)`. `base` is the absolute input offset of `buf[0]`.
   * Returns the position after the last complete record. With `final`, an incomplete record at
   * the end is recorded in {@linkcode CaptureParser.truncated}.
   */
  parse(buf: Uint8Array, pos: number, end: number, base: number, final: boolean): number {
    const view = this.view;
    if (view.buf !== buf) view.setRecord(buf, 0, 0, 0);
    if (this.format === "") {
      if (end - pos < 4) {
        if (final) {
          throw this.error(
            "truncated-header",
            `Capture too short: ${end - pos} bytes, no file header`,
            base + pos,
          );
        }
        return pos;
      }
      const magic = view.dv.getUint32(pos, true);
      if (magic === BLOCK_SHB) this.format = "pcapng";
      else if (
        magic === PCAP_MAGIC_US || magic === PCAP_MAGIC_NS || magic === PCAP_MAGIC_US_SWAPPED ||
        magic === PCAP_MAGIC_NS_SWAPPED
      ) {
        if (end - pos < PCAP_FILE_HEADER_LEN) {
          if (final) {
            throw this.error(
              "truncated-header",
              `Capture too short: ${end - pos} of ${PCAP_FILE_HEADER_LEN} header bytes`,
              base + pos,
            );
          }
          return pos;
        }
        this.format = "pcap";
        pos = parseClassicHeader(this, pos, base);
      } else if (buf[pos] === GZIP_MAGIC_0 && buf[pos + 1] === GZIP_MAGIC_1) {
        throw this.error(
          "bad-magic",
          "Input is gzip-compressed but was not decompressed (read it as a stream)",
          base + pos,
        );
      } else {
        throw this.error(
          "bad-magic",
          `Not a pcap or pcapng file: magic 0x${magic.toString(16).padStart(8, "0")}`,
          base + pos,
        );
      }
    }
    if (this.format === "pcap") return parseClassicRecords(this, buf, pos, end, base, final);
    return parsePcapngBlocks(this, buf, pos, end, base, final);
  }
}
