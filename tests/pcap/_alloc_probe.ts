/**
 * Run by decode_test.ts with `--v8-flags=--trace-gc,--expose-gc`: reads and decodes 1,000,000
 * packets (a 100,000-packet pcapng capture with nanosecond and microsecond interfaces, VLAN tags,
 * TCP options, IPv6 extension headers and Linux SLL, read 10 times) between two forced
 * collections, or runs an allocating callback when given `allocate`, so the test can count the
 * collections in between.
 */
import { forEachPacketInBytes, PacketView, PcapWriter } from "../../lib/pcap/mod.ts";
import { buildPacket } from "../../lib/testing/mod.ts";

// (minor collections: a full one would also throw away the optimized code)
const gc = (globalThis as unknown as { gc?: (o: { type: string }) => void }).gc;
if (import.meta.main && gc !== undefined) probe(gc);

function probe(gc: (o: { type: string }) => void): void {
  const allocate = Deno.args[0] === "allocate";
  const pkts = [
    buildPacket({
      src: "10.0.0.1",
      dst: "10.0.0.2",
      proto: "tcp",
      srcPort: 1,
      dstPort: 2,
      seq: 0xfffffff0,
      vlans: [3, 4],
      tcpOptions: new Uint8Array([2, 4, 5, 180, 1, 3, 3, 7]),
    }),
    buildPacket({
      src: "2001:db8::1",
      dst: "2001:db8::2",
      srcPort: 1,
      dstPort: 53,
      ipv6Ext: [0, 60],
    }),
    buildPacket({ linktype: 113, src: "10.0.0.3", dst: "10.0.0.4", proto: "icmp" }),
  ];
  const w = new PcapWriter({ format: "pcapng", nanos: true });
  w.addInterface(113, { tsresol: 6 });
  for (let i = 0; i < 100000; i++) {
    w.writePacket(pkts[i % 3], {
      tsSec: 1795316355 + (i >> 8),
      tsNsec: (i * 7919) % 1e9,
      iface: i % 3 === 2 ? 1 : 0,
    });
  }
  const cap = w.toBytes();
  const view = new PacketView();
  let sum = 0;
  let keep: unknown = null;
  const cb = allocate
    ? (v: PacketView) => {
      keep = { port: v.dstPort };
      sum = (sum + v.dstPort) & 0xffff;
    }
    : (v: PacketView) => {
      sum = (sum + v.dstPort + v.tcpMss + v.ip6Src[3] + v.tsSec + v.tsNsec + v.tcpSeq) & 0xffff;
    };
  for (let i = 0; i < 20; i++) forEachPacketInBytes(cap, cb, { view }); // let the JIT settle
  // forced collections (reason "testing" in the trace) bracket the measured loop
  gc({ type: "minor" });
  for (let i = 0; i < 10; i++) forEachPacketInBytes(cap, cb, { view });
  gc({ type: "minor" });
  // On standard error: V8's --trace-gc lines go to standard output through C stdio buffers, and
  // a line printed there could land inside the forced collection's line (the test then missed
  // its marker and counted it as a collection during the probe).
  console.error(sum, keep !== undefined);
}
