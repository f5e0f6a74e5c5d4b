/**
 * JSON feeds: an array of records (`{"entry": …, "data": …}`, `{"entry": …, …fields}` or plain
 * strings) or an object keyed by entry (`{"1.2.3.4": {…}}`). Integers are kept exact (beyond 2⁵³
 * they become `bigint`), numbers written with a fraction or exponent stay doubles, and `null` map
 * members are dropped. Every record knows the line it starts on.
 *
 * @module
 */
import { DatabaseError } from "../database_error.ts";
import type { WritableValue } from "../../format/data_writer.ts";
import {
  type FeedParseOptions,
  type FeedRecord,
  parseJsonValue,
  recordFromJson,
} from "./_record.ts";

/** Skips whitespace from `i`; returns the next index and the number of newlines passed. */
function skipWs(text: string, i: number, lines: { n: number }): number {
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) lines.n++;
    else if (c !== 32 && c !== 9 && c !== 13) break;
  }
  return i;
}

/** Returns the index just after the JSON value starting at `i` (a coarse scan; JSON.parse checks). */
function skipValue(text: string, i: number, lines: { n: number }): number {
  let depth = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < text.length) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i += 2;
        else if (d === 34) break;
        else {
          if (d === 10) lines.n++;
          i++;
        }
      }
      if (depth === 0) return i + 1;
    } else if (c === 123 || c === 91) {
      depth++;
    } else if (c === 125 || c === 93) {
      if (depth === 0) return i;
      depth--;
      if (depth === 0) return i + 1;
    } else if (c === 10) {
      if (depth === 0) return i;
      lines.n++;
    } else if (depth === 0 && (c === 44 || c === 32 || c === 9 || c === 13)) {
      return i;
    }
  }
  return i;
}

function syntax(message: string, file: string, line: number): DatabaseError {
  return new DatabaseError("bad-syntax", message, { file, line });
}

function parseAt(text: string, file: string, line: number): unknown {
  try {
    return parseJsonValue(text);
  } catch (err) {
    // JSON.parse's SyntaxError, or the exact-integer reviver's RangeError; nothing else is
    // the feed's fault.
    if (!(err instanceof SyntaxError || err instanceof RangeError)) throw err;
    throw syntax(`Invalid JSON: ${err.message}`, file, line);
  }
}

/**
 * Parses a JSON feed.
 *
 * @param text The JSON text.
 * @param options {@linkcode FeedParseOptions}.
 * @returns The records, in file order.
 * @throws {DatabaseError} `bad-syntax` with the line of the offending record.
 */
export function* parseJsonFeed(
  text: string,
  options: FeedParseOptions = {},
): Generator<FeedRecord> {
  const file = options.file ?? "-";
  const lines = { n: options.firstLine ?? 1 };
  let i = skipWs(text, text.charCodeAt(0) === 0xfeff ? 1 : 0, lines);
  const open = text[i];
  if (open !== "[" && open !== "{") {
    throw syntax("A JSON feed is an array of records or an object keyed by entry", file, lines.n);
  }
  const close = open === "[" ? "]" : "}";
  i = skipWs(text, i + 1, lines);
  if (text[i] === close) {
    i = skipWs(text, i + 1, lines);
    if (i < text.length) throw syntax("Text after the end of the JSON feed", file, lines.n);
    return;
  }
  for (;;) {
    const line = lines.n;
    let key: string | null = null;
    if (open === "{") {
      if (text[i] !== '"') throw syntax("Expected a quoted entry as object key", file, line);
      const end = skipValue(text, i, lines);
      key = parseAt(text.slice(i, end), file, line) as string;
      i = skipWs(text, end, lines);
      if (text[i] !== ":") {
        throw syntax(`Expected ":" after key ${JSON.stringify(key)}`, file, line);
      }
      i = skipWs(text, i + 1, lines);
    }
    const valueLine = lines.n;
    const end = skipValue(text, i, lines);
    if (end === i) throw syntax("Expected a value", file, valueLine);
    const source = text.slice(i, end);
    const value = parseAt(source, file, valueLine);
    const how = { annotated: source.includes('"$type'), hints: options.typeHints };
    try {
      if (key !== null) {
        if (value === null) {
          throw new DatabaseError("bad-value", `Value of ${JSON.stringify(key)} is null`, {
            file,
            line,
          });
        }
        yield recordFromJson({ entry: key, data: value }, file, line, how);
      } else {
        yield recordFromJson(value, file, valueLine, how);
      }
    } catch (err) {
      if (!(err instanceof DatabaseError) || options.onInvalid === undefined) throw err;
      options.onInvalid(err);
    }
    i = skipWs(text, end, lines);
    if (text[i] === ",") {
      i = skipWs(text, i + 1, lines);
      continue;
    }
    if (text[i] === close) {
      i = skipWs(text, i + 1, lines);
      if (i < text.length) throw syntax("Text after the end of the JSON feed", file, lines.n);
      return;
    }
    throw syntax(`Expected "," or "${close}"`, file, lines.n);
  }
}

