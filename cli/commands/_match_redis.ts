/**
 * `mxy match` on a Redis stream: `--from-redis URL` runs a worker of a consumer group that scans
 * the text each entry carries (`data`) or names (`path`, with `start`/`end`), exactly as
 * `mxy match` scans a file, and writes one JSON record per hit carrying the entry id, the hit's
 * number within the entry and the database version; `--to-redis URL` is the producer that splits
 * files into such entries, and publishes database versions (`--publish-db`).
 *
 * @module
 */
import process from "node:process";
import { type Database, FormatError } from "../../lib/db/mod.ts";
import { Matcher } from "../../lib/match/matcher.ts";
import type { SpanKind } from "../../lib/match/span_kind.ts";
import { StreamMatcher } from "../../lib/match/stream_matcher.ts";
import { intFlag, type ParsedFlags, stringFlag, UsageError } from "../_command.ts";
import { now, stdinStream, writeSync } from "../_io.ts";
import { FieldFilter } from "./_match_fields.ts";
import { EntryOutput, utf8 } from "./_match_output.ts";
import { HitFormatter, type ScanConfig } from "./_match_scan.ts";
import {
  isErrorReply,
  RedisConnection,
  RedisFailure,
  redisTarget,
  text,
} from "./_redis_connect.ts";
import {
  consumeStream,
  type EntryHandler,
  type EntryRecords,
  type StreamEntry,
} from "./_redis_consumer.ts";
import {
  type LoadedVersion,
  loadVersion,
  openDatabaseVersion,
  PublishedFileWatch,
  publishFile,
  readPublished,
  versionOf,
} from "./_redis_database.ts";
import { redisWorkerSettings } from "./_redis_options.ts";
import { asBuffer, splitRanges, splitText, StreamProducer } from "./_redis_producer.ts";

/** What `mxy match` has already read from its flags. */
export interface MatchRedisSettings {
  /** Kinds to extract. */
  kinds: SpanKind[];
  /** Bytes scanned at a time. */
  bufferSize: number;
  /** `--json-field` paths. */
  jsonPaths: string[];
}

const NOT_WITH_REDIS = [
  "count",
  "files-with-matches",
  "only-matching",
  "recursive",
  "follow",
  "threads",
  "csv-column",
];
const WORKER_ONLY = [
  "group",
  "consumer",
  "to-stream",
  "claim-idle",
  "batch",
  "create-group",
  "drain",
];
const PRODUCER_ONLY = ["split", "chunk-size", "max-backlog", "publish-db"];

/**
 * Runs `mxy match --from-redis` (a worker) or `mxy match --to-redis` (the producer).
 *
 * @param flags The parsed flags.
 * @param settings Kinds, buffer size and JSON fields.
 * @returns The exit code.
 */
export async function runMatchRedis(
  flags: ParsedFlags,
  settings: MatchRedisSettings,
): Promise<number> {
  const v = flags.values;
  const from = v["from-redis"] as string | undefined;
  const to = v["to-redis"] as string | undefined;
  if (from !== undefined && to !== undefined) {
    throw new UsageError("--from-redis and --to-redis cannot be used together");
  }
  const mode = from !== undefined ? "--from-redis" : "--to-redis";
  for (const name of NOT_WITH_REDIS) {
    if (v[name] !== undefined) throw new UsageError(`--${name} cannot be used with ${mode}`);
  }
  for (const name of from !== undefined ? PRODUCER_ONLY : WORKER_ONLY) {
    if (v[name] !== undefined) {
      throw new UsageError(
        `--${name} is for ${
          from !== undefined ? "the producer (--to-redis)" : "workers (--from-redis)"
        }`,
      );
    }
  }
  if (stringFlag(flags, "format", "jsonl") !== "jsonl") {
    throw new UsageError(`${mode} writes JSON Lines only (--format jsonl)`);
  }
  // publishing a database version alone needs no stream
  const publishOnly = to !== undefined && v["publish-db"] !== undefined &&
    flags.positionals.length === 0;
  const stream = (v.stream as string | undefined) ?? (publishOnly ? "" : undefined);
  if (stream === undefined || (stream === "" && !publishOnly)) {
    throw new UsageError(`${mode} needs --stream NAME`);
  }
  const dbKey = v["db-key"] as string | undefined;
  return from !== undefined
    ? await work(flags, settings, from, stream, dbKey)
    : await produce(flags, to!, stream, dbKey);
}

