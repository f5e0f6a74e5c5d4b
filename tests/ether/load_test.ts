/**
 * Correctness under concurrency, small enough for the suite: clients × rounds of
 * alloc/write/read/free against one server on 127.0.0.1. The large run (100 clients × 1,000
 * rounds) is `deno run -A bench/ether_load.ts --serve --op cycle --clients 100 --requests 400000`.
 */
import assert from "node:assert/strict";
import { connectEther, serveEther } from "../../lib/runtime/mod.ts";

const CLIENTS = 10;
const ROUNDS = 50;

/** A small deterministic generator (xorshift32), one per client. */
function rng(seed: number): () => number {
  let s = seed || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

Deno.test(`${CLIENTS} concurrent clients × ${ROUNDS} alloc/write/read/free rounds lose and mix up nothing`, async () => {
  const server = await serveEther({ host: "127.0.0.1", port: 0 });
  const seen = new Set<bigint>();
  let verified = 0;
  const client = async (id: number) => {
    const c = await connectEther("127.0.0.1", { port: server.port });
    const next = rng(0x9e3779b9 ^ (id * 2654435761));
    // two blocks in flight per client, so that requests of one client interleave too
    for (let round = 0; round < ROUNDS; round++) {
      const size = 1 + (next() % 4096);
      const buf = await c.alloc(size);
      seen.add(buf.handle);
      const data = new Uint8Array(size);
      for (let i = 0; i < size; i++) data[i] = i % 4 === 3 ? id : next();
      const [, back] = await Promise.all([buf.write(data), buf.read()]);
      assert.equal(back.length, size, `client ${id} round ${round}: short read`);
      assert.deepEqual(back, data, `client ${id} round ${round}: bytes differ`);
      await buf.free();
      verified++;
    }
    c.close();
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
  assert.equal(verified, CLIENTS * ROUNDS);
  assert.equal(seen.size, CLIENTS * ROUNDS, "every allocation got a distinct handle");
  const stats = await server.close();
  assert.equal(stats.memoryInUse, 0);
  assert.equal(stats.blocks, 0);
  assert.equal(stats.errors, 0);
  assert.equal(stats.requests, CLIENTS * (ROUNDS * 4 + 1));
});
