/**
 * Output of correlation: a pair as text (`REQ:` / `RES:` / `LATENCY:` lines), a JSON Lines
 * object or a CSV row, and a packet that waited in vain.
 *
 * @module
 */
import { formatIpWords } from "../core/ip.ts";
import type {
  CorrelatedPacket,
  CorrelatedPair,
  CorrelateMode,
  UnmatchedReason,
} from "./correlated_pair.ts";
import { formatTime } from "./packet_text.ts";
import { formatRecord, type OutputFormat, type RecordValue } from "./record_format.ts";
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from "./_protocol_numbers.ts";

/** Names an IP protocol number the way the text form prints it. */
function protocolName(proto: number): string {
  switch (proto) {
    case IPPROTO_TCP:
      return "TCP";
    case IPPROTO_UDP:
      return "UDP";
    case IPPROTO_ICMP:
      return "ICMP";
    case IPPROTO_ICMPV6:
      return "ICMPv6";
    default:
      return String(proto);
  }
}

function endpoint(words: Uint32Array, family: 4 | 6, port: number): string {
  const a = formatIpWords(words, family);
  return family === 6 ? `[${a}]:${port}` : `${a}:${port}`;
}

function packetText(tag: string, s: CorrelatedPacket): string {
  return `${tag}: ${endpoint(s.src, s.family, s.sport)} -> ${endpoint(s.dst, s.family, s.dport)} [${
    protocolName(s.proto)
  }] Time: ${formatTime(s.sec, s.nsec)}\n`;
}

/** Columns of a pair in CSV (and keys in JSON Lines), in order. */
export const PAIR_COLUMNS: readonly string[] = [
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
  "res_last_frame",
  "latency_last_ns",
];

function packetValues(s: CorrelatedPacket): RecordValue[] {
  return [
    s.frame,
    formatTime(s.sec, s.nsec),
    formatIpWords(s.src, s.family),
    s.sport,
    formatIpWords(s.dst, s.family),
    s.dport,
    protocolName(s.proto),
    s.payLen,
  ];
}

const NO_PACKET: readonly RecordValue[] = [null, null, null, null, null, null, null, null];

/**
 * Formats one pair: the text form is three lines (`REQ:`, `RES:`, `LATENCY: N ns`, in `http`
 * mode followed by `(last byte: M ns, frame F)`), JSON Lines one object and CSV one row (see
 * {@linkcode PAIR_COLUMNS}; `res_last_frame` and `latency_last_ns` are set in `http` mode);
 * each ends in a newline.
 *
 * @param pair The pair.
 * @param format The output format.
 * @returns The formatted record.
 * @example
 * ```ts
 * import { CorrelatedPair, formatPair } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * const m = new CorrelatedPair();
 * m.request.src[0] = 0x7f000007; m.request.dst[0] = 0x7f00000a;
 * m.request.sport = 32982; m.request.dport = 5000; m.request.proto = 17;
 * m.request.sec = 1795316355; m.request.nsec = 446001000;
 * m.response.src[0] = 0x7f00000a; m.response.dst[0] = 0x7f000014;
 * m.response.sport = 34673; m.response.dport = 6000; m.response.proto = 6;
 * m.response.sec = 1795316355; m.response.nsec = 446806000;
 * m.latencyNs = 805000;
 * assert.equal(
 *   formatPair(m, "text"),
 *   "REQ: 127.0.0.7:32982 -> 127.0.0.10:5000 [UDP] Time: 1795316355.446001000\n" +
 *     "RES: 127.0.0.10:34673 -> 127.0.0.20:6000 [TCP] Time: 1795316355.446806000\n" +
 *     "LATENCY: 805000 ns\n",
 * );
 * assert.equal(JSON.parse(formatPair(m, "jsonl")).latency_ns, 805000);
 * ```
 */
export function formatPair(pair: CorrelatedPair, format: OutputFormat): string {
  const last = pair.lastByteLatencyNs >= 0;
  if (format === "text") {
    return packetText("REQ", pair.request) + packetText("RES", pair.response) +
      `LATENCY: ${pair.latencyNs} ns` +
      (last ? ` (last byte: ${pair.lastByteLatencyNs} ns, frame ${pair.lastByteFrame})\n` : "\n");
  }
  return formatRecord(PAIR_COLUMNS, [
    pair.mode,
    ...packetValues(pair.request),
    ...packetValues(pair.response),
    pair.latencyNs,
    pair.tag,
    "matched",
    last ? pair.lastByteFrame : null,
    last ? pair.lastByteLatencyNs : null,
  ], format);
}

/** Options for {@linkcode formatUnmatched}. */
export interface FormatUnmatchedOptions {
  /** The output format (default `text`). */
  format?: OutputFormat;
  /** The correlation mode, for the `mode` column of JSON Lines and CSV (default: empty). */
  mode?: CorrelateMode;
}

/**
 * Formats a packet that waited in vain: text `UNMATCHED (reason): src -> dst [PROTO] Time: …`,
 * or a JSON Lines / CSV record with the request columns filled, the response columns empty and
 * `status` set to the reason.
 *
 * @param packet The packet.
 * @param reason `expired`, `evicted` or `end`.
 * @param options {@linkcode FormatUnmatchedOptions}: the format and the mode.
 * @returns The formatted record.
 * @example
 * ```ts
 * import { CorrelatedPacket, formatUnmatched } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * const s = new CorrelatedPacket();
 * s.proto = 17; s.src[0] = 0x0a000001; s.dst[0] = 0x0a000002;
 * s.sport = 5000; s.dport = 53; s.sec = 7; s.nsec = 1;
 * assert.equal(
 *   formatUnmatched(s, "expired"),
 *   "UNMATCHED (expired): 10.0.0.1:5000 -> 10.0.0.2:53 [UDP] Time: 7.000000001\n",
 * );
 * const rec = JSON.parse(formatUnmatched(s, "end", { format: "jsonl", mode: "dns" }));
 * assert.deepEqual([rec.mode, rec.status, rec.req_dport], ["dns", "end", 53]);
 * ```
 */
export function formatUnmatched(
  packet: CorrelatedPacket,
  reason: UnmatchedReason,
  options: FormatUnmatchedOptions = {},
): string {
  const format = options.format ?? "text";
  if (format === "text") return packetText(`UNMATCHED (${reason})`, packet);
  return formatRecord(
    PAIR_COLUMNS,
    [options.mode ?? null, ...packetValues(packet), ...NO_PACKET, null, null, reason, null, null],
    format,
  );
}
