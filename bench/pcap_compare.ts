/**
 * Side-by-side packet throughput and memory for mxy's capture engine against tcpdump and tshark,
 * in one run on the same generated file:
 *
 * 1. Generates a 1,000,000-packet capture with the project's writer into `bench/data/`.
 * 2. Times `tcpdump -r FILE -w /dev/null` (the raw read) and `tshark -r FILE -T fields …`.
 * 3. Times mxy in this process: read+decode, classify (DPI), correlate (every mode), sessions,
 *    and the `mxy pcap correlate` command end to end (a child process, like the peers).
 * 4. Generates a capture larger than 2 GB, streams it through `mxy pcap correlate` and
 *    `mxy pcap flows` under `/usr/bin/time` for their maximum resident memory (tcpdump's too),
 *    then deletes it.
 *
 * Usage: deno run -A bench/pcap_compare.ts [--packets N] [--big-gb G] [--skip-big]
 *        [--skip-tshark] [--runs N]
 * Results go to standard output (a Markdown table) and `bench/data/pcap_compare.json`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { generateCapture } from "./_pcap_gen.ts";
import { forEachPacket } from "../lib/pcap/reader.ts";
import { FlowPacket, fromView } from "../lib/pcap/session_key.ts";
import { CORRELATE_MODES, Correlator } from "../lib/pcap/correlate.ts";
import { SessionTable } from "../lib/pcap/session.ts";
import { DpiEngine } from "../lib/dpi/mod.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    packets: { type: "string", default: "1000000" },
    "big-gb": { type: "string", default: "2.1" },
    "skip-big": { type: "boolean", default: false },
    "skip-tshark": { type: "boolean", default: false },
    runs: { type: "string", default: "3" },
  },
});

const ROOT = new URL("..", import.meta.url).pathname;
const DATA = `${ROOT}bench/data`;
const MAIN = `${ROOT}cli/main.ts`;
const PACKETS = Number(flags.packets);
const RUNS = Number(flags.runs);
Deno.mkdirSync(DATA, { recursive: true });

function log(text: string): void {
  console.error(`[pcap_compare] ${text}`);
}

function has(program: string): boolean {
  return new Deno.Command("sh", { args: ["-c", `command -v ${program}`] }).outputSync().success;
}

async function timeChild(cmd: string, args: string[]): Promise<number> {
  const t = performance.now();
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  const ms = performance.now() - t;
  if (!out.success) {
    throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr).slice(0, 500)}`);
  }
  return ms;
}

async function best(runs: number, f: () => Promise<number>): Promise<number> {
  let b = Infinity;
  for (let i = 0; i < runs; i++) b = Math.min(b, await f());
  return b;
}

async function maxRssKiB(cmd: string, args: string[]): Promise<{ kib: number; ms: number }> {
  const t = performance.now();
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "MAXRSS %M", cmd, ...args],
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t;
  const err = new TextDecoder().decode(out.stderr);
  const m = /MAXRSS (\d+)/.exec(err);
  if (!out.success || !m) throw new Error(`${cmd} failed: ${err.slice(-500)}`);
  return { kib: Number(m[1]), ms };
}

interface Row {
  what: string;
  packets: number;
  ms: number;
  pps: number;
  note?: string;
}

const rows: Row[] = [];
function record(what: string, packets: number, ms: number, note?: string): Row {
  const row = { what, packets, ms: Math.round(ms), pps: Math.round(packets / ms * 1000), note };
  rows.push(row);
  log(`${what}: ${(row.pps / 1e6).toFixed(2)} M packets/s (${row.ms} ms)`);
  return row;
}

// ---- 1. the 1M-packet capture ----
const file = `${DATA}/bench-${PACKETS}.pcap`;
log(`generating ${file}`);
const gen = generateCapture(file, { packets: PACKETS });
log(`${gen.packets} packets, ${(gen.bytes / 1e6).toFixed(1)} MB`);
await timeChild("cat", [file]); // warm the page cache

// ---- 2. peers ----
let tcpdumpMs = NaN, tsharkMs = NaN;
if (has("tcpdump")) {
  tcpdumpMs = await best(RUNS, () => timeChild("tcpdump", ["-r", file, "-w", "/dev/null"]));
  record("tcpdump -r FILE -w /dev/null (raw read)", gen.packets, tcpdumpMs, "child process");
} else log("tcpdump missing: skipped");
if (has("tshark") && !flags["skip-tshark"]) {
  tsharkMs = await timeChild("tshark", [
    "-r",
    file,
    "-T",
    "fields",
    "-e",
    "frame.time_epoch",
    "-e",
    "ip.src",
    "-e",
    "ip.dst",
    "-e",
    "tcp.srcport",
    "-e",
    "udp.srcport",
    "-e",
    "dns.id",
  ]);
  record(
    "tshark -T fields (time, addresses, ports, dns.id)",
    gen.packets,
    tsharkMs,
    "child process",
  );
} else log("tshark missing or skipped");

// ---- 3. mxy in this process ----
const p = new FlowPacket();
const decodeMs = await best(RUNS, async () => {
  let n = 0;
  const t = performance.now();
  await forEachPacket(file, () => {
    n++;
  });
  const ms = performance.now() - t;
  if (n !== gen.packets) throw new Error(`read ${n} packets, expected ${gen.packets}`);
  return ms;
});
const decodeRow = record("mxy read+decode (mmap, all headers)", gen.packets, decodeMs);

const engine = new DpiEngine();
const classifyMs = await best(RUNS, async () => {
  const t = performance.now();
  await forEachPacket(file, (v) => {
    engine.classify(v);
  });
  return performance.now() - t;
});
record("mxy read+decode+classify (DPI registry)", gen.packets, classifyMs);

const correlateRows: Row[] = [];
for (const mode of CORRELATE_MODES) {
  let matched = 0;
  const ms = await best(RUNS, async () => {
    const c = new Correlator({ mode });
    const t = performance.now();
    await forEachPacket(file, (v) => {
      fromView(v, p);
      c.push(p);
    });
    const ms = performance.now() - t;
    matched = c.finish().matched;
    return ms;
  });
  correlateRows.push(
    record(`mxy read+decode+correlate --mode ${mode}`, gen.packets, ms, `${matched} matches`),
  );
}

const sessionsMs = await best(RUNS, async () => {
  const st = new SessionTable();
  const t = performance.now();
  await forEachPacket(file, (v) => {
    fromView(v, p);
    st.push(p);
  });
  st.finish();
  return performance.now() - t;
});
record("mxy read+decode+sessions (flows)", gen.packets, sessionsMs);

const cliMs = await best(RUNS, () =>
  timeChild(Deno.execPath(), [
    "run",
    "-A",
    MAIN,
    "pcap",
    "correlate",
    file,
    "--mode",
    "dns",
    "--format",
    "jsonl",
    "--quiet",
  ]));
record(
  "mxy pcap correlate --mode dns (command, JSON Lines out)",
  gen.packets,
  cliMs,
  "child process",
);

// ---- 4. memory on a capture larger than 2 GB ----
const memory: Record<string, unknown> = {};
if (!flags["skip-big"]) {
  const big = `${DATA}/bench-big.pcap`;
  const target = Number(flags["big-gb"]) * 1e9;
  // About 5 KB per round of 10 packets with a 4000-byte HTTP body.
  const rounds = Math.ceil(target / 4906);
  log(`generating ${big} (about ${(target / 1e9).toFixed(1)} GB)`);
  try {
    const g = generateCapture(big, { packets: rounds * 10, bulkBytes: 4000 });
    log(`${g.packets} packets, ${(g.bytes / 1e9).toFixed(2)} GB`);
    memory.file_bytes = g.bytes;
    memory.file_packets = g.packets;
    const corr = await maxRssKiB(Deno.execPath(), [
      "run",
      "-A",
      MAIN,
      "pcap",
      "correlate",
      big,
      "--mode",
      "payload",
      "--format",
      "jsonl",
      "--quiet",
    ]);
    memory.mxy_correlate_max_rss_mib = Math.round(corr.kib / 1024);
    memory.mxy_correlate_pps = Math.round(g.packets / corr.ms * 1000);
    log(`mxy pcap correlate: max RSS ${Math.round(corr.kib / 1024)} MiB`);
    // A smaller pending bound shows where the memory goes (the store is allocated up front).
    const small = await maxRssKiB(Deno.execPath(), [
      "run",
      "-A",
      MAIN,
      "pcap",
      "correlate",
      big,
      "--mode",
      "payload",
      "--max-pending",
      "10000",
      "--format",
      "jsonl",
      "--quiet",
    ]);
    memory.mxy_correlate_max_pending_10000_max_rss_mib = Math.round(small.kib / 1024);
    log(`mxy pcap correlate --max-pending 10000: max RSS ${Math.round(small.kib / 1024)} MiB`);
    const flows = await maxRssKiB(Deno.execPath(), [
      "run",
      "-A",
      MAIN,
      "pcap",
      "flows",
      big,
      "--idle",
      "60s",
      "--quiet",
    ]);
    memory.mxy_flows_max_rss_mib = Math.round(flows.kib / 1024);
    log(`mxy pcap flows: max RSS ${Math.round(flows.kib / 1024)} MiB`);
    if (has("tcpdump")) {
      const td = await maxRssKiB("tcpdump", ["-r", big, "-w", "/dev/null"]);
      memory.tcpdump_max_rss_mib = Math.round(td.kib / 1024);
      memory.tcpdump_pps = Math.round(g.packets / td.ms * 1000);
    }
  } finally {
    await Deno.remove(big).catch(() => {});
    log(`deleted ${big}`);
  }
}

// ---- report ----
const ratios = {
  decode_vs_tcpdump: Number((decodeRow.pps / (gen.packets / tcpdumpMs * 1000)).toFixed(2)),
  decode_vs_tshark: Number((decodeRow.pps / (gen.packets / tsharkMs * 1000)).toFixed(1)),
  correlate_min_pps: Math.min(...correlateRows.map((r) => r.pps)),
};
const lines = [
  `| what | packets/s | ms | note |`,
  `| --- | ---: | ---: | --- |`,
  ...rows.map((r) => `| ${r.what} | ${(r.pps / 1e6).toFixed(2)} M | ${r.ms} | ${r.note ?? ""} |`),
  "",
  `decode / tcpdump raw read: ${ratios.decode_vs_tcpdump}x (target >= 0.3x)`,
  `decode / tshark -T fields: ${ratios.decode_vs_tshark}x (target >= 50x)`,
  `slowest correlation mode: ${
    (ratios.correlate_min_pps / 1e6).toFixed(2)
  } M packets/s (target >= 1 M)`,
];
if (Object.keys(memory).length > 0) {
  lines.push(
    `capture of ${
      ((memory.file_bytes as number) / 1e9).toFixed(2)
    } GB, ${memory.file_packets} packets, streamed:`,
    `  mxy pcap correlate max RSS ${memory.mxy_correlate_max_rss_mib} MiB (${memory.mxy_correlate_max_pending_10000_max_rss_mib} MiB with --max-pending 10000), ` +
      `${((memory.mxy_correlate_pps as number) / 1e6).toFixed(2)} M packets/s end to end`,
    `  mxy pcap flows max RSS ${memory.mxy_flows_max_rss_mib} MiB (grows with open sessions, bounded by --max-sessions/--idle)`,
    `  tcpdump -r -w /dev/null max RSS ${memory.tcpdump_max_rss_mib} MiB, ${
      ((memory.tcpdump_pps as number) / 1e6).toFixed(2)
    } M packets/s`,
  );
}
console.log(lines.join("\n"));
await Deno.writeTextFile(
  `${DATA}/pcap_compare.json`,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      deno: Deno.version.deno,
      packets: gen.packets,
      rows,
      ratios,
      memory,
    },
    null,
    2,
  ) + "\n",
);
await Deno.remove(file).catch(() => {});
