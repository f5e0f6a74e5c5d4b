import assert from "node:assert/strict";
import fc from "fast-check";
import {
  csvHeader,
  FLOW_COLUMNS,
  flowValues,
  formatMatch,
  formatRecord,
  formatStats,
  formatUnmatched,
  MATCH_COLUMNS,
  OutputBuffer,
  protoName,
} from "../../lib/pcap/output.ts";
import { Match } from "../../lib/pcap/correlate.ts";
import { Session } from "../../lib/pcap/session.ts";

function v6match(): Match {
  const m = new Match();
  m.mode = "dns";
  for (const side of [m.request, m.response]) {
    side.family = 6;
    side.proto = 17;
  }
  m.request.src.set([0x20010db8, 0, 0, 1]);
  m.request.dst.set([0x20010db8, 0, 0, 0x35]);
  m.request.sport = 5353;
  m.request.dport = 53;
  m.request.sec = 1700000000;
  m.request.nsec = 5;
  m.request.frame = 3;
  m.response.src.set(m.request.dst);
  m.response.dst.set(m.request.src);
  m.response.sport = 53;
  m.response.dport = 5353;
  m.response.sec = 1700000001;
  m.response.nsec = 0;
  m.response.frame = 4;
  m.latencyNs = 999999995;
  m.tag = 0x1234;
  return m;
}

Deno.test("formatMatch() writes the text form with bracketed IPv6 and exact times", () => {
  assert.equal(
    formatMatch(v6match(), "text"),
    "REQ: [2001:db8::1]:5353 -> [2001:db8::35]:53 [UDP] Time: 1700000000.000000005\n" +
      "RES: [2001:db8::35]:53 -> [2001:db8::1]:5353 [UDP] Time: 1700000001.000000000\n" +
      "LATENCY: 999999995 ns\n",
  );
});

Deno.test("formatMatch() JSON Lines and CSV carry every column", () => {
  const m = v6match();
  const obj = JSON.parse(formatMatch(m, "jsonl"));
  assert.deepEqual(Object.keys(obj), [...MATCH_COLUMNS]);
  assert.equal(obj.req_time, "1700000000.000000005");
  assert.equal(obj.res_src, "2001:db8::35");
  assert.equal(obj.latency_ns, 999999995);
  assert.equal(obj.tag, 0x1234);
  const row = formatMatch(m, "csv");
  assert.equal(row.split(",").length, MATCH_COLUMNS.length);
  assert.ok(row.startsWith("dns,3,1700000000.000000005,2001:db8::1,5353,"));
  assert.equal(csvHeader(MATCH_COLUMNS).trim(), MATCH_COLUMNS.join(","));
});

Deno.test("formatRecord() quotes CSV cells that need it and drops nulls from JSON", () => {
  assert.equal(formatRecord(["a", "b", "c"], ['say "hi"', null, 3], "csv"), '"say ""hi""",,3\n');
  assert.equal(formatRecord(["a", "b", "c"], ["x", null, 3], "jsonl"), '{"a":"x","c":3}\n');
});

Deno.test("flowValues() gives a Zeek-style record with exact times and seconds", () => {
  const s = new Session();
  s.uid = "Cabc";
  s.family = 4;
  s.proto = 6;
  s.origAddr[0] = 0x0a000001;
  s.respAddr[0] = 0x0a000002;
  s.origPort = 40000;
  s.respPort = 443;
  s.firstSec = 1795316355;
  s.firstNsec = 446707244;
  s.firstNs = 0;
  s.lastNs = 1032897;
  s.origSyn = s.respSynAck = true;
  s.origFlags = s.respFlags = 0x11;
  s.rttNs = 24265;
  s.state = "FIN";
  s.origPkts = 5;
  s.respPkts = 3;
  s.path = "eth:ip:tcp";
  const rec = JSON.parse(formatRecord(FLOW_COLUMNS, flowValues(s), "jsonl"));
  assert.equal(rec.ts, "1795316355.446707244");
  assert.equal(rec["id.orig_h"], "10.0.0.1");
  assert.equal(rec["id.resp_p"], 443);
  assert.equal(rec.proto, "tcp");
  assert.equal(rec.duration, 0.001032897);
  assert.equal(rec.duration_ns, 1032897);
  assert.equal(rec.conn_state, "SF");
  assert.equal(rec.tcp_state, "FIN");
  assert.equal(rec.rtt, 0.000024265);
  assert.equal(rec.rtt_ns, 24265);
  assert.equal(rec.service, undefined);
});

Deno.test("OutputBuffer hands chunks to the sink only when full or flushed", () => {
  const chunks: string[] = [];
  const out = new OutputBuffer((b) => chunks.push(new TextDecoder().decode(b)), {
    bufferBytes: 10,
  });
  out.write("12345");
  out.write("6789");
  assert.deepEqual(chunks, []);
  out.write("0");
  assert.deepEqual(chunks, ["1234567890"]);
  out.write("ab");
  out.flush();
  out.flush();
  assert.deepEqual(chunks, ["1234567890", "ab"]);
  assert.equal(out.written, 12);
});

Deno.test("formatStats() and protoName() print counters and protocol names", () => {
  assert.equal(formatStats({ matched: 2, errors: 0 }), "matched: 2\nerrors: 0\n");
  assert.deepEqual([6, 17, 1, 58, 47].map(protoName), ["TCP", "UDP", "ICMP", "ICMPv6", "47"]);
});

Deno.test("formatUnmatched() fills the request columns and the status in CSV", () => {
  const m = v6match();
  const row = formatUnmatched(m.request, "dns", "evicted", "csv").trim().split(",");
  assert.equal(row.length, MATCH_COLUMNS.length);
  assert.equal(row[0], "dns");
  assert.equal(row[3], "2001:db8::1");
  assert.equal(row[MATCH_COLUMNS.indexOf("res_frame")], "");
  assert.equal(row.at(-1), "evicted");
  assert.equal(JSON.parse(formatMatch(m, "jsonl")).status, "matched");
});

Deno.test("formatRecord() JSON Lines parse back to the same values (property)", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), fc.double(), fc.boolean(), (a, n, b) => {
      const line = formatRecord(["a", 'b"q', "c"], [a, n, b], "jsonl");
      const want = Number.isFinite(n) ? (Object.is(n, -0) ? 0 : n) : null;
      assert.deepEqual(JSON.parse(line), { a, 'b"q': want, c: b });
    }),
    { numRuns: 1000 },
  );
});
