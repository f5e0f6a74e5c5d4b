/**
 * The typed error of deep packet inspection: protocol plugins, their registry and the engine.
 *
 * @module
 */
import { MxyError } from "../core/mxy_error.ts";

/**
 * Why a DPI operation failed, stable across versions:
 *
 * - `bad-message`: a protocol message is malformed (a DNS label runs past the message …).
 * - `name-loop`: a DNS name's compression pointers loop, or the name exceeds 255 bytes.
 * - `duplicate-plugin`: a plugin's name or id is already registered.
 * - `bad-plugin-name`: a plugin's name is not lower-case letters, digits and underscores.
 * - `unknown-attribute`: an attribute name no registered plugin provides.
 * - `session-hook-failed`: a plugin's session hook threw (the error is the `cause`).
 */
export type DpiErrorCode =
  | "bad-message"
  | "name-loop"
  | "duplicate-plugin"
  | "bad-plugin-name"
  | "unknown-attribute"
  | "session-hook-failed";

/**
 * The numbers docs/PCAP.md gives each code (3xx protocol, 4xx session), kept in
 * {@linkcode DpiError.number} for logs that carry them.
 */
export const DPI_ERROR_NUMBERS: Readonly<Record<DpiErrorCode, number>> = {
  "bad-message": 301,
  "name-loop": 302,
  "duplicate-plugin": 303,
  "unknown-attribute": 304,
  "bad-plugin-name": 305,
  "session-hook-failed": 401,
};

/** Details of a {@linkcode DpiError}. */
export interface DpiErrorOptions {
  /** The byte offset in the buffer where a message went wrong, when known. */
  offset?: number;
  /** The error underneath, if any. */
  cause?: unknown;
}

/**
 * A plugin, the registry or a protocol decoder refused its input: a {@linkcode DpiErrorCode},
 * its documented number and, for malformed messages, the byte offset.
 *
 * @example
 * ```ts
 * import { createDefaultRegistry, DpiError } from "@mxy/mxy/dpi";
 * import assert from "node:assert/strict";
 * const registry = createDefaultRegistry();
 * assert.throws(
 *   () => registry.resolve("dns.nonsense"),
 *   (err: unknown) => err instanceof DpiError && err.code === "unknown-attribute",
 * );
 * ```
 */
export class DpiError extends MxyError {
  /** The reason, stable across versions. */
  declare readonly code: DpiErrorCode;
  /** The code's number as docs/PCAP.md lists it (`302` for `name-loop`). */
  readonly number: number;
  /** The byte offset in the buffer, when known. */
  readonly offset: number | undefined;

  /**
   * Creates the error; a byte offset is appended to the message.
   *
   * @param code The reason.
   * @param message What failed (capital letter, no final period).
   * @param options The byte offset and the error underneath.
   */
  constructor(code: DpiErrorCode, message: string, options: DpiErrorOptions = {}) {
    super(
      code,
      options.offset === undefined ? message : `${message} (byte offset ${options.offset})`,
      { cause: options.cause },
    );
    this.name = "DpiError";
    this.number = DPI_ERROR_NUMBERS[code];
    this.offset = options.offset;
  }

  /**
   * The error's fields as a plain object, for JSON logs.
   *
   * @returns `name`, `code`, `number`, `message` and `offset`.
   */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      number: this.number,
      message: this.message,
      offset: this.offset,
    };
  }
}
