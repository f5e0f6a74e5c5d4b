import assert from "node:assert/strict";
import fc from "fast-check";
import {
  countNetworks,
  Database,
  DatabaseBuilder,
  exportJsonLines,
  formatIpv4,
  type IpResult,
  iterateNetworks,
  type MmdbValue,
} from "../../lib/db/mod.ts";
import { parseJsonLinesFeed } from "../../lib/db/feeds/json.ts";
import { fixture } from "../_fixtures.ts";

const TEST_DATA = fixture("mmdb/test-data");

function ipLookup(db: Database, query: string): IpResult | null {
  const r = db.lookup(query);
  if (r !== null && r.kind !== "ip") throw new Error(`${query} gave a ${r.kind} result`);
  return r;
}

/** Numbers and bigints compare by value: export/build may pick another integer type. */
function equivalent(a: MmdbValue, b: MmdbValue): boolean {
  if (
    (typeof a === "number" || typeof a === "bigint") &&
    (typeof b === "number" || typeof b === "bigint")
  ) {
    return Number.isInteger(Number(a)) && Number.isInteger(Number(b))
      ? BigInt(a) === BigInt(b)
      : a === b;
  }
  if (Array.isArray(a) || a instanceof Uint8Array) {
    const bb = b as ArrayLike<MmdbValue>;
    return (Array.isArray(b) || b instanceof Uint8Array) && a.length === bb.length &&
      Array.from(a as ArrayLike<MmdbValue>).every((x, i) => equivalent(x, bb[i]));
  }
  if (typeof a === "object" && a !== null) {
    if (typeof b !== "object" || b === null) return false;
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return ka.join("\0") === kb.join("\0") &&
      ka.every((k) =>
        equivalent((a as Record<string, MmdbValue>)[k], (b as Record<string, MmdbValue>)[k])
      );
  }
  return a === b;
}

function rebuild(db: Database): Database {
  const text = [...exportJsonLines(db)].join("\n");
  const builder = new DatabaseBuilder({ buildEpoch: 1_700_000_000 });
  for (const r of parseJsonLinesFeed(text)) builder.add(r.entry, r.data);
  return Database.fromBytes(builder.build());
}

Deno.test({
  name: "exportJsonLines() output builds back into a database with the same answers",
  ignore: !TEST_DATA,
  async fn() {
    for (
      const name of [
        "GeoIP2-City-Test.mmdb",
        "MaxMind-DB-test-ipv4-28.mmdb",
        "GeoLite2-ASN-Test.mmdb",
        "MaxMind-DB-test-nested.mmdb",
      ]
    ) {
      const db = Database.fromBytes(await Deno.readFile(`${TEST_DATA}/${name}`));
      const again = rebuild(db);
      const nets = [...iterateNetworks(db)];
      assert.deepEqual(
        [...iterateNetworks(again)].map((n) => n.network),
        nets.map((n) => n.network),
        name,
      );
      for (const n of nets) {
        const ip = n.network.split("/")[0];
        const a = ipLookup(db, ip)!;
        const b = ipLookup(again, ip)!;
        assert.equal(b.network, a.network, `${name} ${ip}`);
        assert.ok(equivalent(a.data, b.data), `${name} ${ip}`);
      }
      if (db.metadata.ipVersion === 6) {
        // MaxMind's writer aliases ::ffff:0:0/96, 2001::/32 (Teredo) and 2002::/16 (6to4) to
        // the IPv4 networks: the rebuilt file answers every alias as the original does.
        for (const n of nets.filter((x) => !x.network.includes(":")).slice(0, 50)) {
          const [a, b, c, d] = n.network.split("/")[0].split(".").map(Number);
          const hi = ((a << 8) | b).toString(16), lo = ((c << 8) | d).toString(16);
          for (
            const q of [
              `::ffff:${a}.${b}.${c}.${d}`,
              `2001:0:${hi}:${lo}::7`,
              `2002:${hi}:${lo}::7`,
            ]
          ) {
            const want = ipLookup(db, q);
            const got = ipLookup(again, q);
            assert.ok(want !== null, `${name} ${q} is aliased in MaxMind's file`);
            assert.equal(got?.network, want.network, `${name} ${q}`);
            assert.ok(equivalent(want.data, got!.data), `${name} ${q}`);
          }
        }
      }
    }
  },
});

