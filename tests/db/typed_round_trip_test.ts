/**
 * Export then build keeps every stored type: for every well-formed MaxMind test database, the
 * rebuilt database holds the same networks with data equal value for value and type for type
 * (read from the stored control bytes, not from the export's annotations), and mmdblookup, which
 * prints each value's type, answers alike for both.
 */
import assert from "node:assert/strict";
import {
  Database,
  DatabaseBuilder,
  exportJsonLines,
  iterateNetworks,
  parseFeed,
  valueToJson,
} from "../../lib/db/mod.ts";
import { MmdbDecoder, MmdbType } from "../../lib/format/mod.ts";
import { fixture } from "../_fixtures.ts";
import { hasMmdblookup, mmdblookup } from "./_peers.ts";

const TEST_DATA = fixture("mmdb/test-data");

/** The well-formed test databases: every one but the broken and invalid ones. */
function wellFormed(): string[] {
  if (!TEST_DATA) return [];
  return [...Deno.readDirSync(TEST_DATA)]
    .map((e) => e.name)
    .filter((n) => n.endsWith(".mmdb") && !/broken|invalid/i.test(n))
    .sort();
}

/** A record as stored: every value with the type number of its control byte. */
type Typed = [number, unknown];

function typedTree(d: MmdbDecoder, offset: number): Typed {
  const h = d.header(offset);
  if (h.type === MmdbType.pointer) return typedTree(d, h.payload);
  if (h.type === MmdbType.map) {
    const out: [string, Typed][] = [];
    let at = h.payload;
    for (let i = 0; i < h.size; i++) {
      const key = d.decode(at) as string;
      at = d.skip(at);
      out.push([key, typedTree(d, at)]);
      at = d.skip(at);
    }
    return [h.type, out];
  }
  if (h.type === MmdbType.array) {
    const out: Typed[] = [];
    let at = h.payload;
    for (let i = 0; i < h.size; i++) {
      out.push(typedTree(d, at));
      at = d.skip(at);
    }
    return [h.type, out];
  }
  const v = d.decode(offset);
  // NaN is not equal to itself; compare its text.
  return [h.type, typeof v === "number" && Number.isNaN(v) ? "NaN" : v];
}

function records(db: Database): [string, Typed][] {
  const d = new MmdbDecoder(db.bytes, { start: db.layout.dataStart, end: db.layout.dataEnd });
  return [...iterateNetworks(db)].map((n) => [n.network, typedTree(d, n.offset)]);
}

function rebuild(db: Database, lines: string[]): Database {
  // A database written without the IPv4 aliases may hold networks in 2001::/32 and 2002::/16.
  const count = (includeAliases: boolean) => [...iterateNetworks(db, { includeAliases })].length;
  const b = new DatabaseBuilder({
    buildEpoch: 1,
    ipVersion: db.metadata.ipVersion === 6 ? 6 : "auto",
    ipv4Aliases: count(true) > count(false),
  });
  for (const r of parseFeed(lines.join("\n"), "export.jsonl")) b.add(r.entry, r.data, r);
  return Database.fromBytes(b.build());
}

for (const name of wellFormed()) {
  Deno.test(`export then build keeps every value and type of ${name}`, async () => {
    const path = `${TEST_DATA}/${name}`;
    const db = Database.fromBytes(await Deno.readFile(path));
    const lines = [...exportJsonLines(db)];
    const again = rebuild(db, lines);
    const before = records(db);
    assert.ok(before.length > 0, `${name} has networks`);
    assert.deepEqual(records(again), before);
    assert.deepEqual([...exportJsonLines(again)], lines);
  });
}

