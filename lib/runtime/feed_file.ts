/**
 * Reading feed files (CSV, JSON, JSON Lines, text; `.gz` or not; `-` for standard input) for
 * the database builder: the file side of `parseFeed` and `parseFeedStream` of `@mxy/mxy/db`.
 *
 * @module
 */
import {
  DatabaseError,
  type FeedRecord,
  parseFeed,
  type ParseFeedOptions,
  parseFeedStream,
  type ParseFeedStreamOptions,
} from "../db/mod.ts";
import { decodeFeedText } from "../db/feeds/feed.ts";
import { openReadStream, readMaybeGzip } from "./fs.ts";

/** Options for {@linkcode streamFeed} and {@linkcode streamFeedBatches}. */
export interface StreamFeedOptions extends ParseFeedOptions {
  /** Called as bytes are read (after gunzipping a `.gz` file), with the total so far. */
  onBytes?: (bytesRead: number) => void;
  /** Characters parsed at a time (default 4 Mi); blocks end at line boundaries. */
  blockSize?: number;
}

/**
 * Reads a feed file (or `-` for standard input), gunzipping it when needed, and parses it.
 *
 * @param path The file.
 * @param options The format (default: from the extension, else from the content).
 * @returns The records, lazily.
 * @throws {DatabaseError} For undecodable or malformed content (with file and line).
 * @example
 * ```ts
 * import { readFeed } from "@mxy/mxy/deno";
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
  options: ParseFeedOptions = {},
): Promise<Iterable<FeedRecord>> {
  const bytes = await readMaybeGzip(path);
  return parseFeed(decodeFeedText(bytes, path), path, options);
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
 * import { streamFeed } from "@mxy/mxy/deno";
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

/**
 * {@linkcode streamFeed} in batches: the same records, in the same order, as arrays of up to
 * 65,536 (one per parsed block, or fewer). For a hot loop (`mxy build`) this spares one promise
 * per record; records before a parse error come out before the error is thrown.
 *
 * @param path The file, or `-` for standard input.
 * @param options {@linkcode StreamFeedOptions}.
 * @returns Arrays of records, in file order, with their file and line.
 * @throws {DatabaseError} `unreadable` when the file cannot be read, or the parsers' errors.
 * @example
 * ```ts
 * import { streamFeedBatches } from "@mxy/mxy/deno";
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
  let stream: ReadableStream<Uint8Array>;
  try {
    stream = await openReadStream(path);
  } catch (err) {
    throw new DatabaseError(
      "unreadable",
      `Cannot read ${path === "-" ? "standard input" : `"${path}"`}: ${(err as Error).message}`,
      undefined,
      { cause: err },
    );
  }
  // A `.gz` file is unpacked by its name; other content by its magic.
  const streamOptions: ParseFeedStreamOptions = { ...options, detectGzip: !path.endsWith(".gz") };
  yield* parseFeedStream(stream, path, streamOptions);
}
