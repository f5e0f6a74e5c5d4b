import assert from "node:assert/strict";
import { encodeGlobSection, GLOB_MAGIC } from "../../lib/format/glob_section.ts";
import { GlobIndex } from "../../lib/format/glob_index.ts";
import { FormatError } from "../../lib/format/format_error.ts";
import { GlobError } from "../../lib/pattern/mod.ts";
import { encodeGlobSectionParts } from "../../lib/format/glob_section.ts";

const sample = () =>
  encodeGlobSection([
    { text: "*.evil.com", dataOffset: 1 },
    { text: "mal[0-9]ware.*", dataOffset: 2 },
    { text: "??", dataOffset: 3 },
  ]);

Deno.test("encodeGlobSection() orders patterns by specificity and keeps their text", () => {
  const idx = new GlobIndex(sample());
  idx.verify();
  assert.equal(idx.count, 3);
  assert.deepEqual([0, 1, 2].map((i) => idx.text(i)), ["*.evil.com", "mal[0-9]ware.*", "??"]);
  assert.deepEqual([0, 1, 2].map((i) => idx.dataOffset(i)), [1, 2, 3]);
  assert.ok(idx.specificity(0) >= idx.specificity(1));
  assert.deepEqual([...idx.always], [2]);
});

Deno.test("encodeGlobSection() writes an aligned section that also reads from an unaligned copy", () => {
  const s = sample();
  assert.deepEqual(s.subarray(0, 8), GLOB_MAGIC);
  assert.equal(s.length % 8, 0);
  const shifted = new Uint8Array(s.length + 3);
  shifted.set(s, 3);
  const idx = new GlobIndex(shifted.subarray(3));
  idx.verify();
  assert.equal(idx.text(0), "*.evil.com");
});

Deno.test("encodeGlobSection() refuses a malformed glob with a GlobError", () => {
  assert.throws(() => encodeGlobSection([{ text: "[a", dataOffset: 0 }]), GlobError);
});

Deno.test("GlobIndex.verify() rejects corrupted tables instead of looping or reading out of bounds", () => {
  const good = encodeGlobSection([
    { text: "*needle*", dataOffset: 1 },
    { text: "*hay*stack*", dataOffset: 2 },
    { text: "pre*", dataOffset: 3 },
    { text: "*.suf", dataOffset: 4 },
  ]);
  const dv = new DataView(good.buffer);
  const nodesAt = dv.getUint32(72, true);
  const states = dv.getUint32(48, true);
  assert.ok(states > 2);
  // A failure link pointing forward could loop: must be rejected.
  const loop = good.slice();
  new DataView(loop.buffer).setInt32(nodesAt + 16 * (states - 1), states - 1, true);
  assert.throws(
    () => new GlobIndex(loop).verify(),
    (e: unknown) =>
      e instanceof FormatError && e.code === "bad-section" && /failure link/.test(e.message),
  );
  // A program length beyond the table.
  const prog = good.slice();
  const rows = dv.getUint32(28, true);
  new DataView(prog.buffer).setUint32(rows + 12, 1 << 20, true);
  assert.throws(() => new GlobIndex(prog).verify(), /program leaves/);
  // A table offset beyond the section.
  const off = good.slice();
  new DataView(off.buffer).setUint32(72, good.length, true);
  assert.throws(() => new GlobIndex(off), /leaves the section/);
  // Random single-byte corruption never escapes as anything but FormatError/RangeError-free.
  for (let i = 8; i < good.length; i++) {
    const c = good.slice();
    c[i] ^= 0xff;
    try {
      const idx = new GlobIndex(c);
      idx.verify();
    } catch (e) {
      assert.ok(e instanceof FormatError, `byte ${i}: ${e}`);
    }
  }
});

Deno.test("GlobIndex.verify() rejects a pattern indexed by two pieces", () => {
  const bytes = encodeGlobSection([
    { text: "abc*", dataOffset: 1 },
    { text: "xyz*", dataOffset: 2 },
  ]);
  new GlobIndex(bytes).verify();
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The prefix trie descriptor starts at byte 96: output count at +8, outList offset at +36.
  assert.equal(dv.getUint32(104, true), 2);
  const outList = dv.getUint32(132, true);
  dv.setUint32(outList + 4, dv.getUint32(outList, true), true);
  assert.throws(
    () => new GlobIndex(bytes).verify(),
    (e) => e instanceof FormatError && /indexed twice/.test(e.message),
  );
});

Deno.test("GlobIndex refuses a version-1 section (the old layout) and asks for a rebuild", () => {
  const s = sample();
  s[7] = 1;
  assert.throws(
    () => new GlobIndex(s),
    (e: unknown) =>
      e instanceof FormatError && e.code === "bad-section" && /version 1 .*rebuild/.test(e.message),
  );
});

Deno.test("GlobIndex refuses an automaton and tries whose dense-row flags are swapped", () => {
  const s = sample();
  const dv = new DataView(s.buffer, s.byteOffset, s.byteLength);
  // Descriptors: infix at 48, prefix at 96; flags at +20 (bit 0: rows resolved, bit 1: 16-bit
  // entries, as these small indexes have).
  assert.equal(dv.getUint32(48 + 20, true), 3);
  assert.equal(dv.getUint32(96 + 20, true), 2);
  const a = s.slice();
  new DataView(a.buffer).setUint32(48 + 20, 0, true);
  assert.throws(() => new GlobIndex(a), /infix automaton has flags 0/);
  const b = s.slice();
  new DataView(b.buffer).setUint32(96 + 20, 1, true);
  assert.throws(() => new GlobIndex(b), /prefix trie has flags 1/);
});

Deno.test("encodeGlobSection() indexes a pattern by its rarest literal run, not its longest", () => {
  // "download-center" recurs in every pattern; "7319" only in the last one: a query holding
  // the word says little, one holding the digits is likely a match.
  const texts = [
    ...Array.from(
      { length: 40 },
      (_, i) => `*download-center*${String.fromCharCode(97 + i % 26)}x*`,
    ),
    "*download-center*7319*",
  ];
  const idx = new GlobIndex(encodeGlobSection(texts.map((text, i) => ({ text, dataOffset: i }))));
  idx.verify();
  const id = [...Array(idx.count).keys()].find((i) => idx.text(i) === "*download-center*7319*")!;
  const enc = new TextEncoder();
  const reports = (piece: string) => {
    const b = enc.encode(piece);
    return idx.automaton.reports(idx.automaton.walk(b, 0, b.length), id);
  };
  assert.equal(reports("7319"), true);
  assert.equal(reports("download-center"), false);
});

Deno.test("encodeGlobSection() compiles the patterns and builds a glob section", () => {
  const idx = new GlobIndex(encodeGlobSection([{ text: "*.evil.com", dataOffset: 9 }]));
  assert.equal(idx.count, 1);
  assert.equal(idx.text(0), "*.evil.com");
  assert.equal(idx.dataOffset(0), 9);
});

Deno.test("encodeGlobSectionParts() encodeGlobSection without the final copy", () => {
  const parts = encodeGlobSectionParts([{ text: "*.evil.com", dataOffset: 9 }]);
  const bytes = new Uint8Array(parts.length);
  parts.writeTo(bytes, 0);
  assert.equal(new GlobIndex(bytes).text(0), "*.evil.com");
});
