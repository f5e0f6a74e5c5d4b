/**
 * `mxy pcap match` on a Redis stream, as `mxy match` does for text (`_match_redis.ts`): with
 * `--from-redis URL` it is a worker of a consumer group that matches the capture file each entry
 * names (field `path`, on storage every worker reads), one capture at a time, and writes one JSON
 * record per hit with the entry id, the hit's number in the entry, the database version and the
 * file (database versions published at a key, `--db-key`, are loaded between batches); with
 * `--to-redis URL` it announces capture files on the stream (their absolute paths).
 *
 * Each entry is matched with a matcher of its own, so scanning an entry again (after a worker
 * died holding it) gives the same records.
 *
 * @module
 */
import type { Database } from "../../lib/db/mod.ts";
import type { CaptureHit, CaptureMatcher } from "../../lib/match/mod.ts";
import { formatCaptureHit, matchCapture } from "../../lib/match/mod.ts";
import { openCaptureFile } from "../../lib/runtime/mod.ts";
import { intFlag, type ParsedFlags, stringFlag, UsageError } from "../_command.ts";
import { now, writeSync } from "../_io.ts";
import { RedisConnection, redisTarget, text } from "./_redis_connect.ts";
import { BATCH_BYTES, consumeStream, type EntryHandler } from "./_redis_consumer.ts";
import { StreamProducer } from "./_redis_producer.ts";
import {
  type LoadedVersion,
  loadVersion,
  openDatabaseVersion,
  PublishedFileWatch,
  readPublished,
  versionOf,
} from "./_redis_database.ts";
import { redisWorkerSettings } from "./_redis_options.ts";

const WORKER_ONLY = [
  "group",
  "consumer",
  "to-stream",
  "claim-idle",
  "batch",
  "create-group",
  "drain",
  "db-key",
];
const NOT_WITH_REDIS = ["watch", "output", "once", "poll-ms", "stable-ms", "mode"];

/**
 * Runs `mxy pcap match --to-redis URL --stream NAME CAPTURE…`.
 *
 * @param flags The parsed flags.
 * @param url The Redis URL.
 * @param given Whether an option was given on the command line (not a default).
 * @returns The exit code.
 */
export async function announceCaptures(
  flags: ParsedFlags,
  url: string,
  given: (name: string) => boolean,
): Promise<number> {
  const v = flags.values;
  checkCommon(flags, "--to-redis", given);
  for (const name of WORKER_ONLY) {
    if (v[name] !== undefined) throw new UsageError(`--${name} is for workers (--from-redis)`);
  }
  const stream = v.stream as string;
  const maxBacklog = intFlag(flags, "max-backlog", 4096);
  if (maxBacklog < 0) throw new UsageError("--max-backlog takes 0 (no limit) or more entries");
  if (flags.positionals.length === 0) {
    throw new UsageError("mxy pcap match --to-redis needs CAPTURE files every worker can read");
  }
  const paths: string[] = [];
  for (const p of flags.positionals) {
    if (p === "-") throw new UsageError("--to-redis needs files every worker can read, not -");
    const info = await Deno.stat(p).catch(() => null);
    if (info === null) throw new UsageError(`Cannot read "${p}": no such file or directory`);
    if (!info.isFile) throw new UsageError(`"${p}" is not a regular file`);
    paths.push(await Deno.realPath(p));
  }
  const redis = await RedisConnection.open(redisTarget(url, "--to-redis"), {
    name: "mxy-pcap-match-producer",
  });
  try {
    const started = now();
    const producer = await StreamProducer.open(redis, { stream, maxBacklog });
    for (const path of paths) await producer.add([["path", path]]);
    await producer.flush();
    if (v.stats === true) {
      writeSync(
        "stderr",
        `added ${producer.added} captures to "${stream}"; waited for the workers ` +
          `${producer.waits} times; ${((now() - started) / 1000).toFixed(2)} s\n`,
      );
    }
    return 0;
  } finally {
    await redis.close();
  }
}

/**
 * Runs `mxy pcap match DB --from-redis URL --stream NAME --group NAME`.
 *
 * @param flags The parsed flags.
 * @param url The Redis URL.
 * @param options Which options were given, and a new matcher for a database (as the command's
 * flags say) sending its hits to `onHit`.
 * @returns The exit code.
 */
