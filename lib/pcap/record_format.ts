/**
 * One record per line, for the capture tools' outputs: a JSON object (JSON Lines) or a CSV row
 * given column names and values, and the CSV header line.
 *
 * @module
 */

/** The output formats: `text` (each record's own text form), `jsonl` or `csv`. */
export type OutputFormat = "text" | "jsonl" | "csv";

/** A value of a record: `null` is left out of JSON and empty in CSV. */
export type RecordValue = string | number | boolean | null;

function csvCell(v: RecordValue): string {
  if (v === null) return "";
  if (typeof v !== "string") return String(v);
  return /[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/**
 * Formats one record given its column names and values: a JSON object line, a CSV row, or
 * tab-separated values for `text` (`-` for `null`).
 *
 * @param columns The column names.
 * @param values The values, in the same order.
 * @param format The output format.
 * @returns The formatted line, ending in a newline.
 */
export function formatRecord(
  columns: readonly string[],
  values: readonly RecordValue[],
  format: OutputFormat,
): string {
  if (format === "csv") {
    let line = "";
    for (let i = 0; i < values.length; i++) line += (i === 0 ? "" : ",") + csvCell(values[i]);
    return line + "\n";
  }
  if (format === "text") return values.map((v) => (v === null ? "-" : String(v))).join("\t") + "\n";
  const keys = jsonKeys(columns);
  let s = "{";
  let first = true;
  for (let i = 0; i < columns.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    s += (first ? "" : ",") + keys[i] + jsonValue(v);
    first = false;
  }
  return s + "}\n";
}

// `"name":` for each column list, made once.
const KEY_CACHE = new WeakMap<readonly string[], string[]>();

function jsonKeys(columns: readonly string[]): string[] {
  let keys = KEY_CACHE.get(columns);
  if (keys === undefined) {
    keys = columns.map((c) => JSON.stringify(c) + ":");
    KEY_CACHE.set(columns, keys);
  }
  return keys;
}

// Text that JSON needs to escape: quotes, backslashes, control characters, lone surrogates.
// deno-lint-ignore no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function jsonValue(v: string | number | boolean): string {
  if (typeof v === "string") return NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`;
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "null";
  return v ? "true" : "false";
}

/**
 * The CSV header line for a list of columns (`PAIR_COLUMNS`, `FLOW_COLUMNS`).
 *
 * @param columns The column names.
 * @returns The header, ending in a newline.
 * @example
 * ```ts
 * import { csvHeader, FLOW_COLUMNS } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * assert.equal(csvHeader(["ts", "uid"]), "ts,uid\n");
 * assert.ok(csvHeader(FLOW_COLUMNS).startsWith("ts,uid,id.orig_h,"));
 * ```
 */
export function csvHeader(columns: readonly string[]): string {
  return columns.map(csvCell).join(",") + "\n";
}
