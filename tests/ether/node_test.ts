/**
 * The Ether cores are runtime-neutral: bundled with `deno bundle`, `_node_roundtrip.ts` runs under
 * Node (server and client over in-memory pipes, no Deno API in reach), and the Deno adapters say
 * `unsupported-runtime` there.
 */
import assert from "node:assert/strict";
import { VERSION } from "../../lib/core/version.ts";

Deno.test("the Ether server and client cores run under Node over in-memory pipes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mxy-ether-node-" });
  try {
    const out = `${dir}/roundtrip.mjs`;
    const bundle = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--platform",
        "browser",
        "-o",
        out,
        new URL("./_node_roundtrip.ts", import.meta.url).pathname,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(bundle.code, 0, new TextDecoder().decode(bundle.stderr));
    const run = await new Deno.Command("node", { args: [out], stdout: "piped", stderr: "piped" })
      .output();
    assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
    const seen = JSON.parse(new TextDecoder().decode(run.stdout));
    assert.equal(seen.software, `mxy/${VERSION}`);
    assert.deepEqual(seen.back, [1, 2, 3]);
    assert.deepEqual(seen.hit, {
      kind: "ip",
      data: { seen: "node" },
      network: "192.0.2.0/24",
      prefixLength: 24,
    });
    assert.equal(seen.stats.connections, 0);
    assert.equal(seen.stats.memoryInUse, 0);
    assert.equal(seen.stats.errors, 0);
    assert.deepEqual(seen.refused, [
      "RuntimeError unsupported-runtime",
      "RuntimeError unsupported-runtime",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