export async function matchCapturesFromStream(
  flags: ParsedFlags,
  url: string,
  options: WorkerOptions,
): Promise<number> {
  const { makeMatcher } = options;
  const v = flags.values;
  checkCommon(flags, "--from-redis", options.given);
  if (v["max-backlog"] !== undefined) {
    throw new UsageError("--max-backlog is for the producer (--to-redis)");
  }
  const stream = v.stream as string;
  const { group, consumer, batch, claimIdleMs, toStream } = redisWorkerSettings(flags, stream, {
    command: "mxy pcap match",
    carries: "the captures come from the stream",
    batch: 1,
  });

  const redis = await RedisConnection.open(redisTarget(url, "--from-redis"), {
    name: `mxy-pcap-match-${consumer}`.replace(/\s/g, "_"),
  });
  let hits = 0;
  try {
    const dbPath = flags.positionals[0];
    const dbKey = v["db-key"] as string | undefined;
    // the published version, when there is one, else the file given
    const published = dbKey ? await readPublished(redis, dbKey) : null;
    let current: LoadedVersion<Database> = published
      ? await loadVersion(published.path, published.sha256, openDatabaseVersion)
      : await loadVersion(dbPath, null, openDatabaseVersion);
    const watch = dbKey ? new PublishedFileWatch(redis, dbKey, openDatabaseVersion, current) : null;
    const handler: EntryHandler = {
      beforeBatch: watch
        ? async () => {
          if (await watch.check()) current = watch.current;
        }
        : undefined,
      async process(entry) {
        const raw = entry.fields.get("path");
        if (raw === undefined) {
          throw new Error(
            `has no "path" field (fields: ${[...entry.fields.keys()].join(", ") || "none"})`,
          );
        }
        const path = text(raw);
        const head = `{"id":"${entry.id}","hit":`;
        const tail = `,"db":"${versionOf(current.sha256)}","file":${JSON.stringify(path)},`;
        const records: string[] = [];
        const matcher = makeMatcher(current.value, (hit) => {
          const line = formatCaptureHit(hit, "jsonl"); // {…}\n
          records.push(`${head}${records.length}${tail}${line.slice(1, -1)}`);
        });
        const file = await openCaptureFile(path, { mode: "stream" });
        try {
          await matchCapture(file.source, matcher, { read: { name: path } });
        } finally {
          file.close();
        }
        matcher.finish();
        hits += records.length;
        return records;
      },
      // a capture is a batch's worth of work: read one at a time unless --batch says more
      weight: () => BATCH_BYTES,
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
      // a capture is a long piece of work and Redis carries none of it: a capture read ahead
      // would wait on this worker while another, done, has nothing left
      readAhead: false,
    });
    if (v.stats === true) {
      writeSync(
        "stderr",
        `worker ${consumer}: ${
          stats.interrupted ? "interrupted; " : ""
        }${stats.entries} captures ` +
          `(${stats.claimed} claimed from other workers, ${stats.failed} failed), ${hits} hits, ` +
          `${watch?.reloads ?? 0} database reloads; ` +
          `${((now() - started) / 1000).toFixed(2)} s\n`,
      );
    }
    return 0;
  } finally {
    await redis.close();
  }
}

/** What {@linkcode matchCapturesFromStream} needs from the command. */
export interface WorkerOptions {
  /** Whether an option was given on the command line (not a default). */
  given: (name: string) => boolean;
  /** A new matcher for a database, sending its hits to `onHit`. */
  makeMatcher: (db: Database, onHit: (hit: CaptureHit) => void) => CaptureMatcher;
}

function checkCommon(flags: ParsedFlags, mode: string, given: (name: string) => boolean): void {
  const v = flags.values;
  if (v["from-redis"] !== undefined && v["to-redis"] !== undefined) {
    throw new UsageError("--from-redis and --to-redis do not go together");
  }
  for (const name of NOT_WITH_REDIS) {
    if (given(name)) throw new UsageError(`--${name} cannot be used with ${mode}`);
  }
  if (stringFlag(flags, "format", "jsonl") !== "jsonl") {
    throw new UsageError(`${mode} writes JSON Lines only (--format jsonl)`);
  }
  if (!v.stream) throw new UsageError(`${mode} needs --stream NAME`);
}
