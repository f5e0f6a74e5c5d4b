/**
 * A worker of a Redis Streams consumer group, for any command that turns an entry into output
 * records (`mxy match --from-redis`; `mxy pcap match` next): reads bounded batches with
 * `XREADGROUP`, claims with `XAUTOCLAIM` what dead workers left pending for longer than the claim
 * time, hands each entry to an {@linkcode EntryHandler}, writes the records (to an output stream,
 * one entry per input entry in the same `MULTI` as the `XACK`, or to standard output before it),
 * and acknowledges an entry only once its records are written. A worker killed at any moment
 * loses nothing: what it had not acknowledged is claimed by another (at-least-once; each record
 * names its entry id, so a reader drops the duplicates).
 *
 * When the connection fails the step is retried once the client has reconnected; SIGINT or
 * SIGTERM stop the worker after the batch in hand (a second one at once).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { setImmediate } from "node:timers";
import { exit, now, writeSync } from "../_io.ts";
import { onTerminate } from "../../lib/runtime/process.ts";
import {
  isErrorReply,
  isTransientReply,
  pairs,
  type RedisConnection,
  RedisFailure,
  type RedisReply,
  text,
} from "./_redis_connect.ts";

/** One stream entry. */
export interface StreamEntry {
  /** The entry id (`1718000000000-0`). */
  id: string;
  /** Its fields, as bytes. */
  fields: Map<string, Uint8Array>;
}

/** The output records of one entry as bytes: lines joined by newlines, without the last one. */
export interface EntryRecords {
  /** The records' bytes. */
  bytes: Uint8Array;
  /** How many records. */
  count: number;
}

/** What a command plugs into the consumer: the work on each entry. */
export interface EntryHandler {
  /** Called before each batch, e.g. to load a newly published database. */
  beforeBatch?(): Promise<void>;
  /**
   * The output records of one entry, each one line of text without the newline. An error
   * thrown here becomes an error record (`{"id":…,"error":…}`), and the entry is acknowledged.
   */
  process(entry: StreamEntry): Promise<string[] | EntryRecords>;
  /**
   * The work an entry stands for, in bytes (default: the size of its fields); reads are sized
   * so that a batch holds about {@linkcode BATCH_BYTES} of work.
   */
  weight?(entry: StreamEntry): number;
}

const ENCODER = new TextEncoder();

/** How often a draining worker that found nothing left looks whether others are done (ms). */
const DRAIN_POLL_MS = 5;

/** The work aimed at per batch, in bytes. */
export const BATCH_BYTES = 8 << 20;

/** Options of {@linkcode consumeStream}. */
export interface ConsumerOptions {
  /** The stream read. */
  stream: string;
  /** The consumer group. */
  group: string;
  /** This worker's name in the group. */
  consumer: string;
  /**
   * The most entries per read (`COUNT`); the count starts at 8 and grows (doubling) or shrinks
   * (halving) so that a batch holds about {@linkcode BATCH_BYTES} of work.
   */
  batch: number;
  /** Entries another worker left pending this long (ms) are claimed. */
  claimIdleMs: number;
  /** Create the group (and the stream) when missing, reading from the stream's start. */
  createGroup: boolean;
  /**
   * Write records to this stream instead of standard output: one entry per input entry that
   * has any, with fields `id` (the input entry's id) and `records` (its records, a line each).
   */
  toStream?: string;
  /** Stop once nothing is left to read and nothing is pending in the group. */
  drain: boolean;
  /**
   * Ask for the next batch before handling the one in hand (default `true`): Redis answers while
   * the worker works, at the price of a second batch held by this worker — for entries that are
   * small pieces of work (text), not for long ones (a capture file each), where the last
   * batch read ahead would keep other workers idle at the end.
   */
  readAhead?: boolean;
}

/** What a worker did. */
export interface ConsumerStats {
  /** Entries processed (claimed ones included). */
  entries: number;
  /** Entries claimed from other workers. */
  claimed: number;
  /** Records written. */
  records: number;
  /** Entries whose processing failed (an error record each). */
  failed: number;
  /** Batches. */
  batches: number;
  /** Whether it stopped on a signal. */
  interrupted: boolean;
  /**
   * Milliseconds it waited for Redis (for entries, for replies, for other workers to finish)
   * instead of working.
   */
  waitedMs: number;
}

const STOP = Symbol("stop");

