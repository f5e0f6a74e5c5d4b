/**
 * `mxy serve`: runs an Ether server (remote memory and database queries over TCP).
 *
 * @module
 */
import { type CommandSpec, defineCommand, type Invocation } from "../_command.ts";
import { ETHER_DEFAULT_PORT, EtherError, type EtherServer } from "../../lib/ether/mod.ts";
import { env, writeSync } from "../_io.ts";
import { onTerminate, serveEther } from "../../lib/runtime/mod.ts";
import { statFile } from "../_io.ts";

const MS = { type: "int", value: "MS", complete: "none" } as const;
const COUNT = { type: "int", min: 1, complete: "none" } as const;

const SPEC: CommandSpec = {
  name: "serve",
  summary: "Run an Ether protocol server (remote memory and database queries)",
  description: [
    "Runs an Ether protocol server (see docs/PROTOCOL.md): remote memory blocks owned by their " +
    "connection, and queries against .mxy / MaxMind DB databases. SIGINT or SIGTERM stops " +
    "accepting, lets requests in flight finish (closing what is still open after " +
    "--shutdown-timeout), prints statistics and exits 0.",
  ],
  options: [
    {
      name: "host",
      type: "string",
      default: "127.0.0.1",
      complete: "none",
      description: "Address to bind (anything but loopback needs a token)",
    },
    {
      name: "port",
      short: "p",
      type: "int",
      min: 0,
      max: 65535,
      default: ETHER_DEFAULT_PORT,
      complete: "none",
      description: "Port (0 picks a free one)",
    },
    {
      name: "token",
      type: "string",
      complete: "none",
      defaultText: "$MXY_TOKEN",
      description: "Require AUTH with this token as each connection's first request",
    },
    {
      name: "db",
      type: "string",
      value: "FILE",
      description: "Preload FILE as database 0 (read into memory); whatever is done to the " +
        "file, the server answers from the last good version and reloads once a complete, " +
        "valid new version is there",
    },
    {
      name: "db-dir",
      type: "string",
      value: "DIR",
      complete: "directory",
      description: "Let clients open databases under DIR (DB_OPEN)",
    },
    {
      name: "max-connections",
      ...COUNT,
      default: 1024,
      description: "Refuse connections beyond N with ERROR BUSY",
    },
    {
      name: "max-memory",
      type: "size",
      min: 1,
      default: "1G",
      description: "Memory the server may count for all connections: blocks (plus 512 bytes " +
        "each), databases opened or uploaded, payloads and replies in transit",
    },
    {
      name: "max-connection-memory",
      type: "size",
      min: 1,
      default: "256M",
      description: "The same for one connection",
    },
    {
      name: "max-databases",
      ...COUNT,
      default: 1024,
      description: "Databases open on all connections",
    },
    {
      name: "max-connection-databases",
      ...COUNT,
      default: 32,
      description: "Databases open on one connection",
    },
    {
      name: "idle-timeout",
      ...MS,
      min: 0,
      default: 300000,
      description: "Close connections idle this long; 0 is never",
    },
    {
      name: "frame-timeout",
      ...MS,
      min: 1,
      default: 10000,
      description: "Close connections that leave a frame (header and payload) unfinished this " +
        "long, plus the payload's time at --min-rate",
    },
    {
      name: "min-rate",
      type: "size",
      value: "BYTES",
      min: 1,
      default: "64K",
      description: "Slowest transfer rate a payload may have, per second",
    },
    {
      name: "shutdown-timeout",
      ...MS,
      min: 0,
      default: 30000,
      description: "On SIGINT or SIGTERM, close connections still open after this long",
    },
    {
      name: "reload-interval",
      ...MS,
      min: 10,
      default: 1000,
      description: "How often to check --db for a new file",
    },
    {
      name: "quiet",
      short: "q",
      type: "boolean",
      description: "Do not log connections' failures",
    },
  ],
  examples: [
    "mxy serve --db iocs.mxy",
    "MXY_TOKEN=secret mxy serve --host 0.0.0.0 --db-dir /srv/mxy --max-memory 2G",
  ],
  run: serve,
};

async function serve(inv: Invocation): Promise<number> {
  const port = inv.int("port")!;
  const host = inv.string("host")!;
  const token = inv.string("token") || env("MXY_TOKEN") || undefined;
  const dbFile = inv.string("db") || undefined;
  const dbDir = inv.string("db-dir") || undefined;
  if (dbDir) {
    const info = await statFile(dbDir);
    if (!info?.isDirectory) throw inv.usage(`--db-dir "${dbDir}" is not a directory`);
  }
  const quiet = inv.flag("quiet");
  const log = (line: string) => {
    if (!quiet) writeSync("stderr", `mxy serve: ${line}\n`);
  };
  let server: EtherServer;
  try {
    server = await serveEther({
      host,
      port,
      token,
      maxConnections: inv.int("max-connections")!,
      maxTotalBytes: inv.int("max-memory")!,
      maxConnectionBytes: inv.int("max-connection-memory")!,
      idleTimeoutMs: inv.int("idle-timeout")!,
      frameTimeoutMs: inv.int("frame-timeout")!,
      minTransferRate: inv.int("min-rate")!,
      shutdownTimeoutMs: inv.int("shutdown-timeout")!,
      maxDatabases: inv.int("max-databases")!,
      maxConnectionDatabases: inv.int("max-connection-databases")!,
      reloadIntervalMs: inv.int("reload-interval")!,
      databaseDir: dbDir,
      databaseFile: dbFile,
      log,
    });
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    if (err instanceof EtherError) {
      // `denied`: a non-loopback address without a token; anything else is about --db
      if (err.code === "denied") throw inv.usage(text);
      throw new Error(`Cannot load --db "${dbFile}": ${text}`);
    }
    throw new Error(`Cannot listen on ${host}:${port}: ${text}`);
  }
  writeSync(
    "stderr",
    `mxy serve: listening on ${server.host}:${server.port}` +
      `${token ? " (token required)" : ""}${dbFile ? `, database 0 = ${dbFile}` : ""}\n`,
  );
  const signal = await new Promise<string>((resolve) => {
    const off = onTerminate((s) => {
      off();
      resolve(s);
    });
  });
  writeSync("stderr", `mxy serve: ${signal}: finishing requests in flight\n`);
  const stats = await server.close();
  writeSync("stderr", `mxy serve: stopped; statistics ${JSON.stringify(stats)}\n`);
  return 0;
}

/** The `serve` command. */
export const command = defineCommand(SPEC);
