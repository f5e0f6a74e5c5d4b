/**
 * Opening a database file: read into one buffer (the default) or memory-mapped when asked.
 *
 * @module
 */
import { Database, type DatabaseOptions } from "../db/database.ts";
import { FormatError } from "../format/format_error.ts";
import { mapFile, type MappedFile } from "./mmap.ts";
import { deno } from "./_deno.ts";

/** Options for {@linkcode openDatabase}: the database options, and whether to map the file. */
export interface OpenDatabaseOptions extends Omit<DatabaseOptions, "mapMode"> {
  /**
   * Memory-map the file instead of reading it (needs `--allow-ffi`; falls back to reading
   * without it). Opening is then constant-time whatever the size, but the file must never be
   * truncated or rewritten in place while the database is open (the kernel would raise SIGBUS):
   * replace it by renaming a new file over it. Default `false`.
   */
  mmap?: boolean;
}

/**
 * Opens a database file (a `.mxy` file or any MaxMind DB): read into one buffer, or
 * memory-mapped when asked. {@linkcode Database.mapMode} says which it got (`"mmap"` or
 * `"read"`).
 *
 * @param path The file.
 * @param options {@linkcode OpenDatabaseOptions}.
 * @returns The database.
 * @throws {FormatError} When the file is not a MaxMind DB; Deno's `NotFound` and
 *   `PermissionDenied` keep their class with the path in the message.
 * @example
 * ```ts
 * import { DatabaseBuilder } from "@mxy/mxy/db";
 * import { openDatabase } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * const builder = new DatabaseBuilder();
 * builder.add("192.0.2.0/24", { threat: "botnet" });
 * const path = await Deno.makeTempFile({ suffix: ".mxy" });
 * await Deno.writeFile(path, builder.build());
 * const db = await openDatabase(path);
 * assert.deepEqual(db.lookup("192.0.2.9")?.data, { threat: "botnet" });
 * assert.equal(db.mapMode, "read");
 * db.close();
 * await Deno.remove(path);
 * ```
 */
export async function openDatabase(
  path: string,
  options: OpenDatabaseOptions = {},
): Promise<Database> {
  deno("openDatabase()");
  let file: MappedFile;
  try {
    file = await mapFile(path, { mode: options.mmap ? "auto" : "read" });
  } catch (err) {
    // keep the error's class (NotFound, PermissionDenied …); say which database failed
    if (err instanceof Error) err.message = `Cannot open database "${path}": ${err.message}`;
    throw err;
  }
  try {
    return Database.fromBytes(file.bytes, { ...options, mapMode: file.mode });
  } catch (err) {
    if (err instanceof FormatError) {
      throw new FormatError(err.code, `Cannot open database "${path}": ${err.message}`);
    }
    throw err;
  }
}
