/**
 * Types in JSON feeds: `{"$type": TYPE, "value": V}` annotations (what `mxy export` writes where
 * plain JSON would lose a type) and type hints by data path (`{"location.latitude": "double"}`,
 * from a record's `"$types"` member or `--types FILE`), which give plain JSON values the MaxMind
 * DB type a writer such as MaxMind's would have used.
 *
 * @module
 */
import {
  type MmdbTypeName,
  typed,
  TypedValue,
  type WritableMap,
  type WritableValue,
} from "../../format/data_writer.ts";
import { DatabaseError } from "../database_error.ts";

/** Doubles the JSON reviver made of numbers written with a fraction (`35.0`): hints may retype them. */
export const IMPLICIT_DOUBLES: WeakSet<TypedValue> = new WeakSet();

/** The type names annotations and hints take, with the CSV header's spellings. */
const TYPE_NAMES: Record<string, MmdbTypeName> = {
  utf8_string: "utf8_string",
  string: "utf8_string",
  double: "double",
  float: "float",
  bytes: "bytes",
  uint16: "uint16",
  uint32: "uint32",
  int32: "int32",
  uint64: "uint64",
  uint128: "uint128",
  boolean: "boolean",
  bool: "boolean",
  map: "map",
  array: "array",
};

const INT_LIMITS: Partial<Record<MmdbTypeName, [bigint, bigint]>> = {
  uint16: [0n, 0xffffn],
  uint32: [0n, 0xffffffffn],
  int32: [-0x80000000n, 0x7fffffffn],
  uint64: [0n, (1n << 64n) - 1n],
  uint128: [0n, (1n << 128n) - 1n],
};

function bad(message: string): DatabaseError {
  return new DatabaseError("bad-value", message);
}

