import assert from "node:assert/strict";
import fc from "fast-check";
import { CaptureMatcher, formatCaptureHit, matchCapture } from "../../lib/match/mod.ts";
import { LinkType, PacketSelector, PcapWriter, TcpFlag } from "../../lib/pcap/mod.ts";
import { DpiError } from "../../lib/dpi/mod.ts";
import { Database, DatabaseBuilder, MATCH_LITERAL, StringMatches } from "../../lib/db/mod.ts";
import { buildPacket, type PacketSpec } from "../../lib/testing/mod.ts";
import { type Answer, clientHello, databaseOf, dnsWithAnswers, hitsOf } from "./_captures.ts";

const enc = new TextEncoder();

/** The planted indicators of the mixed capture below. */
const PLANTED = [
  "203.0.113.0/24",
  "2001:db8:bad::/48",
  "198.51.100.80/32",
  "literal:mal.example.com",
  "literal:cdn.bad-cdn.net",
  "literal:http://shop.phish.test:8080/login?x=1",
  "literal:parent.test",
  "glob:*.phish.test",
  "glob:c2.evil.*",
];

/** A pcapng capture with an Ethernet and a Linux cooked (SLL) interface. */
function mixedCapture(): Uint8Array {
  const w = new PcapWriter({ format: "pcapng", nanos: true });
  const sll = w.addInterface(LinkType.LINUX_SLL);
  const eth = (spec: PacketSpec) => w.writePacket(buildPacket(spec), { tsSec: 100 });
  const dns = { proto: "udp" as const, srcPort: 4000, dstPort: 53 };
  // 1: a query, its name in mixed case
  eth({ src: "10.0.0.5", dst: "10.0.0.53", ...dns, payload: dnsWithAnswers(1, "Mal.Example.COM") });
  // 2: its answer: a CNAME to a planted name, an A in a planted network, an AAAA, an A not planted
  eth({
    src: "10.0.0.53",
    dst: "10.0.0.5",
    proto: "udp",
    srcPort: 53,
    dstPort: 4000,
    payload: dnsWithAnswers(1, "Mal.Example.COM", [
      [null, "CNAME", "cdn.bad-cdn.net"],
      ["cdn.bad-cdn.net", "A", "203.0.113.5"],
      ["cdn.bad-cdn.net", "AAAA", "2001:db8:bad::7"],
      ["cdn.bad-cdn.net", "A", "192.0.2.1"],
    ]),
  });
  // 3: a ClientHello over IPv6 to a planted network
  eth({
    src: "2001:db8::1",
    dst: "2001:db8:bad::443",
    proto: "tcp",
    srcPort: 5000,
    dstPort: 443,
    tcpFlags: TcpFlag.PSH | TcpFlag.ACK,
    payload: clientHello("C2.Evil.Test", ["h2"]),
  });
  // 4: an HTTP request in VLAN 100, Host with a port
  eth({
    src: "10.0.0.5",
    dst: "198.51.100.80",
    vlans: [100],
    proto: "tcp",
    srcPort: 5001,
    dstPort: 8080,
    payload: enc.encode(
      "GET /login?x=1 HTTP/1.1\r\nHost: Shop.Phish.test:8080\r\nAccept: */*\r\n\r\n",
    ),
  });
  // 5: a query on the SLL interface whose parent domain is planted
  w.writePacket(
    buildPacket({
      linktype: LinkType.LINUX_SLL,
      src: "10.0.0.6",
      dst: "10.0.0.53",
      ...dns,
      payload: dnsWithAnswers(2, "a.b.parent.test"),
    }),
    { iface: sll, tsSec: 101 },
  );
  // 6, 7: nothing planted: a query, and bytes that only contain a request line
  eth({
    src: "10.0.0.5",
    dst: "10.0.0.53",
    ...dns,
    payload: dnsWithAnswers(3, "benign.example.org"),
  });
  eth({
    src: "10.0.0.5",
    dst: "10.0.0.80",
    proto: "tcp",
    srcPort: 5002,
    dstPort: 80,
    payload: enc.encode("xx GET / HTTP/1.1\r\nHost: shop.phish.test\r\n\r\n"),
  });
  // 8: ICMP from a planted network
  eth({ src: "203.0.113.9", dst: "10.0.0.5", proto: "icmp" });
  return w.toBytes();
}

