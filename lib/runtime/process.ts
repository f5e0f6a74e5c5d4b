/**
 * Process-level access: arguments, environment, standard streams, exit, signals and child
 * processes. The CLI and the long-running services use these instead of `Deno.*`.
 *
 * @module
 */

/**
 * Returns the command-line arguments.
 *
 * @returns The arguments after the script name.
 * @example
 * ```ts
 * import { args } from "./process.ts";
 * import assert from "node:assert/strict";
 * assert.ok(Array.isArray(args()));
 * ```
 */
export function args(): string[] {
  return [...Deno.args];
}

/**
 * Reads an environment variable, returning `undefined` when it is unset or not readable.
 *
 * @param name The variable's name.
 * @returns Its value or `undefined`.
 * @example
 * ```ts
 * import { env } from "./process.ts";
 * import assert from "node:assert/strict";
 * assert.equal(env("MXY_SURELY_UNSET_VARIABLE"), undefined);
 * ```
 */
export function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * Ends the process with an exit code.
 *
 * @param code The exit code.
 * @returns Never returns.
 * @example
 * ```ts ignore
 * import { exit } from "./process.ts";
 * exit(0);
 * ```
 */
export function exit(code: number): never {
  Deno.exit(code);
}

/** A standard stream name. */
export type StdStream = "stdout" | "stderr";

const encoder = new TextEncoder();

/**
 * Writes text or bytes to standard output or standard error, completely.
 *
 * @param stream `"stdout"` or `"stderr"`.
 * @param data Text or bytes.
 * @returns A promise that settles once written.
 * @example
 * ```ts
 * import { write } from "./process.ts";
 * await write("stderr", "");
 * ```
 */
export async function write(stream: StdStream, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  const target = stream === "stdout" ? Deno.stdout : Deno.stderr;
  let done = 0;
  while (done < bytes.length) done += await target.write(bytes.subarray(done));
}

/**
 * Writes text or bytes to standard output or standard error synchronously.
 *
 * @param stream `"stdout"` or `"stderr"`.
 * @param data Text or bytes.
 * @example
 * ```ts
 * import { writeSync } from "./process.ts";
 * writeSync("stderr", "");
 * ```
 */
export function writeSync(stream: StdStream, data: string | Uint8Array): void {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  const target = stream === "stdout" ? Deno.stdout : Deno.stderr;
  let done = 0;
  while (done < bytes.length) done += target.writeSync(bytes.subarray(done));
}

/**
 * Tells whether a standard stream is a terminal.
 *
 * @param stream `"stdin"`, `"stdout"` or `"stderr"`.
 * @returns `true` for a terminal.
 * @example
 * ```ts
 * import { isTerminal } from "./process.ts";
 * import assert from "node:assert/strict";
 * assert.equal(typeof isTerminal("stderr"), "boolean");
 * ```
 */
export function isTerminal(stream: "stdin" | StdStream): boolean {
  const s = stream === "stdin" ? Deno.stdin : stream === "stdout" ? Deno.stdout : Deno.stderr;
  return s.isTerminal();
}

/**
 * Standard input as a stream of bytes.
 *
 * @returns The readable stream.
 * @example
 * ```ts ignore
 * import { stdinStream } from "./process.ts";
 * const text = await new Response(stdinStream()).text();
 * ```
 */
export function stdinStream(): ReadableStream<Uint8Array> {
  return Deno.stdin.readable;
}

/** A termination signal the services handle. */
export type TermSignal = "SIGINT" | "SIGTERM";

/**
 * Calls `handler` on SIGINT and SIGTERM until the returned function is called.
 *
 * @param handler Called with the signal's name.
 * @returns A function that removes the handler.
 * @example
 * ```ts
 * import { onTerminate } from "./process.ts";
 * const off = onTerminate(() => {});
 * off();
 * ```
 */
export function onTerminate(handler: (signal: TermSignal) => void): () => void {
  if (Deno.build.os === "windows") {
    const h = () => handler("SIGINT");
    Deno.addSignalListener("SIGINT", h);
    return () => Deno.removeSignalListener("SIGINT", h);
  }
  const onInt = () => handler("SIGINT");
  const onTerm = () => handler("SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  return () => {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  };
}

/** The result of {@linkcode runCommand}. */
export interface CommandResult {
  /** Exit code. */
  code: number;
  /** Captured standard output. */
  stdout: Uint8Array;
  /** Captured standard error as text. */
  stderr: string;
}

/**
 * Runs an external program and captures its output.
 *
 * @param program The program to run (looked up on PATH).
 * @param argv Its arguments.
 * @returns Exit code and captured output; throws `Deno.errors.NotFound` if it is not installed.
 * @example
 * ```ts
 * import { runCommand } from "./process.ts";
 * import assert from "node:assert/strict";
 * const r = await runCommand("sh", ["-c", "printf hi"]);
 * assert.equal(new TextDecoder().decode(r.stdout), "hi");
 * ```
 */
export async function runCommand(program: string, argv: string[]): Promise<CommandResult> {
  const out = await new Deno.Command(program, { args: argv, stdout: "piped", stderr: "piped" })
    .output();
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

/**
 * Monotonic high-resolution time in milliseconds.
 *
 * @returns Milliseconds since an arbitrary origin.
 * @example
 * ```ts
 * import { now } from "./process.ts";
 * import assert from "node:assert/strict";
 * assert.ok(now() >= 0);
 * ```
 */
export function now(): number {
  return performance.now();
}
