/**
 * The error of the pattern layer: a glob that does not parse.
 *
 * @module
 */
import { MxyError } from "../core/mxy_error.ts";

/**
 * Why a glob was rejected: a set never closed (`unclosed-set`), an empty set `[]`
 * (`empty-set`), a range whose end comes before its start (`reversed-range`), a backslash with
 * nothing after it (`trailing-backslash`).
 */
export type GlobErrorCode = "unclosed-set" | "empty-set" | "reversed-range" | "trailing-backslash";

/**
 * A malformed glob pattern, with the reason and the position (UTF-16 index) in the pattern.
 *
 * @example
 * ```ts
 * import { compileGlob, GlobError } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * try {
 *   compileGlob("ab[c");
 *   assert.fail("an unclosed set is refused");
 * } catch (err) {
 *   assert.ok(err instanceof GlobError);
 *   assert.equal(err.code, "unclosed-set");
 *   assert.equal(err.position, 2);
 * }
 * ```
 */
export class GlobError extends MxyError {
  /** The reason, stable across versions. */
  declare readonly code: GlobErrorCode;
  /** The UTF-16 index in the pattern where the problem starts. */
  readonly position: number;

  /**
   * Creates the error.
   *
   * @param code The reason.
   * @param message What is wrong.
   * @param position Where in the pattern (a UTF-16 index).
   */
  constructor(code: GlobErrorCode, message: string, position: number) {
    super(code, message);
    this.name = "GlobError";
    this.position = position;
  }
}
