/**
 * Soak test of the Ether server under a mix of honest and hostile clients (issue #15), bounded in
 * time: `mxy serve` runs as its own process (so that its resident memory can be read from
 * /proc), honest clients mix memory and database commands for `--seconds`, and hostile ones
 * attack it all the while with ordinary connections:
 *
 * - `shared`: uploads a 398-byte database whose record expands to 16^5 strings, and queries it;
 * - `decode`: uploads a database whose record decodes to 400,000 maps, and queries it;
 * - `slowloris`: announces a 64 KiB WRITE and trickles it a byte every 50 ms;
 * - `stall`: announces 16 MiB payloads and sends nothing more;
 * - `blocks`: allocates 1-byte blocks until refused, and keeps them;
 * - `opens`: opens databases until refused, and keeps them.
 *
 *   deno run -A bench/ether_soak.ts                      # 40 honest, 6 hostile, 20 s
 *   deno run -A bench/ether_soak.ts --hostile 0          # the same without attackers
 *   deno run -A bench/ether_soak.ts --clients 100 --seconds 60
 *
 * Prints the honest clients' requests per second and latency percentiles, what the attackers
 * got, and the server's resident memory (VmRSS) at start, peak and end with its own counters.
 * Only 127.0.0.1 is used; clients (≤ 500) and time (≤ 300 s) are bounded.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DatabaseBuilder } from "../lib/db/mod.ts";
import { encodeEtherHeader, type EtherClient, EtherCommand, EtherFlag } from "../lib/ether/mod.ts";
import { connectEther, connectTcp, type TcpStream } from "../lib/runtime/mod.ts";
import { sharedArraysDatabase } from "../tests/ether/_hostile_database.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    clients: { type: "string", default: "40" },
    hostile: { type: "string", default: "6" },
    seconds: { type: "string", default: "20" },
  },
});
const CLIENTS = Number(values.clients);
const HOSTILE = Number(values.hostile);
const SECONDS = Number(values.seconds);
if (!(CLIENTS >= 1 && CLIENTS <= 500)) throw new RangeError("--clients must be 1 … 500");
if (!(HOSTILE >= 0 && HOSTILE <= 60)) throw new RangeError("--hostile must be 0 … 60");
if (!(SECONDS >= 1 && SECONDS <= 300)) throw new RangeError("--seconds must be 1 … 300");

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const MiB = 1 << 20;

// --- databases -------------------------------------------------------------------------------
const dir = await Deno.makeTempDir({ prefix: "mxy-ether-soak-" });
function ioc(tag: string, n: number): Uint8Array {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  for (let i = 0; i < n; i++) {
    b.add(`${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`, {
      tag,
      score: i % 100,
      tags: ["c2", "botnet"],
    });
  }
  return b.build();
}
await Deno.writeFile(`${dir}/live.mxy`, ioc("live", 20_000));
await Deno.writeFile(`${dir}/small.mxy`, ioc("small", 500));
const upload = ioc("upload", 200);
const shared = sharedArraysDatabase(16, 5, "0123456789");
const bigRecord = (() => {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  b.add("1.0.0.0/8", { a: new Array(400_000).fill({}) });
  return b.build();
})();

// --- the server ------------------------------------------------------------------------------
const child = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    new URL("../cli/main.ts", import.meta.url).pathname,
    "serve",
    "--port",
    "0",
    "--db",
    `${dir}/live.mxy`,
    "--db-dir",
    dir,
    "--frame-timeout",
    "3000",
    "--max-connection-memory",
    "64M",
    "--quiet",
  ],
  stdout: "null",
  stderr: "piped",
}).spawn();
const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
let err = "";
while (!/listening on [\d.]+:\d+/.test(err)) {
  const { value, done } = await reader.read();
  if (done) throw new Error(`mxy serve did not start: ${err}`);
  err += value;
}
const draining = (async () => {
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    err += value;
  }
})();
const port = Number(/listening on [\d.]+:(\d+)/.exec(err)![1]);

function rssBytes(): number {
  const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}
const rss = { start: rssBytes(), peak: 0, end: 0 };
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    rss.peak = Math.max(rss.peak, rssBytes());
    await sleep(100);
  }
})();

// --- honest clients --------------------------------------------------------------------------
const until = performance.now() + SECONDS * 1000;
const latencies: number[] = [];
const errors: Record<string, number> = {};
let requests = 0;

async function timed<T>(p: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const r = await p();
  latencies.push(performance.now() - t);
  requests++;
  return r;
}

async function honest(id: number): Promise<void> {
  const c = await connectEther("127.0.0.1", { port });
  let seed = 0x9e3779b9 ^ (id * 2654435761);
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  while (performance.now() < until) {
    try {
      const pick = next() % 10;
      if (pick < 5) {
        const n = 1 + (next() % (pick === 0 ? 65536 : 1024));
        const b = await timed(() => c.alloc(n));
        const data = new Uint8Array(n).fill(id & 255);
        await timed(() => b.write(data));
        const back = await timed(() => b.read());
        if (back.length !== n || back[n - 1] !== (id & 255)) throw new Error("bad read-back");
        await timed(() => b.free());
      } else if (pick < 8) {
        const i = next() % 20_000;
        await timed(() => c.query(0n, `${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.7`));
      } else if (pick === 8) {
        const db = await timed(() => c.openDatabase("small.mxy"));
        await timed(() => c.query(db, "10.0.1.1"));
        await timed(() => c.closeDatabase(db));
      } else {
        const db = await timed(() => c.loadDatabase(upload));
        await timed(() => c.query(db, "10.0.0.9"));
        await timed(() => c.closeDatabase(db));
      }
    } catch (e) {
      const code = (e as { code?: string }).code ?? String(e);
      errors[code] = (errors[code] ?? 0) + 1;
    }
  }
  c.close();
}

// --- hostile clients -------------------------------------------------------------------------
const attacks: Record<string, Record<string, number>> = {};
function note(kind: string, what: string): void {
  const a = attacks[kind] ??= {};
  a[what] = (a[what] ?? 0) + 1;
}
function header(command: number, size: number, flags = 0, handle = 1n): Uint8Array {
  return encodeEtherHeader({ command, flags, handle, size, reserved: 0 });
}
async function drain(s: TcpStream): Promise<void> {
  const buf = new Uint8Array(65536);
  while ((await s.read(buf)) !== null);
}

const HOSTILE_KINDS = ["shared", "decode", "slowloris", "stall", "blocks", "opens"];
async function hostile(kind: string): Promise<void> {
  while (performance.now() < until) {
    try {
      if (kind === "shared" || kind === "decode") {
        const c = await connectEther("127.0.0.1", { port, timeout: 30_000 });
        const db = await c.loadDatabase(kind === "shared" ? shared : bigRecord);
        while (performance.now() < until) {
          await c.query(db, "1.2.3.4").then(
            () => note(kind, "answered"),
            (e) => note(kind, e.code),
          );
        }
        c.close();
      } else if (kind === "slowloris") {
        const s = await connectTcp("127.0.0.1", { port });
        const closed = drain(s).then(() => note(kind, "closed by the server"));
        let open = true;
        closed.then(() => (open = false));
        await s.writeAll(header(EtherCommand.WRITE, 65536));
        while (open && performance.now() < until) {
          await s.writeAll(new Uint8Array(1)).catch(() => (open = false));
          await sleep(50);
        }
        s.close();
      } else if (kind === "stall") {
        const s = await connectTcp("127.0.0.1", { port });
        await s.writeAll(header(EtherCommand.WRITE, 16 * MiB));
        await s.writeAll(new Uint8Array(1024));
        const closed = await Promise.race([
          drain(s).then(() => true),
          sleep(until - performance.now()).then(() => false),
        ]);
        note(kind, closed ? "closed by the server" : "held to the end (reserved)");
        s.close();
      } else if (kind === "blocks" || kind === "opens") {
        const c: EtherClient = await connectEther("127.0.0.1", { port, timeout: 30_000 });
        while (performance.now() < until) {
          const ok = await (kind === "blocks"
            ? c.request(EtherCommand.ALLOC, { size: 1, flags: EtherFlag.NO_PAYLOAD })
            : c.openDatabase("live.mxy")).then(() =>
              true, (e) => (note(kind, e.code), false));
          if (!ok) break;
          note(kind, "granted");
        }
        await sleep(Math.max(0, until - performance.now())); // hold what was granted
        c.close();
      }
    } catch (e) {
      note(kind, `failed: ${(e as Error).message.slice(0, 60)}`);
      await sleep(100);
    }
  }
}

const t0 = performance.now();
let elapsed = 0;
await Promise.all([
  Promise.all(Array.from({ length: CLIENTS }, (_, i) => honest(i))).then(() => {
    elapsed = (performance.now() - t0) / 1000; // the honest clients' time
  }),
  ...Array.from({ length: HOSTILE }, (_, i) => hostile(HOSTILE_KINDS[i % HOSTILE_KINDS.length])),
]);

// --- the end ---------------------------------------------------------------------------------
const probe = await connectEther("127.0.0.1", { port });
const stats = await probe.stats();
probe.close();
await sleep(500);
rss.end = rssBytes();
sampling = false;
await sampler;
child.kill("SIGTERM");
await child.status;
await draining;
await Deno.remove(dir, { recursive: true });

latencies.sort((a, b) => a - b);
const q = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
const mb = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
const result = {
  clients: CLIENTS,
  hostile: HOSTILE,
  seconds: Number(elapsed.toFixed(1)),
  honestRps: Math.round(requests / elapsed),
  p50Ms: Number(q(0.5).toFixed(2)),
  p99Ms: Number(q(0.99).toFixed(2)),
  maxMs: Number(q(1).toFixed(1)),
  honestErrors: errors,
  attacks,
  rss: { start: mb(rss.start), peak: mb(rss.peak), end: mb(rss.end) },
  serverAtEnd: {
    memoryInUse: mb(stats.memoryInUse as number),
    memoryPeak: mb(stats.memoryPeak as number),
    timeouts: stats.timeouts,
    connections: stats.connections,
  },
};
console.log(JSON.stringify(result, null, 2));
