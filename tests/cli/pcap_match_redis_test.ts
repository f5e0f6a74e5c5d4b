/**
 * `mxy pcap match` on Redis Streams, against a redis-server on 127.0.0.1 and a random port: the
 * producer announces capture files, two workers at once match them, and the records are exactly
 * what `mxy pcap match` prints for each file, with the entry id, the hit's number, the database
 * version and the file; a capture that cannot be read gets an error record; every entry is
 * acknowledged; a worker given --db-key uses the version published there.
 */
import assert from "node:assert/strict";
import { DatabaseBuilder } from "../../lib/db/mod.ts";
import { hasProgram } from "../_fixtures.ts";
import { ROOT, runMxy } from "../_mxy.ts";
import { type RedisServer, startRedis } from "./_redis_server.ts";
import { type RedisReply, text } from "../../cli/commands/_redis_connect.ts";

const HAVE_REDIS = hasProgram("redis-server");
/** What a worker puts before the fields of `mxy pcap match`'s record. */
const PREFIX = /^\{"id":"[^"]+","hit":\d+,"db":"[0-9a-f]{16}","file":"[^"]*",/;

Deno.test({
  name: "mxy pcap match --to-redis and two --from-redis workers find what mxy pcap match finds",
  ignore: !HAVE_REDIS,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "mxy-pcap-redis-" });
    const redis = await startRedis();
    try {
      const db = `${dir}/iocs.mxy`;
      const b = await runMxy([
        "build",
        `${ROOT}testdata/ioc_sample.csv`,
        `${ROOT}testdata/sample.jsonl`,
        "-o",
        db,
      ]);
      assert.equal(b.code, 0, b.stderr);
      const captures = [0, 1, 2, 3].map((i) => `${dir}/capture-${i}.pcapng`);
      for (const c of captures) await Deno.copyFile(`${ROOT}testdata/sample.pcapng`, c);
      const direct = await runMxy(["pcap", "match", db, captures[0]]);
      assert.equal(direct.code, 0, direct.stderr);
      const want = direct.stdout.trimEnd().split("\n");
      assert.equal(want.length, 9);

      const p = await runMxy([
        "pcap",
        "match",
        "--to-redis",
        redis.url,
        "--stream",
        "caps",
        ...captures,
      ]);
      assert.equal(p.code, 0, p.stderr);
      await redis.client.command(["XADD", "caps", "*", "path", `${dir}/missing.pcap`]);
      const work = (name: string) =>
        runMxy([
          "pcap",
          "match",
          db,
          "--from-redis",
          redis.url,
          "--stream",
          "caps",
          "--group",
          "g",
          "--consumer",
          name,
          "--create-group",
          "--to-stream",
          "hits",
          "--drain",
        ]);
      const ws = await Promise.all([work("w1"), work("w2")]);
      for (const w of ws) assert.equal(w.code, 0, w.stderr);

      const ids = (await redis.client.command(["XRANGE", "caps", "-", "+"]) as RedisReply[])
        .map((e) => text((e as RedisReply[])[0]));
      const out = new Map<string, string[]>();
      for (const e of await redis.client.command(["XRANGE", "hits", "-", "+"]) as RedisReply[]) {
        const f = (e as RedisReply[])[1] as RedisReply[];
        assert.equal(text(f[0]), "id");
        out.set(text(f[1]), text(f[3]).split("\n"));
      }
      assert.deepEqual([...out.keys()].sort(), [...ids].sort());
      for (const [i, c] of captures.entries()) {
        const lines = out.get(ids[i])!;
        const recs = lines.map((l) => JSON.parse(l));
        assert.deepEqual(
          recs.map((r) => [r.id, r.hit, r.file]),
          recs.map((_, n) => [ids[i], n, c]),
        );
        // the rest of each record as mxy pcap match prints it (compared as text: ts_ns has more
        // digits than a JavaScript number keeps)
        assert.deepEqual(lines.map((l) => l.replace(PREFIX, "{")), want);
      }
      const [bad] = out.get(ids[4])!.map((l) => JSON.parse(l));
      assert.match(bad.error, /Cannot open capture: .*missing\.pcap/);
      const pending = await redis.client.command(["XPENDING", "caps", "g"]) as RedisReply[];
      assert.equal(pending[0], 0);

      // a database version published at a key: a worker given --db-key uses it, and says so
      const db2 = `${dir}/iocs-v2.mxy`;
      const builder = new DatabaseBuilder({ buildEpoch: 1 });
      builder.add("198.51.100.0/24", { threat: "version-2" });
      await Deno.writeFile(db2, builder.build());
      const want2 = (await runMxy(["pcap", "match", db2, captures[0]])).stdout.trimEnd();
      assert.notEqual(want2, want.join("\n"));
      const pub = await runMxy([
        "match",
        "--to-redis",
        redis.url,
        "--db-key",
        "iocs",
        "--publish-db",
        db2,
      ]);
      assert.equal(pub.code, 0, pub.stderr);
      const p2 = await runMxy([
        "pcap",
        "match",
        "--to-redis",
        redis.url,
        "--stream",
        "caps2",
        captures[0],
      ]);
      assert.equal(p2.code, 0, p2.stderr);
      const w2 = await runMxy([
        "pcap",
        "match",
        db,
        "--from-redis",
        redis.url,
        "--stream",
        "caps2",
        "--group",
        "g",
        "--create-group",
        "--db-key",
        "iocs",
        "--drain",
      ]);
      assert.equal(w2.code, 0, w2.stderr);
      const lines2 = w2.stdout.trimEnd().split("\n");
      assert.deepEqual(lines2.map((l) => l.replace(PREFIX, "{")).join("\n"), want2);
      const version = new Set(lines2.map((l) => JSON.parse(l).db));
      assert.equal(version.size, 1);
      const sha = new Uint8Array(await crypto.subtle.digest("SHA-256", await Deno.readFile(db2)));
      const hex = [...sha].map((x) => x.toString(16).padStart(2, "0")).join("").slice(0, 16);
      assert.deepEqual([...version], [hex]);

      const usage = await runMxy([
        "pcap",
        "match",
        db,
        "--from-redis",
        redis.url,
        "--stream",
        "caps",
      ]);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /--from-redis needs --group NAME/);
    } finally {
      await redis.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Stops `w` (SIGSTOP) at a moment it holds entries of `stream`, and returns their ids. */
async function stopWhileHolding(
  redis: RedisServer,
  w: Deno.ChildProcess,
  stream: string,
  name: string,
): Promise<string[]> {
  const held = async () => {
    const r = await redis.client.command(["XPENDING", stream, "g", "-", "+", "100", name]);
    return (r as RedisReply[]).map((e) => text((e as RedisReply[])[0]));
  };
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  for (let i = 0; i < 20_000; i++) {
    w.kill("SIGSTOP");
    const ids = await held().catch(() => []);
    if (ids.length > 0) {
      // an acknowledgement it had sent could still land: holding means holding for a moment
      await pause(100);
      const again = await held();
      if (again.join() === ids.join()) return ids;
    }
    w.kill("SIGCONT");
    await pause(1);
  }
  throw new Error(`${name} never held an entry`);
}

/** The output stream's entries: input entry id → its records (lines). */
async function outputsOf(redis: RedisServer, stream: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const e of await redis.client.command(["XRANGE", stream, "-", "+"]) as RedisReply[]) {
    const f = (e as RedisReply[])[1] as RedisReply[];
    const id = text(f[1]), lines = text(f[3]).split("\n");
    // a re-delivered entry is matched again to the same records
    if (out.has(id)) assert.deepEqual(lines, out.get(id), `${id}: two different matches`);
    out.set(id, lines);
  }
  return out;
}

