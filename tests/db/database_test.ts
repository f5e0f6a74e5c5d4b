import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Database,
  DatabaseBuilder,
  FormatError,
  type IpResult,
  iterateNetworks,
  parseIpInto,
  parseIpv4,
  validateDatabase,
} from "../../lib/db/mod.ts";
import { fixture } from "../_fixtures.ts";
import { openDatabase } from "../../lib/runtime/mod.ts";

/** `ipLookup(db, )` for an IP query, narrowed to the IP result. */
function ipLookup(db: Database, query: string): IpResult | null {
  const r = db.lookup(query);
  if (r !== null && r.kind !== "ip") throw new Error(`${query} gave a ${r.kind} result`);
  return r;
}

const TEST_DATA = fixture("mmdb/test-data");
const BAD_DATA = fixture("mmdb/bad-data");
const T = (name: string) => `${TEST_DATA}/${name}`;

function mmdbFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (e.isDirectory) out.push(...mmdbFiles(`${dir}/${e.name}`));
    else if (e.name.endsWith(".mmdb")) out.push(`${dir}/${e.name}`);
  }
  return out.sort();
}

const ignore = !TEST_DATA;

Deno.test({
  name: "Database.lookup() returns data, network and prefix for IPv4, IPv6 and mapped queries",
  ignore,
  async fn() {
    const db = await openDatabase(T("MaxMind-DB-test-mixed-24.mmdb"));
    assert.deepEqual(ipLookup(db, "1.1.1.3"), {
      kind: "ip",
      data: { ip: "::1.1.1.2" },
      network: "1.1.1.2/31",
      prefixLength: 31,
    });
    // IPv4-mapped and 6to4 addresses reach the IPv4 subtree through the writer's aliases.
    assert.deepEqual(ipLookup(db, "::ffff:1.1.1.3")?.data, { ip: "::1.1.1.2" });
    assert.equal(ipLookup(db, "::ffff:1.1.1.3")?.network, "::ffff:1.1.1.2/127");
    assert.equal(ipLookup(db, "2002:101:103::")?.prefixLength, 47);
    assert.deepEqual(ipLookup(db, "::2:0:40")?.data, { ip: "::2:0:40" });
    assert.equal(ipLookup(db, "::2:0:40")?.network, "::2:0:40/124");
    assert.equal(ipLookup(db, "1.1.1.0"), null);
    assert.equal(ipLookup(db, "not an address"), null);
    db.close();
  },
});

Deno.test({
  name: "Database answers IPv4-mapped queries in an IPv4 tree and no other IPv6 query",
  ignore,
  async fn() {
    const db = await openDatabase(T("MaxMind-DB-test-ipv4-32.mmdb"));
    assert.equal(db.metadata.ipVersion, 4);
    const hit = ipLookup(db, "::ffff:1.1.1.17");
    assert.equal(hit?.network, "1.1.1.16/28");
    assert.equal(db.lastIpVersion, 4);
    assert.equal(ipLookup(db, "2001:db8::1"), null);
    assert.equal(db.lastIpVersion, 6);
  },
});

Deno.test({
  name: "Database reports IPv4 queries under an IPv6-only subtree with prefix 0",
  ignore,
  async fn() {
    const db = await openDatabase(T("MaxMind-DB-no-ipv4-search-tree.mmdb"));
    assert.deepEqual(ipLookup(db, "1.1.1.1"), {
      kind: "ip",
      data: "::/64",
      network: "0.0.0.0/0",
      prefixLength: 0,
    });
  },
});

Deno.test({
  name: "Database.lookupIpv4() and lookupIpOffset() return offsets and leave the prefix",
  ignore,
  async fn() {
    for (const size of [24, 28, 32]) {
      const db = await openDatabase(T(`MaxMind-DB-test-ipv6-${size}.mmdb`));
      const off = db.lookupIpOffset("::1:ffff:ffff");
      assert.ok(off >= 0);
      assert.equal(db.lastPrefixLength, 128);
      assert.equal(db.lastIpVersion, 6);
      assert.deepEqual(db.decode(off), { ip: "::1:ffff:ffff" });
      assert.equal(db.lookupIpOffset("zz"), -1);
      assert.equal(db.lastIpVersion, 0);
      const v4 = await openDatabase(T(`MaxMind-DB-test-ipv4-${size}.mmdb`));
      const o = v4.lookupIpv4(0x01010120); // 1.1.1.32
      assert.deepEqual(v4.decode(o), { ip: "1.1.1.32" });
      assert.equal(v4.lastPrefixLength, 32);
      assert.equal(v4.lookupIpv4(0x01010100), -1);
      assert.equal(v4.lastPrefixLength, 32);
      assert.equal(v4.lookupIpv4(0xffffffff), -1);
      assert.ok(v4.lastPrefixLength < 32);
    }
  },
});

Deno.test({
  name: "Database.decode() caches values and shares the frozen object",
  ignore,
  async fn() {
    const bytes = await Deno.readFile(T("GeoIP2-City-Test.mmdb"));
    const db = Database.fromBytes(bytes, { cacheSize: 2 });
    const offs = [...iterateNetworks(db)].map((n) => n.offset);
    const distinct = [...new Set(offs)].slice(0, 5);
    const first = db.decode(distinct[0]);
    assert.equal(db.decode(distinct[0]), first, "a hit returns the same object");
    const fresh = Database.fromBytes(bytes, { cacheSize: 0 });
    for (const o of distinct) assert.deepEqual(db.decode(o), fresh.decode(o));
    for (const o of distinct) assert.deepEqual(db.decode(o), fresh.decode(o)); // after eviction
    assert.notEqual(fresh.decode(distinct[0]), fresh.decode(distinct[0]));
    assert.ok(Object.isFrozen(first));
    assert.throws(() => {
      (first as Record<string, unknown>).x = 1;
    }, TypeError);
  },
});

