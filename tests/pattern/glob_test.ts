import assert from "node:assert/strict";
import fc from "fast-check";
import {
  compileGlob,
  forEachLiteralRun,
  GlobError,
  globMatches,
  hasGlobSyntax,
  matchGlob,
  runGlob,
} from "../../lib/pattern/mod.ts";
import { globArb, queryArb, referenceRegExp, renderGlob } from "./_glob_gen.ts";

Deno.test("matchGlob() agrees with a RegExp translation on random globs (case-sensitive)", () => {
  fc.assert(
    fc.property(globArb.chain((g) => fc.tuple(fc.constant(g), queryArb(g))), ([atoms, q]) => {
      const g = compileGlob(renderGlob(atoms));
      assert.equal(
        matchGlob(g.program, q),
        referenceRegExp(atoms, false).test(q),
        renderGlob(atoms),
      );
    }),
    { numRuns: 3000 },
  );
});

Deno.test("matchGlob() agrees with a RegExp translation on random globs (case-insensitive)", () => {
  fc.assert(
    fc.property(globArb.chain((g) => fc.tuple(fc.constant(g), queryArb(g))), ([atoms, q]) => {
      const g = compileGlob(renderGlob(atoms), { caseInsensitive: true });
      assert.equal(
        matchGlob(g.program, q, { caseInsensitive: true }),
        referenceRegExp(atoms, true).test(q),
        renderGlob(atoms),
      );
    }),
    { numRuns: 3000 },
  );
});

Deno.test("compileGlob() handles the documented syntax", () => {
  const cases: [string, string, boolean][] = [
    ["*.example.com", "a.b/c.example.com", true],
    ["*.example.com", "example.com", false],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["a?c", "a😀c", true],
    ["[abc]x", "bx", true],
    ["[a-c]x", "dx", false],
    ["[!a-c]x", "dx", true],
    ["[^a-c]x", "ax", false],
    ["[]]", "]", true],
    ["[]a]", "a", true],
    ["[!]]", "]", false],
    ["[!]]", "x", true],
    ["[a-]", "-", true],
    ["[-a]", "-", true],
    ["a\\*b", "a*b", true],
    ["a\\*b", "axb", false],
    ["\\[x]", "[x]", true],
    ["", "", true],
    ["", "a", false],
    ["*", "", true],
    ["**", "anything at all", true],
    ["a*b*c", "abc", true],
    ["a*b*c", "aXbYbZc", true],
    ["a*b*c", "acb", false],
    ["*ab", "aab", true],
    ["ab*", "ab", true],
    ["a*a", "a", false],
  ];
  for (const [p, q, want] of cases) assert.equal(globMatches(p, q), want, `${p} vs ${q}`);
});

Deno.test("compileGlob() rejects malformed globs with a typed reason", () => {
  const bad: [string, string, number][] = [
    ["ab[c", "unclosed-set", 2],
    ["x[]", "empty-set", 1],
    ["[!]", "empty-set", 0],
    ["[z-a]", "reversed-range", 1],
    ["abc\\", "trailing-backslash", 3],
    ["[a\\", "trailing-backslash", 2],
  ];
  for (const [p, code, pos] of bad) {
    assert.throws(() => compileGlob(p), (e: unknown) => {
      assert.ok(e instanceof GlobError);
      assert.equal(e.code, code, p);
      assert.equal(e.position, pos, p);
      assert.match(e.message, /^[A-Z]/);
      return true;
    });
  }
});

Deno.test("matchGlob() runs in linear time on patterns that make backtrackers explode", () => {
  const long = "a".repeat(100_000);
  assert.equal(globMatches("a*a*a*a*a*b", long), false);
  assert.equal(globMatches("*a*a*a*a*a*a*a*a*b*", long), false);
  assert.equal(globMatches("*a*a*a*a*a*a*a*a*", long), true);
  assert.equal(globMatches("*?*?*?*?*?*?*b", long), false);
});

Deno.test("compileGlob() picks the longest literal run as the fixed piece", () => {
  assert.equal(compileGlob("*.evil-[0-9].com").fixedPiece, ".evil-");
  assert.equal(compileGlob("??*[ab]").fixedPiece, "");
  assert.equal(compileGlob("*.EVIL.com", { caseInsensitive: true }).fixedPiece, ".evil.com");
  assert.ok(compileGlob("a.b.c").specificity > compileGlob("*.b.c").specificity);
});

Deno.test("hasGlobSyntax() detects unescaped metacharacters only", () => {
  assert.equal(hasGlobSyntax("example.com"), false);
  assert.equal(hasGlobSyntax("what?"), true);
  assert.equal(hasGlobSyntax("[x"), true);
  assert.equal(hasGlobSyntax("a\\?\\[\\*"), false);
});

Deno.test("case-insensitive globs use Unicode simple case folding", () => {
  const ci = { caseInsensitive: true };
  assert.equal(globMatches("ΣΑΣ*", "σας!", ci), true);
  assert.equal(globMatches("[k]", "\u212a", ci), true); // KELVIN SIGN
  assert.equal(globMatches("STRAẞE", "straße", ci), true);
  assert.equal(globMatches("i", "ı", ci), false); // dotless i has no simple folding
  assert.equal(globMatches("[!A-Z]", "q", ci), false);
  assert.equal(globMatches("𐐀", "𐐨", ci), true); // Deseret, outside the BMP
  assert.equal(globMatches("ABC", "abc"), false);
});

Deno.test("forEachLiteralRun() visits each run of literal code points between ?, sets and stars", () => {
  const p = compileGlob("ab?c*d[0-9]ef").program;
  const runs: string[] = [];
  forEachLiteralRun(p, 0, (a, b) => runs.push(String.fromCodePoint(...p.subarray(a, b))));
  assert.deepEqual(runs, ["ab", "c", "d", "ef"]);
});

Deno.test("runGlob() runs a program on code points already decoded", () => {
  const p = compileGlob("a?c").program;
  assert.equal(runGlob(p, 0, Int32Array.of(97, 98, 99), 3), true);
  assert.equal(runGlob(p, 0, Int32Array.of(97, 98), 2), false);
});
