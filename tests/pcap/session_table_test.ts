import assert from "node:assert/strict";
import {
  type FlowSession,
  formatFlow,
  SessionTable,
  type SessionTableOptions,
  trackFlows,
} from "../../lib/pcap/mod.ts";
import { trackFlowsInFile } from "../../lib/runtime/mod.ts";
import { formatIpWords } from "../../lib/core/ip.ts";
import { fixture } from "../_fixtures.ts";
import {
  dnsMessage,
  makeCapture,
  readOracle,
  secondsToNs,
  text,
  type TimedPacket,
} from "./_flow_captures.ts";

async function sessions(
  source: string | Uint8Array,
  options: SessionTableOptions = {},
): Promise<FlowSession[]> {
  const out: FlowSession[] = [];
  const t = new SessionTable({ ...options, onClose: (s) => out.push(s) });
  if (typeof source === "string") await trackFlowsInFile(source, t);
  else await trackFlows(source, t);
  t.finish();
  return out;
}

function endpoint(addr: ArrayLike<number>, family: 4 | 6, port: number): string {
  return `${formatIpWords(addr, family)}/${port}`;
}

const LOOPBACK = fixture("pcap/loopback");

Deno.test(
  "sessions of the loopback captures match tshark's packets per direction and initial RTT",
  { ignore: !LOOPBACK },
  async () => {
    const files = [...Deno.readDirSync(LOOPBACK!)].map((e) => e.name).filter((n) =>
      /\.(pcap|pcapng)$/.test(n)
    );
    let rtts = 0;
    for (const name of files) {
      const rows = readOracle(`${LOOPBACK}/${name}.tshark.csv`);
      // Oracle: group tshark rows by conversation; the first packet's sender is the originator.
      const conv = new Map<string, { orig: string; o: number; r: number; rtt: bigint | null }>();
      for (const r of rows) {
        const src = (r["ip.src"] || r["ipv6.src"]) + "/" + (r["tcp.srcport"] || r["udp.srcport"]);
        const dst = (r["ip.dst"] || r["ipv6.dst"]) + "/" + (r["tcp.dstport"] || r["udp.dstport"]);
        const proto = r["tcp.srcport"] ? "tcp" : "udp";
        const key = proto + " " + [src, dst].sort().join(" ");
        let c = conv.get(key);
        if (!c) conv.set(key, c = { orig: src, o: 0, r: 0, rtt: null });
        if (src === c.orig) c.o++;
        else c.r++;
        if (r["tcp.analysis.initial_rtt"]) c.rtt = secondsToNs(r["tcp.analysis.initial_rtt"]);
      }
      const got = await sessions(`${LOOPBACK}/${name}`);
      assert.equal(got.length, conv.size, name);
      for (const s of got) {
        const o = endpoint(s.origAddr, s.family, s.origPort);
        const r = endpoint(s.respAddr, s.family, s.respPort);
        const key = (s.proto === 6 ? "tcp" : "udp") + " " + [o, r].sort().join(" ");
        const c = conv.get(key);
        assert.ok(c, `${name}: unexpected session ${key}`);
        assert.equal(o, c.orig, key);
        assert.deepEqual([s.origPkts, s.respPkts], [c.o, c.r], key);
        if (c.rtt !== null) {
          assert.equal(BigInt(s.rttNs), c.rtt, `${name} ${key} rtt`);
          rtts++;
        }
      }
    }
    assert.ok(rtts >= 25, `compared ${rtts} handshake RTTs`);
  },
);

Deno.test("the relay capture gives 20 closed TCP conversations (SF) and 20 one-way UDP ones (S0)", {
  ignore: !LOOPBACK,
}, async () => {
  const got = await sessions(`${LOOPBACK}/relay-udp-to-tcp.pcap`);
  const tcp = got.filter((s) => s.proto === 6);
  const udp = got.filter((s) => s.proto === 17);
  assert.equal(tcp.length, 20);
  assert.equal(udp.length, 20);
  for (const s of tcp) {
    assert.equal(s.connState(), "SF");
    assert.equal(s.state, "FIN");
    assert.equal(s.origBytes, 18);
    assert.equal(s.respBytes, 0);
    assert.equal(s.path, "eth:ip:tcp");
  }
  for (const s of udp) {
    assert.equal(s.connState(), "S0");
    assert.equal(s.origBytes, 18);
  }
});

