/**
 * Output of the capture matcher: one hit as a JSON Lines object, a CSV row or a line of text.
 *
 * @module
 */
import { valueToJson } from "../format/value.ts";
import type { CaptureHit } from "./capture_hit.ts";

/** The output formats of {@linkcode formatCaptureHit}. */
export type CaptureHitFormat = "text" | "jsonl" | "csv";

/**
 * Columns of a hit in CSV (and keys in JSON Lines), in order; the last five are set with
 * first-per-flow reporting only.
 *
 * @example
 * ```ts
 * import { CAPTURE_HIT_COLUMNS } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 * assert.equal(CAPTURE_HIT_COLUMNS[0], "frame");
 * assert.ok(CAPTURE_HIT_COLUMNS.includes("attribute"));
 * ```
 */
export const CAPTURE_HIT_COLUMNS: readonly string[] = Object.freeze([
  "frame",
  "ts",
  "ts_ns",
  "proto",
  "src",
  "sport",
  "dst",
  "dport",
  "attribute",
  "value",
  "match",
  "entry",
  "data",
  "uid",
  "packets",
  "bytes",
  "count",
  "last_frame",
]);

const PROTO_NAMES: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6" };

function protoName(proto: number): string {
  return proto < 0 ? "" : PROTO_NAMES[proto] ?? String(proto);
}

/** `SECONDS.NANOSECONDS` and the exact nanoseconds as decimal digits. */
function times(hit: CaptureHit): [string, string] {
  const ns = String(hit.tsNsec).padStart(9, "0");
  const sec = hit.tsSec;
  const ts = `${sec}.${ns}`;
  if (sec >= 0) return [ts, sec === 0 ? String(hit.tsNsec) : `${sec}${ns}`];
  return [ts, String(BigInt(sec) * 1_000_000_000n + BigInt(hit.tsNsec))];
}

// Text JSON needs to escape: quotes, backslashes, control characters, lone surrogates.
// deno-lint-ignore no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * Formats one hit: a JSON Lines object with the {@linkcode CAPTURE_HIT_COLUMNS} keys (`ts` as
 * exact `SECONDS.NANOSECONDS` text, `ts_ns` as an integer, `data` the entry's data as JSON;
 * ports and the first-per-flow keys only when set), a CSV row (`data` as JSON text), or text:
 * `FRAME TS PROTO SRC:SPORT -> DST:DPORT ATTRIBUTE VALUE MATCH ENTRY DATA` (IPv6 endpoints in
 * brackets; first-per-flow adds `uid=… packets=… bytes=… count=…`).
 *
 * @param hit The hit.
 * @param format `jsonl`, `csv` or `text`.
 * @returns The line, ending in a newline.
 * @example
 * ```ts
 * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
 * import { CaptureMatcher, formatCaptureHit } from "@mxy/mxy/match";
 * import { PacketView } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const b = new DatabaseBuilder({ buildEpoch: 1 });
 * b.add("192.0.2.0/24", { tag: "doc" });
 * const lines: string[] = [];
 * const m = new CaptureMatcher(Database.fromBytes(b.build()), {
 *   onHit: (h) => lines.push(formatCaptureHit(h, "jsonl"), formatCaptureHit(h, "text")),
 * });
 * const bytes = buildPacket({ src: "10.0.0.1", dst: "192.0.2.9", proto: "udp", srcPort: 5, dstPort: 9 });
 * const v = new PacketView();
 * v.setRecord(bytes, 0, bytes.length, bytes.length);
 * v.number = 1;
 * v.tsSec = 1795316355;
 * v.tsNsec = 42;
 * m.process(v);
 * const rec = JSON.parse(lines[0]);
 * assert.deepEqual(
 *   [rec.frame, rec.ts, rec.attribute, rec.value, rec.match, rec.entry, rec.data],
 *   [1, "1795316355.000000042", "ip.dst", "192.0.2.9", "network", "192.0.2.0/24", { tag: "doc" }],
 * );
 * assert.match(lines[0], /"ts_ns":1795316355000000042,/);
 * assert.equal(
 *   lines[1],
 *   '1 1795316355.000000042 udp 10.0.0.1:5 -> 192.0.2.9:9 ip.dst 192.0.2.9 network 192.0.2.0/24 {"tag":"doc"}\n',
 * );
 * ```
 */
export function formatCaptureHit(hit: CaptureHit, format: CaptureHitFormat): string {
  const [ts, tsNs] = times(hit);
  const src = hit.srcText, dst = hit.dstText;
  const ports = hit.sport >= 0;
  const data = valueToJson(hit.data);
  const flow = hit.uid !== null;
  if (format === "jsonl") {
    let s = `{"frame":${hit.frame},"ts":"${ts}","ts_ns":${tsNs}`;
    if (hit.family !== 0) {
      s += `,"proto":"${protoName(hit.proto)}","src":"${src}"`;
      if (ports) s += `,"sport":${hit.sport}`;
      s += `,"dst":"${dst}"`;
      if (ports) s += `,"dport":${hit.dport}`;
    }
    s += `,"attribute":${jsonString(hit.attribute)},"value":${jsonString(hit.value)}` +
      `,"match":"${hit.viaName}","entry":${jsonString(hit.entryText)},"data":${data}`;
    if (flow) {
      s += `,"uid":"${hit.uid}","packets":${hit.packets},"bytes":${hit.bytes}` +
        `,"count":${hit.count},"last_frame":${hit.lastFrame}`;
    }
    return s + "}\n";
  }
  if (format === "csv") {
    const cells = [
      String(hit.frame),
      ts,
      tsNs,
      protoName(hit.proto),
      src,
      ports ? String(hit.sport) : "",
      dst,
      ports ? String(hit.dport) : "",
      csvCell(hit.attribute),
      csvCell(hit.value),
      hit.viaName,
      csvCell(hit.entryText),
      csvCell(data),
      flow ? hit.uid! : "",
      flow ? String(hit.packets) : "",
      flow ? String(hit.bytes) : "",
      flow ? String(hit.count) : "",
      flow ? String(hit.lastFrame) : "",
    ];
    return cells.join(",") + "\n";
  }
  const end = (addr: string, port: number) => {
    const a = hit.family === 6 ? `[${addr}]` : addr;
    return port >= 0 ? `${a}:${port}` : a;
  };
  const where = hit.family === 0
    ? "-"
    : `${protoName(hit.proto)} ${end(src, hit.sport)} -> ${end(dst, hit.dport)}`;
  let line = `${hit.frame} ${ts} ${where} ${hit.attribute} ${hit.value} ${hit.viaName} ` +
    `${hit.entryText} ${data}`;
  if (flow) {
    line += ` uid=${hit.uid} packets=${hit.packets} bytes=${hit.bytes} count=${hit.count}`;
  }
  return line + "\n";
}
