/**
 * The JavaScript shape of MaxMind DB data values, shared by the builder (which encodes them) and
 * the query engine (which decodes them).
 *
 * | MMDB type            | JavaScript                                   |
 * | -------------------- | -------------------------------------------- |
 * | map                  | plain object                                 |
 * | array                | `Array`                                      |
 * | UTF-8 string         | `string`                                     |
 * | double, float        | `number`                                     |
 * | bytes                | `Uint8Array`                                 |
 * | uint16, uint32, int32| `number`                                     |
 * | uint64, uint128      | `bigint`                                     |
 * | boolean              | `boolean`                                    |
 *
 * @module
 */

/** A decoded MaxMind DB value. */
export type MmdbValue =
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | MmdbValue[]
  | MmdbMap;

/** A decoded MaxMind DB map. */
export interface MmdbMap {
  /** Each key's value. */
  [key: string]: MmdbValue;
}

/**
 * Converts a value to JSON text: `bigint` is written as a plain number (no precision lost),
 * bytes as an array of numbers, as `mmdblookup` shows them.
 *
 * @param value The value.
 * @param indent Spaces to indent by (0 for one line).
 * @returns JSON text.
 * @example
 * ```ts
 * import { valueToJson } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * assert.equal(valueToJson({ n: 18446744073709551615n }), '{"n":18446744073709551615}');
 * ```
 */
export function valueToJson(value: MmdbValue | null, indent = 0): string {
  const marks: string[] = [];
  const text = JSON.stringify(value, (_key, v) => {
    if (typeof v === "bigint") {
      marks.push(v.toString());
      return `\u0000big${marks.length - 1}\u0000`;
    }
    if (v instanceof Uint8Array) return Array.from(v);
    return v;
  }, indent || undefined);
  if (marks.length === 0) return text;
  return text.replace(/"\\u0000big(\d+)\\u0000"/g, (_m, i) => marks[Number(i)]);
}
