/**
 * Full checks of a `.mxy` file's literal and glob sections, for `validateDatabase`.
 *
 * @module
 */
import { FormatError } from "../format/format_error.ts";
import type { DatabaseLayout } from "../format/metadata.ts";
import { LiteralTable } from "../format/literal_table.ts";
import { GlobIndex } from "../format/glob_index.ts";
import { compileGlob, GlobError } from "../pattern/mod.ts";

/** What {@linkcode checkStringSections} found. */
export interface StringSectionsCheck {
  /** Problems, as format errors (code, message, offset). */
  problems: FormatError[];
  /** Data offsets the entries point to (each to be decoded by the caller). */
  offsets: number[];
  /** Literal and glob entries checked. */
  entries: number;
}

/**
 * Checks the literal and glob sections named in the metadata: headers and tables (every
 * reference in bounds, the automaton a tree whose links terminate, each literal at the slot its
 * hash gives, each glob's text compiling), data offsets inside the data section, and the
 * sections' case mode against the mxy record's `match_mode`. Bad data never throws (it is a
 * problem in the result).
 *
 * @param bytes The file's bytes.
 * @param layout The file's layout (from `readLayout`).
 * @returns Problems, and the data offsets to decode.
 */
export function checkStringSections(
  bytes: Uint8Array,
  layout: DatabaseLayout,
): StringSectionsCheck {
  const problems: FormatError[] = [];
  const offsets = new Set<number>();
  let entries = 0;
  const { sections } = layout.metadata;
  const dataSize = layout.dataEnd - layout.dataStart;
  const ci = layout.metadata.mxyMatchMode === "case-insensitive";
  // Bad data shows as FormatErrors; anything else is a bug of mxy, not the file's problem.
  const fail = (err: unknown) => {
    if (!(err instanceof FormatError)) throw err;
    problems.push(err);
  };
  const checkOffset = (off: number, what: string, at: number) => {
    if (off >= dataSize) {
      problems.push(
        new FormatError(
          "bad-pointer",
          `${what} points to data offset ${off}, beyond the ${dataSize}-byte data section`,
          at,
        ),
      );
    } else offsets.add(off);
  };
  const sub = (name: string) => {
    const loc = sections[name];
    return loc ? bytes.subarray(loc.offset, loc.offset + loc.length) : null;
  };
  const litBytes = sub("literal");
  if (litBytes !== null) {
    const at = sections.literal.offset;
    try {
      const t = new LiteralTable(litBytes, { fileOffset: at });
      if (t.caseInsensitive !== ci) {
        problems.push(
          new FormatError(
            "bad-section",
            "Literal section case mode differs from the match mode in the metadata",
            at + 8,
          ),
        );
      }
      t.verify();
      for (const e of t.entries()) {
        entries++;
        checkOffset(t.dataOffset(e), `Literal ${JSON.stringify(t.text(e))}`, at);
      }
    } catch (err) {
      fail(err);
    }
  }
  const globBytes = sub("glob");
  if (globBytes !== null) {
    const at = sections.glob.offset;
    try {
      const g = new GlobIndex(globBytes, { fileOffset: at });
      if (g.caseInsensitive !== ci) {
        problems.push(
          new FormatError(
            "bad-section",
            "Glob section case mode differs from the match mode in the metadata",
            at + 8,
          ),
        );
      }
      g.verify();
      for (let id = 0; id < g.count; id++) {
        entries++;
        const text = g.text(id);
        try {
          compileGlob(text, { caseInsensitive: g.caseInsensitive });
        } catch (err) {
          if (!(err instanceof GlobError)) throw err;
          problems.push(
            new FormatError(
              "bad-section",
              `Glob ${JSON.stringify(text)} does not compile: ${err.message}`,
              at,
            ),
          );
        }
        checkOffset(g.dataOffset(id), `Glob ${JSON.stringify(text)}`, at);
      }
    } catch (err) {
      fail(err);
    }
  }
  return { problems, offsets: [...offsets], entries };
}
