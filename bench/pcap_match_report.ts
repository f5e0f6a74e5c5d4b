/**
 * The `mxy pcap match` report: packets per second for matching the 1,000,000-packet benchmark
 * capture (bench/_pcap_gen.ts: DNS, a UDP-to-TCP relay, HTTP connections) against a database of
 * 100,000 networks, 100,000 literals and 10,000 globs (bench/_match_data.ts, plus 1,000 planted
 * URLs of the capture, so that some packets hit), next to the decode-only rate of the same
 * capture in the same run — the yardstick of issue #14: matching at ≥ 0.5× the decode-only rate
 * and ≥ 2M packets/s, and faster again behind a BPF pre-filter that drops 90% of the packets.
 *
 * `--parallel`: only the command with `--threads 1` and `--threads 2` (every hit, and
 * `--first-per-flow`), wall-clock and CPU time, rounds alternating.
 *
 * Each workload runs in a process of its own (bench/_pcap_match_workload.ts: best of `--runs`
 * after a warm-up run), in `--passes` interleaved passes over the list (the machine is shared:
 * the best pass counts), and reports wall-clock and CPU rates:
 *
 * - `decode`: read + decode every packet (all headers), nothing else — the yardstick;
 * - `match`: the capture matcher with every built-in attribute, hits counted;
 * - `match-jsonl`: the same, each hit formatted as a JSON line;
 * - `filter-expr`: `udp dst port 53` (9% of the packets) as a pcap-filter pre-filter, compiled
 *   by mxy and run in its classic-BPF VM before decoding, then matching;
 * - `filter-bpf` / `filter-bpf-jit`: the same selection as a clang-compiled eBPF program in
 *   mxy's eBPF interpreter / JIT (skipped without clang);
 * - `mxy pcap match` end to end (a child process: start-up, database, output to /dev/null).
 *
 * Then the GC events of a `match` run and of the eBPF-filtered runs between the workload's
 * markers (`--trace-gc`): the per-packet path should have none.
 *
 * Usage: deno run -A bench/pcap_match_report.ts [--packets N] [--runs N] [--passes N] [--parallel]
 * Results: a Markdown table on standard output and `bench/data/pcap_match_report.json`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DatabaseBuilder } from "../lib/db/mod.ts";
import { generateCapture } from "./_pcap_gen.ts";
import { makeFeed } from "./_match_data.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    packets: { type: "string", default: "1000000" },
    runs: { type: "string", default: "3" },
    passes: { type: "string", default: "2" },
    parallel: { type: "boolean", default: false },
  },
});
const PACKETS = Number(flags.packets);
const RUNS = Number(flags.runs);
const PASSES = Number(flags.passes);
const ROOT = new URL("..", import.meta.url).pathname;
const DATA = `${ROOT}bench/data`;
const WORKLOAD = `${ROOT}bench/_pcap_match_workload.ts`;
const MAIN = `${ROOT}cli/main.ts`;
/** The packets of a round of the generated capture (bench/_pcap_gen.ts). */
const ROUND_PACKETS = 11;
/** Every this many rounds, the round's HTTP URL is a planted literal. */
const PLANT_EVERY = Math.max(1, Math.floor(PACKETS / ROUND_PACKETS / 1000));
/** The pre-filter: DNS queries, 1 packet in 11. */
const FILTER = "udp dst port 53";
const FILTER_C = `
typedef unsigned char u8;
typedef unsigned int u32;
/* DNS queries: Ethernet, IPv4, UDP, destination port 53 (R1 = the packet, R2 = its length) */
__attribute__((section("socket"), used)) int dns_queries(u8 *p, u32 len) {
  if (len < 14 + 20 + 8 || p[12] != 0x08 || p[13] != 0x00 || p[23] != 17) return 0;
  u32 ihl = (p[14] & 0x0f) * 4;
  if (ihl < 20 || 14 + ihl + 8 > len) return 0;
  return p[14 + ihl + 2] == 0 && p[14 + ihl + 3] == 53;
}
char _license[] __attribute__((section("license"), used)) = "GPL";
`;

