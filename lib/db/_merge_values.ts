/**
 * Merging the values of a duplicate entry (the `merge` duplicate policy).
 *
 * @module
 */
import type { WritableMap, WritableValue } from "../format/data_writer.ts";

function isPlainMap(v: unknown): v is WritableMap {
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Uint8Array) {
    return false;
  }
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Deep-merges two values for `--on-duplicate merge`: maps are merged key by key (recursively),
 * anything else is replaced by the later value.
 *
 * @param a The earlier value.
 * @param b The later value.
 * @returns The merged value.
 */
export function mergeValues(a: WritableValue, b: WritableValue): WritableValue {
  if (!isPlainMap(a) || !isPlainMap(b)) return b;
  const out: WritableMap = { ...a };
  for (const k of Object.keys(b)) out[k] = Object.hasOwn(a, k) ? mergeValues(a[k], b[k]) : b[k];
  return out;
}
