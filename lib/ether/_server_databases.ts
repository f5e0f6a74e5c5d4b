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
import { EtherError } from "./ether_error.ts";

interface OpenDatabase {
  db: EtherDatabase;
  owner: number;
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The databases of one server. */
export class ServerDatabases {
  #engine: EtherDatabaseEngine | undefined;
  #reloadMs: number;
  #log: (line: string) => void;
  #open = new Map<bigint, OpenDatabase>();
  #owned = new Map<number, Set<bigint>>();
  #preloaded: EtherDatabase | null = null;
  #reloader: ReturnType<typeof setInterval> | undefined;
  #reloading = false;
  #closed = false;
  /** Times database 0 was replaced. */
  reloads = 0;

  constructor(
    engine: EtherDatabaseEngine | undefined,
    reloadMs: number,
    log: (line: string) => void,
  ) {
    this.#engine = engine;
    this.#reloadMs = reloadMs;
    this.#log = log;
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

  #register(owner: number, db: EtherDatabase): bigint {
    const id = new BigUint64Array(1);
    do crypto.getRandomValues(id); while (id[0] === 0n || this.#open.has(id[0]));
    this.#open.set(id[0], { db, owner });
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
      throw new EtherError("database-error", `DB_OPEN: cannot open "${path}": ${msg(err)}`, {
        cause: err,
      });
    }
    if (gone() || this.#closed) {
      db.close(); // the connection (or the server) went away while the file was being read
      return 0n;
    }
    return this.#register(owner, db);
  }

  /**
   * DB_LOAD: a database from bytes a client uploaded.
   *
   * @param owner The connection.
   * @param bytes The server's own copy of the bytes.
   * @param block The upload block's handle, for messages.
   * @returns The new handle.
   */
  load(owner: number, bytes: Uint8Array, block: bigint): bigint {
    const engine = this.#need("DB_LOAD");
    let db: EtherDatabase;
    try {
      db = engine.fromBytes(bytes);
    } catch (err) {
      throw new EtherError(
        "database-error",
        `DB_LOAD: block ${hex(block)} is not a valid database: ${msg(err)}`,
        { cause: err },
      );
    }
    return this.#register(owner, db);
  }

  /**
   * DB_QUERY: looks a query up and gives the JSON text of the reply.
   *
   * @param owner The connection.
   * @param handle The database, 0 for database 0.
   * @param query The query.
   * @returns JSON text.
   */
  queryJson(owner: number, handle: bigint, query: string): string {
    const engine = this.#need("DB_QUERY");
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
      // the engine's typed errors: a damaged database, or a query it cannot take; anything else
      // is a failure of the server (answered `internal` by the caller)
      if (!(err instanceof MxyError)) throw err;
      throw new EtherError(
        err.name === "FormatError" ? "database-error" : "invalid-request",
        `DB_QUERY "${query.slice(0, 100)}": ${err.message}`,
        { cause: err },
      );
    }
    return engine.toJson(result);
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
