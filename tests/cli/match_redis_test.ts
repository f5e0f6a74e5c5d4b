/**
 * `mxy match` on Redis Streams, against a redis-server on 127.0.0.1 and a random port: the
 * producer and a worker find what `mxy match` finds (chunks, lines, byte ranges); clear errors
 * (refused connection, missing stream or group, a password on the command line, a wrong
 * password, an entry without text); database versions published at a key and loaded between
 * batches; and the crash test: three workers, one SIGKILLed holding an entry, Redis killed and
 * restarted, every planted hit found once the duplicates are dropped by entry id, nothing else.
 */
import assert from "node:assert/strict";
import { DatabaseBuilder } from "../../lib/db/mod.ts";
import { hasProgram } from "../_fixtures.ts";
import { ROOT, runMxy } from "../_mxy.ts";
import { type RedisServer, startRedis } from "./_redis_server.ts";
import { sha256Hex } from "../../cli/commands/_redis_database.ts";
import {
  RedisConnection,
  type RedisReply,
  redisTarget,
  text,
} from "../../cli/commands/_redis_connect.ts";
import { UsageError } from "../../cli/_command.ts";
import { splitRanges, splitText } from "../../cli/commands/_redis_producer.ts";

const HAVE_REDIS = hasProgram("redis-server");

const dir = await Deno.makeTempDir({ prefix: "mxy-match-redis-" });
const DB = `${dir}/iocs.mxy`;
const DB2 = `${dir}/iocs-v2.mxy`;
for (const [path, more] of [[DB, []], [DB2, ["fresh-threat.com"]]] as const) {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  b.add("198.51.100.0/24", { threat: "scanner" });
  b.add("evil.com", { threat: "c2" });
  b.add("glob:*.tracker.net", { threat: "tracking" });
  for (const m of more) b.add(m, { threat: "fresh" });
  await Deno.writeFile(path, b.build());
}
/** Lines with a hit every 7th line: `evil.com` and an address of 198.51.100.0/24. */
function logText(lines: number, tag: string): string {
  const out: string[] = [];
  for (let i = 1; i <= lines; i++) {
    out.push(
      i % 7 === 0
        ? `${tag}${i} GET http://www.example.org/?u=evil.com from 198.51.100.${i % 256} ok`
        : `${tag}${i} GET /index.html?q=${i} from 10.${i % 256}.0.1 "Mozilla/5.0 Chrome/120.0.0.0"`,
    );
  }
  return out.join("\n") + "\n";
}
const LOG = `${dir}/access.log`;
await Deno.writeTextFile(LOG, logText(3000, "a"));

interface Rec {
  id: string;
  hit: number;
  db: string;
  file: string;
  line: number;
  offset: number;
  text: string;
  kind: string;
}