async function work(
  flags: ParsedFlags,
  settings: MatchRedisSettings,
  url: string,
  stream: string,
  dbKey: string | undefined,
): Promise<number> {
  const v = flags.values;
  const { group, consumer, batch, claimIdleMs, toStream } = redisWorkerSettings(flags, stream, {
    command: "mxy match",
    carries: "the text comes from the stream",
    batch: 1024,
  });
  const parentDomains = v["parent-domains"] === true;
  const dbPath = flags.positionals[0];

  const redis = await RedisConnection.open(redisTarget(url, "--from-redis"), {
    name: `mxy-match-${consumer}`.replace(/\s/g, "_"),
  });
  try {
    // the published version, when there is one, else the file given
    const published = dbKey ? await readPublished(redis, dbKey) : null;
    let first: LoadedVersion<Database>;
    try {
      first = published
        ? await loadVersion(published.path, published.sha256, openDatabaseVersion)
        : await loadVersion(dbPath, null, openDatabaseVersion);
    } catch (err) {
      if (err instanceof FormatError) throw err;
      throw new UsageError(`Cannot open database "${dbPath}": ${(err as Error).message}`);
    }
    const watch = dbKey ? new PublishedFileWatch(redis, dbKey, openDatabaseVersion, first) : null;
    const scanner = new EntryScanner(stream, first, {
      kinds: settings.kinds,
      parentDomains,
      bufferSize: settings.bufferSize,
      jsonPaths: settings.jsonPaths,
    });
    const handler: EntryHandler = {
      beforeBatch: watch
        ? async () => {
          if (await watch.check()) scanner.use(watch.current);
        }
        : undefined,
      process: (entry) => scanner.process(entry),
      weight: (entry) => entryWeight(entry),
    };
    const started = now();
    const stats = await consumeStream(redis, handler, {
      stream,
      group,
      consumer,
      batch,
      claimIdleMs,
      createGroup: v["create-group"] === true,
      toStream,
      drain: v.drain === true,
    });
    if (v.stats === true) {
      const seconds = (now() - started) / 1000;
      const usage = process.cpuUsage();
      writeSync(
        "stderr",
        `worker ${consumer}: ${stats.interrupted ? "interrupted; " : ""}${stats.entries} entries ` +
          `(${stats.claimed} claimed from other workers, ${stats.failed} failed), ` +
          `${scanner.lines} lines, ${scanner.bytes} bytes, ${scanner.hits} hits, ` +
          `${watch?.reloads ?? 0} database reloads; ${seconds.toFixed(2)} s, ` +
          `${(scanner.lines / Math.max(seconds, 1e-9)).toFixed(0)} lines/s ` +
          `(waited for Redis ${(stats.waitedMs / 1000).toFixed(2)} s; process CPU time ${
            ((usage.user + usage.system) / 1e6).toFixed(2)
          } s)\n`,
      );
    }
    return 0;
  } finally {
    await redis.close();
  }
}

/** Options of {@linkcode EntryScanner}. */
interface EntryScannerOptions {
  kinds: SpanKind[];
  parentDomains: boolean;
  bufferSize: number;
  jsonPaths: string[];
}

/** The entry being scanned: where its bytes start in the stream matcher, and its records. */
interface Current {
  id: string;
  /** Stream-matcher offset of the entry's first byte. */
  vstart: number;
  /** Stream-matcher line of the entry's first byte. */
  vline: number;
  /** File offset of the entry's first byte. */
  offset: number;
  /** Line number of the entry's first byte, or `null` when unknown. */
  line: number | null;
  /** Its records, as bytes (a line each, without the last newline). */
  out: EntryOutput;
  /** `{"id":"ID","hit":`, as bytes. */
  head: Uint8Array;
  /** `,"db":"VERSION","file":NAME,"line":`, as bytes. */
  middle: Uint8Array;
}

