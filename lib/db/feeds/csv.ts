/**
 * CSV feeds: a header row with an `entry` (or `key`) column; every other column becomes a field
 * of the entry's map. Lines starting with `#` are comments; empty cells are left out.
 *
 * Cell values are inferred: `true`/`false` are booleans, numbers are numbers only when their
 * text is canonical (`007` and `1.10` stay strings, so zip codes keep their zeros). A header
 * `name:type` forces a type: `string`, `auto`, `bool`, `number`, `int`, `double`, `float`,
 * `uint16`, `uint32`, `uint64`, `uint128`, `int32` or `json`.
 *
 * @module
 */
import type { WritableMap } from "../../format/data_writer.ts";
import { DatabaseError } from "../database_error.ts";
import {
  convertCell,
  type FeedParseOptions,
  type FeedRecord,
  inferScalar,
  isColumnType,
} from "./_record.ts";
import { applyTypeHints } from "./_types.ts";

export type { FeedParseOptions, FeedRecord } from "./_record.ts";

/** Options for {@linkcode parseCsvFeed}. */
export interface CsvFeedOptions extends FeedParseOptions {
  /** Field separator (default `,`). */
  delimiter?: string;
}

/** Splits CSV text into rows, each with its starting line (quotes may span lines). */
function* csvRows(
  text: string,
  delimiter: string,
  file: string,
  firstLine: number,
): Generator<{ cells: string[]; line: number; error?: DatabaseError }> {
  const n = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = firstLine;
  // Where the next quote is (recomputed once passed): rows before it need no state machine.
  let nextQuote = -1;
  const single = delimiter.length === 1;
  while (pos < n) {
    const startLine = line;
    let end = text.indexOf("\n", pos);
    if (end < 0) end = n;
    const first = text.charCodeAt(pos);
    // Comments and blank lines.
    if (first === 35 /* # */ || end === pos || (end === pos + 1 && first === 13)) {
      pos = end + 1;
      line++;
      continue;
    }
    if (nextQuote >= 0 && nextQuote < pos) nextQuote = -1;
    if (nextQuote < 0) {
      nextQuote = text.indexOf('"', pos);
      if (nextQuote < 0) nextQuote = n;
    }
    if (single && nextQuote >= end) {
      // Cut the cells straight out of the text (no line string, no split).
      const lineEnd = text.charCodeAt(end - 1) === 13 ? end - 1 : end;
      const cells: string[] = [];
      let at = pos;
      for (;;) {
        const d = text.indexOf(delimiter, at);
        if (d < 0 || d >= lineEnd) break;
        cells.push(text.slice(at, d));
        at = d + 1;
      }
      cells.push(text.slice(at, lineEnd));
      yield { cells, line: startLine };
      pos = end + 1;
      line++;
      continue;
    }
    let lineText = text.slice(pos, end);
    if (lineText.endsWith("\r")) lineText = lineText.slice(0, -1);
    if (!lineText.includes('"')) {
      yield { cells: lineText.split(delimiter), line: startLine };
      pos = end + 1;
      line++;
      continue;
    }
    // Quoted fields: a small state machine that may run over several lines.
    const cells: string[] = [];
    let cell = "";
    let i = pos;
    let quoted = false;
    let wasQuoted = false;
    let error: DatabaseError | undefined;
    for (;;) {
      if (i >= n) {
        if (quoted) {
          throw new DatabaseError("bad-syntax", "Quoted field is not closed", {
            file,
            line: startLine,
          });
        }
        cells.push(cell);
        break;
      }
      const c = text[i];
      if (quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i += 2;
          } else {
            quoted = false;
            i++;
          }
        } else {
          // The run up to the next quote in one piece.
          let q = text.indexOf('"', i);
          if (q < 0) q = n;
          for (let nl = text.indexOf("\n", i); nl >= 0 && nl < q; nl = text.indexOf("\n", nl + 1)) {
            line++;
          }
          cell += text.slice(i, q);
          i = q;
        }
        continue;
      }
      if (c === '"') {
        if (cell.length > 0 || wasQuoted) {
          error = new DatabaseError("bad-syntax", "Quote inside an unquoted field", {
            file,
            line,
          });
          break;
        }
        quoted = true;
        wasQuoted = true;
        i++;
      } else if (c === delimiter) {
        cells.push(cell);
        cell = "";
        wasQuoted = false;
        i++;
      } else if (c === "\n" || (c === "\r" && text[i + 1] === "\n")) {
        cells.push(cell);
        i += c === "\r" ? 2 : 1;
        break;
      } else {
        if (wasQuoted) {
          error = new DatabaseError("bad-syntax", "Text after a closing quote", { file, line });
          break;
        }
        cell += c;
        i++;
      }
    }
    if (error !== undefined) {
      // The rest of the row is skipped: the next row starts after this line.
      const nl = text.indexOf("\n", i);
      i = nl < 0 ? n : nl + 1;
      yield { cells, line: startLine, error };
    } else yield { cells, line: startLine };
    pos = i;
    line++;
  }
}

