/**
 * The typed error for malformed `.mxy` and MaxMind DB files.
 *
 * @module
 */

/** Why a file was rejected: a stable, machine-readable reason. */
export type FormatErrorCode =
  | "no-metadata"
  | "bad-metadata"
  | "bad-tree"
  | "bad-pointer"
  | "bad-type"
  | "bad-size"
  | "bad-utf8"
  | "too-deep"
  | "too-large"
  | "cycle"
  | "out-of-bounds"
  | "bad-section"
  | "bad-input";

/**
 * A file is not a valid database. Carries a {@linkcode FormatErrorCode} and, where one applies,
 * the byte offset at which the problem was found.
 *
 * @example
 * ```ts
 * import { FormatError } from "./format_error.ts";
 * import assert from "node:assert/strict";
 * const err = new FormatError("bad-pointer", "Pointer leaves the data section", 1234);
 * assert.equal(err.code, "bad-pointer");
 * assert.equal(err.offset, 1234);
 * assert.match(err.message, /at byte 1234/);
 * ```
 */
export class FormatError extends Error {
  /** The reason, stable across versions. */
  readonly code: FormatErrorCode;
  /** The byte offset in the file where the problem is, or -1 when none applies. */
  readonly offset: number;

  /**
   * @param code The reason.
   * @param message What failed; the offset is appended when given.
   * @param offset The byte offset in the file, or -1.
   */
  constructor(code: FormatErrorCode, message: string, offset = -1) {
    super(offset >= 0 ? `${message} (at byte ${offset})` : message);
    this.name = "FormatError";
    this.code = code;
    this.offset = offset;
  }
}
