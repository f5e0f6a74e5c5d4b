import assert from "node:assert/strict";
import {
  decodeUtf8,
  encodeUtf8,
  encodeUtf8Into,
  Utf8Buffer,
  utf8Put,
} from "../../lib/pattern/mod.ts";

Deno.test("encodeUtf8Into() encodes a string as UTF-8, optionally case-folded, into a caller-owned buffer", () => {
  const buf = new Uint8Array(16);
  assert.equal(encodeUtf8Into("Aé", buf, true), 3);
  assert.deepEqual([...buf.subarray(0, 3)], [0x61, 0xc3, 0xa9]);
});

Deno.test("utf8Put() writes one code point as UTF-8 and returns the position after it", () => {
  const out = new Uint8Array(4);
  assert.equal(utf8Put(0xe9, out, 0), 2);
  assert.deepEqual([...out.subarray(0, 2)], [0xc3, 0xa9]);
});

Deno.test("encodeUtf8() encodes a string to a new UTF-8 byte array", () => {
  assert.deepEqual([...encodeUtf8("Hi", false)], [0x48, 0x69]);
});

Deno.test("decodeUtf8() gives back the string encodeUtf8() encoded, lone surrogates included", () => {
  assert.equal(decodeUtf8(encodeUtf8("a\uD800b", false)), "a\uD800b");
});

Deno.test("Utf8Buffer.append() appends strings as UTF-8 and returns where each starts", () => {
  const b = new Utf8Buffer();
  assert.equal(b.append("ab", false), 0);
  assert.equal(b.append("É", true), 2);
  assert.deepEqual([...b.bytes()], [0x61, 0x62, 0xc3, 0xa9]);
});