// A JSON Lines record that starts with a plain entry string: `{"entry":"…",` and more members.
const ENTRY_HEAD = '{"entry":"';

/**
 * Where the members after a leading plain `"entry"` string start in a JSON Lines record
 * (`{"entry":"TEXT","…` with no escape or control character in TEXT), or -1.
 */
function membersAfterEntry(s: string): number {
  if (!s.startsWith(ENTRY_HEAD)) return -1;
  for (let i = ENTRY_HEAD.length; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) {
      // `",` and the next member's quoted name (not `}`: a trailing comma is bad JSON).
      const ok = i > ENTRY_HEAD.length && s.charCodeAt(i + 1) === 44 && s.charCodeAt(i + 2) === 34;
      return ok ? i + 2 : -1;
    }
    if (c === 92 || c < 32) return -1;
  }
  return -1;
}

// Members that give a record's other members another meaning (or, as "__proto__", would not be
// copied as a plain member): a record with any of them takes the general path.
const SPECIAL_MEMBERS = ["entry", "key", "data", "$types", "__proto__"];

/**
 * The data of a record `{"entry":"…",MEMBERS}` made of `{MEMBERS}` alone, or null when the
 * general path must judge the record (bad JSON, annotations, special members, not a map).
 * It is what {@linkcode recordFromJson} makes of the whole record without type hints: every
 * member but the entry, in the same order, with the same values.
 */
function dataOfMembers(members: string): WritableValue | null {
  if (members.includes('"$type')) return null;
  let value: unknown;
  try {
    value = parseJsonValue(`{${members}`);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  for (const k of SPECIAL_MEMBERS) if (Object.hasOwn(value, k)) return null;
  return Object.freeze(value) as WritableValue;
}

// Shared data objects one parse remembers at most, and after how many records it checks that
// they repeat (at least every other record), else stops looking.
const SHARED_MAX = 4096;
const SHARED_CHECK = 4096;

/**
 * Parses a JSON Lines feed: one record per line (`{"entry": …, "data": …}`,
 * `{"entry": …, …fields}` or a JSON string); blank lines are skipped.
 *
 * @param text The JSON Lines text.
 * @param options {@linkcode FeedParseOptions}.
 * @returns The records, in file order.
 * @throws {DatabaseError} `bad-syntax` with the line of the offending record.
 */
export function* parseJsonLinesFeed(
  text: string,
  options: FeedParseOptions = {},
): Generator<FeedRecord> {
  const file = options.file ?? "-";
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = (options.firstLine ?? 1) - 1;
  // With shareData: data objects by the text of the members after the entry (`shareData`).
  let shared = options.shareData === true && options.typeHints === undefined
    ? new Map<string, WritableValue>()
    : null;
  let tries = 0;
  let hits = 0;
  while (pos < text.length) {
    line++;
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    const s = text.slice(pos, end).trim();
    pos = end + 1;
    if (s === "") continue;
    if (shared !== null) {
      const at = membersAfterEntry(s);
      if (at > 0) {
        const members = s.slice(at);
        let data = shared.get(members);
        if (data !== undefined) hits++;
        else if ((data = dataOfMembers(members) ?? undefined) !== undefined) {
          if (shared.size < SHARED_MAX) shared.set(members, data);
        }
        if (++tries === SHARED_CHECK) {
          if (2 * hits < tries) shared = null;
          tries = hits = 0;
        }
        if (data !== undefined) {
          yield { entry: s.slice(ENTRY_HEAD.length, at - 2), data, file, line };
          continue;
        }
      }
    }
    let record: FeedRecord;
    try {
      record = recordFromJson(parseAt(s, file, line), file, line, {
        annotated: s.includes('"$type'),
        hints: options.typeHints,
      });
    } catch (err) {
      if (!(err instanceof DatabaseError) || options.onInvalid === undefined) throw err;
      options.onInvalid(err);
      continue;
    }
    yield record;
  }
}
