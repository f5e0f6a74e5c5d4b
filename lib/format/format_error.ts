/**
 * The typed error for malformed `.mxy` and MaxMind DB files.
 *
 * @module
 */
import { MxyError } from "../core/mxy_error.ts";

/**
 * Why a file was rejected: a stable, machine-readable reason. `bad-input` is a section encoder
 * refusing what it was given; `internal` is a broken invariant of mxy itself (a bug), never
 * the file's or the caller's fault.
 */
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
  | "bad-input"
  | "internal";

/**
 * A file is not a valid database. Carries a {@linkcode FormatErrorCode} and, where one applies,
 * the byte offset at which the problem was found.
 *
 * @example
 * ```ts
 * import { Database, FormatError } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * try {
 *   Database.fromBytes(new Uint8Array(64));
 *   assert.fail("64 zero bytes are not a database");
 * } catch (err) {
 *   assert.ok(err instanceof FormatError);
 *   assert.equal(err.code, "no-metadata");
 * }
 * ```
 */
export class FormatError extends MxyError {
  /** The reason, stable across versions. */
  declare readonly code: FormatErrorCode;
  /** The byte offset in the file where the problem is, or -1 when none applies. */
  readonly offset: number;

  /**
   * Creates the error.
   *
   * @param code The reason.
   * @param message What failed; the offset is appended when given.
   * @param offset The byte offset in the file, or -1.
   * @param options `cause`: the error underneath, if any.
   */
  constructor(code: FormatErrorCode, message: string, offset = -1, options?: ErrorOptions) {
    super(code, offset >= 0 ? `${message} (at byte ${offset})` : message, options);
    this.name = "FormatError";
    this.offset = offset;
  }
}
