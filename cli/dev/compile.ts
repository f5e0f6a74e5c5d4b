/**
 * `deno task compile`: builds a self-contained `dist/mxy` with `deno compile`. `deno compile`
 * downloads Deno's runtime (denort) for the target on first use; without network it fails with
 * a long chain of causes, which this turns into one line that says what is needed: a denort
 * binary of the same Deno version, named by `DENORT_BIN`.
 *
 * Extra arguments go to `deno compile` (`deno task compile --target aarch64-apple-darwin`).
 *
 * @module
 */

const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--allow-ffi",
  "--allow-run",
  "--allow-sys",
];

/** Modules loaded as Workers, which `deno compile` cannot find by itself. */
const WORKERS = [
  "cli/commands/_match_worker.ts",
  "lib/runtime/_database_check_worker.ts",
  "lib/runtime/_capture_worker.ts",
  "cli/commands/_pcap_match_worker.ts",
];

/**
 * The one line to print when `deno compile` could not get its runtime, or `null` when the
 * failure is something else.
 *
 * @param stderr What `deno compile` printed.
 * @param denortBin The value of DENORT_BIN, if set.
 * @returns The line, or `null`.
 * @example
 * ```ts
 * import { runtimeProblem } from "./compile.ts";
 * import assert from "node:assert/strict";
 * const err = "Download https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip\n" +
 *   "error: Writing deno compile executable\n    1: error sending request for url (...): dns error";
 * assert.match(runtimeProblem(err, undefined)!, /^mxy compile: cannot download Deno's runtime/);
 * assert.equal(runtimeProblem("error: Module not found", undefined), null);
 * ```
 */
export function runtimeProblem(stderr: string, denortBin: string | undefined): string | null {
  // deno colours its output; the words are what count.
  // deno-lint-ignore no-control-regex
  const text = stderr.replace(/\x1b\[[0-9;]*m/g, "");
  if (/Could not find denort at/.test(text)) {
    return `mxy compile: DENORT_BIN is ${JSON.stringify(denortBin ?? "")}, but no denort binary ` +
      `is there; point it at the denort of Deno ${Deno.version.deno} for this target`;
  }
  const url = /https:\/\/dl\.deno\.land\/\S*denort-([\w-]+)\.zip/.exec(text);
  if (url && /error sending request|dns error|Connect|timed out|failed to download/i.test(text)) {
    return `mxy compile: cannot download Deno's runtime (${url[0]}); offline, download ` +
      `denort-${url[1]}.zip for Deno ${Deno.version.deno} elsewhere, unzip it and set ` +
      `DENORT_BIN=/path/to/denort`;
  }
  return null;
}

async function compile(extra: string[]): Promise<number> {
  const args = [
    "compile",
    ...PERMISSIONS,
    ...WORKERS.flatMap((w) => ["--include", w]),
    "--output",
    "dist/mxy",
    ...extra,
    "cli/main.ts",
  ];
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (out.success) {
    await Deno.stderr.write(out.stderr);
    return 0;
  }
  const line = runtimeProblem(stderr, Deno.env.get("DENORT_BIN"));
  if (line === null) await Deno.stderr.write(out.stderr);
  else console.error(line);
  return out.code || 1;
}

if (import.meta.main) Deno.exit(await compile(Deno.args));
