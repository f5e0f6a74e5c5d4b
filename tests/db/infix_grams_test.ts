import assert from "node:assert/strict";
import fc from "fast-check";
import { StringMatcher } from "../../lib/db/string_match.ts";
import {
  assertAsBruteForce,
  assertCollectsAsAutomaton,
  globIndexOf,
  globSection,
  scanFor,
} from "./_glob_oracle.ts";
import { StringMatches } from "../../lib/db/mod.ts";
import { encodeGlobSection } from "../../lib/format/glob_section.ts";
import { GlobIndex } from "../../lib/format/glob_index.ts";
import { InfixGrams } from "../../lib/db/_infix_grams.ts";

const UTF8 = new TextEncoder();

for (const ci of [false, true]) {
  Deno.test(
    `StringMatcher answers infix globs through the q-gram table as brute force does (${
      ci ? "case-insensitive" : "case-sensitive"
    })`,
    () => {
      const lit = fc.stringMatching(/^[a-cA-C0-9\-.é]{2,9}$/);
      const glob = fc.tuple(
        lit,
        fc.constantFrom("*%*", "*%*x?", "a*%*", "*%?b*", "%*", "*.%", "*%", "*%*zc9y*", "*ab1c*%*"),
      ).map(([l, shape]) => shape.replace("%", l));
      fc.assert(
        fc.property(
          fc.array(glob, { minLength: 1, maxLength: 25 }),
          fc.array(fc.stringMatching(/^[a-cA-C0-9\-.é]{0,30}$/), { maxLength: 6 }),
          fc.nat(),
          (globs, free, seed) => {
            const texts = [...new Set(globs)];
            const section = globSection(texts, ci);
            // the tables from the first query on, built mid-way, and never
            const m = StringMatcher.fromSections(null, section, { tablesAfter: 1 });
            const later = StringMatcher.fromSections(null, section, { tablesAfter: 9 });
            const shared = StringMatcher.fromSections(null, section, {
              checked: m.checks() ?? undefined,
            });
            const out = new StringMatches(1);
            const queries = [...free, "", "a"];
            let r = seed;
            for (const t of texts) {
              const l = t.replace(/[*?]/g, "");
              r = (Math.imul(r, 1103515245) + 12345) >>> 0;
              const other = texts[r % texts.length].replace(/[*?]/g, "");
              queries.push(l, `x${l}y`, `${other}${l}`, `${l}.${other}b`, l.toUpperCase());
              queries.push(`é${l}`, `${l.slice(1)}`, `${l.slice(0, -1)}`, `a${l}xqb`);
              queries.push(`${l}zc9y`, `zc9y${l}`, `ab1c${l}`, `${l}ab1c.${other}zc9`);
            }
            for (const q of queries) {
              for (const matcher of [m, later, shared]) {
                assertAsBruteForce(matcher, texts, q, ci, { out, first: true });
              }
            }
          },
        ),
        { numRuns: 150 },
      );
    },
  );
}

Deno.test("InfixGrams.collectOf() finds the keys the automaton finds, for windows of 2 to 6 (up to 4 by default)", () => {
  const piece = fc.stringMatching(/^[a-d0-2.é]{2,8}$/);
  fc.assert(
    fc.property(
      fc.array(piece, { minLength: 1, maxLength: 30 }),
      fc.array(fc.stringMatching(/^[a-d0-2.]{0,40}$/), { minLength: 1, maxLength: 8 }),
      (pieces, queries) => {
        const texts = [...new Set(pieces)].map((p) => `*${p}*`);
        const globs = globIndexOf(texts);
        const grams = InfixGrams.of(globs, false);
        const longer = InfixGrams.of(globs, false, 6);
        assert.notEqual(grams, null);
        assert.notEqual(longer, null);
        const shortest = Math.min(
          ...[...new Set(pieces)].filter((p) => !p.includes("é")).map((p) => p.length),
        );
        if (shortest !== Infinity) assert.equal(grams!.q, Math.min(4, shortest));
        if (shortest !== Infinity) assert.equal(longer!.q, Math.min(6, shortest));
        assert.equal(grams!.longerQ, longer!.q);
        const a = scanFor(globs.count), b = scanFor(globs.count);
        for (const q of queries) {
          for (const table of [grams!, longer!]) {
            assertCollectsAsAutomaton(globs, table, q, a, b);
          }
        }
        assert.equal(grams!.collectOf("abé", new Int32Array(3), b), -1);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("InfixGrams.of() gives no table when an ASCII piece is a single character", () => {
  const section = encodeGlobSection([
    { text: "*a*", dataOffset: 0 },
    { text: "*bcd*", dataOffset: 1 },
  ]);
  const globs = new GlobIndex(section);
  globs.verify();
  assert.equal(InfixGrams.of(globs, false), null);
});

Deno.test("StringMatcher answers the same after its q-gram table's trial ends", () => {
  // short pieces: many windows reach the exact table, so the trial may drop the table
  const texts = ["*ab*", "*ba*", "*abc*", "*a1b*", "x*b2*", "*cab*?"];
  const section = globSection(texts);
  const m = StringMatcher.fromSections(null, section, { tablesAfter: 1 });
  const none = StringMatcher.fromSections(null, section, { tablesAfter: 1e9 });
  const out = new StringMatches(1), ref = new StringMatches(1);
  let r = 7;
  for (let i = 0; i < 5000; i++) {
    let q = "";
    r = (Math.imul(r, 1103515245) + 12345) >>> 0;
    for (let k = r % 13; k > 0; k--) {
      r = (Math.imul(r, 1103515245) + 12345) >>> 0;
      q += "abc12x"[r % 6];
    }
    const n = i % 2 === 0 ? m.matchAll(q, out) : m.matchAllSpan(UTF8.encode(q), 0, q.length, out);
    assert.equal(none.matchAll(q, ref), n, q);
    assert.deepEqual(
      Array.from(out.offsets.subarray(0, n)),
      Array.from(ref.offsets.subarray(0, n)),
    );
  }
});

Deno.test("StringMatcher builds its q-gram table again with longer windows when many reach the exact table, and answers the same", () => {
  // runs of 6 or more characters, mostly "a": 4-character windows of them are common in
  // queries that are mostly "a"
  const texts = [
    "*aaaaab*",
    "*aaaaba*",
    "*baaaaa?*",
    "*aaabaaa*",
    "x*aabaaa*",
    "*aaaaa1*[ab]*",
    "*1aaaab*",
  ];
  const section = globSection(texts);
  const m = StringMatcher.fromSections(null, section, { tablesAfter: 1 });
  const none = StringMatcher.fromSections(null, section, { tablesAfter: 1e9 });
  const out = new StringMatches(1), ref = new StringMatches(1);
  const windows: (number | undefined)[] = [];
  let r = 11;
  for (let i = 0; i < 6000; i++) {
    let q = "";
    r = (Math.imul(r, 1103515245) + 12345) >>> 0;
    for (let k = 4 + (r % 20); k > 0; k--) {
      r = (Math.imul(r, 1103515245) + 12345) >>> 0;
      q += "aaaaaaab1x"[(r >>> 8) % 10];
    }
    const n = i % 2 === 0 ? m.matchAll(q, out) : m.matchAllSpan(UTF8.encode(q), 0, q.length, out);
    assert.equal(none.matchAll(q, ref), n, q);
    assert.deepEqual(
      Array.from(out.offsets.subarray(0, n)),
      Array.from(ref.offsets.subarray(0, n)),
    );
    if (i === 1000 || i === 3000) windows.push(m.checks()?.infixGrams?.q);
  }
  assert.deepEqual(windows, [4, 6]);
});
