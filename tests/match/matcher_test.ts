/**
 * The matcher: each kind looked up the right way (networks, literals, globs, parent domains),
 * case handling, IPv4-mapped addresses, exact token boundaries; and the property that feed
 * indicators planted at random places in random log text are all found, with their offsets and
 * entries, and nothing else is — through the stream matcher in random pieces and small buffers.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Database, DatabaseBuilder } from "../../lib/db/mod.ts";
import {
  Matcher,
  type MatcherOptions,
  type MatchHit,
  matchViaName,
  SpanKind,
  spanKindName,
  StreamMatcher,
} from "../../lib/match/mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function db(entries: string[], matchMode?: "case-insensitive"): Database {
  const b = new DatabaseBuilder({ buildEpoch: 1, matchMode });
  entries.forEach((e, i) => b.add(e, { i }));
  return Database.fromBytes(b.build());
}

function hits(d: Database, text: string, options?: MatcherOptions): string[] {
  const bytes = enc.encode(text);
  const m = new Matcher(d, options);
  const out: string[] = [];
  m.scan(bytes, (h) => {
    out.push(
      `${spanKindName(h.kind)} ${dec.decode(bytes.subarray(h.start, h.end))} ${
        matchViaName(h.via)
      } ${m.entryText(h, bytes)}`,
    );
  });
  return out;
}

Deno.test("Matcher looks addresses up in the tree and strings in the literal and glob entries", () => {
  const d = db([
    "198.51.100.0/24",
    "2001:db8:bad::/48",
    "evil.com",
    "glob:*.tracker.net",
    "http://evil.org/payload.exe",
    "d41d8cd98f00b204e9800998ecf8427e",
    "bob@mail.com",
  ]);
  assert.deepEqual(
    hits(
      d,
      "a 198.51.100.9 b [2001:db8:bad::7]:443 GET http://evil.org/payload.exe x.tracker.net " +
        "D41D8CD98F00B204E9800998ECF8427E bob@mail.com 10.0.0.1 gmail.com evil.com.txt",
    ),
    [
      "ipv4 198.51.100.9 network 198.51.100.0/24",
      "ipv6 2001:db8:bad::7 network 2001:db8:bad::/48",
      "url http://evil.org/payload.exe literal http://evil.org/payload.exe",
      "domain x.tracker.net glob *.tracker.net",
      "md5 D41D8CD98F00B204E9800998ECF8427E literal d41d8cd98f00b204e9800998ecf8427e",
      "email bob@mail.com literal bob@mail.com",
    ],
  );
});

Deno.test("Matcher answers nothing from its caches once the database is closed: scan() throws closed", () => {
  const d = db(["198.51.100.0/24", "evil.com"]);
  const m = new Matcher(d);
  const line = enc.encode("198.51.100.9 evil.com\n");
  let n = 0;
  assert.equal(m.scan(line, () => n++), 2);
  d.close();
  assert.throws(
    () => m.scan(line, () => n++),
    (err: unknown) => err instanceof Error && (err as { code?: string }).code === "closed",
  );
  assert.equal(n, 2);
});

Deno.test("Matcher matches whole tokens only: mail.com is not found in gmail.com", () => {
  const d = db(["mail.com", "1.2.3.4"]);
  assert.deepEqual(hits(d, "gmail.com mail.com.evil x1.2.3.4 1.2.3.4.5 Chrome/1.2.3.4"), []);
  assert.deepEqual(hits(d, "(mail.com) 'MAIL.COM' 1.2.3.4:80"), [
    "domain mail.com literal mail.com",
    "domain MAIL.COM literal mail.com",
    "ipv4 1.2.3.4 network 1.2.3.4/32",
  ]);
});

Deno.test("Matcher reports parent domains only when asked, the nearest first", () => {
  const d = db(["evil.com", "b.evil.com", "co.uk", "glob:*.glob.org"]);
  const text = "a.b.evil.com c.evil.com x.co.uk q.glob.org";
  assert.deepEqual(hits(d, text), ["domain q.glob.org glob *.glob.org"]);
  assert.deepEqual(hits(d, text, { parentDomains: true }), [
    "domain a.b.evil.com parent-domain b.evil.com",
    "domain c.evil.com parent-domain evil.com",
    "domain q.glob.org glob *.glob.org",
  ]);
});

Deno.test("Matcher folds case as the build did, and domains and hashes always", () => {
  const cs = db(["Evil.com", "MixedCase", "evil.org", "http://A.example.com/X"]);
  assert.deepEqual(hits(cs, "EVIL.ORG http://A.example.com/X http://a.example.com/X"), [
    "domain EVIL.ORG literal evil.org",
    "url http://A.example.com/X literal http://A.example.com/X",
  ]);
  const ci = db(["http://a.example.com/x", "Straße.de"], "case-insensitive");
  assert.deepEqual(hits(ci, "HTTP://A.EXAMPLE.COM/X STRASSE.de straße.DE"), [
    "url HTTP://A.EXAMPLE.COM/X literal http://a.example.com/x",
    "domain straße.DE literal straße.de",
  ]);
});

Deno.test("Matcher answers IPv4-mapped IPv6 addresses through the tree's IPv4 networks", () => {
  for (const ipVersion of [4, 6] as const) {
    const b = new DatabaseBuilder({ buildEpoch: 1, ipVersion });
    b.add("192.0.2.0/24", { n: 1 });
    const d = Database.fromBytes(b.build());
    const got = hits(d, "from ::ffff:192.0.2.5 and 192.0.2.6");
    assert.equal(got.length, 2, `IPv${ipVersion} tree`);
    assert.equal(got[1], "ipv4 192.0.2.6 network 192.0.2.0/24");
    assert.match(got[0], /^ipv6 ::ffff:192\.0\.2\.5 network /);
  }
});

Deno.test("Matcher extracts only the kinds asked for and counts candidates", () => {
  const d = db(["1.2.3.4", "evil.com"]);
  const m = new Matcher(d, { kinds: [SpanKind.DOMAIN] });
  const bytes = enc.encode("1.2.3.4 evil.com good.com");
  const seen: number[] = [];
  assert.equal(m.scan(bytes, (h) => seen.push(h.kind)), 1);
  assert.deepEqual(seen, [SpanKind.DOMAIN]);
  assert.equal(m.candidates[SpanKind.DOMAIN], 2);
  assert.equal(m.candidates[SpanKind.IPV4], 0);
  assert.equal(m.hits, 1);
  // the same spans again come from the caches, with the same answers
  assert.equal(m.scan(bytes, () => {}), 1);
  assert.equal(m.cacheHits, 2);
});

// ---------------------------------------------------------------------------------------------
// Property: planted indicators are all found, nothing else is.

const FEED = {
  networks: ["198.51.100.0/24", "203.0.113.0/25", "2001:db8:bad::/48", "192.0.2.77"],
  literals: ["evil.com", "malware.example.org", "c2.bad.net", "login-secure.co.uk"],
  globs: ["*.tracker.io", "phish-*.com"],
  hashes: ["d41d8cd98f00b204e9800998ecf8427e", "da39a3ee5e6b4b0d3255bfef95601890afd80709"],
};
const feedDb = (() => {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  [...FEED.networks, ...FEED.literals, ...FEED.hashes].forEach((e) => b.add(e, { e }));
  FEED.globs.forEach((g) => b.add(`glob:${g}`, { g }));
  return Database.fromBytes(b.build());
})();

interface Plant {
  text: string;
  kind: string;
  entry: string;
}

const plant: fc.Arbitrary<Plant> = fc.oneof(
  fc.nat(255).map((x) => ({ text: `198.51.100.${x}`, kind: "ipv4", entry: "198.51.100.0/24" })),
  fc.nat(127).map((x) => ({ text: `203.0.113.${x}`, kind: "ipv4", entry: "203.0.113.0/25" })),
  fc.constant({ text: "192.0.2.77", kind: "ipv4", entry: "192.0.2.77/32" }),
  fc.nat(0xffff).map((x) => ({
    text: `2001:db8:bad::${x.toString(16)}`,
    kind: "ipv6",
    entry: "2001:db8:bad::/48",
  })),
  fc.constantFrom(...FEED.literals).map((l) => ({ text: l, kind: "domain", entry: l })),
  fc.constantFrom(...FEED.literals).map((l) => ({
    text: l.toUpperCase(),
    kind: "domain",
    entry: l,
  })),
  fc.stringMatching(/^[a-z]{1,8}$/).map((w) => ({
    text: `${w}.tracker.io`,
    kind: "domain",
    entry: "*.tracker.io",
  })),
  fc.stringMatching(/^[a-z]{1,8}$/).map((w) => ({
    text: `phish-${w}.com`,
    kind: "domain",
    entry: "phish-*.com",
  })),
  fc.constantFrom(...FEED.hashes).map((h) => ({
    text: h,
    kind: h.length === 32 ? "md5" : "sha1",
    entry: h,
  })),
);

// filler that holds no indicator: words without dots or colons, short numbers, punctuation
const filler = fc.array(
  fc.oneof(
    fc.stringMatching(/^[A-Za-z]{1,10}$/),
    fc.stringMatching(/^[0-9]{1,5}$/),
    fc.constantFrom(
      "GET",
      "POST",
      "-",
      "[07/Dec/2026]",
      "200",
      "HTTP",
      "=",
      "&",
      "é",
      "→",
      "\u0000",
    ),
  ),
  { maxLength: 6 },
).map((w) => w.join(" "));
const delimiter = fc.constantFrom(
  " ",
  "\t",
  '"',
  "'",
  " (",
  ") ",
  "<",
  ">",
  ", ",
  "\n",
  " \r\n",
  "=",
);

Deno.test("Matcher finds every planted indicator and nothing else, through StreamMatcher in random pieces", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(filler, delimiter, plant, delimiter), { maxLength: 12 }),
      filler,
      fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 8 }),
      (parts, tail, cuts) => {
        let text = "";
        const want: string[] = [];
        for (const [f, d1, p, d2] of parts) {
          text += f + d1;
          const offset = enc.encode(text).length;
          const line = text.split("\n").length;
          want.push(`${line} ${offset} ${p.text} ${p.kind} ${p.entry}`);
          text += p.text + d2;
        }
        text += tail;
        const bytes = enc.encode(text);
        const got: string[] = [];
        const matcher = new Matcher(feedDb);
        const stream = new StreamMatcher(matcher, (h: MatchHit, at) => {
          got.push(
            `${at.lineOf(h.start)} ${at.offsetOf(h.start)} ${
              dec.decode(at.bytes.subarray(h.start, h.end))
            } ${spanKindName(h.kind)} ${matcher.entryText(h, at.bytes)}`,
          );
        }, { bufferSize: 1 << 16 });
        let at = 0, k = 0;
        while (at < bytes.length) {
          const n = Math.min(cuts[k++ % cuts.length], bytes.length - at);
          stream.write(bytes.subarray(at, at + n));
          at += n;
        }
        stream.end();
        assert.deepEqual(got, want);
        assert.equal(
          stream.lines,
          text === "" ? 0 : text.split("\n").length - (text.endsWith("\n") ? 1 : 0),
        );
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("Matcher looks up parent domains by default when the database was built asking for it", () => {
  const b = new DatabaseBuilder({ buildEpoch: 1, parentDomains: true });
  b.add("evil.com", { n: 1 });
  const d = Database.fromBytes(b.build());
  assert.equal(d.metadata.mxyParentDomains, true);
  assert.deepEqual(hits(d, "a.b.evil.com"), ["domain a.b.evil.com parent-domain evil.com"]);
  assert.deepEqual(hits(d, "a.b.evil.com", { parentDomains: false }), []);
  // without the option the file is what it always was
  const plain = new DatabaseBuilder({ buildEpoch: 1 });
  plain.add("evil.com", { n: 1 });
  const p = Database.fromBytes(plain.build());
  assert.equal(p.metadata.mxyParentDomains, false);
  assert.ok(!new TextDecoder().decode(p.bytes).includes("parent_domains"));
  assert.deepEqual(hits(p, "a.b.evil.com"), []);
});

Deno.test("Matcher takes the database's own top-level labels as domain endings: a feed of .example names finds them", () => {
  const d = db([
    "login-verify.example",
    "glob:*.dyn.bad.example",
    "c2.corp.lan",
    "setup.exe",
    "evil.com",
  ]);
  const text = "GET http://login-verify.example/x host a.dyn.bad.example c2.corp.lan setup.exe " +
    "evil.com other.example";
  assert.deepEqual(hits(d, text), [
    "domain login-verify.example literal login-verify.example",
    "domain a.dyn.bad.example glob *.dyn.bad.example",
    "domain c2.corp.lan literal c2.corp.lan",
    "domain setup.exe literal setup.exe",
    "domain evil.com literal evil.com",
  ]);
  // suffixes: [] keeps the Public Suffix List alone
  assert.deepEqual(hits(d, text, { suffixes: [] }), ["domain evil.com literal evil.com"]);
});

Deno.test("Matcher answers thousands of IPv4 addresses as the tree does, its miss set included", () => {
  // Enough lookups for the matcher's per-prefix miss set to be made and used: addresses inside,
  // just outside and far from networks of every length, each several times, against the tree.
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          a: fc.integer({ min: 0, max: 0xffffffff }),
          len: fc.integer({ min: 4, max: 32 }),
        }),
        { minLength: 1, maxLength: 200 },
      ),
      fc.integer({ min: 0, max: 0xffff }),
      (nets, seed) => {
        const b = new DatabaseBuilder({ buildEpoch: 1 });
        nets.forEach(({ a, len }, i) => {
          const base = len === 32 ? a : (a >>> (32 - len)) << (32 - len) >>> 0;
          b.add(`${ipText(base)}/${len}`, { i });
        });
        const d = Database.fromBytes(b.build());
        let x = seed | 1;
        const next = () => (x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x297a2d39 | 0) >>> 0;
        const addresses: number[] = [];
        for (let i = 0; i < 12_000; i++) {
          const r = next();
          const { a, len } = nets[r % nets.length];
          const size = 2 ** (32 - len);
          const base = (a >>> 0) - ((a >>> 0) % size);
          const pick = r & 3;
          const v = pick === 0
            ? next()
            : pick === 1
            ? base + (next() % size)
            : pick === 2
            ? base + size
            : base - 1;
          addresses.push(((v % 2 ** 32) + 2 ** 32) % 2 ** 32);
        }
        // each address twice: the second answer may come from the caches
        const all = [...addresses, ...addresses];
        const text = enc.encode(all.map(ipText).join(" "));
        const expected: string[] = [];
        for (const v of all) {
          const off = d.lookupIpv4(v | 0);
          if (off >= 0) expected.push(`${ipText(v)} ${off} ${d.lastPrefixLength}`);
        }
        const got: string[] = [];
        new Matcher(d, { kinds: [SpanKind.IPV4] }).scan(text, (h) => {
          got.push(
            `${dec.decode(text.subarray(h.start, h.end))} ${h.dataOffset} ${h.prefixLength}`,
          );
        });
        assert.deepEqual(got, expected);
      },
    ),
    { numRuns: 10 },
  );
});

function ipText(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

Deno.test("Matcher looks up each IPv4 address it extracts, URL hosts beside other addresses included", () => {
  const d = db(["198.51.100.0/24", "203.0.113.0/24"]);
  assert.deepEqual(
    hits(d, "198.51.100.7:http://203.0.113.9/x 203.0.113.10.1.2 ::ffff:198.51.100.1 203.0.113.11"),
    [
      "ipv4 198.51.100.7 network 198.51.100.0/24",
      "ipv4 203.0.113.9 network 203.0.113.0/24",
      "ipv6 ::ffff:198.51.100.1 network 198.51.100.0/24",
      "ipv4 203.0.113.11 network 203.0.113.0/24",
    ],
  );
});
