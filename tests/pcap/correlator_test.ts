import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type CorrelatedPair,
  correlateStream,
  Correlator,
  type CorrelatorOptions,
} from "../../lib/pcap/mod.ts";
import { httpMessageKind } from "../../lib/pcap/http_method.ts";
import { correlateFile } from "../../lib/runtime/mod.ts";
import { formatIpWords, IpAddressError } from "../../lib/core/ip.ts";
import { fixture } from "../_fixtures.ts";
import {
  dnsMessage,
  makeCapture,
  readOracle,
  secondsToNs,
  tcpFramed,
  text,
  type TimedPacket,
} from "./_flow_captures.ts";

interface Pair {
  req: number;
  res: number;
  latency: number;
  last: number;
  lastFrame: number;
  reqProto: number;
  resProto: number;
  reqSrc: string;
  tag: number;
}

async function pairs(
  source: string | Uint8Array,
  options: CorrelatorOptions,
): Promise<{ pairs: Pair[]; c: Correlator }> {
  const out: Pair[] = [];
  const c = new Correlator({
    ...options,
    onMatch: (m: CorrelatedPair) =>
      out.push({
        req: m.request.frame,
        res: m.response.frame,
        latency: m.latencyNs,
        last: m.lastByteLatencyNs,
        lastFrame: m.lastByteFrame,
        reqProto: m.request.proto,
        resProto: m.response.proto,
        reqSrc: formatIpWords(m.request.src, m.request.family),
        tag: m.tag,
      }),
  });
  if (typeof source === "string") await correlateFile(source, c);
  else await correlateStream(source, c);
  c.finish();
  return { pairs: out, c };
}

const LOOPBACK = fixture("pcap/loopback");

Deno.test("dns mode gives tshark's dns.time for every response of every loopback capture", {
  ignore: !LOOPBACK,
}, async () => {
  const files = [...Deno.readDirSync(LOOPBACK!)].map((e) => e.name).filter((n) =>
    /\.(pcap|pcapng)$/.test(n)
  );
  assert.ok(files.length >= 5);
  let compared = 0;
  for (const name of files) {
    const oracle = readOracle(`${LOOPBACK}/${name}.tshark.csv`);
    const expected = oracle.filter((r) => r["dns.time"] !== "").map((r) =>
      `${r["dns.response_to"]}->${r["frame.number"]} ${secondsToNs(r["dns.time"])}`
    ).sort();
    const { pairs: got } = await pairs(`${LOOPBACK}/${name}`, { mode: "dns" });
    const actual = got.map((p) => `${p.req}->${p.res} ${p.latency}`).sort();
    assert.deepEqual(actual, expected, name);
    compared += expected.length;
  }
  assert.ok(compared >= 20, `compared ${compared} DNS latencies`);
});

Deno.test("payload mode finds all 20 UDP-in/TCP-out relay matches with their latencies", {
  ignore: !LOOPBACK,
}, async () => {
  const oracle = readOracle(`${LOOPBACK}/relay-udp-to-tcp.pcap.tshark.csv`);
  const udp = oracle.filter((r) => r["udp.dstport"] === "5000");
  const tcpData = oracle.filter((r) => r["tcp.dstport"] === "6000" && Number(r["tcp.len"]) > 0);
  assert.equal(udp.length, 20);
  assert.equal(tcpData.length, 20);
  const expected = udp.map((u, i) =>
    `${u["frame.number"]}->${tcpData[i]["frame.number"]} ${
      secondsToNs(tcpData[i]["frame.time_epoch"]) - secondsToNs(u["frame.time_epoch"])
    }`
  );
  const { pairs: got, c } = await pairs(`${LOOPBACK}/relay-udp-to-tcp.pcap`, { mode: "payload" });
  assert.deepEqual(got.map((p) => `${p.req}->${p.res} ${p.latency}`), expected);
  assert.ok(got.every((p) => p.reqProto === 17 && p.resProto === 6));
  assert.equal(c.stats.matched, 20);
  assert.equal(c.stats.unmatched, 0);
  assert.equal(c.stats.packets, oracle.length);
});

const A = "10.0.0.1", B = "10.0.0.2", R = "192.168.1.10", S = "192.168.1.20";