function parse(out: string): Rec[] {
  return out.trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

/** What a record says about the hit, without the stream's part. */
function hitKey(r: Rec): string {
  return `${r.file}:${r.line}:${r.offset}:${r.text}:${r.kind}`;
}

/** The output entries of a stream: the input entry id and its records. */
async function outputs(redis: RedisServer, stream: string): Promise<[string, Rec[]][]> {
  const all = await redis.client.command(["XRANGE", stream, "-", "+"]) as RedisReply[];
  return all.map((e) => {
    const f = (e as RedisReply[])[1] as RedisReply[];
    assert.deepEqual([text(f[0]), text(f[2])], ["id", "records"]);
    return [text(f[1]), parse(text(f[3]))];
  });
}

async function records(redis: RedisServer, stream: string): Promise<Rec[]> {
  return (await outputs(redis, stream)).flatMap(([, recs]) => recs);
}

function worker(redis: RedisServer, args: string[], env?: Record<string, string>) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}cli/main.ts`, "match", DB, "--from-redis", redis.url, ...args],
    stdout: "piped",
    stderr: "piped",
    env,
  }).spawn();
}

async function until(what: string, test: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("splitText() and splitRanges() cut at newlines and count lines", async () => {
  const body = new TextEncoder().encode("ab\n\ncd ef gh\nlast");
  const stream = () => new Blob([body]).stream();
  const pieces = async (size: number, lines: boolean) => {
    const out: string[] = [];
    for await (const p of splitText(stream(), size, lines)) {
      out.push(`${p.offset}:${p.line}:${new TextDecoder().decode(p.data)}`);
    }
    return out;
  };
  assert.deepEqual(await pieces(4096, true), ["0:1:ab\n", "4:3:cd ef gh\n", "13:4:last"]);
  assert.deepEqual(await pieces(4096, false), ["0:1:ab\n\ncd ef gh\nlast"]);
  await Deno.writeTextFile(`${dir}/ranges.txt`, "x".repeat(5000) + "\n" + "y\n".repeat(3000));
  const ranges = [];
  for await (const r of splitRanges(`${dir}/ranges.txt`, 4096)) ranges.push(r);
  assert.deepEqual(ranges, [
    { start: 0, end: 5001, line: 1 },
    { start: 5001, end: 9099, line: 2 },
    { start: 9099, end: 11001, line: 2051 },
  ]);
});

Deno.test("splitText() sends the whole lines it holds when the input pauses", async () => {
  const pausedStream = () => {
    const parts = ["a\nb", "c\n"];
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const part = parts.shift();
        if (part === undefined) return controller.close();
        if (part === "c\n") await new Promise((r) => setTimeout(r, 300));
        controller.enqueue(new TextEncoder().encode(part));
      },
    });
  };
  const pieces = async (flushAfterMs: number) => {
    const out: string[] = [];
    for await (const p of splitText(pausedStream(), 4096, false, { flushAfterMs })) {
      out.push(`${p.offset}:${p.line}:${new TextDecoder().decode(p.data)}`);
    }
    return out;
  };
  assert.deepEqual(await pieces(20), ["0:1:a\n", "2:2:bc\n"]);
  assert.deepEqual(await pieces(0), ["0:1:a\nbc\n"]);
});

Deno.test({
  name: "mxy match --to-redis and --from-redis find what mxy match finds: chunks, lines, ranges",
  ignore: !HAVE_REDIS,
  fn: async () => {
    const redis = await startRedis();
    try {
      const direct = parse((await runMxy(["match", DB, LOG])).stdout);
      assert.equal(direct.length, 2 * Math.floor(3000 / 7));
      const version = (await sha256Hex(await Deno.readFile(DB))).slice(0, 16);
      for (const split of ["chunks", "lines", "ranges"]) {
        const stream = `in-${split}`;
        const p = await runMxy([
          "match",
          "--to-redis",
          redis.url,
          "--stream",
          stream,
          "--split",
          split,
          "--chunk-size",
          "8192",
          LOG,
        ]);
        assert.equal(p.code, 0, p.stderr);
        const w = await runMxy([
          "match",
          DB,
          "--from-redis",
          redis.url,
          "--stream",
          stream,
          "--group",
          "g",
          "--create-group",
          "--drain",
        ]);
        assert.equal(w.code, 0, w.stderr);
        const got = parse(w.stdout);
        const file = split === "ranges" ? await Deno.realPath(LOG) : LOG;
        assert.deepEqual(
          got.map((r) => ({ ...r, id: undefined, hit: undefined, db: undefined, file: LOG })),
          direct.map((r) => ({ ...r, id: undefined, hit: undefined, db: undefined })),
          split,
        );
        assert.ok(got.every((r) => r.file === file && r.db === version), split);
        // ids are the stream's, hits numbered within each entry
        const ids = (await redis.client.command(["XRANGE", stream, "-", "+"]) as RedisReply[])
          .map((e) => text((e as RedisReply[])[0]));
        assert.ok(got.every((r) => ids.includes(r.id)), split);
        assert.equal(got.filter((r) => r.hit === 0).length, new Set(got.map((r) => r.id)).size);
        const pending = await redis.client.command(["XPENDING", stream, "g"]) as RedisReply[];
        assert.equal(pending[0], 0);
      }
    } finally {
      await redis.stop();
    }
  },
});

Deno.test({
  name: "mxy match --from-redis/--to-redis: clear errors, credentials from the environment",
  ignore: !HAVE_REDIS,
  fn: async () => {
    const redis = await startRedis();
    try {
      const work = (args: string[], env?: Record<string, string>) =>
        runMxy(["match", DB, "--from-redis", redis.url, "--drain", ...args], { env });
      const missing = await work(["--stream", "nope", "--group", "g"]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /Stream "nope" does not exist .*--create-group/);
      await redis.client.command(["XADD", "s", "*", "data", "evil.com"]);
      const noGroup = await work(["--stream", "s", "--group", "g"]);
      assert.equal(noGroup.code, 1);
      assert.match(noGroup.stderr, /has no consumer group "g" \(groups: none; pass --create-group/);
      // an entry without text is answered with an error record and acknowledged
      await redis.client.command(["XADD", "s", "*", "other", "x"]);
      const ok = await work(["--stream", "s", "--group", "g", "--create-group"]);
      assert.equal(ok.code, 0, ok.stderr);
      const [hit, bad] = parse(ok.stdout) as unknown as Record<string, unknown>[];
      assert.equal(hit.text, "evil.com");
      assert.equal(hit.file, "(stream s)");
      assert.match(String(bad.error), /neither a "data" nor a "path" field \(fields: other\)/);
      assert.match(ok.stderr, /entry \d+-\d+: has neither/);

      const closed = await runMxy([
        "match",
        DB,
        "--from-redis",
        "redis://127.0.0.1:1",
        "--stream",
        "s",
        "--group",
        "g",
      ]);
      assert.equal(closed.code, 1);
      assert.match(
        closed.stderr,
        /Cannot connect to Redis at redis:\/\/127\.0\.0\.1:1: connection refused/,
      );
      const inUrl = await runMxy([
        "match",
        "--to-redis",
        `redis://alice:secret@127.0.0.1:${redis.port}`,
        "--stream",
        "s",
        LOG,
      ]);
      assert.equal(inUrl.code, 2);
      assert.match(inUrl.stderr, /put the password in MXY_REDIS_PASSWORD, not in the URL/);
      // URLs that are not Redis URLs: usage errors (exit 2, as the password in the URL above)
      for (
        const [url, message] of [
          ["127.0.0.1:6379", /"127\.0\.0\.1:6379" is not a URL \(redis:\/\/host:port\)/],
          ["localhost:6379", /"localhost:6379" is not a redis:\/\/ or rediss:\/\/ URL/],
          ["redis//127.0.0.1", /"redis\/\/127\.0\.0\.1" is not a URL/],
          ["http://127.0.0.1:6379", /is not a redis:\/\/ or rediss:\/\/ URL/],
        ] as const
      ) {
        assert.throws(() => redisTarget(url, "--from-redis"), (e: Error) => {
          assert.ok(e instanceof UsageError, url);
          assert.match(e.message, message, url);
          return true;
        });
      }
      for (const bad of [["--group", "g"], ["--split", "words"], ["-c"]]) {
        const u = await runMxy(["match", "--to-redis", redis.url, "--stream", "s", ...bad, LOG]);
        assert.equal(u.code, 2, bad.join(" "));
      }

      // an ACL user with only the rights docs/SCALING.md lists, on its own keys
      await redis.client.command([
        "ACL",
        "SETUSER",
        "alice",
        "on",
        ">secret",
        "~by-alice",
        "~hits-alice",
        "~iocs-alice",
        "+@stream",
        "+@transaction",
        "+@connection",
        "+hset",
        "+hmget",
      ]);
      const aliceUrl = `redis://alice@127.0.0.1:${redis.port}`;
      const produce = (password: string) =>
        runMxy([
          "match",
          "--to-redis",
          aliceUrl,
          "--stream",
          "by-alice",
          "--db-key",
          "iocs-alice",
          "--publish-db",
          DB,
          LOG,
        ], { env: { MXY_REDIS_PASSWORD: password } });
      const wrong = await produce("guess");
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /refused the login of user "alice": wrong user name or password/);
      const right = await produce("secret");
      assert.equal(right.code, 0, right.stderr);
      assert.ok((await redis.client.command(["XLEN", "by-alice"]) as number) > 0);
      const alice = await runMxy([
        "match",
        DB,
        "--from-redis",
        aliceUrl,
        "--stream",
        "by-alice",
        "--group",
        "g",
        "--create-group",
        "--to-stream",
        "hits-alice",
        "--db-key",
        "iocs-alice",
        "--drain",
      ], { env: { MXY_REDIS_USERNAME: "nobody", MXY_REDIS_PASSWORD: "secret" } });
      assert.equal(alice.code, 0, alice.stderr);
      assert.equal(
        (await records(redis, "hits-alice")).length,
        2 * Math.floor(3000 / 7),
      );
      // a key outside the user's rights: Redis's refusal, named
      const denied = await runMxy(
        ["match", "--to-redis", aliceUrl, "--stream", "not-alices", LOG],
        { env: { MXY_REDIS_PASSWORD: "secret" } },
      );
      assert.equal(denied.code, 1);
      assert.match(
        denied.stderr,
        /Redis at redis:\/\/alice@[^ ]+ refused the producer \(stream "not-alices"\): NOPERM/,
      );
      // a server that needs a password, and none given (the test's own connection stays in)
      await redis.client.command(["CONFIG", "SET", "requirepass", "hunter2"]);
      const none = await work(["--stream", "s", "--group", "g"]);
      assert.equal(none.code, 1);
      assert.match(none.stderr, /Redis needs a password: set MXY_REDIS_PASSWORD/);
      const given = await work(["--stream", "s", "--group", "g"], {
        MXY_REDIS_PASSWORD: "hunter2",
      });
      assert.equal(given.code, 0, given.stderr);
    } finally {
      await redis.stop();
    }
  },
});

