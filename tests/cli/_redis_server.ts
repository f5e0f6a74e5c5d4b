/**
 * A throw-away redis-server for tests and benchmarks: on 127.0.0.1, a random free port, its data
 * in a temporary folder; it can be killed (SIGKILL) and started again on the same port and data.
 *
 * @module
 */
import { RedisConnection, redisTarget } from "../../cli/commands/_redis_connect.ts";

/** Options of {@linkcode startRedis}. */
export interface StartRedisOptions {
  /**
   * Keep the data in an append-only file synced before each reply (`appendfsync always`), so
   * it survives a SIGKILL and restart; default: no persistence at all.
   */
  persistent?: boolean;
  /** More `redis-server` arguments. */
  args?: string[];
}

/** A running redis-server. */
export interface RedisServer {
  /** Its port. */
  port: number;
  /** `redis://127.0.0.1:PORT`. */
  url: string;
  /** Its data folder. */
  dir: string;
  /** The process id of the running server. */
  readonly pid: number;
  /** A connection for the test itself (as the default user). */
  client: RedisConnection;
  /**
   * Kills it with SIGKILL and starts it again on the same port and data (with more arguments
   * if given, e.g. `--key-load-delay` to make it answer LOADING for a while); returns once it
   * has loaded its data.
   */
  restart(args?: string[]): Promise<void>;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts redis-server.
 *
 * @param options Persistence and arguments.
 * @returns The server.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const dir = await Deno.makeTempDir({ prefix: "mxy-redis-" });
  let child: Deno.ChildProcess | null = null;
  let port = 0;
  const launch = async (more: string[] = []): Promise<boolean> => {
    const args = [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--daemonize",
      "no",
      "--logfile",
      `${dir}/redis.log`,
      ...(options.persistent
        ? ["--appendonly", "yes", "--appendfsync", "always"]
        : ["--appendonly", "no"]),
      ...(options.args ?? []),
      ...more,
    ];
    child = new Deno.Command("redis-server", { args, stdout: "null", stderr: "null" }).spawn();
    const exited = child.status.then(() => true);
    for (let i = 0; i < 200; i++) {
      if (await Promise.race([exited, sleep(10).then(() => false)])) return false;
      const ok = await Deno.connect({ hostname: "127.0.0.1", port }).then((c) => {
        c.close();
        return true;
      }, () => false);
      if (ok) return true;
    }
    throw new Error(`redis-server did not start on port ${port}: see ${dir}/redis.log`);
  };
  for (let attempt = 0;; attempt++) {
    port = 20000 + Math.floor(Math.random() * 40000);
    if (await launch()) break;
    if (attempt === 10) throw new Error(`redis-server would not start: see ${dir}/redis.log`);
  }
  const url = `redis://127.0.0.1:${port}`;
  const client = await RedisConnection.open(redisTarget(url, "test"), { quiet: true });
  return {
    port,
    url,
    dir,
    client,
    get pid() {
      return child!.pid;
    },
    async restart(args: string[] = []) {
      const c = child!;
      c.kill("SIGKILL");
      await c.status;
      for (let i = 0; i < 50 && !(await launch(args)); i++) await sleep(20);
      for (let i = 0;; i++) {
        const loaded = await client.command(["PING"]).then(() => true, (err) => {
          if (i === 1000) throw err;
          return false;
        });
        if (loaded) return;
        await sleep(20);
      }
    },
    async stop() {
      client.destroy();
      const c = child!;
      c.kill("SIGKILL");
      await c.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
