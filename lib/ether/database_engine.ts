/**
 * The database side of the Ether server: what an open database offers
 * ({@linkcode EtherDatabase}), how the server gets databases ({@linkcode EtherDatabaseEngine}: from
 * uploaded bytes here, from files through a runtime adapter) and the default engine, mxy's own
 * query engine ({@linkcode mxyDatabaseEngine}).
 *
 * @module
 */
import { Database } from "../db/database.ts";
import { MATCH_LITERAL, type StringMatch, StringMatches } from "../db/string_match.ts";
import { EtherError } from "./ether_error.ts";

/**
 * The most values one record may decode to in {@linkcode mxyDatabaseEngine} (a value shared
 * through pointers counts once): decoding runs on the server's event loop, and this bounds how
 * long one query can hold it (about 10 ms with Deno 2.9 on a 2020s x86 core).
 */
const MAX_RECORD_VALUES = 50_000;
/** Records over that budget remembered per database. */
const MAX_REMEMBERED = 1024;
/** The most entries a string query may match (each match is a record to decode). */
const MAX_STRING_MATCHES = 1024;
/** Longest stretch (ms) of decoding a string query's matches before other work gets a turn. */
const SLICE_MS = 2;

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
   *   `null` for no match; or a promise of it, for a lookup that takes turns with other work.
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
 * answered `out-of-memory`), and counts the bytes as the database's memory. A string query
 * matching several entries decodes them in turns of 2 ms (its lookup returns a promise), and
 * one matching more than 1,024 entries is answered `out-of-memory`.
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
    const decode = (offset: number) => {
      const known = tooLarge.get(offset);
      if (known) throw known;
      try {
        return db.decode(offset);
      } catch (err) {
        if ((err as { code?: string }).code === "too-large") {
          if (tooLarge.size >= MAX_REMEMBERED) tooLarge.clear();
          tooLarge.set(offset, err as Error);
        }
        throw err;
      }
    };
    let closed = false;
    return {
      lookup(query) {
        const offset = db.lookupIpOffset(query);
        if (db.lastIpVersion !== 0) {
          if (offset < 0) return null;
          decode(offset); // over the budget: fails here (at once when known)
          return db.lookup(query); // decoded and cached: this costs a tree walk
        }
        const out = new StringMatches();
        const n = db.lookupStringOffsets(query, out);
        if (n === 0) return null;
        if (n > MAX_STRING_MATCHES) {
          throw new EtherError(
            "out-of-memory",
            `The query matches ${n} entries, over the limit of ${MAX_STRING_MATCHES}`,
          );
        }
        return stringResult(db, out, decode, () => closed);
      },
      close: () => {
        closed = true;
        db.close();
      },
      byteLength: bytes.length,
    };
  },
};

/** The result of a string query, its matches decoded in turns of {@linkcode SLICE_MS}. */
async function stringResult(
  db: Database,
  out: StringMatches,
  decode: (offset: number) => unknown,
  closed: () => boolean,
): Promise<unknown> {
  const matches: StringMatch[] = [];
  let slice = performance.now();
  for (let i = 0; i < out.count; i++) {
    if (performance.now() - slice > SLICE_MS) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (closed()) {
        throw new EtherError("database-error", "The database was closed (replaced) meanwhile");
      }
      slice = performance.now();
    }
    const kind = out.kinds[i];
    matches.push({
      kind: kind === MATCH_LITERAL ? "literal" : "glob",
      entry: db.stringEntry(kind, out.entries[i]),
      data: decode(out.offsets[i]) as StringMatch["data"],
    });
  }
  return { kind: "string", data: matches[0].data, matches };
}
