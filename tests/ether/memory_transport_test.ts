/**
 * The Ether server and client cores over in-memory pipes: no socket, no file, no Deno API — what
 * proves them runtime-neutral (`node_test.ts` runs the same under Node).
 */
import assert from "node:assert/strict";
import { VERSION } from "../../lib/core/version.ts";
import { DatabaseBuilder } from "../../lib/db/mod.ts";
import {
  type EtherByteStream,
  EtherClient,
  type EtherClientOptions,
  type EtherDatabase,
  type EtherDatabaseEngine,
  EtherServer,
  type EtherServerOptions,
  mxyDatabaseEngine,
} from "../../lib/ether/mod.ts";
import { MemoryListener, memoryPipe } from "./_memory_pipe.ts";

/** A server and one client joined by a memory pipe (frames split into 7-byte reads). */
async function pair(
  serverOptions: EtherServerOptions = {},
  clientOptions: EtherClientOptions = {},
): Promise<{ server: EtherServer; client: EtherClient; served: Promise<void> }> {
  const server = new EtherServer(serverOptions);
  const [clientEnd, serverEnd] = memoryPipe();
  const served = server.serveConnection(serverEnd);
  const client = await EtherClient.open(clientEnd, { address: "memory", ...clientOptions });
  return { server, client, served };
}

function build(tag: string): Uint8Array {
  const b = new DatabaseBuilder();
  b.add("10.0.0.0/8", { tag });
  return b.build();
}

Deno.test("EtherClient and EtherServer talk over an in-memory pipe: negotiation, blocks, pipelining", async () => {
  const { server, client, served } = await pair();
  assert.equal(client.capabilities?.software, `mxy/${VERSION}`);
  assert.equal(client.address, "memory");
  const blocks = await Promise.all(Array.from({ length: 20 }, (_, i) => client.alloc(i + 1)));
  await Promise.all(blocks.map((b, i) => b.write(new Uint8Array(i + 1).fill(i))));
  const back = await Promise.all(blocks.map((b) => b.read()));
  back.forEach((bytes, i) => assert.deepEqual(bytes, new Uint8Array(i + 1).fill(i)));
  await blocks[0].free();
  await assert.rejects(blocks[0].free(), { name: "EtherError", code: "corrupt" });
  assert.equal(server.stats().connections, 1);
  client.close();
  await served;
  const stats = await server.close();
  assert.equal(stats.connections, 0);
  assert.equal(stats.memoryInUse, 0, "a closed connection's blocks are freed");
});

Deno.test("EtherServer.listen() serves the connections of any listener", async () => {
  const listener = new MemoryListener();
  const server = new EtherServer({ token: "t0k" });
  server.listen(listener);
  assert.equal(server.host, "memory");
  assert.throws(() => server.listen(new MemoryListener()), TypeError);
  await assert.rejects(EtherClient.open(listener.connect(), { token: "wrong" }), {
    code: "auth-failed",
  });
  const clients = await Promise.all(
    [1, 2, 3].map(() => EtherClient.open(listener.connect(), { token: "t0k" })),
  );
  await Promise.all(clients.map((c) => c.ping()));
  assert.equal(server.stats().connections, 3);
  for (const c of clients) c.close();
  const stats = await server.close();
  assert.equal(stats.connectionsTotal, 4);
  assert.throws(() => listener.connect(), /closed/, "close() closes the listener");
});

Deno.test("a server without a database engine answers the database commands with denied", async () => {
  const { server, client } = await pair();
  await assert.rejects(client.query(0n, "1.2.3.4"), { code: "denied" });
  await assert.rejects(client.openDatabase("x.mxy"), { code: "denied" });
  await assert.rejects(client.loadDatabase(build("x")), { code: "denied" });
  client.close();
  await server.close();
});