Deno.test("iterateNetworks() lists built networks in address order, IPv4 in IPv4 notation", () => {
  const b = new DatabaseBuilder({ buildEpoch: 1_700_000_000 });
  b.add("10.0.0.0/8", { a: 1 });
  b.add("10.1.0.0/16", { a: 2 });
  b.add("2001:db8::/32", { a: 3 });
  const db = Database.fromBytes(b.build());
  assert.deepEqual([...iterateNetworks(db)].map((n) => [n.network, n.version]), [
    ["10.0.0.0/16", 4],
    ["10.1.0.0/16", 4],
    ["10.2.0.0/15", 4],
    ["10.4.0.0/14", 4],
    ["10.8.0.0/13", 4],
    ["10.16.0.0/12", 4],
    ["10.32.0.0/11", 4],
    ["10.64.0.0/10", 4],
    ["10.128.0.0/9", 4],
    ["2001:db8::/32", 6],
  ]);
  const aliases = [...iterateNetworks(db, { includeAliases: true, ipv4Notation: false })];
  assert.ok(aliases.some((n) => n.network === "::ffff:10.0.0.0/112"));
  assert.ok(aliases.some((n) => n.network === "2002:a00::/32"));
});

Deno.test("exportJsonLines() round-trips random networks through the builder", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.integer({ min: 0, max: 0xffffffff }),
          fc.integer({ min: 1, max: 32 }),
          fc.integer({ min: 0, max: 5 }),
        ),
        { minLength: 1, maxLength: 30 },
      ),
      (nets) => {
        const b = new DatabaseBuilder({ buildEpoch: 1_700_000_000 });
        for (const [addr, prefix, v] of nets) {
          const masked = prefix === 32 ? addr : (addr & ~((1 << (32 - prefix)) - 1)) >>> 0;
          b.add(`${formatIpv4(masked)}/${prefix}`, { v, big: 2n ** 60n + BigInt(v) });
        }
        const db = Database.fromBytes(b.build());
        const again = rebuild(db);
        for (const [addr] of nets) {
          const q = formatIpv4(addr);
          const x = ipLookup(db, q);
          const y = ipLookup(again, q);
          assert.equal(y?.network, x?.network, q);
          assert.ok(x && y && equivalent(x.data, y.data), q);
          assert.equal(typeof (y!.data as Record<string, unknown>).big, "bigint");
        }
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test({
  name: "exportJsonLines() annotates non-finite doubles (JSON has no form for them); plain " +
    "JSON writes them as null",
  ignore: !TEST_DATA,
  async fn() {
    const db = Database.fromBytes(await Deno.readFile(`${TEST_DATA}/MaxMind-DB-test-decoder.mmdb`));
    const lineOf = (lines: Iterable<string>) =>
      [...lines].find((l) => l.startsWith('{"entry":"255.255.255.255/32"'));
    const typedLine = lineOf(exportJsonLines(db));
    assert.ok(typedLine);
    assert.match(
      typedLine,
      /"double":\{"\$type":"double","value":"Infinity"\},"float":\{"\$type":"float","value":"Infinity"\}/,
    );
    const plain = lineOf(exportJsonLines(db, { types: false }));
    assert.ok(plain);
    assert.match(plain, /"double":null,"float":null/);
    for (const line of [typedLine, plain]) {
      assert.match(line, /"uint128":340282366920938463463374607431768211455/);
      assert.match(line, /"uint64":18446744073709551615/);
    }
  },
});

Deno.test({
  name: "countNetworks() agrees with iterateNetworks() on every test database",
  ignore: !TEST_DATA,
  fn() {
    for (const e of Deno.readDirSync(TEST_DATA!)) {
      if (!e.name.endsWith(".mmdb") || /Broken|Invalid|broken/.test(e.name)) continue;
      const db = Database.fromBytes(Deno.readFileSync(`${TEST_DATA}/${e.name}`));
      const nets = [...iterateNetworks(db)];
      assert.deepEqual(countNetworks(db), {
        ipv4: nets.filter((n) => n.version === 4).length,
        ipv6: nets.filter((n) => n.version === 6).length,
        dataRecords: new Set(nets.map((n) => n.offset)).size,
      }, e.name);
    }
  },
});
