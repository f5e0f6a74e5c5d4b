/**
 * One `pcap match` workload on a capture, in a process of its own, for
 * bench/pcap_match_report.ts: prints one JSON line with the best wall-clock and CPU milliseconds
 * of the runs, the packets read and looked at, the hits, and (with `--trace-gc` given to V8) the
 * GC events counted between the last run's markers.
 *
 * Usage: deno run -A [--v8-flags=--trace-gc] bench/_pcap_match_workload.ts FILE DB WORKLOAD RUNS
 *
 * Workloads: `decode` (read + decode, nothing else), `match` (the capture matcher with every
 * built-in attribute, hits counted), `match-jsonl` (the same, each hit formatted as a JSON line),
 * `filter-expr:EXPR` (a pcap-filter expression as the pre-filter, then matching),
 * `filter-bpf:OBJ` (a clang-compiled eBPF object as the pre-filter, interpreter),
 * `filter-bpf-jit:OBJ` (the same in the JIT).
 *
 * @module
 */
import process from "node:process";
import { Database } from "../lib/db/mod.ts";
import { CaptureMatcher, formatCaptureHit, matchCapture } from "../lib/match/mod.ts";
import { PacketSelector } from "../lib/pcap/mod.ts";
import { BpfVm, loadElf } from "../lib/bpf/mod.ts";
import { forEachPacketInFile, openCaptureFile } from "../lib/runtime/mod.ts";

const [file, dbPath, workload, runsText] = Deno.args;
const runs = Number(runsText ?? "3");
const db = Database.fromBytes(await Deno.readFile(dbPath));

function selector(): PacketSelector | undefined {
  if (workload.startsWith("filter-expr:")) return new PacketSelector(workload.slice(12));
  if (workload.startsWith("filter-bpf")) {
    const jit = workload.startsWith("filter-bpf-jit:");
    const obj = Deno.readFileSync(workload.slice(workload.indexOf(":") + 1));
    const size = 1514;
    const elf = loadElf(new BpfVm(), obj, {
      input: { kind: "packet", size },
      jit,
      programType: "unspec", // R1 the packet, R2 its length
    });
    return new PacketSelector([...elf.programs.values()][0], { maxPacket: size });
  }
  return undefined;
}

// one selector for every run (an eBPF program is loaded and compiled once, as the command does)
const select = selector();
let hits = 0, text = 0, selected = 0;
async function once(): Promise<number> {
  if (workload === "decode") {
    return (await forEachPacketInFile(file, () => {})).packets;
  }
  const jsonl = workload === "match-jsonl";
  const m = new CaptureMatcher(db, {
    select,
    onHit: jsonl
      ? (h) => {
        text += formatCaptureHit(h, "jsonl").length;
        hits++;
      }
      : () => {
        hits++;
      },
  });
  const f = await openCaptureFile(file);
  try {
    const s = await matchCapture(f.source, m);
    selected = m.finish().selected;
    return s.packets;
  } finally {
    f.close();
  }
}

// warm-up run (compiles the hot code), then the measured runs between markers
await once();
let wall = Infinity, cpu = Infinity, packets = 0;
console.log("MXY-GC-START");
for (let i = 0; i < runs; i++) {
  hits = 0;
  const c0 = process.cpuUsage();
  const t = performance.now();
  packets = await once();
  const w = performance.now() - t;
  const c = process.cpuUsage(c0);
  wall = Math.min(wall, w);
  cpu = Math.min(cpu, (c.user + c.system) / 1000);
}
console.log("MXY-GC-END");
console.log(JSON.stringify({ workload, packets, selected, hits, text, wallMs: wall, cpuMs: cpu }));
