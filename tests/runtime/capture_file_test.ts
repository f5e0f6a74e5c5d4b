import assert from "node:assert/strict";
import { hasProgram, tsharkFields } from "../_fixtures.ts";
import {
  forEachPacketInBytes,
  formatSrc,
  formatTime,
  PcapError,
  PcapWriter,
  type PcapWriterOptions,
} from "../../lib/pcap/mod.ts";
import {
  type CaptureFileMode,
  correlateFile,
  forEachPacketInFile,
  openCaptureFile,
  trackFlowsInFile,
} from "../../lib/runtime/mod.ts";
import { Correlator, SessionTable } from "../../lib/pcap/mod.ts";
import { buildPacket } from "../../lib/testing/mod.ts";

const PKT = buildPacket({
  src: "10.1.2.3",
  dst: "10.3.2.1",
  srcPort: 1000,
  dstPort: 53,
  payload: new Uint8Array(20),
});

function sample(options: PcapWriterOptions, n = 5): Uint8Array<ArrayBuffer> {
  const w = new PcapWriter(options);
  for (let i = 0; i < n; i++) {
    w.writePacket(PKT, { tsSec: 1795316355 + i, tsNsec: 123456789 - i * 1000 });
  }
  return w.toBytes();
}

const line = (v: Parameters<Parameters<typeof forEachPacketInBytes>[1]>[0]) =>
  `${formatTime(v.tsSec, v.tsNsec)}/${v.caplen}/${v.origlen}/${v.iface}/${v.linktype}`;

