/**
 * mxy ether: the Ether wire protocol (v1) — its codec and constants, the typed
 * {@linkcode EtherError} — and runtime-neutral cores of its server ({@linkcode EtherServer}, with
 * the {@linkcode MemoryStore} of remote blocks and a pluggable {@linkcode EtherDatabaseEngine})
 * and client ({@linkcode EtherClient}), which run over any {@linkcode EtherByteStream}. The TCP
 * adapters are `serveEther` and `connectEther` in `@mxy/mxy/deno`. See `docs/PROTOCOL.md`.
 *
 * @example
 * ```ts
 * import { connectEther, serveEther } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * const server = await serveEther({ host: "127.0.0.1", port: 0 });
 * const client = await connectEther("127.0.0.1", { port: server.port });
 * assert.equal(typeof (await client.ping()), "number");
 * client.close();
 * assert.equal((await server.close()).connections, 0);
 * ```
 *
 * @module
 */
export {
  decodeEtherCapabilities,
  decodeEtherHeader,
  encodeEtherCapabilities,
  encodeEtherHeader,
  type EncodeEtherHeaderOptions,
  encodeEtherMessage,
  ETHER_DEFAULT_PORT,
  ETHER_HEADER_SIZE,
  ETHER_MAGIC,
  ETHER_MAX_PAYLOAD,
  ETHER_VERSION,
  type EtherCapabilities,
  EtherCapability,
  EtherCommand,
  etherCommandName,
  EtherFlag,
  type EtherHeader,
  etherSizeIsLength,
  validateEtherHeader,
  type ValidateEtherHeaderOptions,
} from "./protocol.ts";
export { MxyError } from "../core/mxy_error.ts";
export {
  EtherError,
  type EtherErrorCode,
  etherErrorName,
  type EtherErrorOptions,
  EtherWireError,
} from "./ether_error.ts";
export type { EtherByteStream, EtherListener } from "./byte_stream.ts";
export {
  ETHER_BLOCK_OVERHEAD,
  MemoryStore,
  type MemoryStoreOptions,
  type MemoryStoreStats,
} from "./memory_store.ts";
export {
  type EtherDatabase,
  type EtherDatabaseEngine,
  mxyDatabaseEngine,
} from "./database_engine.ts";
export { EtherServer, type EtherServerOptions, type EtherServerStats } from "./server.ts";
export {
  EtherClient,
  type EtherClientOptions,
  type EtherReply,
  type EtherRequestOptions,
  RemoteBuffer,
} from "./client.ts";
