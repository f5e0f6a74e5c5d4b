/**
 * A Worker that reads a database file, hashes it (SHA-256) and validates it in full
 * (`validateDatabase`), off the event loop of the Ether server that asked: a large file takes
 * seconds to validate, and the server goes on answering meanwhile. It answers one request and
 * hands the bytes back (transferred, not copied).
 *
 * @module
 */
import { deno } from "./_deno.ts";
import { validateDatabase } from "../db/validate.ts";
import { checkDatabaseFile, type DatabaseFileCheck } from "./_database_check.ts";

interface WorkerScope {
  onmessage: ((event: MessageEvent<{ path: string }>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
scope.onmessage = async (event) => {
  let answer: DatabaseFileCheck | { error: string };
  try {
    answer = await checkDatabaseFile(
      event.data.path,
      deno("checkDatabaseFile()"),
      validateDatabase,
    );
  } catch (err) {
    answer = { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
  scope.postMessage(answer, "bytes" in answer ? [answer.bytes.buffer as ArrayBuffer] : []);
};
