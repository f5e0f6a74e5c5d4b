/**
 * Writes testdata/sample.pcapng: a small capture made with mxy's own packet builder and writer
 * (DNS queries and answers, and an HTTP request), used by the examples in the README and
 * docs/. Run: deno run --allow-write testdata/make_sample_capture.ts
 *
 * @module
 */
import { LinkType, PcapWriter } from "../lib/pcap/mod.ts";
import { buildPacket } from "../lib/testing/mod.ts";
import { writeFileAtomic } from "../lib/runtime/mod.ts";

function dnsMessage(id: number, name: string, response: boolean): Uint8Array {
  const labels = name.split(".").flatMap((l) => [l.length, ...new TextEncoder().encode(l)]);
  const question = [...labels, 0, 0, 1, 0, 1];
  const header = [id >> 8, id & 0xff, response ? 0x81 : 0x01, response ? 0x80 : 0x00, 0, 1];
  const answers = response ? [0, 1, 0, 0, 0, 0] : [0, 0, 0, 0, 0, 0];
  const answer = response ? [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7] : [];
  return new Uint8Array([...header, ...answers, ...question, ...answer]);
}

const w = new PcapWriter({ format: "pcapng", linktype: LinkType.ETHERNET, nanos: true });
const t0 = 1795316355;
const names = ["login-verify.example", "host42.dyn.bad.example", "www.example.org"];
names.forEach((name, i) => {
  const id = 0x1000 + i;
  const port = 40000 + i;
  w.writePacket(
    buildPacket({
      src: "10.0.0.5",
      dst: "10.0.0.53",
      proto: "udp",
      srcPort: port,
      dstPort: 53,
      payload: dnsMessage(id, name, false),
    }),
    { tsSec: t0 + i, tsNsec: 104021814 },
  );
  w.writePacket(
    buildPacket({
      src: "10.0.0.53",
      dst: "10.0.0.5",
      proto: "udp",
      srcPort: 53,
      dstPort: port,
      payload: dnsMessage(id, name, true),
    }),
    { tsSec: t0 + i, tsNsec: 104101463 + 1000 * i },
  );
});
w.writePacket(
  buildPacket({
    src: "10.0.0.5",
    dst: "198.51.100.23",
    proto: "tcp",
    srcPort: 41000,
    dstPort: 80,
    tcpFlags: 0x18,
    seq: 1,
    ack: 1,
    payload: new TextEncoder().encode(
      "GET /login HTTP/1.1\r\nHost: login-verify.example\r\nUser-Agent: demo\r\n\r\n",
    ),
  }),
  { tsSec: t0 + 4, tsNsec: 5 },
);
await writeFileAtomic(new URL("./sample.pcapng", import.meta.url).pathname, w.toBytes());
