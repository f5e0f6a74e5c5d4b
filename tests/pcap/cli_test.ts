/** `mxy pcap info` and `mxy pcap fields`, run as the real command line in a child process. */
import assert from "node:assert/strict";
import { fixture, hasProgram, tsharkFields } from "../_fixtures.ts";
import { PcapWriter } from "../../lib/pcap/mod.ts";
import { buildPacket } from "../../lib/testing/mod.ts";
import { runMxy } from "../_mxy.ts";

const loop = fixture("pcap/loopback");
const pcapfix = fixture("pcap/third-party/pcapfix");
const dpkt = fixture("pcap/third-party/dpkt");

async function mxy(
  args: string[],
  stdin?: Uint8Array,
): Promise<{ code: number; out: string; err: string }> {
  const r = await runMxy(args, { stdin });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

/** Parses `tshark -q -z io,phs` into path → frames. */
function parsePhs(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const stack: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\s*)(\S+)\s+frames:(\d+)/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 2;
    stack.length = depth;
    stack.push(m[2]);
    out.set(stack.join(":"), Number(m[3]));
  }
  return out;
}

Deno.test({
  name: "mxy pcap info --json reports counts, exact times and tshark's protocol hierarchy frames",
  ignore: loop === null,
  async fn() {
    const r = await mxy(["pcap", "info", "--json", `${loop}/mixed.pcapng`]);
    assert.equal(r.code, 0, r.err);
    const info = JSON.parse(r.out);
    assert.equal(info.packets, 273);
    assert.equal(info.format, "pcapng");
    assert.equal(info.first, "1795316355.104021814");
    assert.equal(info.durationNs, "1395561988");
    assert.deepEqual(info.linktypes, [{ linktype: 1, name: "eth" }]);
    const ours = new Map<string, number>(
      info.hierarchy.map((h: { path: string; packets: number }) => [h.path, h.packets]),
    );
    const expected: Record<string, number> = {
      "eth": 273,
      "eth:ip": 261,
      "eth:ip:tcp": 229,
      "eth:ip:tcp:dns": 2,
      "eth:ip:tcp:tls": 16,
      "eth:ip:tcp:http": 4,
      "eth:ip:udp": 32,
      "eth:ip:udp:dns": 12,
      "eth:ipv6:udp:dns": 12,
    };
    for (const [path, n] of Object.entries(expected)) assert.equal(ours.get(path), n, path);
    if (hasProgram("tshark")) {
      const t = await new Deno.Command("tshark", {
        args: ["-r", `${loop}/mixed.pcapng`, "-q", "-z", "io,phs"],
        stdout: "piped",
        stderr: "null",
      }).output();
      const theirs = parsePhs(new TextDecoder().decode(t.stdout));
      for (const path of Object.keys(expected)) {
        // tshark names the IPv4 layer "ip" and the Ethernet layer "eth", as mxy does
        assert.equal(ours.get(path), theirs.get(path), `tshark ${path}`);
      }
    }
  },
});

Deno.test({
  name: "mxy pcap info reports where a cut-short capture stopped and exits 0",
  ignore: dpkt === null,
  async fn() {
    const r = await mxy(["pcap", "info", `${dpkt}/truncated_dns_2.pcap`]);
    assert.equal(r.code, 0);
    assert.match(r.out, /Cut short: +after 1 packets at byte offset 240/);
    assert.match(
      r.err,
      /^mxy: warning: \S*truncated_dns_2\.pcap: capture cut short after 1 packets at byte offset 240 \(/m,
    );
  },
});

Deno.test({
  name:
    "mxy pcap info fails with exit 1 and a typed error for a damaged capture, in text or JSON logs",
  ignore: pcapfix === null,
  async fn() {
    const text = await mxy(["pcap", "info", `${pcapfix}/test_without_pcap_header.pcap`]);
    assert.equal(text.code, 1);
    assert.match(text.err, /^mxy: Not a pcap or pcapng file.*byte offset 0.*\)\n$/);
    assert.equal(text.out, "");
    const json = await mxy([
      "pcap",
      "info",
      "--log-format",
      "json",
      `${pcapfix}/test_without_pcap_header.pcap`,
    ]);
    assert.equal(json.code, 1);
    const rec = JSON.parse(json.err.trim().split("\n")[0]);
    assert.equal(rec.level, "error");
    assert.equal(rec.error.code, "bad-magic");
    assert.equal(rec.error.number, 201);
  },
});

Deno.test("mxy pcap fields honours tshark's -E header, separator and quote options and reads stdin", async () => {
  const w = new PcapWriter({ nanos: true });
  w.writePacket(buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 7, dstPort: 9 }), {
    tsSec: 5,
    tsNsec: 6,
  });
  w.writePacket(buildPacket({ src: "::1", dst: "::2", proto: "tcp", srcPort: 1, dstPort: 2 }), {
    tsSec: 7,
  });
  const r = await mxy([
    "pcap",
    "fields",
    "-e",
    "meta.time",
    "-e",
    "ip.src",
    "-e",
    "udp.dst_port",
    "-E",
    "header=n",
    "-E",
    "separator=/t",
    "-E",
    "quote=d",
    "-",
  ], w.toBytes());
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, '"5.000000006"\t"10.0.0.1"\t"9"\n"7.000000000"\t"::1"\t\n');
  const only = await mxy(
    ["pcap", "fields", "-e", "udp.dst_port", "--only-matching", "-"],
    w.toBytes(),
  );
  assert.equal(only.out, "udp.dst_port\n9\n");
});

