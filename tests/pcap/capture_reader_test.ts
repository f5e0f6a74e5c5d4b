import assert from "node:assert/strict";
import fc from "fast-check";
import {
  forEachPacket,
  forEachPacketInBytes,
  formatSrc,
  formatTime,
  LinkType,
  PcapError,
  type PcapErrorCode,
  PcapWriter,
  type PcapWriterOptions,
  type ReadSummary,
} from "../../lib/pcap/mod.ts";
import { buildPacket } from "../../lib/testing/mod.ts";

const PKT = buildPacket({
  src: "10.1.2.3",
  dst: "10.3.2.1",
  srcPort: 1000,
  dstPort: 53,
  payload: new Uint8Array(20),
});

function collect(bytes: Uint8Array): { times: string[]; summary: ReadSummary } {
  const times: string[] = [];
  const summary = forEachPacketInBytes(bytes, (v) => {
    times.push(
      `${formatTime(v.tsSec, v.tsNsec)}/${v.caplen}/${v.origlen}/${v.iface}/${v.linktype}`,
    );
  });
  return { times, summary };
}

function sample(options: PcapWriterOptions, n = 5): Uint8Array<ArrayBuffer> {
  const w = new PcapWriter(options);
  for (let i = 0; i < n; i++) {
    w.writePacket(PKT, { tsSec: 1795316355 + i, tsNsec: 123456789 - i * 1000 });
  }
  return w.toBytes();
}

for (const nanos of [false, true]) {
  for (const littleEndian of [true, false]) {
    Deno.test(`forEachPacketInBytes() reads classic pcap written ${nanos ? "ns" : "µs"} ${littleEndian ? "little" : "big"}-endian`, () => {
      const bytes = sample({ nanos, littleEndian });
      const { times, summary } = collect(bytes);
      assert.equal(summary.format, "pcap");
      assert.equal(summary.nanos, nanos);
      assert.equal(summary.packets, 5);
      assert.equal(
        times[0],
        `1795316355.${nanos ? "123456789" : "123456000"}/${PKT.length}/${PKT.length}/0/1`,
      );
    });
  }
}

Deno.test("forEachPacketInBytes() cuts records at the snap length and keeps the wire length", () => {
  const { times } = collect(sample({ snaplen: 40 }, 1));
  assert.equal(times[0].split("/").slice(1, 3).join("/"), `40/${PKT.length}`);
});

Deno.test("forEachPacketInBytes() reads the FCS bits of the link-type field", () => {
  let fcs = -1, lt = -1;
  forEachPacketInBytes(sample({ fcsLen: 4 }, 1), (v) => {
    fcs = v.fcsLen;
    lt = v.linktype;
  });
  assert.equal(fcs, 4);
  assert.equal(lt, 1);
});

Deno.test("forEachPacketInBytes() reads pcapng in both byte orders with decimal and binary if_tsresol and if_tsoffset", () => {
  for (const littleEndian of [true, false]) {
    const w = new PcapWriter({ format: "pcapng", littleEndian, nanos: true });
    const us = w.addInterface(LinkType.RAW, { tsresol: 6, name: "raw0" });
    const bin = w.addInterface(LinkType.ETHERNET, { tsresol: 0x80 | 20 });
    const off = w.addInterface(LinkType.ETHERNET, { tsresol: 3, tsoffset: 1000 });
    const ps = w.addInterface(LinkType.ETHERNET, { tsresol: 12 });
    const raw = buildPacket({ linktype: LinkType.RAW, src: "10.0.0.9", dst: "10.0.0.8" });
    w.writePacket(PKT, { tsSec: 1795316355, tsNsec: 123456789 });
    w.writePacket(raw, { tsSec: 1795316355, tsNsec: 123456789, iface: us });
    w.writePacket(PKT, { tsSec: 1795316355, tsNsec: 500000000, iface: bin });
    w.writePacket(PKT, { tsSec: 1795316355, tsNsec: 7000000, iface: off });
    // picoseconds: 64 bits hold about 213 days
    w.writePacket(PKT, { tsSec: 10000000, tsNsec: 123456789, iface: ps });
    const { times, summary } = collect(w.toBytes());
    const t = times.map((x) => x.split("/")[0]);
    assert.deepEqual(t, [
      "1795316355.123456789",
      "1795316355.123456000",
      "1795316355.500000000",
      "1795316355.007000000",
      "10000000.123456789",
    ]);
    assert.deepEqual(summary.linktypes, [1, 101]);
    assert.equal(summary.interfaces[1].name, "raw0");
    assert.equal(summary.interfaces[2].tsresol, "2^-20");
    assert.equal(summary.interfaces[3].tsoffset, 1000);
  }
});

