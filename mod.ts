/**
 * mxy: a toolkit for network-security data. IOC databases (IP networks, exact strings and glob
 * patterns in one MaxMind-DB-compatible file, queried without allocation), pcap processing, BPF
 * bytecode and the Ether remote-memory protocol.
 *
 * This module imports only relative paths, so it can be imported straight from a URL.
 *
 * @module
 */
export * from "./lib/format/mod.ts";
export * from "./lib/db/mod.ts";
export * from "./lib/pcap/mod.ts";
export * from "./lib/dpi/mod.ts";
export * from "./lib/bpf/mod.ts";
export * from "./lib/ether/mod.ts";
export { openDatabase, type OpenDatabaseOptions } from "./lib/runtime/database.ts";
export { VERSION } from "./lib/core/version.ts";
export { MxyError } from "./lib/core/mxy_error.ts";
