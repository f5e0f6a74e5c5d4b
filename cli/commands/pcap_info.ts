/**
 * `mxy pcap info`: what a capture holds — format, packet counts, time span, link types,
 * interfaces, sizes, decode results and the protocol hierarchy.
 *
 * @module
 */
import { type CommandSpec, defineCommand, type Invocation } from "../_command.ts";
import { DecodeStatus, formatTime, linkTypeName, type ReadSummary } from "../../lib/pcap/mod.ts";
import { DpiEngine } from "../../lib/dpi/mod.ts";
import {
  CAPTURE_MODE_OPTION,
  captureMode,
  LOG_OPTIONS,
  makeLogger,
  warnIfCutShort,
} from "./_pcap_common.ts";
import { writeSync } from "../_io.ts";
import { type CaptureFileMode, forEachPacketInFile } from "../../lib/runtime/mod.ts";
import { statFile } from "../_io.ts";

const SPEC: CommandSpec = {
  name: "pcap info",
  summary: "Counts, time span, link types, sizes and protocol hierarchy of captures",
  arguments: [{
    name: "FILE",
    variadic: true,
    description: "A pcap or pcapng capture, plain or .gz; - reads standard input",
  }],
  description: [
    "Reads each capture and prints its format, packet and byte counts, first and last " +
    "timestamps (exact to the nanosecond), duration, link types, interfaces, decode results " +
    "and the protocol hierarchy (frames and bytes per protocol path, like tshark -z io,phs). " +
    "A capture cut short is reported with the number of packets read and the byte offset " +
    "where it stopped.",
  ],
  options: [
    {
      name: "format",
      type: "enum",
      choices: ["text", "json"],
      default: "text",
      description: "Output format (json: one JSON object per file and line)",
    },
    {
      name: "json",
      type: "boolean",
      aliasOf: { option: "format", value: "json" },
      description: "Same as --format json",
    },
    CAPTURE_MODE_OPTION,
    ...LOG_OPTIONS,
  ],
  sections: [{
    title: "Exit status",
    rows: [["0", "Every capture was read"], ["1", "One could not be read"], ["2", "Usage error"]],
  }],
  examples: ["mxy pcap info capture.pcapng", "mxy pcap info --format json *.pcap.gz"],
  run,
};

/** Everything `info` reports about one capture. */
interface Info {
  file: string;
  fileSize: number | null;
  format: string;
  version: string;
  readMode: string;
  packets: number;
  capturedBytes: number;
  wireBytes: number;
  first: string | null;
  last: string | null;
  durationNs: string | null;
  linktypes: { linktype: number; name: string }[];
  interfaces: ReadSummary["interfaces"];
  sections: number;
  skippedBlocks: number;
  names: number;
  decode: Record<string, number>;
  fragments: number;
  hierarchy: { path: string; packets: number; bytes: number }[];
  truncated: ReadSummary["truncated"];
}

const STATUS_NAMES: Record<number, string> = {
  [DecodeStatus.OK]: "ok",
  [DecodeStatus.NOT_IP]: "not_ip",
  [DecodeStatus.UNSUPPORTED_LINK]: "unsupported_link",
  [DecodeStatus.TRUNCATED]: "truncated",
  [DecodeStatus.MALFORMED]: "malformed",
};

async function inspect(file: string, mode: CaptureFileMode): Promise<Info> {
  const engine = new DpiEngine();
  const pathPackets = new Map<number, number>();
  const pathBytes = new Map<number, number>();
  const status = new Map<number, number>();
  let firstSec = 0, firstNsec = 0, lastSec = 0, lastNsec = 0, seen = false, fragments = 0;
  const summary = await forEachPacketInFile(file, (v) => {
    if (!seen) {
      firstSec = lastSec = v.tsSec;
      firstNsec = lastNsec = v.tsNsec;
      seen = true;
    } else {
      if (v.tsSec < firstSec || (v.tsSec === firstSec && v.tsNsec < firstNsec)) {
        firstSec = v.tsSec;
        firstNsec = v.tsNsec;
      }
      if (v.tsSec > lastSec || (v.tsSec === lastSec && v.tsNsec > lastNsec)) {
        lastSec = v.tsSec;
        lastNsec = v.tsNsec;
      }
    }
    if (v.fragment) fragments++;
    status.set(v.status, (status.get(v.status) ?? 0) + 1);
    const key = engine.pathKey(v);
    pathPackets.set(key, (pathPackets.get(key) ?? 0) + 1);
    pathBytes.set(key, (pathBytes.get(key) ?? 0) + v.origlen);
  }, { mode });
  // cumulative hierarchy: every prefix of every path
  const tree = new Map<string, { packets: number; bytes: number }>();
  for (const [key, n] of pathPackets) {
    const parts = engine.pathName(key).split(":");
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join(":");
      const t = tree.get(prefix) ?? { packets: 0, bytes: 0 };
      t.packets += n;
      t.bytes += pathBytes.get(key)!;
      tree.set(prefix, t);
    }
  }
  const hierarchy = [...tree.entries()].sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
    .map(([path, t]) => ({ path, ...t }));
  const decode: Record<string, number> = {};
  for (const [s, n] of status) decode[STATUS_NAMES[s] ?? String(s)] = n;
  let fileSize: number | null = null;
  if (file !== "-") fileSize = (await statFile(file))?.size ?? null;
  return {
    file,
    fileSize,
    format: summary.format,
    version: summary.version,
    readMode: summary.mode,
    packets: summary.packets,
    capturedBytes: summary.capturedBytes,
    wireBytes: summary.wireBytes,
    first: seen ? formatTime(firstSec, firstNsec) : null,
    last: seen ? formatTime(lastSec, lastNsec) : null,
    durationNs: seen
      ? String(
        (BigInt(lastSec) - BigInt(firstSec)) * 1000000000n + BigInt(lastNsec - firstNsec),
      )
      : null,
    linktypes: summary.linktypes.map((l) => ({ linktype: l, name: linkTypeName(l) })),
    interfaces: summary.interfaces,
    sections: summary.sections,
    skippedBlocks: summary.skippedBlocks,
    names: summary.names.size,
    decode,
    fragments,
    hierarchy,
    truncated: summary.truncated,
  };
}

