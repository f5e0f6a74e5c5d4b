import assert from "node:assert/strict";
import { runExport } from "../../cli/commands/export.ts";
import { main } from "../../cli/main.ts";
import { fixture } from "../_fixtures.ts";
import { captureIo } from "./_db_io.ts";

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
