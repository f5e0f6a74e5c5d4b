import assert from "node:assert/strict";
import {
  captureLinkType,
  filterCapture,
  forEachPacket,
  PcapError,
  PcapWriter,
} from "../../lib/pcap/mod.ts";
import {
  compileFilterExpression,
  forEachPacketInFile,
  openCaptureFile,
} from "../../lib/runtime/mod.ts";
import { main } from "../../cli/main.ts";
import { fixture, hasProgram } from "../_fixtures.ts";

/** Packets of a capture as comparable strings: µs timestamp, lengths and the bytes in hex. */
async function packetsOf(source: string | Uint8Array): Promise<string[]> {
  const out: string[] = [];
  const read = typeof source === "string"
    ? (cb: Parameters<typeof forEachPacket>[1]) =>
      forEachPacketInFile(source, cb, { decode: false })
    : (cb: Parameters<typeof forEachPacket>[1]) => forEachPacket(source, cb, { decode: false });
  await read((v) => {
    const data = v.buf.subarray(v.dataOffset, v.dataOffset + v.caplen);
    out.push(
      `${v.tsSec}.${Math.floor(v.tsNsec / 1000)} ${v.caplen}/${v.origlen} ${
        Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("")
      }`,
    );
  });
  return out;
}

/** Filters a capture file, as the command does: the file opened for positional reads. */
async function filterFile(
  path: string,
  program: Parameters<typeof filterCapture>[1],
  options: Parameters<typeof filterCapture>[2] = {},
): Promise<Awaited<ReturnType<typeof filterCapture>>> {
  const file = await openCaptureFile(path);
  try {
    return await filterCapture(file.source, program, { name: path, ...options });
  } finally {
    file.close();
  }
}

const EXPRESSIONS = [
  "tcp port 80",
  "udp port 53",
  "udp",
  "tcp[tcpflags] & tcp-syn != 0",
  "host 127.0.0.53 or host 127.0.0.10",
  "greater 200",
  "ip6 or arp",
  "not tcp",
  "tcp and (tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420)", // HTTP GET, indexed loads
];

Deno.test("filterCapture() keeps exactly the packets tcpdump -r FILE -w OUT EXPR keeps", async () => {
  const dir = fixture("pcap/loopback");
  if (dir === null || !hasProgram("tcpdump")) return;
  const tmp = await Deno.makeTempDir();
  try {
    let compared = 0;
    let keptSomething = 0;
    for (const name of [...Deno.readDirSync(dir)].map((e) => e.name).sort()) {
      if (!/\.(pcap|pcapng)$/.test(name)) continue;
      const file = `${dir}/${name}`;
      const opened = await openCaptureFile(file);
      const linktype = await captureLinkType(opened.source);
      opened.close();
      for (const expr of EXPRESSIONS) {
        const ref = `${tmp}/ref.pcap`;
        const t = await new Deno.Command("tcpdump", {
          args: ["-r", file, "-w", ref, expr],
          stdout: "null",
          stderr: "piped",
        }).output();
        if (!t.success) {
          // The expression does not apply to this link type: mxy must refuse it too.
          await assert.rejects(
            () => compileFilterExpression(expr, { linktype }),
            (e: unknown) => e instanceof PcapError && e.code === "bad-filter-expression",
          );
          continue;
        }
        const prog = await compileFilterExpression(expr, { linktype });
        const ours = await filterFile(file, prog);
        const want = await packetsOf(ref);
        const got = await packetsOf(ours.bytes);
        assert.equal(got.length, want.length, `${name} "${expr}": ${got.length} vs ${want.length}`);
        assert.deepEqual(got, want, `${name} "${expr}"`);
        if (expr === EXPRESSIONS[0] || expr === EXPRESSIONS[3]) {
          // The same filter translated to eBPF, verified and run in the eBPF VM.
          const viaEbpf = await filterFile(file, prog, {
            engine: "ebpf",
            jit: name.endsWith("g"),
          });
          assert.deepEqual(await packetsOf(viaEbpf.bytes), want, `${name} "${expr}" (eBPF)`);
        }
        compared++;
        if (want.length > 0) keptSomething++;
      }
    }
    assert.ok(compared >= 40, `compared ${compared} file/expression pairs`);
    assert.ok(keptSomething >= 20, `only ${keptSomething} pairs kept packets`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("mxy pcap filter --cbpf and --expr write the kept packets", async () => {
  const dir = fixture("pcap/loopback");
  if (dir === null) return;
  const tmp = await Deno.makeTempDir();
  try {
    const file = `${dir}/mixed-usec.pcap`;
    // ip proto 17: ldh [12]; jeq #0x800 jt 2 jf 5; ldb [23]; jeq #17 jt 4 jf 5; ret #262144; ret #0
    const prog = "6\n40 0 0 12\n21 0 3 2048\n48 0 0 23\n21 0 1 17\n6 0 0 262144\n6 0 0 0\n";
    await Deno.writeTextFile(`${tmp}/udp.bpf`, prog);
    assert.equal(
      await main(["pcap", "filter", "--cbpf", `${tmp}/udp.bpf`, file, "-o", `${tmp}/a.pcap`, "-q"]),
      0,
    );
    const kept = await packetsOf(`${tmp}/a.pcap`);
    assert.ok(kept.length > 0);
    let udp = 0;
    await forEachPacketInFile(`${tmp}/a.pcap`, (v) => {
      if (v.proto === 17) udp++;
    });
    assert.equal(udp, kept.length);
    if (hasProgram("tcpdump")) {
      assert.equal(
        await main(["pcap", "filter", "--expr", "ip proto 17", file, "-o", `${tmp}/b.pcap`, "-q"]),
        0,
      );
      assert.deepEqual(await packetsOf(`${tmp}/b.pcap`), kept);
    }
    // --count stops early.
    await main([
      "pcap",
      "filter",
      "--cbpf",
      `${tmp}/udp.bpf`,
      file,
      "-o",
      `${tmp}/c.pcap`,
      "--count",
      "2",
      "-q",
    ]);
    assert.equal((await packetsOf(`${tmp}/c.pcap`)).length, 2);
    // Usage errors exit 2; a bad program file exits 1.
    assert.equal(await main(["pcap", "filter", file, "-o", `${tmp}/d.pcap`]), 2);
    assert.equal(await main(["pcap", "filter", "--cbpf", `${tmp}/udp.bpf`, file]), 2);
    await Deno.writeTextFile(`${tmp}/bad.bpf`, "2\n40 0 0 12\n");
    assert.equal(
      await main(["pcap", "filter", "--cbpf", `${tmp}/bad.bpf`, file, "-o", `${tmp}/e.pcap`]),
      1,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("filterCapture() refuses captures that mix link types with a typed error", async () => {
  const w = new PcapWriter({ format: "pcapng", linktype: 1 });
  w.writePacket(new Uint8Array(20));
  const other = w.addInterface(101);
  w.writePacket(new Uint8Array(20), { iface: other });
  await assert.rejects(
    () => filterCapture(w.toBytes(), [{ code: 6, jt: 0, jf: 0, k: 1 }]),
    (e: unknown) =>
      e instanceof PcapError && e.code === "mixed-link-types" &&
      /link type 101 but the first packet has 1/.test(e.message),
  );
});
