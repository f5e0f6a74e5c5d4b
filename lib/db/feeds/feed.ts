/**
 * Feeds of any supported format: CSV, JSON, JSON Lines or plain text, chosen by option, by file
 * extension (`.csv`, `.tsv`, `.json`, `.jsonl`/`.ndjson`, `.txt`, each optionally `.gz`) or by
 * looking at the content. This file parses text; ./feed_stream.ts parses a byte stream block
 * by block; reading files is `@mxy/mxy/deno`'s `readFeed` and `streamFeed`.
 *
 * @module
 */
import { DatabaseError } from "../database_error.ts";
import type { FeedRecord } from "./_record.ts";
import { parseCsvFeed } from "./csv.ts";
import { parseJsonFeed, parseJsonLinesFeed } from "./json.ts";
import { parseTextFeed } from "./text.ts";
import { compileTypeHints } from "./_types.ts";

/** A feed format name. */
export type FeedFormat = "csv" | "tsv" | "json" | "jsonl" | "text";

/** The accepted `--format` names. */
export const FEED_FORMATS: readonly FeedFormat[] = ["csv", "tsv", "json", "jsonl", "text"];

/** Options for {@linkcode parseFeed}. */
export interface ParseFeedOptions {
  /** The format; default: from the extension, else from the content. */
  format?: FeedFormat;
  /** Line number of the text's first line (default 1), for text cut out of a larger file. */
  firstLine?: number;
  /**
   * MaxMind DB types by data path, for values plain JSON or CSV leaves to inference:
   * `{"location.latitude": "double", "**.geoname_id": "uint32"}` (`*` is any one key, `**` any
   * keys; arrays are transparent). Types: string, boolean, double, float, bytes (hex), uint16,
   * uint32, int32, uint64, uint128. A JSON record's own `"$types"` member comes first; typed
   * CSV columns and `{"$type": …}` annotations keep their type.
   */
  types?: Record<string, string>;
  /**
   * Called with each invalid record's error (it names the file and line); the record is then
   * skipped and the parse goes on. Without it, the first invalid record ends the parse. Bytes
   * that are not UTF-8, a JSON document's syntax and a CSV header always end it.
   */
  onInvalid?: (error: DatabaseError) => void;
  /**
   * JSON Lines: records whose data is written with the same text (`{"entry":"…",` followed by
   * the same members) may share one frozen data object, which the builder then stores without
   * reading it again (default `false`: every record has its own data object).
   */
  shareData?: boolean;
}

/**
 * Picks a format from a file name (ignoring a `.gz` suffix).
 *
 * @param path The file name.
 * @returns The format, or `null` when the extension says nothing.
 * @example
 * ```ts
 * import { feedFormatOf } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * assert.equal(feedFormatOf("iocs.jsonl.gz"), "jsonl");
 * assert.equal(feedFormatOf("-"), null);
 * ```
 */
export function feedFormatOf(path: string): FeedFormat | null {
  const name = path.toLowerCase().replace(/\.gz$/, "");
  const ext = name.slice(name.lastIndexOf(".") + 1);
  switch (ext) {
    case "csv":
      return "csv";
    case "tsv":
      return "tsv";
    case "json":
      return "json";
    case "jsonl":
    case "ndjson":
      return "jsonl";
    case "txt":
    case "text":
    case "list":
    case "lst":
      return "text";
    default:
      return null;
  }
}

/**
 * Guesses a format from content: `[` → JSON; `{` → JSON Lines when the first line is a whole
 * object, else JSON; a first non-comment line with an `entry`/`key` column → CSV (TSV when
 * tab-separated); otherwise plain text.
 *
 * @param text The content.
 * @returns The format.
 * @example
 * ```ts
 * import { sniffFeedFormat } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * assert.equal(sniffFeedFormat('{"entry":"1.2.3.4"}\n'), "jsonl");
 * assert.equal(sniffFeedFormat("entry,tag\n1.2.3.4,x\n"), "csv");
 * assert.equal(sniffFeedFormat("1.2.3.4\n"), "text");
 * assert.equal(sniffFeedFormat("# IOCs\nentry,tag\n1.2.3.4,x\n"), "csv");
 * ```
 */