Deno.test("CaptureMatcher reports every planted indicator on its frame and attribute, and nothing else", async () => {
  const { hits, stats } = await hitsOf(mixedCapture(), databaseOf(PLANTED), {
    parentDomains: true,
  });
  assert.deepEqual(hits, [
    "1 dns.qname mal.example.com literal mal.example.com",
    "2 dns.qname mal.example.com literal mal.example.com",
    "2 dns.answer_name cdn.bad-cdn.net literal cdn.bad-cdn.net",
    "2 dns.answer_ip 203.0.113.5 network 203.0.113.0/24",
    "2 dns.answer_ip 2001:db8:bad::7 network 2001:db8:bad::/48",
    "3 ip.dst 2001:db8:bad::443 network 2001:db8:bad::/48",
    "3 tls.sni c2.evil.test glob c2.evil.*",
    "4 ip.dst 198.51.100.80 network 198.51.100.80/32",
    "4 http.host shop.phish.test glob *.phish.test",
    "4 http.url http://shop.phish.test:8080/login?x=1 literal http://shop.phish.test:8080/login?x=1",
    "5 dns.qname a.b.parent.test parent-domain parent.test",
    "8 ip.src 203.0.113.9 network 203.0.113.0/24",
  ]);
  assert.equal(stats.packets, 8);
  assert.equal(stats.hits, 12);
  // every lookup is counted: 2 addresses per packet, the names and URLs read
  assert.equal(stats.lookups["ip.src"], 8);
  assert.equal(stats.lookups["dns.qname"], 4);
  assert.equal(stats.lookups["dns.answer_ip"], 3);
  assert.equal(stats.lookups["http.url"], 1);
  assert.equal(stats.malformed, 0);
});

Deno.test("CaptureMatcher without parent domains, and with only some attributes", async () => {
  const db = databaseOf(PLANTED);
  const plain = await hitsOf(mixedCapture(), db);
  assert.ok(!plain.hits.some((h) => h.includes("parent-domain")));
  const names = await hitsOf(mixedCapture(), db, { attributes: ["tls.sni", "dns.answer_name"] });
  assert.deepEqual(names.hits, [
    "2 dns.answer_name cdn.bad-cdn.net literal cdn.bad-cdn.net",
    "3 tls.sni c2.evil.test glob c2.evil.*",
  ]);
  assert.equal(names.stats.lookups["ip.src"], 0);
  assert.throws(() => new CaptureMatcher(db, { attributes: ["dns.name"] }), /dns\.qname/);
});

Deno.test("CaptureMatcher looks up plugin attributes and lists the known ones for an unknown", async () => {
  const db = databaseOf(["literal:curl/8.4.0", "glob:*.phish.test"]);
  const payload = enc.encode("GET / HTTP/1.1\r\nHost: x.test\r\nUser-Agent: curl/8.4.0\r\n\r\n");
  const w = new PcapWriter();
  w.writePacket(
    buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", proto: "tcp", dstPort: 80, payload }),
  );
  const { hits } = await hitsOf(w.toBytes(), db, { pluginAttributes: ["http.user_agent"] });
  assert.deepEqual(hits, ["1 http.user_agent curl/8.4.0 literal curl/8.4.0"]);
  assert.throws(
    () => new CaptureMatcher(db, { pluginAttributes: ["smtp.helo"] }),
    (e: unknown) =>
      e instanceof DpiError && e.code === "unknown-attribute" && /http\.user_agent/.test(e.message),
  );
});

Deno.test("CaptureMatcher takes a selector: packets it rejects are not looked at", async () => {
  const db = databaseOf(PLANTED);
  const select = new PacketSelector("udp port 53");
  const { hits, stats } = await hitsOf(mixedCapture(), db, { select });
  assert.deepEqual(hits.map((h) => h.split(" ").slice(0, 2).join(" ")), [
    "1 dns.qname",
    "2 dns.qname",
    "2 dns.answer_name",
    "2 dns.answer_ip",
    "2 dns.answer_ip",
  ]);
  // the SLL interface's query is selected too (compiled for its link type) but hits nothing here
  assert.equal(stats.selected, 4);
});

/** A TCP direction 10.0.0.1:40000 -> 10.0.0.2:port sending `segments` from sequence 1000. */
function segmentsOf(data: Uint8Array, cuts: number[], port: number): PacketSpec[] {
  const out: PacketSpec[] = [];
  let from = 0;
  for (const cut of [...cuts, data.length]) {
    out.push({
      src: "10.0.0.1",
      dst: "10.0.0.2",
      proto: "tcp",
      srcPort: 40000,
      dstPort: port,
      seq: 1000 + from,
      tcpFlags: TcpFlag.PSH | TcpFlag.ACK,
      payload: data.slice(from, cut),
    });
    from = cut;
  }
  return out;
}

