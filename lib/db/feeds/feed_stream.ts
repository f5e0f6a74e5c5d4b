/**
 * Parsing a feed from a stream of bytes, block by block, so feeds larger than one string can
 * hold (about 512 MiB) are read with little memory. CSV, TSV, JSON Lines and text stream; a
 * JSON feed (one document) is read whole. Runtime-neutral: reading a file or standard input
 * into such a stream is `@mxy/mxy/deno`'s `streamFeed`.
 *
 * @module
 */
import { DatabaseError } from "../database_error.ts";
import type { FeedRecord } from "./_record.ts";
import {
  decodeFeedText,
  type FeedFormat,
  feedFormatOf,
  headerOf,
  invalidUtf8At,
  notUtf8Error,
  parseFeed,
  type ParseFeedOptions,
  sniffFeedFormat,
} from "./feed.ts";

/** Options for {@linkcode parseFeedStream}. */
export interface ParseFeedStreamOptions extends ParseFeedOptions {
  /** Called as bytes are read (after gunzipping), with the total so far. */
  onBytes?: (bytesRead: number) => void;
  /** Characters parsed at a time (default 4 Mi); blocks end at line boundaries. */
  blockSize?: number;
  /**
   * Unpack the stream when it starts with the gzip magic (default `true`; pass `false` for a
   * stream already unpacked, such as a `.gz` file's, so its content is taken as it is).
   */
  detectGzip?: boolean;
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
 * Parses a feed read as a stream of bytes (gzip detected by its magic), block by block, in
 * batches: arrays of up to 65,536 records in file order (one per parsed block, or fewer). For
 * a hot loop (`mxy build`) this spares one promise per record; records before a parse error
 * come out before the error is thrown.
 *
 * @param stream The feed's bytes.
 * @param file The name for records and errors (`-` for standard input); its extension picks
 *   the format unless `options.format` does.
 * @param options {@linkcode ParseFeedStreamOptions}.
 * @returns Arrays of records, in file order, with their file and line.
 * @throws {DatabaseError} `unreadable` when the stream fails, `bad-syntax` for bytes that are
 *   not UTF-8, or the parsers' errors.
 * @example
 * ```ts
 * import { parseFeedStream } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * const text = "# c\nentry,n\n10.0.0.1,1\n10.0.0.2,2\n";
 * const stream = new Blob([text]).stream();
 * const entries = [];
 * for await (const batch of parseFeedStream(stream, "feed.csv", { blockSize: 8 })) {
 *   for (const r of batch) entries.push([r.entry, r.line, r.data]);
 * }
 * assert.deepEqual(entries, [["10.0.0.1", 3, { n: 1 }], ["10.0.0.2", 4, { n: 2 }]]);
 * ```
 */
export async function* parseFeedStream(
  stream: ReadableStream<Uint8Array>,
  file: string,
  options: ParseFeedStreamOptions = {},
): AsyncGenerator<FeedRecord[]> {
  const path = file;
  let format: FeedFormat | null = options.format ?? feedFormatOf(path);
  const parseOptions = {
    types: options.types,
    onInvalid: options.onInvalid,
    shareData: options.shareData,
  };
  const unreadable = (err: unknown) =>
    new DatabaseError(
      "unreadable",
      `Cannot read ${path === "-" ? "standard input" : `"${path}"`}: ${(err as Error).message}`,
      undefined,
      { cause: err },
    );
  const reader = stream.getReader();
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
  const head = options.detectGzip === false ? null : await next();
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
  if (format === "json") {
    // One document: read whole.
    const parts: Uint8Array[] = [];
    let total = 0;
    try {
      for await (const chunk of chunks) {
        parts.push(chunk);
        total += chunk.length;
      }
    } catch (err) {
      if (err instanceof DatabaseError) throw err;
      throw unreadable(err);
    }
    const bytes = new Uint8Array(total);
    for (let i = 0, at = 0; i < parts.length; at += parts[i].length, i++) bytes.set(parts[i], at);
    yield* batches(parseFeed(decodeFeedText(bytes, path), path, { ...parseOptions, format }));
    return;
  }
  const blockSize = options.blockSize ?? 1 << 22;
  const decoder = new TextDecoder("utf-8", { fatal: true });
  // Where the bytes given to the decoder stand, to report a bad byte at its line and offset.
  let decoded = 0;
  let tail: Uint8Array = new Uint8Array(0);
  const badUtf8 = (chunk: Uint8Array | null) => {
    // Scan from the last character start in the previous chunk's tail (complete characters
    // before it were decoded already), through the chunk.
    const both = new Uint8Array(tail.length + (chunk?.length ?? 0));
    both.set(tail);
    if (chunk) both.set(chunk, tail.length);
    let from = tail.length;
    for (let k = tail.length - 1; k >= 0; k--) {
      if ((tail[k] & 0xc0) !== 0x80) {
        from = k;
        break;
      }
    }
    const at = Math.max(from, invalidUtf8At(both, from));
    let nl = 0;
    for (let i = tail.length; i < at; i++) if (both[i] === 10) nl++;
    return notUtf8Error(path, line + countNewlines(pending) + nl, decoded - tail.length + at);
  };
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
      yield* batches(parseFeed(block, path, { ...parseOptions, format, firstLine: line }));
    } else if (csv) {
      yield* batches(
        parseFeed(`${header}\n${block}`, path, { ...parseOptions, format, firstLine: line - 1 }),
      );
    } else {
      yield* batches(parseFeed(block, path, { ...parseOptions, format: format!, firstLine: line }));
    }
    line += countNewlines(block);
  };
  try {
    for await (const chunk of chunks) {
      try {
        pending += decoder.decode(chunk, { stream: true });
      } catch {
        throw badUtf8(chunk);
      }
      decoded += chunk.length;
      if (chunk.length >= 3) tail = chunk.slice(chunk.length - 3);
      else {
        const t = new Uint8Array(tail.length + chunk.length);
        t.set(tail);
        t.set(chunk, tail.length);
        tail = t.slice(Math.max(0, t.length - 3));
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
    throw badUtf8(null);
  }
  if (wholeJson) {
    yield* batches(parseFeed(pending, path, { ...parseOptions, format: "json", firstLine: line }));
    return;
  }
  if (pending.length > 0 || header === null) yield* parseBlock(pending, true);
}