const NL = 0x0a;
const NEWLINE = new Uint8Array([NL]);
const NULL_TEXT = utf8("null");

/**
 * Scans entries with one stream matcher per database version: each entry's bytes are written
 * to it, followed by a newline when they lack one, and flushed, so every entry is scanned on its
 * own, as whole lines, without a buffer per entry.
 */
class EntryScanner {
  #stream: string;
  #options: EntryScannerOptions;
  #version!: string;
  #sm!: StreamMatcher;
  #cur: Current | null = null;
  /** The records of the entry being scanned (one buffer for every entry). */
  #out = new EntryOutput();
  lines = 0;
  bytes = 0;
  hits = 0;

  constructor(stream: string, first: LoadedVersion<Database>, options: EntryScannerOptions) {
    this.#stream = stream;
    this.#options = options;
    this.use(first);
  }

  /** Switches to a database version (between entries). */
  use(version: LoadedVersion<Database>): void {
    const db = version.value;
    const o = this.#options;
    const matcher = new Matcher(db, {
      kinds: o.kinds,
      parentDomains: o.parentDomains || db.metadata.mxyParentDomains,
    });
    const config: ScanConfig = { format: "jsonl", onlyMatching: false, countOnly: false };
    const formatter = new HitFormatter(db, matcher, config);
    const filter = o.jsonPaths.length > 0 ? new FieldFilter({ jsonPaths: o.jsonPaths }) : null;
    const db16 = versionOf(version.sha256);
    this.#version = db16;
    this.#sm = new StreamMatcher(matcher, (hit, at) => {
      const c = this.#cur!;
      if (filter !== null) {
        const [ls, le] = at.lineRange(hit.start);
        if (!filter.keeps(at.bytes, ls, le, hit.start, hit.end, at.offsetOf(ls))) return;
      }
      const vline = at.lineOf(hit.start);
      const offset = c.offset + at.offsetOf(hit.start) - c.vstart;
      const out = c.out, w = out.writer, n = out.count;
      if (n > 0) w.byte(NL);
      w.bytes(c.head);
      w.number(n);
      w.bytes(c.middle);
      if (c.line === null) w.bytes(NULL_TEXT);
      else w.number(c.line + vline - c.vline);
      formatter.formatInto(hit, at, w, offset);
      out.count = n + 1;
    }, { bufferSize: o.bufferSize });
  }

  /** The records of one entry. */
  async process(entry: StreamEntry): Promise<EntryRecords> {
    const f = entry.fields;
    const data = f.get("data");
    const path = f.get("path");
    const sm = this.#sm;
    const linesBefore = sm.lines;
    const bytesBefore = sm.bytesWritten;
    let c: Current | null = null;
    let last = NL;
    try {
      if (data !== undefined) {
        c = this.#begin(entry.id, text(f.get("file")) || `(stream ${this.#stream})`, f, 1);
        sm.write(data);
        if (data.length > 0) last = data[data.length - 1];
      } else if (path !== undefined) {
        const name = text(path);
        const file = await Deno.open(name, { read: true });
        try {
          const size = (await file.stat()).size;
          const start = field(f, "start") ?? 0;
          const end = Math.min(field(f, "end") ?? size, size);
          if (start > end) throw new Error(`"${name}": range ${start}-${end} is empty or reversed`);
          c = this.#begin(entry.id, name, f, start === 0 ? 1 : null, start);
          await file.seek(start, Deno.SeekMode.Start);
          let left = end - start;
          while (left > 0) {
            const space = sm.space;
            const n = file.readSync(space.length > left ? space.subarray(0, left) : space);
            if (n === null) break;
            if (n > 0) last = space[n - 1];
            left -= n;
            sm.commit(n);
          }
        } finally {
          file.close();
        }
      } else {
        throw new Error(
          `has neither a "data" nor a "path" field (fields: ${[...f.keys()].join(", ") || "none"})`,
        );
      }
    } finally {
      // end the entry on a line of its own, scanned now, whatever happened
      if (last !== NL) sm.write(NEWLINE);
      sm.flush();
      this.#cur = null;
    }
    this.lines += sm.lines - linesBefore;
    this.bytes += sm.bytesWritten - bytesBefore - (last !== NL ? 1 : 0);
    const count = c!.out.count;
    this.hits += count;
    return { bytes: c!.out.take(), count };
  }

  #begin(
    id: string,
    file: string,
    f: Map<string, Uint8Array>,
    defaultLine: number | null,
    defaultOffset = 0,
  ): Current {
    const sm = this.#sm;
    this.#out.clear(); // whatever a failed entry left
    this.#cur = {
      id,
      head: utf8(`{"id":"${id}","hit":`),
      middle: utf8(`,"db":"${this.#version}","file":${JSON.stringify(file)},"line":`),
      out: this.#out,
      vstart: sm.bytesWritten,
      vline: sm.lines + 1,
      offset: field(f, "offset") ?? defaultOffset,
      line: field(f, "line") ?? defaultLine,
    };
    return this.#cur;
  }

  /** The database version in use (16 hex digits of its SHA-256). */
  get version(): string {
    return this.#version;
  }
}

