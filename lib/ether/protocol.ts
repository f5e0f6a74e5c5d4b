/**
 * The Ether wire protocol, version 1: the 24-byte big-endian header, command and flag codes and
 * the capability payload of PONG (the error codes are in `ether_error.ts`).
 *
 * Header layout (all fields big-endian):
 *
 * | offset | size | field    |
 * | ------ | ---- | -------- |
 * | 0      | 4    | magic `0xE7E7E7E7` |
 * | 4      | 1    | version `1` |
 * | 5      | 1    | command |
 * | 6      | 2    | flags |
 * | 8      | 8    | handle |
 * | 16     | 4    | size |
 * | 20     | 4    | reserved (error code in ERROR replies) |
 *
 * See `docs/PROTOCOL.md` for the full description.
 *
 * @module
 */
import {
  FIELD_COMMAND,
  FIELD_FLAGS,
  FIELD_HANDLE,
  FIELD_MAGIC,
  FIELD_RESERVED,
  FIELD_SIZE,
  FIELD_VERSION,
} from "./_header_fields.ts";

/**
 * The magic number that starts every header (bytes `e7 e7 e7 e7`).
 *
 * @example
 * ```ts
 * import { encodeEtherHeader, ETHER_MAGIC } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const bytes = encodeEtherHeader({ command: 1, flags: 0, handle: 0n, size: 0, reserved: 0 });
 * assert.equal(new DataView(bytes.buffer).getUint32(0), ETHER_MAGIC);
 * ```
 */
export const ETHER_MAGIC = 0xe7e7e7e7;
/**
 * The protocol version this module speaks: byte 4 of every header.
 *
 * @example
 * ```ts
 * import { encodeEtherHeader, ETHER_VERSION } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const bytes = encodeEtherHeader({ command: 1, flags: 0, handle: 0n, size: 0, reserved: 0 });
 * assert.equal(bytes[4], ETHER_VERSION);
 * ```
 */
export const ETHER_VERSION = 1;
/**
 * The length of a header in bytes; a payload of `size` bytes follows it.
 *
 * @example
 * ```ts
 * import { encodeEtherMessage, ETHER_HEADER_SIZE, EtherCommand } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const m = encodeEtherMessage({ command: EtherCommand.WRITE, handle: 1n }, new Uint8Array(5));
 * assert.equal(m.length, ETHER_HEADER_SIZE + 5);
 * ```
 */
export const ETHER_HEADER_SIZE = 24;
/**
 * The largest payload (and `size` field) accepted: 16 MiB.
 *
 * @example
 * ```ts
 * import { decodeEtherHeader, encodeEtherHeader, ETHER_MAX_PAYLOAD, validateEtherHeader } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const big = { command: 0x20, flags: 0, handle: 1n, size: ETHER_MAX_PAYLOAD + 1, reserved: 0 };
 * assert.match(validateEtherHeader(decodeEtherHeader(encodeEtherHeader(big))) ?? "", /limit/);
 * ```
 */
export const ETHER_MAX_PAYLOAD: number = 16 * 1024 * 1024;
/**
 * The default TCP port of servers and clients.
 *
 * @example
 * ```ts
 * import { ETHER_DEFAULT_PORT } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * assert.equal(ETHER_DEFAULT_PORT, 9999);
 * ```
 */
export const ETHER_DEFAULT_PORT = 9999;

/**
 * The command codes of the header's `command` field (byte 5). 0x30–0x3F and 0x40–0x4F are
 * reserved for process and cluster operations.
 *
 * @example
 * ```ts
 * import { encodeEtherMessage, EtherCommand } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * assert.equal(encodeEtherMessage({ command: EtherCommand.ALLOC, size: 64 })[5], 0x10);
 * ```
 */
