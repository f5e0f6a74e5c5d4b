/**
 * What every feed parser produces, and value inference shared by the parsers.
 *
 * @module
 */
import { typed, type WritableMap, type WritableValue } from "../../format/data_writer.ts";
import { DatabaseError } from "../database_error.ts";
import type { FeedRecord } from "./feed_record.ts";
import {
  applyTypeHints,
  compileTypeHints,
  IMPLICIT_DOUBLES,
  mergeTypeHints,
  resolveTypeAnnotations,
  type TypeHints,
} from "./_types.ts";

export type { FeedRecord } from "./feed_record.ts";

/** Options shared by the feed parsers. */
export interface FeedParseOptions {
  /** File name used in records and error messages (default `"-"`). */
  file?: string;
  /** Line number of the text's first line (default 1), for text cut out of a larger file. */
  firstLine?: number;
  /** Type hints by data path, applied to every record (a record's own `$types` come first). */
  typeHints?: TypeHints;
  /**
   * Called with each invalid record's error (which names the file and line); the parser then
   * skips the record and goes on. Without it, the first invalid record ends the parse.
   */
  onInvalid?: (error: DatabaseError) => void;
  /**
   * JSON Lines: records whose data is written with the same text may share one (frozen) data
   * object, so the builder stores it without reading it again (default `false`).
   */
  shareData?: boolean;
}

const INT_RE = /^-?(0|[1-9][0-9]*)$/;
const NUM_RE = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
const U128_MAX = (1n << 128n) - 1n;

/**
 * Infers a value from CSV text: `true`/`false` become booleans, numbers become numbers only when
 * writing them back gives the same text (so `007`, `1.10` and `1e3` stay strings), integers
 * beyond 2⁵³ become `bigint` when an MMDB type holds them; everything else stays a string.
 */
export function inferScalar(text: string): WritableValue {
  if (text === "true") return true;
  if (text === "false") return false;
  if (INT_RE.test(text)) {
    if (text === "-0") return text;
    const n = Number(text);
    if (Number.isSafeInteger(n)) return n;
    const b = BigInt(text);
    return b >= 0n && b <= U128_MAX ? b : text;
  }
  if (NUM_RE.test(text)) {
    const n = Number(text);
    if (Number.isFinite(n) && String(n) === text) return n;
  }
  return text;
}

/** Column types a CSV header may force with a `name:type` suffix. */
const COLUMN_TYPES = new Set([
  "string",
  "auto",
  "bool",
  "boolean",
  "number",
  "int",
  "double",
  "float",
  "uint16",
  "uint32",
  "uint64",
  "uint128",
  "int32",
  "json",
]);

/** Whether `type` is a column type a CSV header can name. */
export function isColumnType(type: string): boolean {
  return COLUMN_TYPES.has(type);
}

/**
 * Converts a cell to its column's forced type.
 *
 * @throws {DatabaseError} `bad-value` (without a source) when the text is not of the type;
 *   `SyntaxError` for bad JSON, `TypeError`/`RangeError` for a value the type cannot hold.
 */
export function convertCell(text: string, type: string): WritableValue {
  switch (type) {
    case "string":
      return text;
    case "auto":
      return inferScalar(text);
    case "bool":
    case "boolean":
      if (text === "true" || text === "1") return true;
      if (text === "false" || text === "0") return false;
      throw new DatabaseError("bad-value", `"${text}" is not a boolean (true, false, 1 or 0)`);
    case "json": {
      const v = parseJsonValue(text);
      return text.includes('"$type') ? resolveTypeAnnotations(v) : v;
    }
    case "number":
    case "double":
    case "float": {
      if (!NUM_RE.test(text)) throw new DatabaseError("bad-value", `"${text}" is not a number`);
      const n = Number(text);
      if (type === "number") return INT_RE.test(text) ? inferScalar(text) : n;
      return typed(type, n);
    }
    default: {
      if (!INT_RE.test(text)) throw new DatabaseError("bad-value", `"${text}" is not an integer`);
      const b = BigInt(text);
      if (type === "int") return Number.isSafeInteger(Number(text)) ? Number(text) : b;
      return typed(type as "uint16", b);
    }
  }
}

type Reviver = (
  this: unknown,
  key: string,
  value: unknown,
  context?: { source?: string },
) => unknown;

/**
 * The reviver that keeps JSON numbers exact: integers beyond 2⁵³ become `bigint` (from the
 * source text), numbers written with a fraction or exponent stay doubles even when integral, and
 * `null` map members are dropped (MaxMind DB has no null).
 */
