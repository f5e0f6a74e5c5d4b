import assert from "node:assert/strict";
import fc from "fast-check";
import { StringMatcher } from "../../lib/db/string_match.ts";
import { assertAsBruteForce, globSection } from "./_glob_oracle.ts";
import { StringMatches } from "../../lib/db/mod.ts";
import { DotSuffixTable } from "../../lib/db/_dot_suffix_table.ts";

for (const ci of [false, true]) {
  Deno.test(
    `StringMatcher answers "*.lit" sets through the dot-suffix table as brute force does (${
      ci ? "case-insensitive" : "case-sensitive"
    })`,
    () => {
      const label = fc.stringMatching(/^[a-cA-C0-9\-]{1,6}$/);
      const lit = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => "." + ls.join("."));
      const other = fc.constantFrom("", "*b1*", "*.é*", "a-*");
      fc.assert(
        fc.property(
          fc.array(lit, { minLength: 1, maxLength: 25 }),
          other,
          fc.array(fc.stringMatching(/^[a-cA-C0-9\-.é]{0,30}$/), { maxLength: 6 }),
          (lits, extra, free) => {
            const texts = [...new Set(lits.map((l) => `*${l}`))];
            if (extra !== "") texts.push(extra);
            const section = globSection(texts, ci);
            // the table from the first query on, and one switching from the trie mid-way
            const m = StringMatcher.fromSections(null, section, { tablesAfter: 1 });
            const later = StringMatcher.fromSections(null, section, { tablesAfter: 7 });
            const out = new StringMatches(1);
            const queries = [...free, "", "a", ".b", "..."];
            for (const l of lits) {
              const tail = l.slice(1);
              queries.push(l, `x${l}`, `x.${tail}`, `é${l}`, `${l}é`, `a.é${l}`, l.toUpperCase());
              queries.push(tail, `x${tail}`, `${l.slice(0, -1)}`, `ab${l.slice(2)}`);
            }
            for (const q of queries) {
              const got = assertAsBruteForce(m, texts, q, ci, { out, first: true });
              assert.equal(later.matchFirst(q), got.length === 0 ? -1 : got[0], q);
            }
          },
        ),
        { numRuns: 200 },
      );
    },
  );
}

Deno.test(
  'StringMatcher answers "*.lit" sets whose literals share their last eight characters as brute force does',
  () => {
    // more than eight literals that end alike are probed dot by dot, fewer compared one by one
    const label = fc.stringMatching(/^[a-c0-9\-]{1,5}$/);
    fc.assert(
      fc.property(
        fc.constantFrom(".cdn.example", "1.b.c.d", "-x.y.zz", ".a"),
        fc.array(fc.array(label, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        (tail, labelLists, ci) => {
          const lits = labelLists.map((ls) => "." + ls.join(".") + tail);
          const texts = [...new Set(lits.map((l) => `*${l}`))];
          const m = StringMatcher.fromSections(null, globSection(texts, ci), { tablesAfter: 1 });
          const out = new StringMatches(1);
          const queries = [tail, `x${tail}`, "a" + tail.toUpperCase()];
          for (const l of lits) {
            queries.push(
              l,
              `x${l}`,
              `é${l}`,
              `a.é${l}`,
              l.toUpperCase(),
              l.slice(1),
              `b${l.slice(2)}`,
            );
          }
          for (const q of queries) assertAsBruteForce(m, texts, q, ci, { out, first: true });
        },
      ),
      { numRuns: 150 },
    );
  },
);

Deno.test("DotSuffixTable.fits() takes only ASCII literals of 3 or more that start with a dot", () => {
  const fits = (...texts: string[]) => {
    const points = Int32Array.from(texts.join(""), (c) => c.codePointAt(0)!);
    const at = new Int32Array(texts.length), length = new Int32Array(texts.length);
    texts.forEach((t, i) => {
      at[i] = i === 0 ? 0 : at[i - 1] + length[i - 1];
      length[i] = t.length;
    });
    const keys = new Uint32Array(texts.length), offsets = new Int32Array(texts.length);
    return DotSuffixTable.fits({ keys, offsets, points, at, length });
  };
  assert.equal(fits(".evil.com", ".io"), true);
  assert.equal(fits(".evil.com", "evil.com"), false);
  assert.equal(fits(".é.com"), false);
  assert.equal(fits(".a"), false); // shorter than the tail filter
  assert.equal(fits(), false);
});