Deno.test("forEachPacketInBytes() reads SPB, obsolete PB, NRB, ISB and skips custom and unknown blocks", () => {
  const w = new PcapWriter({ format: "pcapng", snaplen: 50 });
  w.writePacket(PKT, { block: "spb" });
  w.writePacket(PKT, { block: "pb", tsSec: 5, tsNsec: 6000 });
  w.writeNameRecords([
    { address: "10.1.2.3", names: ["a.test", "b.test"] },
    { address: "2001:db8:0:0:0:0:0:1", names: ["six.test"] },
  ]);
  w.writeBlock(0x00000bad, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
  w.writeBlock(0x40000bad, new Uint8Array(7));
  w.writeBlock(0x0000000a, new Uint8Array(16)); // decryption secrets: not a packet
  w.writeStatistics(0, { received: 10, dropped: 2 });
  w.writePacket(PKT, { tsSec: 7 });
  const { times, summary } = collect(w.toBytes());
  assert.equal(summary.packets, 3);
  assert.equal(times[0], `0.000000000/50/${PKT.length}/0/1`);
  assert.equal(times[1], `5.000006000/50/${PKT.length}/0/1`);
  assert.equal(summary.skippedBlocks, 3);
  assert.deepEqual(summary.names.get("10.1.2.3"), ["a.test", "b.test"]);
  assert.deepEqual(summary.names.get("2001:db8::1"), ["six.test"]);
  assert.deepEqual(summary.interfaces[0].stats, { received: 10, dropped: 2 });
});

Deno.test("forEachPacketInBytes() follows sections that switch byte order and reset interfaces", () => {
  const w = new PcapWriter({ format: "pcapng", littleEndian: true });
  w.writePacket(PKT, { tsSec: 1 });
  w.newSection({ littleEndian: false });
  w.addInterface(LinkType.RAW);
  w.writePacket(buildPacket({ linktype: LinkType.RAW, src: "1.1.1.1", dst: "2.2.2.2" }), {
    tsSec: 2,
  });
  w.newSection({ littleEndian: true });
  w.addInterface(LinkType.LINUX_SLL);
  w.writePacket(buildPacket({ linktype: LinkType.LINUX_SLL, src: "3.3.3.3", dst: "4.4.4.4" }), {
    tsSec: 3,
  });
  const srcs: string[] = [];
  const s = forEachPacketInBytes(w.toBytes(), (v) => {
    srcs.push(`${v.section}:${v.tsSec}:${formatSrc(v)}`);
  });
  assert.equal(s.sections, 3);
  assert.deepEqual(srcs, ["0:1:10.1.2.3", "1:2:1.1.1.1", "2:3:3.3.3.3"]);
  assert.deepEqual(s.linktypes, [1, 101, 113]);
});

Deno.test("forEachPacketInBytes() reports the packets read and the offset of a record cut short, at every cut", () => {
  for (const format of ["pcap", "pcapng"] as const) {
    const bytes = sample({ format }, 3);
    const headerLen = format === "pcap" ? 24 : 28 + 20;
    const starts: number[] = [];
    forEachPacketInBytes(bytes, (v) => {
      starts.push(v.fileOffset);
    });
    starts.push(bytes.length);
    for (let cut = headerLen; cut < bytes.length; cut++) {
      const s = forEachPacketInBytes(bytes.subarray(0, cut), () => {});
      const complete = starts.filter((_o, i) => i < 3 && starts[i + 1] <= cut).length;
      assert.equal(s.packets, complete, `${format} cut at ${cut}`);
      if (starts.includes(cut)) assert.equal(s.truncated, null);
      else {
        assert.equal(s.truncated?.packets, complete);
        assert.equal(s.truncated?.offset, starts[complete]);
      }
    }
  }
});

Deno.test("forEachPacketInBytes() rejects damaged input with typed errors naming the byte offset", () => {
  const cases: [string, Uint8Array, PcapErrorCode][] = [];
  cases.push(["empty", new Uint8Array(0), "truncated-header"]);
  cases.push(["short header", sample({}).subarray(0, 10), "truncated-header"]);
  cases.push(["no magic", new Uint8Array(100), "bad-magic"]);
  const bigRec = sample({}, 1);
  new DataView(bigRec.buffer).setUint32(24 + 8, 0x7fffffff, true);
  cases.push(["huge record", bigRec, "record-too-large"]);
  const badVer = sample({}, 1);
  badVer[4] = 9;
  cases.push(["pcap version", badVer, "bad-version"]);
  const ng = sample({ format: "pcapng" }, 1);
  const badLen = ng.slice();
  new DataView(badLen.buffer).setUint32(28 + 20 + 4, 33, true);
  cases.push(["block length not a multiple of 4", badLen, "bad-length"]);
  const badTrailer = ng.slice();
  badTrailer[badTrailer.length - 4] ^= 0xff;
  cases.push(["trailer mismatch", badTrailer, "bad-length"]);
  const badIface = ng.slice();
  new DataView(badIface.buffer).setUint32(28 + 20 + 8, 5, true);
  cases.push(["unknown interface", badIface, "unknown-interface"]);
  const badBom = ng.slice();
  badBom[8] = 0;
  cases.push(["byte-order magic", badBom, "bad-magic"]);
  const noShb = ng.slice(28);
  noShb.set([6, 0, 0, 0], 0);
  cases.push(["packet before section", noShb, "bad-magic"]);
  for (const [name, bytes, code] of cases) {
    assert.throws(
      () => forEachPacketInBytes(bytes, () => {}, { name: "x.pcap" }),
      (e: unknown) =>
        e instanceof PcapError && e.code === code && /x\.pcap/.test(e.message) &&
        e.offset !== undefined,
      name,
    );
  }
});

Deno.test("forEachPacketInBytes() only throws PcapError on randomly corrupted captures", () => {
  const base = [
    sample({}, 4),
    sample({ format: "pcapng" }, 4),
    sample({ nanos: true, littleEndian: false }, 4),
  ];
  fc.assert(
    fc.property(
      fc.constantFrom(0, 1, 2),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 6,
      }),
      fc.nat(),
      (which, edits, cut) => {
        const b = base[which].slice();
        for (const [pos, val] of edits) b[pos % b.length] = val;
        const bytes = b.subarray(0, Math.max(0, b.length - (cut % 40)));
        try {
          const s = forEachPacketInBytes(bytes, () => {}, { maxRecord: 1 << 20 });
          assert.ok(s.packets <= 4 || s.packets >= 0);
        } catch (e) {
          assert.ok(e instanceof PcapError, String(e));
        }
      },
    ),
    { numRuns: 1500 },
  );
});

