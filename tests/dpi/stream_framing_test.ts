/**
 * The DPI engine over reassembled TCP streams: HTTP, DNS over TCP and TLS messages that span
 * segments or share one, read from made captures with reordered, repeated and overlapping
 * segments, against tshark's reassembled fields.
 */
import assert from "node:assert/strict";
import { hasProgram } from "../_fixtures.ts";
import { Conversation, type Segment } from "./_conversation.ts";
import { clientHello, dnsMessage, engineRows, tempCapture, tsharkRows } from "./_packets.ts";
import fc from "fast-check";
import { buildPacket, type PacketSpec } from "../../lib/testing/mod.ts";
import { DpiEngine } from "../../lib/dpi/mod.ts";
import { forEachPacketInBytes, PcapWriter } from "../../lib/pcap/mod.ts";

const TSHARK = hasProgram("tshark");

/** Rows of frames where at least one field is present (frame number first). */
function present(rows: string[][]): string[][] {
  return rows.filter((r) => r.slice(1).some((x) => x !== ""));
}

const cookie = "c=" + "x".repeat(3000);
const req1 = `GET /one HTTP/1.1\r\nHost: h.test\r\nCookie: ${cookie}\r\n\r\n`;
const req2 = "GET /two HTTP/1.1\r\nHost: h.test\r\n\r\n";
const req3 = "POST /three HTTP/1.1\r\nHost: h.test\r\nContent-Length: 4\r\n\r\nabcd";
const body1 = "b".repeat(3000);
const res1 = `HTTP/1.1 200 OK\r\nContent-Length: ${body1.length}\r\n\r\n${body1}`;
const res2 = "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n" +
  "10\r\n0123456789abcdef\r\n5\r\nhello\r\n0\r\n\r\n";
const res3 = "HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhello";

/** An HTTP/1.1 connection: a request whose cookie spans three segments, two pipelined in one
 * segment; a response whose body spans segments, a chunked one, and one more. */
function httpPackets(order: "in-order" | "shuffled"): PacketSpec[] {
  const c = new Conversation(req1 + req2 + req3, res1 + res2 + res3);
  const cs = c.cut("client", [1400, 2800, req1.length]);
  const ss = c.cut("server", [
    1400,
    2800,
    res1.length - 10,
    res1.length + 40,
    res1.length + res2.length,
  ]);
  const client: Segment[] = order === "in-order" ? cs : [cs[1], cs[0], cs[0], cs[2], cs[3]];
  // Shuffled, the server also sends a copy overlapping two segments.
  const overlap: Segment = { from: "server", start: 1000, end: 2000 };
  const server: Segment[] = order === "in-order"
    ? ss
    : [ss[0], overlap, ss[2], ss[1], ...ss.slice(3)];
  return [
    ...c.handshake(),
    ...client.map((s) => c.packet(s)),
    ...server.map((s) => c.packet(s, c.client.length)),
    ...c.fins(),
  ];
}

const HTTP_OURS = ["http.method", "http.uri", "http.host", "http.status"];
const HTTP_THEIRS = [
  "frame.number",
  "http.request.method",
  "http.request.uri",
  "http.host",
  "http.response.code",
];

for (const order of ["in-order", "shuffled"] as const) {
  Deno.test({
    name:
      `HTTP messages spanning segments and pipelined are reported where tshark reports them (${order})`,
    ignore: !TSHARK,
    async fn() {
      const { path, bytes } = await tempCapture(httpPackets(order));
      const theirs = await tsharkRows(path, HTTP_THEIRS);
      await Deno.remove(path);
      const ours = engineRows(bytes, HTTP_OURS);
      assert.deepEqual(ours, theirs);
      assert.deepEqual(present(ours).map((r) => r.slice(1).join("|")), [
        "GET|/one|h.test|",
        "GET,POST|/two,/three|h.test,h.test|",
        "|||200",
        "|||404",
        "|||201",
      ]);
    },
  });
}

Deno.test("HTTP read packet by packet (reassemble: false) sees only what each segment starts", async () => {
  const { path, bytes } = await tempCapture(httpPackets("in-order"));
  await Deno.remove(path);
  const ours = present(engineRows(bytes, HTTP_OURS, { reassemble: false }));
  // The first request's segment starts it (its Host is in it), the pipelined segment shows its
  // first request only, and a response only where a segment starts with it: the 404 starts
  // in the middle of a segment and is not seen.
  assert.deepEqual(ours.map((r) => r.slice(1).join("|")), [
    "GET|/one|h.test|",
    "GET|/two|h.test|",
    "|||200",
    "|||201",
  ]);
});

