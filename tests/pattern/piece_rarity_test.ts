import assert from "node:assert/strict";
import { compileGlob, PieceRarity } from "../../lib/pattern/mod.ts";

Deno.test("PieceRarity.rarestRun() prefers a piece the other patterns seldom contain over a longer common one", () => {
  const m = new PieceRarity();
  for (const g of ["*.shop.com", "*.mail.com", "*.web.com", "*shop*-1234.com"]) {
    m.addProgram(compileGlob(g).program, 0);
  }
  const p = compileGlob("*shop*-1234.com").program;
  m.removeProgram(p, 0); // judged by the other patterns
  m.rarestRun(p, 0);
  // ".com" and "shop" are common in these patterns; "-1234.com" is the better index key.
  assert.equal(String.fromCodePoint(...p.subarray(m.runFrom, m.runTo)), "-1234.com");
});
