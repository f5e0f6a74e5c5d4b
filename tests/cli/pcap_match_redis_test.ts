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
import { startRedis } from "./_redis_server.ts";
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
