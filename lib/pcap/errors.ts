/**
 * Typed errors of the packet engine, with stable numeric codes grouped by category:
 * 1xx memory, 2xx packet (capture files and decoding), 3xx protocol (plugins), 4xx session.
 *
 * @module
 */

/** The category an error code belongs to. */
export type PcapErrorCategory = "memory" | "packet" | "protocol" | "session";

/**
 * Stable numeric error codes. The hundreds digit is the category: 1 memory, 2 packet,
 * 3 protocol, 4 session. Codes are never renumbered.
 *
 * @example
 * ```ts
 * import { errorCategory, PcapErrorCode } from "./errors.ts";
 * import assert from "node:assert/strict";
 * assert.equal(PcapErrorCode.NameLoop, 302);
 * assert.equal(errorCategory(PcapErrorCode.StoreFull), "memory");
 * ```
 */
export const PcapErrorCode = {
  /** A buffer would have to grow past its configured bound. */
  BufferLimit: 101,
  /** A record is larger than the reader accepts (the `maxRecord` option). */
  RecordTooLarge: 102,
  /** A pending store or table reached its configured bound. */
  StoreFull: 103,
  /** The input is not a capture file: no known magic number at the start. */
  BadMagic: 201,
  /** The file header or a section header is shorter than its fixed size. */
  TruncatedHeader: 202,
  /** A record or block is cut short by the end of the input. */
  TruncatedRecord: 203,
  /** A block or record length is impossible (too small, not a multiple of 4, trailer mismatch). */
  BadLength: 204,
  /** A version number the reader does not understand. */
  BadVersion: 205,
  /** A packet refers to an interface no Interface Description Block described. */
  UnknownInterface: 206,
  /** A packet block appears before any Section Header Block, or an IDB with bad options. */
  BadBlock: 207,
  /** The gzip stream is damaged. */
  BadCompression: 208,
  /** The input could not be read (I/O failure). */
  ReadFailed: 209,
  /** A protocol message is malformed (bad length, field out of range). */
  BadMessage: 301,
  /** A DNS name compression pointer loops or points forward. */
  NameLoop: 302,
  /** A plugin id or name is already registered. */
  DuplicatePlugin: 303,
  /** An attribute name is not known to any registered plugin. */
  UnknownAttribute: 304,
  /** A session hook threw. */
  SessionHookFailed: 401,
  /** The session table reached its bound. */
  SessionTableFull: 402,
  /** A session was used after being expired. */
  SessionExpired: 403,
} as const;

/** One of the numeric codes of {@linkcode PcapErrorCode}. */
export type PcapErrorCodeValue = typeof PcapErrorCode[keyof typeof PcapErrorCode];

const NAMES = new Map<number, string>(
  Object.entries(PcapErrorCode).map(([name, code]) => [code, name]),
);

/**
 * Returns the category of a numeric error code.
 *
 * @param code A code from {@linkcode PcapErrorCode}.
 * @returns Its category.
 * @example
 * ```ts
 * import { errorCategory, PcapErrorCode } from "./errors.ts";
 * import assert from "node:assert/strict";
 * assert.equal(errorCategory(PcapErrorCode.TruncatedRecord), "packet");
 * ```
 */
export function errorCategory(code: number): PcapErrorCategory {
  const c = Math.floor(code / 100);
  return c === 1 ? "memory" : c === 2 ? "packet" : c === 3 ? "protocol" : "session";
}

/**
 * Returns the stable name of a numeric error code (`"TruncatedRecord"` for 203).
 *
 * @param code A code from {@linkcode PcapErrorCode}.
 * @returns Its name, or `"Unknown"`.
 * @example
 * ```ts
 * import { errorName } from "./errors.ts";
 * import assert from "node:assert/strict";
 * assert.equal(errorName(201), "BadMagic");
 * ```
 */
export function errorName(code: number): string {
  return NAMES.get(code) ?? "Unknown";
}

/** Where in the input an error happened. */
export interface PcapErrorOptions {
  /** The file (or `"-"`, or `"<bytes>"`). */
  file?: string;
  /** The byte offset in the (decompressed) input. */
  offset?: number;
  /** How many packets had been read before the error. */
  packets?: number;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * The packet engine's typed error: a stable numeric `code`, its `codeName` and `category`, and
 * where it happened (`file`, byte `offset`, `packets` read before it).
 *
 * @example
 * ```ts
 * import { PcapError, PcapErrorCode } from "./errors.ts";
 * import assert from "node:assert/strict";
 * const e = new PcapError(PcapErrorCode.BadMagic, "Not a capture file", { file: "x", offset: 0 });
 * assert.equal(e.category, "packet");
 * assert.equal(e.codeName, "BadMagic");
 * assert.match(e.message, /x, byte offset 0/);
 * ```
 */
export class PcapError extends Error {
  /** The stable numeric code. */
  readonly code: number;
  /** The code's stable name. */
  readonly codeName: string;
  /** The code's category. */
  readonly category: PcapErrorCategory;
  /** The input's name, when known. */
  readonly file: string | undefined;
  /** The byte offset, when known. */
  readonly offset: number | undefined;
  /** Packets read before the error, when known. */
  readonly packets: number | undefined;

  /**
   * Creates the error; the location (file, byte offset, packets read) is appended to the message.
   *
   * @param code A code from {@linkcode PcapErrorCode}.
   * @param message What failed (capital letter, no final period); the location is appended.
   * @param options Where it happened.
   */
  constructor(code: number, message: string, options: PcapErrorOptions = {}) {
    const where: string[] = [];
    if (options.file !== undefined) where.push(options.file);
    if (options.offset !== undefined) where.push(`byte offset ${options.offset}`);
    if (options.packets !== undefined) where.push(`after ${options.packets} packets`);
    super(where.length ? `${message} (${where.join(", ")})` : message, { cause: options.cause });
    this.name = "PcapError";
    this.code = code;
    this.codeName = errorName(code);
    this.category = errorCategory(code);
    this.file = options.file;
    this.offset = options.offset;
    this.packets = options.packets;
  }

  /**
   * A plain object for JSON logs.
   *
   * @returns The error's fields.
   */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      codeName: this.codeName,
      category: this.category,
      message: this.message,
      file: this.file,
      offset: this.offset,
      packets: this.packets,
    };
  }
}
