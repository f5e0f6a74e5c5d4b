import assert from "node:assert/strict";
import {
  Database,
  DatabaseBuilder,
  DatabaseError,
  FormatError,
  StringMatches,
} from "../../lib/db/mod.ts";
import { canMmap, openDatabase } from "../../lib/runtime/mod.ts";
import { fixture } from "../_fixtures.ts";

/** A small database with a network, a literal and a glob, written to a temporary file. */
async function tempDatabase(): Promise<{ path: string; bytes: Uint8Array }> {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  b.add("192.0.2.0/24", { kind: "net" });
  b.add("evil.example", { kind: "literal" });
  b.add("*.evil.example", { kind: "glob" });
  const bytes = b.build();
  const path = await Deno.makeTempFile({ suffix: ".mxy" });
  await Deno.writeFile(path, bytes);
  return { path, bytes };
}

const closed = (err: unknown) => err instanceof DatabaseError && err.code === "closed";

Deno.test("openDatabase() reads the file by default and maps it when asked", async () => {
  const { path } = await tempDatabase();
  try {
    const read = await openDatabase(path);
    assert.equal(read.mapMode, "read");
    const mapped = await openDatabase(path, { mmap: true });
    assert.equal(mapped.mapMode, canMmap() ? "mmap" : "read");
    for (const q of ["192.0.2.7", "evil.example", "a.evil.example"]) {
      assert.deepEqual(mapped.lookup(q), read.lookup(q));
    }
    read.close();
    mapped.close();
    assert.equal(Database.fromBytes(await Deno.readFile(path)).mapMode, "bytes");
  } finally {
    await Deno.remove(path);
  }
});

Deno.test({
  name: "openDatabase() names the file in a format error and keeps a missing file's error class",
  ignore: !fixture("mmdb/test-data"),
  async fn() {
    const bad = `${fixture("mmdb/test-data")}/GeoIP2-City-Test-Invalid-Node-Count.mmdb`;
    const err = await openDatabase(bad).catch((e) => e);
    assert.ok(err instanceof FormatError);
    assert.match(err.message, /Cannot open database ".*Invalid-Node-Count.mmdb"/);
    await assert.rejects(() => openDatabase("/no/such/file.mxy"), Deno.errors.NotFound);
  },
});

Deno.test("a closed memory-mapped database throws DatabaseError closed from every method and getter", async () => {
  const { path } = await tempDatabase();
  try {
    const db = await openDatabase(path, { mmap: true });
    const out = new StringMatches();
    // Use the string matcher once, so its views of the mapping exist before close().
    assert.equal(db.lookupStringOffsets("a.evil.example", out), 1);
    db.close();
    db.close(); // closing again does nothing
    const calls: [string, () => unknown][] = [
      ["lookup(string)", () => db.lookup("a.evil.example")],
      ["lookup(ip)", () => db.lookup("192.0.2.7")],
      ["lookupFirst()", () => db.lookupFirst("evil.example")],
      ["lookupIpv4()", () => db.lookupIpv4(0xc0000207)],
      ["lookupIpOffset()", () => db.lookupIpOffset("192.0.2.7")],
      ["lookupOffset()", () => db.lookupOffset("evil.example")],
      ["lookupStringOffset()", () => db.lookupStringOffset("a.evil.example")],
      ["lookupStringOffsets()", () => db.lookupStringOffsets("a.evil.example", out)],
      ["decode()", () => db.decode(0)],
      ["section()", () => db.section("glob")],
      ["bytes", () => db.bytes],
      ["metadata", () => db.metadata],
      ["layout", () => db.layout],
      ["mapMode", () => db.mapMode],
      ["lastPrefixLength", () => db.lastPrefixLength],
      ["lastIpVersion", () => db.lastIpVersion],
    ];
    for (const [what, call] of calls) assert.throws(call, closed, what);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a view of a mapped database's bytes taken before close() still reads the file after a garbage collection", async () => {
  const { path } = await tempDatabase();
  try {
    const child = new URL("./_closed_view_child.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--v8-flags=--expose-gc", child, path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const result = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.deepEqual(result, { mode: "mmap", same: true, gc: "function" });
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a database opened by reading keeps answering after its file is truncated and rewritten in place", async () => {
  const { path } = await tempDatabase();
  try {
    const db = await openDatabase(path);
    const before = db.lookup("a.evil.example");
    await Deno.truncate(path, 0);
    const other = new DatabaseBuilder({ buildEpoch: 2 });
    other.add("203.0.113.0/24", { kind: "other" });
    await Deno.writeFile(path, other.build());
    assert.deepEqual(db.lookup("a.evil.example"), before);
    assert.deepEqual(db.lookup("192.0.2.7")?.data, { kind: "net" });
    assert.equal(db.lookup("203.0.113.1"), null);
    db.close();
  } finally {
    await Deno.remove(path);
  }
});
