/**
 * The capture matcher's per-packet path allocates nothing: matching a capture of DNS queries
 * and answers, ClientHellos and HTTP requests against a database of networks, literals and
 * globs (with hits on some packets) runs no garbage collection — without a selector, with a
 * pcap-filter expression, and with an eBPF program as the selector (interpreter and JIT; packets
 * of every length) — counted from `--trace-gc`
 * in a child process (tests/match/_capture_gc_child.ts).
 *
 * The measured loop is 720,000 packets in V8's default young generation: one 12-byte number
 * per packet would be 8.6 MB and several collections. (A 1 MB young generation, as the text
 * matcher's test uses, is not used here: the optimizing compiler's own allocations after the
 * warm-up, a few hundred kB that do not grow with the packets, would fill it.)
 */
import assert from "node:assert/strict";
import { PcapWriter, TcpFlag } from "../../lib/pcap/mod.ts";
import { assemble } from "../../lib/bpf/mod.ts";
import { buildBpfElf, buildPacket } from "../../lib/testing/mod.ts";
import { DatabaseBuilder } from "../../lib/db/mod.ts";
import { clientHello, dnsWithAnswers } from "./_captures.ts";

const enc = new TextEncoder();
/** Rounds of four packets each (a query, its answer, a ClientHello, a request). */
const ROUNDS = 6000;
/** Every this many rounds, the names and addresses are planted indicators. */
const PLANT_EVERY = 50;
/** Passes over the capture before and while counting. */
const WARMUP = 10, MEASURED = 30;
/** Bytes allocated in the measured loop at most: under 6 per packet (see above). */
const MAX_GROWTH = 4 << 20;

/** A capture of varied names, each of them new to the caches, some of them indicators. */
function capture(): Uint8Array {
  const w = new PcapWriter({ nanos: true });
  for (let r = 0; r < ROUNDS; r++) {
    const planted = r % PLANT_EVERY === 0;
    const name = planted ? `x${r}.bad.test` : `host${r}.example.org`;
    const port = 10000 + (r % 20000);
    const server = planted ? "203.0.113.9" : `10.1.${(r >> 8) & 255}.${r & 255}`;
    const at = { tsSec: 1000 + r };
    w.writePacket(
      buildPacket({
        src: "10.0.0.5",
        dst: "10.0.0.53",
        proto: "udp",
        srcPort: port,
        dstPort: 53,
        payload: dnsWithAnswers(r & 0xffff, name),
      }),
      at,
    );
    w.writePacket(
      buildPacket({
        src: "10.0.0.53",
        dst: "10.0.0.5",
        proto: "udp",
        srcPort: 53,
        dstPort: port,
        payload: dnsWithAnswers(r & 0xffff, name, [[null, "A", server]]),
      }),
      at,
    );
    w.writePacket(
      buildPacket({
        src: "10.0.0.5",
        dst: server,
        proto: "tcp",
        srcPort: port,
        dstPort: 443,
        seq: r * 1000,
        tcpFlags: TcpFlag.PSH | TcpFlag.ACK,
        payload: clientHello(name, ["h2"]),
      }),
      at,
    );
    w.writePacket(
      buildPacket({
        src: "10.0.0.5",
        dst: server,
        proto: "tcp",
        srcPort: port + 1,
        dstPort: 80,
        seq: r * 1000,
        tcpFlags: TcpFlag.PSH | TcpFlag.ACK,
        payload: enc.encode(`GET /p/${r} HTTP/1.1\r\nHost: ${name}\r\n\r\n`),
      }),
      at,
    );
  }
  return w.toBytes();
}

function database(): Uint8Array {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  b.add("203.0.113.0/24", { threat: "c2" });
  for (let i = 0; i < 500; i++) b.add(`198.${i & 255}.${i >> 8}.0/24`, { n: i });
  for (let i = 0; i < 500; i++) b.add(`literal:known${i}.example.net`, { n: i });
  b.add("glob:*.bad.test", { threat: "phish" });
  b.add("glob:tracker*.example.com", { threat: "ads" });
  return b.build();
}

/** An eBPF object whose program selects UDP packets (IPv4 protocol byte 17 on Ethernet). */
function udpOnlyObject(): Uint8Array {
  const code = assemble(`
    mov %r0, 0
    jlt %r2, 24, +2
    ldxb %r0, [%r1+23]
    jeq %r0, 17, +1
    mov %r0, 0
    exit`);
  return buildBpfElf({ socket: code }, { license: "GPL" });
}

interface Summary {
  select: string;
  packets: number;
  selected: number;
  hits: number;
  heapGrowth: number;
}

async function runChild(dir: string, select: string): Promise<{ events: string[]; s: Summary }> {
  const child = new URL("./_capture_gc_child.ts", import.meta.url).pathname;
  const out = await new Deno.Command("stdbuf", {
    args: [
      "-oL",
      Deno.execPath(),
      "run",
      "--allow-read",
      "--allow-env",
      "--v8-flags=--trace-gc,--expose-gc",
      child,
      `${dir}/c.pcap`,
      `${dir}/db.mxy`,
      select,
      String(MEASURED),
      String(WARMUP),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).split("\n");
  const start = lines.findIndex((l) => l.includes("MXY-GC-START"));
  const end = lines.findIndex((l) => l.includes("MXY-GC-END"));
  assert.ok(out.success && start >= 0 && end > start, `the child failed (${select})`);
  const events = lines.slice(start, end + 1).filter((l) =>
    /Scavenge|Mark-Compact|Mark-Sweep|MinorMS|Minor Mark/i.test(l)
  );
  return { events, s: JSON.parse(lines.find((l) => l.startsWith('{"select"'))!) };
}

Deno.test("the capture matcher runs no garbage collection per packet, with or without a selector", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/c.pcap`, capture());
    await Deno.writeFile(`${dir}/db.mxy`, database());
    await Deno.writeFile(`${dir}/udp.o`, udpOnlyObject());
    const runs = await Promise.all(
      ["none", "expr", `bpf:${dir}/udp.o`, `bpf-jit:${dir}/udp.o`].map((s) => runChild(dir, s)),
    );
    const planted = Math.ceil(ROUNDS / PLANT_EVERY);
    const passes = WARMUP + MEASURED;
    for (const { events, s } of runs) {
      assert.equal(s.packets, passes * 4 * ROUNDS, s.select);
      // at least the planted query name of each planted round, every time
      assert.ok(s.hits >= MEASURED * planted, `only ${s.hits} hits (${s.select})`);
      assert.deepEqual(events, [], `GC events while matching (${s.select})`);
      assert.ok(s.heapGrowth < MAX_GROWTH, `the heap grew by ${s.heapGrowth} bytes (${s.select})`);
    }
    // without a selector, the answers and TCP messages hit too
    assert.ok(runs[0].s.hits >= MEASURED * 5 * planted, `only ${runs[0].s.hits} hits`);
    // the expression keeps the queries, the eBPF program (both engines) every UDP packet
    assert.equal(runs[1].s.selected, passes * ROUNDS);
    assert.equal(runs[2].s.selected, passes * 2 * ROUNDS);
    assert.equal(runs[3].s.selected, passes * 2 * ROUNDS);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
