import assert from "node:assert/strict";
import fc from "fast-check";
import { StringMatcher } from "../../lib/db/string_match.ts";
import { bruteForce } from "./_glob_oracle.ts";
import { MATCH_GLOB, MATCH_LITERAL, StringMatches } from "../../lib/db/mod.ts";
import { encodeGlobSection } from "../../lib/format/glob_section.ts";
import { encodeLiteralSection } from "../../lib/format/literal_section.ts";
import { globArb, queryArb, renderGlob } from "../pattern/_glob_gen.ts";

for (const ci of [false, true]) {
  Deno.test(
    `matchAll() returns exactly the patterns a brute-force loop finds (${
      ci ? "case-insensitive" : "case-sensitive"
    })`,
    () => {
      fc.assert(
        fc.property(
          fc.array(globArb, { minLength: 1, maxLength: 25 }).chain((gs) =>
            fc.tuple(
              fc.constant(gs),
              fc.array(fc.constantFrom(...gs).chain(queryArb), { maxLength: 8 }),
            )
          ),
          ([globs, queries]) => {
            const texts = globs.map(renderGlob);
            const m = StringMatcher.fromSections(
              null,
              encodeGlobSection(texts.map((text, i) => ({ text, dataOffset: i })), {
                caseInsensitive: ci,
              }),
            );
            const out = new StringMatches(1);
            for (const q of queries) {
              const want = new Set(bruteForce(texts, q, ci));
              const n = m.matchAll(q, out);
              const got = new Set<number>();
              let lastSpec = Infinity;
              for (let k = 0; k < n; k++) {
                assert.equal(out.kinds[k], MATCH_GLOB);
                got.add(out.offsets[k]);
                const spec = m.specificity(out.entries[k]);
                assert.ok(spec <= lastSpec, "most specific first");
                lastSpec = spec;
              }
              assert.equal(n, got.size, "each pattern reported once");
              assert.deepEqual(
                got,
                want,
                `query ${JSON.stringify(q)} over ${JSON.stringify(texts)}`,
              );
              const first = m.matchFirst(q);
              assert.equal(first, n === 0 ? -1 : out.offsets[0]);
            }
          },
        ),
        { numRuns: 400 },
      );
    },
  );
}

Deno.test("matchAll() puts the literal first, then globs most specific first", () => {
  const m = StringMatcher.fromSections(
    encodeLiteralSection([
      { text: "login.evil.com", dataOffset: 10 },
      { text: "other.com", dataOffset: 11 },
    ]),
    encodeGlobSection([
      { text: "*", dataOffset: 20 },
      { text: "*.com", dataOffset: 21 },
      { text: "login.*.com", dataOffset: 22 },
      { text: "*.evil.com", dataOffset: 23 },
      { text: "*.good.com", dataOffset: 24 },
    ]),
  );
  const out = new StringMatches();
  assert.equal(m.matchAll("login.evil.com", out), 5);
  assert.deepEqual([...out.kinds.subarray(0, 5)], [MATCH_LITERAL, 1, 1, 1, 1]);
  assert.deepEqual([...out.offsets.subarray(0, 5)], [10, 22, 23, 21, 20]);
  assert.equal(m.text(MATCH_LITERAL, out.entries[0]), "login.evil.com");
  assert.equal(m.text(MATCH_GLOB, out.entries[1]), "login.*.com");
  assert.equal(m.matchFirst("login.evil.com"), 10);
  assert.equal(m.lastKind, MATCH_LITERAL);
  assert.equal(m.matchFirst("x.evil.com"), 23);
  assert.equal(m.lastKind, MATCH_GLOB);
  assert.equal(m.matchLiteral("other.com"), 11);
  assert.equal(m.matchLiteral("x.other.com"), -1);
});

Deno.test("StringMatcher ignores case in both sections when built case-insensitive", () => {
  const m = StringMatcher.fromSections(
    encodeLiteralSection([{ text: "Evil.COM", dataOffset: 1 }], { caseInsensitive: true }),
    encodeGlobSection([{ text: "*.ΕΥΙL.com", dataOffset: 2 }], { caseInsensitive: true }),
  );
  assert.equal(m.caseInsensitive, true);
  assert.equal(m.matchFirst("eVIL.com"), 1);
  assert.equal(m.matchFirst("www.ευιl.COM"), 2);
  assert.equal(m.matchFirst("www.evil.org"), -1);
});

