import assert from "node:assert/strict";
import {
  i32View,
  SectionWriter,
  u16View,
  u32View,
  u8View,
} from "../../lib/format/_section_view.ts";

Deno.test("u32View() views little-endian 32-bit words", () => {
  assert.equal(u32View(Uint8Array.of(1, 0, 0, 0), 0, 1, "t", 0)[0], 1);
});

Deno.test("i32View() views little-endian signed 32-bit words", () => {
  assert.equal(i32View(Uint8Array.of(255, 255, 255, 255), 0, 1, "t", 0)[0], -1);
});

Deno.test("u16View() views little-endian 16-bit words", () => {
  assert.equal(u16View(Uint8Array.of(1, 2), 0, 1, "t", 0)[0], 0x201);
});

Deno.test("u8View() views bytes in place", () => {
  assert.equal(u8View(Uint8Array.of(1, 2), 1, 1, "t", 0)[0], 2);
});

Deno.test("SectionWriter writes tables 8-byte aligned", () => {
  const w = new SectionWriter();
  const at = w.u32(Uint32Array.of(7));
  assert.equal(at, 0);
  assert.equal(w.finish().length, 8);
});

Deno.test("SectionWriter.parts() writes the padded section straight into a larger buffer", () => {
  const w = new SectionWriter();
  w.u32(Uint32Array.of(7));
  const parts = w.parts();
  const file = new Uint8Array(16);
  parts.writeTo(file, 8);
  assert.equal(parts.length, 8);
  assert.equal(file[8], 7);
});
