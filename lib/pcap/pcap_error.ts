/**
 * The typed error of the capture engine: reading, writing, filtering and tracking captures.
 *
 * @module
 */
import { MxyError } from "../core/mxy_error.ts";

/**
 * Why a capture operation failed, stable across versions:
 *
 * - Memory bounds: `buffer-limit` (a buffer would grow past its bound), `record-too-large` (a
 *   record is larger than the reader's `maxRecord`), `store-full` (the correlator's pending store
 *   reached `maxPending`), `session-table-full` (the session table reached `maxSessions`).
 * - Capture files: `bad-magic` (not a capture, or a bad pcapng byte-order magic),
 *   `truncated-header`, `truncated-record` (with `strict`), `bad-length` (an impossible block or
 *   record length), `bad-version`, `unknown-interface` (a packet names an interface no IDB
 *   described), `bad-block` (a block before any section header, or a damaged IDB/EPB/ISB),
 *   `bad-compression` (a damaged gzip stream), `read-failed` (the input could not be read).
 * - Filtering: `mixed-link-types` (one classic BPF program cannot filter several link types),
 *   `bad-filter-expression` (a filter expression that cannot apply: a qualifier that does not
 *   fit, a test the link type does not support, an unknown name), `filter-syntax` (a filter
 *   expression that does not parse). Both filter-expression errors carry the `column`.
 */
export type PcapErrorCode =
  | "buffer-limit"
  | "record-too-large"
  | "store-full"
  | "session-table-full"
  | "bad-magic"
  | "truncated-header"
  | "truncated-record"
  | "bad-length"
  | "bad-version"
  | "unknown-interface"
  | "bad-block"
  | "bad-compression"
  | "read-failed"
  | "mixed-link-types"
  | "bad-filter-expression"
  | "filter-syntax"
  | "worker-failed";

/**
 * The numbers docs/PCAP.md gives each code (the hundreds digit is the category: 1 memory,
 * 2 capture file, 4 session, 5 parallel pipeline), kept in {@linkcode PcapError.number} for logs that carry them.
 * DPI's codes (3xx and 401) are in `lib/dpi/dpi_error.ts`.
 */
export const PCAP_ERROR_NUMBERS: Readonly<Record<PcapErrorCode, number>> = {
  "buffer-limit": 101,
  "record-too-large": 102,
  "store-full": 103,
  "bad-magic": 201,
  "truncated-header": 202,
  "truncated-record": 203,
  "bad-length": 204,
  "bad-version": 205,
  "unknown-interface": 206,
  "bad-block": 207,
  "bad-compression": 208,
  "read-failed": 209,
  "mixed-link-types": 210,
  "bad-filter-expression": 211,
  "filter-syntax": 212,
  "session-table-full": 402,
  "worker-failed": 501,
};

/** Where in the input a {@linkcode PcapError} happened. */
export interface PcapErrorOptions {
  /** The input's name: a path, `"-"`, `"<bytes>"` or `"<stream>"`. */
  file?: string;
  /** The byte offset in the (decompressed) input. */
  offset?: number;
  /** How many packets had been read before the error. */
  packets?: number;
  /** For a filter expression: the 1-based column of the offending token. */
  column?: number;
  /** The error underneath, if any. */
  cause?: unknown;
}

/**
 * A capture could not be read, written or filtered: a {@linkcode PcapErrorCode}, its documented
 * number, and where it happened (`file`, byte `offset`, `packets` read before it), which the
 * message also names.
 *
 * @example
 * ```ts
 * import { forEachPacketInBytes, PcapError } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * try {
 *   forEachPacketInBytes(new Uint8Array(32), () => {}, { name: "x.pcap" });
 *   assert.fail("zeros are not a capture");
 * } catch (err) {
 *   assert.ok(err instanceof PcapError);
 *   assert.equal(err.code, "bad-magic");
 *   assert.equal(err.number, 201);
 *   assert.match(err.message, /x\.pcap, byte offset 0/);
 * }
 * ```
 */
export class PcapError extends MxyError {
  /** The reason, stable across versions. */
  declare readonly code: PcapErrorCode;
  /** The code's number as docs/PCAP.md lists it (`201` for `bad-magic`). */
  readonly number: number;
  /** The input's name, when known. */
  readonly file: string | undefined;
  /** The byte offset, when known. */
  readonly offset: number | undefined;
  /** Packets read before the error, when known. */
  readonly packets: number | undefined;
  /** For a filter expression: the 1-based column of the offending token. */
  readonly column: number | undefined;

  /**
   * Creates the error; the location (file, byte offset, packets read) is appended to the message.
   *
   * @param code The reason.
   * @param message What failed (capital letter, no final period).
   * @param options Where it happened, and the error underneath.
   */
  constructor(code: PcapErrorCode, message: string, options: PcapErrorOptions = {}) {
    const where: string[] = [];
    if (options.file !== undefined) where.push(options.file);
    if (options.offset !== undefined) where.push(`byte offset ${options.offset}`);
    if (options.packets !== undefined) where.push(`after ${options.packets} packets`);
    super(code, where.length ? `${message} (${where.join(", ")})` : message, {
      cause: options.cause,
    });
    this.name = "PcapError";
    this.number = PCAP_ERROR_NUMBERS[code];
    this.file = options.file;
    this.offset = options.offset;
    this.packets = options.packets;
    this.column = options.column;
  }

  /**
   * The error's fields as a plain object, for JSON logs.
   *
   * @returns `name`, `code`, `number`, `message`, `file`, `offset`, `packets` and `column`.
   */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      number: this.number,
      message: this.message,
      file: this.file,
      offset: this.offset,
      packets: this.packets,
      column: this.column,
    };
  }
}
