/**
 * The default database engine of the Ether server: mxy's query engine (`lib/db/database.ts`),
 * with results serialised by `valueToJson`.
 *
 * @module
 */
import { Database } from "../db/database.ts";
import { type MmdbValue, valueToJson } from "../format/value.ts";
import type { DatabaseEngine, QueryableDatabase } from "./database_engine.ts";

/**
 * Opens `.mxy` / MaxMind DB files (memory-mapped when allowed) and bytes with
 * {@linkcode Database}; results are JSON through `valueToJson`.
 *
 * @example
 * ```ts
 * import { databaseEngine } from "./db_engine.ts";
 * import assert from "node:assert/strict";
 * assert.equal(databaseEngine.toJson(null), "null");
 * assert.throws(() => databaseEngine.fromBytes(new Uint8Array(10)));
 * ```
 */
export const databaseEngine: DatabaseEngine = {
  async open(path: string): Promise<QueryableDatabase> {
    return await Database.open(path);
  },
  fromBytes(bytes: Uint8Array): QueryableDatabase {
    return Database.fromBytes(bytes);
  },
  toJson(result: unknown): string {
    return valueToJson((result ?? null) as MmdbValue | null);
  },
};
