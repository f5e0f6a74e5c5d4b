import assert from "node:assert/strict";
import { runQuery } from "../../cli/commands/query.ts";
import { main } from "../../cli/main.ts";
import { fixture } from "../_fixtures.ts";
import { captureIo } from "./_db_io.ts";
import { DatabaseBuilder } from "../../lib/db/mod.ts";

const TEST_DATA = fixture("mmdb/test-data");
const MIXED = `${TEST_DATA}/MaxMind-DB-test-mixed-24.mmdb`;
const CITY = `${TEST_DATA}/GeoIP2-City-Test.mmdb`;
const ignore = !TEST_DATA;

Deno.test({
  name: "mxy query prints a JSON array of answers and exits 0 when one matched",
  ignore,
  async fn() {
    const io = captureIo();
    assert.equal(await runQuery([CITY, "81.2.69.160", "10.0.0.1"], io), 0);
    const answers = JSON.parse(io.out());
    assert.equal(answers.length, 2);
    assert.equal(answers[0].query, "81.2.69.160");
    assert.equal(answers[0].found, true);
    assert.equal(answers[0].network, "81.2.69.160/27");
    assert.equal(answers[0].prefixLength, 27);
    assert.equal(answers[0].data.city.names.en, "London");
    assert.deepEqual(answers[1], { query: "10.0.0.1", found: false });
  },
});

Deno.test({
  name: "mxy query exits 1 when nothing matched",
  ignore,
  async fn() {
    const io = captureIo();
    assert.equal(await runQuery([MIXED, "9.9.9.9", "not-an-ip"], io), 1);
    assert.equal(JSON.parse(io.out()).length, 2);
  },
});

Deno.test({
  name: "mxy query reads queries from standard input in jsonl, skipping blanks and comments",
  ignore,
  async fn() {
    const io = captureIo("1.1.1.1\r\n\n# comment\n::1.1.1.3\n9.9.9.9");
    assert.equal(await runQuery([MIXED, "--format", "jsonl"], io), 0);
    const lines = io.out().trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.query, l.network ?? null]), [
      ["1.1.1.1", "1.1.1.1/32"],
      ["::1.1.1.3", "::101:102/127"],
      ["9.9.9.9", null],
    ]);
  },
});

Deno.test({
  name: "mxy query --explain says which network matched and why, or where the walk stopped",
  ignore,
  async fn() {
    const io = captureIo();
    await runQuery([CITY, "81.2.69.160", "10.0.0.1", "--explain", "--format", "jsonl"], io);
    const [hit, miss] = io.out().trim().split("\n").map((l) => JSON.parse(l));
    assert.match(hit.explain, /81\.2\.69\.160 is in 81\.2\.69\.160\/27/);
    assert.match(hit.explain, /27 of 32 bits walked from the IPv4 subtree/);
    assert.match(hit.explain, /data-section offset \d+/);
    assert.match(miss.explain, /No network holds 10\.0\.0\.1: .* empty record after 8 bits/);
  },
});

Deno.test({
  name: "mxy query --format table aligns query, network and data",
  ignore,
  async fn() {
    const io = captureIo();
    assert.equal(await runQuery([MIXED, "1.1.1.1", "9.9.9.9", "--format", "table"], io), 0);
    assert.equal(
      io.out(),
      "QUERY    MATCH       DATA\n" +
        '1.1.1.1  1.1.1.1/32  {"ip":"::1.1.1.1"}\n' +
        "9.9.9.9  -           (no match)\n",
    );
  },
});

Deno.test({
  name: "mxy query rejects bad usage with exit 2 and prints help with exit 0",
  ignore,
  async fn() {
    assert.equal(await main(["query"]), 2);
    assert.equal(await main(["query", MIXED, "1.1.1.1", "--format", "xml"]), 2);
    assert.equal(await main(["query", MIXED, "--bogus"]), 2);
    assert.equal(await main(["query", "--help"]), 0);
    assert.equal(
      await main(["query", `${TEST_DATA}/GeoIP2-City-Test-Invalid-Node-Count.mmdb`, "1.1.1.1"]),
      1,
    );
    assert.equal(await main(["query", "/nonexistent/x.mmdb", "1.1.1.1"]), 1);
  },
});

