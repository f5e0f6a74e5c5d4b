import assert from "node:assert/strict";
import { hasProgram, tsharkFields } from "../_fixtures.ts";
import { createDefaultRegistry, createTlsPlugin, DpiEngine } from "../../lib/dpi/mod.ts";
import { decodePacket, forEachPacketInBytes, PacketView, PcapWriter } from "../../lib/pcap/mod.ts";
import { buildPacket, type PacketSpec } from "../../lib/testing/mod.ts";
import fc from "fast-check";
import { clientHello, engineRows, tempCapture, viewOf } from "./_packets.ts";

Deno.test("createTlsPlugin() extracts SNI, ALPN and the highest supported version from a ClientHello", () => {
  const tls = createTlsPlugin();
  const v = viewOf({
    src: "10.0.0.1",
    dst: "10.0.0.2",
    proto: "tcp",
    srcPort: 5000,
    dstPort: 4433,
    payload: clientHello("secure.example.test", ["h2", "http/1.1"]),
  });
  assert.ok(tls.classify(v) && tls.parse!(v));
  assert.equal(tls.attributes.sni(v), "secure.example.test");
  assert.equal(tls.attributes.alpn(v), "h2,http/1.1");
  assert.equal(tls.attributes.handshake_type(v), 1);
  assert.equal(tls.attributes.version(v), 0x0303);
  assert.equal(tls.attributes.supported_version(v), 0x0304);
  assert.equal(tls.attributes.content_type(v), 0x16);
});

Deno.test("createTlsPlugin() reads a cut-short ClientHello without reading past the capture", () => {
  const tls = createTlsPlugin();
  const full = clientHello("cut.example.test", ["h2"]);
  for (let n = 10; n < full.length; n += 7) {
    const v = viewOf({
      src: "10.0.0.1",
      dst: "10.0.0.2",
      proto: "tcp",
      dstPort: 443,
      payload: full.subarray(0, n),
    });
    if (!tls.classify(v)) continue;
    tls.parse!(v);
    const sni = tls.attributes.sni(v);
    assert.ok(sni === undefined || sni === "cut.example.test");
  }
});

Deno.test("createTlsPlugin() classifies application-data records without hello fields", () => {
  const tls = createTlsPlugin();
  const v = viewOf({
    src: "10.0.0.1",
    dst: "10.0.0.2",
    proto: "tcp",
    dstPort: 443,
    payload: new Uint8Array([0x17, 3, 3, 0, 5, 1, 2, 3, 4, 5]),
  });
  assert.ok(tls.classify(v) && tls.parse!(v));
  assert.equal(tls.attributes.content_type(v), 0x17);
  assert.equal(tls.attributes.sni(v), undefined);
});

Deno.test({
  name: "createTlsPlugin() finds the SNI and ALPN tshark finds in the same ClientHello",
  ignore: !hasProgram("tshark"),
  async fn() {
    const w = new PcapWriter({});
    w.writePacket(
      buildPacket({
        src: "10.0.0.1",
        dst: "10.0.0.2",
        proto: "tcp",
        srcPort: 5000,
        dstPort: 443,
        payload: clientHello("oracle.example.test", ["h2", "http/1.1"]),
      }),
    );
    const path = await Deno.makeTempFile({ suffix: ".pcap" });
    await Deno.writeFile(path, w.toBytes());
    const [[sni, alpn]] = await tsharkFields(path, [
      "tls.handshake.extensions_server_name",
      "tls.handshake.extensions_alpn_str",
    ], ";");
    await Deno.remove(path);
    const tls = createTlsPlugin();
    const v = viewOf({
      src: "10.0.0.1",
      dst: "10.0.0.2",
      proto: "tcp",
      srcPort: 5000,
      dstPort: 443,
      payload: clientHello("oracle.example.test", ["h2", "http/1.1"]),
    });
    assert.ok(tls.classify(v) && tls.parse!(v));
    assert.equal(tls.attributes.sni(v), sni);
    assert.equal(tls.attributes.alpn(v), alpn);
  },
});

/**
 * A ClientHello too big for one 1,460-byte segment, as a browser's with a post-quantum key share
 * is (about 1,800 bytes), the big share before the SNI.
 */
const BIG_HELLO = clientHello("split.example.test", ["h2", "http/1.1"], 1600);

/** Its bytes cut at `cuts`, as the TCP segments of one flow (first sequence number 1001). */
function helloSegments(cuts: number[], flow: { src?: string; srcPort?: number } = {}) {
  const edges = [0, ...cuts, BIG_HELLO.length];
  return edges.slice(1).map((end, i) => ({
    src: flow.src ?? "10.0.0.1",
    dst: "10.0.0.2",
    proto: "tcp" as const,
    srcPort: flow.srcPort ?? 50000,
    dstPort: 443,
    seq: 1001 + edges[i],
    ack: 1,
    payload: BIG_HELLO.subarray(edges[i], end),
  }));
}

