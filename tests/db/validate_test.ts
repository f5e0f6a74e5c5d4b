import assert from "node:assert/strict";
import { validateDatabase } from "../../lib/db/mod.ts";
import { fixture } from "../_fixtures.ts";

const TEST_DATA = fixture("mmdb/test-data");
const BAD_DATA = fixture("mmdb/bad-data");
const BROKEN = /Broken|Invalid|broken/;

function mmdbFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (e.isDirectory) out.push(...mmdbFiles(`${dir}/${e.name}`));
    else if (e.name.endsWith(".mmdb")) out.push(`${dir}/${e.name}`);
  }
  return out.sort();
}

/** The reason each corrupt file must be rejected for (a code and a phrase of the message). */
const EXPECTED: Record<string, [string, RegExp]> = {
  "GeoIP2-City-Test-Broken-Double-Format.mmdb": ["bad-size", /Invalid size \d+ for a double/],
  "GeoIP2-City-Test-Invalid-Node-Count.mmdb": ["bad-metadata", /100000 nodes .* do not fit/],
  "MaxMind-DB-test-broken-pointers-24.mmdb": ["bad-tree", /past the end of the 65-byte data/],
  "MaxMind-DB-test-broken-search-tree-24.mmdb": ["bad-tree", /reached twice/],
  "libmaxminddb-corrupt-search-tree.mmdb": ["bad-tree", /cannot be reached from the root/],
  "libmaxminddb-deep-array-nesting.mmdb": ["too-deep", /nested deeper than 512/],
  "libmaxminddb-deep-nesting.mmdb": ["too-deep", /nested deeper than 512/],
  "libmaxminddb-empty-array-last-in-metadata.mmdb": ["bad-metadata", /empty array \("languages"\)/],
  "libmaxminddb-empty-map-last-in-metadata.mmdb": ["bad-metadata", /empty map \("description"\)/],
  "libmaxminddb-metadata-marker-only.mmdb": ["bad-metadata", /Nothing follows the metadata marker/],
  "libmaxminddb-offset-integer-overflow.mmdb": ["bad-pointer", /leaves the 211-byte section/],
  "libmaxminddb-oversized-array.mmdb": ["bad-size", /Array claims 1000000 items/],
  "libmaxminddb-oversized-map.mmdb": ["bad-size", /Map claims 1000000 pairs/],
  "libmaxminddb-separator-record-max-left.mmdb": ["bad-tree", /into the 16-byte separator/],
  "libmaxminddb-separator-record-min-left.mmdb": ["bad-tree", /into the 16-byte separator/],
  "libmaxminddb-separator-record-min-right.mmdb": ["bad-tree", /into the 16-byte separator/],
  "libmaxminddb-uint64-max-epoch.mmdb": ["bad-metadata", /build_epoch 18446744073709551615/],
  "cyclic-data-structure.mmdb": ["out-of-bounds", /uint16 needs 2 bytes/],
  "invalid-bytes-length.mmdb": ["bad-size", /Map claims 9 pairs/],
  "invalid-data-record-offset.mmdb": ["bad-utf8", /not valid UTF-8/],
  "invalid-map-key-length.mmdb": ["out-of-bounds", /uint16 needs 2 bytes/],
  "invalid-string-length.mmdb": ["out-of-bounds", /Pointer needs 2 bytes/],
  "metadata-is-an-uint128.mmdb": ["out-of-bounds", /uint128 needs/],
  "unexpected-bytes.mmdb": ["out-of-bounds", /starts past the section end/],
  "bad-unicode-in-map-key.mmdb": ["bad-tree", /separator after the search tree is not all zero/],
};

Deno.test({
  name: "validateDatabase() accepts every good MaxMind test database",
  ignore: !TEST_DATA,
  fn() {
    for (const path of mmdbFiles(TEST_DATA!).filter((p) => !BROKEN.test(p))) {
      const report = validateDatabase(Deno.readFileSync(path));
      assert.deepEqual(report.problems, [], path);
      assert.ok(report.valid);
      assert.ok(report.stats!.networks > 0 && report.stats!.dataRecords > 0, path);
      assert.equal(report.stats!.nodesReached, report.stats!.nodeCount);
    }
  },
});

Deno.test({
  name: "validateDatabase() rejects every corrupt database with its specific reason",
  ignore: !TEST_DATA || !BAD_DATA,
  fn() {
    const files = [
      ...mmdbFiles(BAD_DATA!),
      ...mmdbFiles(TEST_DATA!).filter((p) => BROKEN.test(p.split("/").pop()!)),
    ];
    assert.ok(files.length >= 25);
    for (const path of files) {
      const name = path.split("/").pop()!;
      const report = validateDatabase(Deno.readFileSync(path));
      assert.equal(report.valid, false, name);
      const want = EXPECTED[name];
      assert.ok(want, `no expectation for ${name}`);
      const hit = report.problems.find((p) => p.code === want[0] && want[1].test(p.message));
      assert.ok(hit, `${name}: ${JSON.stringify(report.problems)}`);
    }
  },
});

Deno.test("validateDatabase() reports a missing or truncated metadata section", () => {
  const r = validateDatabase(new Uint8Array(0));
  assert.equal(r.valid, false);
  assert.equal(r.problems[0].code, "no-metadata");
  assert.equal(r.stats, null);
});

Deno.test({
  name: "validateDatabase() lists problems up to maxProblems and counts the rest",
  ignore: !TEST_DATA,
  fn() {
    const bytes = Deno.readFileSync(`${TEST_DATA}/GeoIP2-City-Test-Broken-Double-Format.mmdb`);
    const all = validateDatabase(bytes);
    assert.ok(all.problems.length > 2);
    const few = validateDatabase(bytes, { maxProblems: 2 });
    assert.equal(few.problems.length, 2);
    assert.equal(few.omitted, all.problems.length - 2 + all.omitted);
  },
});
