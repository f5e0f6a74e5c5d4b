/**
 * Side-by-side packet throughput and memory for mxy's capture engine against tcpdump and tshark,
 * in one run on the same generated file:
 *
 * 1. Generates a 1,000,000-packet capture with the project's writer into `bench/data/`.
 * 2. Times `tcpdump -r FILE -w /dev/null` (the raw read) and `tshark -r FILE -T fields …`.
 * 2b. Times filtering: `tcpdump -r FILE -w /dev/null EXPR` against mxy's own compiler and
 *    `filterCapture` (read, filter, write the kept packets to /dev/null) for a few expressions.
 * 3. Times mxy in this process: read+decode in each file read mode (`stream`, the default;
 *    `read`; `mmap`), classify (DPI), correlate (every mode), sessions, and the
 *    `mxy pcap correlate` command end to end (a child process, like the peers).
 * 4. TCP stream reassembly, each workload in a process of its own (bench/_pcap_workload.ts):
 *    read+decode against read+decode+reassembly (every TCP byte to a handler; counting only),
 *    the DPI engine's fields (dns.qname, http.host, tls.sni) with and without reassembly, the
 *    session table with and without counting; and `mxy pcap fields` with and without
 *    `--no-reassemble` under `/usr/bin/time` for its maximum resident memory.
 * 3b. Parallel processing: packets per second of `mxy pcap correlate` (every mode, JSON Lines),
 *    `mxy pcap flows`, `mxy pcap match` and `mxy pcap filter` with `--threads 1` and
 *    `--threads 2`, end to end (child processes, output to /dev/null, rounds alternating), on a
 *    capture of its own (`--parallel-packets`, default 4,000,000: with 1M packets one thread's
 *    whole run is about 1 s and start-up, about 0.3 s, weighs too much for a throughput
 *    figure); the CPU seconds of each thread of the 2-thread run (Linux /proc: the workers, the
 *    main thread, V8's helper threads), and each command's start-up apart (a 1,000-packet
 *    capture). `--parallel-only` runs just that part.
 * 5. Generates a capture larger than 2 GB, streams it through `mxy pcap correlate` and
 *    `mxy pcap flows` under `/usr/bin/time` for their maximum resident memory (tcpdump's too),
 *    then deletes it.
 *
 * Usage: deno run -A bench/pcap_compare.ts [--packets N] [--big-gb G] [--skip-big]
 *        [--skip-tshark] [--runs N] [--filter-only] [--parallel-only] [--parallel-packets N]
 * Results go to standard output (a Markdown table) and `bench/data/pcap_compare.json`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { generateCapture } from "./_pcap_gen.ts";
import {
  CORRELATE_MODES,
  Correlator,
  filterCapture,
  FlowPacket,
  SessionTable,
} from "../lib/pcap/mod.ts";
import { type CaptureFileMode, forEachPacketInFile, openCaptureFile } from "../lib/runtime/mod.ts";
import { DpiEngine } from "../lib/dpi/mod.ts";
import { DatabaseBuilder } from "../lib/db/mod.ts";
import { makeFeed } from "./_match_data.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    packets: { type: "string", default: "1000000" },
    "big-gb": { type: "string", default: "2.1" },
    "skip-big": { type: "boolean", default: false },
    "skip-tshark": { type: "boolean", default: false },
    runs: { type: "string", default: "3" },
    "filter-only": { type: "boolean", default: false },
    "parallel-only": { type: "boolean", default: false },
    "parallel-packets": { type: "string", default: "4000000" },
  },
});

/** Filter expressions for the filtering rows: some keep most packets, some few or none. */
const FILTER_EXPRESSIONS = [
  "tcp port 80",
  "udp port 53 or tcp port 80",
  "host 10.0.0.53",
  "tcp[tcpflags] & tcp-syn != 0",
  "not ip6",
  "vlan or ip6",
];

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

