/**
 * One packet workload on a capture, in a process of its own (so that the JIT state one workload
 * leaves does not slow the next), for bench/pcap_compare.ts: prints one JSON line with the best
 * wall-clock and CPU milliseconds of the runs, the packets read, the reassembly's peak held
 * bytes and the process's resident memory.
 *
 * Usage: deno run -A bench/_pcap_workload.ts FILE WORKLOAD RUNS
 *
 * Workloads: `read` (the reader alone), `decode` (read + decode to a `FlowPacket`), `reassemble` (every TCP byte handed to a handler),
 * `reassemble-count` (sequence counting only, as `pcap flows` does), `fields` and
 * `fields-no-reassemble` (the DPI engine with dns.qname, http.host and tls.sni subscribed),
 * `sessions` and `sessions-reassemble` (the session table without and with counting).
 *
 * @module
 */
import process from "node:process";
import { FlowPacket, SessionTable, TcpReassembler } from "../lib/pcap/mod.ts";
import { forEachPacketInFile } from "../lib/runtime/mod.ts";
import { DpiEngine } from "../lib/dpi/mod.ts";

const [file, workload, runsText] = Deno.args;
const runs = Number(runsText ?? "3");
const p = new FlowPacket();

/** Runs the workload once; returns packets read and the reassembly's peak held bytes. */
async function once(): Promise<{ packets: number; peak: number }> {
  let packets = 0, peak = 0;
  switch (workload) {
    case "read": {
      const s = await forEachPacketInFile(file, () => {});
      packets = s.packets;
      break;
    }
    case "decode": {
      const s = await forEachPacketInFile(file, (v) => {
        p.readView(v);
      });
      packets = s.packets;
      break;
    }
    case "reassemble":
    case "reassemble-count": {
      let sum = 0;
      const r = new TcpReassembler(
        workload === "reassemble"
          ? {
            handler: {
              open: () => true,
              data: (_s, bytes, offset, length) => {
                sum += bytes[offset] + length; // touch the bytes
              },
              gap: () => {},
              end: () => {},
            },
          }
          : {},
      );
      const s = await forEachPacketInFile(file, (v) => {
        p.readView(v);
        r.push(p);
      });
      peak = r.finish().peakBufferedBytes;
      packets = s.packets + (sum < 0 ? 1 : 0);
      break;
    }
    case "fields":
    case "fields-no-reassemble": {
      const engine = new DpiEngine({ reassemble: workload === "fields" });
      let rows = 0;
      engine.subscribe(["dns.qname", "http.host", "tls.sni"], () => {
        rows++;
      });
      const s = await forEachPacketInFile(file, (v) => engine.process(v));
      peak = engine.finish()?.peakBufferedBytes ?? 0;
      packets = s.packets + (rows < 0 ? 1 : 0);
      break;
    }
    case "sessions":
    case "sessions-reassemble": {
      const table = new SessionTable({ reassemble: workload === "sessions-reassemble" });
      const s = await forEachPacketInFile(file, (v) => {
        p.readView(v);
        table.push(p);
      });
      table.finish();
      packets = s.packets;
      break;
    }
    default:
      throw new TypeError(`Unknown workload "${workload}"`);
  }
  return { packets, peak };
}

let wall = Infinity, cpu = Infinity, packets = 0, peak = 0;
for (let i = 0; i < runs; i++) {
  const c0 = process.cpuUsage();
  const t = performance.now();
  const r = await once();
  const w = performance.now() - t;
  const c = process.cpuUsage(c0);
  wall = Math.min(wall, w);
  cpu = Math.min(cpu, (c.user + c.system) / 1000);
  packets = r.packets;
  peak = Math.max(peak, r.peak);
}
console.log(JSON.stringify({
  workload,
  packets,
  wallMs: wall,
  cpuMs: cpu,
  peakBufferedBytes: peak,
  rssMiB: Math.round(Deno.memoryUsage().rss / 2 ** 20),
}));