/**
 * Parses a CSV feed.
 *
 * @param text The CSV text.
 * @param options {@linkcode CsvFeedOptions}.
 * @returns The records, in file order.
 * @throws {DatabaseError} `bad-syntax` for a missing header or entry column, a row with the wrong
 *   number of cells, bad quoting, or a cell that does not fit its column's type.
 */
export function* parseCsvFeed(text: string, options: CsvFeedOptions = {}): Generator<FeedRecord> {
  const file = options.file ?? "-";
  const delimiter = options.delimiter ?? ",";
  let header: string[] | null = null;
  let types: string[] = [];
  let entryCol = -1;
  const invalid = (err: unknown) => {
    if (!(err instanceof DatabaseError) || options.onInvalid === undefined) throw err;
    options.onInvalid(err);
  };
  for (const row of csvRows(text, delimiter, file, options.firstLine ?? 1)) {
    const { cells, line } = row;
    if (row.error !== undefined && header !== null) {
      invalid(row.error);
      continue;
    }
    if (row.error !== undefined) throw row.error;
    if (header === null) {
      header = [];
      types = [];
      for (const raw of cells) {
        const name = raw.trim();
        const colon = name.lastIndexOf(":");
        if (colon > 0 && isColumnType(name.slice(colon + 1))) {
          header.push(name.slice(0, colon));
          types.push(name.slice(colon + 1));
        } else {
          header.push(name);
          types.push("auto");
        }
      }
      const seen = new Set<string>();
      for (const h of header) {
        if (seen.has(h)) {
          throw new DatabaseError("bad-syntax", `CSV header names column "${h}" twice`, {
            file,
            line,
          });
        }
        seen.add(h);
      }
      entryCol = header.findIndex((h) => h.toLowerCase() === "entry");
      if (entryCol < 0) entryCol = header.findIndex((h) => h.toLowerCase() === "key");
      if (entryCol < 0) {
        throw new DatabaseError(
          "bad-syntax",
          `CSV header has no "entry" (or "key") column: ${cells.join(delimiter).slice(0, 80)}`,
          { file, line },
        );
      }
      continue;
    }
    if (cells.length !== header.length) {
      invalid(
        new DatabaseError(
          "bad-syntax",
          `Row has ${cells.length} cells, the header has ${header.length}`,
          { file, line },
        ),
      );
      continue;
    }
    let data: WritableMap = {};
    let bad: DatabaseError | null = null;
    for (let c = 0; c < cells.length; c++) {
      if (c === entryCol) continue;
      const cell = cells[c];
      if (cell === "") continue;
      try {
        data[header[c]] = types[c] === "auto" ? inferScalar(cell) : convertCell(cell, types[c]);
      } catch (err) {
        // What a cell's text can get wrong; anything else is not the feed's fault.
        const expected = err instanceof DatabaseError || err instanceof SyntaxError ||
          err instanceof TypeError || err instanceof RangeError;
        if (!expected) throw err;
        bad = new DatabaseError("bad-value", `Column "${header[c]}": ${err.message}`, {
          file,
          line,
        });
        break;
      }
    }
    if (bad === null && options.typeHints !== undefined) {
      try {
        data = applyTypeHints(data, options.typeHints) as WritableMap;
      } catch (err) {
        if (!(err instanceof DatabaseError)) throw err;
        bad = new DatabaseError("bad-value", err.reason, { file, line });
      }
    }
    if (bad !== null) {
      invalid(bad);
      continue;
    }
    yield { entry: cells[entryCol].trim(), data, file, line };
  }
  if (header === null) {
    throw new DatabaseError("bad-syntax", "CSV feed has no header row", {
      file,
      line: options.firstLine ?? 1,
    });
  }
}
