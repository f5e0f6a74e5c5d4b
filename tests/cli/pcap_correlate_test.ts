import assert from "node:assert/strict";
import { fixture } from "../_fixtures.ts";
import { type MxyRun, runMxy } from "../_mxy.ts";
import { withDamagedCapture } from "./_damaged_capture.ts";
import { DatabaseBuilder } from "../../lib/db/mod.ts";
import { PcapWriter } from "../../lib/pcap/mod.ts";
import { buildPacket } from "../../lib/testing/mod.ts";

const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const LOOPBACK = fixture("pcap/loopback");

function mxy(...args: string[]): Promise<MxyRun> {
  return runMxy(args);
}

Deno.test("mxy pcap correlate prints the relay's 20 matches in the text form with statistics", {
  ignore: !LOOPBACK,
}, async () => {
  const r = await mxy("pcap", "correlate", `${LOOPBACK}/relay-udp-to-tcp.pcap`);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 60);
  assert.equal(
    lines.slice(0, 3).join("\n"),
    "REQ: 127.0.0.7:32982 -> 127.0.0.10:5000 [UDP] Time: 1795316355.446001000\n" +
      "RES: 127.0.0.10:34673 -> 127.0.0.20:6000 [TCP] Time: 1795316355.446806000\n" +
      "LATENCY: 805000 ns",
  );
  assert.match(r.stderr, /^packets: 180$/m);
  assert.match(r.stderr, /^matched: 20$/m);
  assert.match(r.stderr, /^unmatched: 0$/m);
  // The pipeline (one thread is the default) prints the same, statistics included.
  const two = await mxy("pcap", "correlate", `${LOOPBACK}/relay-udp-to-tcp.pcap`, "--threads", "2");
  assert.equal(two.code, 0, two.stderr);
  assert.equal(two.stdout, r.stdout);
  assert.equal(two.stderr, r.stderr);
});

Deno.test(
  "mxy pcap correlate -o writes JSON Lines or CSV to a file",
  { ignore: !LOOPBACK },
  async () => {
    const dir = await Deno.makeTempDir();
    const r = await mxy(
      "pcap",
      "correlate",
      `${LOOPBACK}/mixed.pcapng`,
      "--mode",
      "dns",
      "--format",
      "csv",
      "-o",
      `${dir}/out.csv`,
      "--quiet",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, "");
    const rows = (await Deno.readTextFile(`${dir}/out.csv`)).trim().split("\n");
    assert.ok(rows[0].startsWith("mode,req_frame,req_time"));
    assert.equal(rows.length, 1 + 13);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["out.csv"]);
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test("mxy pcap correlate rejects bad usage with exit 2 and damaged input with exit 1", async () => {
  assert.equal((await mxy("pcap", "correlate", "x.pcap", "--mode", "bogus")).code, 2);
  assert.equal((await mxy("pcap", "correlate")).code, 2);
  assert.equal((await mxy("pcap", "correlate", "x.pcap", "--window", "soon")).code, 2);
  assert.equal((await mxy("pcap", "correlate", "x.pcap", "--threads", "0")).code, 2);
  assert.equal((await mxy("pcap", "correlate", "x.pcap", "--threads", "257")).code, 2);
  const help = await mxy("pcap", "correlate", "--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--watch DIR/);
  const damaged = fixture("pcap/third-party/pcapfix");
  if (!damaged) return;
  const r = await mxy("pcap", "correlate", `${damaged}/test_without_pcap_header.pcap`);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /test_without_pcap_header\.pcap/);
  assert.match(r.stderr, /offset/);
});

Deno.test(
  "mxy pcap correlate --watch processes arriving files and exits 0 on SIGTERM after flushing",
  { ignore: !LOOPBACK },
  async () => {
    const dir = await Deno.makeTempDir();
    const watch = `${dir}/in`;
    await Deno.mkdir(watch);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        MAIN,
        "pcap",
        "correlate",
        "--watch",
        watch,
        "--stable-ms",
        "200",
        "--poll-ms",
        "20",
        "--format",
        "jsonl",
        "-o",
        `${dir}/matches.jsonl`,
        "--log-level",
        "info",
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Two captures arrive one after the other.
    await Deno.copyFile(`${LOOPBACK}/relay-udp-to-tcp.pcap`, `${watch}/1.pcap`);
    const until = async (name: string) => {
      for (let i = 0; i < 600; i++) {
        if ([...Deno.readDirSync(watch)].some((e) => e.name === name)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`${name} did not appear`);
    };
    await until("1.pcap.processed");
    await Deno.copyFile(`${LOOPBACK}/mixed-nsec.pcap`, `${watch}/2.pcap`);
    await until("2.pcap.processed");
    child.kill("SIGTERM");
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    const lines = (await Deno.readTextFile(`${dir}/matches.jsonl`)).trim().split("\n");
    // 20 relay pairs in each file, plus the two identical HTTP response segments that
    // mixed-nsec.pcap carries on two connections (the same payload seen twice).
    assert.equal(lines.length, 42);
    assert.ok(lines.every((l) => JSON.parse(l).mode === "payload"));
    assert.match(stderr, /^matched: 42$/m);
    assert.match(stderr, /^INFO watch ended processed=2 failed=0$/m);
    await Deno.remove(dir, { recursive: true });
  },
);

for (const threads of ["1", "2"]) {
  Deno.test(
    `mxy pcap correlate --threads ${threads} on standard input flushes, puts -o in place and ` +
      "exits 130 on SIGINT",
    { ignore: !LOOPBACK },
    async () => {
      const dir = await Deno.makeTempDir();
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          MAIN,
          "pcap",
          "correlate",
          "-",
          "--format",
          "jsonl",
          "-o",
          `${dir}/m.jsonl`,
          "--threads",
          threads,
        ],
        stdin: "piped",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(await Deno.readFile(`${LOOPBACK}/relay-udp-to-tcp.pcap`));
      // Standard input stays open: wait until the matches reach the temporary output file.
      const lines = () => {
        for (const e of Deno.readDirSync(dir)) {
          const text = Deno.readTextFileSync(`${dir}/${e.name}`);
          return text === "" ? 0 : text.trim().split("\n").length;
        }
        return 0;
      };
      for (let i = 0; i < 600 && lines() < 20; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(lines(), 20);
      child.kill("SIGINT");
      const out = await child.output();
      await writer.close().catch(() => {});
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 130, stderr);
      assert.match(stderr, /^matched: 20$/m);
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["m.jsonl"]);
      assert.equal((await Deno.readTextFile(`${dir}/m.jsonl`)).trim().split("\n").length, 20);
      await Deno.remove(dir, { recursive: true });
    },
  );
}