const A = "10.1.0.1", B = "10.1.0.2";

function tcp(
  nsec: number,
  fromA: boolean,
  flags: number,
  payload?: string,
  port = 40000,
): TimedPacket {
  return {
    sec: 100,
    nsec,
    src: fromA ? A : B,
    dst: fromA ? B : A,
    proto: "tcp",
    srcPort: fromA ? port : 443,
    dstPort: fromA ? 443 : port,
    tcpFlags: flags,
    payload: payload === undefined ? undefined : text(payload),
  };
}

const SYN = 0x02, SYNACK = 0x12, ACK = 0x10, FINACK = 0x11, RST = 0x04, PSHACK = 0x18;

Deno.test("TCP conversations get Zeek conn_state codes and SYN/established/FIN/RST states", async () => {
  const cases: [string, TimedPacket[], string, string][] = [
    ["S0", [tcp(0, true, SYN)], "S0", "SYN"],
    ["REJ", [tcp(0, true, SYN), tcp(5, false, RST | ACK)], "REJ", "RST"],
    ["S1", [tcp(0, true, SYN), tcp(5, false, SYNACK), tcp(9, true, ACK)], "S1", "established"],
    [
      "SF",
      [
        tcp(0, true, SYN),
        tcp(5, false, SYNACK),
        tcp(9, true, ACK),
        tcp(20, true, PSHACK, "hi"),
        tcp(30, true, FINACK),
        tcp(40, false, FINACK),
        tcp(50, true, ACK),
      ],
      "SF",
      "FIN",
    ],
    [
      "RSTO",
      [tcp(0, true, SYN), tcp(5, false, SYNACK), tcp(9, true, ACK), tcp(20, true, RST)],
      "RSTO",
      "RST",
    ],
    [
      "RSTR",
      [tcp(0, true, SYN), tcp(5, false, SYNACK), tcp(9, true, ACK), tcp(20, false, RST)],
      "RSTR",
      "RST",
    ],
    ["OTH", [tcp(0, true, PSHACK, "mid-stream")], "OTH", "established"],
    ["SH", [tcp(0, true, SYN), tcp(9, true, FINACK)], "SH", "FIN"],
  ];
  for (const [label, packets, conn, state] of cases) {
    const [s] = await sessions(makeCapture(packets));
    assert.equal(s.connState(), conn, label);
    assert.equal(s.state, state, label);
  }
});

Deno.test("the handshake RTT runs from the first SYN to the ACK completing the handshake", async () => {
  const [s] = await sessions(makeCapture([
    tcp(1000, true, SYN),
    tcp(2000, true, SYN), // retransmission: the first SYN counts
    tcp(2500, false, SYNACK),
    tcp(3700, true, ACK),
    tcp(9000, true, PSHACK, "data"),
  ]));
  assert.equal(s.rttNs, 2700);
  assert.equal(s.history, "ShAD");
  assert.deepEqual([s.origPkts, s.respPkts, s.origBytes], [4, 1, 4]);
  assert.equal(s.durationNs(), 8000);
});

Deno.test("a conversation first seen at its SYN/ACK names the SYN/ACK's receiver as originator", async () => {
  const [s] = await sessions(makeCapture([tcp(0, false, SYNACK), tcp(10, true, ACK)]));
  assert.equal(formatIpWords(s.origAddr, 4), A);
  assert.equal(s.origPort, 40000);
  assert.deepEqual([s.origPkts, s.respPkts], [1, 1]);
  assert.equal(s.connState(), "OTH");
});

Deno.test("a new SYN after a closed conversation on the same ports starts a new session", async () => {
  const got = await sessions(makeCapture([
    tcp(0, true, SYN),
    tcp(5, false, SYNACK),
    tcp(9, true, ACK),
    tcp(20, true, FINACK),
    tcp(30, false, FINACK),
    tcp(40, true, ACK),
    tcp(1000, true, SYN),
    tcp(1005, false, SYNACK),
  ]));
  assert.equal(got.length, 2);
  assert.deepEqual(got.map((s) => s.origPkts + s.respPkts), [6, 2]);
  assert.notEqual(got[0].uid, got[1].uid);
});

