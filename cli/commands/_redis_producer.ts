/**
 * The producer side of the stream modes (`mxy match --to-redis URL --stream NAME FILE…`): splits
 * text into line-aligned chunks or single lines carried in the entries (fields `data`, `file`,
 * `offset`, `line`), or into line-aligned byte ranges of files every worker can read (fields
 * `path`, `start`, `end`, `line`), and adds them to a stream.
 *
 * Entries are added in pipelined batches under ids the producer chooses (`<ms>-<n>`), so a batch
 * cut short by a lost connection is completed without duplicates: after reconnecting, the entries
 * already in the stream (same id, same fields) are kept and only the others are sent again.
 * Backpressure: with `maxBacklog`, the producer waits while the stream holds that many entries,
 * after trimming (`XTRIM MINID`) what every consumer group has read and acknowledged.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import {
  isErrorReply,
  isTransientReply,
  type RedisConnection,
  RedisFailure,
  type RedisReply,
  text,
} from "./_redis_connect.ts";
import type { RedisArg } from "./_redis_connect.ts";

/** An entry's fields, in order. */
export type EntryFields = [string, RedisArg][];

/** Options of {@linkcode StreamProducer.open}. */
export interface StreamProducerOptions {
  /** The stream written. */
  stream: string;
  /**
   * Wait while the stream holds this many entries that some group has not yet read and
   * acknowledged (0: never wait).
   */
  maxBacklog: number;
  /** Entries per pipelined batch (default 256). */
  batchEntries?: number;
  /** Bytes of field values per batch (default 4 MiB). */
  batchBytes?: number;
}

/** Adds entries to a stream in pipelined, retried batches. */
export class StreamProducer {
  #redis: RedisConnection;
  #o: StreamProducerOptions;
  #queue: EntryFields[] = [];
  #queued = 0;
  #lastMs = 0;
  /** Entries added. */
  added = 0;
  /** Times the producer waited for the workers. */
  waits = 0;

  private constructor(redis: RedisConnection, options: StreamProducerOptions) {
    this.#redis = redis;
    this.#o = options;
  }

  /**
   * A producer for a stream (which need not exist yet).
   *
   * @param redis The connection.
   * @param options The stream and the backlog limit.
   * @returns The producer.
   */
  static async open(
    redis: RedisConnection,
    options: StreamProducerOptions,
  ): Promise<StreamProducer> {
    const p = new StreamProducer(redis, options);
    p.#lastMs = await lastMs(redis, options.stream);
    return p;
  }

