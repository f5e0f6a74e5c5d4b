/**
 * Data paths such as `country.iso_code` or `subdivisions.0.names.en`, as `mxy query --field`
 * takes them: map keys and array indexes (negative ones count from the end, as in mmdblookup's
 * lookup path), separated by dots; `\.` is a dot inside a key.
 *
 * @module
 */
import type { MmdbValue } from "../../lib/db/mod.ts";

/**
 * Splits a data path into its steps.
 *
 * @param text The path (`a.b.0`, `a\.b` for the key "a.b").
 * @returns The keys, in order.
 * @example
 * ```ts
 * import { parseDataPath } from "./_data_path.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseDataPath("country.iso_code"), ["country", "iso_code"]);
 * assert.deepEqual(parseDataPath("a\\.b.-1"), ["a.b", "-1"]);
 * ```
 */
export function parseDataPath(text: string): string[] {
  const steps: string[] = [];
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length) cur += text[++i];
    else if (c === ".") {
      steps.push(cur);
      cur = "";
    } else cur += c;
  }
  if (cur !== "" || steps.length > 0) steps.push(cur);
  return steps;
}

/**
 * The value at a path inside a decoded value, or `undefined` when the path does not lead to one.
 *
 * @param value The decoded record.
 * @param path Its steps, from {@linkcode parseDataPath}.
 * @returns The value found.
 * @example
 * ```ts
 * import { selectPath } from "./_data_path.ts";
 * import assert from "node:assert/strict";
 * const v = { country: { iso_code: "GB" }, subdivisions: [{ iso_code: "ENG" }] };
 * assert.equal(selectPath(v, ["country", "iso_code"]), "GB");
 * assert.equal(selectPath(v, ["subdivisions", "-1", "iso_code"]), "ENG");
 * assert.equal(selectPath(v, ["city"]), undefined);
 * ```
 */
export function selectPath(value: MmdbValue, path: readonly string[]): MmdbValue | undefined {
  let cur: MmdbValue | undefined = value;
  for (const step of path) {
    if (cur === undefined) return undefined;
    if (Array.isArray(cur)) {
      if (!/^-?\d+$/.test(step)) return undefined;
      const i = Number(step);
      cur = cur[i < 0 ? cur.length + i : i];
    } else if (typeof cur === "object" && !(cur instanceof Uint8Array)) {
      cur = Object.hasOwn(cur, step) ? cur[step] : undefined;
    } else return undefined;
  }
  return cur;
}
