/**
 * Run under Node by `node_test.ts` (bundled with `deno bundle`): the Ether server and client
 * cores talk over in-memory pipes, with mxy's database engine, and the Deno adapters refuse to run
 * with `unsupported-runtime`. Prints one JSON line with what it saw; exits 1 on a failure.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseBuilder } from "../../lib/db/mod.ts";
import { EtherClient, EtherServer, mxyDatabaseEngine } from "../../lib/ether/mod.ts";
import { connectEther } from "../../lib/runtime/ether_client.ts";
import { serveEther } from "../../lib/runtime/ether_server.ts";
import { memoryPipe } from "./_memory_pipe.ts";

assert.equal(typeof (globalThis as { Deno?: unknown }).Deno, "undefined");
const server = new EtherServer({ engine: mxyDatabaseEngine });
const [clientEnd, serverEnd] = memoryPipe();
const serving = server.serveConnection(serverEnd);
const client = await EtherClient.open(clientEnd, { address: "memory" });
const block = await client.alloc(3);
await block.write(new Uint8Array([1, 2, 3]));
const back = [...await block.read()];
const builder = new DatabaseBuilder();
builder.add("192.0.2.0/24", { seen: "node" });
const db = await client.loadDatabase(builder.build());
const hit = await client.query(db, "192.0.2.1");
client.close();
await serving;
const stats = await server.close();
const refused: string[] = [];
for (const start of [() => serveEther({ port: 0 }), () => connectEther("127.0.0.1")]) {
  await start().then(
    () => refused.push("ran"),
    (err: { name: string; code: string }) => refused.push(`${err.name} ${err.code}`),
  );
}
console.log(JSON.stringify({ software: client.capabilities?.software, back, hit, stats, refused }));