Deno.test("mxy pcap correlate --log-format json writes the statistics and warnings as JSON lines", {
  ignore: !LOOPBACK,
}, async () => {
  const r = await mxy(
    "pcap",
    "correlate",
    `${LOOPBACK}/mixed-usec.pcap`,
    "--mode",
    "payload",
    "--max-pending",
    "1",
    "--log-format",
    "json",
  );
  assert.equal(r.code, 0, r.stderr);
  const recs = r.stderr.trim().split("\n").map((l) => JSON.parse(l));
  const warn = recs.find((x) => x.level === "warn");
  assert.equal(warn.code, "store-full");
  const stats = recs.find((x) => x.stats).stats;
  assert.equal(stats.packets, 273);
  assert.ok(stats.evicted > 0);
  assert.equal(stats.evicted, warn.evicted);
  assert.equal(warn.maxPending, 1);
});

Deno.test("mxy pcap correlate and flows refuse --internal networks exactly as the database builder does", async () => {
  const w = new PcapWriter();
  w.writePacket(buildPacket({ src: "10.0.0.1", dst: "10.0.0.2" }));
  const dir = await Deno.makeTempDir();
  try {
    const capture = `${dir}/a.pcap`;
    await Deno.writeFile(capture, w.toBytes());
    for (const bad of ["01.2.3.4/8", "1.2.3.4/08", "10.0.0.1/8", "10.0.0.0/33", "fd00::/129"]) {
      let builderMessage = "";
      try {
        new DatabaseBuilder().add(bad, { inside: true });
      } catch (e) {
        builderMessage = (e as Error).message.split("; use --normalize")[0];
      }
      assert.notEqual(builderMessage, "", `the builder accepts ${bad}`);
      for (const command of ["correlate", "flows"]) {
        const r = await mxy("pcap", command, capture, "--internal", bad);
        assert.equal(r.code, 2, `${command} ${bad}: ${r.stderr}`);
        assert.ok(r.stderr.includes(builderMessage), `${command} ${bad}: ${r.stderr}`);
      }
    }
    const ok = await mxy("pcap", "correlate", capture, "--internal", "10.0.0.0/8", "--quiet");
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mxy pcap correlate prints 3000 ns for a 3,000 ns answer in a capture spanning decades", async () => {
  const dns = (id: number, response: boolean) =>
    new Uint8Array([0, id, response ? 0x81 : 1, response ? 0x80 : 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  const w = new PcapWriter({ nanos: true });
  w.writePacket(buildPacket({ src: "10.0.0.9", dst: "10.0.0.8", srcPort: 1, dstPort: 2 }), {
    tsSec: 946_684_800, // 2000
  });
  w.writePacket(
    buildPacket({
      src: "10.0.0.1",
      dst: "10.0.0.53",
      srcPort: 4000,
      dstPort: 53,
      payload: dns(7, false),
    }),
    { tsSec: 1_900_000_000, tsNsec: 999_999_000 }, // 2030
  );
  w.writePacket(
    buildPacket({
      src: "10.0.0.53",
      dst: "10.0.0.1",
      srcPort: 53,
      dstPort: 4000,
      payload: dns(7, true),
    }),
    { tsSec: 1_900_000_001, tsNsec: 2_000 },
  );
  const path = await Deno.makeTempFile({ suffix: ".pcap" });
  await Deno.writeFile(path, w.toBytes());
  const text = await mxy("pcap", "correlate", path, "--mode", "dns", "--quiet");
  const jsonl = await mxy("pcap", "correlate", path, "--mode", "dns", "--format", "jsonl");
  await Deno.remove(path);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^LATENCY: 3000 ns$/m);
  assert.equal(JSON.parse(jsonl.stdout).latency_ns, 3000);
});

Deno.test("mxy pcap correlate --mode http gives the latency to the first and the last byte", {
  ignore: !LOOPBACK,
}, async () => {
  const jsonl = await mxy(
    "pcap",
    "correlate",
    `${LOOPBACK}/mixed.pcapng`,
    "--mode",
    "http",
    "--format",
    "jsonl",
    "--quiet",
  );
  assert.equal(jsonl.code, 0, jsonl.stderr);
  const recs = jsonl.stdout.trim().split("\n").map((l) => JSON.parse(l));
  // tshark's http.time for the two responses (frames 42 and 54), to the last byte.
  assert.deepEqual(
    recs.map((x) => [x.req_frame, x.res_frame, x.res_last_frame, x.latency_last_ns]),
    [
      [38, 40, 42, 3876522],
      [50, 52, 54, 476033],
    ],
  );
  assert.ok(recs.every((x) => x.latency_ns < x.latency_last_ns));
  const text = await mxy(
    "pcap",
    "correlate",
    `${LOOPBACK}/mixed.pcapng`,
    "--mode",
    "http",
    "--quiet",
  );
  assert.match(text.stdout, /^LATENCY: \d+ ns \(last byte: 3876522 ns, frame 42\)$/m);
});

Deno.test(
  "mxy pcap correlate --watch --threads 2 correlates files side by side and writes them in order",
  { ignore: !LOOPBACK },
  async () => {
    const dir = await Deno.makeTempDir();
    const outputs: string[] = [];
    for (const threads of ["1", "2"]) {
      const watch = `${dir}/in${threads}`;
      await Deno.mkdir(watch);
      // Captures that stand alone (no pair across their borders), picked up oldest first.
      const names = ["relay-udp-to-tcp.pcap", "mixed-nsec.pcap", "linux-sll.pcap"];
      for (const [i, name] of names.entries()) {
        await Deno.copyFile(`${LOOPBACK}/${name}`, `${watch}/${i}.pcap`);
        await Deno.utime(`${watch}/${i}.pcap`, 1_000_000 + i, 1_000_000 + i);
      }
      const r = await mxy(
        "pcap",
        "correlate",
        "--watch",
        watch,
        "--once",
        "--stable-ms",
        "0",
        "--pair",
        "dns",
        "--format",
        "jsonl",
        "--threads",
        threads,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual([...Deno.readDirSync(watch)].map((e) => e.name).sort(), [
        "0.pcap.processed",
        "1.pcap.processed",
        "2.pcap.processed",
      ]);
      outputs.push(r.stdout + r.stderr);
    }
    assert.ok(outputs[0].includes("matched: "));
    assert.equal(outputs[1], outputs[0]);
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test("mxy pcap correlate names its pairing strategy --pair; --mode stays an unlisted alias", {
  ignore: !LOOPBACK,
}, async () => {
  const file = `${LOOPBACK}/mixed-usec.pcap`;
  const pair = await mxy("pcap", "correlate", file, "--pair", "dns", "--format", "jsonl", "-q");
  const mode = await mxy("pcap", "correlate", file, "--mode", "dns", "--format", "jsonl", "-q");
  assert.equal(pair.code, 0, pair.stderr);
  assert.ok(pair.stdout.length > 0);
  assert.equal(mode.stdout, pair.stdout);
  assert.equal(pair.stderr, "");
  const help = await mxy("pcap", "correlate", "--help");
  assert.match(help.stdout, /^ {6}--pair STRATEGY /m);
  assert.doesNotMatch(help.stdout, /--mode/);
});

Deno.test(
  "mxy pcap correlate on a damaged capture prints the pairs of the packets before the damage, then the error (exit 1)",
  { ignore: !LOOPBACK },
  () =>
    withDamagedCapture(`${LOOPBACK}/mixed-usec.pcap`, 200, async ({ damaged, prefix, offset }) => {
      const args = ["pcap", "correlate", "--mode", "dns", "--format", "jsonl"];
      const whole = await mxy(...args, prefix);
      assert.equal(whole.code, 0, whole.stderr);
      const pairs = whole.stdout.trim().split("\n").length;
      assert.ok(pairs > 5);
      for (const threads of ["1", "2"]) {
        const r = await mxy(...args, damaged, "--threads", threads);
        assert.equal(r.code, 1, r.stderr);
        assert.equal(r.stdout, whole.stdout);
        assert.match(
          r.stderr,
          new RegExp(
            `damaged\\.pcap: read 200 packets \\(${pairs} pairs reported\\) before the error`,
          ),
        );
        assert.match(r.stderr, new RegExp(`byte offset ${offset}, after 200 packets`));
      }
    }),
);
