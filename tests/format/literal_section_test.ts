import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeLiteralSection, LITERAL_MAGIC } from "../../lib/format/literal_section.ts";
import { LiteralTable } from "../../lib/format/literal_table.ts";
import { FormatError } from "../../lib/format/format_error.ts";
import { foldString } from "../../lib/pattern/mod.ts";
import {
  encodeLiteralKeys,
  literalHash,
  literalSectionParts,
} from "../../lib/format/literal_section.ts";

const anyString = fc.oneof(
  fc.string(),
  fc.fullUnicodeString(),
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
);

Deno.test("LiteralTable finds every stored string and nothing else (random strings)", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(anyString, { maxLength: 60 }),
      fc.array(anyString),
      (keys, others) => {
        const table = new LiteralTable(
          encodeLiteralSection(keys.map((text, i) => ({ text, dataOffset: i * 7 }))),
        );
        assert.equal(table.count, keys.length);
        keys.forEach((k, i) => {
          const e = table.find(k);
          assert.equal(table.dataOffset(e), i * 7);
          assert.equal(table.text(e), k);
        });
        for (const o of others) {
          const i = keys.indexOf(o);
          assert.equal(table.dataOffset(table.find(o)), i < 0 ? -1 : i * 7);
        }
      },
    ),
    { numRuns: 300 },
  );
});

const CASEY = [
  "a",
  "A",
  "é",
  "É",
  "ß",
  "ẞ",
  "σ",
  "ς",
  "Σ",
  "K",
  "k",
  "\u212a",
  "ı",
  "İ",
  "i",
  "𐐀",
  "𐐨",
  ".",
];
const caseyString = fc.array(fc.constantFrom(...CASEY), { maxLength: 6 }).map((a) => a.join(""));

Deno.test("LiteralTable in case-insensitive mode matches exactly what /^…$/iu matches", () => {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  fc.assert(
    fc.property(fc.array(caseyString, { maxLength: 20 }), fc.array(caseyString), (raw, queries) => {
      const seen = new Set<string>();
      const keys = raw.filter((k) => !seen.has(foldString(k)) && seen.add(foldString(k)));
      const table = new LiteralTable(
        encodeLiteralSection(keys.map((text, i) => ({ text, dataOffset: i })), {
          caseInsensitive: true,
        }),
      );
      assert.equal(table.caseInsensitive, true);
      for (const q of [...queries, ...keys]) {
        const want = keys.findIndex((k) => new RegExp(`^${escape(k)}$`, "iu").test(q));
        assert.equal(table.dataOffset(table.find(q)), want, `query ${JSON.stringify(q)}`);
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("encodeLiteralSection() rejects two entries with the same key", () => {
  assert.throws(
    () =>
      encodeLiteralSection([{ text: "X.com", dataOffset: 1 }, { text: "x.COM", dataOffset: 2 }], {
        caseInsensitive: true,
      }),
    (e: unknown) => e instanceof FormatError && e.code === "bad-input",
  );
});

Deno.test("encodeLiteralSection() writes an 8-byte-aligned section starting with its magic", () => {
  const s = encodeLiteralSection([{ text: "a", dataOffset: 0 }, { text: "bc", dataOffset: 5 }]);
  assert.deepEqual(s.subarray(0, 8), LITERAL_MAGIC);
  assert.equal(s.length % 8, 0);
  // Works from an unaligned copy too (falls back to copying the tables).
  const shifted = new Uint8Array(s.length + 1);
  shifted.set(s, 1);
  const t = new LiteralTable(shifted.subarray(1));
  assert.equal(t.dataOffset(t.find("bc")), 5);
});

Deno.test("LiteralTable rejects corrupt sections with a FormatError", () => {
  const good = encodeLiteralSection([{ text: "a", dataOffset: 0 }]);
  const badMagic = good.slice();
  badMagic[0] = 0;
  const badVersion = good.slice();
  badVersion[7] = 9;
  const badSlots = good.slice();
  new DataView(badSlots.buffer).setUint32(16, 3, true);
  const badTable = good.slice();
  new DataView(badTable.buffer).setUint32(24, 0xfffff0, true);
  for (
    const [bytes, pat] of [
      [badMagic, /magic/],
      [badVersion, /version 9/],
      [badSlots, /power of two/],
      [badTable, /leaves the section/],
      [good.subarray(0, 10), /shorter than its header/],
    ] as const
  ) {
    assert.throws(() => new LiteralTable(bytes, { fileOffset: 100 }), (e: unknown) => {
      assert.ok(e instanceof FormatError);
      assert.equal(e.code, "bad-section");
      assert.match(e.message, pat);
      return true;
    });
  }
});

Deno.test("LiteralTable.find() and findBytes() agree, and entries() lists keys in input order", () => {
  const keys = ["b", "a", "ü", "😀x", "c"];
  const t = new LiteralTable(
    encodeLiteralSection(keys.map((text, i) => ({ text, dataOffset: i }))),
  );
  const enc = new TextEncoder();
  for (const k of keys) {
    const b = enc.encode(k);
    assert.equal(t.findBytes(b, b.length), t.find(k));
  }
  assert.deepEqual(t.entries().map((e) => t.text(e)), keys);
});

Deno.test("LiteralTable.find() stays correct on a table with many collisions", () => {
  const keys = Array.from({ length: 5000 }, (_, i) => `host-${i}.example.com`);
  const t = new LiteralTable(
    encodeLiteralSection(keys.map((text, i) => ({ text, dataOffset: i }))),
  );
  for (let i = 0; i < keys.length; i++) assert.equal(t.dataOffset(t.find(keys[i])), i);
  assert.equal(t.find("host-5000.example.com"), -1);
});

Deno.test("literalHash() hashes UTF-8 bytes as the literal table does", () => {
  const b = new TextEncoder().encode("example.com");
  assert.equal(literalHash(b, b.length), literalHash(b.slice(), b.length));
});

Deno.test("encodeLiteralSection() builds a literal section", () => {
  const t = new LiteralTable(encodeLiteralSection([{ text: "evil.com", dataOffset: 7 }]));
  assert.equal(t.dataOffset(t.find("evil.com")), 7);
  assert.equal(t.find("good.com"), -1);
});

Deno.test("encodeLiteralKeys() builds a literal section from keys and offsets side by side", () => {
  const t = new LiteralTable(encodeLiteralKeys(["a.com", "b.com"], Float64Array.of(4, 9)));
  assert.equal(t.dataOffset(t.find("b.com")), 9);
});

Deno.test("literalSectionParts() encodeLiteralKeys without a buffer of its own", () => {
  const parts = literalSectionParts(["a.com"], [4]);
  const file = new Uint8Array(8 + parts.length);
  parts.writeTo(file, 8);
  const t = new LiteralTable(file.subarray(8));
  assert.equal(t.dataOffset(t.find("a.com")), 4);
});
