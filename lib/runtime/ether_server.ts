/**
 * The Deno adapter of the Ether server: {@linkcode serveEther} listens on a TCP port, hands the
 * connections to the runtime-neutral {@linkcode EtherServer} core, and gives it databases from
 * files — database 0 from `databaseFile`, DB_OPEN from `databaseDir`. Files are read into memory,
 * never memory-mapped, so that a served file rewritten in place cannot crash the process.
 *
 * @module
 */
import { deno } from "./_deno.ts";
import { openDatabase } from "./database.ts";
import { statFile } from "./fs.ts";
import { isLoopback, listenTcp } from "./net.ts";
import {
  ETHER_DEFAULT_PORT,
  type EtherDatabase,
  type EtherDatabaseEngine,
  EtherError,
  EtherServer,
  type EtherServerOptions,
  mxyDatabaseEngine,
} from "../ether/mod.ts";

/**
 * Options for {@linkcode serveEther}.
 *
 * @example
 * ```ts
 * import { connectEther, serveEther, type ServeEtherOptions } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const options: ServeEtherOptions = { host: "127.0.0.1", port: 0, databaseDir: dir };
 * const server = await serveEther(options);
 * const client = await connectEther("127.0.0.1", { port: server.port });
 * await assert.rejects(client.openDatabase("../etc/x.mxy"), { code: "denied" });
 * await assert.rejects(client.openDatabase("absent.mxy"), { code: "not-found" });
 * client.close();
 * await server.close();
 * await Deno.remove(dir);
 * ```
 */
export interface ServeEtherOptions extends EtherServerOptions {
  /** The address to bind. Default `127.0.0.1`; any other than loopback requires `token`. */
  host?: string;
  /** The port; 0 picks a free one (read it back from `server.port`). Default 9999. */
  port?: number;
  /**
   * A database file preloaded as database 0 (`mxy serve --db`). The server checks it every
   * `reloadIntervalMs`: a new file renamed over it is loaded and swapped in; a file rewritten in
   * place (`cp` over it, truncated, overwritten) is not read again — the server keeps answering
   * from the database it loaded and logs how to replace the file (write a new file, rename it
   * over the old one).
   */
  databaseFile?: string;
  /** The folder DB_OPEN may open `.mxy` / `.mmdb` files from (`mxy serve --db-dir`). */
  databaseDir?: string;
  /**
   * How databases are opened from bytes and serialised. Default: mxy's query engine
   * ({@linkcode mxyDatabaseEngine}); `databaseFile` and `databaseDir` add file access to it.
   */
  engine?: EtherDatabaseEngine;
}

/**
 * Starts an Ether server on a TCP port: binds `host:port`, loads `databaseFile` as database 0,
 * and serves until {@linkcode EtherServer.close}. Databases are read into memory (never mapped),
 * so replacing or damaging a served file cannot crash the process.
 *
 * @param options Address, limits, token and databases.
 * @returns The running server; its bound port is `server.port`.
 * @throws {EtherError} `denied` for a non-loopback address without a token (before listening);
 *   `not-found` when `databaseFile` does not exist, `database-error` when it cannot be read or is
 *   not a database (its `cause` says why). Errors of listening (the port is taken) keep their
 *   class.
 * @throws {RuntimeError} `unsupported-runtime` outside Deno.
 * @example
 * ```ts
 * import { DatabaseBuilder } from "@mxy/mxy/db";
 * import { connectEther, serveEther } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * const builder = new DatabaseBuilder();
 * builder.add("192.0.2.0/24", { threat: "botnet" });
 * const file = await Deno.makeTempFile({ suffix: ".mxy" });
 * await Deno.writeFile(file, builder.build());
 * const server = await serveEther({ host: "127.0.0.1", port: 0, databaseFile: file });
 * const client = await connectEther("127.0.0.1", { port: server.port });
 * assert.deepEqual(await client.query(0n, "192.0.2.7"), {
 *   kind: "ip",
 *   data: { threat: "botnet" },
 *   network: "192.0.2.0/24",
 *   prefixLength: 24,
 * });
 * client.close();
 * await server.close();
 * await Deno.remove(file);
 * ```
 */