  /**
   * Queues an entry, sending the batch when it is full (and waiting for room first).
   *
   * @param fields The entry's fields.
   */
  async add(fields: EntryFields): Promise<void> {
    this.#queue.push(fields);
    for (const [, v] of fields) this.#queued += v.length;
    const max = this.#o.maxBacklog;
    const entries = Math.min(this.#o.batchEntries ?? 256, max > 0 ? max : Infinity);
    if (
      this.#queue.length >= entries ||
      this.#queued >= (this.#o.batchBytes ?? 4 << 20)
    ) await this.flush();
  }

  /** Sends what is queued. */
  async flush(): Promise<void> {
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#queued = 0;
    await this.#waitForRoom(batch.length);
    await this.#send(batch);
    this.added += batch.length;
  }

  async #waitForRoom(n: number): Promise<void> {
    const max = this.#o.maxBacklog;
    if (max <= 0) return;
    const stream = this.#o.stream;
    for (let k = 0;; k++) {
      const len = await retried(() => this.#redis.command(["XLEN", stream])) as number;
      if (len === 0 || len + n <= max) return;
      const trimmed = await trimConsumed(this.#redis, stream);
      if (len - trimmed === 0 || len - trimmed + n <= max) return;
      if (k === 0) this.waits++;
      await sleep(Math.min(10 * 2 ** k, 250));
    }
  }

  async #send(batch: EntryFields[]): Promise<void> {
    const stream = this.#o.stream;
    let todo = batch;
    while (todo.length > 0) {
      const ms = Math.max(Date.now(), this.#lastMs + 1);
      this.#lastMs = ms;
      const ids = todo.map((_, i) => `${ms}-${i}`);
      const results = await Promise.allSettled(
        todo.map((f, i) => this.#redis.command(["XADD", stream, ids[i], ...f.flat()])),
      );
      const failed: number[] = [];
      let behind = false;
      results.forEach((r, i) => {
        if (r.status === "fulfilled") return;
        const message = (r.reason as Error)?.message ?? String(r.reason);
        if (isErrorReply(r.reason) && !isTransientReply(r.reason)) {
          // another producer's entry is newer: send again under a later id
          if (/equal or smaller/.test(message)) behind = true;
          else throw new RedisFailure(`Cannot add to stream "${stream}": ${message}`);
        }
        failed.push(i);
      });
      if (failed.length === 0) return;
      // which of them did Redis write before the connection failed?
      const first = ids[failed[0]], last = ids[failed[failed.length - 1]];
      const found = await retried(() => this.#redis.command(["XRANGE", stream, first, last]));
      const written = new Set<number>();
      for (const e of Array.isArray(found) ? found : []) {
        const at = ids.indexOf(text((e as RedisReply[])[0]));
        if (at >= 0 && sameFields((e as RedisReply[])[1], todo[at])) written.add(at);
      }
      todo = failed.filter((i) => !written.has(i)).map((i) => todo[i]);
      if (behind) this.#lastMs = Math.max(this.#lastMs, await lastMs(this.#redis, stream));
    }
  }
}

/**
 * Deletes the entries every consumer group of a stream has read and acknowledged: those before
 * the oldest pending entry of each group and before each group's next undelivered entry.
 * Nothing is deleted while the stream has no group.
 *
 * @param redis The connection.
 * @param stream The stream.
 * @returns How many entries were deleted.
 */
export async function trimConsumed(redis: RedisConnection, stream: string): Promise<number> {
  const groups = await retried(() => redis.command(["XINFO", "GROUPS", stream])).catch((err) => {
    if (isErrorReply(err)) return [];
    throw err;
  });
  if (!Array.isArray(groups) || groups.length === 0) return 0;
  let keep: bigint[] | null = null;
  for (const g of groups) {
    const info = new Map<string, RedisReply>();
    const flat = g as RedisReply[];
    for (let i = 0; i + 1 < flat.length; i += 2) info.set(text(flat[i]), flat[i + 1]);
    let first: bigint[];
    if ((info.get("pending") as number) > 0) {
      const p = await retried(() => redis.command(["XPENDING", stream, text(info.get("name"))]));
      first = parseId(text((p as RedisReply[])[1]));
    } else {
      const [ms, seq] = parseId(text(info.get("last-delivered-id")));
      first = [ms, seq + 1n];
    }
    if (keep === null || compareIds(first, keep) < 0) keep = first;
  }
  const r = await retried(() =>
    redis.command(["XTRIM", stream, "MINID", `${keep![0]}-${keep![1]}`])
  );
  return typeof r === "number" ? r : 0;
}

/** A line-aligned piece of text and where it starts. */
export interface TextPiece {
  /** The bytes (a copy). */
  data: Uint8Array;
  /** Byte offset in the input. */
  offset: number;
  /** Line number (from 1) of the first byte. */
  line: number;
}

const NL = 0x0a;

/** Options of {@linkcode splitText}. */
export interface SplitTextOptions {
  /**
   * The longest whole lines wait for a chunk to fill when the input pauses: after this many
   * milliseconds without new bytes, the complete lines held go out as a shorter piece (a slow
   * live input such as `tail -f` is not held back until a chunk fills). 0 waits for full chunks.
   * Default: {@linkcode FLUSH_AFTER_MS}.
   */
  flushAfterMs?: number;
}

/** How long whole lines wait for more input before a shorter piece goes out. */
export const FLUSH_AFTER_MS = 200;

const PAUSED = Symbol("paused");

/**
 * Splits text into pieces of at most `size` bytes that end at a newline (single lines with
 * `lines`; empty lines are skipped). A line longer than `size` is cut at its last space or tab
 * within the piece (else at `size`), and the rest starts the next piece under the same line
 * number. When the input pauses for `flushAfterMs` with whole lines held, they go out at once.
 *
 * @param stream The text.
 * @param size The largest piece.
 * @param lines One piece per line.
 * @param options When held lines go out.
 * @returns The pieces.
 */
export async function* splitText(
  stream: ReadableStream<Uint8Array>,
  size: number,
  lines: boolean,
  options: SplitTextOptions = {},
): AsyncGenerator<TextPiece> {
  const flushAfterMs = options.flushAfterMs ?? FLUSH_AFTER_MS;
  const buf = new Uint8Array(size);
  let filled = 0;
  let offset = 0;
  let line = 1;
  const take = (n: number): TextPiece => {
    const data = buf.slice(0, n);
    const piece = { data, offset, line };
    line += countNewlines(data, 0, n);
    offset += n;
    buf.copyWithin(0, n, filled);
    filled -= n;
    return piece;
  };
  function* pieces(final: boolean): Generator<TextPiece> {
    if (lines) {
      for (;;) {
        const nl = buf.subarray(0, filled).indexOf(NL);
        if (nl < 0) break;
        if (nl === 0 || (nl === 1 && buf[0] === 0x0d)) {
          take(nl + 1); // an empty line
          continue;
        }
        yield take(nl + 1);
      }
      if (filled === 0 || (!final && filled < buf.length)) return;
      yield take(final ? filled : cutAt(buf, filled));
      return;
    }
    if (!final && filled < buf.length) return;
    if (final) {
      if (filled > 0) yield take(filled);
      return;
    }
    const nl = buf.lastIndexOf(NL, filled - 1);
    yield take(nl >= 0 ? nl + 1 : cutAt(buf, filled));
  }
  const reader = stream.getReader();
  let next: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
  try {
    for (;;) {
      next ??= reader.read();
      let r: ReadableStreamReadResult<Uint8Array> | typeof PAUSED;
      if (flushAfterMs > 0 && !lines && filled > 0 && buf.lastIndexOf(NL, filled - 1) >= 0) {
        // Whole lines are held: wait for more input only so long.
        let timer: ReturnType<typeof setTimeout> | undefined;
        const paused = new Promise<typeof PAUSED>((resolve) => {
          timer = setTimeout(() => resolve(PAUSED), flushAfterMs);
        });
        r = await Promise.race([next, paused]);
        clearTimeout(timer);
        if (r === PAUSED) {
          yield take(buf.lastIndexOf(NL, filled - 1) + 1);
          continue;
        }
      } else r = await next;
      next = null;
      if (r.done) break;
      const chunk = r.value;
      let at = 0;
      while (at < chunk.length) {
        const n = Math.min(buf.length - filled, chunk.length - at);
        buf.set(chunk.subarray(at, at + n), filled);
        filled += n;
        at += n;
        yield* pieces(false);
      }
    }
  } finally {
    if (next === null) reader.releaseLock();
    else reader.cancel().catch(() => {});
  }
  yield* pieces(true);
}

/** A line-aligned byte range of a file. */
export interface FileRange {
  /** First byte. */
  start: number;
  /** One past the last byte. */
  end: number;
  /** Line number (from 1) of the first byte. */
  line: number;
}

/**
 * Splits a file into ranges of about `size` bytes that end after a newline (or at the end of
 * the file), with the line number each starts at; reads the file once.
 *
 * @param path The file.
 * @param size The size aimed at.
 * @returns The ranges.
 */
export async function* splitRanges(path: string, size: number): AsyncGenerator<FileRange> {
  const file = await Deno.open(path, { read: true });
  try {
    const block = new Uint8Array(1 << 20);
    let pos = 0;
    let line = 1; // the line number after what has been counted
    let start = 0;
    let startLine = 1;
    let target = size;
    for (;;) {
      const n = await file.read(block);
      if (n === null) break;
      let counted = 0;
      for (;;) {
        const from = target - pos;
        if (from >= n) break;
        const nl = block.subarray(0, n).indexOf(NL, Math.max(0, from));
        if (nl < 0) break;
        line += countNewlines(block, counted, nl + 1);
        counted = nl + 1;
        const end = pos + nl + 1;
        yield { start, end, line: startLine };
        start = end;
        startLine = line;
        target = end + size;
      }
      line += countNewlines(block, counted, n);
      pos += n;
    }
    if (start < pos) yield { start, end: pos, line: startLine };
  } finally {
    file.close();
  }
}

/**
 * A view of bytes as a `Buffer` (no copy), as the Redis client takes them.
 *
 * @param bytes The bytes.
 * @returns The buffer.
 */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function countNewlines(bytes: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = bytes.indexOf(NL, from); i >= 0 && i < to; i = bytes.indexOf(NL, i + 1)) n++;
  return n;
}

/** Where to cut a full buffer without a newline: after its last space or tab, else at its end. */
function cutAt(buf: Uint8Array, filled: number): number {
  for (let i = filled - 1; i > 0; i--) if (buf[i] === 0x20 || buf[i] === 0x09) return i + 1;
  return filled;
}

function sameFields(raw: RedisReply | undefined, fields: EntryFields): boolean {
  if (!Array.isArray(raw) || raw.length !== fields.length * 2) return false;
  return fields.every(([name, value], i) => {
    const a = raw[2 * i], b = raw[2 * i + 1];
    if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || text(a) !== name) return false;
    const v = typeof value === "string" ? Buffer.from(value) : value;
    return Buffer.compare(b, v) === 0;
  });
}

async function lastMs(redis: RedisConnection, stream: string): Promise<number> {
  const info = await retried(() => redis.command(["XINFO", "STREAM", stream])).catch((err) => {
    if (isErrorReply(err) && /no such key/i.test((err as Error).message)) return null; // not yet
    throw err;
  });
  if (!Array.isArray(info)) return 0;
  for (let i = 0; i + 1 < info.length; i += 2) {
    if (text(info[i]) === "last-generated-id") return Number(parseId(text(info[i + 1]))[0]);
  }
  return 0;
}

function parseId(id: string): bigint[] {
  const [ms, seq] = id.split("-");
  return [BigInt(ms || "0"), BigInt(seq || "0")];
}

function compareIds(a: bigint[], b: bigint[]): number {
  return a[0] !== b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] === b[1] ? 0 : a[1] < b[1] ? -1 : 1;
}

/**
 * Runs a step again while the connection is down or Redis says "not now" (LOADING); other error
 * replies are thrown.
 */
async function retried(step: () => Promise<RedisReply>): Promise<RedisReply> {
  for (let attempt = 0;; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (isErrorReply(err) && !isTransientReply(err)) throw err;
      await sleep(Math.min(50 * 2 ** attempt, 1000));
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
