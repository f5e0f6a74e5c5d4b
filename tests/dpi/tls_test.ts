import assert from "node:assert/strict";
import { hasProgram, tsharkFields } from "../_fixtures.ts";
import { createTlsPlugin } from "../../lib/dpi/mod.ts";
import { buildPacket, PcapWriter } from "../../lib/pcap/mod.ts";
import { clientHello, viewOf } from "./_packets.ts";

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
