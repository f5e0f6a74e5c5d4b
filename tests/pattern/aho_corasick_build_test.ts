import assert from "node:assert/strict";
import { AhoCorasick, buildAhoCorasick, narrowDenseRows } from "../../lib/pattern/mod.ts";

Deno.test("buildAhoCorasick() builds tables whose scan finds every piece in a text", () => {
  const enc = new TextEncoder();
  const ac = new AhoCorasick(buildAhoCorasick([enc.encode("he"), enc.encode("she"), null]));
  const out = new Uint32Array(3);
  const bytes = enc.encode("ushers");
  const n = ac.collect({ bytes, length: 6, out, count: 0, seen: new Uint32Array(3), stamp: 1 });
  assert.deepEqual([...out.subarray(0, n)].sort(), [0, 1]);
});

Deno.test("narrowDenseRows() gives 16-bit dense entries when every state number fits in 15 bits", () => {
  const t = buildAhoCorasick([new TextEncoder().encode("ab")], { denseWidth: 32 });
  assert.ok(t.dense instanceof Int32Array);
  assert.ok(narrowDenseRows(t).dense instanceof Uint16Array);
});