/** The bytes an entry has to scan: its text, or the size of its range (a guess when unknown). */
function entryWeight(entry: StreamEntry): number {
  const f = entry.fields;
  const data = f.get("data");
  if (data !== undefined) return data.length;
  const start = Number(text(f.get("start")) || 0);
  const end = Number(text(f.get("end")) || NaN);
  return Number.isFinite(end) && end >= start ? end - start : 16 << 20;
}

/** A whole-number field, `undefined` when absent; anything else fails the entry. */
function field(f: Map<string, Uint8Array>, name: string): number | undefined {
  const raw = f.get(name);
  if (raw === undefined) return undefined;
  const s = text(raw);
  if (!/^\d{1,15}$/.test(s)) throw new Error(`field "${name}" is not a whole number: "${s}"`);
  return Number(s);
}

async function produce(
  flags: ParsedFlags,
  url: string,
  stream: string,
  dbKey: string | undefined,
): Promise<number> {
  const v = flags.values;
  const split = stringFlag(flags, "split", "chunks");
  if (split !== "chunks" && split !== "lines" && split !== "ranges") {
    throw new UsageError(`--split takes chunks, lines or ranges, got "${split}"`);
  }
  const chunkSize = intFlag(flags, "chunk-size", split === "ranges" ? 16 << 20 : 1 << 20);
  if (chunkSize < 4096 || chunkSize > 512 << 20) {
    throw new UsageError("--chunk-size takes 4096 to 536870912 bytes");
  }
  const defaultBacklog = split === "lines"
    ? 65_536
    : split === "ranges"
    ? 4096
    : Math.max(16, Math.floor((64 << 20) / chunkSize));
  const maxBacklog = intFlag(flags, "max-backlog", defaultBacklog);
  if (maxBacklog < 0) throw new UsageError("--max-backlog takes 0 (no limit) or more entries");
  const publishDb = v["publish-db"] as string | undefined;
  if (publishDb !== undefined && !dbKey) throw new UsageError("--publish-db needs --db-key KEY");
  const paths = [...flags.positionals];
  if (paths.length === 0 && publishDb === undefined) paths.push("-");
  if (split === "ranges" && paths.includes("-")) {
    throw new UsageError("--split ranges needs files every worker can read, not standard input");
  }
  const files: { path: string; name: string }[] = [];
  for (const p of paths) {
    if (p === "-") {
      files.push({ path: p, name: "(standard input)" });
      continue;
    }
    const info = await Deno.stat(p).catch(() => null);
    if (info === null) throw new UsageError(`Cannot read "${p}": no such file or directory`);
    if (!info.isFile) throw new UsageError(`"${p}" is not a regular file`);
    if (split === "ranges" && p.endsWith(".gz")) {
      throw new UsageError(`--split ranges cannot cut "${p}" (gzip): use chunks or lines`);
    }
    files.push({ path: p, name: p });
  }
  let dbBytes: Uint8Array | null = null;
  if (publishDb !== undefined) {
    dbBytes = await Deno.readFile(publishDb).catch((err) => {
      throw new UsageError(`Cannot open database "${publishDb}": ${(err as Error).message}`);
    });
    openDatabaseVersion(dbBytes, publishDb);
  }

  const redis = await RedisConnection.open(redisTarget(url, "--to-redis"), {
    name: "mxy-match-producer",
  });
  const input: ProduceInput = {
    stream,
    files,
    split,
    chunkSize,
    maxBacklog,
    stats: v.stats === true,
  };
  if (publishDb !== undefined) input.publish = { key: dbKey!, path: publishDb, bytes: dbBytes! };
  try {
    return await produceTo(redis, input);
  } catch (err) {
    if (!isErrorReply(err)) throw err;
    // Redis said no (NOPERM, WRONGTYPE, OOM …): name the server and the keys
    throw new RedisFailure(
      `Redis at ${redis.display} refused the producer (stream "${stream}"${
        dbKey ? `, key "${dbKey}"` : ""
      }): ${(err as Error).message}`,
    );
  } finally {
    await redis.close();
  }
}

