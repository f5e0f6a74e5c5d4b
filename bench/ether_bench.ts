/**
 * Ether server vs Redis with the same Deno client machinery: `deno bench -A bench/ether_bench.ts`.
 *
 * Starts `mxy serve` and `redis-server` (when installed) on free 127.0.0.1 ports as separate
 * processes, then measures PING and WRITE+READ (Redis: SET+GET) of 64 B and 64 KiB with 1 client
 * and with 50 clients (one iteration = one request or pair on each of the 50 connections, all at
 * once). Redis is the baseline of each group, so `deno bench` prints the ratio. Both sides are
 * driven through `@mxy/mxy/deno` sockets (`connectTcp`, `connectEther`) from this one process, so the client's cost is the
 * same and the difference is the server's. `bench/ether_compare.sh` runs `redis-benchmark`
 * itself instead.
 *
 * @module
 */
import type { EtherClient, RemoteBuffer } from "../lib/ether/mod.ts";
import { connectEther } from "../lib/runtime/mod.ts";
import { connectTcp, listenTcp, type TcpStream } from "../lib/runtime/net.ts";

const CLIENTS = 50;

function freePort(): number {
  const l = listenTcp(0);
  const p = l.port;
  l.close();
  return p;
}

function have(program: string): boolean {
  return new Deno.Command("sh", { args: ["-c", `command -v ${program}`] }).outputSync()
    .success;
}

/** A minimal RESP client: one request at a time, replies parsed just enough to verify them. */
class Resp {
  #s: TcpStream;
  #buf = new Uint8Array(1 << 20);
  #len = 0;
  constructor(s: TcpStream) {
    this.#s = s;
  }
  static async open(port: number): Promise<Resp> {
    return new Resp(await connectTcp("127.0.0.1", { port }));
  }
  #encode(parts: (string | Uint8Array)[]): Uint8Array {
    const enc = new TextEncoder();
    const chunks: Uint8Array[] = [enc.encode(`*${parts.length}\r\n`)];
    for (const p of parts) {
      const b = typeof p === "string" ? enc.encode(p) : p;
      chunks.push(enc.encode(`$${b.length}\r\n`), b, enc.encode("\r\n"));
    }
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
  async #fill(): Promise<void> {
    const n = await this.#s.read(this.#buf.subarray(this.#len));
    if (!n) throw new Error("Redis closed the connection");
    this.#len += n;
  }
  async #line(): Promise<string> {
    for (;;) {
      const i = this.#buf.subarray(0, this.#len).indexOf(10);
      if (i >= 0) {
        const line = new TextDecoder().decode(this.#buf.subarray(0, i - 1));
        this.#buf.copyWithin(0, i + 1, this.#len);
        this.#len -= i + 1;
        return line;
      }
      await this.#fill();
    }
  }
  async call(parts: (string | Uint8Array)[]): Promise<number> {
    await this.#s.writeAll(this.#encode(parts));
    const line = await this.#line();
    if (line[0] === "-") throw new Error(`Redis: ${line}`);
    if (line[0] !== "$") return line.length;
    const size = Number(line.slice(1));
    while (this.#len < size + 2) await this.#fill();
    this.#buf.copyWithin(0, size + 2, this.#len);
    this.#len -= size + 2;
    return size;
  }
  close(): void {
    this.#s.close();
  }
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      (await connectTcp("127.0.0.1", { port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`Nothing listens on port ${port}`);
}

const mxyPort = freePort();
const mxyServer = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    new URL("../cli/main.ts", import.meta.url).pathname,
    "serve",
    "--port",
    String(mxyPort),
    "-q",
  ],
  stdout: "null",
  stderr: "null",
}).spawn();
await waitForPort(mxyPort);

const withRedis = have("redis-server");
const redisPort = freePort();
const redisServer = withRedis
  ? new Deno.Command("redis-server", {
    args: ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    stdout: "null",
    stderr: "null",
  }).spawn()
  : null;
if (withRedis) await waitForPort(redisPort);

const ether: EtherClient[] = await Promise.all(
  Array.from({ length: CLIENTS }, () => connectEther("127.0.0.1", { port: mxyPort })),
);
const redis: Resp[] = withRedis
  ? await Promise.all(Array.from({ length: CLIENTS }, () => Resp.open(redisPort)))
  : [];
const small = new Uint8Array(64).fill(0x61);
const big = new Uint8Array(65536).fill(0x62);
const bufSmall: RemoteBuffer[] = await Promise.all(ether.map((c) => c.alloc(64)));
const bufBig: RemoteBuffer[] = await Promise.all(ether.map((c) => c.alloc(65536)));

async function etherRw(b: RemoteBuffer, data: Uint8Array): Promise<void> {
  await b.write(data);
  const back = await b.read();
  if (back.length !== data.length) throw new Error("short read");
}
async function redisRw(r: Resp, key: string, data: Uint8Array): Promise<void> {
  await r.call(["SET", key, data]);
  if ((await r.call(["GET", key])) !== data.length) throw new Error("short GET");
}

const cases: [string, (i: number) => Promise<unknown>, ((i: number) => Promise<unknown>) | null][] =
  [
    ["PING", (i) => ether[i].ping(), withRedis ? (i) => redis[i].call(["PING"]) : null],
    [
      "WRITE+READ 64 B",
      (i) => etherRw(bufSmall[i], small),
      withRedis ? (i) => redisRw(redis[i], `k${i}`, small) : null,
    ],
    [
      "WRITE+READ 64 KiB",
      (i) => etherRw(bufBig[i], big),
      withRedis ? (i) => redisRw(redis[i], `b${i}`, big) : null,
    ],
  ];

for (const [name, mine, theirs] of cases) {
  for (const clients of [1, CLIENTS]) {
    const group = `${name}, ${clients} client${clients > 1 ? "s" : ""}`;
    const all = (fn: (i: number) => Promise<unknown>) => async () => {
      if (clients === 1) await fn(0);
      else await Promise.all(Array.from({ length: clients }, (_, i) => fn(i)));
    };
    if (theirs) {
      Deno.bench({ name: `redis ${group}`, group, baseline: true, fn: all(theirs) });
    }
    Deno.bench({ name: `mxy ether ${group}`, group, fn: all(mine) });
  }
}

// Stop the servers once every bench has run (deno bench gives no teardown hook).
globalThis.addEventListener("unload", () => {
  for (const c of ether) c.close();
  for (const r of redis) r.close();
  try {
    mxyServer.kill("SIGTERM");
  } catch { /* already gone */ }
  try {
    redisServer?.kill("SIGTERM");
  } catch { /* already gone */ }
});
