/**
 * The pattern fixtures in testdata/ were built by mxy itself:
 *
 *   SOURCE_DATE_EPOCH=1767225600 deno task mxy build testdata/patterns.jsonl -o testdata/patterns.mxy
 *   SOURCE_DATE_EPOCH=1767225600 deno task mxy build testdata/patterns.jsonl --case-insensitive \
 *     -o testdata/patterns-ci.mxy
 *
 * @module
 */
import assert from "node:assert/strict";
import { Database, DatabaseBuilder, validateDatabase } from "../../lib/db/mod.ts";
import { openDatabase } from "../../lib/runtime/mod.ts";

const dir = new URL("../../testdata/", import.meta.url);

function entries(r: ReturnType<Database["lookup"]>): string[] {
  if (r === null) return [];
  return r.kind === "ip" ? [r.network] : r.matches.map((m) => `${m.kind}:${m.entry}`);
}

Deno.test("testdata/patterns.mxy answers IPs, literals and globs as its feed says", async () => {
  const db = await openDatabase(new URL("patterns.mxy", dir).pathname);
  try {
    assert.equal(db.metadata.mxyMatchMode, "case-sensitive");
    assert.deepEqual(db.metadata.mxyCounts, { ipv4: 2, ipv6: 1, literal: 7, glob: 7 });
    assert.deepEqual(entries(db.lookup("198.51.100.23")), ["198.51.100.23/32"]);
    assert.deepEqual(entries(db.lookup("login-verify.example")), [
      "literal:login-verify.example",
      "glob:*login*verify*",
      "glob:*.example",
    ]);
    assert.deepEqual(entries(db.lookup("a.dyn.bad.example")), [
      "glob:*.dyn.bad.example",
      "glob:*.example",
    ]);
    assert.deepEqual(entries(db.lookup("malware-42.exe")), ["glob:mal?are-[0-9][0-9].*"]);
    assert.deepEqual(entries(db.lookup("http://evil.example/dl?id=1")), [
      "literal:http://evil.example/dl?id=1",
    ]);
    assert.deepEqual(entries(db.lookup("weird[name].example")), [
      "literal:weird[name].example",
      "glob:*.example",
    ]);
    assert.deepEqual(entries(db.lookup("7x.onion")), ["glob:[!a-z]*.onion"]);
    assert.deepEqual(entries(db.lookup("abc")), ["glob:???"]);
    assert.deepEqual(entries(db.lookup("PAYPA1-SECURE.example")), ["glob:*.example"]);
    assert.deepEqual(db.lookupFirst("bücher-Straße.example")?.data, {
      threat: "idn-lure",
      score: 65,
    });
    assert.equal(db.lookup("nothing.test"), null);
    assert.equal(validateDatabase(db.bytes).valid, true);
  } finally {
    db.close();
  }
});

Deno.test("testdata/patterns-ci.mxy matches literals and globs regardless of case", async () => {
  const db = await openDatabase(new URL("patterns-ci.mxy", dir).pathname);
  try {
    assert.equal(db.metadata.mxyMatchMode, "case-insensitive");
    assert.deepEqual(entries(db.lookup("PAYPA1-SECURE.EXAMPLE")), [
      "literal:paypa1-secure.example",
      "glob:*.example",
    ]);
    assert.deepEqual(entries(db.lookup("BÜCHER-STRAßE.EXAMPLE")).slice(0, 1), [
      "literal:bücher-straße.example",
    ]);
    assert.deepEqual(entries(db.lookup("www.σιγμα.EXAMPLE")), [
      "glob:*.ΣΙΓΜΑ.example",
      "glob:*.example",
    ]);
    assert.deepEqual(entries(db.lookup("MALWARE-42.EXE")), ["glob:mal?are-[0-9][0-9].*"]);
    assert.equal(validateDatabase(db.bytes).valid, true);
  } finally {
    db.close();
  }
});

Deno.test("a fresh build of testdata/patterns.jsonl answers like the committed fixture", async () => {
  const fixture = Database.fromBytes(await Deno.readFile(new URL("patterns.mxy", dir)));
  const b = new DatabaseBuilder({ buildEpoch: 1767225600 });
  for (const line of (await Deno.readTextFile(new URL("patterns.jsonl", dir))).split("\n")) {
    if (line.trim() === "") continue;
    const { entry, data } = JSON.parse(line);
    b.add(entry, data);
  }
  const fresh = Database.fromBytes(b.build());
  for (
    const q of [
      "198.51.100.7",
      "2001:db8:bad::1",
      "login-verify.example",
      "x.dyn.bad.example",
      "malware-00.x",
      "0.onion",
      "zzz",
      "d41d8cd98f00b204e9800998ecf8427e",
      "bad@mail.example",
    ]
  ) {
    assert.deepEqual(fresh.lookup(q), fixture.lookup(q), q);
  }
});
