/**
 * Runs the mxy command line in a fresh `deno run` subprocess, as a user would, for CLI tests.
 *
 * @module
 */

/** The project root (with a trailing slash). */
export const ROOT: string = new URL("../", import.meta.url).pathname;

/** What a run of the command line gave. */
export interface MxyRun {
  /** Exit code. */
  code: number;
  /** Standard output as text. */
  stdout: string;
  /** Standard error as text. */
  stderr: string;
}

/** Options for {@linkcode runMxy}. */
export interface RunMxyOptions {
  /** Bytes or text for standard input (none: standard input is closed). */
  stdin?: string | Uint8Array;
  /** Environment variables to add. */
  env?: Record<string, string>;
  /** Working directory (default: the project root). */
  cwd?: string;
}

/**
 * Runs `deno run -A cli/main.ts ARGS…` and collects its exit code and output.
 *
 * @param args The command line after `mxy`.
 * @param options Standard input, environment and working directory.
 * @returns Exit code, standard output and standard error.
 */
export async function runMxy(args: string[], options: RunMxyOptions = {}): Promise<MxyRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}cli/main.ts`, ...args],
    cwd: options.cwd ?? ROOT,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: options.env,
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(
      typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin,
    );
    await w.close();
  }
  const out = await child.output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}
