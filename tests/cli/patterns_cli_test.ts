import assert from "node:assert/strict";
import { main } from "../../cli/main.ts";
import { runQuery } from "../../cli/commands/query.ts";
import { captureIo } from "./_db_io.ts";
import { type MxyRun, ROOT, runMxy } from "../_mxy.ts";
import { openDatabase } from "../../lib/runtime/mod.ts";

function mxy(args: string[]): Promise<MxyRun> {
  return runMxy(args);
}

Deno.test("mxy build --case-insensitive records the match mode and mxy query ignores case", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const feed = `${dir}/feed.csv`;
    await Deno.writeTextFile(
      feed,
      "entry,tag\nEvil.Example,lit\n*.BAD.example,glob\n10.0.0.0/8,net\n",
    );
    assert.equal(await main(["build", "-q", feed, "--case-insensitive", "-o", `${dir}/ci.mxy`]), 0);
    assert.equal(await main(["build", "-q", feed, "-o", `${dir}/cs.mxy`]), 0);
    const ci = await openDatabase(`${dir}/ci.mxy`);
    assert.equal(ci.metadata.mxyMatchMode, "case-insensitive");
    ci.close();
    const io = captureIo();
    assert.equal(
      await runQuery([`${dir}/ci.mxy`, "EVIL.example", "x.bad.EXAMPLE", "--format", "jsonl"], io),
      0,
    );
    const [lit, glob] = io.out().trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lit.kind, "string");
    assert.deepEqual(lit.matches, [{
      kind: "literal",
      entry: "evil.example",
      data: { tag: "lit" },
    }]);
    assert.deepEqual(glob.matches.map((m: { entry: string }) => m.entry), ["*.BAD.example"]);
    const cs = captureIo();
    assert.equal(await runQuery([`${dir}/cs.mxy`, "EVIL.example"], cs), 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mxy query --explain says why each literal and glob matched", async () => {
  const io = captureIo();
  const db = ROOT + "testdata/patterns.mxy";
  assert.equal(
    await runQuery([db, "login-verify.example", "abc", "--explain", "--format", "jsonl"], io),
    0,
  );
  const [a, b] = io.out().trim().split("\n").map((l) => JSON.parse(l));
  assert.match(a.explain, /literal "login-verify\.example": exact match/);
  assert.match(a.explain, /glob "\*login\*verify\*": the whole query matches/);
  assert.match(b.explain, /glob "\?\?\?".*checked against every query/);
});

Deno.test("mxy build rejects a malformed glob naming the file and line, and exits 1", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const feed = `${dir}/bad.txt`;
    await Deno.writeTextFile(feed, "# comment\nok.example\nbad[z-a].example\n");
    const r = await mxy(["build", feed, "-o", `${dir}/bad.mxy`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.txt:3/);
    assert.match(r.stderr, /reversed range/);
    assert.match(r.stderr, /literal:/);
    await assert.rejects(() => Deno.stat(`${dir}/bad.mxy`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