/** DNS over TCP: two queries in one segment, then a response split over two segments. */
function dnsPackets(): PacketSpec[] {
  const framed = (...m: Uint8Array[]) => {
    const out: number[] = [];
    for (const x of m) out.push(x.length >> 8, x.length & 255, ...x);
    return new Uint8Array(out);
  };
  const q1 = dnsMessage(0x1111, "one.example.test");
  const q2 = dnsMessage(0x2222, "two.example.test");
  const r1 = dnsMessage(0x1111, "one.example.test", { response: true, answers: [[192, 0, 2, 1]] });
  const r2 = dnsMessage(0x2222, "two.example.test", { response: true, answers: [[192, 0, 2, 2]] });
  const c = new Conversation(framed(q1, q2), framed(r1, r2), { serverPort: 53 });
  const split = 2 + r1.length + 9; // inside the second response's header
  return [
    ...c.handshake(),
    ...c.cut("client", []).map((s) => c.packet(s)),
    ...c.cut("server", [10, split]).map((s) => c.packet(s, c.client.length)),
    ...c.fins(),
  ];
}

Deno.test({
  name:
    "DNS over TCP: several messages per segment and messages split over segments, as tshark reads them",
  ignore: !TSHARK,
  async fn() {
    const { path, bytes } = await tempCapture(dnsPackets());
    const theirs = await tsharkRows(path, ["frame.number", "dns.id", "dns.qry.name", "dns.a"]);
    await Deno.remove(path);
    const ours = engineRows(bytes, ["dns.id", "dns.qname", "dns.answers"]);
    // tshark prints ids in hex.
    const hex = (ids: string) =>
      ids === ""
        ? ""
        : ids.split(",").map((x) => "0x" + Number(x).toString(16).padStart(4, "0")).join(",");
    assert.deepEqual(ours.map((r) => [r[0], hex(r[1]), r[2], r[3]]), theirs);
    assert.deepEqual(present(ours).map((r) => r.slice(1).join("|")), [
      "4369,8738|one.example.test,two.example.test|",
      "4369|one.example.test|192.0.2.1",
      "8738|two.example.test|192.0.2.2",
    ]);
  },
});

/** A TLS 1.2 record. */
function record(type: number, body: number[]): number[] {
  return [type, 3, 3, body.length >> 8, body.length & 255, ...body];
}

/** A handshake message. */
function handshake(type: number, body: number[]): number[] {
  return [type, body.length >> 16, (body.length >> 8) & 255, body.length & 255, ...body];
}

/** TLS 1.2: the client's hello, then key exchange, ChangeCipherSpec and the encrypted Finished
 * in one segment; the server's hello, a certificate record spanning three segments, and done. */
function tlsPackets(): PacketSpec[] {
  const serverHello = handshake(2, [3, 3, ...new Array(32).fill(9), 0, 0xc0, 0x2f, 0, 0, 0]);
  const cert = new Array(3900).fill(0).map((_, i) => (i * 31) & 255);
  const certificate = handshake(
    11,
    [
      0,
      (cert.length + 3) >> 8,
      (cert.length + 3) & 255,
      0,
      cert.length >> 8,
      cert.length & 255,
      ...cert,
    ].slice(0, 3 + 3 + cert.length),
  );
  const server = [
    ...record(0x16, serverHello),
    ...record(0x16, certificate),
    ...record(0x16, handshake(14, [])),
  ];
  const encryptedFinished = [
    ...new Array(8).fill(0),
    ...new Array(32).fill(0).map((_, i) => (i * 73 + 41) & 255),
  ];
  const hello = [...clientHello("stream.example.test", ["h2"])];
  const client = [
    ...hello,
    ...record(0x16, handshake(16, [0, 32, ...new Array(32).fill(5)])),
    ...record(0x14, [1]),
    ...record(0x16, encryptedFinished),
  ];
  const c = new Conversation(new Uint8Array(client), new Uint8Array(server), { serverPort: 443 });
  return [
    ...c.handshake(),
    ...c.cut("client", [hello.length]).slice(0, 1).map((s) => c.packet(s)),
    ...c.cut("server", [100, 1500, 2900]).map((s) => c.packet(s, hello.length)),
    ...c.cut("client", [hello.length]).slice(1).map((s) => c.packet(s, server.length)),
    ...c.fins(),
  ];
}

Deno.test({
  name:
    "TLS records split over segments and several to a segment, encrypted ones without a type, as tshark reads them",
  ignore: !TSHARK,
  async fn() {
    const { path, bytes } = await tempCapture(tlsPackets());
    const theirs = await tsharkRows(path, [
      "frame.number",
      "tls.record.content_type",
      "tls.handshake.type",
      "tls.handshake.extensions_server_name",
    ]);
    await Deno.remove(path);
    const ours = engineRows(bytes, ["tls.content_type", "tls.handshake_type", "tls.sni"]);
    assert.deepEqual(ours, theirs);
    assert.deepEqual(present(ours).map((r) => r.slice(1).join("|")), [
      "22|1|stream.example.test",
      "22|2|",
      "22,22|11,14|", // the certificate ends in the segment that holds ServerHelloDone
      "22,20,22|16|",
    ]);
  },
});