Deno.test("StringMatcher rejects sections that disagree on case sensitivity", () => {
  assert.throws(() =>
    StringMatcher.fromSections(
      encodeLiteralSection([], { caseInsensitive: true }),
      encodeGlobSection([]),
    ), /disagree/);
});

Deno.test("matchAll() handles long queries and grows its buffers", () => {
  const m = StringMatcher.fromSections(
    encodeLiteralSection([{ text: "x".repeat(5000), dataOffset: 1 }]),
    encodeGlobSection([{ text: "*x*y", dataOffset: 2 }]),
  );
  const out = new StringMatches(0);
  assert.equal(m.matchAll("x".repeat(5000), out), 1);
  assert.equal(m.matchAll("x".repeat(200_000) + "y", out), 1);
  assert.equal(out.offsets[0], 2);
});

for (const ci of [false, true]) {
  Deno.test(
    `matchAll() and matchFirst() agree with brute force on "lit*", "*lit" and "*lit*" patterns, ` +
      `whose index hit skips the program (${ci ? "case-insensitive" : "case-sensitive"})`,
    () => {
      // Long and non-ASCII literals, so the shortcut's check walks pieces of every length.
      const lit = fc.stringMatching(/^[a-cA-Cé😀\-.]{1,40}$/);
      const globArb2 = fc.tuple(lit, fc.constantFrom("p", "s", "i", "x")).map(([l, k]) =>
        k === "p" ? `${l}*` : k === "s" ? `*${l}` : k === "i" ? `*${l}*` : `${l}?*`
      );
      fc.assert(
        fc.property(
          fc.array(globArb2, { minLength: 1, maxLength: 30 }),
          fc.array(fc.stringMatching(/^[a-cA-Cé😀\-.]{0,50}$/), { maxLength: 6 }),
          (globs, extra) => {
            const texts = [...new Set(globs)];
            const m = StringMatcher.fromSections(
              null,
              encodeGlobSection(texts.map((text, i) => ({ text, dataOffset: i })), {
                caseInsensitive: ci,
              }),
            );
            const out = new StringMatches(1);
            // Queries: each pattern's literal with random text around it, and free strings.
            const queries = [...extra];
            for (const t of texts) {
              const core = t.replace(/[*?]/g, "");
              queries.push(core, `x${core}`, `${core}y`, `é${core}.b`, core.toUpperCase());
            }
            for (const q of queries) {
              const want = new Set(bruteForce(texts, q, ci));
              const n = m.matchAll(q, out);
              const got = new Set<number>();
              for (let k = 0; k < n; k++) got.add(out.offsets[k]);
              assert.equal(n, got.size, "each pattern reported once");
              assert.deepEqual([...got].sort((a, b) => a - b), [...want].sort((a, b) => a - b), q);
              const best = m.matchFirst(q);
              assert.equal(best, n === 0 ? -1 : out.offsets[0], q);
            }
          },
        ),
        { numRuns: 150 },
      );
    },
  );
}

Deno.test("StringMatcher answers the literal first, then the globs, most specific first", () => {
  const m = StringMatcher.fromSections(
    encodeLiteralSection([{ text: "www.evil.com", dataOffset: 1 }]),
    encodeGlobSection([{ text: "*.com", dataOffset: 2 }, { text: "*.evil.com", dataOffset: 3 }]),
  );
  const out = new StringMatches();
  assert.equal(m.matchAll("www.evil.com", out), 3);
  assert.deepEqual([...out.kinds.subarray(0, 3)], [MATCH_LITERAL, MATCH_GLOB, MATCH_GLOB]);
  assert.deepEqual([...out.offsets.subarray(0, 3)], [1, 3, 2]);
  assert.equal(m.matchFirst("a.evil.com"), 3);
  assert.equal(m.text(MATCH_GLOB, m.lastEntry), "*.evil.com");
});

Deno.test("StringMatcher.fromSections() without sections matches nothing", () => {
  assert.equal(StringMatcher.fromSections(null, null).matchFirst("x"), -1);
});
