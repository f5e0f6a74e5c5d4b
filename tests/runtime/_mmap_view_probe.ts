/**
 * Run by capture_file_test.ts with `--v8-flags=--expose-gc`: maps a capture (`mode: "mmap"`),
 * keeps payload views and subarrays of packet bytes past the end of the read, drops everything
 * else, forces garbage collections (letting the mapping's finalizer run if it could), then reads
 * the kept views. Prints a JSON line: the read mode and whether every kept view still holds its
 * packet's bytes. A view outliving its mapping would crash this process with SIGSEGV instead.
 */
import { PcapWriter } from "../../lib/pcap/mod.ts";
import { forEachPacketInFile } from "../../lib/runtime/mod.ts";
import { buildPacket } from "../../lib/testing/mod.ts";

const gc = (globalThis as unknown as { gc?: () => void }).gc;
if (import.meta.main) await probe();

async function probe(): Promise<void> {
  if (gc === undefined) throw new TypeError("run with --v8-flags=--expose-gc");
  const path = await Deno.makeTempFile({ suffix: ".pcap" });
  const payloads: Uint8Array[] = [];
  const w = new PcapWriter();
  for (let i = 0; i < 500; i++) {
    const payload = new TextEncoder().encode(`packet ${i} `.repeat(1 + (i % 7)));
    payloads.push(payload);
    w.writePacket(buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", dstPort: 9, payload }));
  }
  await Deno.writeFile(path, w.toBytes());
  const kept: Uint8Array[] = [];
  const heads: Uint8Array[] = [];
  const summary = await forEachPacketInFile(path, (v) => {
    kept.push(v.payload());
    heads.push(v.buf.subarray(v.dataOffset, v.dataOffset + 14)); // the Ethernet header
  }, { mode: "mmap" });
  await Deno.remove(path); // the mapping outlives the name, as mmap(2) does
  for (let round = 0; round < 5; round++) {
    gc!();
    await new Promise((r) => setTimeout(r, 10)); // finalizers run between tasks
  }
  let same = kept.length === payloads.length;
  for (let i = 0; same && i < kept.length; i++) {
    same = kept[i].length === payloads[i].length && kept[i].every((b, j) => b === payloads[i][j]);
    same &&= heads[i][12] === 0x08 && heads[i][13] === 0x00; // IPv4 ethertype
  }
  console.log(JSON.stringify({ mode: summary.mode, packets: kept.length, same }));
}
