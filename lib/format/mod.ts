/**
 * The `.mxy` binary layout shared by the builder and the query engine: a MaxMind DB (search
 * tree, data section, metadata) with extension sections for literal strings and glob patterns.
 * See docs/FORMAT.md.
 *
 * This is the layer's internal face for lib/db (it has no entry point of its own): what a user
 * needs of it (values, metadata, `FormatError`) is re-exported by `@mxy/mxy/db`. The section
 * layouts' named offsets stay in their files.
 *
 * @module
 */
export * from "./value.ts";
export * from "./format_error.ts";
export * from "./data_writer.ts";
export * from "./metadata_writer.ts";
export * from "./mmdb_decoder.ts";
export * from "./metadata.ts";
export * from "./section_parts.ts";
export {
  encodeLiteralKeys,
  encodeLiteralSection,
  type LiteralEntry,
  literalHash,
  type LiteralSectionOptions,
  literalSectionParts,
} from "./literal_section.ts";
export * from "./literal_table.ts";
export {
  encodeGlobSection,
  encodeGlobSectionParts,
  type GlobEntry,
  type GlobSectionOptions,
} from "./glob_section.ts";
export * from "./glob_index.ts";
