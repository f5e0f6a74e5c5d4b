/**
 * The one door to the `Deno` global: {@linkcode deno} returns it, or throws a typed
 * {@linkcode RuntimeError} when the code runs elsewhere (Node, Bun, a browser bundle).
 * Every file of the adapter layer reaches Deno's APIs through it, so that importing the layer
 * never fails and calling it outside Deno fails clearly.
 *
 * @module
 */
import { RuntimeError } from "./runtime_error.ts";

/**
 * Returns Deno's namespace.
 *
 * @param what The operation, for the message (e.g. `"openDatabase()"`).
 * @returns `globalThis.Deno`.
 * @throws {RuntimeError} `unsupported-runtime` when not running in Deno.
 */
export function deno(what: string): typeof Deno {
  const d = (globalThis as { Deno?: typeof Deno }).Deno;
  if (d === undefined || typeof d.readFile !== "function") {
    throw new RuntimeError(
      "unsupported-runtime",
      `${what} needs Deno's file, process or network APIs, which this runtime lacks; use the ` +
        "byte-level API instead (e.g. Database.fromBytes, forEachPacket on bytes or a stream)",
    );
  }
  return d;
}

/** Whether the code runs in Deno. */
export function isDeno(): boolean {
  const d = (globalThis as { Deno?: { readFile?: unknown } }).Deno;
  return d !== undefined && typeof d.readFile === "function";
}
