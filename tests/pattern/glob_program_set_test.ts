import assert from "node:assert/strict";
import { GlobProgramSet, matchGlob } from "../../lib/pattern/mod.ts";

Deno.test("GlobProgramSet.add() compiles a glob beside the others and locates its program and pieces", () => {
  const set = new GlobProgramSet();
  const i = set.add("*.evil.com", false);
  assert.equal(set.count, 1);
  assert.equal(set.pieceText(i, "suffix"), ".evil.com");
  const start = set.programStart(i);
  const program = set.words.subarray(start, start + set.programLength(i));
  assert.equal(matchGlob(program, "a.evil.com"), true);
});