function captureOf(specs: PacketSpec[]): Uint8Array {
  const w = new PcapWriter({ nanos: true });
  specs.forEach((s, i) => w.writePacket(buildPacket(s), { tsSec: 1, tsNsec: i }));
  return w.toBytes();
}

const SPLIT_DB = ["literal:split.evil.test", "literal:http://split.evil.test/a"];
const hello = clientHello("split.evil.test", ["h2"], 3000);
const request = enc.encode(
  "GET /a HTTP/1.1\r\nHost: split.evil.test\r\nCookie: " + "c".repeat(3000) + "\r\n\r\n",
);
function dnsOverTcp(id: number, name: string): Uint8Array {
  const m = dnsWithAnswers(id, name);
  return new Uint8Array([m.length >> 8, m.length & 255, ...m]);
}

Deno.test("a ClientHello, a request head and DNS over TCP split over segments are read on the last one", async () => {
  const db = databaseOf(SPLIT_DB);
  const tls = await hitsOf(captureOf(segmentsOf(hello, [100, 1400], 443)), db);
  assert.deepEqual(tls.hits, ["3 tls.sni split.evil.test literal split.evil.test"]);
  const http = await hitsOf(captureOf(segmentsOf(request, [10, 40, 2000], 80)), db);
  assert.deepEqual(http.hits, [
    "4 http.host split.evil.test literal split.evil.test",
    "4 http.url http://split.evil.test/a literal http://split.evil.test/a",
  ]);
  // two messages in one segment, a third split over two
  const a = dnsOverTcp(1, "one.test"),
    b = dnsOverTcp(2, "split.evil.test"),
    c = dnsOverTcp(3, "split.evil.test");
  const stream = new Uint8Array([...a, ...b, ...c]);
  const dns = await hitsOf(captureOf(segmentsOf(stream, [a.length + b.length + 5], 53)), db);
  assert.deepEqual(dns.hits, [
    "1 dns.qname split.evil.test literal split.evil.test",
    "2 dns.qname split.evil.test literal split.evil.test",
  ]);
  assert.equal(tls.stats.incomplete + http.stats.incomplete + dns.stats.incomplete, 0);
});

Deno.test("a retransmitted message is not read twice; a missing segment gives the message up", async () => {
  const db = databaseOf(SPLIT_DB);
  const segs = segmentsOf(hello, [100, 1400], 443);
  // the first segment again after the second, then the last: one hit, on the last
  const again = await hitsOf(captureOf([segs[0], segs[1], segs[0], segs[2]]), db);
  assert.deepEqual(again.hits, ["4 tls.sni split.evil.test literal split.evil.test"]);
  // a whole request sent twice: one hit
  const whole = segmentsOf(enc.encode("GET /a HTTP/1.1\r\nHost: split.evil.test\r\n\r\n"), [], 80);
  const twice = await hitsOf(captureOf([whole[0], whole[0]]), db, { attributes: ["http.host"] });
  assert.deepEqual(twice.hits, ["1 http.host split.evil.test literal split.evil.test"]);
  assert.equal(twice.stats.retransmitted, 1);
  // the same over IPv6, and with requests of other directions (IPv4 and IPv6) in between
  const v6 = whole.map((w) => ({ ...w, src: "2001:db8::1", dst: "2001:db8::2" }));
  const others = [
    { ...whole[0], srcPort: 40001 },
    { ...v6[0], srcPort: 40002 },
    { ...whole[0], dst: "10.0.0.3" },
  ];
  const mixed = await hitsOf(captureOf([v6[0], whole[0], ...others, v6[0], whole[0]]), db, {
    attributes: ["http.host"],
  });
  assert.deepEqual(mixed.hits.map((h) => h.split(" ")[0]), ["1", "2", "3", "4", "5"]);
  assert.equal(mixed.stats.retransmitted, 2);
  // the middle segment lost: no hit, and the message counts as incomplete
  const lost = await hitsOf(captureOf([segs[0], segs[2]]), db);
  assert.deepEqual(lost.hits, []);
  assert.equal(lost.stats.incomplete, 1);
});

