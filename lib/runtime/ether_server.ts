/**
 * The Deno adapter of the Ether server: {@linkcode serveEther} listens on a TCP port, hands the
 * connections to the runtime-neutral {@linkcode EtherServer} core, and gives it databases from
 * files — database 0 from `databaseFile`, DB_OPEN from `databaseDir`. Files are read into memory,
 * never memory-mapped, so that a served file rewritten in place cannot crash the process.
 *
 * @module
 */
import { deno } from "./_deno.ts";
import { validateDatabase } from "../db/validate.ts";
import {
  checkDatabaseFile,
  checkDatabaseFileOffThread,
  type DatabaseFileCheck,
} from "./_database_check.ts";
import { parseIpInto } from "../core/ip.ts";
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
   * A database file preloaded as database 0 (`mxy serve --db`), read into memory. The server
   * checks it every `reloadIntervalMs`: whatever is done to the file (renamed over, copied over
   * in place, truncated, removed …) it keeps answering from the last good version, and swaps in
   * a new one once the file has stopped changing, holds other bytes and passes a full validation
   * (run in a Worker).
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
  if (!options.token && isIpAddress(host) && !isLoopback(host)) {
    throw new EtherError(
      "denied",
      `Refusing to listen on non-loopback address ${host} without a token (set --token or MXY_TOKEN)`,
    );
  }
  const log = options.log ?? (() => {});
  const base = options.engine ?? mxyDatabaseEngine;
  const engine: EtherDatabaseEngine = { ...base };
  if (options.databaseDir !== undefined) {
    const dir = options.databaseDir;
    engine.openNamed = (path) => openUnder(dir, path, base, log);
  }
  if (options.databaseFile !== undefined) {
    engine.checkPreloaded = preloadedFile(options.databaseFile, base, log);
  }
  const listener = listenTcp(options.port ?? ETHER_DEFAULT_PORT, { host });
  if (!isLoopback(listener.host) && !options.token) {
    // a name (`localhost`) is judged by the address it was bound to
    listener.close();
    throw new EtherError(
      "denied",
      `Refusing to listen on ${host} (${listener.host}), not a loopback address, without a token (set --token or MXY_TOKEN)`,
    );
  }
  const server = new EtherServer({ ...options, engine });
  server.listen(listener);
  try {
    await server.preload();
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}

/** Whether a host string is an IP address (brackets allowed) rather than a name. */
function isIpAddress(host: string): boolean {
  return parseIpInto(host.replace(/^\[|\]$/g, ""), new Uint8Array(16)) !== 0;
}

/**
 * What the file system says about the file at a path. Any change of it (another inode or birth
 * time: a file renamed over the path, or removed and written anew; another size, modification or
 * change time: a rewrite in place, even one that puts size and modification time back as
 * `cp -p` does) makes the server read the file again; whether it is another database is then
 * decided by the hash of its bytes.
 */
interface FileState {
  dev: number | null;
  ino: number | null;
  birthtimeMs: number | null;
  size: number;
  mtimeMs: number | null;
  ctimeMs: number | null;
}

async function fileState(path: string): Promise<FileState | null> {
  const d = deno("serveEther()");
  try {
    const s = await d.stat(path);
    return {
      dev: s.dev,
      ino: s.ino,
      birthtimeMs: s.birthtime?.getTime() ?? null,
      size: s.size,
      mtimeMs: s.mtime?.getTime() ?? null,
      ctimeMs: s.ctime?.getTime() ?? null,
    };
  } catch (err) {
    if (err instanceof d.errors.NotFound) return null;
    throw err;
  }
}