Deno.test("payload mode makes the inbound sighting the request when --internal is given", async () => {
  const payload = text("hello relay");
  const packets: TimedPacket[] = [
    // the outbound copy happens to be captured first
    { sec: 1, nsec: 500, src: R, dst: S, proto: "tcp", srcPort: 40000, dstPort: 6000, payload },
    { sec: 1, nsec: 900, src: A, dst: R, proto: "udp", srcPort: 5555, dstPort: 5000, payload },
  ];
  const bytes = makeCapture(packets);
  const plain = await pairs(bytes, { mode: "payload" });
  assert.deepEqual(plain.pairs.map((p) => [p.req, p.res, p.latency]), [[1, 2, 400]]);
  const inside = await pairs(bytes, { mode: "payload", internal: ["192.168.0.0/16"] });
  assert.deepEqual(inside.pairs.map((p) => [p.req, p.res, p.latency]), [[2, 1, -400]]);
});

Deno.test("payload mode does not pair a retransmission on the same flow and direction", async () => {
  const payload = text("same bytes");
  const bytes = makeCapture([
    { sec: 1, nsec: 0, src: A, dst: B, proto: "tcp", srcPort: 1, dstPort: 2, payload },
    { sec: 1, nsec: 10, src: A, dst: B, proto: "tcp", srcPort: 1, dstPort: 2, payload },
    { sec: 1, nsec: 30, src: B, dst: R, proto: "udp", srcPort: 3, dstPort: 4, payload },
  ]);
  const { pairs: got } = await pairs(bytes, { mode: "payload" });
  assert.deepEqual(got.map((p) => [p.req, p.res, p.latency]), [[1, 3, 30]]);
});

Deno.test("seed mode pairs the swapped packet with the same payload, TCP and UDP exchanged", async () => {
  const q = text("seed-request-1");
  const bytes = makeCapture([
    { sec: 5, nsec: 100, src: A, dst: B, proto: "udp", srcPort: 4000, dstPort: 9000, payload: q },
    // same payload, not swapped: no match
    { sec: 5, nsec: 150, src: A, dst: R, proto: "udp", srcPort: 4000, dstPort: 9000, payload: q },
    // swapped addresses but wrong ports: no match
    { sec: 5, nsec: 180, src: B, dst: A, proto: "tcp", srcPort: 9001, dstPort: 4000, payload: q },
    // the response: swapped, TCP instead of UDP
    { sec: 5, nsec: 700, src: B, dst: A, proto: "tcp", srcPort: 9000, dstPort: 4000, payload: q },
  ]);
  const { pairs: got, c } = await pairs(bytes, { mode: "seed" });
  assert.deepEqual(got.map((p) => [p.req, p.res, p.latency, p.reqProto, p.resProto]), [
    [1, 4, 600, 17, 6],
  ]);
  assert.equal(c.stats.unmatched, 2);
});

Deno.test("dns mode pairs by transaction id within a flow, over UDP, TCP and IPv6", async () => {
  const bytes = makeCapture([
    { sec: 1, nsec: 0, src: A, dst: B, srcPort: 3000, dstPort: 53, payload: dnsMessage(7, false) },
    // a retransmitted query keeps the first
    { sec: 1, nsec: 50, src: A, dst: B, srcPort: 3000, dstPort: 53, payload: dnsMessage(7, false) },
    // same id on another flow: not this query's response
    { sec: 1, nsec: 60, src: B, dst: A, srcPort: 53, dstPort: 3001, payload: dnsMessage(7, true) },
    { sec: 1, nsec: 90, src: B, dst: A, srcPort: 53, dstPort: 3000, payload: dnsMessage(7, true) },
    {
      sec: 2,
      nsec: 0,
      src: "fd00::1",
      dst: "fd00::2",
      srcPort: 3002,
      dstPort: 53,
      payload: dnsMessage(9, false),
    },
    {
      sec: 2,
      nsec: 25,
      src: "fd00::2",
      dst: "fd00::1",
      srcPort: 53,
      dstPort: 3002,
      payload: dnsMessage(9, true),
    },
    // two queries in one TCP segment, answered in one segment each
    {
      sec: 3,
      nsec: 0,
      src: A,
      dst: B,
      proto: "tcp",
      srcPort: 3003,
      dstPort: 53,
      tcpFlags: 0x18,
      payload: tcpFramed(dnsMessage(1, false), dnsMessage(2, false)),
    },
    {
      sec: 3,
      nsec: 40,
      src: B,
      dst: A,
      proto: "tcp",
      srcPort: 53,
      dstPort: 3003,
      tcpFlags: 0x18,
      payload: tcpFramed(dnsMessage(2, true)),
    },
    {
      sec: 3,
      nsec: 70,
      src: B,
      dst: A,
      proto: "tcp",
      srcPort: 53,
      dstPort: 3003,
      tcpFlags: 0x18,
      payload: tcpFramed(dnsMessage(1, true)),
    },
  ]);
  const { pairs: got } = await pairs(bytes, { mode: "dns" });
  assert.deepEqual(got.map((p) => [p.req, p.res, p.latency, p.tag]), [
    [1, 4, 90, 7],
    [5, 6, 25, 9],
    [7, 8, 40, 2],
    [7, 9, 70, 1],
  ]);
});

