import assert from "node:assert/strict";
import {
  forEachParentDomain,
  lowerSpanInto,
  registrableDomain,
  SpanKind,
  spanKindFromName,
  spanKindName,
} from "../../lib/match/mod.ts";
import { isDomain, isHostName } from "../../lib/match/_domain.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function parents(name: string): string[] {
  const bytes = enc.encode(`[${name}]`);
  const out: string[] = [];
  const n = forEachParentDomain(
    bytes,
    (s, e) => out.push(dec.decode(bytes.subarray(s, e))),
    1,
    bytes.length - 1,
  );
  assert.equal(n, out.length);
  return out;
}

Deno.test("forEachParentDomain() walks down to the registrable domain, never the suffix", () => {
  assert.deepEqual(parents("a.b.evil.com"), ["b.evil.com", "evil.com"]);
  assert.deepEqual(parents("b.evil.com"), ["evil.com"]);
  assert.deepEqual(parents("evil.com"), []);
  assert.deepEqual(parents("com"), []);
  assert.deepEqual(parents("x.y.evil.co.uk"), ["y.evil.co.uk", "evil.co.uk"]);
  assert.deepEqual(parents("a.b.c.d.mm"), ["b.c.d.mm", "c.d.mm"]);
  assert.deepEqual(parents("a.www.ck"), ["www.ck"]);
  assert.deepEqual(parents("a.b.user.github.io"), ["b.user.github.io", "user.github.io"]);
  assert.deepEqual(parents("a.b.corp.internal"), ["b.corp.internal", "corp.internal"]);
  assert.deepEqual(parents("A.B.Evil.COM."), ["B.Evil.COM", "Evil.COM"]);
  assert.deepEqual(parents("x.食狮.中国"), ["食狮.中国"]);
  assert.deepEqual(parents("a..evil.com"), []);
});

Deno.test("registrableDomain() lower-cases ASCII only and keeps Unicode labels", () => {
  assert.equal(registrableDomain("WWW.Bücher.DE"), "bücher.de");
  assert.equal(registrableDomain("a.b.c.kawasaki.jp"), "b.c.kawasaki.jp");
  assert.equal(registrableDomain("city.kawasaki.jp"), "city.kawasaki.jp");
});

Deno.test("isHostName() checks labels, hyphens and lengths", () => {
  const ok = (s: string) => {
    const b = enc.encode(s);
    return isHostName(b, 0, b.length);
  };
  assert.equal(ok("a.b"), true);
  assert.equal(ok("xn--85x722f.xn--fiqs8s"), true);
  assert.equal(ok("a-b.c"), true);
  assert.equal(ok("-a.b"), false);
  assert.equal(ok("a-.b"), false);
  assert.equal(ok("a..b"), false);
  assert.equal(ok("a_b.c"), false);
  assert.equal(ok("ab"), false);
  assert.equal(ok(".ab"), false);
  const known = (s: string) => {
    const b = enc.encode(s);
    return isDomain(b, 0, b.length);
  };
  assert.equal(known("evil.com"), true);
  assert.equal(known("evil.notatld"), false);
});

Deno.test("lowerSpanInto() folds ASCII letters only and checks its bounds", () => {
  const text = enc.encode("ÄBC.Example.COM");
  const out = new Uint8Array(32);
  const n = lowerSpanInto(text, out);
  assert.equal(dec.decode(out.subarray(0, n)), "Äbc.example.com");
  assert.throws(() => lowerSpanInto(text, new Uint8Array(2)), RangeError);
  assert.throws(() => lowerSpanInto(text, out, 3, 99), RangeError);
  assert.equal(lowerSpanInto(text, out, 5, 5), 0);
});

Deno.test("spanKindName() and spanKindFromName() are inverses", () => {
  for (const kind of Object.values(SpanKind)) {
    assert.equal(spanKindFromName(spanKindName(kind)), kind);
  }
  assert.throws(() => spanKindName(0 as SpanKind), RangeError);
  assert.equal(spanKindFromName(""), undefined);
});
