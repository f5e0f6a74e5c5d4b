/**
 * The `.mxy` binary layout shared by the builder and the query engine: a MaxMind DB (search
 * tree, data section, metadata) with extension sections for literal strings and glob patterns.
 * See docs/FORMAT.md.
 *
 * @module
 */
export * from "./value.ts";
export * from "./format_error.ts";
export * from "./data_writer.ts";
export * from "./metadata_writer.ts";
export * from "./mmdb_decoder.ts";
export * from "./metadata.ts";
export * from "./literal_section.ts";
export * from "./glob_section.ts";
