/**
 * Reading the shared eBPF fixtures for tests.
 *
 * @module
 */
import { fixture } from "../_fixtures.ts";

/** Lists the `.data` files of a fixture folder (sorted), or `null` to skip. */
export function dataFiles(sub: string): { dir: string; names: string[] } | null {
  const dir = fixture(sub);
  if (dir === null) return null;
  const names = [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.endsWith(".data"))
    .map((e) => e.name)
    .sort();
  return { dir, names };
}

/** Reads a fixture file's text. */
export function readData(dir: string, name: string): string {
  return Deno.readTextFileSync(`${dir}/${name}`);
}
