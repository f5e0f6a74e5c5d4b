/**
 * Load generator for the Ether server, shaped like `redis-benchmark`: C clients, each sending
 * one request at a time (no pipelining), N requests in total. Used by `bench/ether_compare.sh`.
 *
 *   deno run -A bench/ether_load.ts --port P --clients 50 --requests 100000 --op ping|rw64|rw64k
 *   deno run -A bench/ether_load.ts --serve --op cycle --clients 100 --requests 400000
 *
 * Operations:
 * - `ping`: PING.
 * - `rw64`, `rw64k`: WRITE + READ of 64 bytes or 64 KiB on one block per client.
 * - `cycle`: ALLOC of 1 … 4096 bytes, WRITE of random bytes tagged with the client's number,
 *   READ, byte-for-byte comparison, FREE — the load test that 100 clients × 1,000 rounds lose and
 *   mix up nothing (every handle distinct, every byte back, no error, no memory left).
 *
 * `--serve` starts a server in this process on 127.0.0.1 and a free port (and, for `cycle`, checks
 * its final statistics); otherwise `--port` names a running one. Only loopback hosts are accepted,
 * and clients and requests are bounded (≤ 1,000 and ≤ 10,000,000), so the generator cannot be
 * pointed at someone else's server or left running by mistake.
 *
 * Prints one JSON line: { op, clients, requests, seconds, rps } where `requests` counts every
 * request sent (a WRITE+READ round is two requests, as SET+GET are two for redis-benchmark; a
 * cycle is four).
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { EtherClient, EtherServer } from "../lib/ether/mod.ts";
import { connectEther, serveEther } from "../lib/runtime/mod.ts";
import { isLoopback } from "../lib/runtime/net.ts";

const MAX_CLIENTS = 1000;
const MAX_REQUESTS = 10_000_000;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "9999" },
    serve: { type: "boolean", default: false },
    clients: { type: "string", default: "1" },
    requests: { type: "string", default: "100000" },
    op: { type: "string", default: "ping" },
  },
});
const clients = Number(values.clients);
const total = Number(values.requests);
const op = values.op!;
const host = values.host!;
if (!["ping", "rw64", "rw64k", "cycle"].includes(op)) throw new Error(`Unknown --op "${op}"`);
if (!isLoopback(host)) throw new Error(`--host must be a loopback address, got "${host}"`);
if (!(Number.isInteger(clients) && clients >= 1 && clients <= MAX_CLIENTS)) {
  throw new Error(`--clients must be 1 … ${MAX_CLIENTS}, got "${values.clients}"`);
}
if (!(Number.isInteger(total) && total >= 1 && total <= MAX_REQUESTS)) {
  throw new Error(`--requests must be 1 … ${MAX_REQUESTS}, got "${values.requests}"`);
}
const size = op === "rw64" ? 64 : op === "rw64k" ? 65536 : 0;

const server: EtherServer | null = values.serve
  ? await serveEther({ host: "127.0.0.1", port: 0, maxConnections: MAX_CLIENTS + 8 })
  : null;
const port = server ? server.port : Number(values.port);

const conns: EtherClient[] = await Promise.all(
  Array.from({ length: clients }, () => connectEther(host, { port })),
);
const bufs = size ? await Promise.all(conns.map((c) => c.alloc(size))) : [];
const payload = new Uint8Array(size).fill(0x78);
// warm-up
for (let i = 0; i < conns.length; i++) {
  if (size) {
    await bufs[i].write(payload);
    await bufs[i].read();
  } else await conns[i].ping();
}

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

const handles = new Set<bigint>();
let cycles = 0;
async function cycle(c: EtherClient, id: number, next: () => number): Promise<void> {
  const n = 1 + (next() % 4096);
  const buf = await c.alloc(n);
  handles.add(buf.handle);
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = i % 4 === 3 ? id : next();
  await buf.write(data);
  const back = await buf.read();
  if (back.length !== n) throw new Error(`Client ${id}: read ${back.length} of ${n} bytes`);
  for (let i = 0; i < n; i++) {
    if (back[i] !== data[i]) {
      throw new Error(`Client ${id}: byte ${i} is ${back[i]}, wrote ${data[i]}`);
    }
  }
  await buf.free();
  cycles++;
}

let left = total;
const t0 = performance.now();
await Promise.all(conns.map(async (c, i) => {
  if (op === "cycle") {
    const next = rng(0x9e3779b9 ^ (i * 2654435761));
    while (left > 0) {
      left -= 4;
      await cycle(c, i, next);
    }
  } else if (size) {
    const b = bufs[i];
    while (left > 0) {
      left -= 2;
      await b.write(payload);
      const back = await b.read();
      if (back.length !== size) throw new Error(`Read ${back.length} of ${size} bytes`);
    }
  } else {
    while (left > 0) {
      left--;
      await c.ping();
    }
  }
}));
const seconds = (performance.now() - t0) / 1000;
const sent = total - left; // left may go negative by at most 4*clients
for (const c of conns) c.close();
if (op === "cycle" && handles.size !== cycles) {
  throw new Error(`${cycles} allocations got only ${handles.size} distinct handles`);
}
if (server) {
  const stats = await server.close();
  if (op === "cycle" && (stats.errors !== 0 || stats.memoryInUse !== 0 || stats.blocks !== 0)) {
    throw new Error(`The server ended with ${JSON.stringify(stats)}`);
  }
}
console.log(
  JSON.stringify({ op, clients, requests: sent, seconds, rps: Math.round(sent / seconds) }),
);
