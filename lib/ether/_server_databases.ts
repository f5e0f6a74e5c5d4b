/**
 * The Ether server's databases: those each connection opened (DB_OPEN, DB_LOAD), under random
 * handles it alone can use, and database 0 (preloaded), reloaded when the engine reports a new
 * one. Every failure is an {@linkcode EtherError} with the code the client gets.
 *
 * @module
 */
import { MxyError } from "../core/mxy_error.ts";
import { formatEtherHandle as hex } from "./_header_fields.ts";
import type { EtherDatabase, EtherDatabaseEngine } from "./database_engine.ts";
import { printable } from "./_printable.ts";
import { EtherError } from "./ether_error.ts";
import type { MemoryStore } from "./memory_store.ts";

interface OpenDatabase {
  db: EtherDatabase;
  owner: number;
  /** Bytes counted for it against its owner's quota. */
  bytes: number;
}

/** Settings of {@linkcode ServerDatabases}. */
export interface ServerDatabasesOptions {
  /** How often database 0 is checked for replacement (ms). */
  reloadMs: number;
  /** Where log lines go. */
  log: (line: string) => void;
  /** The server's memory accounting: a database's bytes count against its owner's quota. */
  store: MemoryStore;
  /** Databases open on all connections together. */
  maxDatabases: number;
  /** Databases open on one connection. */
  maxOwnerDatabases: number;
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The databases of one server. */
export class ServerDatabases {
  #engine: EtherDatabaseEngine | undefined;
  #reloadMs: number;
  #log: (line: string) => void;
  #store: MemoryStore;
  #max: number;
  #maxOwner: number;
  #bytes = 0;
  #open = new Map<bigint, OpenDatabase>();
  #owned = new Map<number, Set<bigint>>();
  #preloaded: EtherDatabase | null = null;
  #reloader: ReturnType<typeof setInterval> | undefined;
  #reloading = false;
  #closed = false;
  /** Times database 0 was replaced. */
  reloads = 0;

  constructor(engine: EtherDatabaseEngine | undefined, options: ServerDatabasesOptions) {
    this.#engine = engine;
    this.#reloadMs = options.reloadMs;
    this.#log = options.log;
    this.#store = options.store;
    this.#max = options.maxDatabases;
    this.#maxOwner = options.maxOwnerDatabases;
  }

  /** Bytes of the connections' databases (counted in the store's reservations). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Refuses one more database on a connection at either limit. */
  #checkCount(owner: number, what: string): void {
    const mine = this.#owned.get(owner)?.size ?? 0;
    if (mine >= this.#maxOwner) {
      throw new EtherError(
        "out-of-memory",
        `${what}: the connection already has ${mine} databases open, its limit (DB_CLOSE one)`,
      );
    }
    if (this.#open.size >= this.#max) {
      throw new EtherError(
        "out-of-memory",
        `${what}: the server already has ${this.#open.size} databases open, its limit`,
      );
    }
  }

  /** Whether there is an engine (the DATABASE capability). */
  get available(): boolean {
    return this.#engine !== undefined;
  }

  /** Databases open on connections (database 0 not counted). */
  get count(): number {
    return this.#open.size;
  }

  /** Whether database 0 is loaded. */
  get preloaded(): boolean {
    return this.#preloaded !== null;
  }

