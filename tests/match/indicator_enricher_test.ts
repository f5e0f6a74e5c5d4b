import assert from "node:assert/strict";
import { IndicatorEnricher } from "../../lib/match/mod.ts";
import {
  Correlator,
  FlowPacket,
  forEachPacket,
  PcapWriter,
  SessionTable,
  TcpFlag,
  trackFlows,
} from "../../lib/pcap/mod.ts";
import { buildPacket } from "../../lib/testing/mod.ts";
import { parseIp } from "../../lib/db/mod.ts";
import { clientHello, databaseOf, dnsWithAnswers } from "./_captures.ts";

const enc = new TextEncoder();
const DB = databaseOf([
  "198.51.100.0/24",
  "2001:db8:bad::/48",
  "literal:evil.example",
  "glob:*.dyn.test",
  "literal:10.9.8.7",
]);

function words(ip: string): number[] {
  const b = parseIp(ip).bytes;
  const out: number[] = [];
  for (let i = 0; i < b.length; i += 4) {
    out.push(((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0);
  }
  return out;
}

Deno.test("IndicatorEnricher looks up addresses (longest prefix) and names as mxy match does", () => {
  const e = new IndicatorEnricher(DB);
  assert.deepEqual(e.lookupAddress(words("198.51.100.200"), 4), {
    entry: "198.51.100.0/24",
    match: "network",
    dataJson: '{"tag":"198.51.100.0/24"}',
  });
  assert.equal(e.lookupAddress(words("192.0.2.1"), 4), null);
  assert.equal(e.lookupAddress(words("2001:db8:bad::9"), 6)?.entry, "2001:db8:bad::/48");
  assert.equal(e.lookupAddress(words("2001:db8::9"), 6), null);
  // names: folded to lower case; a literal, else a glob; parent domains only when asked
  assert.equal(e.lookupName("Evil.EXAMPLE")?.match, "literal");
  assert.deepEqual(e.lookupName("a.dyn.test"), {
    entry: "*.dyn.test",
    match: "glob",
    dataJson: '{"tag":"glob:*.dyn.test"}',
  });
  assert.equal(e.lookupName("www.evil.example"), null);
  const parents = new IndicatorEnricher(DB, { parentDomains: true });
  assert.deepEqual(
    [parents.lookupName("www.evil.example")?.match, parents.lookupName("www.evil.example")?.entry],
    ["parent-domain", "evil.example"],
  );
  // a name that is an address is looked up as one
  assert.equal(e.lookupName("198.51.100.1")?.match, "network");
  assert.equal(e.lookupName(""), null);
});

Deno.test("IndicatorEnricher names each flow by its first DNS question, SNI or Host, and looks the name up", async () => {
  const w = new PcapWriter();
  w.writePacket(buildPacket({
    src: "10.0.0.5",
    dst: "10.0.0.53",
    proto: "udp",
    srcPort: 4000,
    dstPort: 53,
    payload: dnsWithAnswers(7, "Host.Dyn.Test"),
  }));
  w.writePacket(buildPacket({
    src: "10.0.0.5",
    dst: "198.51.100.9",
    proto: "tcp",
    srcPort: 5000,
    dstPort: 443,
    tcpFlags: TcpFlag.PSH | TcpFlag.ACK,
    payload: clientHello("evil.example", ["h2"]),
  }));
  w.writePacket(buildPacket({
    src: "10.0.0.5",
    dst: "10.0.0.80",
    proto: "tcp",
    srcPort: 5001,
    dstPort: 80,
    tcpFlags: TcpFlag.PSH | TcpFlag.ACK,
    payload: enc.encode("GET / HTTP/1.1\r\nHost: benign.test:8080\r\n\r\n"),
  }));
  const e = new IndicatorEnricher(DB);
  const rows: Record<string, unknown>[] = [];
  const csv: string[] = [];
  const table = new SessionTable({
    hooks: e.flowHooks(),
    onClose: (s) => {
      rows.push(JSON.parse(e.formatFlow(s, "jsonl")));
      csv.push(e.formatFlow(s, "csv"));
    },
  });
  await trackFlows(w.toBytes(), table);
  table.finish();
  const byName = new Map(rows.map((r) => [r.name, r]));
  assert.deepEqual(
    [...byName.keys()].sort(),
    ["benign.test", "evil.example", "host.dyn.test"],
  );
  const dns = byName.get("host.dyn.test")!;
  assert.equal(dns.name_source, "dns.qname");
  assert.deepEqual(dns.name_db, {
    entry: "*.dyn.test",
    match: "glob",
    data: { tag: "glob:*.dyn.test" },
  });
  const tls = byName.get("evil.example")!;
  assert.equal(tls.name_source, "tls.sni");
  assert.equal((tls.resp_db as { entry: string }).entry, "198.51.100.0/24");
  assert.equal((tls.name_db as { match: string }).match, "literal");
  const http = byName.get("benign.test")!;
  assert.equal(http.name_source, "http.host");
  assert.equal(http.name_db, undefined);
  assert.equal(http.orig_db, undefined);
  // CSV: the five columns after the flow's, data as JSON text
  const tlsRow = csv.find((l) => l.includes("evil.example"))!;
  assert.ok(
    tlsRow.trimEnd().endsWith(
      ',evil.example,tls.sni,,"{""entry"":""198.51.100.0/24"",""match"":""network"",""data"":{""tag"":""198.51.100.0/24""}}",' +
        '"{""entry"":""evil.example"",""match"":""literal"",""data"":{""tag"":""literal:evil.example""}}"',
    ),
    tlsRow,
  );
});

Deno.test("IndicatorEnricher.formatPair adds which side of a correlated pair is an indicator", async () => {
  const w = new PcapWriter({ nanos: true });
  const q = dnsWithAnswers(9, "x.test");
  const r = dnsWithAnswers(9, "x.test", [[null, "A", "192.0.2.1"]]);
  w.writePacket(
    buildPacket({
      src: "10.0.0.5",
      dst: "198.51.100.53",
      proto: "udp",
      srcPort: 4000,
      dstPort: 53,
      payload: q,
    }),
    { tsSec: 1, tsNsec: 0 },
  );
  w.writePacket(
    buildPacket({
      src: "198.51.100.53",
      dst: "10.0.0.5",
      proto: "udp",
      srcPort: 53,
      dstPort: 4000,
      payload: r,
    }),
    { tsSec: 1, tsNsec: 5000 },
  );
  const e = new IndicatorEnricher(DB);
  const out: string[] = [];
  const c = new Correlator({
    mode: "dns",
    onMatch: (pair) => out.push(e.formatPair(pair, "jsonl"), e.formatPair(pair, "text")),
  });
  const p = new FlowPacket();
  await forEachPacket(w.toBytes(), (v) => {
    p.readView(v);
    c.push(p);
  });
  c.finish();
  const rec = JSON.parse(out[0]);
  const c2 = { entry: "198.51.100.0/24", match: "network", data: { tag: "198.51.100.0/24" } };
  assert.deepEqual([rec.req_src_db, rec.req_dst_db, rec.res_src_db, rec.res_dst_db], [
    undefined,
    c2,
    c2,
    undefined,
  ]);
  assert.equal(rec.latency_ns, 5000);
  assert.match(
    out[1],
    /^DB: req_dst 198\.51\.100\.53 network 198\.51\.100\.0\/24 \{"tag":"198\.51\.100\.0\/24"\}$/m,
  );
  assert.match(out[1], /^DB: res_src 198\.51\.100\.53 network /m);
  assert.ok(!/res_dst|req_src/.test(out[1]));
});