function sameState(a: FileState | null, b: FileState | null): boolean {
  if (a === null || b === null) return a === b;
  return a.dev === b.dev && a.ino === b.ino && a.birthtimeMs === b.birthtimeMs &&
    a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/**
 * Times the file system reports may be coarse (Deno gives the change time in whole seconds), so
 * a file read in the second it was last changed may change again without its state showing it.
 * Such a state is settled only by a read that started more than a second (plus a margin) after
 * the change.
 */
const TIME_GRAIN_MS = 1500;

/** A file state and when a read of it started (`Date.now()`). */
interface Seen {
  state: FileState;
  readAt: number;
}

/** Whether the file seen is known to hold the bytes read: same state, read after it settled. */
function settled(now: FileState, seen: Seen | null): boolean {
  if (seen === null || !sameState(now, seen.state)) return false;
  const changed = Math.max(now.ctimeMs ?? 0, now.mtimeMs ?? 0);
  return changed + TIME_GRAIN_MS < seen.readAt;
}

/** Reads, hashes and validates in a Worker; in this thread where Workers are not available. */
async function checkFile(path: string): Promise<DatabaseFileCheck> {
  if (typeof Worker === "function") {
    try {
      return await checkDatabaseFileOffThread(path);
    } catch (err) {
      if (!(err instanceof EtherError && err.code === "internal")) throw err;
    }
  }
  return await checkDatabaseFile(path, deno("serveEther()"), validateDatabase);
}

/**
 * Database 0 from a file, for {@linkcode EtherDatabaseEngine.checkPreloaded}. Whatever is done
 * to the file — renamed over, rewritten in place (`cp`, `cp -p`, truncated, overwritten),
 * removed and written again, removed — the server keeps the database it loaded, in memory, and
 * swaps in another only once the file is complete and valid: its state ({@linkcode FileState})
 * must stay the same across two checks (a file being written keeps changing) and not be one
 * already read and settled ({@linkcode settled}); its bytes must hash differently from the
 * loaded ones, pass `validateDatabase` in full (in a Worker, off the event loop) and still be
 * in the same state once read. A file that failed is not read again until it changes.
 */
function preloadedFile(
  path: string,
  engine: EtherDatabaseEngine,
  log: (line: string) => void,
): () => Promise<EtherDatabase | null> {
  /** The hash of the bytes database 0 was loaded from, and the file state they were read in. */
  let hash = "";
  let loaded: Seen | null = null;
  /** The state seen at the previous check. */
  let previous: FileState | null = null;
  /** The last file read (rejected, or the same bytes as loaded). */
  let examined: Seen | null = null;
  let removedLogged = false;
  const open = (check: DatabaseFileCheck): EtherDatabase => {
    if (check.problem !== null) {
      throw new EtherError(
        "database-error",
        `"${path}" is not a valid database: ${check.problem}`,
      );
    }
    return engine.fromBytes(check.bytes);
  };
  return async () => {
    const now = await fileState(path);
    if (loaded === null) {
      if (!now) throw new EtherError("not-found", `Database file "${path}" does not exist`);
      const readAt = Date.now();
      const check = await checkFile(path);
      const db = open(check);
      loaded = { state: now, readAt };
      hash = check.hash;
      previous = now;
      return db;
    }
    if (!now) {
      if (!removedLogged) log(`"${path}" was removed; still serving the database loaded before`);
      removedLogged = true;
      previous = null;
      return null;
    }
    removedLogged = false;
    const stable = sameState(now, previous);
    previous = now;
    if (!stable || settled(now, loaded) || settled(now, examined)) return null;
    const readAt = Date.now();
    let check: DatabaseFileCheck;
    try {
      check = await checkFile(path);
    } catch (err) {
      if (!sameState(await fileState(path), now)) return null; // removed or changed meanwhile
      throw err;
    }
    if (!sameState(await fileState(path), now)) return null; // changed while read: look again
    examined = { state: now, readAt };
    if (check.hash === hash) {
      loaded = examined; // touched, or copied over with the same bytes
      return null;
    }
    if (check.problem !== null) {
      log(
        `"${path}" changed but is not a valid database (${check.problem}); still serving the ` +
          "database loaded before",
      );
      return null;
    }
    const db = open(check);
    loaded = examined;
    hash = check.hash;
    return db;
  };
}

/**
 * DB_OPEN: a client's path, confined to the database folder, read into memory and opened by the
 * engine. The client is told what went wrong in terms of its own path: never the folder's
 * absolute path nor the operating system's own words (those go to the log).
 */
async function openUnder(
  dir: string,
  rel: string,
  engine: EtherDatabaseEngine,
  log: (line: string) => void,
): Promise<EtherDatabase> {
  const path = resolveUnder(dir, rel);
  const d = deno("serveEther()");
  let bytes: Uint8Array;
  try {
    const info = await d.stat(path);
    if (!info.isFile) throw new d.errors.NotFound("not a regular file");
    bytes = await d.readFile(path);
  } catch (err) {
    if (err instanceof d.errors.NotFound) {
      throw new EtherError("not-found", `No database file "${rel}" in the database folder`);
    }
    log(`DB_OPEN "${rel}": reading "${path}" failed: ${err instanceof Error ? err.message : err}`);
    throw new EtherError("denied", `Database file "${rel}" cannot be read`);
  }
  try {
    return engine.fromBytes(bytes);
  } catch (err) {
    // a FormatError names what is wrong and the byte offset, never a path
    throw new EtherError(
      "database-error",
      `"${rel}" is not a valid database: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
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
