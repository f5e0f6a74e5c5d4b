import assert from "node:assert/strict";
import { fixture } from "../_fixtures.ts";
import { type MxyRun, runMxy } from "../_mxy.ts";
import { withDamagedCapture } from "./_damaged_capture.ts";

const LOOPBACK = fixture("pcap/loopback");

function mxy(...args: string[]): Promise<MxyRun> {
  return runMxy(args);
}

Deno.test(
  "mxy pcap flows prints one conn.log-style JSON record per session",
  { ignore: !LOOPBACK },
  async () => {
    const r = await mxy("pcap", "flows", `${LOOPBACK}/mixed.pcapng`);
    assert.equal(r.code, 0, r.stderr);
    const recs = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(recs.length, 57);
    assert.match(r.stderr, /^sessions: 57$/m);
    const first = recs[0];
    assert.equal(first.ts, "1795316355.104021814");
    assert.equal(first["id.orig_h"], "127.0.0.5");
    assert.equal(first["id.resp_p"], 53);
    assert.equal(first.proto, "udp");
    assert.equal(first.service, "dns");
    assert.equal(first.duration_ns, 79649);
    assert.equal(first.path, "eth:ip:udp:dns");
    const http = recs.filter((x) => x.service === "http");
    assert.equal(http.length, 2);
    assert.ok(http.every((x) => x.conn_state === "SF" && x.tcp_state === "FIN" && x.rtt_ns > 0));
    // The protocol registry's session hooks add their attributes.
    assert.ok(http.every((x) => x["http.requests"] === 1 && x["http.responses"] === 1));
    assert.equal(recs.filter((x) => x.service === "tls").length, 2);
    assert.equal(new Set(recs.map((x) => x.uid)).size, 57);
    // The pipeline (one thread is the default) prints the same, statistics included.
    const two = await mxy("pcap", "flows", `${LOOPBACK}/mixed.pcapng`, "--threads", "2");
    assert.equal(two.code, 0, two.stderr);
    assert.equal(two.stdout, r.stdout);
    assert.equal(two.stderr, r.stderr);
  },
);

Deno.test("mxy pcap flows --format csv writes a header and one row per session", {
  ignore: !LOOPBACK,
}, async () => {
  const r = await mxy("pcap", "flows", `${LOOPBACK}/linux-sll.pcap`, "--format", "csv", "--quiet");
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split("\n");
  assert.ok(rows[0].startsWith("ts,uid,id.orig_h,id.orig_p,id.resp_h,id.resp_p,proto,service"));
  assert.equal(rows.length, 1 + 4);
  assert.equal(r.stderr, "");
  assert.equal((await mxy("pcap", "flows", "x.pcap", "--format", "xml")).code, 2);
  assert.equal((await mxy("pcap", "flows")).code, 2);
});

Deno.test(
  "mxy pcap flows --internal fills Zeek's local_orig and local_resp",
  { ignore: !LOOPBACK },
  async () => {
    const r = await mxy(
      "pcap",
      "flows",
      `${LOOPBACK}/relay-udp-to-tcp.pcap`,
      "--internal",
      "127.0.0.10/32",
      "--quiet",
    );
    assert.equal(r.code, 0, r.stderr);
    const recs = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const udp = recs.filter((x) => x.proto === "udp");
    const tcp = recs.filter((x) => x.proto === "tcp");
    assert.ok(
      udp.length === 20 && udp.every((x) => x.local_orig === false && x.local_resp === true),
    );
    assert.ok(
      tcp.length === 20 && tcp.every((x) => x.local_orig === true && x.local_resp === false),
    );
    const plain = await mxy("pcap", "flows", `${LOOPBACK}/relay-udp-to-tcp.pcap`, "--quiet");
    assert.equal(JSON.parse(plain.stdout.split("\n")[0]).local_orig, undefined);
    assert.equal((await mxy("pcap", "flows", "x.pcap", "--internal", "10.0.0.0/99")).code, 2);
  },
);

Deno.test(
  "mxy pcap flows counts TCP payload bytes once (orig_data_bytes) unless --no-reassemble",
  { ignore: !LOOPBACK },
  async () => {
    const r = await mxy("pcap", "flows", `${LOOPBACK}/mixed.pcapng`, "--quiet");
    assert.equal(r.code, 0, r.stderr);
    const tcp = r.stdout.trim().split("\n").map((l) => JSON.parse(l)).filter((x) =>
      x.proto === "tcp"
    );
    assert.ok(tcp.length >= 4);
    // Loopback captures lose nothing and retransmit nothing: the counts agree.
    for (const x of tcp) {
      assert.equal(x.orig_data_bytes, x.orig_bytes, x.uid);
      assert.equal(x.resp_data_bytes, x.resp_bytes, x.uid);
      assert.equal(x.missed_bytes, 0, x.uid);
    }
    const off = await mxy(
      "pcap",
      "flows",
      `${LOOPBACK}/mixed.pcapng`,
      "--quiet",
      "--no-reassemble",
    );
    assert.ok(off.stdout.trim().split("\n").every((l) => !("orig_data_bytes" in JSON.parse(l))));
    const bad = await mxy(
      "pcap",
      "flows",
      `${LOOPBACK}/mixed.pcapng`,
      "--max-reassembly-memory",
      "lots",
    );
    assert.equal(bad.code, 2);
  },
);

Deno.test(
  "mxy pcap flows on a damaged capture prints the flows of the packets before the damage, then the error (exit 1)",
  { ignore: !LOOPBACK },
  () =>
    withDamagedCapture(
      `${LOOPBACK}/mixed-usec.pcap`,
      200,
      async ({ dir, damaged, prefix, offset }) => {
        const whole = await mxy("pcap", "flows", prefix);
        assert.equal(whole.code, 0, whole.stderr);
        const flows = whole.stdout.trim().split("\n").length;
        assert.ok(flows > 10);
        for (const threads of ["1", "2"]) {
          const r = await mxy("pcap", "flows", damaged, "--threads", threads);
          assert.equal(r.code, 1, r.stderr);
          assert.equal(r.stdout, whole.stdout);
          assert.match(r.stderr, /^errors: 1$/m);
          assert.match(
            r.stderr,
            new RegExp(
              `damaged\\.pcap: read 200 packets \\(${flows} flows reported\\) before the error`,
            ),
          );
          assert.match(r.stderr, new RegExp(`byte offset ${offset}, after 200 packets`));
        }
        // written to a file: the file holds them too
        const o = await mxy("pcap", "flows", damaged, "-o", `${dir}/out.jsonl`);
        assert.equal(o.code, 1);
        assert.equal(await Deno.readTextFile(`${dir}/out.jsonl`), whole.stdout);
      },
    ),
);
