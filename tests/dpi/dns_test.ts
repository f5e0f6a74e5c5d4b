import assert from "node:assert/strict";
import fc from "fast-check";
import { createDnsPlugin, decodeDnsName, DpiError } from "../../lib/dpi/mod.ts";
import { hasProgram, tsharkFields } from "../_fixtures.ts";
import { dnsMessage, dnsName, engineRows, tempCapture, viewOf } from "./_packets.ts";

Deno.test("createDnsPlugin() extracts id, flags, question and answers from a UDP response", () => {
  const dns = createDnsPlugin();
  const msg = dnsMessage(0xbeef, "www.example.test", {
    response: true,
    rcode: 3,
    answers: [[192, 0, 2, 1], [192, 0, 2, 2]],
  });
  const v = viewOf({
    src: "10.0.0.53",
    dst: "10.0.0.1",
    srcPort: 53,
    dstPort: 40000,
    payload: msg,
  });
  assert.ok(dns.classify(v));
  assert.ok(dns.parse!(v));
  const a = dns.attributes;
  assert.equal(a.id(v), 0xbeef);
  assert.equal(a.qr(v), 1);
  assert.equal(a.rcode(v), 3);
  assert.equal(a.qname(v), "www.example.test");
  assert.equal(a.qtype(v), 1);
  assert.equal(a.qclass(v), 1);
  assert.equal(a.ancount(v), 2);
  assert.equal(a.answers(v), "192.0.2.1,192.0.2.2");
  assert.equal(a.ttl(v), 3600);
  assert.equal(a.transport(v), "udp");
});

Deno.test("createDnsPlugin() reads DNS over TCP after the two-byte length prefix", () => {
  const dns = createDnsPlugin();
  const msg = dnsMessage(0x1234, "tcp.example.test");
  const framed = new Uint8Array(msg.length + 2);
  framed[1] = msg.length;
  framed.set(msg, 2);
  const v = viewOf({
    src: "10.0.0.1",
    dst: "10.0.0.53",
    proto: "tcp",
    srcPort: 5555,
    dstPort: 53,
    payload: framed,
  });
  assert.ok(dns.classify(v) && dns.parse!(v));
  assert.equal(dns.attributes.id(v), 0x1234);
  assert.equal(dns.attributes.qname(v), "tcp.example.test");
  assert.equal(dns.attributes.transport(v), "tcp");
});

Deno.test("createDnsPlugin() ignores other ports and short payloads, and honours custom ports", () => {
  const msg = dnsMessage(1, "x.test");
  assert.equal(
    createDnsPlugin().classify(
      viewOf({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 1, dstPort: 54, payload: msg }),
    ),
    false,
  );
  assert.equal(
    createDnsPlugin().classify(
      viewOf({
        src: "10.0.0.1",
        dst: "10.0.0.2",
        srcPort: 1,
        dstPort: 53,
        payload: msg.subarray(0, 8),
      }),
    ),
    false,
  );
  assert.equal(
    createDnsPlugin({ ports: [5353] }).classify(
      viewOf({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 1, dstPort: 5353, payload: msg }),
    ),
    true,
  );
});

Deno.test("decodeDnsName() follows compression pointers and rejects loops with a NameLoop error", () => {
  const hdr = new Array(12).fill(0);
  // 12: "a" -> pointer to 16; 16: "b" "c" end
  const m = new Uint8Array([...hdr, 1, 97, 0xc0, 16, 1, 98, 1, 99, 0]);
  assert.equal(decodeDnsName(m, 0), "a.b.c");
  const selfLoop = new Uint8Array([...hdr, 0xc0, 12]);
  assert.throws(
    () => decodeDnsName(selfLoop, 0),
    (e: unknown) => e instanceof DpiError && e.code === "name-loop",
  );
  const twoLoop = new Uint8Array([...hdr, 1, 97, 0xc0, 16, 1, 98, 0xc0, 12]);
  assert.throws(
    () => decodeDnsName(twoLoop, 0),
    (e: unknown) => e instanceof DpiError && e.code === "name-loop",
  );
  const outside = new Uint8Array([...hdr, 0xc0, 200]);
  assert.throws(
    () => decodeDnsName(outside, 0),
    (e: unknown) => e instanceof DpiError && e.code === "bad-message",
  );
  assert.equal(decodeDnsName(new Uint8Array([...hdr, 0]), 0), "<Root>");
});

Deno.test("decodeDnsName() terminates with a name or a DpiError on any bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 12, maxLength: 120 }), fc.nat(), (bytes, start) => {
      try {
        const name = decodeDnsName(bytes, 0, { offset: 12 + (start % (bytes.length - 11)) });
        assert.ok(name.length <= 4 * 255);
      } catch (e) {
        assert.ok(e instanceof DpiError);
      }
    }),
    { numRuns: 3000 },
  );
});

