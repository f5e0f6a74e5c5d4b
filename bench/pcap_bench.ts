/**
 * `deno bench` for the capture engine on a 100,000-packet capture generated with the project's
 * writer (held in memory): read+decode, classify, each correlation mode and the session table.
 * `bench/pcap_compare.ts` runs the side-by-side comparison with tcpdump and tshark.
 *
 * Run: deno bench -A bench/pcap_bench.ts
 *
 * @module
 */
import { generateCapture } from "./_pcap_gen.ts";
import {
  CORRELATE_MODES,
  Correlator,
  FlowPacket,
  forEachPacketInBytes,
  SessionTable,
} from "../lib/pcap/mod.ts";
import { DpiEngine } from "../lib/dpi/mod.ts";

const DATA = new URL("./data", import.meta.url).pathname;
Deno.mkdirSync(DATA, { recursive: true });
const path = `${DATA}/pcap_bench-100k.pcap`;
const gen = generateCapture(path, { packets: 100_000 });
const bytes = Deno.readFileSync(path);
const p = new FlowPacket();

Deno.bench("read+decode 100k packets", { group: "pcap", baseline: true }, () => {
  let n = 0;
  forEachPacketInBytes(bytes, () => {
    n++;
  });
  if (n !== gen.packets) throw new Error(`read ${n} packets`);
});

const engine = new DpiEngine();
Deno.bench("read+decode+classify 100k packets", { group: "pcap" }, () => {
  forEachPacketInBytes(bytes, (v) => {
    engine.classify(v);
  });
});

for (const mode of CORRELATE_MODES) {
  Deno.bench(`read+decode+correlate --mode ${mode}, 100k packets`, { group: "pcap" }, () => {
    const c = new Correlator({ mode });
    forEachPacketInBytes(bytes, (v) => {
      p.readView(v);
      c.push(p);
    });
    if (c.finish().matched !== gen.packets / 10) throw new Error(`${mode}: wrong match count`);
  });
}

Deno.bench("read+decode+sessions 100k packets", { group: "pcap" }, () => {
  const t = new SessionTable();
  forEachPacketInBytes(bytes, (v) => {
    p.readView(v);
    t.push(p);
  });
  t.finish();
});
