/**
 * The Public Suffix List's own test vectors (tests/test_psl.txt of the publicsuffix/list
 * repository, public domain via CC0), as `checkPublicSuffix(input, registrable domain)` pairs,
 * against registrableDomain(); and the extractor's stricter rule (an explicit rule must match).
 */
import assert from "node:assert/strict";
import { get as pslGet } from "psl";
import {
  registrableDomain,
  registrableDomainStart,
  sharePublicSuffixTable,
  usePublicSuffixTable,
} from "../../lib/match/mod.ts";
import { publicSuffixStart } from "../../lib/match/_psl.ts";
import { spans } from "./_spans.ts";

const VECTORS: [string, string | null][] = [
  // Mixed case.
  ["COM", null],
  ["example.COM", "example.com"],
  ["WwW.example.COM", "example.com"],
  // Leading dot.
  [".com", null],
  [".example", null],
  [".example.com", null],
  [".example.example", null],
  // Unlisted TLD.
  ["example", null],
  ["example.example", "example.example"],
  ["b.example.example", "example.example"],
  ["a.b.example.example", "example.example"],
  // TLD with only 1 rule.
  ["biz", null],
  ["domain.biz", "domain.biz"],
  ["b.domain.biz", "domain.biz"],
  ["a.b.domain.biz", "domain.biz"],
  // TLD with some 2-level rules.
  ["com", null],
  ["example.com", "example.com"],
  ["b.example.com", "example.com"],
  ["a.b.example.com", "example.com"],
  ["uk.com", null],
  ["example.uk.com", "example.uk.com"],
  ["b.example.uk.com", "example.uk.com"],
  ["a.b.example.uk.com", "example.uk.com"],
  ["test.ac", "test.ac"],
  // TLD with only 1 (wildcard) rule.
  ["mm", null],
  ["c.mm", null],
  ["b.c.mm", "b.c.mm"],
  ["a.b.c.mm", "b.c.mm"],
  // More complex TLD.
  ["jp", null],
  ["test.jp", "test.jp"],
  ["www.test.jp", "test.jp"],
  ["ac.jp", null],
  ["test.ac.jp", "test.ac.jp"],
  ["www.test.ac.jp", "test.ac.jp"],
  ["kyoto.jp", null],
  ["test.kyoto.jp", "test.kyoto.jp"],
  ["ide.kyoto.jp", null],
  ["b.ide.kyoto.jp", "b.ide.kyoto.jp"],
  ["a.b.ide.kyoto.jp", "b.ide.kyoto.jp"],
  ["c.kobe.jp", null],
  ["b.c.kobe.jp", "b.c.kobe.jp"],
  ["a.b.c.kobe.jp", "b.c.kobe.jp"],
  ["city.kobe.jp", "city.kobe.jp"],
  ["www.city.kobe.jp", "city.kobe.jp"],
  // TLD with a wildcard rule and exceptions.
  ["ck", null],
  ["test.ck", null],
  ["b.test.ck", "b.test.ck"],
  ["a.b.test.ck", "b.test.ck"],
  ["www.ck", "www.ck"],
  ["www.www.ck", "www.ck"],
  // US K12.
  ["us", null],
  ["test.us", "test.us"],
  ["www.test.us", "test.us"],
  ["ak.us", null],
  ["test.ak.us", "test.ak.us"],
  ["www.test.ak.us", "test.ak.us"],
  ["k12.ak.us", null],
  ["test.k12.ak.us", "test.k12.ak.us"],
  ["www.test.k12.ak.us", "test.k12.ak.us"],
  // IDN labels.
  ["食狮.com.cn", "食狮.com.cn"],
  ["食狮.公司.cn", "食狮.公司.cn"],
  ["www.食狮.公司.cn", "食狮.公司.cn"],
  ["shishi.公司.cn", "shishi.公司.cn"],
  ["公司.cn", null],
  ["食狮.中国", "食狮.中国"],
  ["www.食狮.中国", "食狮.中国"],
  ["shishi.中国", "shishi.中国"],
  ["中国", null],
  // Same as above, but punycoded.
  ["xn--85x722f.com.cn", "xn--85x722f.com.cn"],
  ["xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn"],
  ["www.xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn"],
  ["shishi.xn--55qx5d.cn", "shishi.xn--55qx5d.cn"],
  ["xn--55qx5d.cn", null],
  ["xn--85x722f.xn--fiqs8s", "xn--85x722f.xn--fiqs8s"],
  ["www.xn--85x722f.xn--fiqs8s", "xn--85x722f.xn--fiqs8s"],
  ["shishi.xn--fiqs8s", "shishi.xn--fiqs8s"],
  ["xn--fiqs8s", null],
];

Deno.test("registrableDomain() passes the Public Suffix List's test vectors", () => {
  for (const [input, want] of VECTORS) assert.equal(registrableDomain(input), want, input);
  assert.equal(registrableDomain(""), null);
});

Deno.test("the extractor reports a vector's name as a domain only under an explicit rule", () => {
  for (const [input, want] of VECTORS) {
    // the default rule `*` does not count, and a leading dot is punctuation to the extractor
    const name = input.replace(/^\./, "");
    const expected = want !== null && !input.endsWith("example") ? [`domain ${name}`] : [];
    if (input === ".example.com") expected.push("domain example.com");
    assert.deepEqual(spans(input), expected, input);
  }
});

Deno.test("registrableDomainStart() ignores one trailing dot and refuses empty labels", () => {
  const enc = new TextEncoder();
  assert.equal(registrableDomainStart(enc.encode("www.example.com.")), 4);
  assert.equal(registrableDomainStart(enc.encode("www.example.com..")), -1);
  assert.equal(registrableDomainStart(enc.encode("www..example.com")), -1);
  assert.equal(registrableDomainStart(enc.encode(".")), -1);
  assert.equal(registrableDomain("WWW.Example.COM."), "example.com");
  assert.throws(() => registrableDomainStart(enc.encode("x"), 0, 2), RangeError);
});

Deno.test("publicSuffixStart() agrees with the psl package on the list's rules", () => {
  // every rule of the list, with a label or two in front, against psl's own parser
  const enc = new TextEncoder();
  const text = Deno.readTextFileSync(new URL("../../lib/match/_psl_data.ts", import.meta.url));
  const rules = text.slice(text.indexOf("`\n") + 2, text.lastIndexOf("`;")).split("\n");
  let checked = 0;
  for (const line of rules.filter((l) => l !== "")) {
    const rule = line.split(" ")[0];
    const base = rule.replace(/^[!*]\.?/, "");
    for (const name of [`x.${base}`, `a.b.${base}`]) {
      const want = pslGet(name);
      assert.equal(registrableDomain(name), want, name);
      checked++;
    }
    // and the byte-level lookup sees the rule itself as a known suffix
    const bytes = enc.encode(`x.${base}`);
    assert.ok(publicSuffixStart(bytes, 0, bytes.length) >= 0, base);
  }
  assert.ok(checked > 19_000);
});

Deno.test("the shared Public Suffix List table answers as the built one and a malformed one is refused", () => {
  const share = sharePublicSuffixTable();
  assert.equal(sharePublicSuffixTable(), share);
  assert.ok(share.slots.buffer instanceof SharedArrayBuffer);
  usePublicSuffixTable(share);
  assert.equal(registrableDomain("a.b.example.co.uk"), "example.co.uk");
  assert.throws(
    () => usePublicSuffixTable({ ...share, slots: share.slots.subarray(1) }),
    RangeError,
  );
  assert.throws(
    () => usePublicSuffixTable({ ...share, hash: share.hash.subarray(1) }),
    RangeError,
  );
});
