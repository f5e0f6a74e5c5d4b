/**
 * The base class of every error mxy's library throws on purpose: each capability has one
 * subclass (`FormatError`, `PcapError`, `BpfError`, …) with a string `code` that is stable across
 * versions, so a caller can tell failures apart without parsing messages.
 *
 * @module
 */

/**
 * An error mxy throws on purpose, with a stable string {@linkcode MxyError.code}. Each capability
 * has one subclass; `instanceof MxyError` catches them all.
 *
 * @example
 * ```ts
 * import { MxyError } from "@mxy/mxy";
 * import { parseIp } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * try {
 *   parseIp("01.2.3.4");
 *   assert.fail("a leading zero is not accepted");
 * } catch (err) {
 *   assert.ok(err instanceof MxyError);
 *   assert.equal(err.code, "bad-address");
 * }
 * ```
 */
export class MxyError extends Error {
  /** Why it failed, in kebab-case (`"bad-address"`, `"truncated-record"`, …). */
  readonly code: string;

  /**
   * Creates the error.
   *
   * @param code Why it failed, in kebab-case.
   * @param message What failed and the state it was in.
   * @param options `cause`: the error underneath, if any.
   */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MxyError";
    this.code = code;
  }
}
