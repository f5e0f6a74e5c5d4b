/**
 * Classic BPF filtering: `mxy pcap filter` (`filterCapture` of `@mxy/mxy/pcap`, the expression
 * compiled by mxy's `compileFilter`) against `tcpdump -r IN -w OUT EXPR` on the same generated
 * capture (200,000 packets). Run with `deno bench -A bench/cbpf_filter_bench.ts`; tcpdump is the
 * baseline, so deno prints the ratio. The capture is written once to `bench/data/`.
 *
 * @module
 */
import { compileCbpf } from "../lib/bpf/mod.ts";
import { compileFilter, filterCapture, forEachPacket } from "../lib/pcap/mod.ts";
import { openCaptureFile } from "../lib/runtime/mod.ts";
import { generateCapture } from "./_pcap_gen.ts";

const DATA = new URL("./data/", import.meta.url).pathname;
const FILE = `${DATA}cbpf_filter_200k.pcap`;
const EXPR = "tcp port 80 or udp port 53";
await Deno.mkdir(DATA, { recursive: true });
try {
  await Deno.stat(FILE);
} catch {
  generateCapture(FILE, { packets: 200_000 });
}
const program = compileFilter(EXPR, { linkType: 1 });
const compiled = compileCbpf(program);
const interpreted = compileCbpf(program, { jit: false });
const bytes = await Deno.readFile(FILE);

Deno.bench("tcpdump -r IN -w OUT EXPR", { group: "filter", baseline: true }, async () => {
  const r = await new Deno.Command("tcpdump", {
    args: ["-r", FILE, "-w", `${DATA}cbpf_tcpdump.out`, EXPR],
    stdout: "null",
    stderr: "null",
  }).output();
  if (!r.success) throw new Error("tcpdump failed");
});

Deno.bench(
  "mxy filterCapture (read, filter, write, from the file)",
  { group: "filter" },
  async () => {
    const file = await openCaptureFile(FILE);
    const r = await filterCapture(file.source, EXPR);
    file.close();
    await Deno.writeFile(`${DATA}cbpf_mxy.out`, r.bytes);
  },
);

Deno.bench("mxy filterCapture --engine ebpf --jit (verified eBPF translation)", {
  group: "filter",
}, async () => {
  const file = await openCaptureFile(FILE);
  const r = await filterCapture(file.source, EXPR, { engine: "ebpf", jit: true });
  file.close();
  await Deno.writeFile(`${DATA}cbpf_mxy_ebpf.out`, r.bytes);
});

Deno.bench("classic BPF interpreter, over packets in memory", {
  group: "program",
  baseline: true,
}, async () => {
  let kept = 0;
  await forEachPacket(bytes, (v) => {
    if (interpreted.runAt(v.buf, v.dataOffset, v.caplen, v.origlen) !== 0) kept++;
  }, { decode: false });
  if (kept === 0) throw new Error("nothing kept");
});

Deno.bench(
  "classic BPF compiled to JavaScript, over packets in memory",
  { group: "program" },
  async () => {
    let kept = 0;
    await forEachPacket(bytes, (v) => {
      if (compiled.runAt(v.buf, v.dataOffset, v.caplen, v.origlen) !== 0) kept++;
    }, { decode: false });
    if (kept === 0) throw new Error("nothing kept");
  },
);