Deno.test("UDP sessions are S0 one-way and SF answered; DNS gets its service and path", async () => {
  const got = await sessions(makeCapture([
    { sec: 1, nsec: 0, src: A, dst: B, srcPort: 5000, dstPort: 53, payload: dnsMessage(1, false) },
    { sec: 1, nsec: 7, src: B, dst: A, srcPort: 53, dstPort: 5000, payload: dnsMessage(1, true) },
    {
      sec: 1,
      nsec: 9,
      src: A,
      dst: B,
      srcPort: 6000,
      dstPort: 9999,
      payload: text("x"),
      vlans: [7],
    },
  ]));
  assert.equal(got.length, 2);
  assert.equal(got[0].connState(), "SF");
  assert.equal(got[0].service, "dns");
  assert.equal(got[0].path, "eth:ip:udp:dns");
  assert.equal(got[0].history, "Dd");
  assert.equal(got[1].connState(), "S0");
  assert.equal(got[1].path, "eth:vlan:ip:udp");
});

Deno.test("sessions idle longer than the timeout are closed by capture time, in order", async () => {
  const closedAt: string[] = [];
  const t = new SessionTable({
    idleTimeoutNs: 10e9,
    onClose: (s) => closedAt.push(`${s.origPort}@${t.stats.packets}`),
  });
  await trackFlows(
    makeCapture([
      { sec: 0, nsec: 0, src: A, dst: B, srcPort: 1, dstPort: 9 },
      { sec: 5, nsec: 0, src: A, dst: B, srcPort: 2, dstPort: 9 },
      { sec: 8, nsec: 0, src: B, dst: A, srcPort: 9, dstPort: 1 }, // keeps port 1 alive
      { sec: 16, nsec: 0, src: A, dst: B, srcPort: 3, dstPort: 9 }, // port 2 idle > 10 s
      { sec: 30, nsec: 0, src: A, dst: B, srcPort: 4, dstPort: 9 }, // 1 and 3 idle
    ]),
    t,
  );
  assert.equal(t.stats.expired, 3);
  t.finish();
  assert.deepEqual(closedAt, ["2@4", "1@5", "3@5", "4@5"]);
});

Deno.test("the table holds at most maxSessions and closes the least recently active", async () => {
  const got = await sessions(
    makeCapture([
      { sec: 0, nsec: 0, src: A, dst: B, srcPort: 1, dstPort: 9 },
      { sec: 0, nsec: 1, src: A, dst: B, srcPort: 2, dstPort: 9 },
      { sec: 0, nsec: 2, src: A, dst: B, srcPort: 1, dstPort: 9 },
      { sec: 0, nsec: 3, src: A, dst: B, srcPort: 3, dstPort: 9 },
    ]),
    { maxSessions: 2 },
  );
  assert.deepEqual(got.map((s) => s.origPort), [2, 1, 3]);
});

Deno.test("IPv6 conversations share one session in both directions", async () => {
  const got = await sessions(makeCapture([
    { sec: 0, nsec: 0, src: "2001:db8::1", dst: "2001:db8::2", srcPort: 7, dstPort: 8 },
    { sec: 0, nsec: 5, src: "2001:db8::2", dst: "2001:db8::1", srcPort: 8, dstPort: 7 },
    { sec: 0, nsec: 9, src: "2001:db8::2", dst: "2001:db8::1", srcPort: 8, dstPort: 70 },
  ]));
  assert.equal(got.length, 2);
  assert.equal(formatIpWords(got[0].origAddr, 6), "2001:db8::1");
  assert.deepEqual([got[0].origPkts, got[0].respPkts], [1, 1]);
  assert.equal(got[0].path, "eth:ipv6:udp");
});