Deno.test("forEachPacket() over a stream gives the same packets whatever the chunk sizes", async () => {
  const bytes = sample({ format: "pcapng" }, 40);
  const expected = collect(bytes).times;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }),
      async (sizes) => {
        let i = 0, o = 0;
        const stream = new ReadableStream<Uint8Array>({
          pull(c) {
            if (o >= bytes.length) return c.close();
            const n = sizes[i++ % sizes.length];
            c.enqueue(bytes.slice(o, o + n));
            o += n;
          },
        });
        const times: string[] = [];
        const s = await forEachPacket(stream, (v) => {
          times.push(
            `${formatTime(v.tsSec, v.tsNsec)}/${v.caplen}/${v.origlen}/${v.iface}/${v.linktype}`,
          );
        }, { chunkSize: 1 });
        assert.deepEqual(times, expected);
        assert.equal(s.bytesRead, bytes.length);
        assert.equal(s.truncated, null);
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("forEachPacket() streams a capture larger than its buffer with bounded memory and stops on request", async () => {
  const w = new PcapWriter({});
  for (let i = 0; i < 3000; i++) w.writePacket(PKT, { tsSec: i });
  const bytes = w.toBytes();
  let n = 0;
  const s = await forEachPacket(new Blob([bytes]).stream(), () => {
    n++;
  }, { chunkSize: 64 * 1024 });
  assert.equal(n, 3000);
  assert.equal(s.mode, "stream");
  let m = 0;
  const stopped = await forEachPacket(new Blob([bytes]).stream(), () => ++m < 10);
  assert.equal(m, 10);
  assert.equal(stopped.stopped, true);
});

Deno.test("forEachPacket() streams 40 MB through a 64 KiB buffer: memory bounded by the chunk size", async () => {
  // the capture is generated while it is read, never held whole in memory
  const header = new PcapWriter({}).toBytes();
  const rec = new PcapWriter({});
  rec.writePacket(PKT, { tsSec: 1 });
  const record = rec.toBytes().subarray(24);
  const perChunk = 1000;
  const chunk = new Uint8Array(record.length * perChunk);
  for (let i = 0; i < perChunk; i++) chunk.set(record, i * record.length);
  const chunks = Math.ceil(40_000_000 / chunk.length);
  let sent = -1;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent === -1) c.enqueue(header);
      else if (sent < chunks) c.enqueue(chunk);
      else c.close();
      sent++;
    },
  });
  let n = 0;
  const s = await forEachPacket(stream, () => {
    n++;
  }, { chunkSize: 64 * 1024 });
  assert.equal(n, chunks * perChunk);
  assert.equal(s.bytesRead, 24 + chunks * chunk.length);
  assert.equal(s.bufferBytes, 64 * 1024);
});