Deno.test("tcp-handshake mode pairs the first SYN with its SYN/ACK", async () => {
  const bytes = makeCapture([
    { sec: 9, nsec: 0, src: A, dst: B, proto: "tcp", srcPort: 1000, dstPort: 80, tcpFlags: 0x02 },
    { sec: 9, nsec: 300, src: A, dst: B, proto: "tcp", srcPort: 1000, dstPort: 80, tcpFlags: 0x02 },
    // a SYN/ACK nobody asked for
    { sec: 9, nsec: 350, src: B, dst: A, proto: "tcp", srcPort: 80, dstPort: 1001, tcpFlags: 0x12 },
    { sec: 9, nsec: 400, src: B, dst: A, proto: "tcp", srcPort: 80, dstPort: 1000, tcpFlags: 0x12 },
    { sec: 9, nsec: 450, src: A, dst: B, proto: "tcp", srcPort: 1000, dstPort: 80, tcpFlags: 0x10 },
  ]);
  const { pairs: got } = await pairs(bytes, { mode: "tcp-handshake" });
  assert.deepEqual(got.map((p) => [p.req, p.res, p.latency]), [[1, 4, 400]]);
});

Deno.test("http mode gives tshark's http.time as the latency to the response's last byte", {
  ignore: !LOOPBACK,
}, async () => {
  let compared = 0;
  for (const name of ["mixed.pcapng", "mixed-nsec.pcap", "mixed-usec.pcap"]) {
    const oracle = readOracle(`${LOOPBACK}/${name}.tshark.csv`);
    const expected = oracle.filter((r) => r["http.time"] !== "").map((r) =>
      `${r["frame.number"]} ${secondsToNs(r["http.time"])}`
    );
    const { pairs: got } = await pairs(`${LOOPBACK}/${name}`, { mode: "http" });
    assert.deepEqual(got.map((p) => `${p.lastFrame} ${p.last}`), expected, name);
    // The first byte comes before the last: the headers' segment, then the body's.
    assert.ok(got.every((p) => p.res < p.lastFrame && p.latency > 0 && p.latency < p.last));
    compared += expected.length;
  }
  assert.equal(compared, 6);
});

/** A TCP segment of the 50000 ↔ 8080 connection at `nsec`, with proper sequence numbers. */
function httpConnection() {
  let client = 1, server = 1;
  return (nsec: number, fromClient: boolean, payload: string, seq?: number): TimedPacket => {
    const bytes = text(payload);
    const at = seq ?? (fromClient ? client : server);
    if (seq === undefined) {
      if (fromClient) client += bytes.length;
      else server += bytes.length;
    }
    return {
      sec: 20,
      nsec,
      src: fromClient ? A : B,
      dst: fromClient ? B : A,
      proto: "tcp",
      srcPort: fromClient ? 50000 : 8080,
      dstPort: fromClient ? 8080 : 50000,
      tcpFlags: 0x18,
      seq: at,
      payload: bytes,
    };
  };
}

