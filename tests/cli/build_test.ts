import assert from "node:assert/strict";
import { hasMmdblookup, mmdblookup } from "../db/_peers.ts";
import { type MxyRun, runMxy } from "../_mxy.ts";
import { openDatabase } from "../../lib/runtime/mod.ts";

function mxy(
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<MxyRun> {
  return runMxy(args, options);
}

Deno.test("mxy build reads several feed formats into one database mmdblookup reads", async () => {
  const dir = await Deno.makeTempDir();
  const out = `${dir}/all.mxy`;
  const r = await mxy([
    "build",
    "testdata/ioc_sample.csv",
    "testdata/sample.json",
    "testdata/sample.jsonl",
    "testdata/sample.txt",
    "-o",
    out,
    "--description",
    "samples",
    "--database-type",
    "mxy-test",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Built .*all\.mxy: 18 entries \(ipv4 \d+, ipv6 \d+, literal 1, glob 1\)/);
  assert.match(r.stderr, / 1 duplicate \(last\)/); // 192.0.2.0/24 is in the CSV and the JSON
  const db = await openDatabase(out);
  assert.equal(db.metadata.databaseType, "mxy-test");
  assert.deepEqual(db.metadata.description, { en: "samples" });
  // sample.txt comes last: its 198.51.100.0/26 replaces nothing but is more specific.
  assert.deepEqual(db.lookup("198.51.100.5")?.data, {});
  assert.equal((db.lookup("192.0.2.1")?.data as { name: string }).name, "TEST-NET-1");
  assert.equal((db.lookup("203.0.113.9")?.data as { score: number }).score, -12);
  db.close();
  if (hasMmdblookup()) {
    assert.match(await mmdblookup(out, "192.0.2.1", "big"), /18446744073709551615 <uint64>/);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("mxy build reads standard input and gzip, and SOURCE_DATE_EPOCH makes it reproducible", async () => {
  const dir = await Deno.makeTempDir();
  const env = { SOURCE_DATE_EPOCH: "1700000000" };
  const a = await mxy(["build", "-", "--format", "text", "-o", `${dir}/a.mxy`, "-q"], {
    stdin: "10.0.0.0/8\n2001:db8::/32\n",
    env,
  });
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stderr, "");
  await Deno.writeTextFile(`${dir}/feed.txt`, "10.0.0.0/8\n2001:db8::/32\n");
  const gz = await new Response(
    (await Deno.open(`${dir}/feed.txt`)).readable.pipeThrough(new CompressionStream("gzip")),
  ).bytes();
  await Deno.writeFile(`${dir}/feed.txt.gz`, gz);
  const b = await mxy(["build", `${dir}/feed.txt.gz`, "-o", `${dir}/b.mxy`, "-q"], { env });
  assert.equal(b.code, 0, b.stderr);
  assert.deepEqual(await Deno.readFile(`${dir}/a.mxy`), await Deno.readFile(`${dir}/b.mxy`));
  const db = await openDatabase(`${dir}/a.mxy`);
  assert.equal(BigInt(db.metadata.buildEpoch), 1700000000n);
  db.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("mxy build rejects bad input with file and line, exit 1, and keeps the old output", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/ok.txt`, "10.0.0.0/8\n");
  await Deno.writeTextFile(`${dir}/bad.csv`, "entry,tag\n10.0.0.0/8,a\n10.1.2.3/8,b\n");
  const ok = await mxy(["build", `${dir}/ok.txt`, "-o", `${dir}/out.mxy`, "-q"]);
  assert.equal(ok.code, 0, ok.stderr);
  const before = await Deno.readFile(`${dir}/out.mxy`);
  const bad = await mxy(["build", `${dir}/bad.csv`, "-o", `${dir}/out.mxy`]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /bad\.csv:3: Network "10\.1\.2\.3\/8" has host bits set/);
  assert.deepEqual(await Deno.readFile(`${dir}/out.mxy`), before);
  assert.deepEqual(
    (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(),
    ["bad.csv", "ok.txt", "out.mxy"],
  );
  // --normalize accepts it; --on-duplicate error refuses a repeated network.
  const norm = await mxy(["build", `${dir}/bad.csv`, "-o", `${dir}/n.mxy`, "--normalize"]);
  assert.equal(norm.code, 0, norm.stderr);
  assert.match(norm.stderr, /1 duplicate \(last\)/);
  const dup = await mxy([
    "build",
    `${dir}/bad.csv`,
    "-o",
    `${dir}/d.mxy`,
    "--normalize",
    "--on-duplicate",
    "error",
  ]);
  assert.equal(dup.code, 1);
  assert.match(
    dup.stderr,
    /bad\.csv:3: Duplicate entry "10\.0\.0\.0\/8" \(first given at .*bad\.csv:2\)/,
  );
  const missing = await mxy(["build", `${dir}/nope.csv`, "-o", `${dir}/x.mxy`]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Cannot read ".*nope\.csv"/);
  const unwritable = await mxy(["build", `${dir}/ok.txt`, "-o", `${dir}/no/such/dir/x.mxy`]);
  assert.equal(unwritable.code, 1);
  assert.match(unwritable.stderr, /Cannot write ".*no\/such\/dir\/x\.mxy"/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("mxy build answers usage errors with exit 2 and --help with exit 0", async () => {
  assert.equal((await mxy(["build", "x.csv"])).code, 2);
  assert.equal((await mxy(["build", "-o", "x.mxy"])).code, 2);
  assert.equal((await mxy(["build", "x.csv", "-o", "y", "--on-duplicate", "maybe"])).code, 2);
  assert.equal((await mxy(["build", "x.csv", "-o", "y", "--record-size", "20"])).code, 2);
  assert.equal((await mxy(["build", "x.csv", "-o", "y", "--format", "xml"])).code, 2);
  const help = await mxy(["build", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: mxy build -o FILE INPUT\.\.\. \[--input-format FORMAT\]/);
});

Deno.test("mxy export then mxy build gives a database that exports the same lines", async () => {
  const dir = await Deno.makeTempDir();
  const built = await mxy([
    "build",
    "testdata/ioc_sample.csv",
    "testdata/sample.json",
    "testdata/sample.jsonl",
    "testdata/sample.txt",
    "-o",
    `${dir}/one.mxy`,
    "-q",
  ]);
  assert.equal(built.code, 0, built.stderr);
  const first = await mxy(["export", `${dir}/one.mxy`, "-o", `${dir}/one.jsonl`]);
  assert.equal(first.code, 0, first.stderr);
  const again = await mxy(["build", `${dir}/one.jsonl`, "-o", `${dir}/two.mxy`, "-q"]);
  assert.equal(again.code, 0, again.stderr);
  const second = await mxy(["export", `${dir}/two.mxy`]);
  assert.equal(second.code, 0, second.stderr);
  const lines = (await Deno.readTextFile(`${dir}/one.jsonl`)).trimEnd().split("\n");
  assert.ok(lines.length > 20);
  assert.ok(lines.some((l) => l.startsWith('{"entry":"literal:')));
  assert.deepEqual(second.stdout.trimEnd().split("\n"), lines);
  const one = await openDatabase(`${dir}/one.mxy`);
  const two = await openDatabase(`${dir}/two.mxy`);
  for (
    const q of ["198.51.100.23", "2001:db8:bad:1::25", "login-verify.example", "a.dyn.bad.example"]
  ) {
    assert.deepEqual(two.lookup(q)?.data, one.lookup(q)?.data, q);
  }
  one.close();
  two.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("mxy build aliases Teredo and 6to4 to IPv4 like MaxMind's writers, unless --no-ipv4-aliases", async () => {
  const dir = await Deno.makeTempDir();
  const feed = `${dir}/feed.txt`;
  await Deno.writeTextFile(feed, "192.0.2.0/24\n2001:db8::/32\n");
  for (const [args, aliased] of [[[], true], [["--no-ipv4-aliases"], false]] as const) {
    const out = `${dir}/x.mxy`;
    const r = await mxy(["build", feed, "-o", out, "-q", ...args]);
    assert.equal(r.code, 0, r.stderr);
    const db = await openDatabase(out);
    for (const q of ["::ffff:192.0.2.9", "2001:0:c000:209::1", "2002:c000:209::1"]) {
      assert.equal(db.lookup(q) !== null, aliased, `${q} ${args.join(" ")}`);
    }
    if (hasMmdblookup()) {
      const teredo = await mmdblookup(out, "2001:0:c000:209::1");
      assert.equal(teredo.includes("{"), aliased, `mmdblookup ${args.join(" ")}`);
    }
    db.close();
  }
  await Deno.writeTextFile(feed, "192.0.2.0/24\n2001:0:1234::/48\n");
  const r = await mxy(["build", feed, "-o", `${dir}/y.mxy`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /feed\.txt:2: Network inside 2001::\/32 \(Teredo\)/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("mxy build --skip-invalid reports each bad line and goes on; inputs are never overwritten", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lines = ["entry,tag", "10.0.0.0/8,a", "10.1.2.3/8,b", "glob:[,c", "192.0.2.0/24,d"];
    await Deno.writeTextFile(`${dir}/feed.csv`, lines.join("\n") + "\n");
    const strict = await mxy(["build", `${dir}/feed.csv`, "-o", `${dir}/a.mxy`]);
    assert.equal(strict.code, 1);
    const skip = await mxy(["build", `${dir}/feed.csv`, "-o", `${dir}/a.mxy`, "--skip-invalid"]);
    assert.equal(skip.code, 0, skip.stderr);
    const err = skip.stderr.split("\n");
    assert.match(err[0], /^\S*feed\.csv:3: Network "10\.1\.2\.3\/8" has host bits set/);
    assert.match(err[1], /^\S*feed\.csv:4: Malformed glob "\["/);
    assert.equal(err[2], "mxy: warning: skipped 2 invalid lines");
    const db = await openDatabase(`${dir}/a.mxy`);
    assert.equal(db.lookup("192.0.2.1")?.kind, "ip");
    db.close();
    const capped = await mxy([
      "build",
      `${dir}/feed.csv`,
      "-o",
      `${dir}/b.mxy`,
      "--skip-invalid",
      "--max-errors",
      "1",
      "-q",
    ]);
    assert.equal(capped.code, 0);
    assert.equal(capped.stderr.split("\n").filter((l) => /feed\.csv:\d+:/.test(l)).length, 1);
    assert.match(capped.stderr, /skipped 2 invalid lines \(1 not listed: --max-errors 1\)/);
    // -o naming an input is a usage error, and the input is untouched.
    const before = await Deno.readFile(`${dir}/feed.csv`);
    const self = await mxy(["build", `${dir}/feed.csv`, "-o", `${dir}/feed.csv`]);
    assert.equal(self.code, 2);
    assert.match(self.stderr, /is also an input; refusing to overwrite it/);
    assert.deepEqual(await Deno.readFile(`${dir}/feed.csv`), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mxy build names a duplicate CSV column, the line and byte of bad UTF-8, and warns of an empty result", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/dup.csv`, "entry,a,a\n1.2.3.4,1,2\n");
    const dup = await mxy(["build", `${dir}/dup.csv`, "-o", `${dir}/d.mxy`]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /dup\.csv:1: CSV header names column "a" twice/);
    const bytes = new TextEncoder().encode("1.2.3.4\n5.6.7.8\n# \xff\n");
    const bad = new Uint8Array([...bytes.subarray(0, 18), 0xff, 0xfe, 0x0a]);
    await Deno.writeFile(`${dir}/bad.txt`, bad);
    const utf8 = await mxy(["build", `${dir}/bad.txt`, "-o", `${dir}/u.mxy`]);
    assert.equal(utf8.code, 1);
    assert.match(utf8.stderr, /bad\.txt:3: Input is not valid UTF-8 \(byte offset 18\)/);
    await Deno.writeTextFile(`${dir}/empty.csv`, "entry,tag\n");
    const empty = await mxy(["build", `${dir}/empty.csv`, "-o", `${dir}/e.mxy`, "-q"]);
    assert.equal(empty.code, 0);
    assert.match(
      empty.stderr,
      /^mxy: warning: no entries in the input; \S*e\.mxy is an empty database\n$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