Deno.test({
  name: "mxy query works as a subprocess with only read and FFI permissions",
  ignore,
  async fn() {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-ffi",
        new URL("../../cli/main.ts", import.meta.url).pathname,
        "query",
        MIXED,
        "--format",
        "jsonl",
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = out.stdin.getWriter();
    await w.write(new TextEncoder().encode("1.1.1.1\n"));
    await w.close();
    const r = await out.output();
    assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(r.stdout)), {
      query: "1.1.1.1",
      found: true,
      kind: "ip",
      data: { ip: "::1.1.1.1" },
      network: "1.1.1.1/32",
      prefixLength: 32,
    });
  },
});

Deno.test("mxy query answers ::ffff:1.2.3.4 and prints an IPv6 tree's mapped network as ::ffff:1.2.3.0/120", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const v4 = new DatabaseBuilder({ buildEpoch: 1 });
    v4.add("1.2.3.0/24", { n: 4 });
    await Deno.writeFile(`${dir}/v4.mxy`, v4.build());
    const v6 = new DatabaseBuilder({ buildEpoch: 1 });
    v6.add("1.2.3.0/24", { n: 6 });
    v6.add("2001:db8::/32", { n: 0 });
    await Deno.writeFile(`${dir}/v6.mxy`, v6.build());
    const a = captureIo();
    assert.equal(await runQuery([`${dir}/v4.mxy`, "::ffff:1.2.3.4", "--format", "jsonl"], a), 0);
    const inV4 = JSON.parse(a.out());
    assert.equal(inV4.network, "1.2.3.0/24"); // an IPv4 tree answers in IPv4 terms
    assert.deepEqual(inV4.data, { n: 4 });
    const b = captureIo();
    assert.equal(
      await runQuery([`${dir}/v6.mxy`, "::ffff:1.2.3.4", "1.2.3.4", "--format", "jsonl"], b),
      0,
    );
    const [mapped, plain] = b.out().trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(mapped.network, "::ffff:1.2.3.0/120");
    assert.equal(mapped.prefixLength, 120);
    assert.deepEqual(mapped.data, { n: 6 });
    assert.equal(plain.network, "1.2.3.0/24");
    const t = captureIo();
    await runQuery([`${dir}/v6.mxy`, "::ffff:1.2.3.4", "--format", "table"], t);
    assert.match(t.out(), /::ffff:1\.2\.3\.4\s+::ffff:1\.2\.3\.0\/120/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "mxy query --field prints only the value at a data path, as mmdblookup's lookup path",
  ignore,
  async fn() {
    const text = captureIo();
    assert.equal(
      await runQuery(
        [CITY, "81.2.69.160", "2.125.160.216", "--field", "subdivisions.0.iso_code"],
        text,
      ),
      0,
    );
    assert.equal(text.out(), "ENG\nENG\n");
    const json = captureIo();
    assert.equal(
      await runQuery(
        [CITY, "81.2.69.160", "--field", "location.latitude", "--format", "jsonl"],
        json,
      ),
      0,
    );
    const a = JSON.parse(json.out());
    assert.deepEqual([a.found, a.network, a.field, a.data], [
      true,
      "81.2.69.160/27",
      "location.latitude",
      51.5142,
    ]);
    // No such field, or no such network: nothing printed, exit 1.
    const none = captureIo();
    assert.equal(
      await runQuery([CITY, "81.2.69.160", "10.0.0.1", "--field", "city.names.xx"], none),
      1,
    );
    assert.equal(none.out(), "");
    // Strings (literal and glob entries of a .mxy file) take --field too.
    const dir = await Deno.makeTempDir();
    try {
      const b = new DatabaseBuilder({ buildEpoch: 1 });
      b.add("evil.example", { threat: { name: "phish" } });
      await Deno.writeFile(`${dir}/x.mxy`, b.build());
      const s = captureIo();
      assert.equal(
        await runQuery([`${dir}/x.mxy`, "evil.example", "--field", "threat.name"], s),
        0,
      );
      assert.equal(s.out(), "phish\n");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
