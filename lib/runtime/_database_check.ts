/**
 * Reading a database file for the Ether server's database 0: its bytes, their SHA-256 and the
 * first problem `validateDatabase` finds, in a Worker ({@linkcode checkDatabaseFileOffThread})
 * so that validating a large file does not hold up the server's event loop.
 *
 * @module
 */
import type { ValidationReport } from "../db/validate.ts";
import { EtherError } from "../ether/mod.ts";

/** What a check found. */
export interface DatabaseFileCheck {
  /** The file's bytes. */
  bytes: Uint8Array;
  /** Their SHA-256, in hex. */
  hash: string;
  /** The first problem found, or `null` for a valid database. */
  problem: string | null;
}

/**
 * Reads, hashes and validates a file (in the calling thread).
 *
 * @param path The file.
 * @param d Deno's namespace.
 * @param validate `validateDatabase`.
 * @returns What was found.
 */
export async function checkDatabaseFile(
  path: string,
  d: typeof Deno,
  validate: (bytes: Uint8Array, options: { maxProblems: number }) => ValidationReport,
): Promise<DatabaseFileCheck> {
  const bytes = await d.readFile(path);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hash = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  const report = validate(bytes, { maxProblems: 1 });
  const first = report.problems[0];
  return { bytes, hash, problem: report.valid ? null : (first?.message ?? "not valid") };
}

/**
 * {@linkcode checkDatabaseFile} in a Worker, which is started for the one check and ended after.
 *
 * @param path The file.
 * @returns What was found.
 * @throws {EtherError} `database-error` with what reading the file threw, `internal` when the
 *   Worker failed.
 */
export function checkDatabaseFileOffThread(path: string): Promise<DatabaseFileCheck> {
  const worker = new Worker(new URL("./_database_check_worker.ts", import.meta.url).href, {
    type: "module",
  });
  return new Promise<DatabaseFileCheck>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<DatabaseFileCheck | { error: string }>) => {
      worker.terminate();
      const a = event.data;
      if ("error" in a) reject(new EtherError("database-error", a.error));
      else resolve(a);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject(new EtherError("internal", `The database check failed: ${event.message}`));
    };
    worker.postMessage({ path });
  });
}
