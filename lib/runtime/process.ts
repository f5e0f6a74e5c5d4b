/**
 * Processes and signals: running an external program (tcpdump's filter compiler, for one) and
 * reacting to SIGINT/SIGTERM in long-running services.
 *
 * @module
 */
import { deno } from "./_deno.ts";

/** A termination signal the services handle. */
export type TermSignal = "SIGINT" | "SIGTERM";

/**
 * Calls `handler` on SIGINT and SIGTERM until the returned function is called.
 *
 * @param handler Called with the signal's name.
 * @returns A function that removes the handler.
 * @throws {RuntimeError} `unsupported-runtime` outside Deno.
 * @example
 * ```ts
 * import { onTerminate } from "@mxy/mxy/deno";
 * const off = onTerminate(() => {});
 * off();
 * ```
 */
export function onTerminate(handler: (signal: TermSignal) => void): () => void {
  const d = deno("onTerminate()");
  if (d.build.os === "windows") {
    const h = () => handler("SIGINT");
    d.addSignalListener("SIGINT", h);
    return () => d.removeSignalListener("SIGINT", h);
  }
  const onInt = () => handler("SIGINT");
  const onTerm = () => handler("SIGTERM");
  d.addSignalListener("SIGINT", onInt);
  d.addSignalListener("SIGTERM", onTerm);
  return () => {
    d.removeSignalListener("SIGINT", onInt);
    d.removeSignalListener("SIGTERM", onTerm);
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
 * @returns Exit code and captured output.
 * @throws {RuntimeError} `unsupported-runtime` outside Deno; Deno's `NotFound` when the program
 *   is not installed.
 */
export async function runCommand(program: string, argv: string[]): Promise<CommandResult> {
  const d = deno("runCommand()");
  const out = await new d.Command(program, { args: argv, stdout: "piped", stderr: "piped" })
    .output();
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}
