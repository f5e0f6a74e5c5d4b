/**
 * The options of a Redis Streams worker that `mxy match` and `mxy pcap match` share: where the
 * consumer group is, who the worker is, where records go, claiming, and the database version.
 *
 * @module
 */
import { intFlag, type OptionSpec, type ParsedFlags, UsageError } from "../_command.ts";

/** `--from-redis`, `--stream`, `--group`, `--consumer`, `--to-stream`, `--claim-idle`,
 * `--create-group`, `--drain` and `--db-key`. */
export const REDIS_WORKER_OPTIONS: OptionSpec[] = [
  {
    name: "from-redis",
    type: "string",
    value: "URL",
    complete: "none",
    description:
      "Be a worker of a Redis Streams consumer group at URL (redis://[user@]host[:port][/db] " +
      "or rediss://; the password from MXY_REDIS_PASSWORD or REDISCLI_AUTH, the user from the " +
      "URL or MXY_REDIS_USERNAME)",
  },
  {
    name: "stream",
    type: "string",
    value: "NAME",
    complete: "none",
    description: "The stream read (--from-redis) or written (--to-redis)",
  },
  {
    name: "group",
    type: "string",
    value: "NAME",
    complete: "none",
    description: "The consumer group (--from-redis)",
  },
  {
    name: "consumer",
    type: "string",
    value: "NAME",
    complete: "none",
    description: "The worker's name in the group (default HOST-PID)",
  },
  {
    name: "to-stream",
    type: "string",
    value: "NAME",
    complete: "none",
    description:
      "Write the records to this stream, in the same transaction as the acknowledgement: " +
      "an entry per input entry with hits, fields id and records (a line each); default: " +
      "standard output",
  },
  {
    name: "claim-idle",
    type: "string",
    value: "MS",
    complete: "none",
    description: "Take over entries another worker left pending this long (default 60000)",
  },
  {
    name: "create-group",
    type: "boolean",
    complete: "none",
    description: "Create the group (and the stream) if missing",
  },
  {
    name: "drain",
    type: "boolean",
    complete: "none",
    description: "Stop once nothing is left to read and nothing is pending",
  },
  {
    name: "db-key",
    type: "string",
    value: "KEY",
    complete: "none",
    description:
      "A hash naming the database version to use (path, sha256), checked between batches; " +
      "with --to-redis --publish-db DB, sets it",
  },
];

/** What a consumer-group worker's flags say: `--group`, `--consumer`, `--batch`, `--claim-idle`
 * and `--to-stream`, checked. */
export interface RedisWorkerSettings {
  /** The consumer group. */
  group: string;
  /** This worker's name in the group (the host and process id unless `--consumer`). */
  consumer: string;
  /** Entries read at a time. */
  batch: number;
  /** How long an entry stays pending before another worker claims it. */
  claimIdleMs: number;
  /** Where records go, or `undefined` for standard output. */
  toStream: string | undefined;
}

/**
 * Reads and checks a worker's flags (usage errors name the flag).
 *
 * @param flags The parsed flags; the only positional must be the database.
 * @param stream The stream read (`--to-stream` must differ).
 * @param options The command's name, what the stream carries, and the default `--batch`.
 * @returns The settings.
 */
export function redisWorkerSettings(
  flags: ParsedFlags,
  stream: string,
  options: { command: string; carries: string; batch: number },
): RedisWorkerSettings {
  const v = flags.values;
  const group = v.group as string | undefined;
  if (!group) throw new UsageError("--from-redis needs --group NAME");
  if (flags.positionals.length !== 1) {
    throw new UsageError(
      `${options.command} --from-redis takes the database only (DB): ${options.carries}`,
    );
  }
  const claimIdleMs = intFlag(flags, "claim-idle", 60_000);
  if (claimIdleMs < 10 || claimIdleMs > 86_400_000) {
    throw new UsageError("--claim-idle takes 10 to 86400000 milliseconds");
  }
  const batch = intFlag(flags, "batch", options.batch);
  if (batch < 1 || batch > 10_000) throw new UsageError("--batch takes 1 to 10000 entries");
  const consumer = (v.consumer as string | undefined) ?? `${Deno.hostname()}-${Deno.pid}`;
  const toStream = v["to-stream"] as string | undefined;
  if (toStream === stream) throw new UsageError("--to-stream must differ from --stream");
  return { group, consumer, batch, claimIdleMs, toStream };
}
