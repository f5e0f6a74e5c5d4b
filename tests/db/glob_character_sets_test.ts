import fc from "fast-check";
import { StringMatcher } from "../../lib/db/string_match.ts";
import { assertAsBruteForce, globSection } from "./_glob_oracle.ts";
import { StringMatches } from "../../lib/db/mod.ts";

for (const ci of [false, true]) {
  Deno.test(
    `StringMatcher skips candidates by their character sets and answers as brute force does (${
      ci ? "case-insensitive" : "case-sensitive"
    })`,
    () => {
      // patterns that are not their index hit (sets, `?`, several runs), so candidates are run
      const lit = fc.stringMatching(/^[a-dA-D0-3\-.é]{1,6}$/);
      const glob = fc.tuple(
        lit,
        lit,
        fc.constantFrom(
          "*%*&*",
          "%?&*",
          "*%[0-2]&",
          "%*[!x]&?*",
          "*%?*&",
          "?*%*",
          "*",
          "*&[a-cé]%*",
        ),
      ).map(([a, b, shape]) => shape.replace("%", a).replace("&", b));
      fc.assert(
        fc.property(
          fc.array(glob, { minLength: 1, maxLength: 25 }),
          fc.array(fc.stringMatching(/^[a-dA-D0-3\-.éx]{0,24}$/), { maxLength: 8 }),
          fc.nat(),
          (globs, free, seed) => {
            const texts = [...new Set(globs)];
            const section = globSection(texts, ci);
            // with the character sets from the first query on, from the 9th, and never
            const sets = StringMatcher.fromSections(null, section, {
              tablesAfter: 1,
              characterSetsFrom: 0,
            });
            const later = StringMatcher.fromSections(null, section, {
              tablesAfter: 9,
              characterSetsFrom: 0,
            });
            const none = StringMatcher.fromSections(null, section, { tablesAfter: 1 });
            const out = new StringMatches(1);
            const queries = [...free, "", "a", "x"];
            let r = seed;
            for (const t of texts) {
              const l = t.replace(/\[!?[^\]]*\]/g, "1").replace(/[*?]/g, "a");
              r = (Math.imul(r, 1103515245) + 12345) >>> 0;
              const other = texts[r % texts.length].replace(/[*?[\]!]/g, "");
              queries.push(l, `x${l}y`, `${other}${l}`, l.toUpperCase(), l.slice(1), `é${l}`);
            }
            for (const q of queries) {
              for (const matcher of [sets, later, none]) {
                assertAsBruteForce(matcher, texts, q, ci, { out });
              }
            }
          },
        ),
        { numRuns: 200 },
      );
    },
  );
}
