import assert from "node:assert/strict";
import { runExport } from "../../cli/commands/export.ts";
import { main } from "../../cli/main.ts";
import { fixture } from "../_fixtures.ts";
import { captureIo } from "./_db_io.ts";
import { DatabaseBuilder } from "../../lib/db/mod.ts";

const TEST_DATA = fixture("mmdb/test-data");

Deno.test({
  name: "mxy export writes one JSON line per network, IPv4 networks in IPv4 notation",
  ignore: !TEST_DATA,
  async fn() {
    const io = captureIo();
    assert.equal(await runExport([`${TEST_DATA}/MaxMind-DB-test-mixed-24.mmdb`], io), 0);
    const lines = io.out().trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines[0], { entry: "1.1.1.1/32", data: { ip: "::1.1.1.1" } });
    assert.ok(lines.some((l) => l.entry === "::2:0:40/124"));
    assert.ok(!lines.some((l) => l.entry.startsWith("::ffff:")), "aliases skipped");
    const all = captureIo();
    await runExport([`${TEST_DATA}/MaxMind-DB-test-mixed-24.mmdb`, "--include-aliases"], all);
    assert.ok(all.out().split("\n").length > lines.length);
  },
});

Deno.test({
  name: "mxy export -o and mxy build give back a database with the same answers",
  ignore: !TEST_DATA,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const src = `${TEST_DATA}/GeoLite2-ASN-Test.mmdb`;
      assert.equal(await main(["export", src, "-o", `${dir}/asn.jsonl`]), 0);
      assert.equal(await main(["build", `${dir}/asn.jsonl`, "-o", `${dir}/asn.mxy`, "--quiet"]), 0);
      const a = captureIo();
      const b = captureIo();
      const qs = ["1.128.0.0", "12.81.92.1", "2600:6000::1", "9.9.9.9"];
      await (await import("../../cli/commands/query.ts")).runQuery([
        src,
        ...qs,
        "--format",
        "jsonl",
      ], a);
      await (await import("../../cli/commands/query.ts")).runQuery([
        `${dir}/asn.mxy`,
        ...qs,
        "--format",
        "jsonl",
      ], b);
      assert.equal(b.out(), a.out());
      assert.ok(a.out().includes('"found":true'));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("mxy export writes aliased and mapped networks in RFC 5952 form (::ffff:1.2.3.0/120)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const b = new DatabaseBuilder({ buildEpoch: 1 });
    b.add("::ffff:192.0.2.0/120", { n: 1 }); // an IPv4-mapped network is an IPv4 entry
    b.add("2001:db8::/32", { n: 2 });
    await Deno.writeFile(`${dir}/m.mxy`, b.build());
    const plain = captureIo();
    assert.equal(await runExport([`${dir}/m.mxy`], plain), 0);
    assert.deepEqual(plain.out().trim().split("\n").map((l) => JSON.parse(l).entry), [
      "192.0.2.0/24",
      "2001:db8::/32",
    ]);
    const all = captureIo();
    assert.equal(await runExport([`${dir}/m.mxy`, "--include-aliases"], all), 0);
    const entries = all.out().trim().split("\n").map((l) => JSON.parse(l).entry);
    assert.ok(entries.includes("::ffff:192.0.2.0/120"), entries.join(" "));
    assert.ok(!entries.some((e: string) => /^::ffff:[0-9a-f]+:/.test(e)), entries.join(" "));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