Deno.test("createDnsPlugin() session hooks count queries and responses", () => {
  const dns = createDnsPlugin();
  const q = viewOf({
    src: "10.0.0.1",
    dst: "10.0.0.53",
    srcPort: 4000,
    dstPort: 53,
    payload: dnsMessage(1, "a.test"),
  });
  const state = dns.session!.init(q);
  dns.session!.packet(state, q, true);
  const r = viewOf({
    src: "10.0.0.53",
    dst: "10.0.0.1",
    srcPort: 53,
    dstPort: 4000,
    payload: dnsMessage(1, "a.test", { response: true }),
  });
  dns.session!.packet(state, r, false);
  assert.deepEqual(dns.session!.cleanup(state), { queries: 1, responses: 1 });
});

/** An mDNS announcement: no question, answers A and AAAA for `host.local` (cache-flush class). */
function mdnsAnnouncement(): Uint8Array {
  return new Uint8Array([
    0,
    0,
    0x84,
    0x00, // response, authoritative
    0,
    0, // qdcount 0
    0,
    2, // ancount 2
    0,
    0,
    0,
    1, // arcount 1
    ...dnsName("host.local"),
    0,
    1,
    0x80,
    1,
    0,
    0,
    0,
    120,
    0,
    4,
    192,
    168,
    1,
    5,
    0xc0,
    12, // the same name
    0,
    28,
    0x80,
    1,
    0,
    0,
    0,
    120,
    0,
    16,
    0xfe,
    0x80,
    ...new Array(13).fill(0),
    1,
    // additional: an NSEC-like record of another type, not an answer
    0xc0,
    12,
    0,
    47,
    0x80,
    1,
    0,
    0,
    0,
    120,
    0,
    2,
    0,
    0,
  ]);
}

const mdnsPacket = {
  src: "192.168.1.5",
  dst: "224.0.0.251",
  srcPort: 5353,
  dstPort: 5353,
  payload: mdnsAnnouncement(),
};

Deno.test("createDnsPlugin() reads the answers of a message without questions (mDNS announcement)", () => {
  const dns = createDnsPlugin();
  const v = viewOf(mdnsPacket);
  assert.ok(dns.classify(v) && dns.parse!(v));
  assert.equal(dns.attributes.qdcount(v), 0);
  assert.equal(dns.attributes.qname(v), undefined);
  assert.equal(dns.attributes.answers(v), "192.168.1.5,fe80::1");
  assert.equal(dns.attributes.ttl(v), 120);
});

Deno.test("createDnsPlugin() finds the answers after every question, however many", () => {
  const dns = createDnsPlugin();
  const one = dnsMessage(7, "a.test", { response: true, answers: [[10, 0, 0, 7]] });
  // Two questions: a second one ("b.test") inserted before the answer.
  const second = [...dnsName("b.test"), 0, 1, 0, 1];
  const q1End = 12 + dnsName("a.test").length + 4;
  const msg = new Uint8Array([...one.subarray(0, q1End), ...second, ...one.subarray(q1End)]);
  msg[5] = 2;
  const v = viewOf({ src: "10.0.0.53", dst: "10.0.0.1", srcPort: 53, dstPort: 999, payload: msg });
  assert.ok(dns.classify(v) && dns.parse!(v));
  assert.equal(dns.attributes.qname(v), "a.test");
  assert.equal(dns.attributes.answers(v), "10.0.0.7");
  // A question section that runs past the message hides the answers, and nothing throws.
  msg[5] = 40;
  const cut = viewOf({
    src: "10.0.0.53",
    dst: "10.0.0.1",
    srcPort: 53,
    dstPort: 999,
    payload: msg,
  });
  assert.ok(dns.classify(cut) && dns.parse!(cut));
  assert.equal(dns.attributes.answers(cut), undefined);
});

Deno.test({
  name: "the dns plugin reads an mDNS announcement's answers as tshark does",
  ignore: !hasProgram("tshark"),
  async fn() {
    const { path, bytes } = await tempCapture([mdnsPacket]);
    const [[count, a, aaaa, ttl]] = await tsharkFields(path, [
      "dns.count.answers",
      "dns.a",
      "dns.aaaa",
      "dns.resp.ttl",
    ], ";");
    await Deno.remove(path);
    const [[, ancount, answers, ourTtl]] = engineRows(bytes, [
      "dns.ancount",
      "dns.answers",
      "dns.ttl",
    ]);
    assert.equal(ancount, count);
    assert.equal(answers, `${a},${aaaa}`);
    assert.equal(ourTtl, ttl.split(",")[0]);
  },
});
