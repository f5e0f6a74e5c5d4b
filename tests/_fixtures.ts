/**
 * Where the shared fixtures are, for tests: `MXY_FIXTURES` or `../shared/fixtures`. When CI=true
 * a missing folder is a failure; elsewhere a test that needs it is skipped with a one-line reason.
 *
 * @module
 */
import { existsSync } from "node:fs";

/** The fixtures root (absolute or relative to the project root). */
export const FIXTURES: string = Deno.env.get("MXY_FIXTURES") ??
  new URL("../../shared/fixtures", import.meta.url).pathname;

/** Whether running under CI (`CI=true`). */
export const IN_CI: boolean = Deno.env.get("CI") === "true";

/**
 * Returns the absolute path of a fixture sub-folder, or `null` (after logging why) when it is
 * missing outside CI. Under CI a missing folder throws.
 *
 * @param sub The path below the fixtures root, e.g. `mmdb/test-data`.
 * @returns The path, or `null` to skip.
 */
export function fixture(sub: string): string | null {
  const path = `${FIXTURES}/${sub}`;
  if (existsSync(path)) return path;
  if (IN_CI) throw new Error(`Fixture folder "${path}" is missing (set MXY_FIXTURES)`);
  console.warn(`skipping: fixture folder "${path}" is missing (set MXY_FIXTURES)`);
  return null;
}

/**
 * Tells whether an external program is on PATH. Under CI a missing program throws, since
 * `.ci/run` installs every peer the tests use.
 *
 * @param program The program name.
 * @returns `true` when it runs.
 */
export function hasProgram(program: string): boolean {
  const found = new Deno.Command("sh", { args: ["-c", `command -v ${program}`] }).outputSync()
    .success;
  if (found) return true;
  if (IN_CI) throw new Error(`"${program}" is not installed; .ci/run should install it`);
  console.warn(`skipping: "${program}" is not installed`);
  return false;
}

/**
 * Runs `tshark -r path -T fields` with the given fields and returns each packet's field texts
 * (empty lines dropped).
 *
 * @param path The capture.
 * @param fields tshark field names, e.g. `frame.time_epoch`.
 * @param separator The field separator tshark is told to use (not in any field's text).
 * @returns One array of field texts per packet.
 */
export async function tsharkFields(
  path: string,
  fields: string[],
  separator = ",",
): Promise<string[][]> {
  const out = await new Deno.Command("tshark", {
    args: [
      "-r",
      path,
      "-T",
      "fields",
      "-E",
      `separator=${separator}`,
      ...fields.flatMap((f) => ["-e", f]),
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "").map((l) =>
    l.split(separator)
  );
}
