/**
 * `mxy serve`: runs an Ether server (remote memory and database queries over TCP).
 *
 * @module
 */
import { type Command, type ParsedFlags, parseFlags, stringFlag, UsageError } from "../_command.ts";
import { ETHER_DEFAULT_PORT, EtherError, type EtherServer } from "../../lib/ether/mod.ts";
import { env, writeSync } from "../_io.ts";
import { onTerminate, serveEther } from "../../lib/runtime/mod.ts";
import { statFile } from "../_io.ts";

const HELP = `Usage: mxy serve [options]

Runs an Ether protocol server (see docs/PROTOCOL.md): remote memory blocks owned by their
connection, and queries against .mxy / MaxMind DB databases. SIGINT or SIGTERM stops accepting,
lets requests in flight finish (closing what is still open after --shutdown-timeout), prints
statistics and exits 0.

Options:
  --host HOST                Address to bind (default 127.0.0.1; anything but loopback needs a token)
  -p, --port N               Port (default ${ETHER_DEFAULT_PORT}; 0 picks a free one)
  --token T                  Require AUTH with T as each connection's first request (default: $MXY_TOKEN)
  --db FILE                  Preload FILE as database 0 (read into memory); whatever is done to
                             the file, the server answers from the last good version and
                             reloads once a complete, valid new version is there
  --db-dir DIR               Let clients open databases under DIR (DB_OPEN)
  --max-connections N        Refuse connections beyond N with ERROR BUSY (default 1024)
  --max-memory SIZE          Memory the server may count for all connections: blocks (plus
                             512 bytes each), databases opened or uploaded, payloads and
                             replies in transit, e.g. 512M, 2G (default 1G)
  --max-connection-memory SIZE  The same for one connection (default 256M)
  --max-databases N          Databases open on all connections (default 1024)
  --max-connection-databases N  Databases open on one connection (default 32)
  --idle-timeout MS          Close connections idle this long; 0 = never (default 300000)
  --frame-timeout MS         Close connections that leave a frame (header and payload)
                             unfinished this long, plus the payload's time at --min-rate
                             (default 10000)
  --min-rate BYTES           Slowest transfer rate a payload may have, per second (default 64K)
  --shutdown-timeout MS      On SIGINT/SIGTERM, close connections still open after MS (default 30000)
  --reload-interval MS       How often to check --db for a new file (default 1000)
  -q, --quiet                Do not log connections' failures
  -h, --help                 Show this help`;

function sizeFlag(flags: ParsedFlags, name: string, fallback: number): number {
  const v = flags.values[name];
  if (v === undefined) return fallback;
  const m = typeof v === "string" ? /^(\d+)([kKmMgG]?)[iI]?[bB]?$/.exec(v) : null;
  if (!m) {
    throw new UsageError(
      `--${name} takes a size like 1048576, 64K, 512M or 2G, got "${String(v)}"`,
    );
  }
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase()]!;
  const n = Number(m[1]) * mult;
  if (n < 1) throw new UsageError(`--${name} must be at least 1 byte`);
  return n;
}

function msFlag(
  flags: ParsedFlags,
  name: string,
  fallback: number,
  min: number,
  unit = "milliseconds",
): number {
  const v = flags.values[name];
  if (v === undefined) return fallback;
  if (typeof v !== "string" || !/^\d+$/.test(v) || Number(v) < min) {
    throw new UsageError(`--${name} takes ${unit} (at least ${min}), got "${String(v)}"`);
  }
  return Number(v);
}

/** The `serve` command. */
export const command: Command = {
  name: "serve",
  summary: "Run an Ether protocol server (remote memory and database queries)",
  help: HELP,
  async run(argv) {
    const flags = parseFlags(argv, {
      spec: {
        host: { type: "string" },
        port: { type: "string", short: "p" },
        token: { type: "string" },
        db: { type: "string" },
        "db-dir": { type: "string" },
        "max-connections": { type: "string" },
        "max-memory": { type: "string" },
        "max-connection-memory": { type: "string" },
        "idle-timeout": { type: "string" },
        "frame-timeout": { type: "string" },
        "min-rate": { type: "string" },
        "shutdown-timeout": { type: "string" },
        "max-databases": { type: "string" },
        "max-connection-databases": { type: "string" },
        "reload-interval": { type: "string" },
        quiet: { type: "boolean", short: "q" },
      },
      help: HELP,
    });
    if (flags.positionals.length > 0) {
      throw new UsageError(`Unexpected argument "${flags.positionals[0]}"`);
    }
    const portText = stringFlag(flags, "port", String(ETHER_DEFAULT_PORT));
    if (!/^\d+$/.test(portText) || Number(portText) > 65535) {
      throw new UsageError(`--port must be 0 … 65535, got "${portText}"`);
    }
    const maxConnections = msFlag(flags, "max-connections", 1024, 1, "a count");
    const host = stringFlag(flags, "host", "127.0.0.1");
    const token = stringFlag(flags, "token", "") || env("MXY_TOKEN") || undefined;
    const dbFile = stringFlag(flags, "db", "") || undefined;
    const dbDir = stringFlag(flags, "db-dir", "") || undefined;
    if (dbDir) {
      const info = await statFile(dbDir);
      if (!info?.isDirectory) throw new UsageError(`--db-dir "${dbDir}" is not a directory`);
    }
    const quiet = flags.values.quiet === true;
    const log = (line: string) => {
      if (!quiet) writeSync("stderr", `mxy serve: ${line}\n`);
    };
    let server: EtherServer;
    try {
      server = await serveEther({
        host,
        port: Number(portText),
        token,
        maxConnections,
        maxTotalBytes: sizeFlag(flags, "max-memory", 1024 ** 3),
        maxConnectionBytes: sizeFlag(flags, "max-connection-memory", 256 * 1024 ** 2),
        idleTimeoutMs: msFlag(flags, "idle-timeout", 300_000, 0),
        frameTimeoutMs: msFlag(flags, "frame-timeout", 10_000, 1),
        minTransferRate: sizeFlag(flags, "min-rate", 65536),
        shutdownTimeoutMs: msFlag(flags, "shutdown-timeout", 30_000, 0),
        maxDatabases: msFlag(flags, "max-databases", 1024, 1, "a count"),
        maxConnectionDatabases: msFlag(flags, "max-connection-databases", 32, 1, "a count"),
        reloadIntervalMs: msFlag(flags, "reload-interval", 1000, 10),
        databaseDir: dbDir,
        databaseFile: dbFile,
        log,
      });
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      if (err instanceof EtherError) {
        // `denied`: a non-loopback address without a token; anything else is about --db
        if (err.code === "denied") throw new UsageError(text);
        throw new Error(`Cannot load --db "${dbFile}": ${text}`);
      }
      throw new Error(`Cannot listen on ${host}:${portText}: ${text}`);
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
  },
};
