/**
 * A connection to Redis for the command line's stream modes (`mxy match --from-redis`,
 * `--to-redis`), over the `@redis/client` npm package: the URL and the credentials (the user from
 * the URL or `MXY_REDIS_USERNAME`, the password only from `MXY_REDIS_PASSWORD` or redis-cli's
 * `REDISCLI_AUTH`, never from the command line), a first connection that fails fast with a clear
 * reason (connection refused, unknown host, wrong password, a password needed), and later ones
 * retried for ever with a growing pause, reported once per outage on standard error.
 *
 * Commands are sent raw (RESP2, bulk strings as `Buffer`s), so replies are plain arrays of
 * `Buffer`s, numbers and `null`s.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createClient, ErrorReply, RESP_TYPES } from "@redis/client";
import { UsageError } from "../_command.ts";
import { env, writeSync } from "../_io.ts";

/** A command argument. */
export type RedisArg = string | Buffer;

/** A raw RESP2 reply: bulk strings as `Buffer`s, integers, nil and arrays of those. */
export type RedisReply = Buffer | number | null | RedisReply[];

/** A failure talking to Redis that ends the command (exit 1). */
export class RedisFailure extends Error {
  /** The exit code. */
  readonly exitCode = 1;
  /** @param message What failed. */
  constructor(message: string) {
    super(message);
    this.name = "RedisFailure";
  }
}

/** Where to connect and as whom. */
export interface RedisTarget {
  /** The URL without user and password. */
  url: string;
  /** The ACL user, if any. */
  username?: string;
  /** The password, if any (from the environment). */
  password?: string;
  /** The URL to show in messages (the user, never the password). */
  display: string;
}

/**
 * Reads a Redis URL given on the command line and the credentials from the environment.
 *
 * @param url `redis://[user@]host[:port][/db]` or `rediss://…` (TLS).
 * @param flag The flag it came from, for messages.
 * @returns The target.
 */
export function redisTarget(url: string, flag: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`${flag}: "${url}" is not a URL (redis://host:port)`);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new UsageError(`${flag}: "${url}" is not a redis:// or rediss:// URL`);
  }
  if (u.password !== "") {
    throw new UsageError(
      `${flag}: put the password in MXY_REDIS_PASSWORD, not in the URL (a command line is ` +
        `visible to every user of the machine)`,
    );
  }
  if (u.hostname === "") throw new UsageError(`${flag}: "${url}" names no host`);
  const username = u.username !== ""
    ? decodeURIComponent(u.username)
    : env("MXY_REDIS_USERNAME") || undefined;
  const password = env("MXY_REDIS_PASSWORD") || env("REDISCLI_AUTH") || undefined;
  u.username = "";
  const plain = u.href.replace(/\/$/, "");
  const display = username === undefined
    ? plain
    : plain.replace("//", `//${encodeURIComponent(username)}@`);
  return { url: plain, username, password, display };
}

/** Options of {@linkcode RedisConnection.open}. */
export interface RedisConnectionOptions {
  /** The client name Redis shows in `CLIENT LIST`. */
  name?: string;
  /** No messages about lost connections (for tests of the messages' absence). */
  quiet?: boolean;
}

const DECODER = new TextDecoder();
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 3000;

/** One connection: commands, transactions, and reconnection after the first success. */
export class RedisConnection {
  // deno-lint-ignore no-explicit-any
  #client: any;
  #target: RedisTarget;
  #ready = false;
  #lost = false;
  #closed = false;

  // deno-lint-ignore no-explicit-any
  private constructor(client: any, target: RedisTarget) {
    this.#client = client;
    this.#target = target;
  }

