/**
 * Reads a feed file of any supported format: CSV, JSON, JSON Lines or plain text, chosen by
 * option, by file extension (`.csv`, `.tsv`, `.json`, `.jsonl`/`.ndjson`, `.txt`, each optionally
 * `.gz`) or by looking at the content. `-` is standard input; gzip is detected and unpacked.
 *
 * @module
 */
import { openReadStream, readMaybeGzip } from "../../runtime/fs.ts";
import { DatabaseError } from "../database_error.ts";
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
  /** Line number of the text's first line (default 1), for text cut out of a larger file. */
  firstLine?: number;
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
 * object, else JSON; a first non-comment line with an `entry`/`key` column → CSV (TSV when
 * tab-separated); otherwise plain text.
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
 * Decodes feed bytes as UTF-8, reporting the line of the first invalid byte.
 *
 * @param bytes The content.
 * @param file The file name, for the error.
 * @returns The text.
 * @throws {DatabaseError} `bad-syntax` when the bytes are not UTF-8.
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
    throw new DatabaseError("bad-syntax", "Input is not valid UTF-8", { file, line });
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
  const firstLine = options.firstLine ?? 1;
  switch (format) {
    case "csv":
      return parseCsvFeed(text, { file, firstLine });
    case "tsv":
      return parseCsvFeed(text, { file, delimiter: "\t", firstLine });
    case "json":
      return parseJsonFeed(text, { file, firstLine });
    case "jsonl":
      return parseJsonLinesFeed(text, { file, firstLine });
    case "text":
      return parseTextFeed(text, { file, firstLine });
    default:
      throw new DatabaseError("bad-format", `Unknown feed format "${format}"`);
  }
}

/**
 * Reads a feed file (or `-` for standard input), gunzipping it when needed, and parses it.
 *
 * @param path The file.
 * @param options {@linkcode ReadFeedOptions}.
 * @returns The records, lazily.
 * @throws {DatabaseError} For undecodable or malformed content (with file and line).
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

/** Options for {@linkcode streamFeed}. */
export interface StreamFeedOptions extends ReadFeedOptions {
  /** Called as bytes are read (after gunzipping a `.gz` file), with the total so far. */
  onBytes?: (bytesRead: number) => void;
  /** Characters parsed at a time (default 4 Mi); blocks end at line boundaries. */
  blockSize?: number;
}

function countNewlines(text: string, end = text.length): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < end; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/**
 * Where a block may end: just after the first newline at or beyond `min` that is not inside a
 * quoted CSV field (comment lines do not count their quotes). 0 when there is none yet.
 */
function cutPoint(text: string, csv: boolean, min: number): number {
  // Without quotes (most feeds) any newline will do.
  if (!csv || text.indexOf('"') < 0) return text.indexOf("\n", Math.max(0, min - 1)) + 1;
  let inQuote = false;
  let rowStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (rowStart && c === 35 /* # */) {
      const nl = text.indexOf("\n", i);
      if (nl < 0) return 0;
      i = nl;
      if (nl + 1 >= min) return nl + 1;
      continue;
    }
    rowStart = false;
    if (inQuote) {
      // Inside a quoted field only the closing quote matters.
      const q = text.indexOf('"', i);
      if (q < 0) return 0;
      i = q;
      inQuote = false;
      continue;
    }
    if (c === 34) {
      inQuote = true;
    } else if (c === 10) {
      if (i + 1 >= min) return i + 1;
      rowStart = true;
    }
  }
  return 0;
}