export async function serveEther(options: ServeEtherOptions = {}): Promise<EtherServer> {
  deno("serveEther()");
  const host = options.host ?? "127.0.0.1";
  if (!isLoopback(host) && !options.token) {
    throw new EtherError(
      "denied",
      `Refusing to listen on non-loopback address ${host} without a token (set --token or MXY_TOKEN)`,
    );
  }
  const log = options.log ?? (() => {});
  const engine: EtherDatabaseEngine = { ...(options.engine ?? mxyDatabaseEngine) };
  if (options.databaseDir !== undefined) {
    const dir = options.databaseDir;
    engine.openNamed = (path) => openUnder(dir, path);
  }
  if (options.databaseFile !== undefined) {
    engine.checkPreloaded = preloadedFile(options.databaseFile, log);
  }
  const server = new EtherServer({ ...options, engine });
  server.listen(listenTcp(options.port ?? ETHER_DEFAULT_PORT, { host }));
  try {
    await server.preload();
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}

/**
 * What tells one file from another at a path: a rename over it changes the inode; a file removed
 * and written anew may get the same inode back, but not the same birth time.
 */
interface FileVersion {
  dev: number | null;
  ino: number | null;
  birthtimeMs: number | null;
  size: number;
  mtimeMs: number | null;
}

async function fileVersion(path: string): Promise<FileVersion | null> {
  const d = deno("serveEther()");
  try {
    const s = await d.stat(path);
    return {
      dev: s.dev,
      ino: s.ino,
      birthtimeMs: s.birthtime?.getTime() ?? null,
      size: s.size,
      mtimeMs: s.mtime?.getTime() ?? null,
    };
  } catch (err) {
    if (err instanceof d.errors.NotFound) return null;
    throw err;
  }
}

/**
 * Whether two versions are the same file (inode and birth time), or look alike (size and time)
 * where the file system has no inode numbers.
 */
function sameFile(a: FileVersion, b: FileVersion): boolean {
  if (a.ino === null || b.ino === null) return a.size === b.size && a.mtimeMs === b.mtimeMs;
  return a.ino === b.ino && a.dev === b.dev && a.birthtimeMs === b.birthtimeMs;
}

/**
 * Database 0 from a file, for {@linkcode EtherDatabaseEngine.checkPreloaded}: read once, then
 * read again only when another file is renamed over the path (a new inode). A rewrite in place of
 * the file being served is logged once per state and ignored: its bytes could be half-written or
 * garbage, and the database loaded before lives in memory, untouched. A new file that failed to
 * open (still being written, say) is tried again when its size or time changes.
 */
function preloadedFile(
  path: string,
  log: (line: string) => void,
): () => Promise<EtherDatabase | null> {
  /** The file last opened, or tried. */
  let tried: FileVersion | null = null;
  /** Whether that try failed (so that a change of the same file is worth another). */
  let failed = false;
  let reported = "";
  const open = async (now: FileVersion, what: string): Promise<EtherDatabase> => {
    tried = now; // tried once, not again at every check while it stays as it is
    reported = "";
    try {
      const db = await openDatabase(path);
      failed = false;
      return db;
    } catch (err) {
      failed = true;
      throw new EtherError(
        "database-error",
        `${what}${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  };
  return async () => {
    const now = await fileVersion(path);
    if (tried === null) {
      if (!now) throw new EtherError("not-found", `Database file "${path}" does not exist`);
      return await open(now, "");
    }
    if (!now) return null; // removed: keep serving; a file renamed there later is picked up
    const changed = now.size !== tried.size || now.mtimeMs !== tried.mtimeMs;
    if (!sameFile(now, tried) || (failed && changed)) {
      return await open(now, `Cannot load the new "${path}": `);
    }
    if (changed) {
      const state = `${now.size}:${now.mtimeMs}`;
      if (state !== reported) {
        reported = state;
        log(
          `"${path}" was rewritten in place; still serving the database loaded before ` +
            `(to replace it, write a new file and rename it over "${path}")`,
        );
      }
    }
    return null;
  };
}

/** DB_OPEN: a client's path, confined to the database folder, read into memory. */
async function openUnder(dir: string, rel: string): Promise<EtherDatabase> {
  const path = resolveUnder(dir, rel);
  const info = await statFile(path);
  if (!info || !info.isFile) {
    throw new EtherError("not-found", `No database file "${rel}" in the database folder`);
  }
  return await openDatabase(path);
}

/**
 * Joins a client's path to the database folder, refusing (`denied`) an empty path, a NUL byte,
 * an absolute path, a `..` segment and a name that does not end in `.mxy` or `.mmdb`. The check
 * is on the text: symbolic links inside the folder are followed.
 */
function resolveUnder(dir: string, rel: string): string {
  const deny = (why: string): never => {
    throw new EtherError("denied", why);
  };
  if (rel.length === 0) deny("Empty database path");
  if (rel.includes("\0")) deny("Database path contains a NUL byte");
  if (rel.startsWith("/") || rel.startsWith("\\") || /^[A-Za-z]:/.test(rel)) {
    deny(`Database path "${rel}" is absolute; give a path relative to the database folder`);
  }
  const parts = rel.split(/[\\/]+/);
  if (parts.some((p) => p === "..")) deny(`Database path "${rel}" leaves the database folder`);
  if (!/\.(mxy|mmdb)$/i.test(rel)) deny(`Database path "${rel}" does not end in .mxy or .mmdb`);
  return `${dir.replace(/[\\/]+$/, "")}/${parts.filter((p) => p !== "." && p !== "").join("/")}`;
}
