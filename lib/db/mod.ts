/**
 * `@mxy/mxy/db`: IOC databases in the MaxMind DB format. Build them from IP networks, exact
 * strings and glob patterns ({@linkcode DatabaseBuilder}, feeds with {@linkcode parseFeed}),
 * query them from bytes in any JavaScript runtime ({@linkcode Database}), check and export them
 * ({@linkcode validateDatabase}, {@linkcode exportJsonLines}); with the IP address and glob
 * functions they rest on. Opening files (read or memory-mapped) is `openDatabase` of
 * `@mxy/mxy/deno`.
 *
 * @example
 * ```ts
 * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * const builder = new DatabaseBuilder();
 * builder.add("198.51.100.0/24", { threat: "scanner" });
 * builder.add("*.evil.example", { threat: "phishing" });
 * const db = Database.fromBytes(builder.build());
 * assert.deepEqual(db.lookup("198.51.100.7")?.data, { threat: "scanner" });
 * assert.deepEqual(db.lookup("login.evil.example")?.data, { threat: "phishing" });
 * ```
 *
 * @module
 */

// Building
export { DatabaseBuilder } from "./builder.ts";
export type { BuildStats, DatabaseBuilderOptions, DuplicatePolicy } from "./builder_options.ts";
export type {
  MatchMode,
  SectionContext,
  SectionEncoder,
  SectionEntries,
} from "./section_encoder.ts";
export type { SectionParts } from "../format/section_parts.ts";
export {
  type MmdbTypeName,
  typed,
  TypedValue,
  type WritableMap,
  type WritableValue,
} from "../format/data_writer.ts";

// Querying
export {
  Database,
  type DatabaseChecks,
  type DatabaseMapMode,
  type DatabaseOptions,
  type IpResult,
  type LookupSpanOptions,
} from "./database.ts";
export {
  MATCH_GLOB,
  MATCH_LITERAL,
  type StringMatch,
  StringMatches,
  type StringResult,
} from "./string_match.ts";
export { type MmdbMap, type MmdbValue, valueToJson } from "../format/value.ts";
export type { DatabaseLayout, Metadata, MxyCounts } from "../format/metadata.ts";

// Checking and exporting
export {
  validateDatabase,
  type ValidateOptions,
  type ValidationProblem,
  type ValidationReport,
  type ValidationStats,
} from "./validate.ts";
export {
  countNetworks,
  exportJsonLines,
  type ExportJsonLinesOptions,
  iterateNetworks,
  type IterateNetworksOptions,
  iterateStringEntries,
  type NetworkCounts,
  type NetworkEntry,
  type StringEntry,
} from "./export.ts";

// Feeds
export {
  FEED_FORMATS,
  type FeedFormat,
  feedFormatOf,
  type FeedRecord,
  parseFeed,
  type ParseFeedOptions,
  parseFeedStream,
  type ParseFeedStreamOptions,
  sniffFeedFormat,
} from "./feeds/mod.ts";

// IP addresses (the one IP module, lib/core/ip.ts)
export {
  compareIp,
  formatIp,
  formatIpv4,
  formatIpv6,
  formatIpWords,
  formatNetwork,
  type IpAddress,
  IpAddressError,
  type IpAddressErrorCode,
  type IpNetwork,
  isIp,
  networkContains,
  parseCidr,
  type ParseCidrOptions,
  parseIp,
  parseIpBytesInto,
  parseIpInto,
  parseIpv4,
} from "../core/ip.ts";

// Globs
export {
  type CompiledGlob,
  compileGlob,
  GlobError,
  type GlobErrorCode,
  globMatches,
  type GlobOptions,
  hasGlobSyntax,
  matchGlob,
} from "../pattern/mod.ts";

// Errors (each capability's class extends MxyError)
export { MxyError } from "../core/mxy_error.ts";
export { DatabaseError, type DatabaseErrorCode, type EntrySource } from "./database_error.ts";
export { FormatError, type FormatErrorCode } from "../format/format_error.ts";
