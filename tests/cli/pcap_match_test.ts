import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { fixture, hasProgram } from "../_fixtures.ts";
import { ROOT, runMxy } from "../_mxy.ts";
import { DatabaseBuilder } from "../../lib/db/mod.ts";
import { PcapWriter } from "../../lib/pcap/mod.ts";
import { buildPacket } from "../../lib/testing/mod.ts";
import { manyFlowsCapture } from "../pcap/_many_flows.ts";

const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const SAMPLE = `${ROOT}testdata/sample.pcapng`;
const DAMAGED = fixture("pcap/third-party/pcapfix");

/**
 * The README's database: the sample feeds of testdata/, built by `mxy build` once per run. The
 * sample capture carries exactly its indicators: two DNS names (a literal and a glob) in
 * queries and responses, an answer address in a network, and an HTTP request to a listed
 * address whose Host is the literal.
 */
let sampleDb: Promise<string> | null = null;
function iocs(): Promise<string> {
  sampleDb ??= (async () => {
    const dir = await Deno.makeTempDir();
    const r = await runMxy([
      "build",
      `${ROOT}testdata/ioc_sample.csv`,
      `${ROOT}testdata/sample.jsonl`,
      "-o",
      `${dir}/iocs.mxy`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return `${dir}/iocs.mxy`;
  })();
  return sampleDb;
}

const PHISH =
  '{"threat":"phishing-kit","confidence":90,"source":"analyst","first_seen":"2026-11-02"}';
const DYN =
  '{"threat":"dynamic-dns","confidence":60,"source":"blocklist","first_seen":"2026-08-15"}';
const TEST_NET =
  '{"threat":"test-net","confidence":10,"source":"rfc5737","first_seen":"2026-01-01"}';
const C2 =
  '{"threat":"botnet-c2","confidence":95,"source":"sinkhole","asn":64500,"first_seen":"2026-10-03"}';
/** Every hit of the sample capture, as `--format text` prints them. */
const SAMPLE_HITS = [
  `1 1795316355.104021814 udp 10.0.0.5:40000 -> 10.0.0.53:53 dns.qname login-verify.example literal login-verify.example ${PHISH}`,
  `2 1795316355.104101463 udp 10.0.0.53:53 -> 10.0.0.5:40000 dns.qname login-verify.example literal login-verify.example ${PHISH}`,
  `2 1795316355.104101463 udp 10.0.0.53:53 -> 10.0.0.5:40000 dns.answer_ip 192.0.2.7 network 192.0.2.0/24 ${TEST_NET}`,
  `3 1795316356.104021814 udp 10.0.0.5:40001 -> 10.0.0.53:53 dns.qname host42.dyn.bad.example glob *.dyn.bad.example ${DYN}`,
  `4 1795316356.104102463 udp 10.0.0.53:53 -> 10.0.0.5:40001 dns.qname host42.dyn.bad.example glob *.dyn.bad.example ${DYN}`,
  `4 1795316356.104102463 udp 10.0.0.53:53 -> 10.0.0.5:40001 dns.answer_ip 192.0.2.7 network 192.0.2.0/24 ${TEST_NET}`,
  `6 1795316357.104103463 udp 10.0.0.53:53 -> 10.0.0.5:40002 dns.answer_ip 192.0.2.7 network 192.0.2.0/24 ${TEST_NET}`,
  `7 1795316359.000000005 tcp 10.0.0.5:41000 -> 198.51.100.23:80 ip.dst 198.51.100.23 network 198.51.100.23/32 ${C2}`,
  `7 1795316359.000000005 tcp 10.0.0.5:41000 -> 198.51.100.23:80 http.host login-verify.example literal login-verify.example ${PHISH}`,
];

Deno.test("mxy pcap match finds exactly the sample feed's indicators in the sample capture, with statistics", async () => {
  const r = await runMxy(["pcap", "match", await iocs(), SAMPLE, "--format", "text", "--stats"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trimEnd().split("\n"), SAMPLE_HITS);
  for (
    const line of [
      "packets: 7",
      "selected: 7",
      "hits: 9",
      "lookups.ip.src: 7",
      "lookups.dns.qname: 6",
      "lookups.dns.answer_ip: 3",
      "lookups.http.host: 1",
      "lookups.http.url: 1",
      "hits.dns.qname: 4",
      "hits.dns.answer_ip: 3",
      "hits.http.url: 0",
    ]
  ) assert.match(r.stderr, new RegExp(`^${line.replaceAll(".", "\\.")}$`, "m"));
  assert.match(r.stderr, /^packets_per_second: \d+$/m);
});

Deno.test("mxy pcap match reads standard input and .gz, and writes JSON Lines and CSV", async () => {
  const db = await iocs();
  const bytes = await Deno.readFile(SAMPLE);
  // JSON Lines (the default) from standard input
  const j = await runMxy(["pcap", "match", db, "-"], { stdin: bytes });
  assert.equal(j.code, 0, j.stderr);
  const recs = j.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.equal(recs.length, SAMPLE_HITS.length);
  assert.deepEqual(recs[7], {
    frame: 7,
    ts: "1795316359.000000005",
    ts_ns: 1795316359000000005,
    proto: "tcp",
    src: "10.0.0.5",
    sport: 41000,
    dst: "198.51.100.23",
    dport: 80,
    attribute: "ip.dst",
    value: "198.51.100.23",
    match: "network",
    entry: "198.51.100.23/32",
    data: JSON.parse(C2),
  });
  assert.match(j.stdout.split("\n")[7], /"ts_ns":1795316359000000005,/); // exact, not rounded
  // CSV from a gzip-compressed file, into a file put in place
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/s.pcapng.gz`, gzipSync(bytes));
    const c = await runMxy([
      "pcap",
      "match",
      db,
      `${dir}/s.pcapng.gz`,
      "--format",
      "csv",
      "-o",
      `${dir}/hits.csv`,
    ]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout, "");
    const rows = (await Deno.readTextFile(`${dir}/hits.csv`)).trimEnd().split("\n");
    assert.equal(
      rows[0],
      "frame,ts,ts_ns,proto,src,sport,dst,dport,attribute,value,match,entry,data,uid,packets,bytes,count,last_frame",
    );
    assert.equal(rows.length, 1 + SAMPLE_HITS.length);
    assert.ok(rows[4].startsWith("3,1795316356.104021814,1795316356104021814,udp,10.0.0.5,40001,"));
    assert.ok(rows[4].includes(",dns.qname,host42.dyn.bad.example,glob,*.dyn.bad.example,"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mxy pcap match --first-per-flow reports each indicator once per session with its counts", async () => {
  const r = await runMxy(["pcap", "match", await iocs(), SAMPLE, "--first-per-flow"]);
  assert.equal(r.code, 0, r.stderr);
  const recs = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
  // per session: the name (in the query and the response: count 2) and the answer address
  assert.deepEqual(
    recs.map((x) => [x.frame, x.attribute, x.value, x.count, x.last_frame, x.packets]),
    [
      [1, "dns.qname", "login-verify.example", 2, 2, 2],
      [2, "dns.answer_ip", "192.0.2.7", 1, 2, 2],
      [3, "dns.qname", "host42.dyn.bad.example", 2, 4, 2],
      [4, "dns.answer_ip", "192.0.2.7", 1, 4, 2],
      [6, "dns.answer_ip", "192.0.2.7", 1, 6, 2],
      [7, "ip.dst", "198.51.100.23", 1, 7, 1],
      [7, "http.host", "login-verify.example", 1, 7, 1],
    ],
  );
  // the session's uid is the one `pcap flows` prints
  const flows = await runMxy(["pcap", "flows", SAMPLE, "--format", "jsonl", "--quiet"]);
  const uids = flows.stdout.trimEnd().split("\n").map((l) => JSON.parse(l).uid);
  assert.deepEqual([...new Set(recs.map((x) => x.uid))], uids);
});

Deno.test("mxy pcap match --filter and --bpf choose the packets looked at; a refused program stops before reading", async () => {
  const db = await iocs();
  const web = SAMPLE_HITS.filter((h) => h.startsWith("7 "));
  const f = await runMxy([
    "pcap",
    "match",
    db,
    SAMPLE,
    "--filter",
    "tcp port 80",
    "--format",
    "text",
    "--stats",
  ]);
  assert.equal(f.code, 0, f.stderr);
  assert.deepEqual(f.stdout.trimEnd().split("\n"), web);
  assert.match(f.stderr, /^selected: 1$/m);
  const dir = await Deno.makeTempDir();
  try {
    // eBPF as assembler text: IPv4 protocol byte (offset 23 on Ethernet) is TCP
    await Deno.writeTextFile(
      `${dir}/tcp.s`,
      "mov %r0, 0\njlt %r2, 24, +2\nldxb %r0, [%r1+23]\njeq %r0, 6, +1\nmov %r0, 0\nexit\n",
    );
    // a classic program as tcpdump -ddd prints it
    if (hasProgram("tcpdump")) {
      const ddd = await new Deno.Command("tcpdump", {
        args: ["-ddd", "-y", "EN10MB", "tcp port 80"],
        stdout: "piped",
        stderr: "null",
      }).output();
      await Deno.writeFile(`${dir}/web.ddd`, ddd.stdout);
      const c = await runMxy([
        "pcap",
        "match",
        db,
        SAMPLE,
        "--filter",
        `${dir}/web.ddd`,
        "--format",
        "text",
      ]);
      assert.equal(c.code, 0, c.stderr);
      assert.deepEqual(c.stdout.trimEnd().split("\n"), web);
    }
    const b = await runMxy([
      "pcap",
      "match",
      db,
      SAMPLE,
      "--bpf",
      `${dir}/tcp.s`,
      "--format",
      "text",
    ]);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(b.stdout.trimEnd().split("\n"), web);
    // a program the verifier refuses: its message, naming the file, and no packet read
    await Deno.writeTextFile(`${dir}/bad.s`, "mov %r0, %r5\nexit\n");
    const bad = await runMxy(["pcap", "match", db, SAMPLE, "--bpf", `${dir}/bad.s`]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, "");
    assert.match(bad.stderr, /bad\.s/);
    assert.match(bad.stderr, /R5 !read_ok/);
    // a clang-compiled program: DNS responses (UDP source port 53)
    if (hasProgram("clang")) {
      await Deno.writeTextFile(
        `${dir}/dns.c`,
        `__attribute__((section("socket"), used)) int dns(unsigned char *p, unsigned len) {
  if (len < 42 || p[12] != 8 || p[13] != 0 || p[23] != 17) return 0;
  unsigned ihl = (p[14] & 15) * 4;
  if (ihl < 20 || 14 + ihl + 8 > len) return 0;
  return p[14 + ihl] == 0 && p[14 + ihl + 1] == 53;
}
char _license[] __attribute__((section("license"), used)) = "GPL";
`,
      );
      const cc = await new Deno.Command("clang", {
        args: ["-O2", "-target", "bpf", "-c", `${dir}/dns.c`, "-o", `${dir}/dns.o`],
      }).output();
      assert.equal(cc.code, 0, new TextDecoder().decode(cc.stderr));
      // --bpf OBJ in the JIT (the default) and the interpreter, and an object given to --filter
      for (const how of [["--bpf"], ["--bpf", "--interpreter"], ["--bpf", "--jit"], ["--filter"]]) {
        const o = await runMxy([
          "pcap",
          "match",
          db,
          SAMPLE,
          how[0],
          `${dir}/dns.o`,
          ...how.slice(1),
          "--format",
          "text",
        ]);
        assert.equal(o.code, 0, o.stderr);
        assert.deepEqual(
          o.stdout.trimEnd().split("\n"),
          SAMPLE_HITS.filter((h) => / udp 10\.0\.0\.53:53 /.test(h)),
        );
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mxy pcap match --match-attr looks up a plugin attribute, and lists the known ones for an unknown", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const b = new DatabaseBuilder({ buildEpoch: 1 });
    b.add("literal:demo", { agent: "scripted" });
    await Deno.writeFile(`${dir}/ua.mxy`, b.build());
    const r = await runMxy([
      "pcap",
      "match",
      `${dir}/ua.mxy`,
      SAMPLE,
      "--match-attr",
      "http.user_agent",
      "--format",
      "text",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      '7 1795316359.000000005 tcp 10.0.0.5:41000 -> 198.51.100.23:80 http.user_agent demo literal demo {"agent":"scripted"}\n',
    );
    const u = await runMxy(["pcap", "match", `${dir}/ua.mxy`, SAMPLE, "--match-attr", "smtp.helo"]);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /Unknown attribute "smtp\.helo"; known: .*http\.user_agent.*tls\.sni/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mxy pcap match refuses bad usage with 2 and bad input with 1, keeping what was read", async () => {
  const db = await iocs();
  assert.equal((await runMxy(["pcap", "match"])).code, 2);
  assert.equal((await runMxy(["pcap", "match", db])).code, 2);
  assert.equal((await runMxy(["pcap", "match", db, SAMPLE, "--format", "xml"])).code, 2);
  assert.equal((await runMxy(["pcap", "match", db, SAMPLE, "--attributes", "ip.bogus"])).code, 2);
  const help = await runMxy(["pcap", "match", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--first-per-flow/);
  // not a database: the file is named, nothing is read
  const notDb = await runMxy(["pcap", "match", `${ROOT}testdata/sample.txt`, SAMPLE]);
  assert.equal(notDb.code, 1);
  assert.equal(notDb.stdout, "");
  assert.match(notDb.stderr, /sample\.txt/);
  // a capture damaged after two packets: their hits, then how far the reading got and where
  const w = new PcapWriter({});
  const spec = { src: "10.0.0.5", dst: "198.51.100.23", proto: "udp" as const, dstPort: 9 };
  w.writePacket(buildPacket(spec));
  w.writePacket(buildPacket(spec));
  const good = w.toBytes();
  const damaged = new Uint8Array(good.length + 26);
  damaged.set(good);
  new DataView(damaged.buffer, good.length).setUint32(8, 0x7fffffff, true); // captured length
  const r = await runMxy(["pcap", "match", db, "-", "--format", "text"], { stdin: damaged });
  assert.equal(r.code, 1);
  assert.equal(r.stdout.trimEnd().split("\n").length, 2);
  assert.match(r.stderr, /read 2 packets \(2 hits reported\) before the error/);
  assert.match(r.stderr, new RegExp(`byte offset ${good.length}`));
  if (DAMAGED) {
    const h = await runMxy(["pcap", "match", db, `${DAMAGED}/test_without_pcap_header.pcap`]);
    assert.equal(h.code, 1);
    assert.match(h.stderr, /test_without_pcap_header\.pcap.*byte offset 0/);
  }
});

Deno.test("mxy pcap match --watch matches captures as they arrive and exits 0 on SIGTERM", async () => {
  const db = await iocs();
  const dir = await Deno.makeTempDir();
  const watch = `${dir}/in`;
  await Deno.mkdir(watch);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "pcap",
      "match",
      db,
      "--watch",
      watch,
      "--stable-ms",
      "200",
      "--poll-ms",
      "20",
      "-o",
      `${dir}/hits.jsonl`,
      "--stats",
      "--log-level",
      "info",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const until = async (name: string) => {
      for (let i = 0; i < 600; i++) {
        if ([...Deno.readDirSync(watch)].some((e) => e.name === name)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`${name} did not appear`);
    };
    // the first capture arrives while it runs, then a second (written in two steps), then junk
    await Deno.copyFile(SAMPLE, `${watch}/1.pcapng`);
    await until("1.pcapng.processed");
    const w = new PcapWriter({ format: "pcapng" });
    for (let i = 0; i < 30; i++) {
      w.writePacket(buildPacket({ src: "10.0.0.9", dst: "10.0.0.10", proto: "udp", dstPort: 9 }));
    }
    w.writePacket(buildPacket({ src: "10.0.0.9", dst: "203.0.113.77", proto: "udp", dstPort: 9 }));
    const bytes = w.toBytes();
    const f = await Deno.open(`${watch}/2.pcapng`, { write: true, create: true });
    await f.write(bytes.subarray(0, 100));
    await new Promise((r) => setTimeout(r, 50));
    await f.write(bytes.subarray(100));
    f.close();
    await until("2.pcapng.processed");
    await Deno.writeTextFile(`${watch}/3.pcap`, "not a capture");
    await until("3.pcap.failed");
  } finally {
    child.kill("SIGTERM");
  }
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const recs = (await Deno.readTextFile(`${dir}/hits.jsonl`)).trimEnd().split("\n");
  assert.equal(recs.length, SAMPLE_HITS.length + 1);
  assert.deepEqual(
    [JSON.parse(recs.at(-1)!).frame, JSON.parse(recs.at(-1)!).entry],
    [31, "203.0.113.77/32"],
  );
  assert.match(stderr, /^packets: 38$/m);
  assert.match(stderr, /^INFO watch ended processed=2 failed=1$/m);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("mxy pcap flows --db and pcap correlate --db say which flows and sides touch an indicator", async () => {
  const flows = await runMxy([
    "pcap",
    "flows",
    SAMPLE,
    "--db",
    await iocs(),
    "--format",
    "jsonl",
    "--quiet",
  ]);
  assert.equal(flows.code, 0, flows.stderr);
  const f = flows.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(
    f.map((x) => [x.name, x.name_source, x.name_db?.entry, x.orig_db?.entry, x.resp_db?.entry]),
    [
      ["login-verify.example", "dns.qname", "login-verify.example", undefined, undefined],
      ["host42.dyn.bad.example", "dns.qname", "*.dyn.bad.example", undefined, undefined],
      ["www.example.org", "dns.qname", undefined, undefined, undefined],
      ["login-verify.example", "http.host", "login-verify.example", undefined, "198.51.100.23/32"],
    ],
  );
  assert.deepEqual(f[3].resp_db, {
    entry: "198.51.100.23/32",
    match: "network",
    data: JSON.parse(C2),
  });
  const dir = await Deno.makeTempDir();
  try {
    const b = new DatabaseBuilder({ buildEpoch: 1 });
    b.add("10.0.0.53/32", { role: "resolver" });
    await Deno.writeFile(`${dir}/r.mxy`, b.build());
    const c = await runMxy([
      "pcap",
      "correlate",
      "--mode",
      "dns",
      SAMPLE,
      "--db",
      `${dir}/r.mxy`,
      "--format",
      "jsonl",
      "--quiet",
    ]);
    assert.equal(c.code, 0, c.stderr);
    const pairs = c.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.equal(pairs.length, 3);
    const resolver = { entry: "10.0.0.53/32", match: "network", data: { role: "resolver" } };
    for (const p of pairs) {
      assert.deepEqual([p.req_src_db, p.req_dst_db, p.res_src_db, p.res_dst_db], [
        undefined,
        resolver,
        resolver,
        undefined,
      ]);
    }
    const t = await runMxy([
      "pcap",
      "correlate",
      "--mode",
      "dns",
      SAMPLE,
      "--db",
      `${dir}/r.mxy`,
      "--quiet",
    ]);
    assert.match(
      t.stdout,
      /^DB: req_dst 10\.0\.0\.53 network 10\.0\.0\.53\/32 \{"role":"resolver"\}$/m,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mxy pcap match --threads 2 and 4 print byte for byte what one thread prints", async () => {
  const dir = await Deno.makeTempDir();
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  b.add("10.0.3.0/24", { threat: "net" });
  b.add("10.3.232.0/24", { threat: "servers" });
  b.add("h5.example", { threat: "name" });
  b.add("s3", { threat: "host" });
  b.add("198.51.100.23/32", { threat: "c2" });
  b.add("127.0.0.1/32", { threat: "loopback" });
  b.add("login-verify.example", { threat: "phish" });
  await Deno.writeFile(`${dir}/db.mxy`, b.build());
  // captures one after another in time (sessions end idle as with one thread as long as time
  // does not go back by more than the idle time: see --threads)
  const inputs: string[] = [];
  for (const [i, seed] of [[1, 3], [2, 4]]) {
    inputs.push(`${dir}/gen${i}.pcap`);
    await Deno.writeFile(inputs.at(-1)!, manyFlowsCapture(300, seed, 1_700_000_000 + 100 * i));
  }
  inputs.push(SAMPLE);
  const loopback = fixture("pcap/loopback");
  const more = loopback === null ? [] : [`${loopback}/mixed.pcapng`, `${loopback}/mixed-nsec.pcap`];
  for (
    const [extra, also] of [
      [["--format", "text"], more],
      [["--first-per-flow", "--idle", "1s"], []],
      [["--format", "csv", "--filter", "tcp or udp port 53", "--stats"], more],
    ]
  ) {
    const args = ["pcap", "match", `${dir}/db.mxy`, ...inputs, ...also, ...extra];
    const one = await runMxy([...args, "--threads", "1"]);
    assert.equal(one.code, 0, one.stderr);
    assert.ok(one.stdout.split("\n").length > 50, "hits to compare");
    for (const threads of ["2", "4"]) {
      const many = await runMxy([...args, "--threads", threads]);
      assert.equal(many.code, 0, many.stderr);
      assert.equal(many.stdout, one.stdout, `${extra.join(" ")} with ${threads} threads`);
      if (extra.includes("--stats")) {
        const counters = (t: string) =>
          t.split("\n").filter((l) => /^(packets|selected|hits|lookups\.[\w.]+):/.test(l));
        assert.deepEqual(counters(many.stderr), counters(one.stderr));
      }
    }
  }
});

Deno.test("mxy pcap match --threads: a worker's failure is a clear error and exit 1; --plugin is refused", async () => {
  // a database whose entry data is damaged: the lookup that reaches it fails in a worker
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  b.add("198.51.100.0/24", { threat: "c2" });
  const bytes = b.build();
  bytes[new TextDecoder("latin1").decode(bytes).indexOf("threat") - 1] = 0x0f;
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/bad.mxy`, bytes);
  const r = await runMxy(["pcap", "match", `${dir}/bad.mxy`, SAMPLE, "--threads", "2"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Worker \d failed at packet 7: FormatError/);
  const p = await runMxy([
    "pcap",
    "match",
    await iocs(),
    SAMPLE,
    "--threads",
    "2",
    "--plugin",
    `${dir}/x.ts`,
  ]);
  assert.equal(p.code, 2);
  assert.match(p.stderr, /--plugin goes with --threads 1/);
});

Deno.test("mxy pcap flows --db and pcap correlate --db with --threads 2 and 4 print what one thread prints", async () => {
  const dir = await Deno.makeTempDir();
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  b.add("10.0.3.0/24", { threat: "net" });
  b.add("10.3.232.0/24", { threat: "servers" });
  b.add("example", { threat: "parent" });
  b.add("s3", { threat: "host" });
  b.add("198.51.100.23/32", { threat: "c2" });
  b.add("127.0.0.1/32", { threat: "loopback" });
  b.add("10.9.0.0/24", { threat: "relay" });
  await Deno.writeFile(`${dir}/db.mxy`, b.build());
  const inputs = [`${dir}/gen.pcap`, SAMPLE];
  await Deno.writeFile(inputs[0], manyFlowsCapture(300, 5, 1_700_000_000));
  // (flows: not with a capture whose first packet has the same time and frame number as the
  // sample's: one session table ends such sessions in the order of its slots)
  const loopback = fixture("pcap/loopback");
  const more = loopback === null ? [] : [`${loopback}/mixed.pcapng`];
  for (
    const [cmd, also] of [
      [["flows", "--format", "csv", "--parent-domains"], []],
      [["flows", "--idle", "1s"], []],
      [["correlate", "--pair", "tcp-handshake", "--format", "jsonl"], more],
      [["correlate", "--format", "text", "--unmatched"], more],
    ]
  ) {
    const args = ["pcap", ...cmd, ...inputs, ...also, "--db", `${dir}/db.mxy`, "--quiet"];
    const one = await runMxy([...args, "--threads", "1"]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /_db|DB: /, `${cmd.join(" ")}: something the database says`);
    for (const threads of ["2", "4"]) {
      const many = await runMxy([...args, "--threads", threads]);
      assert.equal(many.code, 0, many.stderr);
      assert.equal(many.stdout, one.stdout, `${cmd.join(" ")} with ${threads} threads`);
    }
  }
});

for (const threads of ["1", "2"]) {
  Deno.test(`mxy pcap match --threads ${threads} on standard input flushes, puts -o in place and exits 130 on SIGINT`, async () => {
    const dir = await Deno.makeTempDir();
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        MAIN,
        "pcap",
        "match",
        await iocs(),
        "-",
        "-o",
        `${dir}/hits.jsonl`,
        "--threads",
        threads,
        "--stats",
      ],
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(await Deno.readFile(SAMPLE));
    // standard input stays open: wait until the hits reach the temporary output file
    const lines = () => {
      for (const e of Deno.readDirSync(dir)) {
        const text = Deno.readTextFileSync(`${dir}/${e.name}`);
        return text === "" ? 0 : text.trim().split("\n").length;
      }
      return 0;
    };
    for (let i = 0; i < 600 && lines() < SAMPLE_HITS.length; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(lines(), SAMPLE_HITS.length);
    child.kill("SIGINT");
    const out = await child.output();
    await writer.close().catch(() => {});
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 130, stderr);
    assert.match(stderr, /^hits: 9$/m);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["hits.jsonl"]);
    await Deno.remove(dir, { recursive: true });
  });
}
