/**
 * Child process of tests/match/capture_matcher_no_alloc_test.ts and bench/pcap_match_report.ts:
 * runs the capture matcher over a capture between two marker lines, so the parent can count the
 * `--trace-gc` lines printed in between, and prints the heap growth over the loop.
 *
 * stdbuf -oL deno run -A --v8-flags=--trace-gc,--expose-gc tests/match/_capture_gc_child.ts \
 *   CAPTURE DB SELECT ROUNDS [WARMUP]
 * SELECT: none, expr (udp dst port 53), bpf:OBJ (an eBPF object, interpreter), bpf-jit:OBJ
 */
import { Database } from "../../lib/db/mod.ts";
import { CaptureMatcher, matchCapture } from "../../lib/match/mod.ts";
import { PacketSelector } from "../../lib/pcap/mod.ts";
import { BpfVm, loadElf } from "../../lib/bpf/mod.ts";

const [capturePath, dbPath, select = "none", rounds = "3", warmup = "3"] = Deno.args;
const capture = await Deno.readFile(capturePath);
const db = Database.fromBytes(await Deno.readFile(dbPath));

function selector(): PacketSelector | undefined {
  if (select === "expr") return new PacketSelector("udp dst port 53");
  if (select.startsWith("bpf")) {
    const jit = select.startsWith("bpf-jit:");
    const obj = Deno.readFileSync(select.slice(select.indexOf(":") + 1));
    const elf = loadElf(new BpfVm(), obj, {
      input: { kind: "packet", size: 1514 },
      jit,
      programType: "unspec", // R1 the packet, R2 its length
    });
    return new PacketSelector([...elf.programs.values()][0], { maxPacket: 1514 });
  }
  return undefined;
}

let hits = 0, frames = 0;
const attrs = Deno.env.get("MXY_ATTRS");
const matcher = new CaptureMatcher(db, {
  attributes: attrs ? attrs.split(",") : undefined,
  select: selector(),
  onHit: (h) => {
    hits++;
    frames = (frames + h.frame) & 0xfffff; // a small integer: no heap number
  },
});

async function round(): Promise<void> {
  await matchCapture(capture, matcher);
}

// warm up: the compiler's own allocations happen here
for (let i = 0; i < Number(warmup); i++) await round();
hits = 0;
// settle the heap, then a pause for the concurrent sweeper
const gc = (globalThis as { gc?: (o?: { type: string }) => void }).gc;
gc?.();
await new Promise((resolve) => setTimeout(resolve, 100));
// an empty young generation to start from: the pause above allocates, and what survives one
// scavenge stays in the young generation until the next
gc?.({ type: "minor" });
gc?.({ type: "minor" });
const heapBefore = Deno.memoryUsage().heapUsed;
console.log("MXY-GC-START");
const t = performance.now();
for (let i = 0; i < Number(rounds); i++) await round();
const ms = performance.now() - t;
console.log("MXY-GC-END");
const heapAfter = Deno.memoryUsage().heapUsed;
const stats = matcher.finish();
console.log(JSON.stringify({
  select,
  packets: stats.packets,
  selected: stats.selected,
  hits,
  frames,
  ms,
  heapGrowth: heapAfter - heapBefore,
}));
