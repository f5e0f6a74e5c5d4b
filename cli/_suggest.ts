/**
 * "Did you mean …?": the closest of a set of names to a mistyped one, by edit distance.
 *
 * @module
 */

/**
 * The Levenshtein distance between two strings (insertions, deletions and substitutions each
 * cost 1; a swap of two neighbours costs 1 too, as in Damerau's variant).
 *
 * @param a One string.
 * @param b The other.
 * @returns The number of edits that turn `a` into `b`.
 * @example
 * ```ts
 * import { editDistance } from "./_suggest.ts";
 * import assert from "node:assert/strict";
 * assert.equal(editDistance("qeury", "query"), 1);
 * assert.equal(editDistance("format", "fromat"), 1);
 * assert.equal(editDistance("build", "validate"), 6);
 * ```
 */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  // Three rows: the one before the previous (for swaps), the previous and the current.
  let older = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, older[j - 2] + 1);
      }
      cur[j] = d;
    }
    [older, prev, cur] = [prev, cur, older];
  }
  return prev[n];
}

/**
 * The name closest to `typed`, when it is close enough to be a likely typo: within a third of
 * its length in edits (at least one, at most three), or a name that starts with what was typed.
 *
 * @param typed What the user wrote.
 * @param names The names that exist.
 * @returns The suggestion, or `undefined`.
 * @example
 * ```ts
 * import { closest } from "./_suggest.ts";
 * import assert from "node:assert/strict";
 * assert.equal(closest("qeury", ["build", "query", "export"]), "query");
 * assert.equal(closest("exp", ["build", "query", "export"]), "export");
 * assert.equal(closest("zzzzzz", ["build", "query"]), undefined);
 * ```
 */
export function closest(typed: string, names: Iterable<string>): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(typed.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of names) {
    const d = editDistance(typed, name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  if (best !== undefined && bestDistance <= limit) return best;
  if (typed.length >= 2) {
    for (const name of names) if (name.startsWith(typed)) return name;
  }
  return undefined;
}
