/**
 * Output of flows: one closed session as a record with Zeek's conn.log columns (then mxy's),
 * in JSON Lines (with the session hooks' attributes) or CSV.
 *
 * @module
 */
import { formatIpWords, type IpNetwork, networkContains } from "../core/ip.ts";
import type { FlowSession } from "./flow_session.ts";
import { formatTime } from "./packet_text.ts";
import { secondsText } from "./_time.ts";
import { formatRecord, type OutputFormat, type RecordValue } from "./record_format.ts";
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from "./_protocol_numbers.ts";

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
  "orig_data_bytes",
  "resp_data_bytes",
  "missed_bytes",
];

/** Options for {@linkcode formatFlow}. */
export interface FlowFormatOptions {
  /**
   * Inside networks (`parseCidr` of `@mxy/mxy/db`): `local_orig`/`local_resp` tell whether each
   * side is in one; without them both are absent.
   */
  internal?: readonly IpNetwork[];
}

/** The transport's name as Zeek writes it. */
function transportName(proto: number): string {
  switch (proto) {
    case IPPROTO_TCP:
      return "tcp";
    case IPPROTO_UDP:
      return "udp";
    case IPPROTO_ICMP:
      return "icmp";
    case IPPROTO_ICMPV6:
      return "icmp6";
    default:
      return String(proto);
  }
}

/** Integer nanoseconds as a number of seconds, from their exact decimal text. */
function seconds(ns: number): number {
  return Number(secondsText(ns));
}

function isLocal(
  words: ArrayLike<number>,
  family: 4 | 6,
  networks: readonly IpNetwork[] | undefined,
): boolean | null {
  if (networks === undefined || networks.length === 0) return null;
  const n = family === 6 ? 4 : 1;
  const bytes = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    bytes[4 * i] = words[i] >>> 24;
    bytes[4 * i + 1] = words[i] >>> 16;
    bytes[4 * i + 2] = words[i] >>> 8;
    bytes[4 * i + 3] = words[i];
  }
  for (const network of networks) if (networkContains(network, bytes)) return true;
  return false;
}

/** The values of a session in {@linkcode FLOW_COLUMNS} order (`null` where Zeek writes `-`). */
function flowValues(s: FlowSession, options: FlowFormatOptions): RecordValue[] {
  const duration = s.durationNs();
  return [
    formatTime(s.firstSec, s.firstNsec),
    s.uid,
    formatIpWords(s.origAddr, s.family),
    s.origPort,
    formatIpWords(s.respAddr, s.family),
    s.respPort,
    transportName(s.proto),
    s.service === "" ? null : s.service,
    seconds(duration),
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
    duration,
    s.rttNs < 0 ? null : s.rttNs,
    s.origDataBytes < 0 ? null : s.origDataBytes,
    s.respDataBytes < 0 ? null : s.respDataBytes,
    s.missedBytes < 0 ? null : s.missedBytes,
  ];
}

/**
 * Formats one closed session as a flow record in {@linkcode FLOW_COLUMNS} order: times as exact
 * `SECONDS.NANOSECONDS` text, durations in seconds, absent values left out of JSON and empty in
 * CSV; in JSON Lines the attributes its session hooks reported (`http.requests` …) follow.
 *
 * @param s The closed session.
 * @param format `jsonl` or `csv` (`text` gives tab-separated values).
 * @param options {@linkcode FlowFormatOptions}.
 * @returns The line, ending in a newline.
 * @example
 * ```ts
 * import { FlowSession, formatFlow } from "@mxy/mxy/pcap";
 * import { parseCidr } from "@mxy/mxy/db";
 * import assert from "node:assert/strict";
 * const s = new FlowSession();
 * s.proto = 17; s.origPort = 5353; s.respPort = 53;
 * s.origAddr[0] = 0x0a000001; s.respAddr[0] = 0x08080808;
 * s.firstSec = 10; s.firstNsec = 5; s.respPkts = 1;
 * s.attributes = { "dns.queries": 1 };
 * const rec = JSON.parse(formatFlow(s, "jsonl", { internal: [parseCidr("10.0.0.0/8")] }));
 * assert.equal(rec.ts, "10.000000005");
 * assert.equal(rec["id.resp_h"], "8.8.8.8");
 * assert.deepEqual([rec.proto, rec.conn_state, rec.local_orig, rec.local_resp], ["udp", "SF", true, false]);
 * assert.equal(rec["dns.queries"], 1);
 * assert.equal(formatFlow(s, "csv").split(",").length, 27);
 * ```
 */
export function formatFlow(
  s: FlowSession,
  format: OutputFormat,
  options: FlowFormatOptions = {},
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
