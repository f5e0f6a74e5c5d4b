/**
 * The stream dispatch's fast path (a segment of whole messages handed to the plugin from the
 * packet's bytes, with no framing state for its direction) against the full path (every
 * claimed direction gets its framing state), on random HTTP conversations cut into random
 * segments — many cut at message boundaries so that the fast path runs, then gives way to the
 * full path in the middle of a connection — with retransmissions, lost segments and either side
 * speaking first: every packet's values must be the same. Also: the view of a message read from
 * the packet's bytes and of one read from a framing's copy name the same sender.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { captureOf, Conversation, cutCapture, type Segment } from "./_conversation.ts";
import {
  CORE_PLUGINS,
  DpiEngine,
  type ProtocolPlugin,
  ProtocolRegistry,
} from "../../lib/dpi/mod.ts";
import { forEachPacketInBytes } from "../../lib/pcap/mod.ts";
import { fullPathRegistry, packetValues } from "./_fast_path.ts";

const ATTRIBUTES = [
  "http.method",
  "http.uri",
  "http.host",
  "http.status",
  "http.reason",
  "http.request",
  "http.content_length",
  "http.version",
];

/** A registry whose HTTP plugin has no fast path (its framing state is made for every stream). */
/** Every packet's values, with HTTP on its fast path, or under `registry`. */
function run(bytes: Uint8Array, registry?: ProtocolRegistry): string[] {
  return packetValues(bytes, ATTRIBUTES, registry);
}

