/**
 * `Database.get(offset, path)` reads one field of a record without decoding the record: it must
 * answer what decoding the whole record and walking it answers, for every path into every
 * record of the MaxMind test databases, and what mmdblookup prints for a lookup path.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Database,
  DatabaseBuilder,
  iterateNetworks,
  type MmdbValue,
  typed,
} from "../../lib/db/mod.ts";
import { fixture } from "../_fixtures.ts";
import { hasMmdblookup, mmdblookup } from "./_peers.ts";

const TEST_DATA = fixture("mmdb/test-data");

/** Every path into a value (map keys, array indexes both ways), with the value there. */
function* pathsOf(
  v: MmdbValue,
  path: (string | number)[] = [],
): Generator<[(string | number)[], MmdbValue]> {
  yield [path, v];
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      yield* pathsOf(v[i], [...path, i]);
      yield [[...path, i - v.length], v[i]];
      yield [[...path, String(i)], v[i]];
    }
  } else if (v !== null && typeof v === "object" && !(v instanceof Uint8Array)) {
    for (const [k, x] of Object.entries(v as Record<string, MmdbValue>)) {
      yield* pathsOf(x, [...path, k]);
    }
  }
}

function same(a: MmdbValue | undefined, b: MmdbValue | undefined, what: string): void {
  if (typeof a === "number" && Number.isNaN(a)) assert.ok(Number.isNaN(b), what);
  else assert.deepEqual(a, b, what);
}

Deno.test({
  name: "Database.get() finds every field of every record of the MaxMind test databases",
  ignore: !TEST_DATA,
  async fn() {
    let checked = 0;
    for (const e of Deno.readDirSync(TEST_DATA!)) {
      if (!e.name.endsWith(".mmdb") || /broken|invalid/i.test(e.name)) continue;
      const db = Database.fromBytes(await Deno.readFile(`${TEST_DATA}/${e.name}`));
      const offsets = new Set([...iterateNetworks(db)].map((n) => n.offset));
      for (const offset of offsets) {
        for (const [path, value] of pathsOf(db.decode(offset))) {
          same(db.get(offset, path), value, `${e.name} @${offset} ${JSON.stringify(path)}`);
          checked++;
        }
        assert.equal(db.get(offset, ["no such key", 0]), undefined);
      }
    }
    assert.ok(checked > 1000, `${checked} paths`);
  },
});

Deno.test("Database.get() compares keys as UTF-8 and answers undefined for paths that lead nowhere", () => {
  // Any code points (fc.string's "binary" unit is slow to start).
  const keys = fc.array(fc.fullUnicode(), { maxLength: 6 }).map((cs) => cs.join(""));
  const cases = fc.dictionary(keys, fc.integer(), { maxKeys: 8 }).chain((record) =>
    fc.tuple(fc.constant(record), fc.oneof(fc.constantFrom("", ...Object.keys(record)), keys))
  );
  fc.assert(
    fc.property(cases, ([record, probe]) => {
      const b = new DatabaseBuilder({ buildEpoch: 1 });
      b.add("10.0.0.0/8", { m: record, list: [1, "x", typed("double", 2)] });
      const db = Database.fromBytes(b.build());
      const offset = db.lookupIpOffset("10.1.1.1");
      const want = Object.hasOwn(record, probe) ? record[probe] : undefined;
      assert.equal(db.get(offset, ["m", probe]), want);
      assert.equal(db.get(offset, ["list", 3]), undefined);
      assert.equal(db.get(offset, ["list", -4]), undefined);
      assert.equal(db.get(offset, ["list", "1.0"]), undefined);
      assert.equal(db.get(offset, ["list", 1, "x"]), undefined);
      assert.equal(db.get(offset, ["list", -1]), 2);
    }),
    { numRuns: 40 },
  );
});

Deno.test({
  name: "Database.get() answers what mmdblookup prints for a lookup path",
  ignore: !TEST_DATA || !hasMmdblookup(),
  async fn() {
    const path = `${TEST_DATA}/GeoIP2-City-Test.mmdb`;
    const db = Database.fromBytes(await Deno.readFile(path));
    const offset = db.lookupIpOffset("81.2.69.160");
    for (
      const keys of [
        ["country", "iso_code"],
        ["subdivisions", "0", "names", "en"],
        ["location", "latitude"],
        ["city", "geoname_id"],
      ]
    ) {
      const peer = await mmdblookup(path, "81.2.69.160", ...keys);
      const value = db.get(offset, keys);
      assert.notEqual(value, undefined, keys.join(" "));
      // mmdblookup prints `"GB" <utf8_string>`, `51.514200 <double>`, `2643743 <uint32>`.
      const printed = /^\s*(.*?) <\w+>\s*$/m.exec(peer)?.[1];
      assert.ok(printed !== undefined, peer);
      if (typeof value === "string") assert.equal(printed, JSON.stringify(value));
      else assert.equal(Number(printed), Number(value), keys.join(" "));
    }
  },
});
