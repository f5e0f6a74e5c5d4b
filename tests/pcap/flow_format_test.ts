import assert from "node:assert/strict";
import { FLOW_COLUMNS, FlowSession, formatFlow } from "../../lib/pcap/mod.ts";
import { parseCidr } from "../../lib/core/ip.ts";

function session(): FlowSession {
  const s = new FlowSession();
  s.uid = "Cabc";
  s.family = 4;
  s.proto = 6;
  s.origAddr[0] = 0x0a000001;
  s.respAddr[0] = 0x0a000002;
  s.origPort = 40000;
  s.respPort = 443;
  s.firstSec = 1795316355;
  s.firstNsec = 446707244;
  s.lastSec = 1795316355;
  s.lastNsec = 446707244 + 1032897;
  s.origSyn = s.respSynAck = true;
  s.origFlags = s.respFlags = 0x11;
  s.rttNs = 24265;
  s.state = "FIN";
  s.origPkts = 5;
  s.respPkts = 3;
  s.path = "eth:ip:tcp";
  return s;
}

Deno.test("formatFlow() gives a Zeek-style record with exact times and seconds", () => {
  const rec = JSON.parse(formatFlow(session(), "jsonl"));
  assert.deepEqual(Object.keys(rec).filter((k) => !FLOW_COLUMNS.includes(k)), []);
  assert.equal(rec.ts, "1795316355.446707244");
  assert.equal(rec.uid, "Cabc");
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
  assert.equal(rec.local_orig, undefined);
  assert.equal(formatFlow(session(), "csv").split(",").length, FLOW_COLUMNS.length);
});

Deno.test("formatFlow() marks local sides for inside networks, IPv4-mapped addresses as ::ffff:a.b.c.d", () => {
  const s = session();
  s.family = 6;
  s.origAddr.splice(0, 4, 0, 0, 0xffff, 0x0a000001);
  s.respAddr.splice(0, 4, 0xfd000000, 0, 0, 1);
  const internal = [parseCidr("fd00::/8"), parseCidr("10.0.0.0/8")];
  const rec = JSON.parse(formatFlow(s, "jsonl", { internal }));
  assert.equal(rec["id.orig_h"], "::ffff:10.0.0.1");
  assert.equal(rec["id.resp_h"], "fd00::1");
  // an IPv4-mapped address is not inside an IPv4 network
  assert.deepEqual([rec.local_orig, rec.local_resp], [false, true]);
});

Deno.test("formatFlow() appends the session hooks' attributes in JSON Lines only", () => {
  const s = session();
  s.attributes = { "http.requests": 2, "ts": "ignored", "x": undefined };
  const rec = JSON.parse(formatFlow(s, "jsonl"));
  assert.equal(rec["http.requests"], 2);
  assert.equal(rec.ts, "1795316355.446707244");
  assert.equal(formatFlow(s, "csv").split(",").length, FLOW_COLUMNS.length);
});