const REQUESTS = [
  () => "GET /a HTTP/1.1\r\nHost: a.test\r\n\r\n",
  (b: string) => `POST /p HTTP/1.1\r\nHost: p.test\r\nContent-Length: ${b.length}\r\n\r\n${b}`,
  () => "HEAD /h HTTP/1.1\r\nHost: h.test\r\n\r\n",
  () => "CONNECT c.test:443 HTTP/1.1\r\nHost: c.test\r\n\r\n",
  () => "OPTIONS * HTTP/1.0\r\n\r\n",
  (b: string) =>
    `PUT /u HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n${
      b.length > 0 ? `${b.length.toString(16)}\r\n${b}\r\n` : ""
    }0\r\n\r\n`,
  () => "GET /bad HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
  () => "NOT HTTP AT ALL\r\n\r\n",
];
const RESPONSES = [
  (b: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${b.length}\r\n\r\n${b}`,
  () => "HTTP/1.1 100 Continue\r\n\r\n",
  () => "HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n",
  () => "HTTP/1.1 304 Not Modified\r\n\r\n",
  (b: string) => `HTTP/1.1 404 Not Found\r\nContent-Length: ${b.length}\r\n\r\n${b}`,
  (b: string) =>
    `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${
      b.length > 0 ? `${b.length.toString(16)}\r\n${b}\r\n` : ""
    }0\r\n\r\n`,
  () => "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
  (b: string) => `HTTP/1.0 200 OK\r\n\r\n${b}`,
];

const messageArb = (kinds: number) =>
  fc.record({
    kind: fc.oneof(
      { weight: 3, arbitrary: fc.constant(0) },
      { weight: 2, arbitrary: fc.nat({ max: kinds - 1 }) },
    ),
    body: fc.stringMatching(/^[a-z]{0,12}$/),
  });

Deno.test("the fast path reads HTTP conversations as the full framing does, however they are cut (property)", () => {
  const slow = fullPathRegistry(["http"]);
  fc.assert(
    fc.property(
      fc.array(messageArb(REQUESTS.length), { minLength: 0, maxLength: 5 }),
      fc.array(messageArb(RESPONSES.length), { minLength: 0, maxLength: 5 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 3 }),
      fc.array(fc.nat(), { maxLength: 3 }),
      fc.array(fc.nat(), { maxLength: 40 }),
      fc.record({
        drop: fc.option(fc.nat(), { nil: undefined }),
        repeat: fc.option(fc.nat(), { nil: undefined }),
        fins: fc.boolean(),
        handshake: fc.boolean(),
      }),
      (reqs, ress, keep, clientExtra, serverExtra, order, how) => {
        const reqText = reqs.map((m) => REQUESTS[m.kind](m.body));
        const resText = ress.map((m) => RESPONSES[m.kind](m.body));
        const c = new Conversation(reqText.join(""), resText.join(""));
        const plan = { keep, clientExtra, serverExtra, order, how };
        const packets = cutCapture(
          c,
          reqText.map((t) => t.length),
          resText.map((t) => t.length),
          plan,
        );
        const bytes = captureOf(packets);
        assert.deepEqual(run(bytes), run(bytes, slow));
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("the fast path keeps a connection's requests in order when its framing state comes later", () => {
  // GET (whole: fast path), then a HEAD whose segment is cut (full path): the response to the
  // GET must not be read as the HEAD's (which has no body).
  const req = "GET /a HTTP/1.1\r\nHost: a.test\r\n\r\n" +
    "HEAD /h HTTP/1.1\r\nHost: h.test\r\n\r\n";
  const res = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" +
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  const c = new Conversation(req, res);
  const first = req.indexOf("HEAD");
  const segments: Segment[] = [
    { from: "client", start: 0, end: first },
    { from: "client", start: first, end: first + 5 },
    { from: "client", start: first + 5, end: req.length },
    { from: "server", start: 0, end: res.length },
  ];
  const bytes = captureOf([...c.handshake(), ...segments.map((s) => c.packet(s)), ...c.fins()]);
  const fast = run(bytes);
  assert.deepEqual(fast, run(bytes, fullPathRegistry(["http"])));
  // Both responses are read from the one segment: the second (to the HEAD) has no body.
  assert.ok(fast.includes("7||||200,200|OK,OK|0,0|5,5|HTTP/1.1,HTTP/1.1"), fast.join("\n"));
  assert.equal(fast.at(-2), "messages 4 unreported 0");
});

Deno.test("the fast path hands a direction's unanswered requests over when the other direction's framing state comes first", () => {
  // GET (whole: fast path), its response cut in two (full path: the client's direction gets its
  // state first, with the GET unanswered), then a HEAD and its response without a body.
  const req = "GET /a HTTP/1.1\r\nHost: a.test\r\n\r\n" +
    "HEAD /h HTTP/1.1\r\nHost: h.test\r\n\r\n";
  const res1 = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  const res = res1 + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  const c = new Conversation(req, res);
  const head = req.indexOf("HEAD");
  const segments: Segment[] = [
    { from: "client", start: 0, end: head },
    { from: "server", start: 0, end: 10 },
    { from: "server", start: 10, end: res1.length },
    { from: "client", start: head, end: req.length },
    { from: "server", start: res1.length, end: res.length },
  ];
  const bytes = captureOf([...c.handshake(), ...segments.map((s) => c.packet(s)), ...c.fins()]);
  const fast = run(bytes);
  assert.deepEqual(fast, run(bytes, fullPathRegistry(["http"])));
  assert.equal(fast.at(-2), "messages 4 unreported 0");
});

Deno.test("the fast path counts a request answered by a response read the same way", () => {
  // GET and its response both whole (fast path), then a HEAD cut in two (full path): its
  // response must be read as the HEAD's (no body), not as the GET's.
  const req = "GET /a HTTP/1.1\r\nHost: a.test\r\n\r\n" +
    "HEAD /h HTTP/1.1\r\nHost: h.test\r\n\r\n";
  const res1 = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  const res2 = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  const res3 = "HTTP/1.1 204 No Content\r\n\r\n";
  const c = new Conversation(req + "GET /b HTTP/1.1\r\n\r\n", res1 + res2 + res3);
  const head = req.indexOf("HEAD");
  const segments: Segment[] = [
    { from: "client", start: 0, end: head },
    { from: "server", start: 0, end: res1.length },
    { from: "client", start: head, end: head + 3 },
    { from: "client", start: head + 3, end: c.client.length },
    { from: "server", start: res1.length, end: c.server.length },
  ];
  const bytes = captureOf([...c.handshake(), ...segments.map((s) => c.packet(s)), ...c.fins()]);
  const fast = run(bytes);
  assert.deepEqual(fast, run(bytes, fullPathRegistry(["http"])));
  assert.equal(fast.at(-2), "messages 6 unreported 0");
});

Deno.test("a reassembled message's view has its direction's addresses and ports, read where it lies or kept (IPv6)", () => {
  // A line protocol on port 7: a line whole in its segment is read from the packet's bytes, a
  // line split over two segments from the framing's copy; each reports who sent it.
  const seen: string[] = [];
  const lines: ProtocolPlugin = {
    id: 1007,
    name: "lines",
    layer: "application",
    classify: (v) => v.payloadLength > 0,
    attributes: {
      from: (v) => `${v.ipVersion} ${v.ip6Src.join(".")}:${v.srcPort}>${v.ip6Dst[3]}:${v.dstPort}`,
    },
    stream: {
      claim: (s) => s.dstPort === 7 || s.srcPort === 7,
      open(ctx) {
        ctx.state = { buf: new Uint8Array(64), have: 0 };
      },
      data(ctx, bytes, offset, length) {
        const st = ctx.state as { buf: Uint8Array; have: number };
        st.buf.set(bytes.subarray(offset, offset + length), st.have);
        st.have += length;
        if (bytes[offset + length - 1] !== 0x0a) return;
        if (st.have === length) ctx.message(bytes, offset, length);
        else ctx.message(st.buf, 0, st.have);
        st.have = 0;
      },
      gap() {},
      end() {},
    },
  };
  const registry = new ProtocolRegistry();
  for (const p of CORE_PLUGINS) registry.register(p);
  registry.register(lines);
  const c = new Conversation("one\n", "tw" + "o\n", {
    clientAddr: "2001:db8::1",
    serverAddr: "2001:db8::2",
    serverPort: 7,
  });
  const segments: Segment[] = [
    { from: "client", start: 0, end: 4 },
    { from: "server", start: 0, end: 2 },
    { from: "server", start: 2, end: 4 },
  ];
  const bytes = captureOf([...c.handshake(), ...segments.map((s) => c.packet(s))]);
  const engine = new DpiEngine({ registry });
  engine.subscribe(["lines.from"], (values) => {
    if (values[0] !== undefined) seen.push(String(values[0]));
  }, { requireAny: true });
  forEachPacketInBytes(bytes, (v) => engine.process(v));
  assert.deepEqual(seen, [
    "6 536939960.0.0.1:40000>2:7",
    "6 536939960.0.0.2:7>1:40000",
  ]);
});