export const EtherCommand = {
  /** Liveness check; answered by PONG. With {@linkcode EtherFlag.CAPABILITIES}, PONG carries capabilities. */
  PING: 0x01,
  /** Answer to PING. */
  PONG: 0x02,
  /** Authentication: payload is the token. Required first request when the server has a token. */
  AUTH: 0x03,
  /** Allocate `size` bytes; answered by OK with the new handle. */
  ALLOC: 0x10,
  /** Free the block `handle`. */
  FREE: 0x11,
  /** Resize the block `handle` to `size` bytes, keeping its contents. */
  REALLOC: 0x12,
  /** Write the payload at the start of block `handle`. */
  WRITE: 0x20,
  /** Read up to `size` bytes from the start of block `handle` (capped at the block's size). */
  READ: 0x21,
  /** Open a database file; payload: its path relative to the server's `--db-dir`. */
  DB_OPEN: 0x50,
  /** Open a database from the bytes of the memory block `handle` (uploaded with ALLOC + WRITE). */
  DB_LOAD: 0x51,
  /** Query database `handle` (0: the server's preloaded one); payload: the query; reply: JSON. */
  DB_QUERY: 0x52,
  /** Close database `handle`. */
  DB_CLOSE: 0x53,
  /** Server statistics as JSON. */
  STATS: 0x54,
  /** Success reply. */
  OK: 0xf0,
  /** Failure reply: the error code is in the reserved field. */
  ERROR: 0xff,
} as const;

/**
 * The bits of the header's `flags` field (bytes 6–7).
 *
 * @example
 * ```ts
 * import { decodeEtherHeader, encodeEtherMessage, EtherCommand, EtherFlag } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const ping = encodeEtherMessage({ command: EtherCommand.PING, flags: EtherFlag.CAPABILITIES });
 * assert.equal(decodeEtherHeader(ping).flags & EtherFlag.CAPABILITIES, EtherFlag.CAPABILITIES);
 * ```
 */
export const EtherFlag = {
  /**
   * On ALLOC, REALLOC and READ (where `size` is a length, not a payload length): no payload bytes
   * follow the header. Without it the server reads and discards `size` bytes (legacy framing).
   */
  NO_PAYLOAD: 0x0001,
  /** On PING: asks for the capability payload in PONG. */
  CAPABILITIES: 0x0002,
  /** On any request: an ERROR reply carries a UTF-8 message as its payload. */
  ERROR_MESSAGE: 0x0004,
} as const;

/** All flag bits this version defines. */
export const ETHER_KNOWN_FLAGS: number = EtherFlag.NO_PAYLOAD | EtherFlag.CAPABILITIES |
  EtherFlag.ERROR_MESSAGE;

const COMMAND_NAMES: Map<number, string> = new Map(
  Object.entries(EtherCommand).map(([name, code]) => [code, name]),
);

/**
 * Returns the name of a command code (`"ALLOC"`), or `"0x.."` for an unknown one.
 *
 * @param code The command code.
 * @returns Its name.
 * @example
 * ```ts
 * import { etherCommandName } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * assert.equal(etherCommandName(0x10), "ALLOC");
 * assert.equal(etherCommandName(0x77), "0x77");
 * ```
 */
export function etherCommandName(code: number): string {
  return COMMAND_NAMES.get(code) ?? `0x${code.toString(16).padStart(2, "0")}`;
}

/**
 * Whether a request's `size` field is a length (ALLOC, REALLOC, READ) rather than the length of
 * a payload that follows.
 *
 * @param command The command code.
 * @returns `true` for ALLOC, REALLOC and READ.
 * @example
 * ```ts
 * import { EtherCommand, etherSizeIsLength } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * assert.equal(etherSizeIsLength(EtherCommand.READ), true);
 * assert.equal(etherSizeIsLength(EtherCommand.WRITE), false);
 * ```
 */
export function etherSizeIsLength(command: number): boolean {
  return command === EtherCommand.ALLOC || command === EtherCommand.REALLOC ||
    command === EtherCommand.READ;
}

/**
 * A decoded header.
 *
 * @example
 * ```ts
 * import { decodeEtherHeader, encodeEtherHeader, type EtherHeader } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const h: EtherHeader = { command: 0x21, flags: 1, handle: 9n, size: 16, reserved: 0 };
 * assert.equal(decodeEtherHeader(encodeEtherHeader(h)).size, 16);
 * ```
 */
