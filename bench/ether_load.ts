/**
 * Load generator for the Ether server, shaped like `redis-benchmark`: C clients, each sending
 * one request at a time (no pipelining), N requests in total. Used by `bench/ether_compare.sh`.
 *
 *   deno run -A bench/ether_load.ts --port P --clients 50 --requests 100000 --op ping|rw64|rw64k
 *
 * Prints one JSON line: { op, clients, requests, seconds, rps } where `requests` counts every
 * request sent (a WRITE+READ round is two requests, as SET+GET are two for redis-benchmark).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { connect } from "../lib/ether/client.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "9999" },
    clients: { type: "string", default: "1" },
    requests: { type: "string", default: "100000" },
    op: { type: "string", default: "ping" },
  },
});
const clients = Number(values.clients);
const total = Number(values.requests);
const op = values.op!;
const size = op === "rw64" ? 64 : op === "rw64k" ? 65536 : 0;
if (!["ping", "rw64", "rw64k"].includes(op)) throw new Error(`Unknown --op "${op}"`);

const conns = await Promise.all(
  Array.from({ length: clients }, () => connect(values.host!, { port: Number(values.port) })),
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
let left = total;
const t0 = performance.now();
await Promise.all(conns.map(async (c, i) => {
  if (size) {
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
const sent = total - left; // left may go negative by at most 2*clients
for (const c of conns) c.close();
console.log(
  JSON.stringify({ op, clients, requests: sent, seconds, rps: Math.round(sent / seconds) }),
);