/**
 * Runs a worker until it is told to stop (or, with `drain`, until the group has nothing left).
 *
 * @param redis The connection.
 * @param handler The work on each entry.
 * @param options Stream, group, consumer and limits.
 * @returns What it did.
 */
export async function consumeStream(
  redis: RedisConnection,
  handler: EntryHandler,
  options: ConsumerOptions,
): Promise<ConsumerStats> {
  const o = options;
  const stats: ConsumerStats = {
    entries: 0,
    claimed: 0,
    records: 0,
    failed: 0,
    batches: 0,
    interrupted: false,
    waitedMs: 0,
  };
  let stopping = false;
  let busy = false;
  const stopOnSignal = onTerminate(() => {
    if (stopping) exit(130);
    stopping = true;
    stats.interrupted = true;
    // waiting for entries: drop the connection; what it was handed stays pending for others
    // (never while records and an acknowledgement are on their way: they must arrive)
    if (!busy && sent === null) redis.destroy();
  });

  /** Said that Redis answers "not now" (LOADING), and not yet that it is ready. */
  let notReady = false;
  /** Runs a Redis step, retried while the connection is down (unless stopping). */
  const call = async (step: () => Promise<RedisReply>, mustFinish = false) => {
    for (let attempt = 0;; attempt++) {
      if (stopping && !mustFinish) return STOP;
      try {
        const reply = await step();
        if (notReady) {
          notReady = false;
          writeSync("stderr", `mxy: Redis at ${redis.display} is ready\n`);
        }
        return reply;
      } catch (err) {
        if (stopping && !mustFinish) return STOP;
        if (isTransientReply(err) && !notReady) {
          notReady = true;
          writeSync(
            "stderr",
            `mxy: Redis at ${redis.display}: ${(err as Error).message}; waiting\n`,
          );
        }
        if (isErrorReply(err) && !isTransientReply(err)) {
          const message = (err as Error).message;
          if (/^NOGROUP/.test(message) && o.createGroup) {
            await createGroup(redis, o);
            continue;
          }
          throw new RedisFailure(replyFailure(message, redis, o));
        }
        // the connection failed (the client reconnects by itself, and commands wait for it), or
        // Redis said "not now" (LOADING after a restart)
        await sleep(Math.min(50 * 2 ** attempt, 1000));
      }
    }
  };

  /** Reads a batch: `from` "0" (this consumer's pending entries) or ">", waiting `block` ms. */
  const read = async (from: string, block: string | null): Promise<Batch | typeof STOP> => {
    const args = ["XREADGROUP", "GROUP", o.group, o.consumer, "COUNT", String(count)];
    if (block !== null) args.push("BLOCK", block);
    args.push("STREAMS", o.stream, from);
    const r = await call(() => redis.command(args));
    if (r === STOP) return STOP;
    return parseEntries(Array.isArray(r) && Array.isArray(r[0]) ? r[0][1] : null);
  };
  let count = Math.min(8, o.batch);
  /**
   * The next batch, asked for before the one in hand is scanned (new entries only, never
   * blocking), so that Redis answers while this worker scans instead of while it waits.
   */
  let next: Promise<Batch | typeof STOP> | null = null;
  /** The last batch's records and acknowledgement, sent and not yet answered. */
  let sent: Promise<unknown> | null = null;
  /** Waits for `p`, counting the time as waiting. */
  const wait = async <T>(p: Promise<T>): Promise<T> => {
    const t = now();
    try {
      return await p;
    } finally {
      stats.waitedMs += now() - t;
    }
  };
  /** Waits for what was sent last; `sent` stays set until it is answered (see the signals). */
  const settle = async () => {
    const s = sent;
    if (s === null) return;
    try {
      await wait(s);
    } finally {
      if (sent === s) sent = null;
    }
  };

  try {
    if (o.createGroup) await createGroup(redis, o);
    else await checkGroup(redis, o);
    // first what this consumer name already holds (a worker restarted under the same name)
    let history = true;
    let cursor = "0-0";
    let lastClaim = -Infinity;
    const block = String(Math.max(10, Math.min(1000, o.claimIdleMs >> 1)));
    for (;;) {
      // once stopping, only a batch already asked for is still scanned (so it is not left
      // pending for the claim time)
      if (stopping && next === null) break;
      let batch: Batch = { entries: [], gone: [] };
      if (!stopping && now() - lastClaim >= o.claimIdleMs / 2) {
        lastClaim = now();
        const r = await call(() =>
          redis.command([
            "XAUTOCLAIM",
            o.stream,
            o.group,
            o.consumer,
            String(o.claimIdleMs),
            cursor,
            "COUNT",
            String(count),
          ])
        );
        if (r === STOP) continue;
        const reply = r as RedisReply[];
        cursor = text(reply[0]) || "0-0";
        // more to claim: go on at the next turn rather than after another half claim time
        if (cursor !== "0-0") lastClaim = -Infinity;
        batch = parseEntries(reply[1]);
        for (const id of (reply[2] as RedisReply[] | undefined) ?? []) batch.gone.push(text(id));
        stats.claimed += batch.entries.length;
      }
      let asked = false;
      if (isEmpty(batch) && next !== null) {
        const b = await wait(next);
        next = null;
        if (b === STOP) continue;
        batch = b;
        asked = true;
      }
      // nothing came of a read sent ahead: a draining worker takes that as the answer, any
      // other waits for entries (after the last batch's acknowledgement)
      if (isEmpty(batch) && !(asked && o.drain)) {
        if (stopping) break;
        await settle();
        // draining, an empty read ends the worker (once nothing is pending): no waiting
        const b = await wait(read(history ? "0" : ">", !history && !o.drain ? block : null));
        if (b === STOP) continue;
        batch = b;
        if (history && isEmpty(batch)) {
          history = false;
          continue;
        }
      }
      if (isEmpty(batch)) {
        // this worker's last acknowledgement first: what it holds counts as pending
        await settle();
        if (o.drain && !stopping) {
          const r = await wait(call(() => redis.command(["XPENDING", o.stream, o.group])));
          if (r === STOP) continue;
          if (Array.isArray(r) && r[0] === 0) break;
          // other workers hold the last batches: look again soon, so that this worker ends
          // (and a script waiting for every worker goes on) within a few ms of the last ack
          await wait(sleep(DRAIN_POLL_MS));
        }
        continue;
      }
      const work = batch.entries.reduce((a, e) => a + weightOf(e), 0);
      const full = batch.entries.length + batch.gone.length >= count;
      if (full && work < BATCH_BYTES / 2) count = Math.min(o.batch, count * 2);
      else if (work > BATCH_BYTES * 2 && count > 1) count = Math.max(1, count >> 1);
      if (!history && !stopping && o.readAhead !== false) {
        next = read(">", null);
        next.catch(() => {}); // awaited at the next turn
      }
      busy = true;
      try {
        await handleBatch(batch);
      } finally {
        busy = false;
      }
    }
    await settle();
  } finally {
    // after a failure: whatever was sent is answered (or fails) before the connection closes
    if (sent !== null) await (sent as Promise<unknown>).catch(() => {});
    stopOnSignal();
  }
  return stats;

  function weightOf(e: StreamEntry): number {
    if (handler.weight) return handler.weight(e);
    let n = 0;
    for (const v of e.fields.values()) n += v.length;
    return n;
  }

  async function handleBatch(batch: Batch): Promise<void> {
    if (handler.beforeBatch) {
      await call(async () => {
        await handler.beforeBatch!();
        return null;
      }, true);
    }
    // the records of each entry, as lines of text
    const outputs: [string, string | Buffer][] = [];
    const ids = [...batch.gone];
    // the event loop runs between entries (about every YIELD_BYTES of work): the read asked
    // for ahead goes out, and replies and the last batch's records move while this one is
    // scanned
    let since = YIELD_BYTES;
    for (const e of batch.entries) {
      if (since >= YIELD_BYTES) {
        since = 0;
        await pause();
      }
      since += weightOf(e);
      let records: string[] | EntryRecords;
      try {
        records = await handler.process(e);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        stats.failed++;
        records = [`{"id":"${e.id}","error":${JSON.stringify(message)}}`];
        writeSync("stderr", `mxy: ${o.stream} entry ${e.id}: ${message}\n`);
      }
      if (Array.isArray(records)) {
        if (records.length > 0) outputs.push([e.id, records.join("\n")]);
        stats.records += records.length;
      } else {
        const { bytes, count } = records;
        // the bytes as they are (a Buffer over them, not a copy)
        if (count > 0) {
          outputs.push([e.id, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)]);
        }
        stats.records += count;
      }
      ids.push(e.id);
    }
    const ack = ["XACK", o.stream, o.group, ...ids];
    if (o.toStream !== undefined) {
      // one output entry per input entry with records: an XADD per hit would cost more than
      // the scan when hits are dense (docs/SCALING.md)
      const commands = outputs.map(([id, lines]) => [
        "XADD",
        o.toStream!,
        "*",
        "id",
        id,
        "records",
        lines,
      ]);
      commands.push(ack);
      // answered while the next batch is scanned (one transaction in flight at a time)
      await settle();
      sent = call(async () => (await redis.transaction(commands)) as RedisReply, true);
    } else {
      // one write per batch, as many entries as it holds (a line per entry is common)
      if (outputs.length > 0) {
        const parts = outputs.map(([, l]) => typeof l === "string" ? ENCODER.encode(l) : l);
        const all = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, 0));
        let at = 0;
        for (const p of parts) {
          all.set(p, at);
          all[at + p.length] = 0x0a;
          at += p.length + 1;
        }
        writeSync("stdout", all);
      }
      await settle();
      sent = call(() => redis.command(ack), true);
    }
    sent.catch(() => {}); // awaited before the next one, or at the end
    stats.batches++;
    stats.entries += batch.entries.length;
  }
}

