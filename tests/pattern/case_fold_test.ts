import assert from "node:assert/strict";
import {
  codePointsInto,
  foldChangingCodePoints,
  foldCodePoint,
  foldString,
} from "../../lib/pattern/mod.ts";

Deno.test("foldCodePoint() folds one code point (simple case folding)", () => {
  assert.equal(foldCodePoint(0x41), 0x61);
  assert.equal(foldCodePoint(0x212a), 0x6b); // KELVIN SIGN folds with "k"
});

Deno.test("foldChangingCodePoints() lists the code points that folding changes", () => {
  assert.ok(foldChangingCodePoints().includes(0x41));
});

Deno.test("foldString() folds a whole string (code point by code point)", () => {
  assert.equal(foldString("ExAmple.COM"), "example.com");
});

Deno.test("codePointsInto() decodes a string into (folded) code points in a caller-owned buffer", () => {
  const buf = new Int32Array(8);
  assert.equal(codePointsInto("A😀", buf, true), 2);
  assert.deepEqual([...buf.subarray(0, 2)], [0x61, 0x1f600]);
});