Deno.test({
  name: "mmdblookup prints the same values and types for the original and the rebuilt database",
  ignore: !TEST_DATA || !hasMmdblookup(),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      for (const name of wellFormed()) {
        const path = `${TEST_DATA}/${name}`;
        const db = Database.fromBytes(await Deno.readFile(path));
        const again = rebuild(db, [...exportJsonLines(db)]);
        const copy = `${dir}/${name}`;
        await Deno.writeFile(copy, again.bytes);
        // The first address of the first and the last network.
        const nets = [...iterateNetworks(db)];
        for (const n of [nets[0], nets[nets.length - 1]]) {
          const ip = n.network.split("/")[0];
          assert.equal(await mmdblookup(copy, ip), await mmdblookup(path, ip), `${name} ${ip}`);
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("export writes plain JSON where no type is lost, and annotations where one would be", () => {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  b.add("10.0.0.0/8", { name: "x", n: 5, big: 70000, neg: -3, ok: true, lat: 51.5, list: [1, 2] });
  const db = Database.fromBytes(b.build());
  assert.deepEqual([...exportJsonLines(db)], [
    '{"entry":"10.0.0.0/8","data":{"name":"x","n":5,"big":70000,"neg":-3,"ok":true,' +
    '"lat":51.5,"list":[1,2]}}',
  ]);
});

Deno.test("a map with a $type key of its own survives export and build", () => {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  b.add("10.0.0.0/8", { "$type": "uint32", value: 7, inner: { "$type": "x" } });
  const db = Database.fromBytes(b.build());
  const lines = [...exportJsonLines(db)];
  const again = rebuild(db, lines);
  assert.equal(
    valueToJson(again.lookup("10.0.0.1")!.data),
    '{"$type":"uint32","value":7,"inner":{"$type":"x"}}',
  );
});

Deno.test({
  name: "MaxMind's source JSON with testdata/geoip2_types.json rebuilds every GeoIP2 test " +
    "database with MaxMind's types",
  ignore: !TEST_DATA,
  async fn() {
    const types = JSON.parse(
      await Deno.readTextFile(new URL("../../testdata/geoip2_types.json", import.meta.url)),
    );
    const names = wellFormed().filter((n) => n.startsWith("Geo"));
    assert.ok(names.length >= 20, `${names.length} GeoIP2 test databases`);
    let retyped = 0;
    for (const name of names) {
      const db = Database.fromBytes(await Deno.readFile(`${TEST_DATA}/${name}`));
      // MaxMind's source form: [{"NETWORK": {…plain JSON…}}, …]
      const source = `[\n${
        [...iterateNetworks(db)].map((n) =>
          `{${JSON.stringify(n.network)}:${valueToJson(db.decode(n.offset))}}`
        ).join(",\n")
      }\n]`;
      const build = (options: { types?: Record<string, string> }) => {
        const b = new DatabaseBuilder({ buildEpoch: 1, ipVersion: 6 });
        for (const r of parseFeed(source, "source.json", options)) b.add(r.entry, r.data, r);
        return Database.fromBytes(b.build());
      };
      assert.deepEqual(records(build({ types })), records(db), name);
      if (JSON.stringify(records(build({}))) !== JSON.stringify(records(db))) retyped++;
    }
    // Without the hints, plain JSON loses MaxMind's types (latitude 35 becomes a uint16 …).
    assert.ok(retyped >= 10, `the hints change the types of ${retyped} databases`);
  },
});

Deno.test("a record's $types gives its nested fields types, before --types hints", () => {
  const text = '{"entry":"10.0.0.0/8","data":{"location":{"latitude":35,"longitude":139},' +
    '"ids":[1,2]},"$types":{"location.latitude":"double","ids":"uint32"}}\n';
  const [r] = [...parseFeed(text, "x.jsonl", { types: { "**.longitude": "float" } })];
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  b.add(r.entry, r.data, r);
  const db = Database.fromBytes(b.build());
  const [[, tree]] = records(db);
  assert.deepEqual(tree, [MmdbType.map, [
    ["location", [MmdbType.map, [
      ["latitude", [MmdbType.double, 35]],
      ["longitude", [MmdbType.float, 139]],
    ]]],
    ["ids", [MmdbType.array, [[MmdbType.uint32, 1], [MmdbType.uint32, 2]]]],
  ]]);
  assert.throws(
    () => [...parseFeed('{"entry":"1.1.1.1","data":{"a":"x"},"$types":{"a":"uint32"}}', "y.jsonl")],
    /y\.jsonl:1: Field "a" is hinted uint32: "x" is not an integer/,
  );
  assert.throws(
    () => [...parseFeed('{"entry":"1.1.1.1","data":{"a":{"$type":"int64","value":1}}}', "z.jsonl")],
    /z\.jsonl:1: "\$type" must name a MaxMind DB type/,
  );
});
