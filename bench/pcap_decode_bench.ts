/**
 * Read + decode throughput of the packet engine on a generated 200,000-packet capture (TCP,
 * DNS over UDP, HTTP over IPv6, VLAN-tagged UDP): record parsing alone, parsing with header
 * decoding, and decoding plus DPI classification and attribute extraction. Packets per second =
 * 200,000 / the time per iteration. The side-by-side comparison with tcpdump and tshark is
 * bench/pcap_compare.ts.
 *
 * Run: deno bench -A bench/pcap_decode_bench.ts
 */
import { forEachPacketInBytes, PcapWriter } from "../lib/pcap/mod.ts";
import { buildPacket } from "../lib/testing/mod.ts";
import { DpiEngine } from "../lib/dpi/mod.ts";

const PACKETS = 200_000;
const enc = new TextEncoder();
const dnsQuery = new Uint8Array([
  0x12,
  0x34,
  1,
  0,
  0,
  1,
  0,
  0,
  0,
  0,
  0,
  0,
  3,
  119,
  119,
  119,
  7,
  101,
  120,
  97,
  109,
  112,
  108,
  101,
  4,
  116,
  101,
  115,
  116,
  0,
  0,
  1,
  0,
  1,
]);
const templates = [
  buildPacket({
    src: "10.0.0.1",
    dst: "10.0.0.2",
    proto: "tcp",
    srcPort: 40000,
    dstPort: 443,
    payload: new Uint8Array(100),
  }),
  buildPacket({
    src: "10.0.0.1",
    dst: "10.0.0.53",
    srcPort: 40001,
    dstPort: 53,
    payload: dnsQuery,
  }),
  buildPacket({
    src: "2001:db8::1",
    dst: "2001:db8::2",
    proto: "tcp",
    srcPort: 40002,
    dstPort: 80,
    payload: enc.encode("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"),
  }),
  buildPacket({
    src: "10.0.0.9",
    dst: "10.0.0.2",
    srcPort: 5000,
    dstPort: 5001,
    payload: new Uint8Array(60),
    vlans: [5],
  }),
];
const writer = new PcapWriter({ nanos: true });
for (let i = 0; i < PACKETS; i++) {
  writer.writePacket(templates[i & 3], { tsSec: 1795316355 + (i >> 10), tsNsec: (i * 997) % 1e9 });
}
const capture = writer.toBytes();

let sink = 0;

Deno.bench({
  name: "read records only (200k packets)",
  group: "pcap",
  baseline: true,
  fn() {
    forEachPacketInBytes(capture, (v) => {
      sink += v.caplen;
    }, { decode: false });
  },
});

Deno.bench({
  name: "read + decode L2-L4 (200k packets)",
  group: "pcap",
  fn() {
    forEachPacketInBytes(capture, (v) => {
      sink += v.dstPort;
    });
  },
});

const classifier = new DpiEngine();
Deno.bench({
  name: "read + decode + classify application protocol (200k packets)",
  group: "pcap",
  fn() {
    forEachPacketInBytes(capture, (v) => {
      sink += classifier.pathKey(v);
    });
  },
});

const extractor = new DpiEngine();
extractor.subscribe(["ip.src", "tcp.dst_port", "dns.id", "dns.qname", "http.host"], (values) => {
  if (values[3] !== undefined) sink++;
});
Deno.bench({
  name: "read + decode + extract ip.src, tcp.dst_port, dns.id, dns.qname, http.host (200k packets)",
  group: "pcap",
  fn() {
    forEachPacketInBytes(capture, (v) => extractor.process(v));
  },
});

globalThis.addEventListener("unload", () => {
  if (sink === -1) console.log(sink);
});
