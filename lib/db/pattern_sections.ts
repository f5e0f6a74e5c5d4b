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

/**
 * The literal-string section: exact strings, compared case-folded in case-insensitive mode.
 * It claims every unprefixed non-IP entry that is not a glob (register it after
 * {@linkcode globSectionEncoder}).
 *
 * @returns The section encoder for `DatabaseBuilder`.
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
 */
export function patternSectionEncoders(): SectionEncoder[] {
  return [globSectionEncoder(), literalSectionEncoder()];
}