export function sniffFeedFormat(text: string): FeedFormat {
  const t = text.replace(/^\uFEFF/, "").trimStart();
  if (t.startsWith("[")) return "json";
  if (t.startsWith("{")) {
    const nl = t.indexOf("\n");
    const first = (nl < 0 ? t : t.slice(0, nl)).trim();
    try {
      const v = JSON.parse(first);
      if (typeof v === "object" && v !== null && (nl >= 0 || "entry" in v || "key" in v)) {
        return nl < 0 && !("entry" in v || "key" in v) ? "json" : "jsonl";
      }
    } catch {
      // not a whole object on the first line
    }
    return "json";
  }
  // The first line that is not a comment: a CSV header names an entry (or key) column.
  const firstLine = headerOf(t)?.text ?? "";
  if (/(^|[,\t])\s*"?(entry|key)"?\s*([,\t]|$)/i.test(firstLine.trim())) {
    return firstLine.includes("\t") && !firstLine.includes(",") ? "tsv" : "csv";
  }
  return "text";
}

/**
 * Where the first byte that is not part of valid UTF-8 lies (an overlong form, a surrogate, a
 * stray continuation byte, a sequence cut short by the end), or -1 when all are valid.
 *
 * @param bytes The bytes.
 * @param from Where to start: the first byte of a character.
 * @returns The offset in `bytes`, or -1.
 */
export function invalidUtf8At(bytes: Uint8Array, from = 0): number {
  const n = bytes.length;
  let i = from;
  while (i < n) {
    const c = bytes[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    } else return i;
    if (i + need >= n + 1) return i;
    const c1 = bytes[i + 1];
    if (c1 < lo || c1 > hi) return i;
    for (let k = 2; k <= need; k++) {
      const ck = bytes[i + k];
      if (ck < 0x80 || ck > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * The error for bytes that are not UTF-8, at their line and byte offset.
 *
 * @param file The file.
 * @param line The line of the first bad byte.
 * @param offset Its byte offset (after gunzipping).
 * @returns The error.
 */
export function notUtf8Error(file: string, line: number, offset: number): DatabaseError {
  return new DatabaseError(
    "bad-syntax",
    `Input is not valid UTF-8 (byte offset ${offset})`,
    { file, line },
  );
}

/**
 * Decodes feed bytes as UTF-8, reporting the line and byte offset of the first invalid byte.
 *
 * @param bytes The content.
 * @param file The file name, for the error.
 * @returns The text.
 * @throws {DatabaseError} `bad-syntax` when the bytes are not UTF-8.
 */
export function decodeFeedText(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const at = Math.max(0, invalidUtf8At(bytes));
    let line = 1;
    for (let i = bytes.indexOf(10); i >= 0 && i < at; i = bytes.indexOf(10, i + 1)) line++;
    throw notUtf8Error(file, line, at);
  }
}

/**
 * Parses feed text in a given (or guessed) format.
 *
 * @param text The content.
 * @param file The file name, for records and errors.
 * @param options {@linkcode ParseFeedOptions}.
 * @returns The records, lazily.
 * @example
 * ```ts
 * import { parseFeed } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * const rows = [...parseFeed("entry,asn\n10.0.0.0/8,64512\n", "x.csv")];
 * assert.deepEqual(rows[0].data, { asn: 64512 });
 * ```
 */
export function parseFeed(
  text: string,
  file: string,
  options: ParseFeedOptions = {},
): Iterable<FeedRecord> {
  const format = options.format ?? feedFormatOf(file) ?? sniffFeedFormat(text);
  const firstLine = options.firstLine ?? 1;
  const typeHints = options.types === undefined
    ? undefined
    : compileTypeHints(options.types, "The type hints");
  const common = {
    file,
    firstLine,
    typeHints,
    onInvalid: options.onInvalid,
    shareData: options.shareData,
  };
  switch (format) {
    case "csv":
      return parseCsvFeed(text, common);
    case "tsv":
      return parseCsvFeed(text, { ...common, delimiter: "\t" });
    case "json":
      return parseJsonFeed(text, common);
    case "jsonl":
      return parseJsonLinesFeed(text, common);
    case "text":
      return parseTextFeed(text, { file, firstLine });
    default:
      throw new DatabaseError("bad-format", `Unknown feed format "${format}"`);
  }
}

/**
 * The first line that is neither blank nor a comment (a CSV header).
 *
 * @param block Feed text.
 * @returns The line's text and its index among the block's lines, or null.
 */
export function headerOf(block: string): { text: string; index: number } | null {
  let pos = block.charCodeAt(0) === 0xfeff ? 1 : 0;
  let index = 0;
  while (pos < block.length) {
    let end = block.indexOf("\n", pos);
    if (end < 0) end = block.length;
    const lineText = block.slice(pos, end).replace(/\r$/, "");
    if (lineText.trim() !== "" && !lineText.startsWith("#")) return { text: lineText, index };
    pos = end + 1;
    index++;
  }
  return null;
}
