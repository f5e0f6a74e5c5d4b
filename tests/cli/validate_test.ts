import assert from "node:assert/strict";
import { runValidate } from "../../cli/commands/validate.ts";
import { main } from "../../cli/main.ts";
import { fixture } from "../_fixtures.ts";
import { captureIo } from "./_db_io.ts";

const TEST_DATA = fixture("mmdb/test-data");
const BAD_DATA = fixture("mmdb/bad-data");

Deno.test({
  name: "mxy validate exits 0 for a valid database and 1 listing each problem otherwise",
  ignore: !TEST_DATA,
  async fn() {
    const ok = captureIo();
    assert.equal(await runValidate([`${TEST_DATA}/GeoIP2-City-Test.mmdb`], ok), 0);
    assert.match(
      ok.out(),
      /^valid: .*GeoIP2-City-Test\.mmdb \(1547 nodes, 250 networks, 63 data records\)$/m,
    );
    const bad = captureIo();
    const code = await runValidate([
      `${TEST_DATA}/GeoIP2-City-Test.mmdb`,
      `${TEST_DATA}/MaxMind-DB-test-broken-pointers-24.mmdb`,
    ], bad);
    assert.equal(code, 1);
    assert.match(bad.out(), /^invalid: .*broken-pointers-24\.mmdb/m);
    assert.match(
      bad.out(),
      /^ {2}\[bad-tree\] Record 0 of node 36 points to data offset 100052.*\(at byte 216\)$/m,
    );
    assert.match(bad.out(), /^ {2}\[bad-pointer\] .*Pointer to offset 1000000/m);
  },
});

Deno.test({
  name: "mxy validate rejects every file of bad-data",
  ignore: !BAD_DATA,
  async fn() {
    const files: string[] = [];
    for (const d of Deno.readDirSync(BAD_DATA!)) {
      if (!d.isDirectory) continue;
      for (const f of Deno.readDirSync(`${BAD_DATA}/${d.name}`)) {
        files.push(`${BAD_DATA}/${d.name}/${f.name}`);
      }
    }
    for (const f of files) {
      const io = captureIo();
      assert.equal(await runValidate([f, "--json"], io), 1, f);
      const report = JSON.parse(io.out());
      assert.equal(report.valid, false);
      assert.ok(report.problems.length > 0);
    }
    assert.equal(await main(["validate"]), 2);
    assert.equal(await main(["validate", "x", "--max-problems", "many"]), 2);
  },
});