/** Runs the segments through an engine; the rows of `tls.sni`, `tls.alpn` and the paths. */
function throughEngine(
  segments: PacketSpec[],
  options: { reassemble?: boolean } = {},
): { rows: string[][]; paths: string[] } {
  const w = new PcapWriter({});
  segments.forEach((p) => w.writePacket(buildPacket(p)));
  const engine = new DpiEngine({ reassemble: options.reassemble });
  const rows: string[][] = [];
  const paths: string[] = [];
  engine.subscribe(["tls.sni", "tls.alpn", "tls.handshake_type"], (values, v) => {
    rows.push([String(v.number), ...values.map((x) => (x === undefined ? "" : String(x)))]);
    paths.push(engine.protocolPath(v));
  });
  forEachPacketInBytes(w.toBytes(), (v) => engine.process(v));
  engine.finish();
  return { rows, paths };
}

Deno.test("the dpi engine reassembles a ClientHello over three segments and reports it on the last", () => {
  assert.ok(BIG_HELLO.length > 1460);
  const { rows, paths } = throughEngine(helloSegments([700, 1400]));
  assert.deepEqual(rows, [
    ["1", "", "", ""], // parts of a record: TCP only, as tshark shows them
    ["2", "", "", ""],
    ["3", "split.example.test", "h2,http/1.1", "1"],
  ]);
  assert.deepEqual(paths, ["eth:ip:tcp", "eth:ip:tcp", "eth:ip:tcp:tls"]);
});

Deno.test("the dpi engine joins a hello's segments out of order and repeated, not across flows", () => {
  const [a, b] = helloSegments([1000]);
  const [otherA] = helloSegments([1000], { srcPort: 50001 });
  const syn = { ...a, tcpFlags: 0x02, seq: 1000, payload: new Uint8Array(0) };
  // After the SYN: the second part first, the first part of another flow, then the first part
  // twice (the stream's start is known from the SYN, so the second part waits).
  const { rows } = throughEngine([syn, b, otherA, a, a]);
  assert.deepEqual(rows.map((r) => r[1]), ["", "", "", "split.example.test", ""]);
  // Read packet by packet, the first segment starts a record but holds no SNI.
  const single = throughEngine([a, b], { reassemble: false });
  assert.deepEqual(single.rows.map((r) => r.slice(1)), [["", "", "1"], ["", "", ""]]);
});

Deno.test("createTlsPlugin() reads a hello cut by the snap length as far as the capture goes", () => {
  const tls = createTlsPlugin();
  const bytes = buildPacket(helloSegments([])[0]);
  const v = new PacketView();
  v.setRecord(bytes, 0, 200, bytes.length); // the record continues on the wire, not here
  decodePacket(v);
  assert.ok(tls.classify(v) && tls.parse!(v));
  assert.equal(tls.attributes.handshake_type(v), 1);
  assert.equal(tls.attributes.sni(v), undefined); // beyond the 200 captured bytes
});

Deno.test({
  name: "the dpi engine reports a segmented ClientHello on the frame where tshark does",
  ignore: !hasProgram("tshark"),
  async fn() {
    const w = new PcapWriter({});
    const flow = { src: "10.0.0.1", dst: "10.0.0.2", proto: "tcp" as const };
    const packets = [
      { ...flow, srcPort: 50000, dstPort: 443, flags: 0x02, seq: 1000 },
      {
        ...flow,
        src: "10.0.0.2",
        dst: "10.0.0.1",
        srcPort: 443,
        dstPort: 50000,
        flags: 0x12,
        ack: 1001,
      },
      { ...flow, srcPort: 50000, dstPort: 443, flags: 0x10, seq: 1001, ack: 1 },
      ...helloSegments([1000]),
    ];
    packets.forEach((p, i) => w.writePacket(buildPacket(p), { tsSec: 1700000000 + i }));
    const path = await Deno.makeTempFile({ suffix: ".pcap" });
    await Deno.writeFile(path, w.toBytes());
    const theirs = await tsharkFields(path, [
      "frame.number",
      "tls.handshake.extensions_server_name",
      "tls.handshake.extensions_alpn_str",
    ], ";");
    const engine = new DpiEngine({ registry: createDefaultRegistry() });
    const ours: string[][] = [];
    const paths: string[] = [];
    engine.subscribe(["tls.sni", "tls.alpn"], (values, v) => {
      ours.push([String(v.number), ...values.map((x) => x === undefined ? "" : String(x))]);
    });
    forEachPacketInBytes(await Deno.readFile(path), (v) => {
      engine.process(v);
      paths.push(engine.protocolPath(v));
    });
    await Deno.remove(path);
    assert.deepEqual(ours, theirs);
    assert.deepEqual(ours[4], ["5", "split.example.test", "h2,http/1.1"]);
    assert.deepEqual(paths.slice(3), ["eth:ip:tcp", "eth:ip:tcp:tls"]);
  },
});

