/**
 * Database.get(offset, path): one field read in place gives what selecting it from the decoded
 * record gives, on every record of the MaxMind test databases and on random records.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Database, DatabaseBuilder, iterateNetworks, type MmdbValue } from "../../lib/db/mod.ts";
import { fixture } from "../_fixtures.ts";
import { openDatabase } from "../../lib/runtime/mod.ts";

type Step = string | number;

/**
 * The value at `path` in a decoded value, as mmdblookup selects it (an array index may be a
 * number or its decimal text); undefined when absent.
 */
function select(value: MmdbValue, path: Step[]): MmdbValue | undefined {
  let v: MmdbValue | undefined = value;
  for (const step of path) {
    const index = typeof step === "number" ? step : /^-?[0-9]+$/.test(step) ? Number(step) : NaN;
    if (Array.isArray(v) && Number.isInteger(index)) {
      const i: number = index < 0 ? v.length + index : index;
      v = i >= 0 && i < v.length ? v[i] : undefined;
    } else if (
      v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Uint8Array) &&
      typeof step === "string"
    ) {
      v = Object.hasOwn(v, step) ? (v as Record<string, MmdbValue>)[step] : undefined;
    } else return undefined;
    if (v === undefined) return undefined;
  }
  return v;
}

/** Every path into a value (each map key and array index, negative ones too), and some misses. */
function paths(value: MmdbValue, prefix: Step[], out: Step[][]): void {
  out.push(prefix);
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      paths(v, [...prefix, i], out);
      out.push([...prefix, i - value.length]);
    });
    out.push([...prefix, value.length], [...prefix, "0"]);
  } else if (value !== null && typeof value === "object" && !(value instanceof Uint8Array)) {
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
    out.push([...prefix, "no-such-key"], [...prefix, 0]);
  } else out.push([...prefix, "x"]);
}

const DIR = fixture("mmdb/test-data");
const FILES = [
  "GeoIP2-City-Test.mmdb",
  "GeoIP2-Enterprise-Test.mmdb",
  "GeoLite2-ASN-Test.mmdb",
  "MaxMind-DB-test-decoder.mmdb",
  "MaxMind-DB-test-nested.mmdb",
  "MaxMind-DB-test-pointer-decoder.mmdb",
];

Deno.test({
  name: "get() reads every field of every record of the MaxMind test databases as decode() does",
  ignore: DIR === null,
  fn: async () => {
    for (const file of FILES) {
      const db = await openDatabase(`${DIR}/${file}`);
      const offsets = new Set<number>();
      for (const n of iterateNetworks(db)) offsets.add(n.offset);
      assert.ok(offsets.size > 0, file);
      for (const offset of offsets) {
        const value = db.decode(offset);
        const all: Step[][] = [];
        paths(value, [], all);
        for (const path of all) {
          assert.deepEqual(db.get(offset, path), select(value, path), `${file} ${path.join(".")}`);
        }
      }
      db.close();
    }
  },
});

// Random records: nested maps (ASCII and non-ASCII keys, keys shared between records so the
// writer stores them once and points to them) and arrays of scalars.
const key = fc.constantFrom("a", "b", "names", "iso_code", "é", "日本", "", "aa", "ab");
const scalar = fc.oneof(
  fc.string(),
  fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  fc.boolean(),
  fc.double({ noNaN: true }),
);
const { record } = fc.letrec((tie) => ({
  record: fc.dictionary(key, tie("value"), { maxKeys: 5 }),
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("value"), { maxLength: 4 }),
    tie("record"),
  ),
}));

Deno.test("get() agrees with decode() on random records and paths", () => {
  fc.assert(
    fc.property(fc.array(record, { minLength: 1, maxLength: 6 }), (records) => {
      const b = new DatabaseBuilder({ buildEpoch: 1 });
      records.forEach((r, i) => b.add(`10.0.${i}.0/24`, r as Record<string, MmdbValue>));
      const db = Database.fromBytes(b.build());
      records.forEach((_, i) => {
        const offset = db.lookupIpOffset(`10.0.${i}.1`);
        const value = db.decode(offset);
        const all: Step[][] = [];
        paths(value, [], all);
        for (const path of all) assert.deepEqual(db.get(offset, path), select(value, path));
      });
      assert.equal(db.get(-1, ["a"]), undefined);
    }),
    { numRuns: 200 },
  );
});
