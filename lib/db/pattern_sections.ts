/**
 * The builder extensions that store literal strings and glob patterns in a `.mxy` file, and the
 * rule that decides an unprefixed entry's kind: an IP address or network; else a glob when it
 * contains an unescaped `*`, `?` or `[`; else a literal. A glob that does not parse is a build
 * error (prefix it with `literal:` to store it as an exact string).
 *
 * @module
 */
import type {
  MatchMode,
  SectionContext,
  SectionEncoder,
  SectionEntries,
} from "./section_encoder.ts";
import { DatabaseError } from "./database_error.ts";
import { foldString, GlobError, GlobProgramSet, hasGlobSyntax } from "../pattern/mod.ts";
import { literalSectionParts } from "../format/literal_section.ts";
import { encodeGlobSectionParts, type GlobEntry } from "../format/glob_section.ts";
import type { Database } from "./database.ts";

/**
 * The literal-string section: exact strings, compared case-folded in case-insensitive mode.
 * It claims every unprefixed non-IP entry that is not a glob (register it after
 * {@linkcode globSectionEncoder}).
 *
 * @returns The section encoder for `DatabaseBuilder`.
 * @example
 * ```ts
 * import { literalSectionEncoder } from "./pattern_sections.ts";
 * import assert from "node:assert/strict";
 * const enc = literalSectionEncoder();
 * assert.equal(enc.name, "literal");
 * assert.equal(enc.normalizeKey?.("Evil.COM", "case-insensitive"), "evil.com");
 * ```
 */
export function literalSectionEncoder(): SectionEncoder {
  return {
    name: "literal",
    kind: "literal",
    claims: () => true,
    normalizeKey: (key: string, mode: MatchMode) =>
      mode === "case-insensitive" ? foldString(key) : key,
    encode: (entries: SectionEntries, context: SectionContext) => {
      return literalSectionParts(entries.keys, entries.offsets, {
        caseInsensitive: context.matchMode === "case-insensitive",
      });
    },
  };
}

/**
 * The glob-pattern section. It claims unprefixed entries with an unescaped `*`, `?` or `[`;
 * a pattern that does not parse is rejected with the reason and its position.
 *
 * @returns The section encoder for `DatabaseBuilder`.
 * @example
 * ```ts
 * import { globSectionEncoder } from "./pattern_sections.ts";
 * import assert from "node:assert/strict";
 * const enc = globSectionEncoder();
 * assert.equal(enc.claims?.("*.example.com"), true);
 * assert.equal(enc.claims?.("example.com"), false);
 * assert.throws(() => enc.normalizeKey?.("[a", "case-sensitive"), /never closed/);
 * ```
 */
export function globSectionEncoder(): SectionEncoder {
  // Patterns compiled while checking them (side by side, no object per pattern), in the order
  // they were added, with the key of each: the builder hands the unique keys back to encode()
  // in first-added order, so one forward scan pairs each with its program (no key map).
  let programs = new GlobProgramSet();
  let added: string[] = [];
  // The case mode the programs were compiled in (null: none compiled yet).
  let mode: boolean | null = null;
  return {
    name: "glob",
    kind: "glob",
    claims: (entry: string) => hasGlobSyntax(entry),
    normalizeKey: (key: string, matchMode: MatchMode) => {
      const ci = matchMode === "case-insensitive";
      try {
        if (mode !== ci) {
          programs = new GlobProgramSet();
          added = [];
          mode = ci;
        }
        programs.add(key, ci);
        added.push(key);
      } catch (err) {
        if (err instanceof GlobError) {
          throw new DatabaseError(
            "bad-entry",
            `Malformed glob ${JSON.stringify(key)}: ${err.message} at character ${
              err.position + 1
            } (prefix the entry with "literal:" to store it as an exact string)`,
            undefined,
            { cause: err },
          );
        }
        throw err;
      }
      return ci ? foldString(key) : key;
    },
    encode: (entries: SectionEntries, context: SectionContext) => {
      const caseInsensitive = context.matchMode === "case-insensitive";
      const reuse = mode === caseInsensitive;
      let j = 0;
      const globs = new Array<GlobEntry>(entries.count);
      for (let i = 0; i < entries.count; i++) {
        const text = entries.keys[i];
        let program: number | undefined;
        if (reuse) {
          while (j < added.length && added[j] !== text) j++;
          if (j < added.length) program = j++;
        }
        globs[i] = { text, dataOffset: entries.offsets[i], program };
      }
      const bytes = encodeGlobSectionParts(globs, {
        caseInsensitive,
        programs: reuse ? programs : undefined,
      });
      programs = new GlobProgramSet();
      added = [];
      mode = null;
      return bytes;
    },
  };
}

/**
 * Both pattern sections, in the order the builder must try them (glob, then literal).
 *
 * @returns The encoders.
 * @example
 * ```ts
 * import { patternSectionEncoders } from "./pattern_sections.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(patternSectionEncoders().map((e) => e.kind), ["glob", "literal"]);
 * ```
 */
export function patternSectionEncoders(): SectionEncoder[] {
  return [globSectionEncoder(), literalSectionEncoder()];
}

/** One literal or glob entry of a database, as {@linkcode iterateStringEntries} lists it. */
export interface StringEntry {
  /** `"literal"` or `"glob"`. */
  kind: "literal" | "glob";
  /** The literal (case-folded in case-insensitive databases) or the glob as written. */
  entry: string;
  /** The data offset, for `Database.decode`. */
  offset: number;
}

/**
 * Lists a database's literal entries (in input order) and then its glob entries (most specific
 * first, the order the builder gives them again), for `mxy export`.
 *
 * @param db The database.
 * @returns The entries.
 * @throws {FormatError} When a section is corrupt.
 * @example
 * ```ts
 * import { DatabaseBuilder } from "./builder.ts";
 * import { Database } from "./database.ts";
 * import { iterateStringEntries } from "./pattern_sections.ts";
 * import assert from "node:assert/strict";
 * const b = new DatabaseBuilder({ buildEpoch: 1 });
 * b.add("*.evil.example", { n: 1 });
 * b.add("evil.example", { n: 2 });
 * const db = Database.fromBytes(b.build());
 * assert.deepEqual([...iterateStringEntries(db)].map((e) => `${e.kind}:${e.entry}`), [
 *   "literal:evil.example",
 *   "glob:*.evil.example",
 * ]);
 * ```
 */
export function* iterateStringEntries(db: Database): Generator<StringEntry> {
  const m = db.stringMatcher();
  if (m === null) return;
  const lit = m.literalTable;
  if (lit !== null) {
    for (const e of lit.entries()) {
      yield { kind: "literal", entry: lit.text(e), offset: lit.dataOffset(e) };
    }
  }
  const globs = m.globIndex;
  if (globs !== null) {
    globs.verify();
    for (let id = 0; id < globs.count; id++) {
      yield { kind: "glob", entry: globs.text(id), offset: globs.dataOffset(id) };
    }
  }
}
