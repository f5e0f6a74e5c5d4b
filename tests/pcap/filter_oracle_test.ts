/**
 * tcpdump as the judge of mxy's filter compiler: generated expressions over every shared capture
 * (merged by link type) and over captures made for the link types the fixtures lack; the packets
 * `filterCapture` keeps must be exactly those `tcpdump -r FILE -w - EXPR` keeps. The large sweep
 * (thousands of expressions) is bench/filter_sweep.ts.
 */
import assert from "node:assert/strict";
import {
  disagreement,
  generateExpressions,
  mxySelect,
  oracleCaptures,
  tcpdumpSelect,
  valuePool,
  writeOracleCapture,
} from "./_filter_cases.ts";
import { fixture, hasProgram } from "../_fixtures.ts";

/** Hand-picked expressions every capture runs: each link type's own tests and the quirks. */
const FIXED = [
  "ip",
  "ip6",
  "not ip and not ip6",
  "udp",
  "tcp port 80",
  "host ::1",
  "ip6 host 2001:db8::1 or host 10.0.0.1",
  "arp or rarp",
  "udp port 53 and greater 60",
  "tcp[tcpflags] & tcp-syn != 0",
  "icmp6[icmp6type] = icmp6-echo or icmp[icmptype] = icmp-echo",
  "vlan 100 and vlan 200 or udp",
  "ether host 00:11:22:33:44:55 and not broadcast",
  "inbound",
  "stp or iso or ipx or atalk",
  "port 9999 or 53",
  "tcp port 80 or 443 and not 22",
  "ip proto \\udp or ip6 proto 58",
  "len > 60 and ip[2:2] > 40",
  "mpls and ip6 or pppoes 3 and ip",
];

function captureFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) walk(p);
      else if (/\.(pcap|pcapng)$/.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

Deno.test("filterCapture() keeps what tcpdump -r keeps, for generated expressions on every link type", async () => {
  const dir = fixture("pcap");
  if (dir === null || !hasProgram("tcpdump")) return;
  const captures = await oracleCaptures(captureFiles(dir));
  // Every link type mxy compiles for is there: the fixtures' and the made ones.
  const names = captures.map((c) => c.name).sort();
  for (const n of ["lt1", "lt113", "lt276", "null-le", "null-be", "loop", "raw", "ipv4", "ipv6"]) {
    assert.ok(names.includes(n), `no ${n} capture (have ${names.join(", ")})`);
  }
  const tmp = await Deno.makeTempDir({ prefix: "mxy-filter-oracle-" });
  try {
    const written = captures.map((c) => {
      const bytes = writeOracleCapture(c);
      const path = `${tmp}/${c.name}.pcap`;
      Deno.writeFileSync(path, bytes);
      return { c, bytes, path };
    });
    const ethernet = written.findIndex((w) => w.c.name === "lt1");
    const generated = generateExpressions(20250, 200, valuePool(captures));
    // Each generated expression runs on the Ethernet capture (the most varied) and two others,
    // in turn; the fixed ones on every capture; every tenth also in the eBPF JIT.
    const jobs: { expr: string; w: (typeof written)[number]; engine: "classic" | "ebpf" }[] = [];
    generated.forEach((expr, i) => {
      const others = written.filter((_, j) => j !== ethernet);
      for (
        const w of [
          written[ethernet],
          others[(2 * i) % others.length],
          others[(2 * i + 1) % others.length],
        ]
      ) {
        jobs.push({ expr, w, engine: i % 10 === 0 ? "ebpf" : "classic" });
      }
    });
    for (const expr of FIXED) for (const w of written) jobs.push({ expr, w, engine: "classic" });
    const failures: string[] = [];
    let kept = 0, refused = 0;
    const queue = [...jobs];
    const worker = async () => {
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
        const [want, got] = await Promise.all([
          tcpdumpSelect(job.w.path, job.expr),
          mxySelect(job.w.bytes, job.expr, job.engine),
        ]);
        if (typeof want === "string") refused++;
        else kept += want.length;
        const why = disagreement(want, got);
        if (why !== null) failures.push(`${job.w.c.name} (${job.engine}): ${job.expr}\n  ${why}`);
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    assert.deepEqual(failures, [], failures.slice(0, 10).join("\n"));
    // The comparison is not vacuous: packets were kept, and some expressions refused.
    assert.ok(jobs.length >= 700, `${jobs.length} runs`);
    assert.ok(kept > 20000, `only ${kept} packets kept in all`);
    assert.ok(refused > 50 && refused < jobs.length / 2, `${refused} of ${jobs.length} refused`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
