import assert from "node:assert/strict";
import { encodeLiteralSection, LiteralTable } from "../../lib/format/mod.ts";

Deno.test("LiteralTable folds queries with simple (not full) case folding", () => {
  const bytes = encodeLiteralSection([{ text: "Straße.de", dataOffset: 3 }], {
    caseInsensitive: true,
  });
  const t = new LiteralTable(bytes);
  assert.equal(t.dataOffset(t.find("STRASSE.de")), -1); // full folding (ß→ss) is not simple folding
  assert.equal(t.dataOffset(t.find("STRAßE.DE")), 3);
});

Deno.test("LiteralTable.findAsciiSpan finds ASCII keys where they lie and hands other bytes back", () => {
  const enc = new TextEncoder();
  const entries = [
    { text: "evil.com", dataOffset: 1 },
    { text: "mixed.case.org", dataOffset: 2 },
    { text: "straße.de", dataOffset: 3 },
  ];
  const cs = new LiteralTable(encodeLiteralSection(entries));
  const ci = new LiteralTable(encodeLiteralSection(entries, { caseInsensitive: true }));
  const text = enc.encode("x EVIL.com evil.com Mixed.Case.ORG straße.de evil.co");
  const span = (t: LiteralTable, word: string, from = 0) => {
    const at = text.indexOf(enc.encode(word)[0], from);
    return t.findAsciiSpan(text, at, at + enc.encode(word).length);
  };
  // each answer agrees with findBytes on the key form of the span
  for (const [t, fold] of [[cs, false], [ci, true]] as const) {
    for (const word of ["evil.com", "EVIL.com", "Mixed.Case.ORG", "evil.co"]) {
      const at = new TextDecoder().decode(text).indexOf(word);
      const key = enc.encode(fold ? word.toLowerCase() : word);
      assert.equal(t.findAsciiSpan(text, at, at + word.length), t.findBytes(key, key.length));
    }
  }
  assert.equal(cs.dataOffset(span(cs, "evil.com", 11)), 1);
  assert.equal(cs.dataOffset(span(cs, "EVIL.com")), -1);
  assert.equal(ci.dataOffset(span(ci, "EVIL.com")), 1);
  assert.equal(ci.dataOffset(span(ci, "Mixed.Case.ORG")), 2);
  assert.equal(cs.findAsciiSpan(text, 2, 9), -1); // "EVIL.co": a prefix is not the key
  const at = new TextDecoder().decode(text).indexOf("straße");
  const end = text.indexOf(0x20, enc.encode(new TextDecoder().decode(text).slice(0, at)).length);
  const start = enc.encode(new TextDecoder().decode(text).slice(0, at)).length;
  assert.equal(cs.findAsciiSpan(text, start, end), -2); // ß: not ASCII, the caller folds it
  assert.equal(cs.findAsciiSpan(text, 0, 0), cs.findBytes(new Uint8Array(0), 0));
});
