/**
 * Output for correlation and flow records: the original text form (`REQ:` / `RES:` /
 * `LATENCY:`), JSON Lines and CSV, written through a buffer that hands large chunks to a sink.
 *
 * @module
 */
import type { Match, MatchSide } from "./correlate.ts";
import { type AddressBlock, blockContains, formatAddress } from "./session_key.ts";
import { formatTime } from "./packet_view.ts";
import type { Session } from "./session.ts";

/** The output formats. */
export type OutputFormat = "text" | "jsonl" | "csv";

/** Where buffered output goes: any function taking bytes (stdout, a file …). */
export type ByteSink = (bytes: Uint8Array) => void;

/** Options for {@linkcode OutputBuffer}. */
export interface OutputBufferOptions {
  /** Bytes gathered before they are handed to the sink (default 65,536). */
  bufferBytes?: number;
}

const encoder = new TextEncoder();

/**
 * Gathers text and hands it to a sink in large chunks; {@linkcode OutputBuffer.flush} sends
 * what is left (call it on exit and on SIGINT/SIGTERM).
 *
 * @example
 * ```ts
 * import { OutputBuffer } from "./output.ts";
 * import assert from "node:assert/strict";
 * const chunks: Uint8Array[] = [];
 * const out = new OutputBuffer((b) => chunks.push(b), { bufferBytes: 8 });
 * out.write("hello ");
 * assert.equal(chunks.length, 0);
 * out.write("world\n");
 * out.flush();
 * assert.equal(chunks.map((c) => new TextDecoder().decode(c)).join(""), "hello world\n");
 * ```
 */
export class OutputBuffer {
  #sink: ByteSink;
  #parts: string[] = [];
  #size = 0;
  #limit: number;
  /** Bytes (UTF-16 code units, before encoding) handed to the sink so far. */
  written = 0;

  /**
   * @param sink Receives the encoded chunks.
   * @param options {@linkcode OutputBufferOptions}.
   */
  constructor(sink: ByteSink, options: OutputBufferOptions = {}) {
    this.#sink = sink;
    this.#limit = options.bufferBytes ?? 65_536;
  }