Deno.test("any in-order segmentation, with repeats, reports each message once on its last segment", async () => {
  const db = databaseOf(SPLIT_DB);
  const messages: [Uint8Array, number, string][] = [
    [hello, 443, "tls.sni"],
    [request, 80, "http.host"],
    [dnsOverTcp(9, "split.evil.test"), 53, "dns.qname"],
  ];
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...messages),
      fc.uniqueArray(fc.integer({ min: 1, max: 4000 }), { maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 3 }),
      fc.array(fc.nat(), { maxLength: 2 }),
      async ([data, port, attribute], rawCuts, repeats, after) => {
        const cuts = rawCuts.filter((c) => c < data.length).sort((x, y) => x - y);
        const segs = segmentsOf(data, cuts, port);
        // repeats of segments, each inserted after the segment it repeats, and any segment
        // again once the message is complete
        const order: PacketSpec[] = [];
        segs.forEach((s, i) => {
          order.push(s);
          for (const r of repeats) if (r % segs.length === i && i < segs.length - 1) order.push(s);
        });
        const last = order.length;
        for (const r of after) order.push(segs[r % segs.length]);
        const { hits } = await hitsOf(captureOf(order), db, { attributes: [attribute] });
        assert.deepEqual(hits, [`${last} ${attribute} split.evil.test literal split.evil.test`]);
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("first per flow: each indicator once per session, with the session's counts", async () => {
  const db = databaseOf(["10.9.9.9/32", "literal:flow.evil.test"]);
  const w = new PcapWriter({ nanos: true });
  const q = dnsWithAnswers(5, "flow.evil.test");
  const r = dnsWithAnswers(5, "flow.evil.test", [[null, "A", "10.9.9.9"]]);
  const up = { src: "10.0.0.1", dst: "10.0.0.53", srcPort: 7000, dstPort: 53 };
  const down = { src: "10.0.0.53", dst: "10.0.0.1", srcPort: 53, dstPort: 7000 };
  w.writePacket(buildPacket({ ...up, payload: q }), { tsSec: 1 });
  w.writePacket(buildPacket({ ...down, payload: r }), { tsSec: 1, tsNsec: 5 });
  w.writePacket(buildPacket({ ...up, payload: q }), { tsSec: 2 });
  // another session: the address of the answer as a destination, twice
  const tcp = {
    src: "10.0.0.1",
    dst: "10.9.9.9",
    proto: "tcp" as const,
    srcPort: 7001,
    dstPort: 80,
  };
  w.writePacket(buildPacket(tcp), { tsSec: 3 });
  w.writePacket(
    buildPacket({ ...tcp, src: "10.9.9.9", dst: "10.0.0.1", srcPort: 80, dstPort: 7001 }),
    {
      tsSec: 3,
    },
  );
  const lines: string[] = [];
  const m = new CaptureMatcher(db, {
    firstPerFlow: true,
    onHit: (h) => lines.push(formatCaptureHit(h, "jsonl")),
  });
  await matchCapture(w.toBytes(), m);
  assert.equal(lines.length, 0, "reported when the sessions end");
  assert.equal(m.finish().hits, 3);
  const recs = lines.map((l) => JSON.parse(l));
  const brief = recs.map((
    r,
  ) => [r.frame, r.attribute, r.value, r.count, r.last_frame, r.packets, r.src, r.dst]);
  assert.deepEqual(brief, [
    [1, "dns.qname", "flow.evil.test", 3, 3, 3, "10.0.0.1", "10.0.0.53"],
    [2, "dns.answer_ip", "10.9.9.9", 1, 2, 3, "10.0.0.1", "10.0.0.53"],
    [4, "ip.dst", "10.9.9.9", 2, 5, 2, "10.0.0.1", "10.9.9.9"],
  ]);
  assert.equal(recs[0].uid, recs[1].uid);
  assert.notEqual(recs[0].uid, recs[2].uid);
  assert.ok(recs.every((r) => r.bytes > 0));
});

Deno.test("names are folded, a trailing dot dropped, and an address as Host or SNI is looked up as one", async () => {
  const db = databaseOf(["192.0.2.0/24", "literal:dot.test", "literal:http://192.0.2.1/x"]);
  const w = new PcapWriter();
  const tcp = { src: "10.0.0.1", dst: "10.0.0.2", proto: "tcp" as const, dstPort: 80 };
  w.writePacket(
    buildPacket({ ...tcp, payload: enc.encode("GET /x HTTP/1.0\r\nHost: 192.0.2.1\r\n\r\n") }),
  );
  w.writePacket(
    buildPacket({
      ...tcp,
      srcPort: 2,
      payload: enc.encode("GET /y HTTP/1.0\r\nhost: DOT.test.\r\n\r\n"),
    }),
  );
  w.writePacket(
    buildPacket({ ...tcp, srcPort: 3, dstPort: 443, payload: clientHello("192.0.2.9", []) }),
  );
  const { hits } = await hitsOf(w.toBytes(), db, {
    attributes: ["http.host", "http.url", "tls.sni"],
  });
  assert.deepEqual(hits, [
    "1 http.host 192.0.2.1 network 192.0.2.0/24",
    "1 http.url http://192.0.2.1/x literal http://192.0.2.1/x",
    "2 http.host dot.test literal dot.test",
    "3 tls.sni 192.0.2.9 network 192.0.2.0/24",
  ]);
});

Deno.test("malformed DNS messages are counted, never thrown", async () => {
  const db = databaseOf(["literal:x.test"]);
  const w = new PcapWriter();
  const udp = { src: "10.0.0.1", dst: "10.0.0.2", srcPort: 9, dstPort: 53 };
  // a label running past the message; a compression loop; a pointer past the end
  const header = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
  for (const body of [[9, 120, 0], [0xc0, 12], [0xc0, 200]]) {
    w.writePacket(buildPacket({ ...udp, payload: new Uint8Array([...header, ...body]) }));
  }
  const { hits, stats } = await hitsOf(w.toBytes(), db);
  assert.deepEqual(hits, []);
  assert.equal(stats.malformed, 3);
});

Deno.test("a URL is reported exactly when the database's own string lookup matches it", async () => {
  // URL literals and globs of every index (prefix, suffix, inner piece, none) over a few
  // hosts and path pieces, so that hits, near misses and bytes outside ASCII all come up
  const hosts = ["a.test", "B.test", "ab.test:8080", "[2001:db8::1]", "ab.test", "ac.test"];
  const pieces = ["a", "b", "A", "ab", "x1", "%41", "é", "?q=a", "/"];
  const entry = fc.oneof(
    fc.tuple(fc.constantFrom(...hosts), fc.array(fc.constantFrom(...pieces), { maxLength: 3 }))
      .map(([h, p]) => `literal:http://${h.toLowerCase()}/${p.join("")}`),
    fc.constantFrom(
      "glob:http://a.test/*",
      "glob:*ab*",
      "glob:*/b",
      "glob:*A*",
      "glob:http*x1",
      "glob:?ttp://b.test/*",
      "glob:*.test:8080/a?",
      "glob:*é*",
      "glob:[hx]ttp://*",
      "literal:a.test",
      "glob:*.test",
      "glob:*.test:8080*",
      "glob:*Ab*",
      "glob:*1%41*",
      "glob:*tp:*",
      "glob:*b.te*",
      "glob:h*x1",
      "glob:ht*",
      "glob:*ac.t*",
      "glob:*a?q=a",
    ),
  );
  const request = fc.tuple(
    fc.constantFrom(...hosts),
    fc.array(fc.constantFrom(...pieces), { maxLength: 3 }),
    fc.boolean(),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(entry, { maxLength: 6 }),
      fc.array(request, { minLength: 1, maxLength: 6 }),
      fc.boolean(),
      async (entries, requests, fold) => {
        const b = new DatabaseBuilder({
          buildEpoch: 1,
          matchMode: fold ? "case-insensitive" : "case-sensitive",
        });
        for (const e of entries) b.add(e, { tag: e });
        const db = Database.fromBytes(b.build());
        const w = new PcapWriter();
        const expected: string[] = [];
        const out = new StringMatches();
        requests.forEach(([host, path, absolute], i) => {
          const target = `${absolute ? `HTTP://${host}` : ""}/${path.join("")}`;
          w.writePacket(buildPacket({
            src: "10.0.0.1",
            dst: "10.0.0.2",
            proto: "tcp",
            srcPort: 1000 + i,
            dstPort: 80,
            payload: enc.encode(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
          }));
          // the key the matcher forms: scheme and host in lower case, the rest as it is
          const url = `http://${host.toLowerCase()}/${path.join("")}`;
          const key = enc.encode(url);
          if (db.lookupStringSpan(key, 0, key.length, out, { first: true }) > 0) {
            const via = out.kinds[0] === MATCH_LITERAL ? "literal" : "glob";
            expected.push(
              `${i + 1} http.url ${url} ${via} ${db.stringEntry(out.kinds[0], out.entries[0])}`,
            );
          }
        });
        const { hits } = await hitsOf(w.toBytes(), db, { attributes: ["http.url"] });
        assert.deepEqual(hits, expected);
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("names and addresses that come again are answered as the first time", async () => {
  // the matcher answers a name or address pair seen just before without looking it up again:
  // over any sequence of repeated (or nearly repeated) names, what it reports and counts must
  // be what a matcher that has seen nothing before reports for each packet on its own
  const db = databaseOf(
    ["literal:evil.test", "glob:*.bad.test", "192.0.2.0/24", "2001:db8:bad::/48"],
    true,
  );
  const names = [
    "evil.test",
    "EVIL.test",
    "a.evil.test",
    "x.bad.test",
    "good.test",
    "good.test.",
    "192.0.2.7",
    "b.good.test",
  ];
  const hosts = ["10.0.0.1", "10.0.0.2", "192.0.2.9", "2001:db8::1", "2001:db8:bad::2"];
  const packet = fc.record({
    kind: fc.constantFrom("query", "response", "http", "tls"),
    name: fc.constantFrom(...names),
    other: fc.constantFrom(...names),
    a: fc.constantFrom(...hosts),
    b: fc.constantFrom(...hosts),
  });
  await fc.assert(
    fc.asyncProperty(fc.array(packet, { minLength: 1, maxLength: 12 }), async (packets) => {
      const bytes = packets.map((p, i) => {
        const v6 = p.a.includes(":") || p.b.includes(":");
        const src = v6 && !p.a.includes(":") ? "2001:db8::a" : p.a;
        const dst = v6 && !p.b.includes(":") ? "2001:db8::b" : p.b;
        const ends = { src, dst, srcPort: 2000 + i };
        if (p.kind === "query" || p.kind === "response") {
          const answers: Answer[] = p.kind === "query"
            ? []
            : [[null, "CNAME", p.other], [p.other, "A", "192.0.2.1"], [p.name, "A", "10.9.9.9"]];
          return buildPacket({ ...ends, dstPort: 53, payload: dnsWithAnswers(i, p.name, answers) });
        }
        const payload = p.kind === "http"
          ? enc.encode(`GET / HTTP/1.1\r\nHost: ${p.name}\r\n\r\n`)
          : clientHello(p.name, []);
        return buildPacket({
          ...ends,
          proto: "tcp",
          dstPort: p.kind === "http" ? 80 : 443,
          payload,
        });
      });
      const capture = (list: Uint8Array[]) => {
        const w = new PcapWriter();
        for (const b of list) w.writePacket(b);
        return w.toBytes();
      };
      const all = await hitsOf(capture(bytes), db);
      const expected: string[] = [];
      const lookups: Record<string, number> = {};
      for (let i = 0; i < bytes.length; i++) {
        const one = await hitsOf(capture([bytes[i]]), db);
        expected.push(...one.hits.map((h) => h.replace(/^1 /, `${i + 1} `)));
        for (const [k, n] of Object.entries(one.stats.lookups)) lookups[k] = (lookups[k] ?? 0) + n;
      }
      assert.deepEqual(all.hits, expected);
      assert.deepEqual(all.stats.lookups, lookups);
    }),
    { numRuns: 150 },
  );
});

Deno.test("CaptureMatcher answers nothing from its memos once the database is closed: process() throws closed", async () => {
  const db = databaseOf(["203.0.113.0/24", "evil.test"]);
  const w = new PcapWriter();
  // the same pair of addresses twice, no hit: the second packet is answered by the pair memo
  const spec: PacketSpec = {
    src: "10.0.0.1",
    dst: "10.0.0.2",
    proto: "udp",
    srcPort: 1,
    dstPort: 2,
  };
  w.writePacket(buildPacket(spec), { tsSec: 1 });
  w.writePacket(buildPacket(spec), { tsSec: 2 });
  const capture = w.toBytes();
  const m = new CaptureMatcher(db);
  await matchCapture(capture, m);
  assert.equal(m.stats.packets, 2);
  db.close();
  await assert.rejects(
    () => matchCapture(capture, m),
    (err: unknown) => err instanceof Error && (err as { code?: string }).code === "closed",
  );
});
