import assert from "node:assert/strict";
import { Database, DatabaseBuilder } from "../../lib/db/mod.ts";
import {
  CaptureMatcher,
  type CaptureMatchStats,
  formatCaptureHit,
  matchCapture,
  matchStatsFromRecord,
  type MatchTaskConfig,
} from "../../lib/match/mod.ts";
import { CapturePipeline, PcapWriter, TcpFlag } from "../../lib/pcap/mod.ts";
import { captureWorkers } from "../../lib/runtime/mod.ts";
import { buildPacket } from "../../lib/testing/mod.ts";
import { fixture } from "../_fixtures.ts";
import { manyFlowsCapture } from "../pcap/_many_flows.ts";
import { clientHello, dnsWithAnswers } from "./_captures.ts";

const WORKER = new URL("./_match_task_worker.ts", import.meta.url);
const { ACK, PSH, SYN } = TcpFlag;
const enc = new TextEncoder();

/** The planted indicators: addresses of the generated captures, names, hosts, a URL. */
function database(): Uint8Array {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  // (a value that is not ASCII before the uid of first-per-flow records: where the uid goes is
  // counted in UTF-8 bytes)
  b.add("10.0.3.0/24", { threat: "net-a", note: "réseau € 😀" });
  b.add("10.0.7.9/32", { threat: "host" });
  b.add("fd00::53/128", { threat: "v6" });
  b.add("192.0.2.0/24", { threat: "answer" });
  b.add("h5.example", { threat: "name" });
  b.add("*.h1.example", { threat: "glob" });
  b.add("h13.example", { threat: "name13" });
  b.add("s3", { threat: "host-s3" });
  b.add("bad2.example", { threat: "split" });
  b.add("http://bad4.example/p4", { threat: "url" });
  b.add("tls1.example", { threat: "sni" });
  b.add("127.0.0.1/32", { threat: "loopback" });
  return b.build();
}

/**
 * Interleaved TCP conversations whose request heads and ClientHellos come in two or three
 * segments, some segments and some whole messages sent twice, DNS answers with addresses, and
 * pauses long enough for a short idle time to end sessions while others go on.
 */
function splitMessagesCapture(conversations: number, baseSec: number, ports = 20000): Uint8Array {
  const events: { ns: number; order: number; bytes: Uint8Array }[] = [];
  let order = 0;
  for (let c = 0; c < conversations; c++) {
    const client = `10.0.${c % 9}.${1 + (c % 17)}`, server = `10.1.0.${1 + (c % 5)}`;
    const port = ports + c;
    const tls = c % 3 === 0;
    const dport = tls ? 443 : 80;
    let t = c * 700_000 + (c % 11 === 0 ? 3e9 : 0);
    const step = () => (t += 400_000 + (c % 7) * 100_000);
    const tcp = (from: boolean, flags: number, seq: number, payload?: Uint8Array) =>
      buildPacket({
        src: from ? client : server,
        dst: from ? server : client,
        srcPort: from ? port : dport,
        dstPort: from ? dport : port,
        proto: "tcp",
        tcpFlags: flags,
        seq,
        ack: 1,
        payload,
      });
    const at = (bytes: Uint8Array) => events.push({ ns: step(), order: order++, bytes });
    at(tcp(true, SYN, 99));
    at(tcp(false, SYN | ACK, 499));
    const msg = tls
      ? clientHello(`tls${c % 4}.example`, ["h2"])
      : enc.encode(`GET /p${c % 6} HTTP/1.1\r\nHost: bad${c % 6}.example\r\nX: ${c}\r\n\r\n`);
    const cuts = c % 2 === 0 ? [0, msg.length >> 1, msg.length] : [0, 9, 30, msg.length];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const seg = tcp(true, PSH | ACK, 100 + cuts[i], msg.subarray(cuts[i], cuts[i + 1]));
      at(seg);
      if ((c + i) % 5 === 0) at(seg); // a segment sent twice
    }
    if (c % 4 === 1) at(tcp(true, PSH | ACK, 100, msg)); // the whole message again
    if (c % 6 === 2) {
      t += 2e9; // a long pause: idle sessions of a short idle time end meanwhile
      at(tcp(true, PSH | ACK, 100 + msg.length, enc.encode("more")));
    }
    const id = 100 + c;
    const name = `n${c % 4}.h1.example`;
    at(
      buildPacket({
        src: client,
        dst: "10.0.7.9",
        srcPort: port,
        dstPort: 53,
        payload: dnsWithAnswers(id, name),
      }),
    );
    at(buildPacket({
      src: "10.0.7.9",
      dst: client,
      srcPort: 53,
      dstPort: port,
      payload: dnsWithAnswers(id, name, [[null, "A", `192.0.2.${c % 3}`]]),
    }));
  }
  events.sort((a, b) => a.ns - b.ns || a.order - b.order);
  const w = new PcapWriter({ nanos: true });
  for (const e of events) {
    w.writePacket(e.bytes, { tsSec: baseSec + Math.floor(e.ns / 1e9), tsNsec: e.ns % 1e9 });
  }
  return w.toBytes();
}