Deno.test({
  name: "mxy match --from-redis --db-key loads a published database version between batches",
  ignore: !HAVE_REDIS,
  fn: async () => {
    const redis = await startRedis();
    const w = worker(redis, [
      "--stream",
      "in",
      "--group",
      "g",
      "--create-group",
      "--to-stream",
      "out",
      "--db-key",
      "iocs",
      "--claim-idle",
      "200",
    ]);
    const stop = async (signal: Deno.Signal = "SIGTERM") => {
      w.kill(signal);
      const [status, stderr] = await Promise.all([
        w.status,
        new Response(w.stderr).text(),
        w.stdout.cancel(),
      ]);
      assert.equal(status.code, signal === "SIGTERM" ? 0 : 137, stderr);
      return stderr;
    };
    try {
      const v1 = (await sha256Hex(await Deno.readFile(DB))).slice(0, 16);
      const v2 = (await sha256Hex(await Deno.readFile(DB2))).slice(0, 16);
      const produce = async (body: string, ...more: string[]) => {
        const p = await runMxy(["match", "--to-redis", redis.url, "--stream", "in", ...more], {
          stdin: body,
        });
        assert.equal(p.code, 0, p.stderr);
      };
      await produce("A evil.com fresh-threat.com\n");
      await until("the first hit", async () => (await records(redis, "out")).length === 1);
      await produce("", "--db-key", "iocs", "--publish-db", DB2);
      await produce("B evil.com fresh-threat.com\n");
      await until("the hits of v2", async () => (await records(redis, "out")).length === 3);
      // a version whose file does not have the published checksum is not loaded
      await redis.client.command(["HSET", "iocs", "sha256", "0".repeat(64)]);
      await produce("C evil.com fresh-threat.com\n");
      await until("the hits of C", async () => (await records(redis, "out")).length === 5);

      const recs = await records(redis, "out");
      assert.deepEqual(recs.map((r) => [r.text, r.db]), [
        ["evil.com", v1],
        ["evil.com", v2],
        ["fresh-threat.com", v2],
        ["evil.com", v2],
        ["fresh-threat.com", v2],
      ]);
    } catch (err) {
      throw new Error(`${(err as Error).message}; the worker said: ${await stop("SIGKILL")}`);
    } finally {
      await redis.stop();
    }
    const stderr = await stop();
    assert.match(stderr, new RegExp(`database version [0-9a-f]{16} .* loaded`));
    assert.match(stderr, /keeping database version [0-9a-f]{16}: version 0000000000000000/);
  },
});

