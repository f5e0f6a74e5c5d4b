import assert from "node:assert/strict";
import {
  CorrelatedPair,
  csvHeader,
  formatPair,
  formatUnmatched,
  PAIR_COLUMNS,
} from "../../lib/pcap/mod.ts";

function v6pair(): CorrelatedPair {
  const m = new CorrelatedPair();
  m.mode = "dns";
  for (const packet of [m.request, m.response]) {
    packet.family = 6;
    packet.proto = 17;
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

Deno.test("formatPair() writes the text form with bracketed IPv6 and exact times", () => {
  assert.equal(
    formatPair(v6pair(), "text"),
    "REQ: [2001:db8::1]:5353 -> [2001:db8::35]:53 [UDP] Time: 1700000000.000000005\n" +
      "RES: [2001:db8::35]:53 -> [2001:db8::1]:5353 [UDP] Time: 1700000001.000000000\n" +
      "LATENCY: 999999995 ns\n",
  );
});

Deno.test("formatPair() writes IPv4-mapped IPv6 as ::ffff:a.b.c.d and names protocols", () => {
  const m = v6pair();
  m.request.src.set([0, 0, 0xffff, 0x01020304]);
  m.request.proto = 6;
  m.response.proto = 47;
  const text = formatPair(m, "text");
  assert.match(text, /^REQ: \[::ffff:1\.2\.3\.4\]:5353 -> .* \[TCP\]/);
  assert.match(text, /\nRES: .* \[47\] /);
  assert.equal(JSON.parse(formatPair(m, "jsonl")).req_src, "::ffff:1.2.3.4");
});

Deno.test("formatPair() JSON Lines and CSV carry every column", () => {
  const m = v6pair();
  const obj = JSON.parse(formatPair(m, "jsonl"));
  // The last-byte columns are http mode's; absent values are left out of JSON.
  assert.deepEqual(
    Object.keys(obj),
    PAIR_COLUMNS.filter((c) => !c.endsWith("_last_ns") && c !== "res_last_frame"),
  );
  assert.equal(obj.req_time, "1700000000.000000005");
  assert.equal(obj.res_src, "2001:db8::35");
  assert.equal(obj.latency_ns, 999999995);
  assert.equal(obj.tag, 0x1234);
  const row = formatPair(m, "csv");
  assert.equal(row.split(",").length, PAIR_COLUMNS.length);
  assert.ok(row.startsWith("dns,3,1700000000.000000005,2001:db8::1,5353,"));
  assert.equal(csvHeader(PAIR_COLUMNS).trim(), PAIR_COLUMNS.join(","));
});

Deno.test("formatUnmatched() fills the request columns and the status in CSV", () => {
  const m = v6pair();
  const row = formatUnmatched(m.request, "evicted", { format: "csv", mode: "dns" }).trim().split(
    ",",
  );
  assert.equal(row.length, PAIR_COLUMNS.length);
  assert.equal(row[0], "dns");
  assert.equal(row[3], "2001:db8::1");
  assert.equal(row[PAIR_COLUMNS.indexOf("res_frame")], "");
  assert.equal(row[PAIR_COLUMNS.indexOf("status")], "evicted");
  assert.equal(JSON.parse(formatPair(m, "jsonl")).status, "matched");
});

Deno.test("formatPair() gives http mode's latency to the last byte in every format", () => {
  const m = v6pair();
  m.mode = "http";
  m.latencyNs = 1500;
  m.lastByteLatencyNs = 9000;
  m.lastByteFrame = 12;
  assert.match(formatPair(m, "text"), /\nLATENCY: 1500 ns \(last byte: 9000 ns, frame 12\)\n$/);
  const obj = JSON.parse(formatPair(m, "jsonl"));
  assert.deepEqual([obj.latency_ns, obj.latency_last_ns, obj.res_last_frame], [1500, 9000, 12]);
  assert.deepEqual(Object.keys(obj), [...PAIR_COLUMNS]);
  const row = formatPair(m, "csv").trim().split(",");
  assert.equal(row[PAIR_COLUMNS.indexOf("latency_last_ns")], "9000");
});