await Deno.mkdir(DATA, { recursive: true });
function log(text: string): void {
  console.error(`[pcap_match_report] ${text}`);
}
function has(program: string): boolean {
  return new Deno.Command("sh", { args: ["-c", `command -v ${program}`] }).outputSync().success;
}
const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

// ---- the capture, the database, the eBPF object ----
const capture = `${DATA}/pcap-match-${PACKETS}.pcap`;
if (!(await exists(capture))) {
  log(`generating ${capture}`);
  generateCapture(capture, { packets: PACKETS });
}
const captureBytes = (await Deno.stat(capture)).size;
const db = `${DATA}/pcap-match-${PACKETS}.mxy`;
let planted = 0;
const rounds = Math.ceil(PACKETS / ROUND_PACKETS);
for (let r = 0; r < rounds; r += PLANT_EVERY) planted++;
if (!(await exists(db))) {
  log(`building ${db}: 100,000 networks, 100,000 literals, 10,000 globs, ${planted} URLs`);
  const feed = makeFeed();
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  for (const n of feed.networks) b.add(n, { kind: "network", source: "bench" });
  for (const l of feed.literals) b.add(l, { kind: "domain", source: "bench" });
  for (const g of feed.globs) b.add(`glob:${g}`, { kind: "glob", source: "bench" });
  // the capture's request of round r asks for /item/<r as 8 hex digits>
  for (let r = 0; r < rounds; r += PLANT_EVERY) {
    const serial = r.toString(16).padStart(8, "0");
    b.add(`literal:http://www.example.test/item/${serial}`, { kind: "url", source: "planted" });
  }
  await Deno.writeFile(db, b.build());
}
let bpfObject: string | null = null;
if (has("clang")) {
  bpfObject = `${DATA}/pcap-match-dns.o`;
  await Deno.writeTextFile(`${DATA}/pcap-match-dns.c`, FILTER_C);
  const cc = await new Deno.Command("clang", {
    args: ["-O2", "-target", "bpf", "-c", `${DATA}/pcap-match-dns.c`, "-o", bpfObject],
  }).output();
  if (!cc.success) throw new Error(`clang failed: ${new TextDecoder().decode(cc.stderr)}`);
} else log("clang missing: the eBPF pre-filter rows are skipped");

// ---- the workloads ----
interface Result {
  workload: string;
  packets: number;
  selected: number;
  hits: number;
  wallMs: number;
  cpuMs: number;
}

async function workload(name: string, v8Flags: string[] = []): Promise<{ r: Result; out: string }> {
  const args = ["run", "-A"];
  if (v8Flags.length > 0) args.push(`--v8-flags=${v8Flags.join(",")}`);
  const out = await new Deno.Command("stdbuf", {
    args: ["-oL", Deno.execPath(), ...args, WORKLOAD, capture, db, name, String(RUNS)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${name} failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  }
  const last = text.trim().split("\n").filter((l) => l.startsWith("{")).at(-1)!;
  return { r: JSON.parse(last), out: text };
}

async function timeChild(cmd: string, args: string[]): Promise<{ wall: number; cpu: number }> {
  const t = performance.now();
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "CPUTIME %U %S", cmd, ...args],
    stdout: "null",
    stderr: "piped",
  }).output();
  const wall = performance.now() - t;
  const err = new TextDecoder().decode(out.stderr);
  const m = /CPUTIME ([\d.]+) ([\d.]+)/.exec(err);
  // exit 1 means "nothing matched", not a failure
  if (out.code > 1 || !m) throw new Error(`${cmd} failed: ${err.slice(-500)}`);
  return { wall, cpu: (Number(m[1]) + Number(m[2])) * 1000 };
}

/** `mxy pcap match DB CAPTURE -o /dev/null` with more flags, timed as a child process. */
function timeCliMatch(flags: string[]): Promise<{ wall: number; cpu: number }> {
  return timeChild(Deno.execPath(), [
    "run",
    "-A",
    MAIN,
    "pcap",
    "match",
    db,
    capture,
    "-o",
    "/dev/null",
    ...flags,
  ]);
}