Deno.test({
  name: "mxy match --from-redis and --to-redis started while Redis loads its data wait for it",
  ignore: !HAVE_REDIS,
  fn: async () => {
    // DEBUG RELOAD with a delay per key: Redis answers LOADING until the test lifts the delay
    const redis = await startRedis({
      args: ["--enable-debug-command", "local", "--loading-process-events-interval-bytes", "1024"],
    });
    let loader: RedisConnection | null = null;
    try {
      const args = ["--stream", "in", "--split", "lines", LOG];
      const p = await runMxy(["match", "--to-redis", redis.url, ...args]);
      assert.equal(p.code, 0, p.stderr);
      await redis.client.command(["DEBUG", "POPULATE", "20000"]);
      await redis.client.command(["CONFIG", "SET", "key-load-delay", "2000"]); // 40 s at most
      loader = await RedisConnection.open(redisTarget(redis.url, "test"), { quiet: true });
      const reload = loader.command(["DEBUG", "RELOAD"]);
      const loading = () =>
        redis.client.command(["PING"]).then(() => false, (e) => /^LOADING/.test(e.message));
      await until("Redis loading", loading);
      const worker = runMxy([
        "match",
        DB,
        "--from-redis",
        redis.url,
        "--stream",
        "in",
        "--group",
        "g",
        "--create-group",
        "--drain",
      ]);
      const producer = runMxy(["match", "--to-redis", redis.url, "--stream", "more", "-"], {
        stdin: "evil.com\n",
      });
      // both have asked (PING) and been told LOADING before the data is there
      await until("the worker and the producer at the door", async () => {
        const list = text(await redis.client.command(["CLIENT", "LIST"]) as RedisReply);
        const waiting = list.split("\n").filter((l) => /name=mxy-match-\S+ .* cmd=ping /.test(l));
        return waiting.length === 2;
      }, 40_000);
      assert.ok(await loading(), "Redis had loaded its data before both asked");
      await redis.client.command(["CONFIG", "SET", "key-load-delay", "0"]);
      await reload;
      const [w, more] = await Promise.all([worker, producer]);
      assert.equal(w.code, 0, w.stderr);
      assert.equal(more.code, 0, more.stderr);
      assert.match(w.stderr, /Redis at redis:\/\/127\.0\.0\.1:\d+ is busy \(LOADING .*\); waiting/);
      assert.equal(parse(w.stdout).length, 2 * Math.floor(3000 / 7));
      assert.match(
        more.stderr,
        /Redis at redis:\/\/127\.0\.0\.1:\d+ is busy \(LOADING .*\); waiting/,
      );
      assert.equal(await redis.client.command(["XLEN", "more"]), 1);
    } finally {
      loader?.destroy();
      await redis.stop();
    }
  },
});

