import assert from "node:assert/strict";
import fc from "fast-check";
import { StringMatcher } from "../../lib/db/string_match.ts";
import { bruteForce, globSection } from "./_glob_oracle.ts";
import { StringMatches } from "../../lib/db/mod.ts";
import { encodeGlobSection } from "../../lib/format/glob_section.ts";
import { GlobIndex } from "../../lib/format/glob_index.ts";
import { PrefixJump } from "../../lib/db/_prefix_jump.ts";

for (const ci of [false, true]) {
  Deno.test(
    `StringMatcher answers prefix globs through the prefix jump table as brute force does (${
      ci ? "case-insensitive" : "case-sensitive"
    })`,
    () => {
      const lit = fc.stringMatching(/^[a-cA-C0-9\-.é]{3,12}$/);
      const glob = fc.tuple(lit, fc.constantFrom("*", "?*", "*.c", "")).map(([l, t]) => l + t);
      fc.assert(
        fc.property(
          fc.array(glob, { minLength: 1, maxLength: 25 }),
          fc.array(fc.stringMatching(/^[a-cA-C0-9\-.é]{0,20}$/), { maxLength: 6 }),
          (globs, free) => {
            const texts = [...new Set(globs)];
            const section = globSection(texts, ci);
            // the tables from the first query on, and built mid-way
            const m = StringMatcher.fromSections(null, section, { tablesAfter: 1 });
            const later = StringMatcher.fromSections(null, section, { tablesAfter: 9 });
            const out = new StringMatches(1);
            const queries = [...free, ""];
            for (const t of texts) {
              const l = t.replace(/[*?]|\.c$/g, "");
              queries.push(l, `${l}x`, `${l}.c`, `${l}é.c`, l.toUpperCase(), l.slice(0, -1));
            }
            for (const q of queries) {
              const want = bruteForce(texts, q, ci);
              const n = m.matchAll(q, out);
              const got = Array.from(out.offsets.subarray(0, n));
              assert.deepEqual([...got].sort((a, b) => a - b), want, q);
              assert.equal(m.matchFirst(q), n === 0 ? -1 : got[0], q);
              assert.equal(later.matchFirst(q), n === 0 ? -1 : got[0], q);
            }
          },
        ),
        { numRuns: 200 },
      );
    },
  );
}

Deno.test("PrefixJump finds the state the first characters lead to, and none for short pieces", () => {
  const index = (texts: string[]) =>
    new GlobIndex(encodeGlobSection(texts.map((text, i) => ({ text, dataOffset: i }))));
  const trie = index(["abcde*", "abcxy*", "zzzz*"]).prefixTrie;
  const jump = PrefixJump.of(trie, false)!;
  assert.equal(jump.depth, 4);
  const bytes = new TextEncoder().encode("abcx");
  assert.equal(jump.stateOf("abcxyz"), trie.walk(bytes, 0, 4));
  assert.equal(jump.stateOf("abdd"), 0);
  assert.equal(jump.stateOf("abé!"), -1);
  assert.equal(PrefixJump.of(index(["ab*", "abcdef*"]).prefixTrie, false), null);
});
