import assert from "node:assert/strict";
import fc from "fast-check";
import { StringMatcher } from "../../lib/db/string_match.ts";
import { assertCollectsAsAutomaton, globIndexOf, globSection, scanFor } from "./_glob_oracle.ts";
import { StringMatches } from "../../lib/db/mod.ts";
import { InfixWindows, querySetOf } from "../../lib/db/_infix_windows.ts";

const UTF8 = new TextEncoder();

Deno.test("InfixWindows.collectOf() finds the keys the automaton finds, with windows of up to 8 characters and at most two lengths", () => {
  const piece = fc.stringMatching(/^[a-d0-2.é]{2,11}$/);
  fc.assert(
    fc.property(
      fc.array(piece, { minLength: 1, maxLength: 30 }),
      fc.array(fc.stringMatching(/^[a-d0-2.]{0,40}$/), { minLength: 1, maxLength: 8 }),
      (pieces, queries) => {
        const texts = [...new Set(pieces)].map((p) => `*${p}*`);
        const globs = globIndexOf(texts);
        const longer = InfixWindows.of(globs, false);
        const short = InfixWindows.of(globs, false, { maxQ: 3 });
        assert.notEqual(longer, null);
        assert.notEqual(short, null);
        const ascii = [...new Set(pieces)].filter((p) => !p.includes("é")).map((p) => p.length);
        if (ascii.length > 0) {
          const shortest = Math.min(...ascii), longest = Math.max(...ascii);
          // at most two lengths, the longer at most the longest piece, at least the shortest
          for (const [table, most] of [[longer!, 8], [short!, 3]] as const) {
            assert.ok(table.q >= Math.min(most, shortest) && table.q <= Math.min(most, longest));
            assert.notEqual(table.lengths & (1 << table.q), 0);
            const others = table.lengths & ~(1 << table.q);
            assert.equal(others & (others - 1), 0);
            assert.ok(others < 1 << table.q);
            assert.ok(others === 0 || others >= 1 << Math.min(shortest, most));
          }
        }
        const a = scanFor(globs.count), b = scanFor(globs.count);
        for (const q of queries) {
          for (const table of [longer!, short!]) {
            const { want, points } = assertCollectsAsAutomaton(globs, table, q, a, b);
            // over code points already read: the same keys
            b.count = 0;
            b.stamp++;
            table.collectPoints(points, q.length, b);
            assert.deepEqual(Array.from(b.out.subarray(0, b.count)).sort((x, y) => x - y), want);
          }
        }
        assert.equal(short!.collectOf("abé", new Int32Array(3), b), -1);
        assert.equal(longer!.collectOf("abé", new Int32Array(3), b), -1);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("InfixWindows with character sets passes over exactly the keys whose set holds a character the query lacks", () => {
  // several runs per pattern (the window may be in either), keys with sets of their own
  const run = fc.stringMatching(/^[a-e0-3.]{2,10}$/);
  fc.assert(
    fc.property(
      fc.array(fc.tuple(run, run), { minLength: 1, maxLength: 25 }),
      fc.array(fc.stringMatching(/^[a-e0-3.x]{0,40}$/), { minLength: 1, maxLength: 8 }),
      (pairs, queries) => {
        const texts = [...new Set(pairs.map(([x, y]) => `*${x}*${y}?*`))];
        const globs = globIndexOf(texts);
        // each pattern's set: the bits of all of its characters (as the matcher computes them)
        const sets = new Int32Array(2 * globs.count);
        const one = new Int32Array(3);
        for (let id = 0; id < globs.count; id++) {
          const t = globs.text(id).replace(/[*?]/g, "");
          querySetOf(Int32Array.from(t, (c) => c.charCodeAt(0)), t.length, one);
          sets[2 * id] = one[0];
          sets[2 * id + 1] = one[1];
        }
        for (const maxQ of [3, 8]) {
          const plain = InfixWindows.of(globs, false, { maxQ })!;
          const checked = InfixWindows.of(globs, false, { maxQ, sets })!;
          const a = { ...scanFor(globs.count), set: new Int32Array(3) };
          const b = { ...scanFor(globs.count), set: new Int32Array(3) };
          for (const q of queries) {
            a.count = b.count = 0;
            a.stamp++;
            b.stamp++;
            plain.collectOf(q, new Int32Array(q.length), a);
            checked.collectOf(q, new Int32Array(q.length), b);
            const qs = new Int32Array(3);
            querySetOf(Int32Array.from(q, (c) => c.charCodeAt(0)), q.length, qs);
            const want = Array.from(a.out.subarray(0, a.count))
              .filter((k) => ((sets[2 * k] & ~qs[0]) | (sets[2 * k + 1] & ~qs[1])) === 0)
              .sort((x, y) => x - y);
            assert.deepEqual(Array.from(b.out.subarray(0, b.count)).sort((x, y) => x - y), want);
            // a key passed over is one whose characters are not all in the query
            for (const k of Array.from(a.out.subarray(0, a.count))) {
              if (want.includes(k)) continue;
              const t = globs.text(k).replace(/[*?]/g, "");
              assert.ok([...t].some((c) => !q.includes(c)), `${t} in ${q}`);
            }
          }
        }
      },
    ),
    { numRuns: 200 },
  );
});

for (const ci of [false, true]) {
  Deno.test(
    `StringMatcher switches to long windows when short ones reach the exact table too often, and answers as without tables (${
      ci ? "case-insensitive" : "case-sensitive"
    })`,
    () => {
      // 150 patterns with a run of 8 characters of "a" and "b" (4-character windows of them are
      // common in queries that are mostly "a"), and one whose runs are all shorter: two lengths
      const texts = Array.from({ length: 150 }, (_, i) => {
        const run = Array.from({ length: 8 }, (_, k) => "ab"[(i >> k) & 1]).join("");
        return i % 3 === 0 ? `*${run}*` : i % 3 === 1 ? `*${run}?*` : `x*${run}*[ab]*`;
      });
      texts.push("*ab1a*?*b1*");
      const section = globSection(ci ? texts.map((x) => x.toUpperCase()) : texts, ci);
      const m = StringMatcher.fromSections(null, section, { tablesAfter: 1 });
      const sets = StringMatcher.fromSections(null, section, {
        tablesAfter: 1,
        characterSetsFrom: 0,
      });
      const none = StringMatcher.fromSections(null, section, { tablesAfter: 1e9 });
      const out = new StringMatches(1), ref = new StringMatches(1);
      let r = 11;
      for (let i = 0; i < 6000; i++) {
        let q = "";
        r = (Math.imul(r, 1103515245) + 12345) >>> 0;
        for (let k = 4 + (r % 20); k > 0; k--) {
          r = (Math.imul(r, 1103515245) + 12345) >>> 0;
          q += (ci ? "aAaaAaab1xB" : "aaaaaaab1x")[(r >>> 8) % (ci ? 11 : 10)];
        }
        const want = none.matchAll(q, ref);
        for (const x of [m, sets]) {
          const n = i % 2 === 0
            ? x.matchAll(q, out)
            : x.matchAllSpan(UTF8.encode(q), 0, q.length, out);
          assert.equal(n, want, q);
          assert.deepEqual(
            Array.from(out.offsets.subarray(0, n)),
            Array.from(ref.offsets.subarray(0, n)),
          );
        }
        if (i === 3000) {
          for (const x of [m, sets]) {
            const w = x.checks()?.infixWindows;
            assert.ok(w !== undefined && w !== null);
            assert.equal(w.lengths, (1 << 8) | (1 << 4));
            assert.equal(x.checks()?.infixGrams, null);
          }
          assert.equal(sets.checks()?.infixWindows?.sets, true);
        }
      }
      // a matcher over shared checks answers the same
      const shared = StringMatcher.fromSections(null, section, { checked: sets.checks()! });
      for (const q of ["aaaaab", "xaabaaa", "ab1aqqb1", "aaaabaaab", "b1ab1a"]) {
        assert.equal(shared.matchAll(q, out), none.matchAll(q, ref), q);
      }
    },
  );
}

Deno.test("InfixWindows indexes a pattern by a run of rare letters, not by a number whose digits most patterns' numbers share", () => {
  // 10,000 patterns: every 4-digit number once (first, after "-"), then a 5-letter word of its
  // own: both runs are held once in the patterns' text, but a query with another number sends
  // its window "-dddd" to the exact table when numbers are indexed
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const word = (i: number) =>
    Array.from({ length: 5 }, (_, k) => letters[Math.floor(i / 26 ** k) % 26]).join("");
  const texts = Array.from(
    { length: 10_000 },
    (_, i) => `*-${String(i).padStart(4, "0")}*${word(i * 7919)}*`,
  );
  const globs = globIndexOf(texts);
  const table = InfixWindows.of(globs, false)!;
  assert.equal(table.q, 5);
  const scan = scanFor(globs.count);
  table.probes = 0;
  for (let n = 0; n < 1000; n++) {
    const q = `zz-${String((n * 37) % 10_000).padStart(4, "0")}zz`;
    scan.count = 0;
    scan.stamp++;
    table.collectOf(q, new Int32Array(q.length), scan);
  }
  assert.ok(table.probes < 100, `${table.probes} windows of 1000 queries probed`);
});