function describe(v: unknown): string {
  if (typeof v === "bigint") return String(v);
  if (v instanceof TypedValue) return describe(v.value);
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * Converts a plain JSON value to a scalar MMDB type, checking that it fits.
 *
 * @throws {DatabaseError} `bad-value` when it does not.
 */
function convert(value: WritableValue, type: MmdbTypeName): WritableValue {
  const v = value instanceof TypedValue ? value.value : value;
  switch (type) {
    case "utf8_string":
      if (typeof v !== "string") throw bad(`${describe(v)} is not a string`);
      return v;
    case "boolean":
      if (typeof v !== "boolean") throw bad(`${describe(v)} is not a boolean`);
      return v;
    case "double":
    case "float": {
      let n: number;
      if (typeof v === "number") n = v;
      else if (typeof v === "bigint") n = Number(v);
      else if (v === "NaN" || v === "Infinity" || v === "-Infinity") n = Number(v);
      else throw bad(`${describe(v)} is not a number`);
      return typed(type, n);
    }
    case "bytes": {
      if (typeof v === "string") {
        if (!/^([0-9a-fA-F]{2})*$/.test(v)) throw bad(`${describe(v)} is not bytes in hex`);
        const out = new Uint8Array(v.length / 2);
        for (let i = 0; i < out.length; i++) out[i] = parseInt(v.slice(2 * i, 2 * i + 2), 16);
        return out;
      }
      if (
        Array.isArray(v) &&
        v.every((b) => typeof b === "number" && Number.isInteger(b) && b >= 0 && b <= 255)
      ) {
        return new Uint8Array(v as number[]);
      }
      throw bad(`${describe(v)} is not bytes (hex text or an array of 0 to 255)`);
    }
    case "map":
    case "array":
      throw bad(`${type} is not a scalar type`);
    default: {
      let n: bigint;
      if (typeof v === "bigint") n = v;
      else if (typeof v === "number" && Number.isInteger(v)) n = BigInt(v);
      else if (typeof v === "string" && /^-?\d+$/.test(v)) n = BigInt(v);
      else throw bad(`${describe(v)} is not an integer`);
      const [lo, hi] = INT_LIMITS[type]!;
      if (n < lo || n > hi) throw bad(`${n} is out of the ${type} range (${lo} to ${hi})`);
      return typed(type, n <= 0x1fffffffffffffn && n >= -0x1fffffffffffffn ? Number(n) : n);
    }
  }
}

/**
 * Replaces `{"$type": TYPE, "value": V}` objects by typed values, anywhere inside `value`.
 * `{"$type": "map", "value": {…}}` is a map whose own keys (one may be `"$type"`) are kept as
 * they are.
 *
 * @param value A parsed JSON value.
 * @returns The value with its annotations applied.
 * @throws {DatabaseError} `bad-value` (without a source) for a malformed annotation.
 */
export function resolveTypeAnnotations(value: WritableValue): WritableValue {
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return value;
  if (value instanceof TypedValue) return value;
  if (Array.isArray(value)) return value.map(resolveTypeAnnotations);
  const map = value as WritableMap;
  if (Object.hasOwn(map, "$type")) return annotation(map);
  return resolveMembers(map);
}

function resolveMembers(map: WritableMap): WritableMap {
  const out: WritableMap = {};
  for (const k of Object.keys(map)) define(out, k, resolveTypeAnnotations(map[k]));
  return out;
}

function define(map: WritableMap, key: string, value: WritableValue): void {
  if (key === "__proto__") {
    Object.defineProperty(map, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else map[key] = value;
}

function annotation(map: WritableMap): WritableValue {
  const name = map.$type;
  const keys = Object.keys(map);
  if (typeof name !== "string" || !Object.hasOwn(TYPE_NAMES, name)) {
    throw bad(
      `"$type" must name a MaxMind DB type (${Object.keys(TYPE_NAMES).join(", ")}), got ${
        describe(name)
      }; a map with a "$type" key is written {"$type":"map","value":{…}}`,
    );
  }
  if (keys.length !== 2 || !Object.hasOwn(map, "value")) {
    throw bad(`A "$type" annotation has exactly two members, "$type" and "value"`);
  }
  const type = TYPE_NAMES[name];
  const v = map.value;
  if (type === "map") {
    if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof TypedValue) {
      throw bad(`${describe(v)} is not a map`);
    }
    return resolveMembers(v as WritableMap);
  }
  if (type === "array") {
    if (!Array.isArray(v)) throw bad(`${describe(v)} is not an array`);
    return v.map(resolveTypeAnnotations);
  }
  return convert(v, type);
}

/** Compiled type hints: exact paths, and patterns with `*` (one key) or `**` (any keys). */
export interface TypeHints {
  /** Hints for exact paths (`location.latitude`). */
  exact: Map<string, MmdbTypeName>;
  /** Hints whose path has wildcards, in the order given. */
  patterns: { steps: string[]; type: MmdbTypeName }[];
}

/**
 * Compiles a map of data paths to type names (`{"location.latitude": "double",
 * "**.geoname_id": "uint32"}`). Arrays are transparent: `subdivisions.geoname_id` is the
 * `geoname_id` of every element of `subdivisions`, and a hint on an array types its elements.
 *
 * @param hints Path to type name.
 * @param source Where the hints come from, for errors.
 * @returns The compiled hints.
 * @throws {DatabaseError} `bad-value` for a type that is not a scalar MMDB type.
 */
export function compileTypeHints(hints: unknown, source: string): TypeHints {
  if (typeof hints !== "object" || hints === null || Array.isArray(hints)) {
    throw bad(`${source} must be an object of data paths and type names`);
  }
  const out: TypeHints = { exact: new Map(), patterns: [] };
  for (const [path, name] of Object.entries(hints as Record<string, unknown>)) {
    const type = typeof name === "string" ? TYPE_NAMES[name] : undefined;
    if (type === undefined || type === "map" || type === "array") {
      throw bad(
        `${source}: the type of "${path}" must be one of string, boolean, double, float, bytes, ` +
          `uint16, uint32, int32, uint64 or uint128, got ${describe(name)}`,
      );
    }
    const steps = path.split(".");
    if (steps.some((s) => s === "*" || s === "**")) out.patterns.push({ steps, type });
    else out.exact.set(path, type);
  }
  return out;
}

/**
 * Hints from two sources, the first taking precedence.
 *
 * @param first The stronger hints (a record's own `$types`).
 * @param second The weaker ones (`--types FILE`).
 * @returns Both.
 */
export function mergeTypeHints(first: TypeHints, second: TypeHints | undefined): TypeHints {
  if (second === undefined) return first;
  const exact = new Map(second.exact);
  for (const [k, v] of first.exact) exact.set(k, v);
  return { exact, patterns: [...first.patterns, ...second.patterns] };
}

function matches(steps: string[], path: string[], i = 0, j = 0): boolean {
  for (; i < steps.length; i++, j++) {
    if (steps[i] === "**") {
      for (let k = j; k <= path.length; k++) if (matches(steps, path, i + 1, k)) return true;
      return false;
    }
    if (j >= path.length || (steps[i] !== "*" && steps[i] !== path[j])) return false;
  }
  return j === path.length;
}

function hintFor(hints: TypeHints, path: string[]): MmdbTypeName | undefined {
  const exact = hints.exact.get(path.join("."));
  if (exact !== undefined) return exact;
  for (const p of hints.patterns) if (matches(p.steps, path)) return p.type;
  return undefined;
}

/**
 * Gives the plain values at hinted paths their hinted types. Values already typed (an
 * annotation, a typed CSV column) keep their type; numbers written with a fraction (`35.0`,
 * doubles by default) may be retyped.
 *
 * @param value A record's data.
 * @param hints The compiled hints.
 * @returns The data with the hints applied.
 * @throws {DatabaseError} `bad-value` (without a source) when a value does not fit its hint.
 */
export function applyTypeHints(value: WritableValue, hints: TypeHints): WritableValue {
  return hint(value, hints, []);
}

function hint(value: WritableValue, hints: TypeHints, path: string[]): WritableValue {
  if (Array.isArray(value)) return value.map((v) => hint(v, hints, path));
  if (
    typeof value === "object" && value !== null && !(value instanceof Uint8Array) &&
    !(value instanceof TypedValue)
  ) {
    const out: WritableMap = {};
    for (const k of Object.keys(value)) {
      define(out, k, hint((value as WritableMap)[k], hints, [...path, k]));
    }
    return out;
  }
  if (value instanceof TypedValue && !IMPLICIT_DOUBLES.has(value)) return value;
  const type = path.length === 0 ? undefined : hintFor(hints, path);
  if (type === undefined) return value;
  try {
    return convert(value, type);
  } catch (err) {
    if (err instanceof DatabaseError) {
      throw bad(`Field "${path.join(".")}" is hinted ${type}: ${err.message}`);
    }
    throw err;
  }
}