// ---- --parallel: the command with --threads 1 and 2, rounds alternating ----
if (flags.parallel) {
  const variants: [string, string[]][] = [
    ["every hit", []],
    ["--first-per-flow", ["--first-per-flow"]],
  ];
  const lines = [
    `# mxy pcap match --threads 2 / --threads 1: ${PACKETS.toLocaleString("en")} packets, ` +
    `child processes, output to /dev/null, best of ${RUNS} alternating rounds`,
    "",
    "| variant | 1 thread M packets/s (wall) | 2 threads M packets/s (wall) | × wall | " +
    "1 thread M packets/CPU-s | 2 threads M packets/CPU-s | × CPU efficiency |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const [what, extra] of variants) {
    const t = [{ wall: Infinity, cpu: Infinity }, { wall: Infinity, cpu: Infinity }];
    for (let i = 0; i < RUNS; i++) {
      for (const threads of [1, 2]) {
        const r = await timeCliMatch(["--threads", String(threads), ...extra]);
        const b = t[threads - 1];
        b.wall = Math.min(b.wall, r.wall);
        b.cpu = Math.min(b.cpu, r.cpu);
        log(
          `${what}, --threads ${threads}: ${Math.round(r.wall)} ms wall, ${
            Math.round(r.cpu)
          } ms CPU`,
        );
      }
    }
    const m = (ms: number) => (PACKETS / ms / 1000).toFixed(2);
    lines.push(
      `| ${what} | ${m(t[0].wall)} | ${m(t[1].wall)} | ${(t[0].wall / t[1].wall).toFixed(2)} | ` +
        `${m(t[0].cpu)} | ${m(t[1].cpu)} | ${(t[0].cpu / t[1].cpu).toFixed(2)} |`,
    );
  }
  lines.push(
    "",
    `load average ${Deno.loadavg().map((x) => x.toFixed(1)).join(" ")} on ` +
      `${navigator.hardwareConcurrency} CPUs (issue #21's target: ≥ 1.7× wall with 2 threads)`,
  );
  console.log(lines.join("\n"));
  Deno.exit(0);
}

const WORKLOADS: [string, string][] = [
  ["decode", "read + decode (the yardstick)"],
  ["match", "pcap match: every attribute, hits counted"],
  ["match-jsonl", "pcap match: every attribute, hits as JSON lines"],
  [`filter-expr:${FILTER}`, `pcap match behind '${FILTER}' (classic BPF VM)`],
];
if (bpfObject !== null) {
  WORKLOADS.push([`filter-bpf:${bpfObject}`, "pcap match behind the eBPF program (interpreter)"]);
  WORKLOADS.push([`filter-bpf-jit:${bpfObject}`, "pcap match behind the eBPF program (JIT)"]);
}

const best = new Map<string, Result>();
for (let pass = 0; pass < PASSES; pass++) {
  for (const [name] of WORKLOADS) {
    const { r } = await workload(name);
    const b = best.get(name);
    best.set(name, {
      ...r,
      wallMs: Math.min(r.wallMs, b?.wallMs ?? Infinity),
      cpuMs: Math.min(r.cpuMs, b?.cpuMs ?? Infinity),
    });
    log(
      `pass ${pass + 1} ${name.split(":")[0]}: ${(r.packets / r.wallMs / 1000).toFixed(2)} M ` +
        `packets/s wall, ${(r.packets / r.cpuMs / 1000).toFixed(2)} M packets/CPU-s`,
    );
  }
}
let cli = { wall: Infinity, cpu: Infinity };
for (let i = 0; i < RUNS; i++) {
  const t = await timeCliMatch([]);
  cli = {
    wall: Math.min(t.wall, cli.wall),
    cpu: Math.min(t.cpu, cli.cpu),
  };
}

