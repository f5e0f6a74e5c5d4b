/**
 * Opening a database file: read into one buffer (the default) or memory-mapped when asked.
 *
 * @module
 */
import { Database, type DatabaseOptions } from "../db/database.ts";
import { FormatError } from "../format/format_error.ts";
import { mapFile } from "./mmap.ts";

/** Options for {@linkcode openDatabase}. */
export interface OpenDatabaseOptions extends DatabaseOptions {
  /**
   * Memory-map the file instead of reading it (needs `--allow-ffi`; falls back to reading
   * without it). Opening is then constant-time whatever the size, but the file must never be
   * truncated or rewritten in place while the database is open (the kernel would raise SIGBUS):
   * replace it by renaming a new file over it. Default `false`.
   */
  mmap?: boolean;
}

/**
 * Opens a database file (a `.mxy` file or any MaxMind DB).
 *
 * @param path The file.
 * @param options {@linkcode OpenDatabaseOptions}.
 * @returns The database.
 * @throws {FormatError} When the file is not a MaxMind DB; Deno's `NotFound` and
 *   `PermissionDenied` keep their class with the path in the message.
 * @example
 * ```ts
 * import { DatabaseBuilder, openDatabase } from "@mxy/mxy";
 * import assert from "node:assert/strict";
 * const builder = new DatabaseBuilder();
 * builder.add("192.0.2.0/24", { threat: "botnet" });
 * const path = await Deno.makeTempFile({ suffix: ".mxy" });
 * await Deno.writeFile(path, builder.build());
 * const db = await openDatabase(path);
 * assert.deepEqual(db.lookup("192.0.2.9")?.data, { threat: "botnet" });
 * db.close();
 * await Deno.remove(path);
 * ```
 */
export async function openDatabase(
  path: string,
  options: OpenDatabaseOptions = {},
): Promise<Database> {
  let bytes: Uint8Array;
  try {
    bytes = (await mapFile(path, { mode: options.mmap ? "auto" : "read" })).bytes;
  } catch (err) {
    // keep the error's class (NotFound, PermissionDenied …); say which database failed
    if (err instanceof Error) err.message = `Cannot open database "${path}": ${err.message}`;
    throw err;
  }
  try {
    return Database.fromBytes(bytes, options);
  } catch (err) {
    if (err instanceof FormatError) {
      throw new FormatError(err.code, `Cannot open database "${path}": ${err.message}`);
    }
    throw err;
  }
}
