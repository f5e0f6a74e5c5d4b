// The reference the glob query tables are tested against: each pattern compiled and run on its own.
import { compileGlob, matchGlob } from "../../lib/pattern/mod.ts";

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
