/**
 * The byte-span query paths answer exactly as the string paths do: `lookupStringSpan` as
 * `lookupStringOffsets` on the decoded text (case-sensitive and case-insensitive databases, ASCII,
 * other UTF-8, bytes that are not UTF-8), `lookupLiteralSpan` as the literal alone,
 * `lookupIpBytes` as `lookupIpOffset` (IPv4, IPv6, IPv4-mapped in IPv4 and IPv6 trees).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Database,
  DatabaseBuilder,
  MATCH_LITERAL,
  parseIpBytesInto,
  parseIpInto,
  StringMatches,
} from "../../lib/db/mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function build(caseInsensitive: boolean, entries: string[]): Database {
  const b = new DatabaseBuilder({
    buildEpoch: 1,
    matchMode: caseInsensitive ? "case-insensitive" : "case-sensitive",
  });
  entries.forEach((e, i) => b.add(e, { i }));
  return Database.fromBytes(b.build());
}

const ENTRIES = [
  "evil.com",
  "Mixed.Case.org",
  "straße.de",
  "ΑΒΓ.gr",
  "glob:*.evil.net",
  "glob:mal*",
  "glob:*ware",
  "glob:*trojan*",
  "glob:a?c.[a-c]x",
  "glob:*",
  "glob:ÉCOLE.*",
];

const word = fc.oneof(
  fc.constantFrom(
    "evil.com",
    "EVIL.com",
    "mixed.case.org",
    "Mixed.Case.org",
    "STRASSE.de",
    "straße.de",
    "STRAẞE.de",
    "αβγ.gr",
    "ΑΒΓ.gr",
    "x.evil.net",
    "malware",
    "MALWARE",
    "a-trojan-b",
    "abc.bx",
    "école.fr",
    "ÉCOLE.fr",
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 8 }),
);

for (const ci of [false, true]) {
  const db = build(ci, ENTRIES);
  Deno.test(`lookupStringSpan answers as lookupStringOffsets (${ci ? "case-insensitive" : "case-sensitive"})`, () => {
    const a = new StringMatches(), b = new StringMatches();
    fc.assert(
      fc.property(
        fc.string({ maxLength: 4 }),
        word,
        fc.string({ maxLength: 4 }),
        (pre, w, post) => {
          const bytes = enc.encode(pre + w + post);
          const start = enc.encode(pre).length, end = start + enc.encode(w).length;
          const n = db.lookupStringSpan(bytes, start, end, a);
          const m = db.lookupStringOffsets(w, b);
          assert.equal(n, m);
          for (let i = 0; i < n; i++) {
            assert.deepEqual(
              [a.kinds[i], a.entries[i], a.offsets[i]],
              [b.kinds[i], b.entries[i], b.offsets[i]],
            );
          }
          const first = db.lookupStringSpan(bytes, start, end, a, { first: true });
          assert.equal(first, n > 0 ? 1 : 0);
          if (n > 0) assert.equal(a.offsets[0], db.lookupStringOffset(w));
          const lit = db.lookupLiteralSpan(bytes, start, end);
          assert.equal(lit, n > 0 && b.kinds[0] === MATCH_LITERAL ? b.offsets[0] : -1);
        },
      ),
      { numRuns: 400 },
    );
  });

  Deno.test(`lookupStringSpan reads bytes that are not UTF-8 as U+FFFD (${ci ? "ci" : "cs"})`, () => {
    const out = new StringMatches(), ref = new StringMatches();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 16 }), (bytes) => {
        const n = db.lookupStringSpan(bytes, 0, bytes.length, out);
        assert.equal(n, db.lookupStringOffsets(dec.decode(bytes), ref));
        for (let i = 0; i < n; i++) assert.equal(out.offsets[i], ref.offsets[i]);
      }),
      { numRuns: 300 },
    );
  });
}

Deno.test("lookupStringSpan checks its range and stringEntry names the entry", () => {
  const db = build(false, ENTRIES);
  const out = new StringMatches();
  assert.throws(() => db.lookupStringSpan(new Uint8Array(4), 2, 5, out), RangeError);
  assert.throws(() => db.lookupLiteralSpan(new Uint8Array(4), -1, 2), RangeError);
  const text = enc.encode("x.evil.net");
  assert.equal(db.lookupStringSpan(text, 0, text.length, out, { first: true }), 1);
  assert.equal(db.stringEntry(out.kinds[0], out.entries[0]), "*.evil.net");
  const ipOnly = new DatabaseBuilder({ buildEpoch: 1 });
  ipOnly.add("10.0.0.0/8", { n: 1 });
  const plain = Database.fromBytes(ipOnly.build());
  assert.equal(plain.lookupStringSpan(text, 0, text.length, out), 0);
  assert.equal(plain.lookupLiteralSpan(text, 0, text.length), -1);
});

for (const ipVersion of [4, 6] as const) {
  Deno.test(`lookupIpBytes answers as lookupIpOffset in an IPv${ipVersion} tree`, () => {
    const b = new DatabaseBuilder({ buildEpoch: 1, ipVersion });
    const nets = ["10.0.0.0/8", "192.0.2.0/24", "198.51.100.7/32", "1.0.0.0/16"];
    if (ipVersion === 6) nets.push("2001:db8::/32", "2001:db8:1::/48", "::ffff:0:0/120");
    nets.forEach((n, i) => b.add(n, { i }));
    const db = Database.fromBytes(b.build());
    const buf = new Uint8Array(16);
    const addr = fc.oneof(
      fc.tuple(fc.constantFrom(10, 192, 198, 1, 0, 255), fc.nat(255), fc.nat(255), fc.nat(255))
        .map((o) => o.join(".")),
      fc.tuple(fc.constantFrom(10, 192, 198, 1), fc.nat(255), fc.nat(255), fc.nat(255))
        .map((o) => `::ffff:${o.join(".")}`),
      fc.tuple(fc.constantFrom("2001:db8", "2001:db8:1", "2002", "::1"), fc.nat(0xffff))
        .map(([p, x]) => p === "::1" ? p : `${p}::${x.toString(16)}`),
    );
    fc.assert(
      fc.property(addr, (text) => {
        const version = parseIpInto(text, buf);
        assert.notEqual(version, 0);
        const want = db.lookupIpOffset(text);
        const wantPrefix = db.lastPrefixLength, wantVersion = db.lastIpVersion;
        const bytes = enc.encode(` ${text} `);
        const v2 = parseIpBytesInto(bytes, buf, 1, bytes.length - 1);
        assert.equal(v2, version);
        assert.equal(db.lookupIpBytes(buf, version as 4 | 6), want);
        assert.equal(db.lastPrefixLength, wantPrefix);
        assert.equal(db.lastIpVersion, wantVersion);
      }),
      { numRuns: 500 },
    );
    assert.throws(() => db.lookupIpBytes(new Uint8Array(4), 6), RangeError);
  });
}

Deno.test("the IPv4 jump table changes no answer", () => {
  const b = new DatabaseBuilder({ buildEpoch: 1, onDuplicate: "first" });
  const nets: string[] = [];
  // 30,000 networks: over 2^17 nodes, so the table covers 17 bits (as many as log2 of the
  // node count, 16 to 20).
  for (let i = 0; i < 30_000; i++) {
    const len = [8, 12, 16, 20, 24, 32][i % 6];
    const a = (i * 2654435761) >>> 0;
    const m = len === 32 ? a : (a & (-1 << (32 - len))) >>> 0;
    nets.push(`${m >>> 24}.${(m >>> 16) & 255}.${(m >>> 8) & 255}.${m & 255}/${len}`);
  }
  for (const n of nets) b.add(n, { n });
  const db = Database.fromBytes(b.build());
  assert.ok(db.metadata.nodeCount >= 1 << 17, `${db.metadata.nodeCount} nodes`);
  const ref = Database.fromBytes(db.bytes); // fresh: no jump table until 4096 lookups
  const addrs: number[] = [];
  for (let i = 0; i < 20000; i++) addrs.push((Math.imul(i, 0x9e3779b1) ^ (i << 7)) | 0);
  const first = addrs.slice(0, 4000).map((a) => [ref.lookupIpv4(a), ref.lastPrefixLength]);
  for (const a of addrs) db.lookupIpv4(a); // builds the table
  addrs.slice(0, 4000).forEach((a, i) => {
    assert.deepEqual([db.lookupIpv4(a), db.lastPrefixLength], first[i]);
  });
});