/** A TLS 1.2 record of `type` with `body`. */
function tlsRecord(type: number, body: number[]): Uint8Array {
  return new Uint8Array([type, 3, 3, body.length >> 8, body.length & 255, ...body]);
}

/** The encrypted Finished of TLS 1.2 with AES-GCM: an 8-byte explicit nonce (the sequence
 * number, 0) then 32 bytes of ciphertext and tag. */
const ENCRYPTED_FINISHED = tlsRecord(0x16, [
  ...new Array(8).fill(0),
  ...Array.from({ length: 32 }, (_, i) => (i * 73 + 41) & 255),
]);
const CHANGE_CIPHER_SPEC = tlsRecord(0x14, [1]);
const CLOSE_NOTIFY_ALERT = tlsRecord(0x15, [1, 0]);

function tlsSegment(payload: Uint8Array, seq: number) {
  return {
    src: "10.0.0.1",
    dst: "10.0.0.2",
    proto: "tcp" as const,
    srcPort: 50000,
    dstPort: 443,
    seq,
    ack: 1,
    payload,
  };
}

Deno.test("createTlsPlugin() reads records shorter than 10 bytes: ChangeCipherSpec and alerts", () => {
  const tls = createTlsPlugin();
  for (const [record, type] of [[CHANGE_CIPHER_SPEC, 0x14], [CLOSE_NOTIFY_ALERT, 0x15]] as const) {
    const v = viewOf(tlsSegment(record, 1));
    assert.ok(record.length < 10);
    assert.ok(tls.classify(v) && tls.parse!(v));
    assert.equal(tls.attributes.content_type(v), type);
    assert.equal(tls.attributes.handshake_type(v), undefined);
  }
  // A bare record header (5 bytes) is a record; four bytes are not.
  assert.ok(tls.classify(viewOf(tlsSegment(tlsRecord(0x17, []), 1))));
  assert.equal(tls.classify(viewOf(tlsSegment(CLOSE_NOTIFY_ALERT.subarray(0, 4), 1))), false);
});

Deno.test("createTlsPlugin() gives no handshake type for an encrypted handshake record", () => {
  const tls = createTlsPlugin();
  const v = viewOf(tlsSegment(ENCRYPTED_FINISHED, 1));
  assert.ok(tls.classify(v) && tls.parse!(v));
  assert.equal(tls.attributes.content_type(v), 0x16);
  assert.equal(tls.attributes.handshake_type(v), undefined);
  // Plaintext handshake records keep theirs: ServerHelloDone (14, empty), and a Certificate
  // (11) that goes on in the next record.
  const done = viewOf(tlsSegment(tlsRecord(0x16, [14, 0, 0, 0]), 1));
  assert.ok(tls.classify(done) && tls.parse!(done));
  assert.equal(tls.attributes.handshake_type(done), 14);
  const cert = viewOf(tlsSegment(tlsRecord(0x16, [11, 0, 0x30, 0, 0, 0x2f, 0xfd, 1, 2]), 1));
  assert.ok(tls.classify(cert) && tls.parse!(cert));
  assert.equal(tls.attributes.handshake_type(cert), 11);
});

Deno.test("createTlsPlugin() reads random handshake records as encrypted (property)", () => {
  const tls = createTlsPlugin();
  let typed = 0;
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 24, maxLength: 96 }), (body) => {
      const v = viewOf(tlsSegment(tlsRecord(0x16, [...new Array(8).fill(0), ...body]), 1));
      assert.ok(tls.classify(v) && tls.parse!(v));
      if (tls.attributes.handshake_type(v) !== undefined) typed++;
    }),
    { numRuns: 2000, seed: 42 },
  );
  assert.ok(typed < 10, `${typed} of 2000 random records read as plaintext handshakes`);
});

Deno.test({
  name: "the tls plugin reads ChangeCipherSpec, an encrypted Finished and an alert as tshark does",
  ignore: !hasProgram("tshark"),
  async fn() {
    const hello = clientHello("short.example.test", ["h2"]);
    let seq = 1;
    const packets = [hello, CHANGE_CIPHER_SPEC, ENCRYPTED_FINISHED, CLOSE_NOTIFY_ALERT].map(
      (record) => {
        const p = tlsSegment(record, seq);
        seq += record.length;
        return p;
      },
    );
    const { path, bytes } = await tempCapture(packets);
    const theirs = await tsharkFields(path, [
      "frame.number",
      "tls.record.content_type",
      "tls.handshake.type",
    ], ";");
    await Deno.remove(path);
    const ours = engineRows(bytes, ["tls.content_type", "tls.handshake_type"]);
    assert.deepEqual(ours, theirs);
    assert.deepEqual(ours.slice(1), [["2", "20", ""], ["3", "22", ""], ["4", "21", ""]]);
  },
});
