/**
 * The error of the Deno adapter layer: an operation that needs the operating system (a file, a
 * process, a socket, a memory map) was called where it cannot run, or the system refused it.
 *
 * @module
 */
import { MxyError } from "../core/mxy_error.ts";

/**
 * Why an operating-system operation failed: `unsupported-runtime` (called outside Deno, e.g. in
 * Node or a browser), `permission` (Deno refused it: run with the `--allow-*` flag the message
 * names), `unsupported` (this operating system cannot do it), `closed` (the file or connection
 * was already closed).
 */
export type RuntimeErrorCode = "unsupported-runtime" | "permission" | "unsupported" | "closed";

/**
 * An operation of `@mxy/mxy/deno` could not run here. Outside Deno every such operation throws
 * this with code `unsupported-runtime` instead of `ReferenceError: Deno is not defined`.
 *
 * @example
 * ```ts
 * import { RuntimeError } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * const err = new RuntimeError("unsupported-runtime", "openDatabase() needs Deno");
 * assert.equal(err.code, "unsupported-runtime");
 * assert.equal(err.name, "RuntimeError");
 * ```
 */
export class RuntimeError extends MxyError {
  /** The reason, stable across versions. */
  declare readonly code: RuntimeErrorCode;

  /**
   * Creates the error.
   *
   * @param code The reason.
   * @param message What failed.
   * @param options `cause`: the error underneath, if any.
   */
  constructor(code: RuntimeErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = "RuntimeError";
  }
}