/** What the producer adds, and where. */
interface ProduceInput {
  stream: string;
  files: { path: string; name: string }[];
  split: "chunks" | "lines" | "ranges";
  chunkSize: number;
  maxBacklog: number;
  stats: boolean;
  /** A database version to publish first. */
  publish?: { key: string; path: string; bytes: Uint8Array };
}

async function produceTo(redis: RedisConnection, o: ProduceInput): Promise<number> {
  const { stream, files, split, chunkSize, maxBacklog } = o;
  if (o.publish !== undefined) {
    const p = await publishFile(redis, o.publish.key, o.publish.path, o.publish.bytes);
    writeSync(
      "stderr",
      `mxy: published database version ${versionOf(p.sha256)} (${p.path}) at "${o.publish.key}"\n`,
    );
  }
  if (files.length === 0) return 0; // published a database version only
  const producer = await StreamProducer.open(redis, { stream, maxBacklog });
  const started = now();
  let bytes = 0;
  for (const file of files) {
    if (split === "ranges") {
      const abs = await Deno.realPath(file.path);
      for await (const r of splitRanges(abs, chunkSize)) {
        await producer.add([
          ["path", abs],
          ["start", String(r.start)],
          ["end", String(r.end)],
          ["line", String(r.line)],
        ]);
        bytes += r.end - r.start;
      }
      continue;
    }
    const text = await openText(file.path);
    for await (const piece of splitText(text, chunkSize, split === "lines")) {
      await producer.add([
        ["data", asBuffer(piece.data)],
        ["file", file.name],
        ["offset", String(piece.offset)],
        ["line", String(piece.line)],
      ]);
      bytes += piece.data.length;
    }
  }
  await producer.flush();
  if (o.stats) {
    const seconds = (now() - started) / 1000;
    writeSync(
      "stderr",
      `added ${producer.added} entries (${bytes} bytes of ${files.length} file${
        files.length === 1 ? "" : "s"
      }) to "${stream}"; waited for the workers ${producer.waits} times; ` +
        `${seconds.toFixed(2)} s\n`,
    );
  }
  return 0;
}

async function openText(path: string): Promise<ReadableStream<Uint8Array>> {
  const raw = path === "-" ? stdinStream() : (await Deno.open(path, { read: true })).readable;
  if (!path.endsWith(".gz")) return raw;
  return (raw as ReadableStream<Uint8Array<ArrayBuffer>>).pipeThrough(
    new DecompressionStream("gzip") as unknown as ReadableWritablePair<
      Uint8Array,
      Uint8Array<ArrayBuffer>
    >,
  );
}
