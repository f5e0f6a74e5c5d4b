/**
 * The error of the database capability: bad builder input (a feed line that cannot be parsed,
 * an entry that is not a valid network, a value no MaxMind DB type holds, a forbidden
 * duplicate), a database used after `close()`, a builder used after `build()`. Malformed files
 * are `FormatError`s; malformed globs `GlobError`s; malformed IP addresses `IpAddressError`s.
 *
 * @module
 */
import { MxyError } from "../core/mxy_error.ts";

/**
 * Why the database capability refused: the input codes (`bad-syntax`, `bad-entry`,
 * `host-bits-set`, `bad-value`, `duplicate`, `unsupported-kind`, `wrong-ip-version`,
 * `aliased-network`, `too-large`, `bad-format`, `unreadable`), `closed` (a method of a closed
 * database), `bad-checks` (checks of other bytes given to `Database.fromBytes`),
 * `already-built` (a builder used after `build()`), `internal` (a broken invariant
 * of mxy itself: a bug, never the caller's fault).
 */
export type DatabaseErrorCode =
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
  | "unreadable"
  | "closed"
  | "bad-checks"
  | "already-built"
  | "internal";

/** Where an entry came from: file name (`-` for standard input) and 1-based line. */
export interface EntrySource {
  /** The file name as given. */
  file: string;
  /** The 1-based line number. */
  line: number;
}

/**
 * The database capability refused an input or an operation. For an entry, the message starts
 * with `file:line:` when the place is known.
 *
 * @example
 * ```ts
 * import { DatabaseBuilder, DatabaseError } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * const b = new DatabaseBuilder();
 * try {
 *   b.add("10.0.0.1/8", { tag: "x" }, { file: "a.csv", line: 4 });
 *   assert.fail("host bits beyond the prefix are refused");
 * } catch (err) {
 *   assert.ok(err instanceof DatabaseError);
 *   assert.equal(err.code, "host-bits-set");
 *   assert.equal(err.line, 4);
 *   assert.match(err.message, /^a\.csv:4: /);
 * }
 * ```
 */
export class DatabaseError extends MxyError {
  /** The reason, stable across versions. */
  declare readonly code: DatabaseErrorCode;
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
   * @param options `cause`: the error underneath, if any.
   */
  constructor(
    code: DatabaseErrorCode,
    reason: string,
    source?: EntrySource,
    options?: ErrorOptions,
  ) {
    super(code, source ? `${source.file}:${source.line}: ${reason}` : reason, options);
    this.name = "DatabaseError";
    this.file = source?.file ?? null;
    this.line = source?.line ?? 0;
    this.reason = reason;
  }
}
