/**
 * mxy: IOC databases for network-security data. This entry point is the database API: build a
 * database from threat feeds (IP networks, exact strings and glob patterns, each with JSON-like
 * data) into one file that is a MaxMind DB, open it (from bytes anywhere, from a file in Deno),
 * query it without allocating, validate and export it.
 *
 * The other capabilities have entry points of their own: `@mxy/mxy/db` (all of the database
 * capability), `@mxy/mxy/pcap` (captures), `@mxy/mxy/dpi` (protocol plugins), `@mxy/mxy/bpf`
 * (eBPF and classic BPF), `@mxy/mxy/ether` (the Ether protocol), `@mxy/mxy/deno` (files,
 * sockets and processes) and `@mxy/mxy/testing`. This module imports only relative paths, so it
 * can be imported straight from a URL, and everything but {@linkcode openDatabase} and
 * {@linkcode readFeed} runs in any JavaScript runtime.
 *
 * @example
 * ```ts
 * import { Database, DatabaseBuilder } from "@mxy/mxy";
 * import assert from "node:assert/strict";
 * const builder = new DatabaseBuilder();
 * builder.add("198.51.100.0/24", { threat: "botnet-c2", confidence: 90 });
 * builder.add("*.evil.example", { threat: "phishing" });
 * const db = Database.fromBytes(builder.build());
 * assert.equal(db.lookup("198.51.100.7")?.kind, "ip");
 * assert.deepEqual(db.lookup("login.evil.example")?.data, { threat: "phishing" });
 * ```
 *
 * @module
 */

// Building
export { DatabaseBuilder } from "./lib/db/builder.ts";
export type {
  BuildStats,
  DatabaseBuilderOptions,
  DuplicatePolicy,
} from "./lib/db/builder_options.ts";
export type { MatchMode } from "./lib/db/section_encoder.ts";
export {
  type MmdbTypeName,
  typed,
  TypedValue,
  type WritableMap,
  type WritableValue,
} from "./lib/format/data_writer.ts";

// Opening and querying
export {
  Database,
  type DatabaseMapMode,
  type DatabaseOptions,
  type IpResult,
} from "./lib/db/database.ts";
export { openDatabase, type OpenDatabaseOptions } from "./lib/runtime/database.ts";
export {
  MATCH_GLOB,
  MATCH_LITERAL,
  type StringMatch,
  StringMatches,
  type StringResult,
} from "./lib/db/string_match.ts";
export { type MmdbMap, type MmdbValue, valueToJson } from "./lib/format/value.ts";
export type { DatabaseLayout, Metadata, MxyCounts } from "./lib/format/metadata.ts";

// Validating and exporting
export {
  validateDatabase,
  type ValidateOptions,
  type ValidationProblem,
  type ValidationReport,
  type ValidationStats,
} from "./lib/db/validate.ts";
export {
  countNetworks,
  exportJsonLines,
  iterateNetworks,
  type IterateNetworksOptions,
  iterateStringEntries,
  type NetworkCounts,
  type NetworkEntry,
  type StringEntry,
} from "./lib/db/export.ts";

// Feeds
export {
  FEED_FORMATS,
  type FeedFormat,
  type FeedRecord,
  parseFeed,
  type ParseFeedOptions,
  parseFeedStream,
  type ParseFeedStreamOptions,
} from "./lib/db/feeds/mod.ts";
export { readFeed, streamFeed, type StreamFeedOptions } from "./lib/runtime/feed_file.ts";

// Errors and the version
export { MxyError } from "./lib/core/mxy_error.ts";
export {
  DatabaseError,
  type DatabaseErrorCode,
  type EntrySource,
} from "./lib/db/database_error.ts";
export { FormatError, type FormatErrorCode } from "./lib/format/format_error.ts";
export { IpAddressError, type IpAddressErrorCode } from "./lib/core/ip.ts";
export { GlobError, type GlobErrorCode } from "./lib/pattern/mod.ts";
export { VERSION } from "./lib/core/version.ts";
