/**
 * The typed error for bad builder input: a feed line that cannot be parsed, an entry that is not
 * a valid network, a value no MaxMind DB type holds, a forbidden duplicate.
 *
 * @module
 */

/** Why input was rejected: a stable, machine-readable reason. */
export type InputErrorCode =
  | "bad-syntax"
  | "bad-entry"
  | "host-bits-set"
  | "bad-value"
  | "duplicate"
  | "unsupported-kind"
  | "wrong-ip-version"
  | "aliased-network"
  | "too-large"
  | "bad-format"
  | "unreadable";

/** Where an entry came from: file name (`-` for standard input) and 1-based line. */
export interface EntrySource {
  /** The file name as given. */
  file: string;
  /** The 1-based line number. */
  line: number;
}

/**
 * Input to the database builder is invalid. The message starts with `file:line:` when the place
 * is known.
 *
 * @example
 * ```ts
 * import { InputError } from "./input_error.ts";
 * import assert from "node:assert/strict";
 * const err = new InputError("bad-entry", "Invalid IP address \"1.2.3\"", { file: "a.csv", line: 4 });
 * assert.equal(err.code, "bad-entry");
 * assert.equal(err.line, 4);
 * assert.equal(err.message, 'a.csv:4: Invalid IP address "1.2.3"');
 * ```
 */
export class InputError extends Error {
  /** The reason, stable across versions. */
  readonly code: InputErrorCode;
  /** The file, or `null` when unknown. */
  readonly file: string | null;
  /** The 1-based line, or 0 when unknown. */
  readonly line: number;
  /** The reason without the `file:line:` prefix. */
  readonly reason: string;

  /**
   * Makes the error; the message is `file:line: reason` when the source is known.
   *
   * @param code The reason code.
   * @param reason What is wrong.
   * @param source Where, when known.
   */
  constructor(code: InputErrorCode, reason: string, source?: EntrySource) {
    super(source ? `${source.file}:${source.line}: ${reason}` : reason);
    this.name = "InputError";
    this.code = code;
    this.file = source?.file ?? null;
    this.line = source?.line ?? 0;
    this.reason = reason;
  }
}