const reviver: Reviver = function (key, value, context) {
  if (typeof value === "number") {
    const src = context?.source;
    if (src === undefined) {
      // A runtime without JSON.parse source access: refuse rather than lose digits.
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        throw new RangeError(
          `Integer ${value} is beyond 2^53 and this runtime cannot read it exactly`,
        );
      }
      return value;
    }
    if (/[.eE]/.test(src)) {
      if (!Number.isInteger(value)) return value;
      const double = typed("double", value);
      IMPLICIT_DOUBLES.add(double);
      return double;
    }
    if (!Number.isSafeInteger(value)) return BigInt(src);
    return value;
  }
  if (value === null && key !== "" && !Array.isArray(this)) return undefined;
  return value;
};

/**
 * Whether the reviver could change anything in `text`: a `null`, or a number with a fraction,
 * an exponent or more than 15 digits (every integer of up to 15 digits is safe) outside string
 * literals. Most feed records have none, and `JSON.parse` without a reviver is several times
 * faster.
 */
function needsReviver(text: string): boolean {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) { // a string: skip to its closing quote (one not escaped)
      let q = text.indexOf('"', i + 1);
      for (;;) {
        if (q < 0) return true; // malformed: let the full parse report it
        let b = q - 1;
        while (text.charCodeAt(b) === 92) b--;
        if ((q - 1 - b) % 2 === 0) break;
        q = text.indexOf('"', q + 1);
      }
      i = q;
    } else if (c === 110) { // n: null
      return true;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      let digits = 0;
      let j = c === 45 ? i + 1 : i;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if (d >= 48 && d <= 57) digits++;
        else if (d === 46 || d === 101 || d === 69) return true; // . e E
        else break;
      }
      if (digits > 15) return true;
      i = j - 1;
    }
  }
  return false;
}

/** `JSON.parse` with exact integers (see the reviver above). */
export function parseJsonValue(text: string): WritableValue {
  if (!needsReviver(text)) return JSON.parse(text);
  return JSON.parse(text, reviver as (key: string, value: unknown) => unknown);
}

/**
 * Turns a parsed JSON record into parts: `{"entry": …, "data": …}`, `{"entry": …, …fields}`, a
 * string, or MaxMind's source form `{"1.2.3.0/24": {…}}` (one member, the entry as its key). A
 * `"$types"` member gives type hints for the record's data paths.
 *
 * @param value The parsed record.
 * @param file The file, for the record and errors.
 * @param line The record's line.
 * @param options `annotated`: the record's text has `"$type"` annotations to resolve; `hints`:
 *   type hints for every record.
 * @returns The record.
 * @throws {DatabaseError} With the file and line.
 */
export function recordFromJson(
  value: unknown,
  file: string,
  line: number,
  options: { annotated?: boolean; hints?: TypeHints } = {},
): FeedRecord {
  if (typeof value === "string") return { entry: value, data: {}, file, line };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DatabaseError(
      "bad-syntax",
      'Expected an object with an "entry" field or a string',
      { file, line },
    );
  }
  const obj = value as Record<string, WritableValue>;
  const keyName = Object.hasOwn(obj, "entry") ? "entry" : Object.hasOwn(obj, "key") ? "key" : "";
  const members = Object.keys(obj).filter((k) => k !== "$types");
  let entry: WritableValue;
  let data: WritableValue;
  if (keyName === "") {
    // `{"data": …}` alone is a record that lost its entry, not a network named "data".
    if (members.length !== 1 || members[0] === "data") {
      throw new DatabaseError("bad-syntax", 'Record has no "entry" (or "key") field', {
        file,
        line,
      });
    }
    // MaxMind's source JSON: {"1.2.3.0/24": {...}}.
    entry = members[0];
    data = obj[members[0]];
  } else {
    entry = obj[keyName];
    if (typeof entry !== "string") {
      throw new DatabaseError("bad-syntax", `Field "${keyName}" must be a string`, { file, line });
    }
    if (Object.hasOwn(obj, "data")) {
      data = obj.data;
    } else {
      const rest: WritableMap = {};
      for (const k of members) if (k !== keyName) rest[k] = obj[k];
      data = rest;
    }
  }
  if (data === null || data === undefined) {
    throw new DatabaseError("bad-value", 'Field "data" is null; MaxMind DB has no null', {
      file,
      line,
    });
  }
  try {
    if (options.annotated) data = resolveTypeAnnotations(data);
    let hints = options.hints;
    if (Object.hasOwn(obj, "$types")) {
      hints = mergeTypeHints(compileTypeHints(obj.$types, '"$types"'), hints);
    }
    if (hints !== undefined) data = applyTypeHints(data, hints);
  } catch (err) {
    if (err instanceof DatabaseError) {
      throw new DatabaseError(err.code, err.reason, { file, line }, { cause: err });
    }
    throw err;
  }
  return { entry: entry as string, data, file, line };
}
