/**
 * mxy pattern: glob patterns (compiler, program layout, matcher), the Aho-Corasick automaton
 * that indexes their literal pieces, the model that picks those pieces, and the Unicode case
 * folding and UTF-8 helpers they share. Runtime-neutral; imports only lib/core.
 *
 * This is the layer's internal face for lib/format and lib/db (it has no entry point of its
 * own): the public glob API is re-exported by `@mxy/mxy/db`.
 *
 * @module
 */
export * from "./case_fold.ts";
export * from "./utf8.ts";
export * from "./glob_error.ts";
export * from "./glob.ts";
export * from "./glob_program.ts";
export * from "./glob_program_set.ts";
export * from "./glob_vm.ts";
export * from "./piece_rarity.ts";
export * from "./aho_corasick_tables.ts";
export * from "./aho_corasick_build.ts";
export * from "./aho_corasick.ts";
export * from "./aho_corasick_verify.ts";