Deno.test({
  name: "mxy match --to-redis and three workers at once: a worker SIGKILLed holding an entry and " +
    "a Redis restart under the producer lose no hit; the backlog stays bounded",
  ignore: !HAVE_REDIS,
  fn: async () => {
    const redis = await startRedis({ persistent: true });
    const FILES = [`${dir}/crash-a.log`, `${dir}/crash-b.log`];
    const SIZES = [4000, 3000];
    const MAX_BACKLOG = 16;
    await Deno.writeTextFile(FILES[0], logText(SIZES[0], "a"));
    await Deno.writeTextFile(FILES[1], logText(SIZES[1], "b"));
    const workers: Deno.ChildProcess[] = [];
    const args = (name: string) => [
      "--stream",
      "in",
      "--group",
      "g",
      "--consumer",
      name,
      "--create-group",
      "--to-stream",
      "out",
      "--claim-idle",
      "300",
      "--batch",
      "1",
      "--stats",
    ];
    let longest = 0;
    const backlog = async () => {
      const n = await redis.client.command(["XLEN", "in"]) as number;
      longest = Math.max(longest, n);
      return n;
    };
    try {
      // the producer and three workers at once; the producer waits for room in the stream
      const a = worker(redis, args("A"));
      workers.push(a, worker(redis, args("B")), worker(redis, args("C")));
      // the producer once all three read (a worker slow to start could otherwise find no work)
      const readers = async () => {
        const r = await redis.client.command(["XINFO", "CONSUMERS", "in", "g"]).catch(() => []);
        return (r as RedisReply[]).length;
      };
      await until("three workers reading", async () => await readers() === 3, 60_000);
      let produced = false;
      const producer = runMxy([
        "match",
        "--to-redis",
        redis.url,
        "--stream",
        "in",
        "--chunk-size",
        "4096",
        "--max-backlog",
        String(MAX_BACKLOG),
        "--stats",
        ...FILES,
      ]).finally(() => produced = true);

      // worker A: stopped while it holds an entry, then killed; an acknowledgement it had sent
      // could still land, so it holds an entry once what it holds stays the same for a moment
      const heldBy = async (name: string) => {
        const r = await redis.client.command(["XPENDING", "in", "g", "-", "+", "10", name]);
        return (r as RedisReply[]).map((e) => text((e as RedisReply[])[0])).join(",");
      };
      const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
      // B and C wait meanwhile, so that on a loaded machine they cannot take every entry first
      for (const w of workers.slice(1)) w.kill("SIGSTOP");
      for (let i = 0;; i++) {
        a.kill("SIGSTOP");
        const held = await heldBy("A");
        if (held !== "") {
          await pause(200);
          if (await heldBy("A") === held) break;
        }
        a.kill("SIGCONT");
        assert.ok(!produced || i < 100, "A never held an entry while the producer ran");
        await backlog();
        await pause(1);
      }
      a.kill("SIGKILL");
      await a.status;
      await a.stdout.cancel();
      await a.stderr.cancel();
      workers.shift();
      for (const w of workers) w.kill("SIGCONT");

      // Redis is killed and restarted under the producer and workers B and C
      const before = (await outputs(redis, "out")).length;
      await until("B or C at work", async () => {
        await backlog();
        return (await outputs(redis, "out")).length > before;
      });
      const producerRanThroughRestart = !produced;
      // back up slowly: Redis answers LOADING for a while (10 ms per command of its log)
      await redis.restart(["--key-load-delay", "10000"]);
      const p = await producer;
      assert.equal(p.code, 0, p.stderr);
      const added = Number(p.stderr.match(/added (\d+) entries/)![1]);
      assert.ok(added > 3 * MAX_BACKLOG, p.stderr);
      assert.match(p.stderr, /waited for the workers [1-9]\d* times/);
      await until("every entry acknowledged", async () => {
        await backlog();
        const pending = await redis.client.command(["XPENDING", "in", "g"]) as RedisReply[];
        const groups = await redis.client.command(["XINFO", "GROUPS", "in"]) as RedisReply[];
        const g = groups[0] as RedisReply[];
        const lastDelivered = text(g[g.findIndex((x) => text(x) === "last-delivered-id") + 1]);
        const last = await redis.client.command(["XREVRANGE", "in", "+", "-", "COUNT", "1"]);
        const lastId = text(((last as RedisReply[])[0] as RedisReply[])[0]);
        return pending[0] === 0 && lastDelivered === lastId;
      }, 60_000);
      const logs: string[] = [];
      for (const w of [...workers]) {
        w.kill("SIGTERM");
        const [status, stderr] = await Promise.all([
          w.status,
          new Response(w.stderr).text(),
          w.stdout.cancel(),
        ]);
        workers.splice(workers.indexOf(w), 1);
        logs.push(stderr);
        assert.equal(status.code, 0, stderr);
      }
      const all = logs.join("");
      assert.match(all, /reconnected to Redis/);
      const claimed = [...all.matchAll(/\((\d+) claimed from other workers/g)]
        .reduce((n, m) => n + Number(m[1]), 0);
      assert.ok(claimed >= 1, all);
      // the producer never let the stream grow past its limit (sampled while it ran)
      assert.ok(longest <= MAX_BACKLOG, `the stream held ${longest} entries`);

      // every planted hit once the duplicates are dropped by entry id; nothing else
      const seen = new Map<string, Rec[]>();
      for (const [id, recs] of await outputs(redis, "out")) {
        assert.ok(recs.every((r) => r.id === id));
        if (seen.has(id)) assert.deepEqual(recs, seen.get(id), `${id}: two different scans`);
        else seen.set(id, recs);
      }
      const got = [...seen.values()].flat().map(hitKey).sort();
      const want: string[] = [];
      for (const [f, file] of FILES.entries()) {
        const lines = logText(SIZES[f], f === 0 ? "a" : "b").split("\n");
        let offset = 0;
        lines.forEach((l, i) => {
          const at = (s: string) => `${file}:${i + 1}:${offset + l.indexOf(s)}:${s}`;
          if (l.includes("evil.com")) {
            want.push(`${at("evil.com")}:domain`, `${at(`198.51.100.${(i + 1) % 256}`)}:ipv4`);
          }
          offset += l.length + 1;
        });
      }
      assert.deepEqual(
        got,
        want.sort(),
        `producer ran through the restart: ${producerRanThroughRestart}`,
      );
    } catch (err) {
      // what the workers still running said, for the failure's message
      const said: string[] = [];
      for (const w of workers) {
        try {
          w.kill("SIGKILL");
        } catch {
          // it had ended
        }
        const [status, stderr] = await Promise.all([
          w.status,
          new Response(w.stderr).text(),
          w.stdout.cancel(),
        ]);
        said.push(`(exit ${status.code}) ${stderr}`);
      }
      workers.length = 0;
      throw new Error(`${(err as Error).message}\nthe workers said:\n${said.join("\n")}`);
    } finally {
      await redis.stop();
    }
  },
});

Deno.test({
  name:
    "mxy match --from-redis: SIGTERM while a worker holds a batch: it writes and acknowledges " +
    "the batch (never one unwritten), exits 0, and another worker finds every other hit",
  ignore: !HAVE_REDIS,
  fn: async () => {
    const redis = await startRedis();
    const FILE = `${dir}/term.log`;
    const LINES = 6000;
    await Deno.writeTextFile(FILE, logText(LINES, "t"));
    const args = (name: string, ...more: string[]) => [
      "--stream",
      "in",
      "--group",
      "g",
      "--consumer",
      name,
      "--create-group",
      "--to-stream",
      "out",
      "--claim-idle",
      "300",
      "--batch",
      "4",
      "--stats",
      ...more,
    ];
    const a = worker(redis, args("A"));
    let aDone = false;
    try {
      await until("A reading", async () => {
        const r = await redis.client.command(["XINFO", "CONSUMERS", "in", "g"]).catch(() => []);
        return (r as RedisReply[]).length === 1;
      });
      // A is stopped while its read waits: the first entries are delivered to it, so that on a
      // loaded machine it cannot have finished them all before it is caught holding some
      a.kill("SIGSTOP");
      const p = await runMxy([
        "match",
        "--to-redis",
        redis.url,
        "--stream",
        "in",
        "--chunk-size",
        "4096",
        FILE,
      ]);
      assert.equal(p.code, 0, p.stderr);
      // A stopped at a moment it holds entries (for a moment: an acknowledgement could land)
      const held = async () => {
        const r = await redis.client.command(["XPENDING", "in", "g", "-", "+", "100", "A"]);
        return (r as RedisReply[]).map((e) => text((e as RedisReply[])[0]));
      };
      let holding: string[] = [];
      for (let i = 0; holding.length === 0; i++) {
        assert.ok(i < 20_000, "A never held an entry");
        a.kill("SIGSTOP");
        const ids = await held();
        if (ids.length > 0) {
          await new Promise((r) => setTimeout(r, 100));
          if ((await held()).join() === ids.join()) {
            holding = ids;
            break;
          }
        }
        a.kill("SIGCONT");
        await new Promise((r) => setTimeout(r, 1));
      }
      a.kill("SIGTERM");
      a.kill("SIGCONT");
      const [status, stderr] = await Promise.all([
        a.status,
        new Response(a.stderr).text(),
        a.stdout.cancel(),
      ]);
      aDone = true;
      assert.equal(status.code, 0, stderr);
      assert.match(stderr, /interrupted/);
      // each entry A held is written and acknowledged, or still pending: never acknowledged
      // unwritten, never written and left pending
      const written = new Set((await outputs(redis, "out")).map(([id]) => id));
      const pending = await held();
      for (const id of holding) assert.ok(written.has(id) || pending.includes(id), id);
      assert.deepEqual(pending.filter((id) => written.has(id)), []);
      const b = await runMxy(["match", DB, "--from-redis", redis.url, ...args("B", "--drain")]);
      assert.equal(b.code, 0, b.stderr);
      // every planted hit, once the duplicates are dropped by entry id; nothing else
      const seen = new Map<string, Rec[]>();
      for (const [id, recs] of await outputs(redis, "out")) {
        if (seen.has(id)) assert.deepEqual(recs, seen.get(id), `${id}: two different scans`);
        else seen.set(id, recs);
      }
      const got = [...seen.values()].flat().map(hitKey).sort();
      const want: string[] = [];
      let offset = 0;
      logText(LINES, "t").split("\n").forEach((l, i) => {
        const at = (x: string) => `${FILE}:${i + 1}:${offset + l.indexOf(x)}:${x}`;
        if (l.includes("evil.com")) {
          want.push(`${at("evil.com")}:domain`, `${at(`198.51.100.${(i + 1) % 256}`)}:ipv4`);
        }
        offset += l.length + 1;
      });
      assert.deepEqual(got, want.sort());
      const left = await redis.client.command(["XPENDING", "in", "g"]) as RedisReply[];
      assert.equal(left[0], 0);
    } finally {
      if (!aDone) {
        a.kill("SIGKILL");
        await Promise.all([a.status, a.stdout.cancel(), a.stderr.cancel()]);
      }
      await redis.stop();
    }
  },
});

Deno.test("(the Redis tests' temporary files are removed)", async () => {
  await Deno.remove(dir, { recursive: true });
  assert.equal(await Deno.stat(dir).then(() => true, () => false), false);
});
