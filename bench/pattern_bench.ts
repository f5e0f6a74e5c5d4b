/**
 * `deno bench bench/pattern_bench.ts`: string lookups side by side with their peers (the full
 * report with open time, build rate, memory and GC counts is `bench/pattern_report.ts`).
 *
 * - literals (50,000, 50% hits): mxy against a prebuilt JavaScript `Map`, with the same query
 *   strings every time (V8 caches their hashes) and with fresh strings cut from input text;
 * - globs (10,000 of the mixed style, 1% hits): mxy (all matches) against `picomatch` testing
 *   each pattern in turn, one combined `RegExp`, and `modern-ahocorasick` on the fixed pieces.
 *
 * @module
 */
import picomatch from "picomatch";
import AhoCorasick from "modern-ahocorasick";
import { Database, DatabaseBuilder, StringMatches } from "../lib/db/mod.ts";
import {
  fixedPiece,
  globToRegExpSource,
  makeGlobs,
  makeLiterals,
  makeQueries,
} from "./_pattern_data.ts";

const literals = makeLiterals(50_000);
const lb = new DatabaseBuilder({ buildEpoch: 1 });
literals.forEach((l, i) => lb.add(`literal:${l}`, { i: i % 100 }));
const litDb = Database.fromBytes(lb.build());
const map = new Map(literals.map((l, i) => [l, { i: i % 100 }]));
const litQueries = makeQueries(literals, "literal", 1000, 0.5, 7);

Deno.bench("literal: mxy lookupStringOffset", { group: "literal", baseline: true }, () => {
  let n = 0;
  for (const q of litQueries) if (litDb.lookupStringOffset(q) >= 0) n++;
  if (n === 0) throw new Error("no hits");
});
Deno.bench("literal: prebuilt Map.get", { group: "literal" }, () => {
  let n = 0;
  for (const q of litQueries) if (map.get(q) !== undefined) n++;
  if (n === 0) throw new Error("no hits");
});

// The same lookups on query strings cut from input text as they arrive (V8 cannot reuse a
// cached hash, so the Map hashes each query, as mxy does).
const text = litQueries.join("\n");
const cuts: number[] = [];
for (let i = 0, at = 0; i < litQueries.length; i++) {
  cuts.push(at, at + litQueries[i].length);
  at += litQueries[i].length + 1;
}
Deno.bench("literal (fresh strings): mxy", { group: "literal-fresh", baseline: true }, () => {
  let n = 0;
  for (let i = 0; i < cuts.length; i += 2) {
    if (litDb.lookupStringOffset(text.slice(cuts[i], cuts[i + 1])) >= 0) n++;
  }
  if (n === 0) throw new Error("no hits");
});
Deno.bench("literal (fresh strings): prebuilt Map.get", { group: "literal-fresh" }, () => {
  let n = 0;
  for (let i = 0; i < cuts.length; i += 2) {
    if (map.get(text.slice(cuts[i], cuts[i + 1])) !== undefined) n++;
  }
  if (n === 0) throw new Error("no hits");
});

const globs = makeGlobs("mixed", 10_000, 11);
const gb = new DatabaseBuilder({ buildEpoch: 1 });
globs.forEach((g, i) => gb.add(`glob:${g}`, { i: i % 100 }));
const globDb = Database.fromBytes(gb.build());
const holder = new StringMatches();
const globQueries = makeQueries(globs, "glob", 20, 0.01, 13);
const matchers = globs.map((g) => picomatch(g, { dot: true }));
const combined = new RegExp(`^(?:${globs.map(globToRegExpSource).join("|")})$`);
const ac = new AhoCorasick(globs.map(fixedPiece).filter((p) => p.length > 0));

Deno.bench("glob: mxy lookupStringOffsets (all matches)", { group: "glob", baseline: true }, () => {
  let n = 0;
  for (const q of globQueries) n += globDb.lookupStringOffsets(q, holder);
  if (n < 0) throw new Error("unreachable");
});
Deno.bench("glob: picomatch, each pattern in turn", { group: "glob" }, () => {
  let n = 0;
  for (const q of globQueries) for (const m of matchers) if (m(q)) n++;
  if (n < 0) throw new Error("unreachable");
});
Deno.bench("glob: one combined RegExp", { group: "glob" }, () => {
  let n = 0;
  for (const q of globQueries) if (combined.test(q)) n++;
  if (n < 0) throw new Error("unreachable");
});
Deno.bench("glob: modern-ahocorasick on fixed pieces (candidates only)", { group: "glob" }, () => {
  let n = 0;
  for (const q of globQueries) n += ac.search(q).length;
  if (n < 0) throw new Error("unreachable");
});