// ---- GC events between the markers ----
async function gcEvents(name: string): Promise<number> {
  const { out } = await workload(name, ["--trace-gc"]);
  const lines = out.split("\n");
  const start = lines.findIndex((l) => l.includes("MXY-GC-START"));
  const end = lines.findIndex((l) => l.includes("MXY-GC-END"));
  return lines.slice(start, end + 1).filter((l) =>
    /Scavenge|Mark-Compact|Mark-Sweep|MinorMS|Minor Mark/i.test(l)
  ).length;
}
const gc: Record<string, number> = { match: await gcEvents("match") };
if (bpfObject !== null) {
  gc["filter-bpf"] = await gcEvents(`filter-bpf:${bpfObject}`);
  gc["filter-bpf-jit"] = await gcEvents(`filter-bpf-jit:${bpfObject}`);
}

// ---- the report ----
const decode = best.get("decode")!;
const pps = (r: Result) => r.packets / r.wallMs * 1000;
const cpuPps = (r: Result) => r.packets / r.cpuMs * 1000;
const match = best.get("match")!;
const rows = WORKLOADS.map(([name, what]) => {
  const r = best.get(name)!;
  return {
    what,
    packets: r.packets,
    selected: r.selected,
    hits: r.hits,
    mpps: pps(r) / 1e6,
    cpuMpps: cpuPps(r) / 1e6,
    vsDecode: pps(r) / pps(decode),
    cpuVsDecode: cpuPps(r) / cpuPps(decode),
    vsMatch: pps(r) / pps(match),
    cpuVsMatch: cpuPps(r) / cpuPps(match),
  };
});
const lines = [
  `# mxy pcap match: ${decode.packets.toLocaleString("en")} packets ` +
  `(${(captureBytes / 1e6).toFixed(0)} MB), 100,000 networks + 100,000 literals + ` +
  `10,000 globs + ${planted} planted URLs; best of ${RUNS} runs × ${PASSES} passes`,
  "",
  "| workload | M packets/s (wall) | M packets/CPU-s | × decode (wall) | × decode (CPU) | × match (wall) | × match (CPU) | selected | hits |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...rows.map((r) =>
    `| ${r.what} | ${r.mpps.toFixed(2)} | ${r.cpuMpps.toFixed(2)} | ${r.vsDecode.toFixed(2)} | ` +
    `${r.cpuVsDecode.toFixed(2)} | ${r.vsMatch.toFixed(2)} | ${r.cpuVsMatch.toFixed(2)} | ` +
    `${r.selected} | ${r.hits} |`
  ),
  `| mxy pcap match DB FILE -o /dev/null (command, child process) | ` +
  `${(decode.packets / cli.wall / 1000).toFixed(2)} | ` +
  `${(decode.packets / cli.cpu / 1000).toFixed(2)} | ` +
  `${(decode.packets / cli.wall * 1000 / pps(decode)).toFixed(2)} | | | | | |`,
  "",
  `Targets (#14): match ≥ 0.5× decode: ${(pps(match) / pps(decode)).toFixed(2)}× wall, ` +
  `${(cpuPps(match) / cpuPps(decode)).toFixed(2)}× CPU; ≥ 2M packets/s: ` +
  `${(pps(match) / 1e6).toFixed(2)}M wall, ${(cpuPps(match) / 1e6).toFixed(2)}M per CPU-s; ` +
  `pre-filtered faster than without: ` +
  rows.filter((r) => r.what.includes("behind")).map((r) =>
    `${r.what.replace("pcap match behind ", "")} ${r.vsMatch.toFixed(2)}× wall, ` +
    `${r.cpuVsMatch.toFixed(2)}× CPU`
  ).join(", "),
  `GC events in the measured runs (--trace-gc): ${
    Object.entries(gc).map(([k, v]) => `${k} ${v}`).join(", ")
  }`,
];
console.log(lines.join("\n"));
await Deno.writeTextFile(
  `${DATA}/pcap_match_report.json`,
  JSON.stringify({ packets: decode.packets, runs: RUNS, passes: PASSES, rows, cli, gc }, null, 2),
);
