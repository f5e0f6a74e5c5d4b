import assert from "node:assert/strict";
import { connectEther, serveEther, type ServeEtherOptions } from "../../lib/runtime/mod.ts";
import type { EtherServer } from "../../lib/ether/mod.ts";
import { DatabaseBuilder } from "../../lib/db/mod.ts";
import { fixture } from "../_fixtures.ts";
import { FILE_OPERATIONS, runFileOperations } from "../ether/_file_operations.ts";

function build(tag: string): Uint8Array {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  b.add("10.0.0.0/8", { tag, big: 2n ** 64n - 1n });
  b.add("192.168.1.0/24", { tag: `${tag}-lan` });
  return b.build();
}

async function withDbServer(
  extra: ServeEtherOptions,
  fn: (server: EtherServer, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mxy-ether-db-" });
  await Deno.mkdir(`${dir}/sub`);
  await Deno.writeFile(`${dir}/one.mxy`, build("one"));
  await Deno.writeFile(`${dir}/sub/two.mxy`, build("two"));
  await Deno.writeFile(`${dir}/bad.mxy`, new Uint8Array(200).fill(7));
  const server = await serveEther({ port: 0, databaseDir: dir, ...extra });
  try {
    await fn(server, dir);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("DB_OPEN opens a file under --db-dir and DB_QUERY returns the JSON result", async () => {
  await withDbServer({}, async (server) => {
    const c = await connectEther("127.0.0.1", { port: server.port });
    const db = await c.openDatabase("sub/two.mxy");
    assert.notEqual(db, 0n);
    assert.equal(
      await c.queryJson(db, "10.9.8.7"),
      '{"kind":"ip","data":{"tag":"two","big":18446744073709551615},"network":"10.0.0.0/8","prefixLength":8}',
    );
    assert.deepEqual(await c.query(db, "192.168.1.20"), {
      kind: "ip",
      data: { tag: "two-lan" },
      network: "192.168.1.0/24",
      prefixLength: 24,
    });
    assert.equal(await c.query(db, "8.8.8.8"), null);
    await c.closeDatabase(db);
    await assert.rejects(c.query(db, "10.0.0.1"), { code: "not-found" });
    c.close();
  });
});

Deno.test("DB_OPEN refuses paths outside --db-dir, reports missing and corrupt files", async () => {
  await withDbServer({}, async (server) => {
    const c = await connectEther("127.0.0.1", { port: server.port });
    for (const p of ["../one.mxy", "/etc/passwd.mxy", "sub/../../x.mxy", "one.txt", ""]) {
      await assert.rejects(c.openDatabase(p), { code: "denied" }, p);
    }
    await assert.rejects(c.openDatabase("missing.mxy"), { code: "not-found" });
    await assert.rejects(c.openDatabase("bad.mxy"), (e: { code: string; message: string }) => {
      assert.equal(e.code, "database-error");
      assert.match(e.message, /bad\.mxy/);
      return true;
    });
    await c.ping();
    c.close();
  });
});

Deno.test("DB_LOAD opens a database uploaded with ALLOC + WRITE", async () => {
  await withDbServer({}, async (server) => {
    const c = await connectEther("127.0.0.1", { port: server.port });
    const db = await c.loadDatabase(build("uploaded"));
    assert.equal(
      ((await c.query(db, "10.1.1.1")) as { data: { tag: string } }).data.tag,
      "uploaded",
    );
    // the upload block was freed; the database lives on until closed, counted as memory
    const bytes = build("uploaded").length;
    assert.deepEqual(
      [(await c.stats()).memoryInUse, (await c.stats()).databaseBytes, (await c.stats()).blocks],
      [bytes, bytes, 0],
    );
    const junk = await c.alloc(64);
    await junk.write(new Uint8Array(64).fill(1));
    await assert.rejects(
      c.request(0x51, { handle: junk.handle }),
      { code: "database-error" },
    );
    c.close();
  });
});

Deno.test("databases belong to the connection that opened them", async () => {
  await withDbServer({}, async (server) => {
    const a = await connectEther("127.0.0.1", { port: server.port });
    const b = await connectEther("127.0.0.1", { port: server.port });
    const db = await a.openDatabase("one.mxy");
    await assert.rejects(b.query(db, "10.0.0.1"), { code: "not-found" });
    await assert.rejects(b.closeDatabase(db), { code: "not-found" });
    assert.equal((await b.stats()).databases, 1);
    a.close();
    for (let i = 0; i < 100 && server.stats().databases > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(server.stats().databases, 0);
    b.close();
  });
});

Deno.test("--db preloads database 0 and reloads it when the file is replaced", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mxy-ether-reload-" });
  const file = `${dir}/live.mxy`;
  await Deno.writeFile(file, build("v1"));
  try {
    await withDbServer({ databaseFile: file, reloadIntervalMs: 20 }, async (server) => {
      const c = await connectEther("127.0.0.1", { port: server.port });
      const tag = async () =>
        ((await c.query(0n, "10.0.0.1")) as { data: { tag: string } }).data.tag;
      assert.equal(await tag(), "v1");
      await Deno.writeFile(`${file}.tmp`, build("version-2"));
      await Deno.rename(`${file}.tmp`, file);
      let seen = "v1";
      for (let i = 0; i < 200 && seen === "v1"; i++) {
        await new Promise((r) => setTimeout(r, 10));
        seen = await tag();
      }
      assert.equal(seen, "version-2");
      assert.equal(server.stats().reloads, 1);
      // a broken replacement is ignored: the previous database keeps answering
      await Deno.writeFile(`${file}.tmp`, new Uint8Array(50));
      await Deno.rename(`${file}.tmp`, file);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(await tag(), "version-2");
      c.close();
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("DB_QUERY on database 0 without --db answers NOTFOUND", async () => {
  await withDbServer({}, async (server) => {
    const c = await connectEther("127.0.0.1", { port: server.port });
    await assert.rejects(c.query(0n, "10.0.0.1"), { code: "not-found" });
    c.close();
  });
});

Deno.test("DB_QUERY answers like Database.lookup for a MaxMind test database", {
  ignore: !fixture("mmdb/test-data"),
}, async () => {
  const dir = fixture("mmdb/test-data")!;
  const server = await serveEther({ port: 0, databaseDir: dir });
  const c = await connectEther("127.0.0.1", { port: server.port });
  const db = await c.openDatabase("MaxMind-DB-test-ipv4-24.mmdb");
  assert.deepEqual(await c.query(db, "1.1.1.3"), {
    kind: "ip",
    data: { ip: "1.1.1.2" },
    network: "1.1.1.2/31",
    prefixLength: 31,
  });
  c.close();
  await server.close();
});

Deno.test("serveEther() answers from the last good --db whatever is done to the file, and loads each complete, valid new version", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mxy-ether-file-ops-" });
  const file = `${dir}/live.mxy`;
  const other = `${dir}/other.mxy`;
  await Deno.writeFile(file, build("loaded"));
  await Deno.writeFile(other, build("other"));
  const logs: string[] = [];
  const server = await serveEther({
    port: 0,
    databaseFile: file,
    databaseDir: dir,
    reloadIntervalMs: 10,
    log: (line) => logs.push(line),
  });
  try {
    const c = await connectEther("127.0.0.1", { port: server.port });
    const opened = await c.openDatabase("live.mxy"); // the same file, through DB_OPEN
    const tag = async (db: bigint) =>
      ((await c.query(db, "10.0.0.1")) as { data: { tag: string } }).data.tag;
    const rejected = () => logs.filter((l) => /changed but is not a valid database/.test(l)).length;
    const seen = await runFileOperations(file, { build, other, tag: () => tag(0n), rejected });
    assert.equal(seen.length, FILE_OPERATIONS.length);
    // other, same-1 (the complete file cp -p went over), same-2, rsync, halves, anew
    assert.equal(server.stats().reloads, 6);
    assert.equal(await tag(opened), "loaded", "a database opened before keeps its bytes");
    assert.ok(rejected() >= 3, logs.join("\n"));
    // the removal is noticed at the server's next check, which a loaded machine may delay
    for (let i = 0; i < 500 && !logs.some((l) => /was removed; still serving/.test(l)); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(logs.some((l) => /was removed; still serving/.test(l)), logs.join("\n"));
    assert.ok(!logs.some((l) => l.includes("reloading database 0 failed")), logs.join("\n"));
    // the file is gone for good: opening it now is not-found, database 0 still answers
    await assert.rejects(c.openDatabase("live.mxy"), { code: "not-found" });
    await c.closeDatabase(opened);
    await assert.rejects(c.query(opened, "10.0.0.1"), { code: "not-found" });
    c.close();
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serveEther() does not reload --db touched or copied over with the same bytes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mxy-ether-touch-" });
  const file = `${dir}/live.mxy`;
  await Deno.writeFile(file, build("same"));
  const server = await serveEther({ port: 0, databaseFile: file, reloadIntervalMs: 10 });
  try {
    await Deno.utime(file, new Date(), new Date(Date.now() + 5000));
    await Deno.writeFile(file, build("same")); // rewritten in place, same bytes
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(server.stats().reloads, 0);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serveEther() fails with not-found or database-error for a missing or broken --db", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mxy-ether-bad-db-" });
  try {
    await assert.rejects(serveEther({ port: 0, databaseFile: `${dir}/missing.mxy` }), {
      name: "EtherError",
      code: "not-found",
    });
    await Deno.writeFile(`${dir}/bad.mxy`, new Uint8Array(64));
    await assert.rejects(serveEther({ port: 0, databaseFile: `${dir}/bad.mxy` }), {
      name: "EtherError",
      code: "database-error",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serveEther() loads a --db file put back by remove and write once it is complete", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mxy-ether-rm-cp-" });
  const file = `${dir}/live.mxy`;
  await Deno.writeFile(file, build("first"));
  const server = await serveEther({ port: 0, databaseFile: file, reloadIntervalMs: 10 });
  try {
    const c = await connectEther("127.0.0.1", { port: server.port });
    const tag = async () => ((await c.query(0n, "10.0.0.1")) as { data: { tag: string } }).data.tag;
    // `rm live.mxy; cp new.mxy live.mxy`, caught half-way: a new file, not a database yet
    const next = build("second");
    await Deno.remove(file);
    await Deno.writeFile(file, next.subarray(0, 100));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await tag(), "first");
    const f = await Deno.open(file, { write: true, append: true });
    await f.write(next.subarray(100));
    f.close();
    for (let i = 0; i < 200 && server.stats().reloads === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(await tag(), "second");
    c.close();
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