Deno.test("DNS over TCP: every message is read once whatever the segmentation and order (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 0xffff }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      (ids, cuts, order) => {
        const framed: number[] = [];
        for (const id of ids) {
          const m = dnsMessage(id, `n${id}.example.test`);
          framed.push(m.length >> 8, m.length & 255, ...m);
        }
        const c = new Conversation(new Uint8Array(framed), "", { serverPort: 53 });
        const segs = c.cut(
          "client",
          [...new Set(cuts.map((x) => 1 + (x % (framed.length - 1))))].sort((a, b) => a - b),
        );
        // Shuffle all but the first segment (the stream's start is known from the SYN anyway).
        for (let i = segs.length - 1; i > 0; i--) {
          const j = (order[i % Math.max(order.length, 1)] ?? 0) % (i + 1);
          [segs[i], segs[j]] = [segs[j], segs[i]];
        }
        const w = new PcapWriter({ nanos: true });
        [...c.handshake(), ...segs.map((s) => c.packet(s)), ...c.fins()].forEach((p, i) =>
          w.writePacket(buildPacket(p), { tsSec: 1, tsNsec: i })
        );
        const engine = new DpiEngine();
        const seen: number[] = [];
        engine.subscribe(["dns.id"], (values) => {
          if (values[0] !== undefined) seen.push(...String(values[0]).split(",").map(Number));
        });
        forEachPacketInBytes(w.toBytes(), (v) => engine.process(v));
        engine.finish();
        assert.deepEqual(seen, ids);
        assert.equal(engine.messages, ids.length);
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("the engine reassembles only for subscribed plugins with framing, and reports its counters", async () => {
  const { path, bytes } = await tempCapture(dnsPackets());
  await Deno.remove(path);
  const plain = new DpiEngine();
  plain.subscribe(["tcp.dst_port"], () => {});
  forEachPacketInBytes(bytes, (v) => plain.process(v));
  assert.equal(plain.reassembly, null);
  assert.equal(plain.finish(), null);
  const streams = new DpiEngine();
  streams.subscribe(["dns.qname"], () => {});
  forEachPacketInBytes(bytes, (v) => streams.process(v));
  const stats = streams.finish()!;
  assert.equal(stats.connections, 1);
  assert.equal(streams.messages, 4);
  assert.equal(stats.retransmitted, 0);
});

Deno.test("HTTP: every pipelined request's start line and headers come from the framer's one reading, however the bytes are cut (property)", () => {
  const caseArb = fc.constantFrom("Host", "host", "HOST");
  const wsArb = fc.constantFrom("", " ", "\t", "  ");
  const messageArb = fc.record({
    method: fc.constantFrom("GET", "POST", "HEAD", "PROPFIND"),
    path: fc.stringMatching(/^[a-z0-9]{1,8}$/),
    host: fc.stringMatching(/^[a-z]{1,10}\.test$/),
    hostName: caseArb,
    ua: fc.stringMatching(/^[a-z/0-9.]{1,12}$/),
    type: fc.constantFrom("text/plain", "application/json"),
    body: fc.stringMatching(/^[a-z]{0,40}$/),
    ws: wsArb,
    cookie: fc.nat({ max: 600 }),
    lf: fc.constantFrom("\r\n", "\n"),
  });
  fc.assert(
    fc.property(
      fc.array(messageArb, { minLength: 1, maxLength: 5 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (messages, cuts) => {
        const text = messages.map((m) =>
          [
            `${m.method} /${m.path} HTTP/1.1`,
            `${m.hostName}:${m.ws}${m.host}${m.ws}`,
            `Cookie: ${"k".repeat(m.cookie)}`,
            `User-Agent: ${m.ua}`,
            `content-type:${m.ws}${m.type}`,
            `Content-Length: ${m.body.length}`,
            "",
            "",
          ].join(m.lf) + m.body
        ).join("");
        const c = new Conversation(text, "");
        const segs = c.cut(
          "client",
          [...new Set(cuts.map((x) => 1 + (x % (text.length - 1))))].sort((a, b) => a - b),
        );
        const w = new PcapWriter({ nanos: true });
        [...c.handshake(), ...segs.map((s) => c.packet(s)), ...c.fins()].forEach((p, i) =>
          w.writePacket(buildPacket(p), { tsSec: 1, tsNsec: i })
        );
        const attributes = [
          "http.method",
          "http.uri",
          "http.host",
          "http.user_agent",
          "http.content_type",
          "http.content_length",
        ];
        const got: string[][] = attributes.map(() => []);
        const engine = new DpiEngine();
        engine.subscribe(attributes, (values) => {
          values.forEach((v, k) => {
            if (v !== undefined) got[k].push(...String(v).split(","));
          });
        });
        forEachPacketInBytes(w.toBytes(), (v) => engine.process(v));
        engine.finish();
        assert.deepEqual(got, [
          messages.map((m) => m.method),
          messages.map((m) => `/${m.path}`),
          messages.map((m) => m.host),
          messages.map((m) => m.ua),
          messages.map((m) => m.type),
          messages.map((m) => String(m.body.length)),
        ]);
        assert.equal(engine.messages, messages.length);
      },
    ),
    { numRuns: 150 },
  );
});