Deno.test("session hooks see every packet with its direction and report attributes at close", async () => {
  const seen: string[] = [];
  const got = await sessions(
    makeCapture([
      tcp(0, true, SYN),
      tcp(5, false, SYNACK),
      tcp(9, true, PSHACK, "abc"),
      tcp(20, false, PSHACK, "de"),
    ]),
    {
      hooks: {
        open: () => ({ bytes: 0, n: 0 }),
        packet: (st, p, fromOrig) => {
          const s = st as { bytes: number; n: number };
          s.n++;
          s.bytes += p.payLen;
          seen.push(fromOrig ? "o" : "r");
        },
        close: (st) => {
          const s = st as { bytes: number; n: number };
          return { "test.packets": s.n, "test.bytes": s.bytes };
        },
      },
    },
  );
  assert.deepEqual(seen, ["o", "r", "o", "r"]);
  assert.deepEqual(got[0].attributes, { "test.packets": 4, "test.bytes": 5 });
});

Deno.test("a custom classifier names the service and the protocol path", async () => {
  const [s] = await sessions(
    makeCapture([{
      sec: 0,
      nsec: 0,
      src: A,
      dst: B,
      srcPort: 7,
      dstPort: 4789,
      payload: text("x"),
    }]),
    { classify: (p) => (p.dport === 4789 ? "vxlan" : "") },
  );
  assert.equal(s.service, "vxlan");
  assert.equal(s.path, "eth:ip:udp:vxlan");
});

Deno.test("durations and handshake RTTs are exact integer nanoseconds across decades", async () => {
  const far = 1_900_000_000;
  const got = await sessions(makeCapture([
    { ...tcp(0, true, ACK), src: "10.9.9.9", sec: 946_684_800, nsec: 0 },
    { ...tcp(0, true, SYN), sec: far, nsec: 999_999_999 },
    { ...tcp(0, false, SYNACK), sec: far + 1, nsec: 1_000 },
    { ...tcp(0, true, ACK), sec: far + 1, nsec: 3_000 },
  ]));
  const s = got.find((x) => x.origPkts === 2)!;
  assert.equal(s.rttNs, 3001);
  assert.equal(s.durationNs(), 3001);
  assert.equal(got.find((x) => x.origPkts === 1)!.durationNs(), 0);
});

/** A TCP segment of the A:40000 ↔ B:443 connection with a sequence number. */
function segment(
  nsec: number,
  fromA: boolean,
  seq: number,
  payload = "",
  flags = PSHACK,
  ack = 0,
): TimedPacket {
  return { ...tcp(nsec, fromA, flags, payload === "" ? undefined : payload), seq, ack };
}

Deno.test("with reassemble, sessions count TCP payload bytes once beside the raw counts, and missed bytes", async () => {
  const packets = [
    segment(0, true, 0, "", SYN),
    segment(1, false, 0, "", SYNACK, 1),
    segment(2, true, 1, "", ACK, 1),
    segment(3, true, 1, "hello"),
    segment(4, true, 1, "hello"), // retransmitted
    segment(5, true, 11, "world"), // out of order: 6–10 come next
    segment(6, true, 6, "-----"),
    segment(7, true, 8, "---wo"), // overlaps what came: nothing new
    segment(8, false, 1, "ok", PSHACK, 16),
    segment(9, false, 8, "!", PSHACK, 16), // 3–7 were never seen: the client acknowledges past
    segment(10, true, 16, "", ACK, 9),
  ];
  const [plain] = await sessions(makeCapture(packets));
  assert.deepEqual([plain.origBytes, plain.respBytes], [25, 3]);
  assert.deepEqual([plain.origDataBytes, plain.respDataBytes, plain.missedBytes], [-1, -1, -1]);
  const [s] = await sessions(makeCapture(packets), { reassemble: true });
  assert.deepEqual([s.origBytes, s.respBytes], [25, 3]);
  assert.deepEqual([s.origDataBytes, s.respDataBytes, s.missedBytes], [15, 3, 5]);
  const rec = JSON.parse(formatFlow(s, "jsonl"));
  assert.deepEqual([rec.orig_data_bytes, rec.resp_data_bytes, rec.missed_bytes], [15, 3, 5]);
  // A session first seen at its SYN/ACK keeps the directions straight.
  const [flipped] = await sessions(makeCapture(packets.slice(1)), { reassemble: true });
  assert.deepEqual([flipped.origPort, flipped.origDataBytes, flipped.respDataBytes], [
    40000,
    15,
    3,
  ]);
});