export interface EtherHeader {
  /** The command code. */
  command: number;
  /** The flag bits. */
  flags: number;
  /** The handle (unsigned 64-bit). */
  handle: bigint;
  /** The size field (unsigned 32-bit). */
  size: number;
  /** The reserved field as a signed 32-bit integer (the error code in ERROR replies). */
  reserved: number;
  /** The magic number as read (always {@linkcode ETHER_MAGIC} for an encoded header). */
  magic?: number;
  /** The version as read. */
  version?: number;
}

/**
 * Options for {@linkcode encodeEtherHeader}.
 *
 * @example
 * ```ts
 * import { encodeEtherHeader, type EncodeEtherHeaderOptions } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const buf = new Uint8Array(30);
 * const options: EncodeEtherHeaderOptions = { into: buf, offset: 6, version: 2 };
 * encodeEtherHeader({ command: 1, flags: 0, handle: 0n, size: 0, reserved: 0 }, options);
 * assert.equal(buf[6 + 4], 2);
 * ```
 */
export interface EncodeEtherHeaderOptions {
  /** Where to write; a new 24-byte array when absent. */
  into?: Uint8Array;
  /** Offset in `into`. Default 0. */
  offset?: number;
  /** Magic to write instead of {@linkcode ETHER_MAGIC} (for tests of bad input). */
  magic?: number;
  /** Version to write instead of {@linkcode ETHER_VERSION} (for tests of bad input). */
  version?: number;
}

/**
 * Encodes a header into 24 big-endian bytes.
 *
 * @param header The fields; `reserved` may be negative (an error code).
 * @param options Target buffer and overrides.
 * @returns The buffer written to.
 * @example
 * ```ts
 * import { EtherCommand, encodeEtherHeader } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const b = encodeEtherHeader({ command: EtherCommand.PING, flags: 0, handle: 0n, size: 0, reserved: 0 });
 * assert.deepEqual([...b.subarray(0, 6)], [0xe7, 0xe7, 0xe7, 0xe7, 1, 1]);
 * ```
 */
export function encodeEtherHeader(
  header: EtherHeader,
  options: EncodeEtherHeaderOptions = {},
): Uint8Array {
  const out = options.into ?? new Uint8Array(ETHER_HEADER_SIZE);
  const o = options.offset ?? 0;
  const v = new DataView(out.buffer, out.byteOffset + o, ETHER_HEADER_SIZE);
  v.setUint32(FIELD_MAGIC, (options.magic ?? ETHER_MAGIC) >>> 0);
  v.setUint8(FIELD_VERSION, options.version ?? ETHER_VERSION);
  v.setUint8(FIELD_COMMAND, header.command);
  v.setUint16(FIELD_FLAGS, header.flags);
  v.setBigUint64(FIELD_HANDLE, BigInt.asUintN(64, header.handle));
  v.setUint32(FIELD_SIZE, header.size >>> 0);
  v.setInt32(FIELD_RESERVED, header.reserved | 0);
  return out;
}

/**
 * Decodes 24 bytes into a header without validating it (see {@linkcode validateEtherHeader}).
 *
 * @param bytes At least 24 bytes.
 * @param offset Where the header starts. Default 0.
 * @returns The header, with `magic` and `version` as read.
 * @example
 * ```ts
 * import { decodeEtherHeader, encodeEtherHeader } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const h = decodeEtherHeader(encodeEtherHeader({ command: 0x10, flags: 1, handle: 7n, size: 64, reserved: -2 }));
 * assert.equal(h.handle, 7n);
 * assert.equal(h.reserved, -2);
 * ```
 */