Deno.test("mxyDatabaseEngine alone serves uploads; DB_OPEN without openNamed is denied", async () => {
  const { server, client } = await pair({ engine: mxyDatabaseEngine });
  const db = await client.loadDatabase(build("uploaded"));
  assert.equal(
    await client.queryJson(db, "10.1.2.3"),
    '{"kind":"ip","data":{"tag":"uploaded"},"network":"10.0.0.0/8","prefixLength":8}',
  );
  await assert.rejects(client.openDatabase("x.mxy"), (e: Error & { code: string }) => {
    assert.equal(e.code, "denied");
    assert.match(e.message, /no database folder/);
    return true;
  });
  await assert.rejects(client.query(0n, "10.0.0.1"), { code: "not-found" });
  assert.equal(await client.query(db, "no.such.domain"), null);
  client.close();
  const stats = await server.close();
  assert.equal(stats.databases, 0, "the connection's databases are closed with it");
});

Deno.test("database 0 comes from the engine's checkPreloaded() and is swapped when it changes", async () => {
  let version = 1;
  let served = 0;
  let closed = 0;
  const make = (v: number): EtherDatabase => ({
    lookup: () => ({ version: v }),
    close: () => void closed++,
  });
  const engine: EtherDatabaseEngine = {
    ...mxyDatabaseEngine,
    checkPreloaded() {
      if (served === version) return Promise.resolve(null);
      if (version === 3) return Promise.reject(new Error("Version 3 is broken"));
      served = version;
      return Promise.resolve(make(version));
    },
  };
  const logs: string[] = [];
  const server = new EtherServer({ engine, reloadIntervalMs: 10, log: (l) => logs.push(l) });
  await server.preload();
  const [clientEnd, serverEnd] = memoryPipe();
  void server.serveConnection(serverEnd);
  const client = await EtherClient.open(clientEnd);
  assert.deepEqual(await client.query(0n, "x"), { version: 1 });
  version = 2;
  for (let i = 0; i < 100 && server.stats().reloads === 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.deepEqual(await client.query(0n, "x"), { version: 2 });
  assert.equal(closed, 1, "the replaced database is closed");
  version = 3;
  for (let i = 0; i < 100 && !logs.some((l) => /broken/.test(l)); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.deepEqual(await client.query(0n, "x"), { version: 2 }, "a failed reload keeps the old");
  client.close();
  await server.close();
  assert.equal(closed, 2, "close() closes database 0");
});

Deno.test("a failure inside the server is answered internal, not blamed on the request", async () => {
  const engine: EtherDatabaseEngine = {
    ...mxyDatabaseEngine,
    checkPreloaded: () =>
      Promise.resolve({
        lookup: () => {
          throw new TypeError("Cannot read properties of undefined");
        },
        close() {},
      }),
  };
  const logs: string[] = [];
  const server = new EtherServer({ engine, log: (l) => logs.push(l) });
  await server.preload();
  const [clientEnd, serverEnd] = memoryPipe();
  void server.serveConnection(serverEnd);
  const client = await EtherClient.open(clientEnd);
  await assert.rejects(client.query(0n, "1.2.3.4"), (e: Error & { code: string }) => {
    assert.equal(e.code, "internal");
    // the client is told that the server failed, not how (that may name its internals)
    assert.match(e.message, /INTERNAL: DB_QUERY failed inside the server \(see its log\)$/);
    return true;
  });
  await client.ping(); // the connection stays usable
  assert.ok(logs.some((l) => l.includes("TypeError: Cannot read")), "the server logs the stack");
  client.close();
  await server.close();
});

Deno.test("EtherClient fails pending requests with network when its stream ends", async () => {
  const [clientEnd, serverEnd] = memoryPipe();
  const client = new EtherClient(clientEnd, { address: "memory", timeout: 0 });
  const pending = client.ping();
  serverEnd.close();
  await assert.rejects(pending, { code: "network" });
  assert.equal(client.closed, true);
});

Deno.test("serveConnection() after close() closes the stream at once", async () => {
  const server = new EtherServer();
  await server.close();
  let closed = false;
  const stream: EtherByteStream = {
    read: () => Promise.resolve(null),
    writeAll: () => Promise.resolve(),
    close: () => void (closed = true),
  };
  await server.serveConnection(stream);
  assert.equal(closed, true);
});