type Options = Omit<MatchTaskConfig, "db">;

/** What `mxy pcap match --threads 1` prints, and its counters. */
async function once(db: Uint8Array, inputs: Uint8Array[], o: Options) {
  let text = "";
  const m = new CaptureMatcher(Database.fromBytes(db), {
    ...o,
    onHit: (h) => (text += formatCaptureHit(h, o.format ?? "jsonl")),
  });
  for (const input of inputs) await matchCapture(input, m);
  return { text, stats: m.finish() };
}

async function parallel(db: Uint8Array, inputs: Uint8Array[], threads: number, o: Options) {
  const shared = new SharedArrayBuffer(db.length);
  new Uint8Array(shared).set(db);
  // with 2 workers, the workers take this thread's checks of the bytes (as mxy pcap match
  // hands them); with 1 and 4 each checks for itself
  const checked = threads === 2
    ? { checked: Database.fromBytes(new Uint8Array(shared)).shareChecks() }
    : {};
  let text = "";
  const pipeline = new CapturePipeline({
    ...captureWorkers(threads, { module: WORKER }),
    task: "match",
    config: { ...o, db: shared, ...checked } satisfies MatchTaskConfig,
    onText: (t) => (text += t),
  });
  try {
    for (const input of inputs) await pipeline.run(input);
    return { text, stats: matchStatsFromRecord(await pipeline.finish()) };
  } finally {
    pipeline.close();
  }
}

async function assertSame(inputs: Uint8Array[], o: Options, what: string): Promise<number> {
  const db = database();
  const one = await once(db, inputs, o);
  assert.ok(one.stats.hits > 0, `${what}: something to compare`);
  for (const threads of [1, 2, 4]) {
    const many = await parallel(db, inputs, threads, o);
    assert.equal(many.text, one.text, `${what} with ${threads} threads`);
    // Counters of caches shared by all flows of a matcher differ with how flows are shared:
    // lookups answered from the caches, and (where the direct-mapped cache of messages read
    // lost one to another flow's) retransmissions told apart and held tails given up.
    const strip = (s: CaptureMatchStats) => {
      const { cached: _c, incomplete: _i, retransmitted: _r, ...rest } = s;
      return rest;
    };
    assert.deepEqual(strip(many.stats), strip(one.stats), `${what} with ${threads} threads`);
  }
  return one.stats.hits;
}

Deno.test("the match task gives the hits of one matcher on generated captures, for 1, 2 and 4 workers", async () => {
  const inputs = [
    splitMessagesCapture(120, 1_700_000_000),
    manyFlowsCapture(300, 7, 1_700_000_100),
    // Other ports than the first: the same message on the same ports and sequence numbers
    // long after is read again or not as a direct-mapped cache of recently read messages,
    // shared by all flows, still holds it (lib/match/_tcp_messages.ts): that depends on the
    // other flows of the matcher, so on how flows are shared among workers.
    splitMessagesCapture(60, 1_700_000_200, 30000),
  ];
  const split = await once(database(), inputs, {});
  // the generated captures have what the equality is about
  assert.ok(split.stats.retransmitted > 0, "retransmitted messages");
  assert.ok(
    split.stats.hitsByAttribute["tls.sni"] > 0 && split.stats.hitsByAttribute["http.url"] > 0,
  );
  await assertSame(inputs, { format: "jsonl" }, "every hit");
  await assertSame(inputs, { format: "csv", parentDomains: true }, "parent domains");
  // first per flow: sessions end idle while others go on, over three captures (uids included)
  const hits = await assertSame(
    inputs,
    { format: "jsonl", firstPerFlow: true, idleTimeoutNs: 1e9 },
    "first per flow",
  );
  assert.ok(hits > 10);
  await assertSame(inputs, { format: "text", firstPerFlow: true }, "first per flow, 300 s");
  await assertSame(
    inputs,
    { format: "jsonl", pluginAttributes: ["http.user_agent", "dns.qry.name"] },
    "plugin attributes",
  );
});

Deno.test("the match task gives the hits of one matcher on the shared loopback captures", async () => {
  const dir = fixture("pcap/loopback");
  if (dir === null) return;
  const inputs = [...Deno.readDirSync(dir)].map((e) => e.name)
    .filter((n) => /\.pcap(ng)?$/.test(n)).sort().map((n) => Deno.readFileSync(`${dir}/${n}`));
  assert.ok(inputs.length >= 5);
  await assertSame(inputs, { format: "jsonl" }, "loopback");
  // (an idle time longer than the 5 s these captures' times go back by: sessions end idle as
  // one thread ends them while capture time does not go back by more than the idle time)
  await assertSame(
    inputs,
    { format: "jsonl", firstPerFlow: true, idleTimeoutNs: 6e9 },
    "loopback per flow",
  );
});
