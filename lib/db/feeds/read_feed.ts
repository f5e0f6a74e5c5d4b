/**
 * Reads a feed file of any supported format: CSV, JSON, JSON Lines or plain text, chosen by
 * option, by file extension (`.csv`, `.tsv`, `.json`, `.jsonl`/`.ndjson`, `.txt`, each optionally
 * `.gz`) or by looking at the content. `-` is standard input; gzip is detected and unpacked.
 *
 * @module
 */
import { readMaybeGzip } from "../../runtime/fs.ts";
import { InputError } from "../input_error.ts";
import type { FeedRecord } from "./_record.ts";
import { parseCsvFeed } from "./csv.ts";
import { parseJsonFeed, parseJsonLinesFeed } from "./json.ts";
import { parseTextFeed } from "./text.ts";

/** A feed format name. */
export type FeedFormat = "csv" | "tsv" | "json" | "jsonl" | "text";

/** The accepted `--format` names. */
export const FEED_FORMATS: readonly FeedFormat[] = ["csv", "tsv", "json", "jsonl", "text"];

/** Options for {@linkcode readFeed} and {@linkcode parseFeed}. */
export interface ReadFeedOptions {
  /** The format; default: from the extension, else from the content. */
  format?: FeedFormat;
}

/**
 * Picks a format from a file name (ignoring a `.gz` suffix).
 *
 * @param path The file name.
 * @returns The format, or `null` when the extension says nothing.
 * @example
 * ```ts
 * import { feedFormatOf } from "./read_feed.ts";
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
 * object, else JSON; a first line with an `entry`/`key` column → CSV; otherwise plain text.
 *
 * @param text The content.
 * @returns The format.
 * @example
 * ```ts
 * import { sniffFeedFormat } from "./read_feed.ts";
 * import assert from "node:assert/strict";
 * assert.equal(sniffFeedFormat('{"entry":"1.2.3.4"}\n'), "jsonl");
 * assert.equal(sniffFeedFormat("entry,tag\n1.2.3.4,x\n"), "csv");
 * assert.equal(sniffFeedFormat("1.2.3.4\n"), "text");
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
  const firstLine = t.split("\n", 1)[0];
  if (/(^|[,\t])\s*"?(entry|key)"?\s*([,\t]|$)/i.test(firstLine.trim())) {
    return firstLine.includes("\t") && !firstLine.includes(",") ? "tsv" : "csv";
  }
  return "text";
}

/**
 * Decodes feed bytes as UTF-8, reporting the line of the first invalid byte.
 *
 * @param bytes The content.
 * @param file The file name, for the error.
 * @returns The text.
 * @throws {InputError} `bad-syntax` when the bytes are not UTF-8.
 * @example
 * ```ts
 * import { decodeFeedText } from "./read_feed.ts";
 * import assert from "node:assert/strict";
 * assert.equal(decodeFeedText(new Uint8Array([104, 105]), "x"), "hi");
 * assert.throws(() => decodeFeedText(new Uint8Array([10, 0xff]), "x"), /x:2: Input is not valid UTF-8/);
 * ```
 */
export function decodeFeedText(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    let line = 1;
    let i = 0;
    const text = new TextDecoder().decode(bytes);
    const bad = text.indexOf("\uFFFD");
    for (; i < bad; i++) if (text.charCodeAt(i) === 10) line++;
    throw new InputError("bad-syntax", "Input is not valid UTF-8", { file, line });
  }
}

/**
 * Parses feed text in a given (or guessed) format.
 *
 * @param text The content.
 * @param file The file name, for records and errors.
 * @param options {@linkcode ReadFeedOptions}.
 * @returns The records, lazily.
 * @example
 * ```ts
 * import { parseFeed } from "./read_feed.ts";
 * import assert from "node:assert/strict";
 * const rows = [...parseFeed("entry,asn\n10.0.0.0/8,64512\n", "x.csv")];
 * assert.deepEqual(rows[0].data, { asn: 64512 });
 * ```
 */
export function parseFeed(
  text: string,
  file: string,
  options: ReadFeedOptions = {},
): Iterable<FeedRecord> {
  const format = options.format ?? feedFormatOf(file) ?? sniffFeedFormat(text);
  switch (format) {
    case "csv":
      return parseCsvFeed(text, { file });
    case "tsv":
      return parseCsvFeed(text, { file, delimiter: "\t" });
    case "json":
      return parseJsonFeed(text, { file });
    case "jsonl":
      return parseJsonLinesFeed(text, { file });
    case "text":
      return parseTextFeed(text, { file });
    default:
      throw new InputError("bad-format", `Unknown feed format "${format}"`);
  }
}

/**
 * Reads a feed file (or `-` for standard input), gunzipping it when needed, and parses it.
 *
 * @param path The file.
 * @param options {@linkcode ReadFeedOptions}.
 * @returns The records, lazily.
 * @throws {InputError} For undecodable or malformed content (with file and line).
 * @example
 * ```ts
 * import { readFeed } from "./read_feed.ts";
 * import assert from "node:assert/strict";
 * const path = await Deno.makeTempFile({ suffix: ".txt" });
 * await Deno.writeTextFile(path, "10.0.0.1\n");
 * const rows = [...await readFeed(path)];
 * assert.equal(rows[0].entry, "10.0.0.1");
 * await Deno.remove(path);
 * ```
 */
export async function readFeed(
  path: string,
  options: ReadFeedOptions = {},
): Promise<Iterable<FeedRecord>> {
  const bytes = await readMaybeGzip(path);
  return parseFeed(decodeFeedText(bytes, path), path, options);
}
