import assert from "node:assert/strict";
import fc from "fast-check";
import { Reader } from "mmdb-lib";
import maxmind from "maxmind";
import {
  Database,
  DatabaseBuilder,
  exportJsonLines,
  formatIp,
  type MmdbValue,
  parseFeed,
  typed,
} from "../../lib/db/mod.ts";

/** What the npm readers give back, made comparable: Buffers as Uint8Array. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

function sample(): Uint8Array {
  const b = new DatabaseBuilder({ buildEpoch: 1700000000 });
  b.add("10.0.0.0/8", {
    s: "private",
    u16: 7,
    u32: 70000,
    u64: 18446744073709551615n,
    u128: 2n ** 100n,
    i32: -5,
    d: 1.25,
    f: typed("float", 0.5),
    t: true,
    bytes: new Uint8Array([1, 2, 3]),
    arr: ["a", { n: 1 }],
  });
  b.add("10.1.2.0/24", { s: "lab" });
  b.add("2001:db8::/32", { s: "doc" });
  b.add("literal:evil.example", { s: "literal" });
  return b.build();
}

Deno.test("the maxmind npm reader reads a built database: every type, IPv4 through aliases", async () => {
  const bytes = sample();
  const path = await Deno.makeTempFile({ suffix: ".mxy" });
  await Deno.writeFile(path, bytes);
  const mine = Database.fromBytes(bytes);
  const reader = await maxmind.open<Record<string, unknown>>(path);
  const lib = new Reader<Record<string, unknown>>(
    // mmdb-lib wants a Buffer-like; a Node Buffer view of the same bytes.
    (await import("node:buffer")).Buffer.from(bytes),
  );
  for (const ip of ["10.9.9.9", "10.1.2.3", "2001:db8::1", "::ffff:10.1.2.3", "2002:a01:203::"]) {
    const want = mine.lookup(ip)?.data as MmdbValue;
    const got = reader.getWithPrefixLength(ip);
    assert.deepEqual(plain(got[0]), plain(want), `maxmind ${ip}`);
    assert.deepEqual(plain(lib.get(ip)), plain(want), `mmdb-lib ${ip}`);
  }
  assert.equal(reader.get("11.0.0.1"), null);
  const full = plain(reader.get("10.9.9.9")) as Record<string, unknown>;
  assert.equal(full.u64, 18446744073709551615n);
  assert.equal(full.f, 0.5);
  assert.deepEqual(full.bytes, new Uint8Array([1, 2, 3]));
  assert.equal(reader.metadata.nodeCount, mine.metadata.nodeCount);
  await Deno.remove(path);
});

const netArb = fc.oneof(
  fc.record({
    a: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    p: fc.integer({ min: 4, max: 32 }),
  })
    .map(({ a, p }) => ({ a, p })),
  fc.record({
    a: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => {
      a[0] = 0x20;
      a[1] = 0x01;
      return a;
    }),
    p: fc.integer({ min: 16, max: 128 }),
  }).map(({ a, p }) => {
    // Not inside 2001::/32 (Teredo): with IPv4 entries beside it, that range is an alias of
    // the IPv4 space and the builder refuses a network inside it (tested in builder_test.ts);
    // a network containing it (p < 32) is kept.
    if (p >= 32 && a[2] === 0 && a[3] === 0) a[3] = 1;
    return { a, p };
  }),
);

function cidr({ a, p }: { a: Uint8Array; p: number }): string {
  const b = a.slice();
  for (let i = p; i < b.length * 8; i++) b[i >> 3] &= ~(1 << (7 - (i & 7)));
  return `${formatIp(b)}/${p}`;
}

Deno.test("export then build gives a database with the same answers (round trip)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(netArb, fc.integer({ min: 0, max: 5 })), { minLength: 1, maxLength: 30 }),
      fc.array(fc.uint8Array({ minLength: 16, maxLength: 16 }), { maxLength: 20 }),
      (nets, probes) => {
        const b = new DatabaseBuilder({ buildEpoch: 1 });
        nets.forEach(([n, v], i) =>
          b.add(cidr(n), { v, name: `net-${v}`, big: BigInt(v) * 2n ** 70n, i: i + 0.5 })
        );
        const one = Database.fromBytes(b.build());
        const jsonl = [...exportJsonLines(one)].join("\n") + "\n";
        const b2 = new DatabaseBuilder({ buildEpoch: 1, onDuplicate: "error" });
        for (const r of parseFeed(jsonl, "export.jsonl")) b2.add(r.entry, r.data, r);
        const two = Database.fromBytes(b2.build());
        const qs = [
          ...nets.map(([n]) => formatIp(n.a)),
          ...probes.flatMap((p) => [formatIp(p.subarray(0, 4)), formatIp(p)]),
        ];
        for (const q of qs) {
          assert.deepEqual(two.lookup(q)?.data ?? null, one.lookup(q)?.data ?? null, q);
        }
        assert.equal(two.metadata.ipVersion, one.metadata.ipVersion);
      },
    ),
    { numRuns: 60 },
  );
});
