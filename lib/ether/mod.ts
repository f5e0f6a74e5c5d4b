/**
 * mxy ether: the Ether wire protocol (v1), its server (remote memory and database queries) and
 * its client. See `docs/PROTOCOL.md`.
 *
 * @module
 */
export * from "./protocol.ts";
export * from "./memory_store.ts";
export * from "./database_engine.ts";
export * from "./server.ts";
export * from "./client.ts";
export * from "./db_engine.ts";