/** Entries read, and the ids of entries deleted while pending (acknowledged unread). */
interface Batch {
  entries: StreamEntry[];
  gone: string[];
}

function isEmpty(batch: Batch): boolean {
  return batch.entries.length === 0 && batch.gone.length === 0;
}

/** Work scanned between two turns of the event loop, in bytes. */
const YIELD_BYTES = 256 << 10;

/**
 * Lets the event loop run (timers, signals, socket reads and writes) before going on: the
 * scan is synchronous, and what Redis sends or is sent moves only while the loop runs.
 */
function pause(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function parseEntries(list: RedisReply | undefined): Batch {
  const batch: Batch = { entries: [], gone: [] };
  if (!Array.isArray(list)) return batch;
  for (const item of list) {
    if (!Array.isArray(item)) continue; // a deleted entry (Redis 6.2's XAUTOCLAIM)
    const id = text(item[0]);
    const raw = item[1];
    if (!Array.isArray(raw)) {
      batch.gone.push(id); // pending, but deleted from the stream since
      continue;
    }
    const fields = new Map<string, Uint8Array>();
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const v = raw[i + 1];
      if (v instanceof Uint8Array) fields.set(text(raw[i]), v);
    }
    batch.entries.push({ id, fields });
  }
  return batch;
}

async function createGroup(redis: RedisConnection, o: ConsumerOptions): Promise<void> {
  try {
    await redis.command(["XGROUP", "CREATE", o.stream, o.group, "0", "MKSTREAM"]);
  } catch (err) {
    if (isErrorReply(err) && /^BUSYGROUP/.test((err as Error).message)) return;
    if (isErrorReply(err)) throw new RedisFailure(replyFailure((err as Error).message, redis, o));
    throw err;
  }
}

