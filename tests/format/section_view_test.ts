import assert from "node:assert/strict";
import {
  i32View,
  SectionWriter,
  u16View,
  u32View,
  u8View,
} from "../../lib/format/_section_view.ts";

Deno.test("u32View() A `Uint32Array` view of `count` little-endian words at byte `at` of `bytes`", () => {
  assert.equal(u32View(Uint8Array.of(1, 0, 0, 0), 0, 1, "t", 0)[0], 1);
});

Deno.test("i32View() an `Int32Array` view of `count` little-endian words at byte `at` of `bytes`", () => {
  assert.equal(i32View(Uint8Array.of(255, 255, 255, 255), 0, 1, "t", 0)[0], -1);
});

Deno.test("u16View() A `Uint16Array` view of `count` little-endian 16-bit words at byte `at` of `bytes`", () => {
  assert.equal(u16View(Uint8Array.of(1, 2), 0, 1, "t", 0)[0], 0x201);
});

Deno.test("u8View() A `Uint8Array` view of `count` bytes at `at`", () => {
  assert.equal(u8View(Uint8Array.of(1, 2), 1, 1, "t", 0)[0], 2);
});

Deno.test("SectionWriter: Writes little-endian tables into one 8-byte-aligned buffer (build side)", () => {
  const w = new SectionWriter();
  const at = w.u32(Uint32Array.of(7));
  assert.equal(at, 0);
  assert.equal(w.finish().length, 8);
});

Deno.test("SectionWriter.parts() pads to a multiple of 8 and returns the section as parts, to be written straight into a larger buffer (no concatenated copy)", () => {
  const w = new SectionWriter();
  w.u32(Uint32Array.of(7));
  const parts = w.parts();
  const file = new Uint8Array(16);
  parts.writeTo(file, 8);
  assert.equal(parts.length, 8);
  assert.equal(file[8], 7);
});
