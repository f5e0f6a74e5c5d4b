/**
 * The options of a Redis Streams worker that `mxy match` and `mxy pcap match` share: where the
 * consumer group is, who the worker is, where records go, claiming, and the database version.
 *
 * @module
 */
import type { OptionSpec } from "../_command.ts";

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