  /**
   * Connects, logs in and checks the connection with a `PING`.
   *
   * @param target Where and as whom.
   * @param options Client name.
   * @returns The connection.
   * @throws {RedisFailure} When Redis cannot be reached or refuses the login.
   */
  static async open(
    target: RedisTarget,
    options: RedisConnectionOptions = {},
  ): Promise<RedisConnection> {
    const state = { ready: false };
    const client = createClient({
      url: target.url,
      username: target.username,
      password: target.password,
      name: options.name,
      RESP: 2,
      socket: {
        connectTimeout: 5000,
        // the first connection fails at once; later ones are retried with a growing pause
        reconnectStrategy: (retries: number, cause: Error) =>
          state.ready ? Math.min(RETRY_FIRST_MS * 2 ** retries, RETRY_MAX_MS) : cause,
      },
    }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    const conn = new RedisConnection(client, target);
    client.on("error", (err: Error) => {
      if (!conn.#ready || conn.#lost || conn.#closed) return;
      conn.#lost = true;
      if (!options.quiet) {
        writeSync(
          "stderr",
          `mxy: lost the connection to Redis at ${target.display} (${err.message}); ` +
            `reconnecting\n`,
        );
      }
    });
    client.on("ready", () => {
      if (conn.#lost && !options.quiet) {
        writeSync("stderr", `mxy: reconnected to Redis at ${target.display}\n`);
      }
      conn.#lost = false;
    });
    try {
      await client.connect();
      // a Redis loading its data after a restart answers LOADING: wait for it, saying so once
      for (let waited = 0;; waited++) {
        try {
          await client.sendCommand(["PING"]);
          break;
        } catch (err) {
          if (!isTransientReply(err)) throw err;
          if (waited === 0 && !options.quiet) {
            writeSync(
              "stderr",
              `mxy: Redis at ${target.display} is busy (${why(err, target)}); waiting\n`,
            );
          }
          await new Promise((r) =>
            setTimeout(r, Math.min(RETRY_FIRST_MS * 2 ** waited, RETRY_MAX_MS))
          );
        }
      }
    } catch (err) {
      client.destroy?.();
      throw new RedisFailure(`Cannot connect to Redis at ${target.display}: ${why(err, target)}`);
    }
    conn.#ready = true;
    state.ready = true;
    return conn;
  }

  /** The URL shown in messages. */
  get display(): string {
    return this.#target.display;
  }

  /**
   * Sends one command.
   *
   * @param args The command and its arguments.
   * @returns The reply.
   */
  async command(args: RedisArg[]): Promise<RedisReply> {
    return await this.#client.sendCommand(args) as RedisReply;
  }

  /**
   * Runs commands in a `MULTI`/`EXEC` transaction: all of them or, if the connection fails
   * first, none.
   *
   * @param commands The commands.
   * @returns Their replies.
   */
  async transaction(commands: RedisArg[][]): Promise<RedisReply[]> {
    const multi = this.#client.multi();
    for (const c of commands) multi.addCommand(c);
    return await multi.exec() as RedisReply[];
  }

  /** Closes the connection after the commands sent so far. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#client.close?.().catch(() => {});
  }

  /** Drops the connection now: commands waiting for a reply fail. */
  destroy(): void {
    this.#closed = true;
    try {
      this.#client.destroy();
    } catch {
      // already closed
    }
  }
}

/**
 * Whether an error is Redis answering with an error (`NOGROUP`, `WRONGTYPE` …) rather than the
 * connection failing.
 *
 * @param err The error.
 * @returns `true` for an error reply.
 */
export function isErrorReply(err: unknown): boolean {
  return err instanceof ErrorReply;
}

/**
 * Whether an error is a reply that says "not now" (a Redis loading its data after a restart,
 * running a long script, or without its master): the step is worth retrying, as after a lost
 * connection.
 *
 * @param err The error.
 * @returns `true` for LOADING, BUSY, TRYAGAIN and MASTERDOWN replies.
 */
export function isTransientReply(err: unknown): boolean {
  return err instanceof ErrorReply && /^(LOADING|BUSY|TRYAGAIN|MASTERDOWN)\b/.test(err.message);
}

/**
 * The text of a reply (a bulk string), or `""`.
 *
 * @param r The reply.
 * @returns The text.
 */
export function text(r: RedisReply | Uint8Array | undefined): string {
  return r instanceof Uint8Array ? DECODER.decode(r) : typeof r === "number" ? String(r) : "";
}

/**
 * A flat `[name, value, name, value …]` reply (XINFO) as a map.
 *
 * @param r The reply.
 * @returns Values by name.
 */
export function pairs(r: RedisReply): Map<string, RedisReply> {
  const m = new Map<string, RedisReply>();
  if (!Array.isArray(r)) return m;
  for (let i = 0; i + 1 < r.length; i += 2) m.set(text(r[i]), r[i + 1]);
  return m;
}

function why(err: unknown, target: RedisTarget): string {
  const e = err as Error & { originalError?: Error; code?: string };
  const message = e.originalError?.message ?? e.message ?? String(err);
  if (/ECONNREFUSED/.test(message)) {
    return "connection refused (is redis-server running and listening there?)";
  }
  if (/ENOTFOUND|EAI_AGAIN|EAI_NONAME/.test(message)) return "unknown host";
  if (/WRONGPASS/.test(message)) {
    return `Redis refused the login${
      target.username ? ` of user "${target.username}"` : ""
    }: wrong user name or password (set MXY_REDIS_USERNAME and MXY_REDIS_PASSWORD)`;
  }
  if (/NOAUTH/.test(message)) {
    return "Redis needs a password: set MXY_REDIS_PASSWORD (and MXY_REDIS_USERNAME for an ACL user)";
  }
  if (/NOPERM/.test(message)) return `the user may not do this: ${message}`;
  if (/timeout/i.test(message)) return "no answer within 5 s";
  return message;
}