Deno.test("http mode answers pipelined requests in order, to the first and the last byte", async () => {
  const tcp = httpConnection();
  const bytes = makeCapture([
    tcp(0, true, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\n"),
    tcp(10, true, "Content-Length: 3\r\n\r\nabc"), // completes the POST
    tcp(100, false, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nbody "),
    tcp(120, false, "bytes"),
    tcp(300, false, "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc"),
    tcp(450, false, "\r\n0\r\n\r\n"),
  ]);
  const { pairs: got } = await pairs(bytes, { mode: "http" });
  assert.deepEqual(got.map((p) => [p.req, p.res, p.latency, p.lastFrame, p.last]), [
    [1, 3, 100, 4, 120],
    [2, 5, 290, 6, 440],
  ]);
});

Deno.test("http mode reads responses from reordered and repeated segments, HEAD without a body", async () => {
  const tcp = httpConnection();
  const head = "HEAD /h HTTP/1.1\r\n\r\n";
  const res = "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n";
  const get = "GET /g HTTP/1.1\r\n\r\n";
  const res2 = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nwxyz";
  const bytes = makeCapture([
    { ...tcp(0, true, ""), tcpFlags: 0x02, seq: 0 }, // SYN
    { ...tcp(1, false, ""), tcpFlags: 0x12, seq: 0 }, // SYN/ACK
    tcp(10, true, head),
    tcp(20, true, get),
    tcp(100, false, res.slice(0, 20)),
    tcp(130, false, res2.slice(4), 1 + res.length + 4), // ahead of a hole: waits
    tcp(150, false, res.slice(20) + res2.slice(0, 4), 1 + 20), // fills it
    tcp(160, false, res.slice(20) + res2.slice(0, 4), 1 + 20), // a retransmission
  ]);
  const { pairs: got, c } = await pairs(bytes, { mode: "http" });
  // The HEAD response has no body despite its Content-Length; the GET's completes at 150 ns.
  assert.deepEqual(got.map((p) => [p.req, p.res, p.latency, p.lastFrame, p.last]), [
    [3, 5, 90, 7, 140],
    [4, 7, 130, 7, 130],
  ]);
  assert.equal(c.reassembly!.retransmitted, res.length - 20 + 4);
});

Deno.test("a response after the window does not match and the request counts as expired", async () => {
  const bytes = makeCapture([
    { sec: 1, nsec: 0, src: A, dst: B, srcPort: 3000, dstPort: 53, payload: dnsMessage(1, false) },
    { sec: 3, nsec: 1, src: B, dst: A, srcPort: 53, dstPort: 3000, payload: dnsMessage(1, true) },
    { sec: 4, nsec: 0, src: A, dst: B, srcPort: 3000, dstPort: 53, payload: dnsMessage(2, false) },
    { sec: 5, nsec: 0, src: B, dst: A, srcPort: 53, dstPort: 3000, payload: dnsMessage(2, true) },
  ]);
  const { pairs: got, c } = await pairs(bytes, { mode: "dns", windowNs: 2e9 });
  assert.deepEqual(got.map((p) => [p.req, p.res]), [[3, 4]]);
  assert.equal(c.stats.expired, 1);
  assert.equal(c.stats.unmatched, 1);
  assert.equal(c.stats.matched, 1);
});

Deno.test("the pending store holds at most maxPending packets and evicts the oldest", async () => {
  const packets: TimedPacket[] = [];
  for (let i = 0; i < 5; i++) {
    packets.push({
      sec: 1,
      nsec: i,
      src: A,
      dst: B,
      srcPort: 3000,
      dstPort: 53,
      payload: dnsMessage(i, false),
    });
  }
  for (let i = 0; i < 5; i++) {
    packets.push({
      sec: 1,
      nsec: 100 + i,
      src: B,
      dst: A,
      srcPort: 53,
      dstPort: 3000,
      payload: dnsMessage(i, true),
    });
  }
  const { pairs: got, c } = await pairs(makeCapture(packets), { mode: "dns", maxPending: 3 });
  assert.deepEqual(got.map((p) => p.tag), [2, 3, 4]);
  assert.equal(c.stats.evicted, 2);
  assert.equal(c.stats.unmatched, 2);
  assert.equal(c.stats.pending, 0);
});

Deno.test("statistics count packets read, decoded and decode errors", async () => {
  const good = makeCapture([
    { sec: 1, nsec: 0, src: A, dst: B, srcPort: 3000, dstPort: 53, payload: dnsMessage(1, false) },
  ]);
  // Append a record whose IPv4 header has a bad version nibble.
  const bad = new Uint8Array(good.length + 16 + 34);
  bad.set(good);
  const rec = new DataView(bad.buffer, good.length);
  rec.setUint32(0, 2, true);
  rec.setUint32(8, 34, true);
  rec.setUint32(12, 34, true);
  bad[good.length + 16 + 12] = 0x08;
  bad[good.length + 16 + 14] = 0x75; // version 7
  const { c } = await pairs(bad, { mode: "dns" });
  assert.equal(c.stats.packets, 2);
  assert.equal(c.stats.decoded, 1);
  assert.equal(c.stats.errors, 1);
  assert.equal(c.stats.unmatched, 1);
});

Deno.test("Correlator rejects an unknown mode and internal networks the one IP module refuses", () => {
  assert.throws(() => new Correlator({ mode: "nope" as never }), TypeError);
  for (const bad of ["10.0.0.0/40", "01.2.3.4/8", "1.2.3.4/08", "10.0.0.1/8", "10.0.0"]) {
    assert.throws(() => new Correlator({ internal: [bad] }), IpAddressError, bad);
  }
  new Correlator({ internal: ["10.0.0.0/8", "fd00::/8", "192.0.2.1"] });
});

Deno.test("httpMessageKind() tells requests from responses", () => {
  const t = (s: string) => text(s);
  assert.equal(httpMessageKind(t("DELETE /x HTTP/1.1"), 0, 18), 1);
  assert.equal(httpMessageKind(t("GETX / HTTP/1.1"), 0, 15), 0);
  assert.equal(httpMessageKind(t("HTTP/1.1 404"), 0, 12), 2);
});

Deno.test("payload mode pairs exactly the payloads seen twice (property)", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 30 }),
      async (ids) => {
        // Packet i carries payload "p<id>"; alternate flows so no two are the same directed flow.
        const packets: TimedPacket[] = ids.map((id, i) => ({
          sec: 1,
          nsec: i * 10,
          src: A,
          dst: B,
          proto: i % 2 ? "tcp" : "udp",
          srcPort: 1000 + i,
          dstPort: 80,
          payload: text(`p${id}`),
        }));
        const { pairs: got } = await pairs(makeCapture(packets), { mode: "payload" });
        // Model: each payload's sightings pair up in order (1st with 2nd, 3rd with 4th …).
        const open = new Map<number, number>();
        const want: string[] = [];
        ids.forEach((id, i) => {
          const first = open.get(id);
          if (first === undefined) open.set(id, i + 1);
          else {
            want.push(`${first}->${i + 1}`);
            open.delete(id);
          }
        });
        assert.deepEqual(got.map((p) => `${p.req}->${p.res}`), want);
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("correlateStream() keeps pending packets across consecutive files (rotated captures)", async () => {
  const first = makeCapture([
    { sec: 1, nsec: 0, src: A, dst: B, srcPort: 3000, dstPort: 53, payload: dnsMessage(5, false) },
  ]);
  const second = makeCapture([
    { sec: 1, nsec: 800, src: B, dst: A, srcPort: 53, dstPort: 3000, payload: dnsMessage(5, true) },
  ]);
  const got: number[] = [];
  const c = new Correlator({ mode: "dns", onMatch: (m) => got.push(m.latencyNs) });
  await correlateStream(first, c);
  assert.equal(c.snapshot().pending, 1);
  await correlateStream(new Blob([second as Uint8Array<ArrayBuffer>]).stream(), c);
  assert.deepEqual(got, [800]);
  assert.equal(c.finish().unmatched, 0);
});

Deno.test("dns mode finds DNS off port 53 when a classifier names it", async () => {
  const bytes = makeCapture([
    {
      sec: 1,
      nsec: 0,
      src: A,
      dst: B,
      srcPort: 3000,
      dstPort: 5300,
      payload: dnsMessage(3, false),
    },
    {
      sec: 1,
      nsec: 40,
      src: B,
      dst: A,
      srcPort: 5300,
      dstPort: 3000,
      payload: dnsMessage(3, true),
    },
  ]);
  const plain = await pairs(bytes, { mode: "dns" });
  assert.equal(plain.pairs.length, 0);
  const got: number[] = [];
  const c = new Correlator({ mode: "dns", onMatch: (m) => got.push(m.latencyNs) });
  await correlateStream(bytes, c, {
    classify: (p) => (p.sport === 5300 || p.dport === 5300 ? "dns" : ""),
  });
  assert.deepEqual(got, [40]);
});

Deno.test("repeated requests while the first waits are counted as duplicates", async () => {
  const bytes = makeCapture([
    { sec: 9, nsec: 0, src: A, dst: B, proto: "tcp", srcPort: 1000, dstPort: 80, tcpFlags: 0x02 },
    { sec: 9, nsec: 300, src: A, dst: B, proto: "tcp", srcPort: 1000, dstPort: 80, tcpFlags: 0x02 },
    { sec: 9, nsec: 400, src: A, dst: B, proto: "tcp", srcPort: 1000, dstPort: 80, tcpFlags: 0x02 },
  ]);
  const { c } = await pairs(bytes, { mode: "tcp-handshake" });
  assert.equal(c.stats.duplicates, 2);
  assert.equal(c.stats.unmatched, 1);
});

Deno.test("onUnmatched reports each lost packet once, with expired, evicted or end", async () => {
  const q = (nsec: number, sec: number, id: number): TimedPacket => ({
    sec,
    nsec,
    src: A,
    dst: B,
    srcPort: 3000,
    dstPort: 53,
    payload: dnsMessage(id, false),
  });
  const bytes = makeCapture([
    q(0, 1, 1), // expires when the packet at 10 s arrives
    q(0, 10, 2), // evicted by the fourth query (bound 2)
    q(1, 10, 3),
    q(2, 10, 4),
    { sec: 10, nsec: 9, src: B, dst: A, srcPort: 53, dstPort: 3000, payload: dnsMessage(3, true) },
  ]);
  const lost: string[] = [];
  const c = new Correlator({
    mode: "dns",
    windowNs: 5e9,
    maxPending: 2,
    onUnmatched: (s, reason) => lost.push(`${s.frame}:${reason}`),
  });
  await correlateStream(bytes, c);
  const stats = c.finish();
  assert.deepEqual(lost, ["1:expired", "2:evicted", "4:end"]);
  assert.deepEqual([stats.matched, stats.unmatched, stats.expired, stats.evicted], [1, 3, 1, 1]);
});

/**
 * A capture spanning 30 years: a packet in 2000, then a DNS query in 2030 answered 3,000 ns later
 * (and a SYN answered 3,001 ns later). Float nanoseconds from the first packet (about 9.5e17)
 * would round these to a multiple of 128.
 */
function decadesCapture(): Uint8Array {
  const far = 1_900_000_000;
  return makeCapture([
    { src: "10.0.0.9", dst: "10.0.0.8", srcPort: 1, dstPort: 2, sec: 946_684_800, nsec: 0 },
    {
      src: "10.0.0.1",
      dst: "10.0.0.53",
      srcPort: 4000,
      dstPort: 53,
      payload: dnsMessage(7, false),
      sec: far,
      nsec: 999_999_000,
    },
    {
      src: "10.0.0.53",
      dst: "10.0.0.1",
      srcPort: 53,
      dstPort: 4000,
      payload: dnsMessage(7, true),
      sec: far + 1,
      nsec: 2_000,
    },
    { ...syn, sec: far + 5, nsec: 123_456_789 },
    { ...synAck, sec: far + 5, nsec: 123_459_790 },
  ]);
}
const syn: TimedPacket = {
  src: "10.0.0.1",
  dst: "10.0.0.2",
  proto: "tcp",
  srcPort: 40000,
  dstPort: 80,
  tcpFlags: 0x02,
  sec: 0,
  nsec: 0,
};
const synAck: TimedPacket = {
  ...syn,
  src: "10.0.0.2",
  dst: "10.0.0.1",
  srcPort: 80,
  dstPort: 40000,
  tcpFlags: 0x12,
};

Deno.test("latencies are exact integer nanoseconds on a capture spanning decades", async () => {
  const bytes = decadesCapture();
  const dns = await pairs(bytes, { mode: "dns" });
  assert.deepEqual(dns.pairs.map((p) => p.latency), [3000]);
  const handshake = await pairs(bytes, { mode: "tcp-handshake" });
  assert.deepEqual(handshake.pairs.map((p) => p.latency), [3001]);
  // The window is measured exactly too: 3,000 ns is outside a 2,999 ns window.
  const tight = await pairs(bytes, { mode: "dns", windowNs: 2999 });
  assert.deepEqual([tight.pairs.length, tight.c.stats.expired], [0, 1]);
});
