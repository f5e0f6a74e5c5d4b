/**
 * mxy db: public face of this capability.
 *
 * @module
 */
export * from "./ip_address.ts";
export * from "./database_error.ts";
export * from "./builder.ts";
export * from "./builder_options.ts";
export * from "./section_encoder.ts";
export * from "./database.ts";
export * from "./validate.ts";
export * from "./export.ts";
export * from "./feeds/mod.ts";
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
export * from "./string_match.ts";
export * from "./pattern_sections.ts";
export { asciiLower } from "../core/ascii.ts";
export { FormatError, type FormatErrorCode } from "../format/format_error.ts";
export { type MmdbMap, type MmdbValue, valueToJson } from "../format/value.ts";
export {
  type MmdbTypeName,
  typed,
  TypedValue,
  type WritableMap,
  type WritableValue,
} from "../format/data_writer.ts";
export type { DatabaseLayout, Metadata, MxyCounts } from "../format/metadata.ts";
