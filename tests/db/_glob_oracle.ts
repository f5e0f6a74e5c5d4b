// The reference the glob query tables are tested against: each pattern compiled and run on its own.
import assert from "node:assert/strict";
import { compileGlob, matchGlob } from "../../lib/pattern/mod.ts";
import type { StringMatcher } from "../../lib/db/string_match.ts";
import type { StringMatches } from "../../lib/db/mod.ts";
import { encodeGlobSection } from "../../lib/format/glob_section.ts";
import { GlobIndex } from "../../lib/format/glob_index.ts";

/** The indexes of the patterns that match `q`, in pattern order. */
export function bruteForce(patterns: string[], q: string, ci: boolean): number[] {
  const hits: number[] = [];
  patterns.forEach((p, i) => {
    if (matchGlob(compileGlob(p, { caseInsensitive: ci }).program, q, { caseInsensitive: ci })) {
      hits.push(i);
    }
  });
  return hits;
}

/** A glob section of `texts`, pattern `i` with data offset `i`. */
export function globSection(texts: string[], caseInsensitive = false): Uint8Array {
  return encodeGlobSection(texts.map((text, i) => ({ text, dataOffset: i })), { caseInsensitive });
}

/** The index of {@linkcode globSection}'s section of `texts`, checked as the database checks it. */
export function globIndexOf(texts: string[]): GlobIndex {
  const globs = new GlobIndex(globSection(texts));
  globs.verify();
  return globs;
}

const UTF8 = new TextEncoder();

/**
 * Checks a matcher's answers for `q` against {@linkcode bruteForce}: `matchAll` (any order), the
 * same query as a span inside `<…>` (the same order as `matchAll`) and, with `first`,
 * `matchFirst` and `matchFirstSpan` (the first of `matchAll`'s).
 *
 * @returns The offsets `matchAll` gave, in its order.
 */
export function assertAsBruteForce(
  matcher: StringMatcher,
  texts: string[],
  q: string,
  ci: boolean,
  options: { out: StringMatches; first?: boolean },
): number[] {
  const { out } = options;
  const want = bruteForce(texts, q, ci);
  const n = matcher.matchAll(q, out);
  const got = Array.from(out.offsets.subarray(0, n));
  assert.deepEqual([...got].sort((a, b) => a - b), want, q);
  if (options.first) assert.equal(matcher.matchFirst(q), n === 0 ? -1 : got[0], q);
  const bytes = UTF8.encode(`<${q}>`);
  const s = matcher.matchAllSpan(bytes, 1, bytes.length - 1, out);
  assert.deepEqual(Array.from(out.offsets.subarray(0, s)), got, `span ${q}`);
  if (options.first) {
    assert.equal(matcher.matchFirstSpan(bytes, 1, bytes.length - 1), n === 0 ? -1 : got[0], q);
  }
  return got;
}

/** An empty scan for a table's `collectOf` over `keys` keys (with a query character set). */
export function scanFor(keys: number, set?: Int32Array) {
  return {
    bytes: new Uint8Array(0),
    length: 0,
    out: new Uint32Array(keys),
    count: 0,
    seen: new Uint32Array(keys),
    stamp: 1,
    set,
  };
}

/** A glob table's scan over a query string (the q-gram and long-window tables). */
export interface QueryTable {
  collectOf(q: string, points: Int32Array, scan: ReturnType<typeof scanFor>): number;
}

/**
 * Checks that `table` finds for `q` the keys `globs`' automaton finds (any order) and reads the
 * query's code points into the array it is given; `a` and `b` are scans over `globs.count` keys.
 *
 * @returns The keys, sorted, and the code points `table` read.
 */
export function assertCollectsAsAutomaton(
  globs: GlobIndex,
  table: QueryTable,
  q: string,
  a: ReturnType<typeof scanFor>,
  b: ReturnType<typeof scanFor>,
): { want: number[]; points: Int32Array } {
  a.count = b.count = 0;
  a.stamp++;
  b.stamp++;
  globs.automaton.collectOf(q, false, a);
  const points = new Int32Array(q.length);
  assert.equal(table.collectOf(q, points, b), b.count);
  const want = Array.from(a.out.subarray(0, a.count)).sort((x, y) => x - y);
  assert.deepEqual(Array.from(b.out.subarray(0, b.count)).sort((x, y) => x - y), want);
  assert.deepEqual(Array.from(points), Array.from(q, (c) => c.charCodeAt(0)));
  return { want, points };
}