Deno.test("forEachPacketInFile() reads files streamed, read and mapped, plain and gzip, the same way", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bytes = sample({ nanos: true }, 7);
    const expected: string[] = [];
    forEachPacketInBytes(bytes, (v) => {
      expected.push(line(v));
    });
    await Deno.writeFile(`${dir}/a.pcap`, bytes);
    const gz = await new Response(
      new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip")),
    ).bytes();
    await Deno.writeFile(`${dir}/a.pcap.gz`, gz);
    await Deno.writeFile(`${dir}/gz-without-suffix.pcap`, gz);
    const runs: [string, CaptureFileMode | undefined, string][] = [
      ["a.pcap", undefined, "stream"],
      ["a.pcap", "stream", "stream"],
      ["a.pcap", "read", "read"],
      ["a.pcap", "mmap", "mmap"],
      ["a.pcap.gz", undefined, "stream"],
      ["a.pcap.gz", "mmap", "stream"],
      ["gz-without-suffix.pcap", undefined, "stream"],
      ["gz-without-suffix.pcap", "read", "stream"],
    ];
    for (const [file, mode, readMode] of runs) {
      const times: string[] = [];
      const s = await forEachPacketInFile(`${dir}/${file}`, (v) => {
        times.push(line(v));
      }, { mode, chunkSize: 1 });
      assert.deepEqual(times, expected, `${file} ${mode}`);
      assert.equal(s.mode, readMode, `${file} ${mode}`);
    }
    await assert.rejects(
      forEachPacketInFile(`${dir}/missing.pcap`, () => {}),
      (e: unknown) =>
        e instanceof PcapError && e.code === "read-failed" &&
        e.cause instanceof Deno.errors.NotFound &&
        e.message.includes("missing.pcap"),
    );
    const broken = gz.slice(0, gz.length - 12);
    broken[20] ^= 0xff;
    await Deno.writeFile(`${dir}/broken.pcap.gz`, broken);
    await assert.rejects(
      forEachPacketInFile(`${dir}/broken.pcap.gz`, () => {}),
      (e: unknown) => e instanceof PcapError && e.code === "bad-compression",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("forEachPacketInFile() streams a file through its fixed buffer: memory bounded by the chunk size", async () => {
  const path = await Deno.makeTempFile({ suffix: ".pcap" });
  try {
    await Deno.writeFile(path, sample({}, 20_000)); // about 1.4 MB
    let n = 0;
    const s = await forEachPacketInFile(path, () => {
      n++;
    }, { chunkSize: 64 * 1024 });
    assert.equal(n, 20_000);
    assert.equal(s.mode, "stream");
    assert.equal(s.bufferBytes, 64 * 1024);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("openCaptureFile() refuses an unknown mode and closes what it opened", async () => {
  const path = await Deno.makeTempFile({ suffix: ".pcap" });
  try {
    await Deno.writeFile(path, sample({}, 1));
    await assert.rejects(openCaptureFile(path, { mode: "auto" as CaptureFileMode }), TypeError);
    const file = await openCaptureFile(path);
    assert.equal(file.mode, "stream");
    file.close();
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a payload view kept past forEachPacketInFile() over a mapped capture survives garbage collection", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--v8-flags=--expose-gc",
      new URL("./_mmap_view_probe.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `probe died (signal ${out.signal}): ${err}`);
  const result = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.deepEqual(result, { mode: "mmap", packets: 500, same: true });
});

Deno.test("correlateFile() and trackFlowsInFile() read a path as correlateStream() and trackFlows() read bytes", async () => {
  const path = await Deno.makeTempFile({ suffix: ".pcap" });
  try {
    const w = new PcapWriter({ nanos: true });
    const q = new Uint8Array([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    const r = new Uint8Array([0, 7, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]);
    w.writePacket(
      buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 9, dstPort: 53, payload: q }),
      { tsNsec: 10 },
    );
    w.writePacket(
      buildPacket({ src: "10.0.0.2", dst: "10.0.0.1", srcPort: 53, dstPort: 9, payload: r }),
      { tsNsec: 70 },
    );
    await Deno.writeFile(path, w.toBytes());
    const latencies: number[] = [];
    const c = new Correlator({ mode: "dns", onMatch: (m) => latencies.push(m.latencyNs) });
    assert.equal((await correlateFile(path, c, { mode: "read" })).mode, "read");
    assert.deepEqual(latencies, [60]);
    const table = new SessionTable();
    await trackFlowsInFile(path, table);
    assert.equal(table.finish().sessions, 1);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test({
  name: "tshark reads the writer's captures for every link type with the same addresses and times",
  ignore: !hasProgram("tshark"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const links: [number, boolean][] = [
        [1, false],
        [113, false],
        [276, false],
        [0, false],
        [0, true],
        [108, false],
        [101, false],
        [228, false],
      ];
      const pkt = (linktype: number, be: boolean, i: number) =>
        buildPacket({
          linktype,
          nullBigEndian: be,
          src: `192.0.2.${i}`,
          dst: "192.0.2.200",
          srcPort: 1234,
          dstPort: 53,
          vlans: linktype === 1 ? [5, 6] : undefined,
        });
      // one pcapng with an interface per link type, and two classic files
      const ng = new PcapWriter({ format: "pcapng", nanos: true, linktype: 1 });
      links.forEach(([lt], i) => {
        const id = i === 0 ? 0 : ng.addInterface(lt, { tsresol: 9 });
        ng.writePacket(pkt(lt, links[i][1], i + 1), {
          tsSec: 1795316355,
          tsNsec: 987654321,
          iface: id,
        });
      });
      const classicEth = new PcapWriter({ nanos: true, littleEndian: false });
      classicEth.writePacket(pkt(1, false, 1), { tsSec: 1795316355, tsNsec: 987654321 });
      const classicNull = new PcapWriter({ linktype: 0, nanos: true });
      classicNull.writePacket(pkt(0, true, 1), { tsSec: 1795316355, tsNsec: 987654321 });
      const files: [string, Uint8Array, number][] = [
        ["all.pcapng", ng.toBytes(), links.length],
        ["eth-be.pcap", classicEth.toBytes(), 1],
        ["null-be.pcap", classicNull.toBytes(), 1],
      ];
      for (const [name, bytes, n] of files) {
        const path = `${dir}/${name}`;
        await Deno.writeFile(path, bytes);
        const theirs = (await tsharkFields(path, ["frame.time_epoch", "ip.src", "udp.dstport"]))
          .map((r) => r.join(","));
        const ours: string[] = [];
        await forEachPacketInFile(path, (v) => {
          ours.push(`${formatTime(v.tsSec, v.tsNsec)},${formatSrc(v)},${v.dstPort}`);
        });
        assert.equal(ours.length, n);
        assert.deepEqual(ours, theirs, name);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
