/**
 * Extension sections of a `.mxy` file, as the builder sees them: what a section encoder is
 * given and returns. The literal and glob sections are two of them; a caller may register
 * more (`DatabaseBuilderOptions.extensions`, `DatabaseBuilder.addExtension`).
 *
 * @module
 */
import type { WritableValue } from "../format/data_writer.ts";
import type { SectionParts } from "../format/section_parts.ts";
import type { EntrySource } from "./database_error.ts";

/** How string entries are compared (recorded as `match_mode` in the mxy record, `description.mxy`). */
export type MatchMode = "case-sensitive" | "case-insensitive";

/**
 * The non-IP entries handed to a {@linkcode SectionEncoder}, column by column (no object per
 * entry), in first-insertion order.
 */
export interface SectionEntries {
  /** How many entries there are. */
  readonly count: number;
  /** Each entry's text after its `kind:` prefix (as given, not normalized); `count` of them. */
  readonly keys: readonly string[];
  /**
   * Each entry's value offset in the data section (from the section's start, as MMDB
   * pointers); `count` of them.
   */
  readonly offsets: Float64Array;
  /**
   * Where entry `i` came from, when known.
   *
   * @param i The entry's index.
   * @returns Its file and line, or `undefined`.
   */
  source(i: number): EntrySource | undefined;
}

/** What a {@linkcode SectionEncoder} gets when the database is built. */
export interface SectionContext {
  /**
   * Stores a value of the encoder's own in the shared data section (de-duplicated with every
   * other value).
   *
   * @param value The value.
   * @returns Its offset in the data section.
   * @throws {TypeError | RangeError} When no MaxMind DB type holds the value.
   */
  addValue(value: WritableValue): number;
  /** The database's match mode. */
  readonly matchMode: MatchMode;
}

/**
 * An extension section (literal strings, glob patterns, …). The builder routes entries of the
 * encoder's `kind` to it, applies the duplicate policy on `normalizeKey(key)`, stores every value
 * in the shared data section, and at build time places the bytes `encode` returns between the
 * data section and the metadata, 8-byte aligned, recorded in the mxy record's `sections[name]`.
 *
 * @example
 * ```ts
 * import { Database, DatabaseBuilder, type SectionEncoder } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * const notes: SectionEncoder = {
 *   name: "notes",
 *   kind: "note",
 *   encode: (entries) => new TextEncoder().encode(entries.keys.join("\n")),
 * };
 * const b = new DatabaseBuilder({ buildEpoch: 1, extensions: [notes] });
 * b.add("note:hello", { n: 1 });
 * b.add("note:world", { n: 2 });
 * const db = Database.fromBytes(b.build());
 * const section = db.section("notes");
 * assert.equal(new TextDecoder().decode(section!.subarray(0, 11)), "hello\nworld");
 * ```
 */
export interface SectionEncoder {
  /** Section name in the mxy record's `sections`, e.g. `"literal"`. */
  readonly name: string;
  /** Entry kind it stores: entries prefixed `kind:` go here; also its key in the mxy record's `counts`. */
  readonly kind: string;
  /**
   * Whether an unprefixed entry that is not an IP address belongs to this section.
   *
   * @param entry The entry text.
   * @returns `true` to take it.
   */
  claims?(entry: string): boolean;
  /**
   * The identity of a key for duplicate detection (e.g. case-folded in case-insensitive mode).
   *
   * @param key The key, after its `kind:` prefix.
   * @param matchMode The database's match mode.
   * @returns The normalized key.
   * @throws {DatabaseError} With code `bad-entry` when the key is invalid (the builder adds
   *   the entry's file and line); any other error is passed on as it is.
   */
  normalizeKey?(key: string, matchMode: MatchMode): string;
  /**
   * Encodes the section from its entries (in first-insertion order): its bytes, or its parts
   * for the builder to write straight into the file.
   *
   * @param entries The section's entries.
   * @param context The data section and the match mode.
   * @returns The section's bytes or parts.
   */
  encode(entries: SectionEntries, context: SectionContext): Uint8Array | SectionParts;
}