Deno.test("forEachPacket() grows its stream buffer only for a record larger than it, up to maxRecord", async () => {
  const w = new PcapWriter({ snaplen: 0 });
  w.writePacket(new Uint8Array(300_000), { tsSec: 1 });
  w.writePacket(PKT, { tsSec: 2 });
  const bytes = w.toBytes();
  let sizes: number[] = [];
  const s = await forEachPacket(new Blob([bytes]).stream(), (v) => {
    sizes.push(v.caplen);
  }, { chunkSize: 64 * 1024 });
  assert.deepEqual(sizes, [300_000, PKT.length]);
  assert.ok(s.bufferBytes >= 300_016 && s.bufferBytes <= 600_000, String(s.bufferBytes));
  sizes = [];
  await assert.rejects(
    forEachPacket(new Blob([bytes]).stream(), () => {}, {
      chunkSize: 64 * 1024,
      maxRecord: 100_000,
    }),
    (e: unknown) => e instanceof PcapError && e.code === "record-too-large",
  );
});

/** A positional source over bytes, counting reads, as a file opened for positional reads is. */
function positional(
  bytes: Uint8Array,
): { readAt(into: Uint8Array, at: number): Promise<number>; reads: number } {
  const source = {
    reads: 0,
    readAt(into: Uint8Array, at: number): Promise<number> {
      source.reads++;
      const n = Math.max(0, Math.min(into.length, bytes.length - at));
      into.set(bytes.subarray(at, at + n));
      return Promise.resolve(n);
    },
  };
  return source;
}

Deno.test("forEachPacket() reads a positional source straight into its buffer, plain or gzip", async () => {
  const bytes = sample({ format: "pcapng" }, 3000);
  const expected = collect(bytes).times;
  const gz = await new Response(
    new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip")),
  ).bytes();
  for (const [name, input] of [["plain", bytes], ["gzip", gz]] as const) {
    const source = positional(input);
    const times: string[] = [];
    const s = await forEachPacket(source, (v) => {
      times.push(
        `${formatTime(v.tsSec, v.tsNsec)}/${v.caplen}/${v.origlen}/${v.iface}/${v.linktype}`,
      );
    }, { chunkSize: 64 * 1024 });
    assert.deepEqual(times, expected, name);
    assert.equal(s.mode, "stream");
    assert.equal(s.bytesRead, bytes.length);
    assert.ok(source.reads > 2, `${name}: ${source.reads} reads`);
  }
});

Deno.test("forEachPacket() reports a failing positional source as read-failed with the cause", async () => {
  const cause = new Error("disk on fire");
  await assert.rejects(
    forEachPacket({ readAt: () => Promise.reject(cause) }, () => {}, { name: "x.pcap" }),
    (e: unknown) =>
      e instanceof PcapError && e.code === "read-failed" && e.cause === cause &&
      /x\.pcap/.test(e.message),
  );
});

Deno.test("forEachPacket() refuses a path with a pointer to forEachPacketInFile", async () => {
  await assert.rejects(
    forEachPacket("x.pcap" as unknown as Uint8Array, () => {}),
    (e: unknown) => e instanceof TypeError && /forEachPacketInFile/.test(e.message),
  );
});

Deno.test("forEachPacket() decompresses gzip bytes and streams, and reports a damaged gzip stream", async () => {
  const bytes = sample({}, 5);
  const gz = await new Response(
    new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip")),
  ).bytes();
  assert.equal((await forEachPacket(gz, () => {})).packets, 5);
  assert.equal((await forEachPacket(new Blob([gz]).stream(), () => {})).packets, 5);
  const broken = gz.slice(0, gz.length - 12);
  broken[20] ^= 0xff;
  await assert.rejects(
    forEachPacket(broken, () => {}),
    (e: unknown) => e instanceof PcapError && e.code === "bad-compression",
  );
});

Deno.test("forEachPacket() over a stream reuses one buffer: bytes kept past the callback change, copies do not", async () => {
  const w = new PcapWriter({});
  for (let i = 0; i < 2000; i++) {
    w.writePacket(
      buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", payload: new Uint8Array([i & 255, i >> 8]) }),
      { tsSec: i },
    );
  }
  const kept: Uint8Array[] = [];
  const copies: Uint8Array[] = [];
  await forEachPacket(new Blob([w.toBytes()]).stream(), (v) => {
    if (v.number % 100 === 1) {
      kept.push(v.payload());
      copies.push(v.payload().slice());
    }
  }, { chunkSize: 64 * 1024 });
  copies.forEach((c, i) => assert.deepEqual([...c], [(i * 100) & 255, (i * 100) >> 8]));
  // early packets' bytes were overwritten by later chunks read into the same buffer
  assert.ok(kept.some((k, i) => k[0] !== copies[i][0] || k[1] !== copies[i][1]));
});