/** Wall-clock and CPU (user + system) time of one run, in ms. */
interface Timing {
  wall: number;
  cpu: number;
}

async function timeChild(cmd: string, args: string[]): Promise<Timing> {
  const t = performance.now();
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "CPUTIME %U %S", cmd, ...args],
    stdout: "null",
    stderr: "piped",
  }).output();
  const wall = performance.now() - t;
  const err = new TextDecoder().decode(out.stderr);
  const m = /CPUTIME ([\d.]+) ([\d.]+)/.exec(err);
  if (!out.success || !m) throw new Error(`${cmd} failed: ${err.slice(-500)}`);
  return { wall, cpu: (Number(m[1]) + Number(m[2])) * 1000 };
}

async function timeHere(f: () => Promise<void>): Promise<Timing> {
  const c0 = process.cpuUsage();
  const t = performance.now();
  await f();
  const wall = performance.now() - t;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

async function best(runs: number, f: () => Promise<Timing>): Promise<Timing> {
  const b = { wall: Infinity, cpu: Infinity };
  for (let i = 0; i < runs; i++) {
    const r = await f();
    b.wall = Math.min(b.wall, r.wall);
    b.cpu = Math.min(b.cpu, r.cpu);
  }
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
  /** Wall-clock ms (best of the runs). */
  ms: number;
  /** Packets per wall-clock second. */
  pps: number;
  /** CPU ms, user + system (best of the runs). */
  cpuMs: number;
  /** Packets per CPU second: comparable while other work shares the machine. */
  cpuPps: number;
  note?: string;
}

const rows: Row[] = [];
function record(what: string, packets: number, t: Timing, note?: string): Row {
  const row = {
    what,
    packets,
    ms: Math.round(t.wall),
    pps: Math.round(packets / t.wall * 1000),
    cpuMs: Math.round(t.cpu),
    cpuPps: Math.round(packets / t.cpu * 1000),
    note,
  };
  rows.push(row);
  log(
    `${what}: ${(row.pps / 1e6).toFixed(2)} M packets/s wall (${row.ms} ms), ` +
      `${(row.cpuPps / 1e6).toFixed(2)} M packets/CPU-s (${row.cpuMs} ms)`,
  );
  return row;
}

// ---- 1. the 1M-packet capture ----
const file = `${DATA}/bench-${PACKETS}.pcap`;
log(`generating ${file}`);
const gen = generateCapture(file, { packets: PACKETS });
log(`${gen.packets} packets, ${(gen.bytes / 1e6).toFixed(1)} MB`);
await timeChild("cat", [file]); // warm the page cache

// ---- 3b. parallel processing ----
interface ParallelPair {
  what: string;
  packets: number;
  one: Row;
  two: Row;
  /** CPU seconds by thread of the best 2-thread run (Linux /proc): workers, main, V8's helpers. */
  threads: Record<string, number>;
  /** Fixed cost on a 1,000-packet capture, ms: wall and CPU with 1 and 2 threads. */
  startup: { one: Timing; two: Timing };
}

/** A timed child run, with the CPU seconds of each of its threads (by name) where /proc has them. */
interface ThreadTiming extends Timing {
  threads: Record<string, number>;
}

/** Runs `cmd` under /usr/bin/time and samples its threads' CPU in /proc while it runs. */
async function timeChildThreads(cmd: string, args: string[]): Promise<ThreadTiming> {
  const t = performance.now();
  const child = new Deno.Command("/usr/bin/time", {
    args: ["-f", "CPUTIME %U %S", cmd, ...args],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const last = new Map<string, { name: string; cpu: number }>();
  let running = true;
  const out = child.output().finally(() => (running = false));
  const ticks = 100; // USER_HZ
  while (running) {
    try {
      const kids = Deno.readTextFileSync(`/proc/${child.pid}/task/${child.pid}/children`).trim();
      for (const pid of kids.split(/\s+/).filter(Boolean)) {
        for (const e of Deno.readDirSync(`/proc/${pid}/task`)) {
          const stat = Deno.readTextFileSync(`/proc/${pid}/task/${e.name}/stat`);
          const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
          const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
          last.set(`${pid}/${e.name}`, { name, cpu: (Number(f[11]) + Number(f[12])) / ticks });
        }
      }
    } catch { /* not there (yet, or any more), or not Linux */ }
    await new Promise((r) => setTimeout(r, 20));
  }
  const o = await out;
  const wall = performance.now() - t;
  const err = new TextDecoder().decode(o.stderr);
  const m = /CPUTIME ([\d.]+) ([\d.]+)/.exec(err);
  if (!o.success || !m) throw new Error(`${cmd} failed: ${err.slice(-500)}`);
  const threads: Record<string, number> = {};
  for (const { name, cpu } of last.values()) {
    // Deno names its Workers "worker-N", its main thread "deno", V8's helpers "V8 DefaultWorke".
    const key = /^worker-/.test(name)
      ? name
      : name === "deno"
      ? "main"
      : /^V8/.test(name)
      ? "V8 helpers"
      : "other";
    threads[key] = (threads[key] ?? 0) + cpu;
  }
  return { wall, cpu: (Number(m[1]) + Number(m[2])) * 1000, threads };
}

/** The capture of the parallel rows: larger than the others, so that start-up does not dominate. */
const PARALLEL_PACKETS = Number(flags["parallel-packets"]);

/**
 * The commands end to end (child processes, both started cold, output to /dev/null) with
 * `--threads 1` and `--threads 2`, rounds alternating; the start-up cost of each apart, measured
 * on a 1,000-packet capture.
 */
async function parallelRows(): Promise<ParallelPair[]> {
  const big = `${DATA}/bench-parallel-${PARALLEL_PACKETS}.pcap`;
  const small = `${DATA}/bench-parallel-1000.pcap`;
  const bigGen = generateCapture(big, { packets: PARALLEL_PACKETS });
  generateCapture(small, { packets: 1000 });
  log(`parallel rows: ${bigGen.packets} packets, ${(bigGen.bytes / 1e6).toFixed(1)} MB`);
  await timeChild("cat", [big]); // warm the page cache
  const db = await parallelDatabase();
  const pairs: ParallelPair[] = [];
  const measure = async (what: string, args: (capture: string) => string[]) => {
    const run = (threads: number, capture: string) =>
      timeChildThreads(Deno.execPath(), [
        "run",
        "-A",
        MAIN,
        "pcap",
        ...args(capture),
        "--threads",
        String(threads),
      ]);
    const best2 = [{ wall: Infinity, cpu: Infinity }, { wall: Infinity, cpu: Infinity }];
    let threads: Record<string, number> = {};
    for (let i = 0; i < RUNS; i++) {
      for (const n of [1, 2]) {
        const r = await run(n, big);
        const b = best2[n - 1];
        if (n === 2 && r.wall < b.wall) threads = r.threads;
        b.wall = Math.min(b.wall, r.wall);
        b.cpu = Math.min(b.cpu, r.cpu);
      }
    }
    const startup = [{ wall: Infinity, cpu: Infinity }, { wall: Infinity, cpu: Infinity }];
    for (let i = 0; i < RUNS; i++) {
      for (const n of [1, 2]) {
        const r = await run(n, small);
        startup[n - 1].wall = Math.min(startup[n - 1].wall, r.wall);
        startup[n - 1].cpu = Math.min(startup[n - 1].cpu, r.cpu);
      }
    }
    pairs.push({
      what,
      packets: bigGen.packets,
      one: record(`${what}, --threads 1`, bigGen.packets, best2[0], "child process"),
      two: record(`${what}, --threads 2`, bigGen.packets, best2[1], "child process"),
      threads,
      startup: { one: startup[0], two: startup[1] },
    });
  };
  for (const mode of CORRELATE_MODES) {
    await measure(`mxy pcap correlate --mode ${mode} --format jsonl`, (f) => [
      "correlate",
      f,
      "--mode",
      mode,
      "--format",
      "jsonl",
      "--quiet",
    ]);
  }
  await measure("mxy pcap flows (DPI, counting)", (f) => ["flows", f, "--quiet"]);
  await measure("mxy pcap match (every hit)", (f) => ["match", db, f, "-o", "/dev/null"]);
  await measure("mxy pcap filter --expr 'tcp port 80'", (f) => [
    "filter",
    "--expr",
    "tcp port 80",
    f,
    "-o",
    "/dev/null",
    "--quiet",
  ]);
  await Deno.remove(big).catch(() => {});
  await Deno.remove(small).catch(() => {});
  return pairs;
}

/**
 * The database of the `pcap match` row: bench/pcap_match_report.ts's (100,000 networks, 100,000
 * literals, 10,000 globs, a planted URL every 90 rounds), built here when it is not there.
 */
async function parallelDatabase(): Promise<string> {
  const path = `${DATA}/pcap-match-1000000.mxy`;
  if (await Deno.stat(path).then(() => true, () => false)) return path;
  log(`building ${path}`);
  const feed = makeFeed();
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  for (const n of feed.networks) b.add(n, { kind: "network", source: "bench" });
  for (const l of feed.literals) b.add(l, { kind: "domain", source: "bench" });
  for (const g of feed.globs) b.add(`glob:${g}`, { kind: "glob", source: "bench" });
  for (let r = 0; r < Math.ceil(1_000_000 / 11); r += 90) {
    const serial = r.toString(16).padStart(8, "0");
    b.add(`literal:http://www.example.test/item/${serial}`, { kind: "url", source: "planted" });
  }
  await Deno.writeFile(path, b.build());
  return path;
}

function parallelReport(pairs: ParallelPair[]): string[] {
  const out = [
    "",
    `parallel processing (${pairs[0]?.packets ?? 0} packets, best of ${RUNS} alternating ` +
    "rounds): packets/s with 2 threads / with 1 thread, wall-clock (and per CPU-second); CPU " +
    "seconds by thread of the 2-thread run; start-up on a 1,000-packet capture (wall / CPU ms, " +
    "1 and 2 threads)",
  ];
  const sec = (x: number | undefined) => (x ?? 0).toFixed(2);
  for (const p of pairs) {
    const workers = Object.keys(p.threads).filter((k) => k.startsWith("worker-")).sort();
    const by = workers.length === 0
      ? "threads not measured"
      : `workers ${workers.map((w) => sec(p.threads[w])).join(" + ")} s, main ${
        sec(p.threads.main)
      } s, V8 helpers ${sec(p.threads["V8 helpers"])} s`;
    const su = p.startup;
    out.push(
      `  ${p.what}: ${mpps(p.one.pps)} M -> ${mpps(p.two.pps)} M packets/s, ${
        (p.two.pps / p.one.pps).toFixed(2)
      }x (CPU ${(p.two.cpuPps / p.one.cpuPps).toFixed(2)}x); ${by}; start-up ${
        Math.round(su.one.wall)
      }/${Math.round(su.one.cpu)} ms -> ${Math.round(su.two.wall)}/${Math.round(su.two.cpu)} ms`,
    );
  }
  out.push(
    `  load average: ${Deno.loadavg().map((x) => x.toFixed(1)).join(" ")} on ` +
      `${navigator.hardwareConcurrency} CPUs (target >= 1.7x for the slowest modes on an idle ` +
      `2-core machine)`,
  );
  return out;
}

const mpps = (n: number) => (n / 1e6).toFixed(2);
if (flags["parallel-only"]) {
  console.log(parallelReport(await parallelRows()).join("\n"));
  await Deno.remove(file).catch(() => {});
  Deno.exit(0);
}

// ---- 2. peers ----
let tcpdumpRow: Row | null = null, tsharkRow: Row | null = null;
if (has("tcpdump")) {
  const t = await best(RUNS, () => timeChild("tcpdump", ["-r", file, "-w", "/dev/null"]));
  tcpdumpRow = record("tcpdump -r FILE -w /dev/null (raw read)", gen.packets, t, "child process");
} else log("tcpdump missing: skipped");
if (has("tshark") && !flags["skip-tshark"]) {
  const t = await timeChild("tshark", [
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
  tsharkRow = record(
    "tshark -T fields (time, addresses, ports, dns.id)",
    gen.packets,
    t,
    "child process",
  );
} else log("tshark missing or skipped");

// ---- 2b. filtering: tcpdump -r FILE -w /dev/null EXPR against filterCapture ----
interface FilterPair {
  expr: string;
  kept: number;
  tcpdump: Row;
  mxy: Row;
}
const filterPairs: FilterPair[] = [];
if (has("tcpdump")) {
  for (const expr of FILTER_EXPRESSIONS) {
    const td = await best(
      RUNS,
      () => timeChild("tcpdump", ["-r", file, "-w", "/dev/null", "--", expr]),
    );
    let kept = 0;
    const mx = await best(RUNS, () =>
      timeHere(async () => {
        const f = await openCaptureFile(file);
        const out = Deno.openSync("/dev/null", { write: true });
        try {
          const r = await filterCapture(f.source, expr, { sink: (c) => void out.writeSync(c) });
          kept = r.kept;
        } finally {
          out.close();
          f.close();
        }
      }));
    filterPairs.push({
      expr,
      kept,
      tcpdump: record(`tcpdump -r FILE -w /dev/null '${expr}'`, gen.packets, td, "child process"),
      mxy: record(`mxy filterCapture '${expr}' -> /dev/null`, gen.packets, mx, `${kept} kept`),
    });
  }
} else log("tcpdump missing: filter rows skipped");

// ---- 3. mxy in this process ----
if (flags["filter-only"]) {
  console.log(filterReport().join("\n"));
  await Deno.remove(file).catch(() => {});
  Deno.exit(0);
}
const p = new FlowPacket();
// The file read modes: "stream" (the default: positional reads into a fixed buffer), "read"
// (whole file into memory first) and "mmap" (mapped; the default before the redesign).
const readModeRows: Partial<Record<CaptureFileMode, Row>> = {};
for (const mode of ["stream", "read", "mmap"] as const) {
  const ms = await best(RUNS, async () => {
    let n = 0;
    const t = await timeHere(async () => {
      await forEachPacketInFile(file, () => {
        n++;
      }, { mode });
    });
    if (n !== gen.packets) throw new Error(`read ${n} packets, expected ${gen.packets}`);
    return t;
  });
  readModeRows[mode] = record(`mxy read+decode (--mode ${mode}, all headers)`, gen.packets, ms);
}
const decodeRow = readModeRows.stream!;

const engine = new DpiEngine();
const classifyMs = await best(RUNS, () =>
  timeHere(async () => {
    await forEachPacketInFile(file, (v) => {
      engine.classify(v);
    });
  }));
record("mxy read+decode+classify (DPI registry)", gen.packets, classifyMs);

const correlateRows: Row[] = [];
for (const mode of CORRELATE_MODES) {
  let matched = 0;
  const ms = await best(RUNS, async () => {
    const c = new Correlator({ mode });
    const t = await timeHere(async () => {
      await forEachPacketInFile(file, (v) => {
        p.readView(v);
        c.push(p);
      });
    });
    matched = c.finish().matched;
    return t;
  });
  correlateRows.push(
    record(`mxy read+decode+correlate --mode ${mode}`, gen.packets, ms, `${matched} matches`),
  );
}

const sessionsMs = await best(RUNS, () =>
  timeHere(async () => {
    const st = new SessionTable();
    await forEachPacketInFile(file, (v) => {
      p.readView(v);
      st.push(p);
    });
    st.finish();
  }));
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

const parallel = await parallelRows();

// ---- 4. TCP stream reassembly ----
interface WorkloadResult {
  workload: string;
  packets: number;
  wallMs: number;
  cpuMs: number;
  peakBufferedBytes: number;
  rssMiB: number;
}

/** Runs one workload of bench/_pcap_workload.ts on a capture in a child process. */
async function workload(name: string, on = file): Promise<WorkloadResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}bench/_pcap_workload.ts`, on, name, String(RUNS)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`${name} failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
}

const reassembly: Record<string, WorkloadResult> = {};
const reassemblyRows: Record<string, Row> = {};
const WORKLOADS: [string, string][] = [
  ["read", "mxy read only, no decoding (own process)"],
  ["decode", "mxy read+decode to a FlowPacket (own process)"],
  ["reassemble", "mxy read+decode+reassemble (every TCP byte to a handler)"],
  ["reassemble-count", "mxy read+decode+reassemble (counting only, as pcap flows)"],
  ["fields-no-reassemble", "mxy DPI fields dns.qname,http.host,tls.sni, packet by packet"],
  ["fields", "mxy DPI fields dns.qname,http.host,tls.sni, reassembled"],
  ["sessions", "mxy read+decode+sessions (own process)"],
  ["sessions-reassemble", "mxy read+decode+sessions+sequence counting"],
];
for (const [name, what] of WORKLOADS) {
  const r = await workload(name);
  reassembly[name] = r;
  reassemblyRows[name] = record(
    what,
    r.packets,
    { wall: r.wallMs, cpu: r.cpuMs },
    `child process; RSS ${r.rssMiB} MiB` +
      (r.peakBufferedBytes > 0 ? `; peak held ${r.peakBufferedBytes} B` : ""),
  );
}
// The same mix with each HTTP response sent in two segments, the second first, and each request
// twice: out-of-order bytes held, retransmissions dropped.
const disorderFile = `${DATA}/bench-disorder-${PACKETS}.pcap`;
const disorderGen = generateCapture(disorderFile, { packets: PACKETS, disorder: true });
log(`${disorderFile}: ${disorderGen.packets} packets (responses out of order, requests twice)`);
for (
  const [name, what] of [
    ["decode", "mxy read+decode, disordered capture"],
    ["reassemble", "mxy read+decode+reassemble, disordered capture"],
    ["fields-no-reassemble", "mxy DPI fields, packet by packet, disordered capture"],
    ["fields", "mxy DPI fields, reassembled, disordered capture"],
  ] as const
) {
  const r = await workload(name, disorderFile);
  reassembly[`disorder-${name}`] = r;
  reassemblyRows[`disorder-${name}`] = record(
    what,
    r.packets,
    { wall: r.wallMs, cpu: r.cpuMs },
    `child process; RSS ${r.rssMiB} MiB` +
      (r.peakBufferedBytes > 0 ? `; peak held ${r.peakBufferedBytes} B` : ""),
  );
}
await Deno.remove(disorderFile).catch(() => {});

const fieldsRss: Record<string, number> = {};
for (const reassemble of [true, false]) {
  const rss = await maxRssKiB(Deno.execPath(), [
    "run",
    "-A",
    MAIN,
    "pcap",
    "fields",
    "-e",
    "dns.qname",
    "-e",
    "http.host",
    "-e",
    "tls.sni",
    ...(reassemble ? [] : ["--no-reassemble"]),
    file,
  ]);
  fieldsRss[reassemble ? "reassembled" : "packet_by_packet"] = Math.round(rss.kib / 1024);
  log(
    `mxy pcap fields${reassemble ? "" : " --no-reassemble"}: max RSS ${
      Math.round(rss.kib / 1024)
    } MiB`,
  );
}

// ---- 5. memory on a capture larger than 2 GB ----
const memory: Record<string, unknown> = {};
if (!flags["skip-big"]) {
  const big = `${DATA}/bench-big.pcap`;
  const target = Number(flags["big-gb"]) * 1e9;
  // About 5 KB per round of 11 packets with a 4000-byte HTTP body.
  const rounds = Math.ceil(target / 4976);
  log(`generating ${big} (about ${(target / 1e9).toFixed(1)} GB)`);
  try {
    const g = generateCapture(big, { packets: rounds * 11, bulkBytes: 4000 });
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

/** The filter rows' ratios: mxy's packets per second over tcpdump's, per expression. */
function filterReport(): string[] {
  if (filterPairs.length === 0) return [];
  const out = [
    "",
    "| filter | kept | tcpdump wall ms | mxy wall ms | mxy / tcpdump (wall) | mxy / tcpdump (CPU) |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const f of filterPairs) {
    out.push(
      `| \`${f.expr}\` | ${f.kept} | ${f.tcpdump.ms} | ${f.mxy.ms} | ${
        (f.mxy.pps / f.tcpdump.pps).toFixed(2)
      }x | ${(f.mxy.cpuPps / f.tcpdump.cpuPps).toFixed(2)}x |`,
    );
  }
  const worstWall = Math.min(...filterPairs.map((f) => f.mxy.pps / f.tcpdump.pps));
  const worstCpu = Math.min(...filterPairs.map((f) => f.mxy.cpuPps / f.tcpdump.cpuPps));
  out.push(
    `filter / tcpdump -r -w /dev/null EXPR: worst ${worstCpu.toFixed(2)}x per CPU-second, ` +
      `${worstWall.toFixed(2)}x wall (target >= 1x)`,
  );
  return out;
}

// ---- report ----
const ratio = (a: number, b: number | undefined, digits: number) =>
  b === undefined || !(b > 0) ? null : Number((a / b).toFixed(digits));
const ratios = {
  decode_vs_tcpdump_cpu: ratio(decodeRow.cpuPps, tcpdumpRow?.cpuPps, 2),
  decode_vs_tcpdump_wall: ratio(decodeRow.pps, tcpdumpRow?.pps, 2),
  decode_vs_tshark_cpu: ratio(decodeRow.cpuPps, tsharkRow?.cpuPps, 1),
  decode_vs_tshark_wall: ratio(decodeRow.pps, tsharkRow?.pps, 1),
  correlate_min_cpu_pps: Math.min(...correlateRows.map((r) => r.cpuPps)),
  correlate_min_wall_pps: Math.min(...correlateRows.map((r) => r.pps)),
  stream_vs_mmap_cpu: ratio(decodeRow.cpuPps, readModeRows.mmap?.cpuPps, 2),
  stream_vs_mmap_wall: ratio(decodeRow.pps, readModeRows.mmap?.pps, 2),
  filter_vs_tcpdump_cpu: filterPairs.length === 0 ? null : Number(
    Math.min(...filterPairs.map((f) => f.mxy.cpuPps / f.tcpdump.cpuPps)).toFixed(2),
  ),
  filter_vs_tcpdump_wall: filterPairs.length === 0 ? null : Number(
    Math.min(...filterPairs.map((f) => f.mxy.pps / f.tcpdump.pps)).toFixed(2),
  ),
  reassemble_vs_decode_cpu: ratio(
    reassemblyRows.reassemble.cpuPps,
    reassemblyRows.decode.cpuPps,
    2,
  ),
  reassemble_count_vs_decode_cpu: ratio(
    reassemblyRows["reassemble-count"].cpuPps,
    reassemblyRows.decode.cpuPps,
    2,
  ),
  fields_reassembled_vs_packet_by_packet_cpu: ratio(
    reassemblyRows.fields.cpuPps,
    reassemblyRows["fields-no-reassemble"].cpuPps,
    2,
  ),
  disorder_reassemble_vs_decode_cpu: ratio(
    reassemblyRows["disorder-reassemble"].cpuPps,
    reassemblyRows["disorder-decode"].cpuPps,
    2,
  ),
  disorder_fields_reassembled_vs_packet_by_packet_cpu: ratio(
    reassemblyRows["disorder-fields"].cpuPps,
    reassemblyRows["disorder-fields-no-reassemble"].cpuPps,
    2,
  ),
  sessions_counting_vs_sessions_cpu: ratio(
    reassemblyRows["sessions-reassemble"].cpuPps,
    reassemblyRows.sessions.cpuPps,
    2,
  ),
};
const lines = [
  `| what | packets/s (wall) | packets/CPU-s | wall ms | CPU ms | note |`,
  `| --- | ---: | ---: | ---: | ---: | --- |`,
  ...rows.map((r) =>
    `| ${r.what} | ${mpps(r.pps)} M | ${mpps(r.cpuPps)} M | ${r.ms} | ${r.cpuMs} | ${
      r.note ?? ""
    } |`
  ),
  "",
  `decode / tcpdump raw read: ${ratios.decode_vs_tcpdump_cpu}x per CPU-second, ` +
  `${ratios.decode_vs_tcpdump_wall}x wall (target >= 0.3x)`,
  `decode / tshark -T fields: ${ratios.decode_vs_tshark_cpu}x per CPU-second, ` +
  `${ratios.decode_vs_tshark_wall}x wall (target >= 50x)`,
  `read modes: --mode stream (default) / --mode mmap: ${ratios.stream_vs_mmap_cpu}x per ` +
  `CPU-second, ${ratios.stream_vs_mmap_wall}x wall`,
  `slowest correlation mode: ${mpps(ratios.correlate_min_cpu_pps)} M packets/CPU-s, ` +
  `${mpps(ratios.correlate_min_wall_pps)} M packets/s wall (target >= 1 M)`,
  `reassembly: read+decode+reassemble / read+decode ${ratios.reassemble_vs_decode_cpu}x per ` +
  `CPU-second (counting only ${ratios.reassemble_count_vs_decode_cpu}x); DPI fields reassembled / ` +
  `packet by packet ${ratios.fields_reassembled_vs_packet_by_packet_cpu}x (target >= 0.5x); ` +
  `sessions with counting / without ${ratios.sessions_counting_vs_sessions_cpu}x`,
  `disordered capture: reassemble / decode ${ratios.disorder_reassemble_vs_decode_cpu}x, DPI ` +
  `fields reassembled / packet by packet ${ratios.disorder_fields_reassembled_vs_packet_by_packet_cpu}x ` +
  `per CPU-second`,
  `reassembly memory: peak held out of order ${
    reassembly["disorder-reassemble"].peakBufferedBytes
  } B (disordered capture); ` +
  `mxy pcap fields max RSS ${fieldsRss.reassembled} MiB reassembled, ` +
  `${fieldsRss.packet_by_packet} MiB with --no-reassemble`,
  `load average at the end: ${Deno.loadavg().map((x) => x.toFixed(1)).join(" ")} on ` +
  `${navigator.hardwareConcurrency} CPUs`,
];
lines.push(...filterReport());
lines.push(...parallelReport(parallel));
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
      parallel: parallel.map((p) => ({
        what: p.what,
        packets: p.packets,
        wall_ratio: Number((p.two.pps / p.one.pps).toFixed(2)),
        cpu_ratio: Number((p.two.cpuPps / p.one.cpuPps).toFixed(2)),
        thread_cpu_s: p.threads,
        startup_ms: p.startup,
      })),
      memory,
      reassembly,
      fieldsMaxRssMiB: fieldsRss,
    },
    null,
    2,
  ) + "\n",
);
await Deno.remove(file).catch(() => {});
