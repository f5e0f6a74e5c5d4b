/**
 * lib/match runs outside Deno: bundled with `deno bundle` and run under Node, it finds the same
 * spans as here.
 */
import assert from "node:assert/strict";
import { hasProgram } from "../_fixtures.ts";
import { spans } from "./_spans.ts";

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
