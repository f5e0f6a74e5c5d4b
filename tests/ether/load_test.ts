import assert from "node:assert/strict";
import { connect } from "../../lib/ether/client.ts";
import { EtherServer } from "../../lib/ether/server.ts";

const CLIENTS = 100;
const ROUNDS = Number(Deno.env.get("MXY_ETHER_LOAD_ROUNDS") ?? 1000);

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
  const server = EtherServer.listen({ port: 0 });
  const seen = new Set<bigint>();
  let verified = 0;
  let bytesChecked = 0;
  const client = async (id: number) => {
    const c = await connect("127.0.0.1", { port: server.port });
    const next = rng(0x9e3779b9 ^ (id * 2654435761));
    for (let round = 0; round < ROUNDS; round++) {
      const size = 1 + (next() % 4096);
      const buf = await c.alloc(size);
      seen.add(buf.handle);
      const data = new Uint8Array(size);
      for (let i = 0; i < size; i += 4) {
        const r = next();
        data[i] = r;
        if (i + 1 < size) data[i + 1] = r >>> 8;
        if (i + 2 < size) data[i + 2] = r >>> 16;
        if (i + 3 < size) data[i + 3] = id; // tag each block with its client
      }
      await buf.write(data);
      const back = await buf.read();
      if (back.length !== size) {
        throw new Error(`client ${id} round ${round}: read ${back.length} of ${size} bytes`);
      }
      for (let i = 0; i < size; i++) {
        if (back[i] !== data[i]) {
          throw new Error(`client ${id} round ${round}: byte ${i} is ${back[i]}, wrote ${data[i]}`);
        }
      }
      bytesChecked += size;
      await buf.free();
      verified++;
    }
    c.close();
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
  assert.equal(verified, CLIENTS * ROUNDS);
  assert.equal(seen.size, CLIENTS * ROUNDS, "every allocation got a distinct handle");
  assert.ok(bytesChecked > 0);
  const stats = await server.close();
  assert.equal(stats.memoryInUse, 0);
  assert.equal(stats.blocks, 0);
  assert.equal(stats.errors, 0);
  assert.equal(stats.requests, CLIENTS * (ROUNDS * 4 + 1));
});