  /**
   * Appends text; hands the buffer to the sink once it holds `bufferBytes`.
   *
   * @param text The text.
   * @returns Nothing.
   */
  write(text: string): void {
    this.#parts.push(text);
    this.#size += text.length;
    if (this.#size >= this.#limit) this.flush();
  }

  /**
   * Hands everything buffered to the sink.
   *
   * @returns Nothing.
   */
  flush(): void {
    if (this.#size === 0) return;
    const text = this.#parts.join("");
    this.#parts = [];
    this.written += this.#size;
    this.#size = 0;
    this.#sink(encoder.encode(text));
  }
}

/**
 * Names an IP protocol number the way the text form prints it (`TCP`, `UDP`, `ICMP`, or the number).
 *
 * @param proto The IP protocol number.
 * @returns Its name.
 * @example
 * ```ts
 * import { protoName } from "./output.ts";
 * import assert from "node:assert/strict";
 * assert.equal(protoName(17), "UDP");
 * assert.equal(protoName(132), "132");
 * ```
 */
export function protoName(proto: number): string {
  switch (proto) {
    case 6:
      return "TCP";
    case 17:
      return "UDP";
    case 1:
      return "ICMP";
    case 58:
      return "ICMPv6";
    default:
      return String(proto);
  }
}

function endpoint(words: Uint32Array, family: number, port: number): string {
  const a = formatAddress(words, family);
  return family === 6 ? `[${a}]:${port}` : `${a}:${port}`;
}

function sideText(tag: string, s: MatchSide): string {
  return `${tag}: ${endpoint(s.src, s.family, s.sport)} -> ${endpoint(s.dst, s.family, s.dport)} [${
    protoName(s.proto)
  }] Time: ${formatTime(s.sec, s.nsec)}\n`;
}

/** Columns of a match in CSV (and keys in JSON Lines), in order. */
export const MATCH_COLUMNS: readonly string[] = [
  "mode",
  "req_frame",
  "req_time",
  "req_src",
  "req_sport",
  "req_dst",
  "req_dport",
  "req_proto",
  "req_len",
  "res_frame",
  "res_time",
  "res_src",
  "res_sport",
  "res_dst",
  "res_dport",
  "res_proto",
  "res_len",
  "latency_ns",
  "tag",
  "status",
];

function sideValues(s: MatchSide): (string | number)[] {
  return [
    s.frame,
    formatTime(s.sec, s.nsec),
    formatAddress(s.src, s.family),
    s.sport,
    formatAddress(s.dst, s.family),
    s.dport,
    protoName(s.proto),
    s.payLen,
  ];
}

function matchValues(m: Match): (string | number)[] {
  return [
    m.mode,
    ...sideValues(m.request),
    ...sideValues(m.response),
    m.latencyNs,
    m.tag,
    "matched",
  ];
}

/**
 * Formats a packet that waited in vain: text `UNMATCHED (reason): src -> dst [PROTO] Time: …`,
 * or a JSON Lines / CSV record with the request columns filled, the response columns empty and
 * `status` set to the reason.
 *
 * @param side The packet.
 * @param mode The correlation mode.
 * @param reason `expired`, `evicted` or `end`.
 * @param format The output format.
 * @returns The formatted record.
 * @example
 * ```ts
 * import { formatUnmatched } from "./output.ts";
 * import { MatchSide } from "./correlate.ts";
 * import assert from "node:assert/strict";
 * const s = new MatchSide();
 * s.family = 4; s.proto = 17; s.src[0] = 0x0a000001; s.dst[0] = 0x0a000002;
 * s.sport = 5000; s.dport = 53; s.sec = 7; s.nsec = 1;
 * assert.equal(
 *   formatUnmatched(s, "dns", "expired", "text"),
 *   "UNMATCHED (expired): 10.0.0.1:5000 -> 10.0.0.2:53 [UDP] Time: 7.000000001\n",
 * );
 * assert.equal(JSON.parse(formatUnmatched(s, "dns", "end", "jsonl")).status, "end");
 * ```
 */
export function formatUnmatched(
  side: MatchSide,
  mode: string,
  reason: string,
  format: OutputFormat,
): string {
  if (format === "text") return sideText(`UNMATCHED (${reason})`, side);
  const empty = [null, null, null, null, null, null, null, null];
  return formatRecord(
    MATCH_COLUMNS,
    [mode, ...sideValues(side), ...empty, null, null, reason],
    format,
  );
}

/**
 * Formats one match: the text form is three lines (`REQ:`, `RES:`, `LATENCY: N ns`), JSON
 * Lines one object and CSV one row (see {@linkcode MATCH_COLUMNS}); each ends in a newline.
 *
 * @param m The match.
 * @param format The output format.
 * @returns The formatted record.
 * @example
 * ```ts
 * import { formatMatch } from "./output.ts";
 * import { Match } from "./correlate.ts";
 * import assert from "node:assert/strict";
 * const m = new Match();
 * m.request.family = m.response.family = 4;
 * m.request.src[0] = 0x7f000007; m.request.dst[0] = 0x7f00000a;
 * m.request.sport = 32982; m.request.dport = 5000; m.request.proto = 17;
 * m.request.sec = 1795316355; m.request.nsec = 446001000;
 * m.response.src[0] = 0x7f00000a; m.response.dst[0] = 0x7f000014;
 * m.response.sport = 34673; m.response.dport = 6000; m.response.proto = 6;
 * m.response.sec = 1795316355; m.response.nsec = 446806000;
 * m.latencyNs = 805000;
 * assert.equal(
 *   formatMatch(m, "text"),
 *   "REQ: 127.0.0.7:32982 -> 127.0.0.10:5000 [UDP] Time: 1795316355.446001000\n" +
 *     "RES: 127.0.0.10:34673 -> 127.0.0.20:6000 [TCP] Time: 1795316355.446806000\n" +
 *     "LATENCY: 805000 ns\n",
 * );
 * assert.equal(JSON.parse(formatMatch(m, "jsonl")).latency_ns, 805000);
 * ```
 */
export function formatMatch(m: Match, format: OutputFormat): string {
  if (format === "text") {
    return sideText("REQ", m.request) + sideText("RES", m.response) +
      `LATENCY: ${m.latencyNs} ns\n`;
  }
  return formatRecord(MATCH_COLUMNS, matchValues(m), format);
}

function csvCell(v: string | number | boolean | null): string {
  if (v === null) return "";
  if (typeof v !== "string") return String(v);
  return /[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/**
 * Formats one record given its column names and values, as a JSON object line or a CSV row
 * (`null` values are left out of JSON and empty in CSV).
 *
 * @param columns The column names.
 * @param values The values, in the same order.
 * @param format `jsonl` or `csv` (`text` is treated as tab-separated values).
 * @returns The formatted line, ending in a newline.
 * @example
 * ```ts
 * import { formatRecord } from "./output.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatRecord(["a", "b"], [1, "x,y"], "csv"), '1,"x,y"\n');
 * assert.equal(formatRecord(["a", "b"], [1, null], "jsonl"), '{"a":1}\n');
 * ```
 */
export function formatRecord(
  columns: readonly string[],
  values: readonly (string | number | boolean | null)[],
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
 * The CSV header line for a list of columns.
 *
 * @param columns The column names.
 * @returns The header, ending in a newline.
 * @example
 * ```ts
 * import { csvHeader } from "./output.ts";
 * import assert from "node:assert/strict";
 * assert.equal(csvHeader(["ts", "uid"]), "ts,uid\n");
 * ```
 */
export function csvHeader(columns: readonly string[]): string {
  return columns.map(csvCell).join(",") + "\n";
}

/**
 * Formats run statistics for standard error: one `name: value` per line.
 *
 * @param stats The counters.
 * @returns The text.
 * @example
 * ```ts
 * import { formatStats } from "./output.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatStats({ packets: 3, matched: 1 }), "packets: 3\nmatched: 1\n");
 * ```
 */
export function formatStats(stats: Readonly<Record<string, number>>): string {
  let s = "";
  for (const [k, v] of Object.entries(stats)) s += `${k}: ${v}\n`;
  return s;
}

/** Columns of a flow record (Zeek conn.log names, then mxy's additions), in order. */
export const FLOW_COLUMNS: readonly string[] = [
  "ts",
  "uid",
  "id.orig_h",
  "id.orig_p",
  "id.resp_h",
  "id.resp_p",
  "proto",
  "service",
  "duration",
  "orig_bytes",
  "resp_bytes",
  "conn_state",
  "local_orig",
  "local_resp",
  "history",
  "orig_pkts",
  "orig_ip_bytes",
  "resp_pkts",
  "resp_ip_bytes",
  "path",
  "tcp_state",
  "rtt",
  "duration_ns",
  "rtt_ns",
];

function l4Name(proto: number): string {
  switch (proto) {
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 1:
      return "icmp";
    case 58:
      return "icmp6";
    default:
      return String(proto);
  }
}

function seconds(ns: number): number {
  return Number((ns / 1e9).toFixed(9));
}

/** Options for {@linkcode flowValues} and {@linkcode formatFlow}. */
export interface FlowValuesOptions {
  /** Inside address blocks: `local_orig`/`local_resp` tell whether each side is in one. */
  internal?: readonly AddressBlock[];
}

function isLocal(
  words: ArrayLike<number>,
  family: number,
  nets: readonly AddressBlock[] | undefined,
): boolean | null {
  if (nets === undefined || nets.length === 0) return null;
  for (const n of nets) if (blockContains(words, family, n)) return true;
  return false;
}

/**
 * The values of one session in {@linkcode FLOW_COLUMNS} order: times as exact
 * `SECONDS.NANOSECONDS` text, durations in seconds, `null` where Zeek writes `-`
 * (`local_orig`/`local_resp` are `null` unless inside blocks are given).
 *
 * @param s The closed session.
 * @param options {@linkcode FlowValuesOptions}.
 * @returns The values.
 * @example
 * ```ts
 * import { FLOW_COLUMNS, flowValues, formatRecord } from "./output.ts";
 * import { Session } from "./session.ts";
 * import assert from "node:assert/strict";
 * const s = new Session();
 * s.family = 4; s.proto = 17; s.origPort = 5353; s.respPort = 53;
 * s.firstSec = 10; s.firstNsec = 5; s.respPkts = 1;
 * const rec = JSON.parse(formatRecord(FLOW_COLUMNS, flowValues(s), "jsonl"));
 * assert.equal(rec.ts, "10.000000005");
 * assert.equal(rec.proto, "udp");
 * assert.equal(rec.conn_state, "SF");
 * ```
 */
export function flowValues(
  s: Session,
  options: FlowValuesOptions = {},
): (string | number | boolean | null)[] {
  const dur = s.durationNs();
  return [
    formatTime(s.firstSec, s.firstNsec),
    s.uid,
    formatAddress(s.origAddr, s.family),
    s.origPort,
    formatAddress(s.respAddr, s.family),
    s.respPort,
    l4Name(s.proto),
    s.service === "" ? null : s.service,
    seconds(dur),
    s.origBytes,
    s.respBytes,
    s.connState(),
    isLocal(s.origAddr, s.family, options.internal),
    isLocal(s.respAddr, s.family, options.internal),
    s.history === "" ? null : s.history,
    s.origPkts,
    s.origIpBytes,
    s.respPkts,
    s.respIpBytes,
    s.path,
    s.state === "" ? null : s.state,
    s.rttNs < 0 ? null : seconds(s.rttNs),
    dur,
    s.rttNs < 0 ? null : s.rttNs,
  ];
}

/**
 * Formats one closed session as a flow record: {@linkcode FLOW_COLUMNS}, and in JSON Lines also
 * the attributes its session hooks reported (`http.requests` …).
 *
 * @param s The closed session.
 * @param format `jsonl` or `csv`.
 * @param options {@linkcode FlowValuesOptions}.
 * @returns The line, ending in a newline.
 * @example
 * ```ts
 * import { formatFlow } from "./output.ts";
 * import { Session } from "./session.ts";
 * import assert from "node:assert/strict";
 * const s = new Session();
 * s.family = 4; s.proto = 6;
 * s.attributes = { "http.requests": 2 };
 * assert.equal(JSON.parse(formatFlow(s, "jsonl"))["http.requests"], 2);
 * assert.equal(formatFlow(s, "csv").split(",").length, 24);
 * ```
 */
export function formatFlow(
  s: Session,
  format: OutputFormat,
  options: FlowValuesOptions = {},
): string {
  const line = formatRecord(FLOW_COLUMNS, flowValues(s, options), format);
  if (format !== "jsonl" || s.attributes === null) return line;
  let extra = "";
  for (const [k, v] of Object.entries(s.attributes)) {
    if (v === undefined || FLOW_COLUMNS.includes(k)) continue;
    extra += "," + JSON.stringify(k) + ":" + JSON.stringify(v);
  }
  return extra === "" ? line : line.slice(0, -2) + extra + "}\n";
}
