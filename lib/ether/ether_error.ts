/**
 * The error of the Ether capability: {@linkcode EtherError}, with a kebab-case
 * {@linkcode EtherErrorCode} and the number the protocol carries on the wire
 * ({@linkcode EtherWireError}).
 *
 * @module
 */
import { MxyError } from "../core/mxy_error.ts";

/**
 * The wire error codes of the protocol, by their protocol name: the signed 32-bit number in the
 * reserved field of an ERROR reply (`docs/PROTOCOL.md` §4). {@linkcode EtherError.wireCode} holds
 * one of them.
 *
 * @example
 * ```ts
 * import { EtherWireError } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * assert.equal(EtherWireError.NOTFOUND, -7);
 * ```
 */
export const EtherWireError = {
  /** Success. */
  OK: 0,
  /** Out of memory: a quota would be exceeded. */
  NOMEM: -1,
  /** A malformed request (bad header, handle 0, bad size, bad flags, bad argument). */
  INVALID: -2,
  /** A block's header is damaged or the block was already freed (double free, use after free). */
  CORRUPT: -3,
  /** A write larger than the block. */
  OVERFLOW: -4,
  /** A network failure (client side). */
  NETWORK: -5,
  /** An idle or partial-frame timeout. */
  TIMEOUT: -6,
  /** No such handle (or one owned by another connection), database or file. */
  NOTFOUND: -7,
  /** The command code is not known to the server. */
  UNKNOWN_COMMAND: -8,
  /** Authentication required or failed. */
  AUTH: -9,
  /** The server has reached its connection limit or is shutting down. */
  BUSY: -10,
  /** The request is not allowed (path outside `--db-dir`, no `--db-dir` configured). */
  DENIED: -11,
  /** A database could not be opened or queried. */
  DATABASE: -12,
  /** The server failed on a request for a reason of its own (a bug); the connection stays. */
  INTERNAL: -13,
} as const;

/**
 * Why an Ether operation failed. Each code but `unknown-error` stands for one wire code of
 * {@linkcode EtherWireError}:
 *
 * | code              | wire | protocol name   |
 * | ----------------- | ---: | --------------- |
 * | `out-of-memory`   |   −1 | NOMEM           |
 * | `invalid-request` |   −2 | INVALID         |
 * | `corrupt`         |   −3 | CORRUPT         |
 * | `overflow`        |   −4 | OVERFLOW        |
 * | `network`         |   −5 | NETWORK         |
 * | `timeout`         |   −6 | TIMEOUT         |
 * | `not-found`       |   −7 | NOTFOUND        |
 * | `unknown-command` |   −8 | UNKNOWN_COMMAND |
 * | `auth-failed`     |   −9 | AUTH            |
 * | `busy`            |  −10 | BUSY            |
 * | `denied`          |  −11 | DENIED          |
 * | `database-error`  |  −12 | DATABASE        |
 * | `internal`        |  −13 | INTERNAL        |
 *
 * `unknown-error` is an ERROR reply whose wire code this version does not know (from another
 * server); {@linkcode EtherError.wireCode} keeps the number.
 *
 * @example
 * ```ts
 * import { connectEther, serveEther } from "@mxy/mxy/deno";
 * import type { EtherErrorCode } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const server = await serveEther({ host: "127.0.0.1", port: 0 });
 * const client = await connectEther("127.0.0.1", { port: server.port });
 * const code: EtherErrorCode = await client.buffer(0x1234n, 4).read().then(
 *   () => "internal",
 *   (err) => err.code,
 * );
 * assert.equal(code, "not-found");
 * client.close();
 * await server.close();
 * ```
 */
export type EtherErrorCode =
  | "out-of-memory"
  | "invalid-request"
  | "corrupt"
  | "overflow"
  | "network"
  | "timeout"
  | "not-found"
  | "unknown-command"
  | "auth-failed"
  | "busy"
  | "denied"
  | "database-error"
  | "internal"
  | "unknown-error";

type WireName = Exclude<keyof typeof EtherWireError, "OK">;

