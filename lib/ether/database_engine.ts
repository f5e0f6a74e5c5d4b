/**
 * What the Ether server needs from a database engine: open a file or bytes, look a query up,
 * close. The default engine is `lib/db/database.ts`; tests may pass another.
 *
 * @module
 */

/** An open database the server can query. */
export interface QueryableDatabase {
  /** Looks a query up; the result must be JSON-serialisable (bigint allowed) or `null`. */
  lookup(query: string): unknown;
  /** Releases the database. */
  close(): void;
}

/** Opens databases for the server. */
export interface DatabaseEngine {
  /** Opens a database file. */
  open(path: string): Promise<QueryableDatabase>;
  /** Opens a database held in memory (the server passes its own copy). */
  fromBytes(bytes: Uint8Array): QueryableDatabase;
  /** Serialises a lookup result to JSON text. */
  toJson(result: unknown): string;
}

/**
 * JSON text of a lookup result: bigint as a bare number, bytes as an array of numbers.
 *
 * @param value The value.
 * @returns JSON text.
 * @example
 * ```ts
 * import { resultToJson } from "./database_engine.ts";
 * import assert from "node:assert/strict";
 * assert.equal(resultToJson({ n: 2n ** 64n }), '{"n":18446744073709551616}');
 * ```
 */
export function resultToJson(value: unknown): string {
  const marks: string[] = [];
  const text = JSON.stringify(value ?? null, (_k, v) => {
    if (typeof v === "bigint") {
      marks.push(v.toString());
      return `\u0000big${marks.length - 1}\u0000`;
    }
    if (v instanceof Uint8Array) return Array.from(v);
    return v;
  });
  if (marks.length === 0) return text;
  return text.replace(/"\\u0000big(\d+)\\u0000"/g, (_m, i) => marks[Number(i)]);
}

/**
 * Checks a path given by a client against the server's database folder: relative, no `..`
 * segment, no NUL, ends in `.mxy` or `.mmdb`.
 *
 * @param dir The server's `--db-dir`.
 * @param rel The client's path.
 * @returns The joined path, or a reason string prefixed with `!`.
 * @example
 * ```ts
 * import { resolveUnder } from "./database_engine.ts";
 * import assert from "node:assert/strict";
 * assert.equal(resolveUnder("/srv/db", "geo/city.mxy"), "/srv/db/geo/city.mxy");
 * assert.match(resolveUnder("/srv/db", "../etc/x.mxy"), /^!.*leaves/);
 * ```
 */
export function resolveUnder(dir: string, rel: string): string {
  if (rel.length === 0) return "!Empty database path";
  if (rel.includes("\0")) return "!Database path contains a NUL byte";
  if (rel.startsWith("/") || rel.startsWith("\\") || /^[A-Za-z]:/.test(rel)) {
    return `!Database path "${rel}" is absolute; give a path relative to the database folder`;
  }
  const parts = rel.split(/[\\/]+/);
  if (parts.some((p) => p === "..")) {
    return `!Database path "${rel}" leaves the database folder`;
  }
  if (!/\.(mxy|mmdb)$/i.test(rel)) {
    return `!Database path "${rel}" does not end in .mxy or .mmdb`;
  }
  return `${dir.replace(/[\\/]+$/, "")}/${parts.filter((p) => p !== "." && p !== "").join("/")}`;
}