Deno.test({
  name: "mxy pcap match --from-redis: a worker SIGKILLed holding entries, another claims them; " +
    "SIGTERM mid-batch finishes the batch (written, then acknowledged) and exits 0",
  ignore: !HAVE_REDIS,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "mxy-pcap-redis-kill-" });
    const redis = await startRedis();
    const running: Deno.ChildProcess[] = [];
    try {
      const db = `${dir}/iocs.mxy`;
      const b = await runMxy([
        "build",
        `${ROOT}testdata/ioc_sample.csv`,
        `${ROOT}testdata/sample.jsonl`,
        "-o",
        db,
      ]);
      assert.equal(b.code, 0, b.stderr);
      const want = (await runMxy(["pcap", "match", db, `${ROOT}testdata/sample.pcapng`])).stdout
        .trimEnd().split("\n");
      const captures = Array.from({ length: 40 }, (_, i) => `${dir}/c${i}.pcapng`);
      for (const c of captures) await Deno.copyFile(`${ROOT}testdata/sample.pcapng`, c);
      const spawn = (name: string, stream: string, ...more: string[]) => {
        const w = new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            `${ROOT}cli/main.ts`,
            "pcap",
            "match",
            db,
            "--from-redis",
            redis.url,
            "--stream",
            stream,
            "--group",
            "g",
            "--consumer",
            name,
            "--create-group",
            "--to-stream",
            `${stream}-hits`,
            "--claim-idle",
            "300",
            "--batch",
            "4",
            "--stats",
            ...more,
          ],
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        running.push(w);
        return w;
      };
      const end = async (w: Deno.ChildProcess, signal?: Deno.Signal) => {
        if (signal) w.kill(signal);
        const [status, stderr] = await Promise.all([
          w.status,
          new Response(w.stderr).text(),
          w.stdout.cancel(),
        ]);
        running.splice(running.indexOf(w), 1);
        return { code: status.code, stderr };
      };
      const check = async (stream: string) => {
        const ids = (await redis.client.command(["XRANGE", stream, "-", "+"]) as RedisReply[])
          .map((e) => text((e as RedisReply[])[0]));
        assert.equal(ids.length, captures.length);
        const out = await outputsOf(redis, `${stream}-hits`);
        assert.deepEqual([...out.keys()].sort(), [...ids].sort(), "every capture matched");
        for (const lines of out.values()) {
          assert.deepEqual(lines.map((l) => l.replace(PREFIX, "{")), want);
        }
        const pending = await redis.client.command(["XPENDING", stream, "g"]) as RedisReply[];
        assert.equal(pending[0], 0);
      };

      // SIGKILL: A holds entries and dies; B claims them once they are idle for 300 ms
      const a = spawn("A", "kill");
      await until(async () => (await groupConsumers(redis, "kill")) === 1);
      // stopped while its read waits: the first entries go to it (a loaded machine cannot let
      // it finish them all before it is caught holding some)
      a.kill("SIGSTOP");
      const p = await runMxy([
        "pcap",
        "match",
        "--to-redis",
        redis.url,
        "--stream",
        "kill",
        ...captures,
      ]);
      assert.equal(p.code, 0, p.stderr);
      const heldByA = await stopWhileHolding(redis, a, "kill", "A");
      a.kill("SIGKILL");
      assert.equal((await end(a)).code, 137);
      const bKill = await end(spawn("B", "kill", "--drain"));
      assert.equal(bKill.code, 0, bKill.stderr);
      assert.match(bKill.stderr, /\(([1-9]\d*) claimed from other workers/);
      await check("kill");
      assert.ok(heldByA.length > 0);

      // SIGTERM while C holds a batch: C writes and acknowledges it, then exits 0; what it never
      // read is left to D
      const c = spawn("C", "term");
      await until(async () => (await groupConsumers(redis, "term")) === 1);
      // stopped while its read waits: the first entries go to it (a loaded machine cannot let
      // it finish them all before it is caught holding some)
      c.kill("SIGSTOP");
      const p2 = await runMxy([
        "pcap",
        "match",
        "--to-redis",
        redis.url,
        "--stream",
        "term",
        ...captures,
      ]);
      assert.equal(p2.code, 0, p2.stderr);
      const heldByC = await stopWhileHolding(redis, c, "term", "C");
      c.kill("SIGTERM");
      c.kill("SIGCONT");
      const cEnd = await end(c);
      assert.equal(cEnd.code, 0, cEnd.stderr);
      assert.match(cEnd.stderr, /interrupted/);
      // what C held is acknowledged and written, never acknowledged unwritten
      const written = await outputsOf(redis, "term-hits");
      const stillPending = ((await redis.client.command([
        "XPENDING",
        "term",
        "g",
        "-",
        "+",
        "100",
        "C",
      ])) as RedisReply[])
        .map((e) => text((e as RedisReply[])[0]));
      for (const id of heldByC) assert.ok(written.has(id) || stillPending.includes(id), id);
      assert.deepEqual(stillPending.filter((id) => written.has(id)), []);
      const dEnd = await end(spawn("D", "term", "--drain"));
      assert.equal(dEnd.code, 0, dEnd.stderr);
      await check("term");
    } finally {
      for (const w of running) {
        try {
          w.kill("SIGKILL");
        } catch {
          // it had ended
        }
        await Promise.all([w.status, w.stdout.cancel(), w.stderr.cancel()]);
      }
      await redis.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function groupConsumers(redis: RedisServer, stream: string): Promise<number> {
  const r = await redis.client.command(["XINFO", "CONSUMERS", stream, "g"]).catch(() => []);
  return (r as RedisReply[]).length;
}

async function until(test: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}