function isoTime(t: string | null): string {
  if (t === null) return "-";
  const [sec, frac] = t.split(".");
  const d = new Date(Number(sec) * 1000);
  if (isNaN(d.getTime())) return t;
  return `${d.toISOString().slice(0, 19)}.${frac}Z (${t})`;
}

function text(info: Info): string {
  const lines: string[] = [];
  const row = (k: string, v: string | number) => lines.push(`${(k + ":").padEnd(22)}${v}`);
  row("File", info.file);
  if (info.fileSize !== null) row("File size", `${info.fileSize} bytes`);
  row("Format", `${info.format} ${info.version} (read by ${info.readMode})`);
  if (info.format === "pcapng") row("Sections", info.sections);
  row("Packets", info.packets);
  row("Captured bytes", info.capturedBytes);
  row("Wire bytes", info.wireBytes);
  if (info.packets > 0) {
    row("Average packet size", (info.wireBytes / info.packets).toFixed(1));
  }
  row("First packet", isoTime(info.first));
  row("Last packet", isoTime(info.last));
  if (info.durationNs !== null) {
    const ns = BigInt(info.durationNs);
    const s = `${ns / 1000000000n}.${String(ns % 1000000000n).padStart(9, "0")}`;
    row("Duration", `${s} s`);
    const secs = Number(ns) / 1e9;
    if (secs > 0) {
      row("Packet rate", `${(info.packets / secs).toFixed(1)} packets/s`);
      row("Data rate", `${(info.wireBytes * 8 / secs).toFixed(0)} bits/s`);
    }
  }
  row("Link types", info.linktypes.map((l) => `${l.name} (${l.linktype})`).join(", ") || "-");
  for (const i of info.interfaces) {
    const name = i.name ? ` ${i.name}` : "";
    const stats = i.stats
      ? ` received=${i.stats.received ?? "?"} dropped=${i.stats.dropped ?? "?"}`
      : "";
    row(
      `Interface ${i.section}/${i.id}`,
      `${linkTypeName(i.linktype)}${name} snaplen=${i.snaplen} tsresol=${i.tsresol}` +
        `${i.tsoffset ? ` tsoffset=${i.tsoffset}` : ""}${i.fcsLen ? ` fcs=${i.fcsLen}` : ""}` +
        ` packets=${i.packets}${stats}`,
    );
  }
  if (info.skippedBlocks) row("Skipped blocks", info.skippedBlocks);
  if (info.names) row("Name records", info.names);
  row("Decode", Object.entries(info.decode).map(([k, v]) => `${k}=${v}`).join(" ") || "-");
  if (info.fragments) row("IP fragments", info.fragments);
  if (info.truncated) {
    row(
      "Cut short",
      `after ${info.truncated.packets} packets at byte offset ${info.truncated.offset}: ` +
        info.truncated.reason,
    );
  }
  lines.push("Protocol hierarchy:");
  for (const h of info.hierarchy) {
    const parts = h.path.split(":");
    const label = "  ".repeat(parts.length) + parts[parts.length - 1];
    lines.push(`${label.padEnd(40)} frames:${h.packets} bytes:${h.bytes}`);
  }
  return lines.join("\n") + "\n";
}

async function run(inv: Invocation): Promise<number> {
  const log = makeLogger(inv);
  const mode = captureMode(inv);
  const json = inv.string("format") === "json";
  let failed = 0;
  for (const file of inv.positionals) {
    try {
      log.debug("reading capture", { file });
      const info = await inspect(file, mode);
      warnIfCutShort(log, file, info);
      writeSync("stdout", json ? JSON.stringify(info) + "\n" : text(info));
    } catch (err) {
      failed++;
      log.error(err instanceof Error ? err.message : String(err), { file, error: err });
    }
  }
  return failed > 0 ? 1 : 0;
}

/** The `pcap info` subcommand. */
export const command = defineCommand(SPEC);
