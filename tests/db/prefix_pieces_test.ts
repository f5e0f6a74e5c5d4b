import assert from "node:assert/strict";
import fc from "fast-check";
import { AhoCorasick, buildAhoCorasick } from "../../lib/pattern/mod.ts";
import { PrefixPieces } from "../../lib/db/_prefix_pieces.ts";
import { compileGlob, matchGlob } from "../../lib/pattern/mod.ts";
import { globIndexOf, scanFor } from "./_glob_oracle.ts";

const enc = new TextEncoder();

const sorted = (a: Uint32Array, n: number) => Array.from(a.subarray(0, n)).sort((x, y) => x - y);

Deno.test("PrefixPieces.collect() finds exactly the keys the trie's anchored walk finds, sets or not", () => {
  fc.assert(
    fc.property(
      // pieces shared by several keys, prefixes of one another, of many lengths
      fc.array(fc.stringMatching(/^[ab.1]{1,20}$/), { minLength: 1, maxLength: 40 }),
      fc.array(fc.stringMatching(/^[ab.1x]{0,28}$/), { minLength: 1, maxLength: 8 }),
      fc.array(fc.tuple(fc.integer(), fc.integer()), { minLength: 4, maxLength: 4 }),
      fc.tuple(fc.integer(), fc.integer()),
      (pieces, queries, keySets, [qlo, qhi]) => {
        const trie = new AhoCorasick(buildAhoCorasick(pieces.map((p) => enc.encode(p))));
        const sets = new Int32Array(2 * pieces.length);
        pieces.forEach((_, i) => {
          // no set, the query's own bits, bits outside the query's in one word or the other
          const [lo, hi] = keySets[i % 4], k = i % 4;
          sets[2 * i] = k === 0 ? 0 : k === 3 ? lo : lo & qlo;
          sets[2 * i + 1] = k === 0 ? 0 : k === 2 ? hi : hi & qhi;
        });
        const plain = PrefixPieces.of(trie, null)!;
        const checked = PrefixPieces.of(trie, sets)!;
        const shared = PrefixPieces.fromShare(checked.share());
        const within = (i: number) => ((sets[2 * i] & ~qlo) | (sets[2 * i + 1] & ~qhi)) === 0;
        for (const q of queries) {
          const points = Int32Array.from(q, (c) => c.charCodeAt(0));
          const all = pieces.flatMap((p, i) => (q.startsWith(p) ? [i] : []));
          const walk = scanFor(pieces.length);
          trie.collectAnchoredPoints(points, points.length, false, walk);
          assert.deepEqual(sorted(walk.out, walk.count), all);
          const a = scanFor(pieces.length);
          assert.deepEqual(sorted(a.out, plain.collect(points, points.length, a)), all);
          for (const table of [checked, shared]) {
            const b = scanFor(pieces.length, Int32Array.of(qlo, qhi, 1));
            assert.deepEqual(
              sorted(b.out, table.collect(points, points.length, b)),
              all.filter(within),
            );
            // a set that is not the current query's (word 2 = 0) passes everything
            const c = scanFor(pieces.length, Int32Array.of(qlo, qhi, 0));
            assert.deepEqual(sorted(c.out, table.collect(points, points.length, c)), all);
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("PrefixPieces.of() gives no table for an empty trie or a non-ASCII piece", () => {
  assert.equal(PrefixPieces.of(new AhoCorasick(buildAhoCorasick([])), null), null);
  const trie = new AhoCorasick(buildAhoCorasick([enc.encode("ab"), enc.encode("é")]));
  assert.equal(PrefixPieces.of(trie, null), null);
});

// Whether the glob `text` lets `c` (undefined: the query's end) follow its literal prefix.
function takesNext(text: string, c: string | undefined): boolean {
  const at = text.search(/[*?[]/);
  if (at < 0) return c === undefined;
  if (text[at] === "*") return true;
  if (text[at] === "?") return c !== undefined;
  if (c === undefined) return false;
  const body = text.slice(at + 1, text.indexOf("]", at + 2));
  const negated = body.startsWith("!");
  const members = negated ? body.slice(1) : body;
  let inside = false;
  for (let k = 0; k < members.length; k++) {
    if (members[k + 1] === "-" && k + 2 < members.length) {
      if (c >= members[k] && c <= members[k + 2]) inside = true;
      k += 2;
    } else if (members[k] === c) inside = true;
  }
  return inside !== negated;
}

Deno.test("PrefixPieces with the glob section passes over exactly the keys whose program cannot take the query's next character, never a matching pattern", () => {
  const rest = fc.constantFrom("*", "?", "?*", "*1", "[a.]*", "[!a]", "[b-c]x*", "[!.-1]?", "?a*");
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.stringMatching(/^[ab.1]{1,4}$/), rest), { minLength: 1, maxLength: 30 }),
      fc.array(fc.stringMatching(/^[ab.1cx]{0,8}$/), { minLength: 1, maxLength: 8 }),
      (pairs, queries) => {
        const texts = [...new Set(pairs.map(([p, r]) => p + r))];
        const globs = globIndexOf(texts);
        const plain = PrefixPieces.of(globs.prefixTrie, null);
        if (plain === null) return;
        const next = PrefixPieces.of(globs.prefixTrie, null, { globs })!;
        const shared = PrefixPieces.fromShare(next.share());
        for (const q of queries) {
          const points = Int32Array.from(q, (c) => c.charCodeAt(0));
          const a = scanFor(globs.count);
          const all = sorted(a.out, plain.collect(points, points.length, a));
          const want = all.filter((k) => {
            const t = globs.text(k);
            return takesNext(t, q[t.search(/[*?[]/)]);
          });
          for (const table of [next, shared]) {
            const b = scanFor(globs.count);
            const got = sorted(b.out, table.collect(points, points.length, b));
            assert.deepEqual(got, want, q);
          }
          for (const k of all) {
            if (matchGlob(compileGlob(globs.text(k)).program, q)) assert.ok(want.includes(k), q);
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});