/** The first line that is neither blank nor a comment (a CSV header), or null. */
function headerOf(block: string): { text: string; index: number } | null {
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

/**
 * Reads a feed file (or `-`) as a stream, parsing it block by block, so files larger than one
 * string can hold (about 512 MiB) and long builds use little memory. CSV, TSV, JSON Lines and
 * text stream; a JSON feed (one document) is read whole. gzip is detected by name or content.
 *
 * @param path The file, or `-` for standard input.
 * @param options {@linkcode StreamFeedOptions}.
 * @returns The records, in file order, with their file and line.
 * @throws {DatabaseError} `unreadable` when the file cannot be read, or the parsers' errors.
 * @example
 * ```ts
 * import { streamFeed } from "./read_feed.ts";
 * import assert from "node:assert/strict";
 * const path = await Deno.makeTempFile({ suffix: ".csv" });
 * await Deno.writeTextFile(path, "# c\nentry,n\n10.0.0.1,1\n10.0.0.2,2\n");
 * const rows = await Array.fromAsync(streamFeed(path, { blockSize: 8 }));
 * assert.deepEqual(rows.map((r) => [r.entry, r.line, r.data]), [
 *   ["10.0.0.1", 3, { n: 1 }],
 *   ["10.0.0.2", 4, { n: 2 }],
 * ]);
 * await Deno.remove(path);
 * ```
 */
export async function* streamFeed(
  path: string,
  options: StreamFeedOptions = {},
): AsyncGenerator<FeedRecord> {
  for await (const batch of streamFeedBatches(path, options)) yield* batch;
}

/** Gathers records into arrays; on an error, the records before it come out first. */
function* batches(records: Iterable<FeedRecord>): Generator<FeedRecord[]> {
  let batch: FeedRecord[] = [];
  try {
    for (const r of records) {
      batch.push(r);
      if (batch.length >= 1 << 16) {
        yield batch;
        batch = [];
      }
    }
  } catch (err) {
    if (batch.length > 0) yield batch;
    throw err;
  }
  if (batch.length > 0) yield batch;
}

/**
 * {@linkcode streamFeed} in batches: the same records, in the same order, as arrays of up to
 * 65,536 (one per parsed block, or less). For a hot loop (`mxy build`) this spares one promise
 * per record; records before a parse error come out before the error is thrown.
 *
 * @param path The file, or `-` for standard input.
 * @param options {@linkcode StreamFeedOptions}.
 * @returns Arrays of records, in file order, with their file and line.
 * @throws {DatabaseError} `unreadable` when the file cannot be read, or the parsers' errors.
 * @example
 * ```ts
 * import { streamFeedBatches } from "./read_feed.ts";
 * import assert from "node:assert/strict";
 * const path = await Deno.makeTempFile({ suffix: ".txt" });
 * await Deno.writeTextFile(path, "10.0.0.1\n# c\n10.0.0.2\n");
 * const entries = [];
 * for await (const batch of streamFeedBatches(path)) {
 *   for (const r of batch) entries.push([r.entry, r.line]);
 * }
 * assert.deepEqual(entries, [["10.0.0.1", 1], ["10.0.0.2", 3]]);
 * await Deno.remove(path);
 * ```
 */
export async function* streamFeedBatches(
  path: string,
  options: StreamFeedOptions = {},
): AsyncGenerator<FeedRecord[]> {
  let format: FeedFormat | null = options.format ?? feedFormatOf(path);
  const unreadable = (err: unknown) =>
    new DatabaseError(
      "unreadable",
      `Cannot read ${path === "-" ? "standard input" : `"${path}"`}: ${(err as Error).message}`,
    );
  if (format === "json") {
    let bytes: Uint8Array;
    try {
      bytes = await readMaybeGzip(path);
    } catch (err) {
      throw unreadable(err);
    }
    options.onBytes?.(bytes.length);
    yield* batches(parseFeed(decodeFeedText(bytes, path), path, { format }));
    return;
  }
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = (await openReadStream(path)).getReader();
  } catch (err) {
    throw unreadable(err);
  }
  let bytesRead = 0;
  const next = async (): Promise<Uint8Array | null> => {
    try {
      const r = await reader.read();
      if (r.done) return null;
      bytesRead += r.value.length;
      options.onBytes?.(bytesRead);
      return r.value;
    } catch (err) {
      throw unreadable(err);
    }
  };
  // gzip content under another name (or on standard input).
  let chunks: AsyncIterable<Uint8Array>;
  const head = path.endsWith(".gz") ? null : await next();
  if (head !== null && head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const raw = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(head);
      },
      async pull(c) {
        const chunk = await next();
        if (chunk === null) c.close();
        else c.enqueue(chunk);
      },
    });
    chunks = raw.pipeThrough(
      new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
    );
  } else {
    chunks = (async function* () {
      if (head !== null) yield head;
      for (let c = await next(); c !== null; c = await next()) yield c;
    })();
  }
  const blockSize = options.blockSize ?? 1 << 22;
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let pending = "";
  let line = options.firstLine ?? 1;
  let header: string | null = null;
  let wholeJson = false;
  const parseBlock = function* (block: string, last: boolean): Generator<FeedRecord[]> {
    if (format === null) format = sniffFeedFormat(block);
    const csv = format === "csv" || format === "tsv";
    if (csv && header === null) {
      const h = headerOf(block);
      if (h === null && !last) {
        line += countNewlines(block);
        return;
      }
      if (h !== null) header = h.text;
      yield* batches(parseFeed(block, path, { format, firstLine: line }));
    } else if (csv) {
      yield* batches(parseFeed(`${header}\n${block}`, path, { format, firstLine: line - 1 }));
    } else {
      yield* batches(parseFeed(block, path, { format: format!, firstLine: line }));
    }
    line += countNewlines(block);
  };
  try {
    for await (const chunk of chunks) {
      try {
        pending += decoder.decode(chunk, { stream: true });
      } catch {
        throw new DatabaseError("bad-syntax", "Input is not valid UTF-8", {
          file: path,
          line: line + countNewlines(pending),
        });
      }
      if (wholeJson || pending.length < blockSize) continue;
      if (format === null && sniffFeedFormat(pending) === "json") {
        wholeJson = true;
        continue;
      }
      for (;;) {
        const csv = format === null || format === "csv" || format === "tsv";
        const cut = pending.length < blockSize ? 0 : cutPoint(pending, csv, blockSize);
        if (cut <= 0) break;
        const block = pending.slice(0, cut);
        pending = pending.slice(cut);
        yield* parseBlock(block, false);
      }
    }
  } catch (err) {
    if (err instanceof DatabaseError) throw err;
    throw unreadable(err);
  }
  try {
    pending += decoder.decode();
  } catch {
    throw new DatabaseError("bad-syntax", "Input is not valid UTF-8", {
      file: path,
      line: line + countNewlines(pending),
    });
  }
  if (wholeJson) {
    yield* batches(parseFeed(pending, path, { format: "json", firstLine: line }));
    return;
  }
  if (pending.length > 0 || header === null) yield* parseBlock(pending, true);
}
