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