async function checkGroup(redis: RedisConnection, o: ConsumerOptions): Promise<void> {
  let groups: RedisReply;
  try {
    groups = await redis.command(["XINFO", "GROUPS", o.stream]);
  } catch (err) {
    if (!isErrorReply(err)) throw err;
    const message = (err as Error).message;
    if (/no such key/i.test(message)) {
      throw new RedisFailure(
        `Stream "${o.stream}" does not exist on ${redis.display} ` +
          `(start the producer first, or pass --create-group)`,
      );
    }
    throw new RedisFailure(replyFailure(message, redis, o));
  }
  const names = (Array.isArray(groups) ? groups : []).map((g) => text(pairs(g).get("name")));
  if (!names.includes(o.group)) {
    throw new RedisFailure(
      `Stream "${o.stream}" on ${redis.display} has no consumer group "${o.group}" ` +
        `(groups: ${names.join(", ") || "none"}; pass --create-group to create it)`,
    );
  }
}

function replyFailure(message: string, redis: RedisConnection, o: ConsumerOptions): string {
  if (/^NOGROUP/.test(message)) {
    return `Stream "${o.stream}" or its consumer group "${o.group}" is gone from ` +
      `${redis.display} (pass --create-group to create them)`;
  }
  if (/^WRONGTYPE/.test(message)) {
    return `"${o.stream}"${
      o.toStream ? ` or "${o.toStream}"` : ""
    } on ${redis.display} holds something other than a stream (${message})`;
  }
  if (/^NOPERM/.test(message)) return `Redis at ${redis.display} refused: ${message}`;
  return `Redis at ${redis.display}: ${message}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
