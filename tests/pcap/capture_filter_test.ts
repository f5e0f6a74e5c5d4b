import assert from "node:assert/strict";
import {
  filterCapture,
  forEachPacket,
  forEachPacketInBytes,
  LinkType,
  PcapError,
  PcapWriter,
} from "../../lib/pcap/mod.ts";
import { forEachPacketInFile, openCaptureFile } from "../../lib/runtime/mod.ts";
import { buildPacket } from "../../lib/testing/mod.ts";
import { main } from "../../cli/main.ts";
import { fixture, hasProgram } from "../_fixtures.ts";
import { runMxy } from "../_mxy.ts";

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
  filter: Parameters<typeof filterCapture>[1],
  options: Parameters<typeof filterCapture>[2] = {},
): Promise<Awaited<ReturnType<typeof filterCapture>>> {
  const file = await openCaptureFile(path);
  try {
    return await filterCapture(file.source, filter, { name: path, ...options });
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

Deno.test("filterCapture() keeps exactly the packets tcpdump -r FILE -w OUT EXPR keeps, on files", async () => {
  const dir = fixture("pcap/loopback");
  if (dir === null || !hasProgram("tcpdump")) return;
  const tmp = await Deno.makeTempDir();
  try {
    let compared = 0;
    let keptSomething = 0;
    for (const name of [...Deno.readDirSync(dir)].map((e) => e.name).sort()) {
      if (!/\.(pcap|pcapng)$/.test(name)) continue;
      const file = `${dir}/${name}`;
      for (const expr of EXPRESSIONS) {
        const ref = `${tmp}/ref.pcap`;
        const t = await new Deno.Command("tcpdump", {
          args: ["-r", file, "-w", ref, "--", expr],
          stdout: "null",
          stderr: "piped",
        }).output();
        assert.ok(t.success, `tcpdump refused "${expr}" on ${name}`);
        const ours = await filterFile(file, expr);
        const want = await packetsOf(ref);
        assert.deepEqual(await packetsOf(ours.bytes), want, `${name} "${expr}"`);
        if (expr === EXPRESSIONS[0] || expr === EXPRESSIONS[3] || expr === EXPRESSIONS[5]) {
          // The same filter translated to eBPF, verified and run in the eBPF VM.
          const viaEbpf = await filterFile(file, expr, { engine: "ebpf", jit: name.endsWith("g") });
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

/** A capture of `packets` with their lengths on the wire (the captured bytes may be fewer). */
function capture(
  linktype: number,
  packets: { data: Uint8Array; origlen?: number }[],
  options: { fcsLen?: number } = {},
): Uint8Array {
  const w = new PcapWriter({ linktype, fcsLen: options.fcsLen });
  packets.forEach((p, i) => w.writePacket(p.data, { tsSec: i, origlen: p.origlen }));
  return w.toBytes();
}

function keptIndexes(bytes: Uint8Array): number[] {
  const out: number[] = [];
  forEachPacketInBytes(bytes, (v) => void out.push(v.tsSec), { decode: false });
  return out;
}

Deno.test("filterCapture() gives len, less and greater the wire length in both engines", async () => {
  const p = buildPacket({
    src: "10.0.0.1",
    dst: "10.0.0.2",
    proto: "udp",
    payload: new Uint8Array(100),
  });
  const short = p.slice(0, 60); // captured 60 of 142 bytes
  const input = capture(LinkType.ETHERNET, [{ data: short, origlen: p.length }, { data: short }]);
  for (const engine of ["classic", "ebpf"] as const) {
    for (const jit of engine === "ebpf" ? [false, true] : [false]) {
      const o = { engine, jit };
      assert.deepEqual(keptIndexes((await filterCapture(input, "greater 100", o)).bytes), [0]);
      assert.deepEqual(keptIndexes((await filterCapture(input, "less 100", o)).bytes), [1]);
      assert.deepEqual(keptIndexes((await filterCapture(input, `len = ${p.length}`, o)).bytes), [
        0,
      ]);
      assert.deepEqual(keptIndexes((await filterCapture(input, "len - 60 > 0", o)).bytes), [0]);
      // Past the captured bytes is still past: the load rejects the packet.
      assert.deepEqual(keptIndexes((await filterCapture(input, "ip[100] = 0", o)).bytes), []);
    }
  }
  // A hand-written program loading the length into X, in the eBPF VM.
  const ldxLen = [
    { code: 0x81, jt: 0, jf: 0, k: 0 }, // ldx len
    { code: 0x87, jt: 0, jf: 0, k: 0 }, // txa
    { code: 0x25, jt: 0, jf: 1, k: 100 }, // jgt #100
    { code: 0x06, jt: 0, jf: 0, k: 1 },
    { code: 0x06, jt: 0, jf: 0, k: 0 },
  ];
  for (const engine of ["classic", "ebpf"] as const) {
    assert.deepEqual(keptIndexes((await filterCapture(input, ldxLen, { engine })).bytes), [0]);
  }
});

Deno.test("filterCapture() writes the input's format: link type, FCS length, byte order, resolution", async () => {
  const p = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", proto: "udp" });
  const input = capture(LinkType.ETHERNET, [{ data: p }], { fcsLen: 4 });
  const r = await filterCapture(input, "udp");
  assert.equal(r.kept, 1);
  assert.equal(r.format, "pcap");
  // The link-type field: Ethernet, FCS present, 4 bytes (2 units of 16 bits) in the top bits.
  assert.equal(new DataView(r.bytes.buffer).getUint32(20, true), 0x24000001);
  forEachPacketInBytes(r.bytes, (v) => assert.equal(v.fcsLen, 4));
  // Also when nothing is kept.
  const none = await filterCapture(input, "tcp");
  assert.equal(new DataView(none.bytes.buffer).getUint32(20, true), 0x24000001);
  // From pcapng, pcapng: each interface's link type and if_fcslen.
  const ng = new PcapWriter({ format: "pcapng", linktype: LinkType.LINUX_SLL2, fcsLen: 4 });
  ng.writePacket(
    buildPacket({ linktype: LinkType.LINUX_SLL2, src: "::1", dst: "::2", proto: "udp" }),
  );
  const r2 = await filterCapture(ng.toBytes(), "ip6");
  assert.equal(r2.format, "pcapng");
  forEachPacketInBytes(r2.bytes, (v) => {
    assert.deepEqual([v.linktype, v.fcsLen], [LinkType.LINUX_SLL2, 4]);
  });
});

Deno.test("filterCapture() compiles an expression per interface of a capture mixing link types", async () => {
  const w = new PcapWriter({ format: "pcapng", linktype: LinkType.ETHERNET });
  const sll = w.addInterface(LinkType.LINUX_SLL);
  const nullIf = w.addInterface(LinkType.NULL);
  const eth = (dst: string) => buildPacket({ src: "10.0.0.1", dst, proto: "udp", dstPort: 53 });
  w.writePacket(eth("10.0.0.2"), { tsSec: 0 });
  w.writePacket(
    buildPacket({ linktype: LinkType.LINUX_SLL, src: "10.0.0.1", dst: "10.0.0.2", proto: "tcp" }),
    {
      tsSec: 1,
      iface: sll,
    },
  );
  w.writePacket(
    buildPacket({ linktype: LinkType.NULL, src: "::1", dst: "::2", proto: "udp", dstPort: 53 }),
    {
      tsSec: 2,
      iface: nullIf,
    },
  );
  w.writePacket(eth("10.0.0.3"), { tsSec: 3 });
  const r = await filterCapture(w.toBytes(), "udp port 53");
  assert.deepEqual([r.packets, r.kept, r.format], [4, 3, "pcapng"]);
  assert.deepEqual(r.linktypes, [LinkType.ETHERNET, LinkType.LINUX_SLL, LinkType.NULL]);
  const seen: string[] = [];
  forEachPacketInBytes(r.bytes, (v) => void seen.push(`${v.tsSec}:${v.linktype}`), {
    decode: false,
  });
  assert.deepEqual(seen, ["0:1", "2:0", "3:1"]);
  // A classic program cannot fit several link types.
  await assert.rejects(
    () => filterCapture(w.toBytes(), [{ code: 6, jt: 0, jf: 0, k: 1 }]),
    (e: unknown) =>
      e instanceof PcapError && e.code === "mixed-link-types" &&
      /link type 113 but the first packet has 1/.test(e.message),
  );
});

Deno.test("filterCapture() reports a bad expression before reading, with its column", async () => {
  const input = capture(LinkType.ETHERNET, [{ data: new Uint8Array(60) }]);
  await assert.rejects(
    () => filterCapture(input, "tcp prot 80"),
    (e: unknown) => e instanceof PcapError && e.code === "filter-syntax" && e.column === 5,
  );
  await assert.rejects(
    () => filterCapture(capture(LinkType.RAW, [{ data: new Uint8Array(20) }]), "udp and vlan 10"),
    (e: unknown) =>
      e instanceof PcapError && e.code === "bad-filter-expression" && e.column === 9 &&
      /no VLAN support/.test(e.message),
  );
});

Deno.test("mxy pcap filter --expr and --cbpf write the kept packets", async () => {
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
    // The expression, compiled by mxy (no tcpdump needed), keeps the same packets.
    assert.equal(
      await main(["pcap", "filter", "--expr", "ip proto 17", file, "-o", `${tmp}/b.pcap`, "-q"]),
      0,
    );
    assert.deepEqual(await packetsOf(`${tmp}/b.pcap`), kept);
    // The pipeline (one thread is the default) keeps the same packets.
    assert.equal(
      await main([
        "pcap",
        "filter",
        "--expr",
        "ip proto 17",
        "--threads",
        "2",
        file,
        "-o",
        `${tmp}/b1.pcap`,
        "-q",
      ]),
      0,
    );
    assert.deepEqual(await packetsOf(`${tmp}/b1.pcap`), kept);
    assert.equal(
      await main([
        "pcap",
        "filter",
        "--expr",
        "ip proto 17",
        "--engine",
        "ebpf",
        "--jit",
        file,
        "-o",
        `${tmp}/b2.pcap`,
        "-q",
      ]),
      0,
    );
    assert.deepEqual(await packetsOf(`${tmp}/b2.pcap`), kept);
    // --count stops early.
    await main([
      "pcap",
      "filter",
      "--expr",
      "udp",
      file,
      "-o",
      `${tmp}/c.pcap`,
      "--count",
      "2",
      "-q",
    ]);
    assert.equal((await packetsOf(`${tmp}/c.pcap`)).length, 2);
    // Usage errors exit 2; a bad program file or expression exits 1 and writes nothing.
    assert.equal(await main(["pcap", "filter", file, "-o", `${tmp}/d.pcap`]), 2);
    assert.equal(await main(["pcap", "filter", "--expr", "udp", "--jit", file, "-q"]), 2);
    await Deno.writeTextFile(`${tmp}/bad.bpf`, "2\n40 0 0 12\n");
    assert.equal(
      await main(["pcap", "filter", "--cbpf", `${tmp}/bad.bpf`, file, "-o", `${tmp}/e.pcap`]),
      1,
    );
    assert.equal(
      await main(["pcap", "filter", "--expr", "tcp port", file, "-o", `${tmp}/f.pcap`, "-q"]),
      1,
    );
    await assert.rejects(() => Deno.stat(`${tmp}/f.pcap`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("filterCapture() copies classic records as they are, and streams to a sink", async () => {
  // Big-endian, nanoseconds: the output keeps both, and every record byte for byte.
  const w = new PcapWriter({ linktype: LinkType.RAW, littleEndian: false, nanos: true });
  const packets: Uint8Array[] = [];
  for (let i = 0; i < 3000; i++) {
    const p = buildPacket({
      linktype: LinkType.RAW,
      src: "10.0.0.1",
      dst: `10.0.${i >> 8}.${i & 255}`,
      proto: i % 3 === 0 ? "tcp" : "udp",
      payload: new Uint8Array(i % 700),
    });
    packets.push(p);
    w.writePacket(p, { tsSec: 1700000000 + i, tsNsec: i * 1001, origlen: p.length + (i % 5) });
  }
  const input = w.toBytes();
  const expect = (r: Awaited<ReturnType<typeof filterCapture>>, bytes: Uint8Array) => {
    assert.equal(r.kept, 2000);
    assert.deepEqual([...bytes.subarray(0, 4)], [0xa1, 0xb2, 0x3c, 0x4d]); // ns, big-endian
    const kept: string[] = [];
    forEachPacketInBytes(bytes, (v) => {
      kept.push(`${v.tsSec}.${v.tsNsec}/${v.origlen}/${v.caplen}`);
    }, { decode: false });
    const want: string[] = [];
    forEachPacketInBytes(input, (v) => {
      if (v.buf[v.dataOffset + 9] === 17) {
        want.push(`${v.tsSec}.${v.tsNsec}/${v.origlen}/${v.caplen}`);
      }
    }, { decode: false });
    assert.deepEqual(kept, want);
  };
  expect(await filterCapture(input, "udp"), (await filterCapture(input, "udp")).bytes);
  // Through a stream with a small buffer (reused under the output's feet) and into a sink.
  const pieces: Uint8Array[] = [];
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (let o = 0; o < input.length; o += 7777) c.enqueue(input.slice(o, o + 7777));
      c.close();
    },
  });
  const r = await filterCapture(stream, "udp", { sink: (c) => pieces.push(c.slice()) });
  assert.equal(r.chunks.length, 0);
  const joined = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  pieces.reduce((o, p) => (joined.set(p, o), o + p.length), 0);
  expect(r, joined);
});

Deno.test("mxy pcap filter writes to standard output without -o or with -o -", async () => {
  const dir = fixture("pcap/loopback");
  if (dir === null) return;
  const tmp = await Deno.makeTempDir();
  try {
    const file = `${dir}/mixed-usec.pcap`;
    const r = await runMxy(["pcap", "filter", "--expr", "udp", file, "-o", `${tmp}/udp.pcap`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^Kept \d+ of \d+ packets -> .*udp\.pcap\n$/);
    const expected = await Deno.readFile(`${tmp}/udp.pcap`);
    for (const args of [[], ["-o", "-"]]) {
      const child = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${new URL("../../cli/main.ts", import.meta.url).pathname}`, "pcap"]
          .concat(["filter", "--expr", "udp", file, ...args]),
        cwd: tmp,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(child.code, 0, new TextDecoder().decode(child.stderr));
      assert.deepEqual(child.stdout, expected, args.join(" "));
      assert.match(new TextDecoder().decode(child.stderr), /-> standard output\n$/);
    }
    // No file named "-" appears.
    await assert.rejects(() => Deno.stat(`${tmp}/-`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
