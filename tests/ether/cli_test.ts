import assert from "node:assert/strict";
import { VERSION } from "../../lib/core/version.ts";
import { DatabaseBuilder } from "../../lib/db/mod.ts";
import {
  decodeEtherHeader,
  encodeEtherHeader,
  encodeEtherMessage,
  EtherCommand,
  EtherFlag,
} from "../../lib/ether/mod.ts";
import { connectEther, connectTcp, listenTcp } from "../../lib/runtime/mod.ts";
import { fixture } from "../_fixtures.ts";
import { type MxyRun, ROOT, runMxy } from "../_mxy.ts";
import { runFileOperations } from "./_file_operations.ts";

function mxy(args: string[]): Promise<MxyRun> {
  return runMxy(args);
}

/** A running `mxy serve` subprocess. */
interface Served {
  port: string;
  /** Sends SIGTERM and waits: exit status and everything it wrote on stderr. */
  stop(): Promise<{ status: Deno.CommandStatus; stderr: string }>;
}

/** Starts `mxy serve --port 0 ARGS…` and waits until it listens. */
async function serve(args: string[]): Promise<Served> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}cli/main.ts`, "serve", "--port", "0", ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let err = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  while (!/listening on [\d.]+:\d+/.test(err)) {
    const { value, done } = await reader.read();
    if (done) break;
    err += value;
  }
  const port = /listening on [\d.]+:(\d+)/.exec(err)?.[1];
  // keep draining stderr so that the server never blocks on a full pipe
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      err += value;
    }
  })();
  if (!port) {
    child.kill("SIGKILL");
    await child.status;
    await rest;
    throw new Error(`mxy serve did not start: ${err}`);
  }
  return {
    port,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      const status = await child.status;
      await rest;
      await child.stdout.cancel();
      return { status, stderr: err };
    },
  };
}

Deno.test("mxy serve runs, mxy ether talks to it, and SIGTERM exits 0 with statistics", {
  ignore: !fixture("mmdb/test-data"),
}, async () => {
  const dir = fixture("mmdb/test-data")!;
  const server = await serve(["--db", `${dir}/MaxMind-DB-test-ipv4-24.mmdb`, "--db-dir", dir]);
  const port = server.port;
  try {
    const ping = await mxy(["ether", "ping", "-p", port]);
    assert.equal(ping.code, 0, ping.stderr);
    assert.match(
      ping.stdout,
      new RegExp(`mxy/${VERSION.replaceAll(".", "\\.")}, capabilities 0x[0-9a-f]+`),
    );
    assert.match(ping.stdout, /PONG from 127\.0\.0\.1:\d+: seq=1/);

    const alloc = await mxy([
      "ether",
      "alloc",
      "6",
      "--hex",
      "01 02 03",
      "--read",
      "--free",
      "-p",
      port,
    ]);
    assert.equal(alloc.code, 0, alloc.stderr);
    assert.match(alloc.stdout, /^0x[0-9a-f]{16}\n010203000000\n$/);

    const q = await mxy(["ether", "query", "-p", port, "1.1.1.3", "9.9.9.9"]);
    assert.equal(q.code, 0); // as mxy query: 0 when one query matched, 1 when none did
    assert.equal(
      q.stdout,
      '{"kind":"ip","data":{"ip":"1.1.1.2"},"network":"1.1.1.2/31","prefixLength":31}\nnull\n',
    );
    const none = await mxy(["ether", "query", "-p", port, "9.9.9.9"]);
    assert.equal(none.code, 1);
    assert.equal(none.stdout, "null\n");

    const free = await mxy(["ether", "free", "0x1234", "-p", port]);
    assert.equal(free.code, 1);
    assert.match(free.stderr, /NOTFOUND/);

    const usage = await mxy(["ether", "read", "nothex", "4", "-p", port]);
    assert.equal(usage.code, 2);
  } finally {
    const { status, stderr } = await server.stop();
    assert.equal(status.code, 0, stderr);
    assert.match(stderr, /SIGTERM: finishing requests in flight/);
    assert.match(stderr, /stopped; statistics \{"connections":0,/);
  }
});

Deno.test("mxy serve --db never dies whatever is done to the file, and answers from the last good version", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mxy-serve-file-ops-" });
  const file = `${dir}/live.mxy`;
  const other = `${dir}/other.mxy`;
  const build = (tag: string) => {
    const b = new DatabaseBuilder({ buildEpoch: 1 });
    b.add("10.0.0.0/8", { tag });
    return b.build();
  };
  await Deno.writeFile(file, build("loaded"));
  await Deno.writeFile(other, build("other"));
  const server = await serve(["--db", file, "--db-dir", dir, "--reload-interval", "10"]);
  try {
    const c = await connectEther("127.0.0.1", { port: Number(server.port) });
    const opened = await c.openDatabase("live.mxy");
    const tag = async (db: bigint) =>
      ((await c.query(db, "10.1.2.3")) as { data: { tag: string } }).data.tag;
    await runFileOperations(file, { build, other, tag: () => tag(0n) });
    assert.equal(await tag(opened), "loaded", "the DB_OPEN database keeps its bytes");
    await c.closeDatabase(opened);
    c.close();
  } finally {
    const { status, stderr } = await server.stop();
    await Deno.remove(dir, { recursive: true });
    assert.equal(status.signal, null, `mxy serve was killed by ${status.signal}: ${stderr}`);
    assert.equal(status.code, 0, stderr);
    assert.match(stderr, /changed but is not a valid database/);
    assert.match(stderr, /"reloads":6/); // other, same-1, same-2, rsync, halves, anew
    assert.doesNotMatch(stderr, /reloading database 0 failed/);
  }
});

Deno.test("mxy serve refuses a non-loopback address without a token (exit 2)", async () => {
  const r = await mxy(["serve", "--host", "0.0.0.0", "--port", "0"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /non-loopback address 0\.0\.0\.0 without a token/);
});

Deno.test("mxy serve exits on SIGTERM by --shutdown-timeout though a client trickles a request", async () => {
  const server = await serve(["--shutdown-timeout", "300", "--frame-timeout", "60000"]);
  const s = await connectTcp("127.0.0.1", { port: Number(server.port) });
  // a WRITE of 1000 bytes, sent a byte at a time
  await s.writeAll(
    encodeEtherHeader({ command: 0x20, flags: 0, handle: 1n, size: 1000, reserved: 0 }),
  );
  let trickling = true;
  const trickle = (async () => {
    while (trickling) {
      await s.writeAll(new Uint8Array(1)).catch(() => (trickling = false));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await new Promise((r) => setTimeout(r, 100));
  const t0 = performance.now();
  const { status, stderr } = await server.stop();
  const took = performance.now() - t0;
  trickling = false;
  await trickle;
  s.close();
  assert.equal(status.code, 0, stderr);
  assert.match(stderr, /closing 1 connections still open after 300 ms/);
  assert.ok(took < 5000, `exit took ${took.toFixed(0)} ms`);
});

Deno.test("mxy ether query escapes control characters a server puts in its JSON", async () => {
  const listener = listenTcp(0, { host: "127.0.0.1" });
  const serving = (async () => {
    const s = await listener.accept();
    if (!s) return;
    const buf = new Uint8Array(65536);
    let have = new Uint8Array(0);
    for (;;) {
      while (have.length < 24) {
        const n = await s.read(buf);
        if (!n) return s.close();
        const next = new Uint8Array(have.length + n);
        next.set(have);
        next.set(buf.subarray(0, n), have.length);
        have = next;
      }
      const h = decodeEtherHeader(have);
      const body = (h.flags & EtherFlag.NO_PAYLOAD) !== 0 ? 0 : h.size;
      if (have.length < 24 + body) continue;
      have = have.slice(24 + body);
      const reply = h.command === EtherCommand.DB_QUERY
        ? encodeEtherMessage(
          { command: EtherCommand.OK },
          new TextEncoder().encode('{"a":"\x1b]0;owned\x07\u202e"}'),
        )
        : encodeEtherMessage({ command: EtherCommand.PONG });
      await s.writeAll(reply);
    }
  })();
  try {
    const r = await mxy(["ether", "query", "1.2.3.4", "-p", String(listener.port)]);
    assert.equal(r.code, 0, r.stderr);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(r.stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    assert.deepEqual(JSON.parse(r.stdout), { a: "\x1b]0;owned\x07\u202e" }, "the same JSON");
  } finally {
    listener.close();
    await serving;
  }
});