Deno.test("mxy pcap fields rejects bad calls with exit 2 and lists attributes", async () => {
  assert.equal((await mxy(["pcap", "fields", "x.pcap"])).code, 2);
  const unknown = await mxy(["pcap", "fields", "-e", "dns.nope", "x.pcap"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /Unknown attribute "dns.nope"/);
  assert.equal(
    (await mxy(["pcap", "fields", "-e", "ip.src", "-E", "separator=ab", "x.pcap"])).code,
    2,
  );
  const list = await mxy(["pcap", "fields", "--list"]);
  assert.equal(list.code, 0);
  assert.ok(list.out.split("\n").includes("tls.sni"));
  const help = await mxy(["pcap", "info", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: mxy pcap info/);
});

Deno.test({
  name:
    "mxy pcap info agrees with capinfos on packets, bytes and time span of every fixture capture",
  ignore: loop === null || !hasProgram("capinfos"),
  async fn() {
    const root = loop!.replace(/\/loopback$/, "");
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of Deno.readDirSync(d)) {
        if (e.isDirectory) walk(`${d}/${e.name}`);
        else if (/\.pcap(ng)?$/.test(e.name)) files.push(`${d}/${e.name}`);
      }
    };
    walk(root);
    files.sort();
    const ours = new Map<
      string,
      { packets: number; wireBytes: number; first: string; last: string }
    >();
    const r = await mxy(["pcap", "info", "--json", "--log-level", "silent", ...files]);
    for (const line of r.out.trim().split("\n")) {
      const info = JSON.parse(line);
      ours.set(info.file, info);
    }
    let compared = 0;
    for (const f of files) {
      const c = await new Deno.Command("capinfos", {
        args: ["-T", "-r", "-c", "-d", "-a", "-e", "-S", f],
        stdout: "piped",
        stderr: "null",
      }).output();
      const cols = new TextDecoder().decode(c.stdout).trim().split("\t");
      const mine = ours.get(f);
      if (!c.success || cols.length < 5) {
        // capinfos refuses it: mxy must have refused or reported it as cut short
        assert.ok(mine === undefined || (mine as unknown as { truncated: unknown }).truncated, f);
        continue;
      }
      assert.ok(mine, `mxy pcap info did not read ${f}`);
      assert.equal(mine.packets, Number(cols[1]), `${f} packets`);
      assert.equal(mine.wireBytes, Number(cols[2]), `${f} bytes`);
      const digits = cols[3].split(".")[1]?.length ?? 0;
      if (cols[3] !== "n/a" && (digits === 6 || digits === 9)) {
        // capinfos prints as many decimals as the resolution (other resolutions are rounded)
        const pad = (t: string) => t.padEnd(t.indexOf(".") + 10, "0");
        assert.equal(mine.first, pad(cols[3]), `${f} first`);
        assert.equal(mine.last, pad(cols[4]), `${f} last`);
      }
      compared++;
    }
    assert.ok(compared >= 60, `only ${compared} captures compared`);
  },
});

Deno.test("mxy pcap info - reads a gzip capture from standard input", async () => {
  const w = new PcapWriter();
  for (let i = 0; i < 3; i++) {
    w.writePacket(
      buildPacket({
        src: "10.0.0.1",
        dst: "10.0.0.2",
        srcPort: 9,
        dstPort: 53,
        payload: new Uint8Array(20),
      }),
    );
  }
  const bytes = w.toBytes();
  const gz = await new Response(
    new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip")),
  ).bytes();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../cli/main.ts", import.meta.url).pathname,
      "pcap",
      "info",
      "--json",
      "-",
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const wr = child.stdin.getWriter();
  await wr.write(gz);
  await wr.close();
  const out = await child.output();
  assert.equal(out.code, 0);
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(info.packets, 3);
  assert.equal(info.readMode, "stream");
  assert.deepEqual(info.hierarchy.map((h: { path: string }) => h.path), [
    "eth",
    "eth:ip",
    "eth:ip:udp",
    "eth:ip:udp:dns",
  ]);
});

Deno.test({
  name:
    "mxy pcap fields reads HTTP messages spanning segments as tshark does, or per packet with --no-reassemble",
  ignore: !hasProgram("tshark"),
  async fn() {
    const enc = new TextEncoder();
    const request = `GET /big HTTP/1.1\r\nHost: cookie.test\r\nCookie: ${
      "k=v;".repeat(600)
    }\r\n\r\n`;
    const w = new PcapWriter({ nanos: true });
    const seg = (seq: number, payload: string, flags = 0x18) =>
      buildPacket({
        src: "10.0.0.1",
        dst: "10.0.0.2",
        proto: "tcp",
        srcPort: 40000,
        dstPort: 80,
        seq,
        tcpFlags: flags,
        payload: enc.encode(payload),
      });
    w.writePacket(seg(0, "", 0x02), { tsSec: 1 });
    w.writePacket(seg(1, request.slice(0, 1000)), { tsSec: 2 });
    w.writePacket(seg(1001, request.slice(1000, 2000)), { tsSec: 3 });
    w.writePacket(seg(2001, request.slice(2000)), { tsSec: 4 });
    const path = await Deno.makeTempFile({ suffix: ".pcap" });
    await Deno.writeFile(path, w.toBytes());
    const ours = await mxy(["pcap", "fields", "-e", "frame.number", "-e", "http.host", path]);
    const single = await mxy(["pcap", "fields", "-e", "http.host", "--no-reassemble", path]);
    const theirs = await tsharkFields(path, ["frame.number", "http.host"]);
    await Deno.remove(path);
    assert.equal(ours.code, 0, ours.err);
    assert.deepEqual(ours.out.trim().split("\n").slice(1).map((l) => l.split(",")), theirs);
    assert.equal(ours.out.trim().split("\n")[4], "4,cookie.test");
    assert.deepEqual(single.out.split("\n").slice(1, -1), ["", "cookie.test", "", ""]);
  },
});
