/**
 * lib/match runs outside Deno: bundled with `deno bundle` and run under Node, it finds the same
 * spans as here.
 */
import assert from "node:assert/strict";
import { hasProgram } from "../_fixtures.ts";
import { spans } from "./_spans.ts";
import { PcapWriter, TcpFlag } from "../../lib/pcap/mod.ts";
import { buildPacket } from "../../lib/testing/mod.ts";
import { clientHello, databaseOf, dnsWithAnswers, hitsOf } from "./_captures.ts";

const LINE = '1.2.3.4 "GET /?u=https://evil.com/x" bob@mail.com [2001:db8::1]:443 ' +
  "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa 食狮.中国 " +
  "d41d8cd98f00b204e9800998ecf8427e file.txt";

Deno.test({
  name: "the bundled lib/match finds the same spans under Node",
  // under CI a missing peer is a failure, not a skip
  ignore: !hasProgram("node"),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const bundle = `${dir}/match.mjs`;
      const mod = new URL("../../lib/match/mod.ts", import.meta.url).pathname;
      const built = await new Deno.Command(Deno.execPath(), {
        args: ["bundle", "--platform=browser", "-o", bundle, mod],
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.ok(built.success, new TextDecoder().decode(built.stderr));
      const script = `${dir}/run.mjs`;
      await Deno.writeTextFile(
        script,
        `import { Extractor, spanKindName } from "./match.mjs";
const line = new TextEncoder().encode(${JSON.stringify(LINE)});
const out = [];
new Extractor().scan(line, (k, s, e) => out.push(spanKindName(k) + " " + new TextDecoder().decode(line.subarray(s, e))));
console.log(JSON.stringify(out));`,
      );
      const ran = await new Deno.Command("node", {
        args: [script],
        stdout: "piped",
        stderr: "piped",
      })
        .output();
      assert.ok(ran.success, new TextDecoder().decode(ran.stderr));
      const fromNode = JSON.parse(new TextDecoder().decode(ran.stdout));
      assert.deepEqual(fromNode, spans(LINE));
      assert.equal(fromNode.length, 10);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "the bundled capture matcher gives the same hits under Node, from bytes and from a web stream",
  ignore: !hasProgram("node"),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const root = new URL("../../", import.meta.url).pathname;
      await Deno.writeTextFile(
        `${dir}/entry.ts`,
        `export { CaptureMatcher, matchCapture } from "${root}lib/match/mod.ts";\n` +
          `export { Database } from "${root}lib/db/mod.ts";\n`,
      );
      const built = await new Deno.Command(Deno.execPath(), {
        args: ["bundle", "--platform=browser", "-o", `${dir}/cm.mjs`, `${dir}/entry.ts`],
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.ok(built.success, new TextDecoder().decode(built.stderr));
      const db = databaseOf(["203.0.113.0/24", "literal:mal.example.com", "glob:*.phish.test"]);
      await Deno.writeFile(`${dir}/db.mxy`, db.bytes);
      await Deno.writeFile(`${dir}/c.pcapng`, smallCapture());
      await Deno.writeTextFile(
        `${dir}/run.mjs`,
        `import { readFileSync } from "node:fs";
import { CaptureMatcher, Database, matchCapture } from "./cm.mjs";
const db = Database.fromBytes(new Uint8Array(readFileSync(${JSON.stringify(`${dir}/db.mxy`)})));
const capture = new Uint8Array(readFileSync(${JSON.stringify(`${dir}/c.pcapng`)}));
const out = [];
for (const source of [capture, new Blob([capture]).stream()]) {
  const hits = [];
  const m = new CaptureMatcher(db, { onHit: (h) => hits.push(h.frame + " " + h.attribute + " " + h.value + " " + h.viaName + " " + h.entryText) });
  await matchCapture(source, m);
  out.push(hits);
}
console.log(JSON.stringify(out));`,
      );
      const ran = await new Deno.Command("node", {
        args: [`${dir}/run.mjs`],
        stdout: "piped",
        stderr: "piped",
      })
        .output();
      assert.ok(ran.success, new TextDecoder().decode(ran.stderr));
      const [fromBytes, fromStream] = JSON.parse(new TextDecoder().decode(ran.stdout));
      const { hits } = await hitsOf(smallCapture(), db);
      assert.deepEqual(fromBytes, hits);
      assert.deepEqual(fromStream, hits);
      assert.equal(hits.length, 4);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** A query for a literal, a ClientHello naming a glob, to a listed network. */
function smallCapture(): Uint8Array {
  const w = new PcapWriter({ format: "pcapng", nanos: true });
  w.writePacket(buildPacket({
    src: "10.0.0.5",
    dst: "10.0.0.53",
    proto: "udp",
    srcPort: 4000,
    dstPort: 53,
    payload: dnsWithAnswers(1, "mal.example.com"),
  }));
  w.writePacket(buildPacket({
    src: "10.0.0.5",
    dst: "203.0.113.7",
    proto: "tcp",
    srcPort: 5000,
    dstPort: 443,
    tcpFlags: TcpFlag.PSH | TcpFlag.ACK,
    payload: clientHello("login.phish.test", ["h2"]),
  }));
  w.writePacket(buildPacket({ src: "203.0.113.8", dst: "10.0.0.5", proto: "icmp" }));
  return w.toBytes();
}
