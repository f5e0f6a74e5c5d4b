/**
 * The database side of the Ether server: what an open database offers
 * ({@linkcode EtherDatabase}), how the server gets databases ({@linkcode EtherDatabaseEngine}: from
 * uploaded bytes here, from files through a runtime adapter) and the default engine, mxy's own
 * query engine ({@linkcode mxyDatabaseEngine}).
 *
 * @module
 */
import { Database } from "../db/database.ts";

/**
 * The most values one record may decode to in {@linkcode mxyDatabaseEngine} (a value shared
 * through pointers counts once): decoding runs on the server's event loop, and this bounds how
 * long one query can hold it (about 10 ms with Deno 2.9 on a 2020s x86 core).
 */
const MAX_RECORD_VALUES = 50_000;
/** Records over that budget remembered per database. */
const MAX_REMEMBERED = 1024;

/**
 * An open database the server can query.
 *
 * @example
 * ```ts
 * import type { EtherDatabase } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const table: EtherDatabase = {
 *   lookup: (query) => (query === "a" ? { hit: true } : null),
 *   close() {},
 * };
 * assert.deepEqual(table.lookup("a"), { hit: true });
 * ```
 */
export interface EtherDatabase {
  /**
   * Looks a query up (DB_QUERY).
   *
   * @param query The query text (an IP address, a domain …).
   * @returns The result, made of `null`, booleans, numbers, bigints, strings, `Uint8Array`s,
   *   arrays and plain objects (the server writes it as JSON, within its reply budget), or
   *   `null` for no match.
   */
  lookup(query: string): unknown;
  /** Releases the database (DB_CLOSE, the connection closing, the server stopping). */
  close(): void;
  /**
   * The memory the database holds, in bytes: the server counts it against the opening
   * connection's quota and its total. Default 0.
   */
  readonly byteLength?: number;
}

/**
 * How an Ether server gets and serialises databases. Without an engine the server answers the
 * database commands with `denied`. {@linkcode mxyDatabaseEngine} opens bytes; the runtime adapter
 * `serveEther` (`@mxy/mxy/deno`) adds {@linkcode EtherDatabaseEngine.openNamed} and
 * {@linkcode EtherDatabaseEngine.checkPreloaded} on top of it, from the file system.
 *
 * @example
 * ```ts
 * import { type EtherDatabaseEngine, mxyDatabaseEngine } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * // mxy's engine, with database 0 given from memory instead of a file
 * let given = false;
 * const engine: EtherDatabaseEngine = {
 *   ...mxyDatabaseEngine,
 *   checkPreloaded() {
 *     if (given) return Promise.resolve(null); // unchanged
 *     given = true;
 *     return Promise.resolve({ lookup: () => ({ source: "memory" }), close() {} });
 *   },
 * };
 * const db0 = await engine.checkPreloaded!();
 * assert.deepEqual(db0?.lookup("x"), { source: "memory" });
 * assert.equal(await engine.checkPreloaded!(), null);
 * ```
 */
export interface EtherDatabaseEngine {
  /**
   * Opens a database from bytes a client uploaded (DB_LOAD). The server passes its own copy.
   *
   * @param bytes The whole database file.
   * @returns The database.
   * @throws When the bytes are not a database (the client gets `database-error`).
   */
  fromBytes(bytes: Uint8Array): EtherDatabase;
  /**
   * Opens the database a client names with DB_OPEN: a path relative to the server's database
   * folder. Without it DB_OPEN is answered `denied`.
   *
   * @param path The client's path (not checked yet: the implementation confines it).
   * @returns The database.
   * @throws {EtherError} `denied` for a path it refuses, `not-found` for a missing file; any
   *   other error (a file that is not a database) reaches the client as `database-error`.
   */
  openNamed?(path: string): Promise<EtherDatabase>;
  /**
   * Database 0 (the preloaded one), as a change: the server calls it once at start, then every
   * `reloadIntervalMs`.
   *
   * @returns At the first call the preloaded database, or `null` when there is none; later a
   *   fresh database once the source was replaced (the server swaps it in and closes the old
   *   one), or `null` while nothing changed.
   * @throws When a new database cannot be opened: at start the server fails; later it logs the
   *   error and keeps serving the database it has.
   */
  checkPreloaded?(): Promise<EtherDatabase | null>;
}

/**
 * mxy's query engine as an {@linkcode EtherDatabaseEngine}: opens `.mxy` and MaxMind DB bytes
 * with {@linkcode Database.fromBytes}, decoding at most 50,000 values per record (more is
 * answered `out-of-memory`), and counts the bytes as the database's memory.
 *
 * @example
 * ```ts
 * import { DatabaseBuilder } from "@mxy/mxy/db";
 * import { mxyDatabaseEngine } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const builder = new DatabaseBuilder();
 * builder.add("192.0.2.0/24", { n: 2n ** 64n - 1n });
 * const bytes = builder.build();
 * const db = mxyDatabaseEngine.fromBytes(bytes);
 * assert.deepEqual(db.lookup("192.0.2.1"), {
 *   kind: "ip",
 *   data: { n: 2n ** 64n - 1n },
 *   network: "192.0.2.0/24",
 *   prefixLength: 24,
 * });
 * assert.equal(db.byteLength, bytes.length);
 * assert.throws(() => mxyDatabaseEngine.fromBytes(new Uint8Array(10)));
 * db.close();
 * ```
 */
export const mxyDatabaseEngine: EtherDatabaseEngine = {
  fromBytes(bytes: Uint8Array): EtherDatabase {
    const db = Database.fromBytes(bytes, { maxValues: MAX_RECORD_VALUES });
    // records found over the budget, by data offset: asked again, they fail at once instead of
    // being decoded again up to the budget (a client asking over and over gets no more CPU)
    const tooLarge = new Map<number, Error>();
    return {
      lookup(query) {
        if (tooLarge.size > 0) {
          const known = tooLarge.get(db.lookupOffset(query));
          if (known) throw known;
        }
        try {
          return db.lookup(query);
        } catch (err) {
          if ((err as { code?: string }).code === "too-large") {
            if (tooLarge.size >= MAX_REMEMBERED) tooLarge.clear();
            tooLarge.set(db.lookupOffset(query), err as Error);
          }
          throw err;
        }
      },
      close: () => db.close(),
      byteLength: bytes.length,
    };
  },
};
