/**
 * mxy db: public face of this capability.
 *
 * @module
 */
export * from "./ip_address.ts";
export * from "./input_error.ts";
export * from "./builder.ts";
export * from "./database.ts";
export * from "./validate.ts";
export * from "./export.ts";
export * from "./feeds/mod.ts";
export * from "./glob.ts";
export * from "./aho_corasick.ts";
export * from "./string_match.ts";
export * from "./pattern_sections.ts";
export { asciiLower } from "../core/ascii.ts";