export function decodeEtherHeader(bytes: Uint8Array, offset = 0): EtherHeader {
  if (bytes.length - offset < ETHER_HEADER_SIZE) {
    throw new RangeError(
      `Ether header needs ${ETHER_HEADER_SIZE} bytes, got ${
        bytes.length - offset
      } at byte ${offset}`,
    );
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, ETHER_HEADER_SIZE);
  return {
    magic: v.getUint32(FIELD_MAGIC),
    version: v.getUint8(FIELD_VERSION),
    command: v.getUint8(FIELD_COMMAND),
    flags: v.getUint16(FIELD_FLAGS),
    handle: v.getBigUint64(FIELD_HANDLE),
    size: v.getUint32(FIELD_SIZE),
    reserved: v.getInt32(FIELD_RESERVED),
  };
}

/**
 * Options for {@linkcode validateEtherHeader}.
 *
 * @example
 * ```ts
 * import { decodeEtherHeader, encodeEtherHeader, validateEtherHeader } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const h = decodeEtherHeader(encodeEtherHeader({ command: 0x20, flags: 0, handle: 1n, size: 100, reserved: 0 }));
 * assert.equal(validateEtherHeader(h), null);
 * assert.match(validateEtherHeader(h, { maxPayload: 64 }) ?? "", /over the limit of 64 bytes/);
 * ```
 */
export interface ValidateEtherHeaderOptions {
  /** The largest `size` accepted. Default {@linkcode ETHER_MAX_PAYLOAD}. */
  maxPayload?: number;
}

/**
 * Checks the fields that make a stream trustworthy: magic, version and size. A header that fails
 * gets ERROR INVALID and the connection is closed.
 *
 * @param header A decoded header.
 * @param options The size limit.
 * @returns `null` when valid, otherwise the reason.
 * @example
 * ```ts
 * import { decodeEtherHeader, encodeEtherHeader, validateEtherHeader } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const bad = decodeEtherHeader(encodeEtherHeader({ command: 1, flags: 0, handle: 0n, size: 0, reserved: 0 }, { magic: 1 }));
 * assert.match(validateEtherHeader(bad) ?? "", /magic/);
 * ```
 */
export function validateEtherHeader(
  header: EtherHeader,
  options: ValidateEtherHeaderOptions = {},
): string | null {
  return etherHeaderProblem(
    header.magic ?? ETHER_MAGIC,
    header.version ?? ETHER_VERSION,
    header.size,
    options.maxPayload ?? ETHER_MAX_PAYLOAD,
  );
}

/**
 * What is wrong with the fields that make a stream trustworthy, or `null`: the one copy of the
 * check, shared by {@linkcode validateEtherHeader} and the server's and client's hot paths
 * (which read the fields without building a header object).
 *
 * @param magic The magic field.
 * @param version The version field.
 * @param size The size field.
 * @param maxPayload The largest size accepted.
 * @returns The reason, naming the field's offset, or `null` when valid.
 */
export function etherHeaderProblem(
  magic: number,
  version: number,
  size: number,
  maxPayload: number,
): string | null {
  if (magic !== ETHER_MAGIC) {
    return `Bad magic 0x${
      magic.toString(16).padStart(8, "0")
    } at byte ${FIELD_MAGIC} of the header`;
  }
  if (version !== ETHER_VERSION) {
    return `Unsupported version ${version} at byte ${FIELD_VERSION} of the header (expected ${ETHER_VERSION})`;
  }
  if (size > maxPayload) {
    return `Size ${size} at byte ${FIELD_SIZE} of the header is over the limit of ${maxPayload} bytes`;
  }
  return null;
}

/**
 * Encodes a whole message: header (with `size` set to the payload's length unless given) and
 * payload in one buffer.
 *
 * @param header The fields; `size` defaults to the payload's length.
 * @param payload The payload, if any.
 * @returns Header and payload.
 * @example
 * ```ts
 * import { EtherCommand, encodeEtherMessage } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const m = encodeEtherMessage({ command: EtherCommand.WRITE, handle: 5n }, new Uint8Array([9, 9]));
 * assert.equal(m.length, 26);
 * assert.equal(m[19], 2);
 * ```
 */