  #need(what: string): EtherDatabaseEngine {
    if (!this.#engine) {
      throw new EtherError("denied", `${what}: this server has no database engine`);
    }
    return this.#engine;
  }

  /** Loads database 0 and starts checking it for replacement; see `EtherServer.preload`. */
  async preload(): Promise<void> {
    const engine = this.#engine;
    if (!engine?.checkPreloaded || this.#reloader !== undefined || this.#closed) return;
    const db = await engine.checkPreloaded();
    if (!db) return;
    this.#preloaded = db;
    this.#reloader = setInterval(() => void this.#checkReload(engine), this.#reloadMs);
  }

  async #checkReload(engine: EtherDatabaseEngine): Promise<void> {
    if (this.#reloading || this.#closed) return;
    this.#reloading = true;
    try {
      let fresh: EtherDatabase | null;
      try {
        fresh = await engine.checkPreloaded!();
      } catch (err) {
        this.#log(`reloading database 0 failed, keeping the one loaded before: ${msg(err)}`);
        return;
      }
      if (!fresh) return;
      if (this.#closed) {
        fresh.close();
        return;
      }
      const old = this.#preloaded;
      this.#preloaded = fresh; // atomic swap: queries are synchronous
      this.reloads++;
      old?.close();
      this.#log("database 0 reloaded");
    } finally {
      this.#reloading = false;
    }
  }

  #register(owner: number, db: EtherDatabase, bytes: number): bigint {
    const id = new BigUint64Array(1);
    do crypto.getRandomValues(id); while (id[0] === 0n || this.#open.has(id[0]));
    this.#open.set(id[0], { db, owner, bytes });
    this.#bytes += bytes;
    let set = this.#owned.get(owner);
    if (!set) this.#owned.set(owner, set = new Set());
    set.add(id[0]);
    return id[0];
  }

  /**
   * DB_OPEN: the database a client names, through the engine's `openNamed`.
   *
   * @param owner The connection.
   * @param path The client's path.
   * @param gone Whether the connection closed meanwhile (the database is then closed at once).
   * @returns The new handle, or 0 when the connection is gone.
   */
  async open(owner: number, path: string, gone: () => boolean): Promise<bigint> {
    const engine = this.#need("DB_OPEN");
    if (!engine.openNamed) {
      throw new EtherError("denied", "DB_OPEN: this server has no database folder (--db-dir)");
    }
    this.#checkCount(owner, "DB_OPEN");
    let db: EtherDatabase;
    try {
      db = await engine.openNamed(path);
    } catch (err) {
      if (err instanceof EtherError) {
        throw new EtherError(err.code, `DB_OPEN: ${err.message}`, {
          wireCode: err.wireCode,
          cause: err,
        });
      }
      // the engine's own words may name server paths or OS details: logged, not told
      this.#log(`DB_OPEN "${path}" failed: ${msg(err)}`);
      throw new EtherError("database-error", `DB_OPEN: "${path}" is not a valid database`, {
        cause: err,
      });
    }
    if (gone() || this.#closed) {
      db.close(); // the connection (or the server) went away while the file was being read
      return 0n;
    }
    const bytes = db.byteLength ?? 0;
    try {
      this.#checkCount(owner, "DB_OPEN"); // others may have opened some meanwhile
      this.#store.reserve(owner, bytes, `DB_OPEN of "${path}" (${bytes} bytes)`);
    } catch (err) {
      db.close();
      throw err;
    }
    return this.#register(owner, db, bytes);
  }

  /**
   * DB_LOAD: a database from bytes a client uploaded.
   *
   * @param owner The connection.
   * @param block The upload block's bytes (copied: the database keeps its own).
   * @param handle The upload block's handle, for messages.
   * @returns The new handle.
   */
  load(owner: number, block: Uint8Array, handle: bigint): bigint {
    const engine = this.#need("DB_LOAD");
    this.#checkCount(owner, "DB_LOAD");
    const size = block.length;
    this.#store.reserve(owner, size, `DB_LOAD of block ${hex(handle)} (${size} bytes)`);
    let db: EtherDatabase;
    try {
      db = engine.fromBytes(block.slice());
    } catch (err) {
      this.#store.unreserve(owner, size);
      throw new EtherError(
        "database-error",
        `DB_LOAD: block ${hex(handle)} is not a valid database: ${msg(err)}`,
        { cause: err },
      );
    }
    return this.#register(owner, db, size);
  }

  /**
   * DB_QUERY: looks a query up.
   *
   * @param owner The connection.
   * @param handle The database, 0 for database 0.
   * @param query The query.
   * @returns The lookup's result (`null` for no match), for the reply's JSON, or a promise of it.
   */
  query(owner: number, handle: bigint, query: string): unknown {
    this.#need("DB_QUERY");
    let db: EtherDatabase | null;
    if (handle === 0n) {
      db = this.#preloaded;
      if (!db) throw new EtherError("not-found", "DB_QUERY: no preloaded database (--db)");
    } else {
      const d = this.#open.get(handle);
      if (!d || d.owner !== owner) {
        throw new EtherError(
          "not-found",
          `DB_QUERY: no database ${hex(handle)} on this connection`,
        );
      }
      db = d.db;
    }
    let result: unknown;
    try {
      result = db.lookup(query);
    } catch (err) {
      throw queryError(err, query);
    }
    if (result instanceof Promise) {
      return result.then((r) => r ?? null, (err) => {
        throw queryError(err, query);
      });
    }
    return result ?? null;
  }

  /**
   * DB_CLOSE.
   *
   * @param owner The connection.
   * @param handle The database.
   */
  close(owner: number, handle: bigint): void {
    const d = this.#open.get(handle);
    if (handle === 0n || !d || d.owner !== owner) {
      throw new EtherError("not-found", `DB_CLOSE: no database ${hex(handle)} on this connection`);
    }
    this.#open.delete(handle);
    this.#owned.get(owner)?.delete(handle);
    this.#bytes -= d.bytes;
    this.#store.unreserve(owner, d.bytes);
    d.db.close();
  }

  /**
   * Closes every database of a connection that closed.
   *
   * @param owner The connection.
   */
  releaseOwner(owner: number): void {
    const set = this.#owned.get(owner);
    if (!set) return;
    this.#owned.delete(owner);
    for (const h of set) {
      const d = this.#open.get(h);
      this.#open.delete(h);
      if (d) {
        this.#bytes -= d.bytes;
        this.#store.unreserve(owner, d.bytes); // nothing when the store released the owner
      }
      try {
        d?.db.close();
      } catch (err) {
        this.#log(`closing database ${hex(h)} failed: ${msg(err)}`);
      }
    }
  }

  /** Stops reloading and closes database 0 (the connections' databases go with them). */
  shutdown(): void {
    this.#closed = true;
    if (this.#reloader !== undefined) clearInterval(this.#reloader);
    this.#preloaded?.close();
    this.#preloaded = null;
  }
}

/**
 * The error a client gets for a failed lookup: the engine's typed errors (a damaged database, a
 * record over the decoding budget, a query it cannot take) keep their meaning; anything else is
 * a failure of the server (answered `internal` by the caller).
 */
function queryError(err: unknown, query: string): unknown {
  if (err instanceof EtherError) {
    return new EtherError(
      err.code,
      `DB_QUERY "${printable(query.slice(0, 100))}": ${err.message}`,
      {
        cause: err,
      },
    );
  }
  if (!(err instanceof MxyError) && !(err instanceof Error && err.name === "FormatError")) {
    return err;
  }
  const tooLarge = (err as { code?: string }).code === "too-large";
  return new EtherError(
    tooLarge ? "out-of-memory" : err.name === "FormatError" ? "database-error" : "invalid-request",
    `DB_QUERY "${printable(query.slice(0, 100))}": ${err.message}`,
    { cause: err },
  );
}