/** The protocol name of each code (`unknown-error` has none of its own). */
const WIRE_NAME: Record<Exclude<EtherErrorCode, "unknown-error">, WireName> = {
  "out-of-memory": "NOMEM",
  "invalid-request": "INVALID",
  "corrupt": "CORRUPT",
  "overflow": "OVERFLOW",
  "network": "NETWORK",
  "timeout": "TIMEOUT",
  "not-found": "NOTFOUND",
  "unknown-command": "UNKNOWN_COMMAND",
  "auth-failed": "AUTH",
  "busy": "BUSY",
  "denied": "DENIED",
  "database-error": "DATABASE",
  "internal": "INTERNAL",
};

const CODE_OF_WIRE: Map<number, EtherErrorCode> = new Map(
  Object.entries(WIRE_NAME).map(([code, name]) => [EtherWireError[name], code as EtherErrorCode]),
);
const NAME_OF_WIRE: Map<number, string> = new Map(
  Object.entries(EtherWireError).map(([name, wire]) => [wire, name]),
);

/**
 * Returns the protocol name of a wire error code (`"NOMEM"`), or `"E<code>"` for an unknown one.
 * Servers start the message of an ERROR reply with it (`"OVERFLOW: WRITE of 9 bytes: …"`).
 *
 * @param wireCode The number from the reserved field of an ERROR reply.
 * @returns Its name.
 * @example
 * ```ts
 * import { etherErrorName } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * assert.equal(etherErrorName(-1), "NOMEM");
 * assert.equal(etherErrorName(-99), "E-99");
 * ```
 */
export function etherErrorName(wireCode: number): string {
  return NAME_OF_WIRE.get(wireCode) ?? `E${wireCode}`;
}

/**
 * Options for {@linkcode EtherError}.
 *
 * @example
 * ```ts
 * import { EtherError, type EtherErrorOptions } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const options: EtherErrorOptions = { wireCode: -42, cause: new Error("underneath") };
 * const e = new EtherError("unknown-error", "Another server said -42", options);
 * assert.equal(e.wireCode, -42);
 * assert.equal((e.cause as Error).message, "underneath");
 * ```
 */
export interface EtherErrorOptions extends ErrorOptions {
  /**
   * The number on the wire, when it is not the code's own: an unknown code from another server
   * (code `unknown-error`). Default: the code's number in {@linkcode EtherWireError}.
   */
  wireCode?: number;
}

/**
 * A failure of an Ether operation: a kebab-case {@linkcode EtherErrorCode} and the number the
 * protocol carries for it ({@linkcode EtherError.wireCode}). The server answers an EtherError
 * with an ERROR reply holding that number; the client rejects with one when it gets such a reply.
 *
 * @example
 * ```ts
 * import { EtherError, EtherWireError } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const e = new EtherError("out-of-memory", "ALLOC of 10 bytes failed");
 * assert.equal(e.code, "out-of-memory");
 * assert.equal(e.wireCode, EtherWireError.NOMEM);
 * assert.equal(EtherError.fromWire(-7, "no block").code, "not-found");
 * ```
 */
export class EtherError extends MxyError {
  /** Why it failed. */
  declare readonly code: EtherErrorCode;
  /** The protocol's number for it (negative), as in {@linkcode EtherWireError}. */
  readonly wireCode: number;

  /**
   * Creates the error.
   *
   * @param code Why it failed.
   * @param message What failed and the state it was in.
   * @param options `wireCode` for an unknown wire code, `cause` for the error underneath.
   */
  constructor(code: EtherErrorCode, message: string, options: EtherErrorOptions = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "EtherError";
    this.wireCode = options.wireCode ??
      (code === "unknown-error" ? EtherWireError.INTERNAL : EtherWireError[WIRE_NAME[code]]);
  }

  /**
   * The error for a wire code, as an ERROR reply carries it.
   *
   * @param wireCode The number from the reply's reserved field.
   * @param message What failed.
   * @returns The error; code `unknown-error` (keeping the number) when the code is not known.
   * @example
   * ```ts
   * import { EtherError } from "@mxy/mxy/ether";
   * import assert from "node:assert/strict";
   * const e = EtherError.fromWire(-42, "from another server");
   * assert.equal(e.code, "unknown-error");
   * assert.equal(e.wireCode, -42);
   * ```
   */
  static fromWire(wireCode: number, message: string): EtherError {
    return new EtherError(CODE_OF_WIRE.get(wireCode) ?? "unknown-error", message, { wireCode });
  }
}