export function encodeEtherMessage(
  header: Partial<EtherHeader> & { command: number },
  payload?: Uint8Array,
): Uint8Array {
  const len = payload?.length ?? 0;
  const out = new Uint8Array(ETHER_HEADER_SIZE + len);
  encodeEtherHeader({
    command: header.command,
    flags: header.flags ?? 0,
    handle: header.handle ?? 0n,
    size: header.size ?? len,
    reserved: header.reserved ?? 0,
  }, { into: out });
  if (payload) out.set(payload, ETHER_HEADER_SIZE);
  return out;
}

/**
 * The bits of a PONG capability payload ({@linkcode EtherCapabilities.bits}).
 *
 * @example
 * ```ts
 * import { decodeEtherCapabilities, encodeEtherCapabilities, EtherCapability } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const bits = EtherCapability.NO_PAYLOAD | EtherCapability.DATABASE;
 * const caps = decodeEtherCapabilities(encodeEtherCapabilities({ bits, maxPayload: 1, software: "x" }));
 * assert.ok(((caps?.bits ?? 0) & EtherCapability.DATABASE) !== 0);
 * ```
 */
export const EtherCapability = {
  /** The server honours {@linkcode EtherFlag.NO_PAYLOAD}. */
  NO_PAYLOAD: 0x0001,
  /** The server sends messages with ERROR when asked ({@linkcode EtherFlag.ERROR_MESSAGE}). */
  ERROR_MESSAGE: 0x0002,
  /** REALLOC is implemented. */
  REALLOC: 0x0004,
  /** The database commands 0x50–0x54 are implemented. */
  DATABASE: 0x0008,
  /** The server required AUTH. */
  AUTH: 0x0010,
} as const;

/**
 * What a server says about itself in PONG when asked with {@linkcode EtherFlag.CAPABILITIES}.
 *
 * @example
 * ```ts
 * import { decodeEtherCapabilities, encodeEtherCapabilities, type EtherCapabilities } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const caps: EtherCapabilities = { bits: 0x0f, maxPayload: 1 << 24, software: "mxy/1.2.3" };
 * assert.deepEqual(decodeEtherCapabilities(encodeEtherCapabilities(caps)), caps);
 * ```
 */
export interface EtherCapabilities {
  /** {@linkcode EtherCapability} bits. */
  bits: number;
  /** The largest payload it accepts. */
  maxPayload: number;
  /** Software name and version, e.g. `"mxy/0.1.0"`. */
  software: string;
}

/**
 * Encodes a capability payload: `bits` (u32), `maxPayload` (u32), then the software name
 * (UTF-8), all big-endian.
 *
 * @param caps The capabilities.
 * @returns The payload.
 * @example
 * ```ts
 * import { decodeEtherCapabilities, encodeEtherCapabilities } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const c = { bits: 3, maxPayload: 1024, software: "mxy" };
 * assert.deepEqual(decodeEtherCapabilities(encodeEtherCapabilities(c)), c);
 * ```
 */
export function encodeEtherCapabilities(caps: EtherCapabilities): Uint8Array {
  const name = new TextEncoder().encode(caps.software);
  const out = new Uint8Array(8 + name.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, caps.bits >>> 0);
  v.setUint32(4, caps.maxPayload >>> 0);
  out.set(name, 8);
  return out;
}

/**
 * Decodes a capability payload; an empty payload (a reference server) gives `null`.
 *
 * @param payload PONG's payload.
 * @returns The capabilities, or `null` when the payload is shorter than 8 bytes.
 * @example
 * ```ts
 * import { decodeEtherCapabilities } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * assert.equal(decodeEtherCapabilities(new Uint8Array(0)), null);
 * ```
 */
export function decodeEtherCapabilities(payload: Uint8Array): EtherCapabilities | null {
  if (payload.length < 8) return null;
  const v = new DataView(payload.buffer, payload.byteOffset, payload.length);
  return {
    bits: v.getUint32(0),
    maxPayload: v.getUint32(4),
    software: new TextDecoder().decode(payload.subarray(8)),
  };
}