Deno.test({
  name: "Database.fromBytes() copies a misaligned view and reads the same answers",
  ignore,
  async fn() {
    const bytes = await Deno.readFile(T("GeoIP2-ISP-Test.mmdb"));
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const db = Database.fromBytes(shifted.subarray(3));
    assert.equal(db.bytes.byteOffset % 8, 0);
    assert.deepEqual(ipLookup(db, "1.128.0.0"), ipLookup(Database.fromBytes(bytes), "1.128.0.0"));
    assert.equal(db.mapMode, "bytes");
    assert.equal(db.section("literal"), null);
  },
});

/** Runs everything a reader does on a file; any error but FormatError fails. */
function exercise(bytes: Uint8Array, label: string): void {
  const only = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof FormatError)) {
        throw new Error(`${label}: ${err instanceof Error ? err.stack : err}`);
      }
    }
  };
  let db: Database | null = null;
  only(() => {
    db = Database.fromBytes(bytes);
  });
  validateDatabase(bytes);
  if (!db) return;
  const d: Database = db;
  for (
    const q of [
      "0.0.0.0",
      "1.1.1.1",
      "81.2.69.160",
      "255.255.255.255",
      "::",
      "::1",
      "2001:db8::1",
      "::ffff:1.2.3.4",
      "2002::1",
    ]
  ) {
    only(() => {
      d.lookup(q);
    });
  }
  only(() => {
    let n = 0;
    for (const net of iterateNetworks(d, { includeAliases: true })) {
      only(() => void d.decode(net.offset));
      if (++n > 5000) break;
    }
  });
}

Deno.test({
  name: "Database only ever throws FormatError on the corrupt databases",
  ignore: ignore || !BAD_DATA,
  fn() {
    const files = [
      ...mmdbFiles(BAD_DATA!),
      ...mmdbFiles(TEST_DATA!).filter((p) => /Broken|Invalid|broken/.test(p)),
    ];
    for (const path of files) exercise(Deno.readFileSync(path), path);
  },
});

Deno.test({
  name: "Database only ever throws FormatError on randomly corrupted databases",
  ignore,
  fn() {
    const sources = [
      "MaxMind-DB-test-decoder.mmdb",
      "MaxMind-DB-test-mixed-28.mmdb",
      "GeoIP2-City-Test.mmdb",
      "MaxMind-DB-test-metadata-pointers.mmdb",
    ]
      .map((n) => Deno.readFileSync(T(n)));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: sources.length - 1 }),
        fc.array(
          fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })),
          { minLength: 1, maxLength: 8 },
        ),
        fc.boolean(),
        (which, edits, nearEnd) => {
          const bytes = sources[which].slice();
          for (const [where, value] of edits) {
            // Half the runs aim at the metadata and data, where most structure is.
            const span = nearEnd ? Math.min(400, bytes.length) : bytes.length;
            const at = bytes.length - 1 - Math.floor(where * (span - 1));
            bytes[at] = value;
          }
          exercise(bytes, `source ${which}`);
        },
      ),
      { numRuns: 300 },
    );
  },
});

Deno.test("Database.lookupIpOffset() parses IPv4 text exactly as parseIpv4 does, with and without the jump table", () => {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  b.add("0.0.0.0/3", { n: "wide" });
  b.add("10.0.0.0/8", { n: 8 });
  b.add("10.1.2.0/24", { n: 24 });
  b.add("10.1.2.3/32", { n: 32 });
  b.add("192.168.0.0/16", { n: 16 });
  b.add("255.255.255.0/28", { n: 28 });
  const file = b.build();
  const cold = Database.fromBytes(file);
  const warm = Database.fromBytes(file);
  // more than the lookups after which the jump table is built
  for (let i = 0; i < 5000; i++) warm.lookupIpv4(Math.imul(i, 0x9e3779b1));
  const octet = fc.oneof(
    fc.integer({ min: 0, max: 255 }).map(String),
    fc.integer({ min: 0, max: 1999 }).map(String),
    fc.stringMatching(/^[0-9]{0,4}$/),
  );
  const quad = fc.tuple(octet, octet, octet, octet).map((p) => p.join("."));
  const noisy = fc.tuple(
    quad,
    fc.nat(20),
    fc.constantFrom("", ".", " ", "0", "a", ":", "..", "\u0661"),
  )
    .map(([q, at, ins]) => q.slice(0, at) + ins + q.slice(at));
  const text = fc.oneof(quad, noisy, fc.stringMatching(/^[0-9.]{0,17}$/));
  fc.assert(
    fc.property(text, (t) => {
      const v4 = parseIpv4(t);
      for (const db of [cold, warm]) {
        const off = db.lookupIpOffset(t);
        if (v4 < 0) {
          if (parseIpInto(t, new Uint8Array(16)) === 0) {
            assert.equal(off, -1, t);
            assert.equal(db.lastIpVersion, 0, t);
          }
          continue;
        }
        assert.equal(db.lastIpVersion, 4, t);
        const prefix = db.lastPrefixLength;
        assert.equal(off, db.lookupIpv4(v4 | 0), t);
        assert.equal(prefix, db.lastPrefixLength, t);
        assert.deepEqual(db.lookup(t), db.lookup(formatIp4(v4)), t);
      }
    }),
    { numRuns: 3000 },
  );
});

function formatIp4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}
