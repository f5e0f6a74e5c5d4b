import assert from "node:assert/strict";
import { encodeGlobSection, GlobIndex } from "../../lib/format/mod.ts";

Deno.test("GlobIndex numbers patterns most specific first and lists the always-check ones", () => {
  const idx = new GlobIndex(encodeGlobSection([
    { text: "*", dataOffset: 1 },
    { text: "*.example.com", dataOffset: 2 },
  ]));
  assert.equal(idx.text(0), "*.example.com"); // more specific first
  assert.deepEqual([...idx.always], [1]);
});
