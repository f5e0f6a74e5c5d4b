/**
 * Helpers for the session and correlation tests: build captures with the project's writer from
 * a list of packet descriptions, and read the tshark oracle CSVs.
 *
 * @module
 */
import { buildPacket, type PacketSpec } from "../../lib/testing/mod.ts";
import { PcapWriter } from "../../lib/pcap/mod.ts";

/** One packet to write: capture time plus what to build. */
export interface TimedPacket extends PacketSpec {
  /** Whole seconds. */
  sec: number;
  /** Nanoseconds within the second. */
  nsec: number;
}

/** Writes packets into a nanosecond pcap (or pcapng) capture held in memory. */
export function makeCapture(
  packets: TimedPacket[],
  options: { format?: "pcap" | "pcapng"; linktype?: number } = {},
): Uint8Array {
  const linktype = options.linktype ?? 1;
  const w = new PcapWriter({ format: options.format ?? "pcap", linktype, nanos: true });
  for (const p of packets) {
    w.writePacket(buildPacket({ ...p, linktype }), { tsSec: p.sec, tsNsec: p.nsec });
  }
  return w.toBytes();
}

/** Text payload bytes. */
export function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** A DNS message header (12 bytes) plus a question for `name`. */
export function dnsMessage(id: number, response: boolean, name = "a.test"): Uint8Array {
  const labels = name.split(".").flatMap((l) => [l.length, ...text(l)]);
  return new Uint8Array([
    id >> 8,
    id & 255,
    response ? 0x81 : 0x01,
    response ? 0x80 : 0x00,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    ...labels,
    0,
    0,
    1,
    0,
    1,
  ]);
}

/** Prefixes a DNS message with its two-byte TCP length. */
export function tcpFramed(...msgs: Uint8Array[]): Uint8Array {
  const parts: number[] = [];
  for (const m of msgs) parts.push(m.length >> 8, m.length & 255, ...m);
  return new Uint8Array(parts);
}

/** One row of a `.tshark.csv` oracle, by column name ("" when empty). */
export type OracleRow = Record<string, string>;

/** Reads a tshark CSV written with `-E header=y -E quote=d -E separator=,`. */
export function readOracle(path: string): OracleRow[] {
  const lines = Deno.readTextFileSync(path).trim().split("\n");
  const header = lines[0].split(",");
  return lines.slice(1).map((line) => {
    const cells = line.split(",").map((c) => c.replace(/^"|"$/g, ""));
    const row: OracleRow = {};
    header.forEach((h, i) => (row[h] = cells[i] ?? ""));
    return row;
  });
}

/** Converts tshark's decimal seconds ("0.000079649" or "1795316355.104021814") to integer ns. */
export function secondsToNs(s: string): bigint {
  const [whole, frac = ""] = s.split(".");
  return BigInt(whole) * 1_000_000_000n + BigInt((frac + "000000000").slice(0, 9));
}
