import assert from "node:assert/strict";
import { Extractor, SpanKind } from "../../lib/match/mod.ts";
import { rawSpans, spans } from "./_spans.ts";

const enc = new TextEncoder();

/** [text, expected spans] — each case is checked alone and with text around it. */
function check(cases: [string, string[]][]): void {
  for (const [text, want] of cases) {
    assert.deepEqual(spans(text), want, JSON.stringify(text));
    // the same text inside a line long enough for the 32-bit scan, at every alignment
    for (let pad = 0; pad < 8; pad++) {
      const line = `${"x ".repeat(pad)}${text} ${"y ".repeat(40)}`;
      assert.deepEqual(spans(line), want, JSON.stringify(line));
      // odd offsets too
      const odd = `${"x ".repeat(pad)} ${text} ${"y ".repeat(40)}`;
      assert.deepEqual(spans(odd), want, JSON.stringify(odd));
    }
  }
}

Deno.test("scan() finds IPv4 addresses with exact boundaries", () => {
  check([
    ["1.2.3.4", ["ipv4 1.2.3.4"]],
    ["203.0.113.255", ["ipv4 203.0.113.255"]],
    ["0.0.0.0", ["ipv4 0.0.0.0"]],
    ["from 10.0.0.1:8080 to", ["ipv4 10.0.0.1"]],
    ["(1.2.3.4),", ["ipv4 1.2.3.4"]],
    ['"1.2.3.4"', ["ipv4 1.2.3.4"]],
    ["ip=1.2.3.4&x", ["ipv4 1.2.3.4"]],
    ["src:1.2.3.4", ["ipv4 1.2.3.4"]],
    ["host 1.2.3.4.", ["ipv4 1.2.3.4"]],
    ["1.2.3.4.5", []],
    ["v1.2.3.4", []],
    ["1.2.3.4_x", []],
    ["01.2.3.4", []],
    ["1.2.3.04", []],
    ["256.1.1.1", []],
    ["1.2.3", []],
    ["1.2..3.4", []],
    ["1.2.3.4a", []],
    ["Chrome/120.0.0.0 Safari", []],
    ["GET /1.2.3.4 HTTP", ["ipv4 1.2.3.4"]],
    ["1.2.3.4-5.6.7.8", []],
    ["%2F1.2.3.4%2F", ["ipv4 1.2.3.4"]],
  ]);
});

Deno.test("scan() finds IPv6 addresses in every form, without zone ids", () => {
  check([
    ["2001:db8::1", ["ipv6 2001:db8::1"]],
    ["2001:0db8:0000:0000:0000:ff00:0042:8329", ["ipv6 2001:0db8:0000:0000:0000:ff00:0042:8329"]],
    ["::1", ["ipv6 ::1"]],
    ["fe80::", ["ipv6 fe80::"]],
    ["[2001:db8::1]:443", ["ipv6 2001:db8::1"]],
    ["[::1]", ["ipv6 ::1"]],
    ["fe80::1%eth0 up", ["ipv6 fe80::1"]],
    ["[fe80::1%25eth0]:80", ["ipv6 fe80::1"]],
    ["::ffff:1.2.3.4", ["ipv6 ::ffff:1.2.3.4"]],
    ["::ffff:192.0.2.128.", ["ipv6 ::ffff:192.0.2.128"]],
    ["64:ff9b::192.0.2.33", ["ipv6 64:ff9b::192.0.2.33"]],
    ["2001:DB8::A", ["ipv6 2001:DB8::A"]],
    ["addr 2001:db8::1: refused", ["ipv6 2001:db8::1"]],
    ["1:2:3:4:5:6:7:8", ["ipv6 1:2:3:4:5:6:7:8"]],
    ["1:2:3:4:5:6:1.2.3.4", ["ipv6 1:2:3:4:5:6:1.2.3.4"]],
    ["a::b", ["ipv6 a::b"]],
    ["[01/Mar/2024:00:00:00 +0000]", []],
    ["1:2:3:4:5:6:7::", ["ipv6 1:2:3:4:5:6:7::"]],
    ["::", []],
    ["[::]:80", []],
    ["1:2:3:4:5:6:7:8:9", []],
    ["1::2::3", []],
    ["12345::1", []],
    ["2001:db8::g", []],
    ["13:55:36", []],
    ["00:1a:2b:3c:4d:5e", []],
    ["x2001:db8::1", []],
    ["::ffff:1.2.3", []],
    ["::ffff:01.2.3.4", []],
  ]);
});

Deno.test("scan() finds domains on the Public Suffix List only, as whole tokens", () => {
  check([
    ["evil.com", ["domain evil.com"]],
    ["a.de", ["domain a.de"]],
    ["0.de", ["domain 0.de"]],
    ["https://evil.com/x", ["url https://evil.com/x", "domain evil.com"]],
    ["user@evil.com", ["email user@evil.com", "domain evil.com"]],
    ['"evil.com"', ["domain evil.com"]],
    ["(evil.com)", ["domain evil.com"]],
    ["evil.com,", ["domain evil.com"]],
    ["evil.com:443", ["domain evil.com"]],
    ["gmail.com", ["domain gmail.com"]],
    ["EVIL.COM", ["domain EVIL.COM"]],
    ["example.com.", ["domain example.com"]],
    ["...example.com...", ["domain example.com"]],
    ["www.example.co.uk", ["domain www.example.co.uk"]],
    ["a.b.c.mm", ["domain a.b.c.mm"]],
    ["c.mm", []],
    ["www.ck", ["domain www.ck"]],
    ["test.ck", []],
    ["co.uk", []],
    ["com", []],
    ["user.github.io", ["domain user.github.io"]],
    ["xn--85x722f.xn--fiqs8s", ["domain xn--85x722f.xn--fiqs8s"]],
    ["食狮.中国", ["domain 食狮.中国"]],
    ["www.食狮.公司.cn", ["domain www.食狮.公司.cn"]],
    ["bücher.de", ["domain bücher.de"]],
    ["“evil.com”", ["domain evil.com"]],
    ["evil.com\u00a0x", ["domain evil.com"]],
    ["file.zip", ["domain file.zip"]],
    ["run.sh", ["domain run.sh"]],
    ["file.txt", []],
    ["index.html", []],
    ["a.b", []],
    ["evil.com.txt", []],
    ["foo_evil.com", []],
    ["_dmarc.evil.com", []],
    ["-evil.com", []],
    ["evil-.com", []],
    ["ev--il.com", ["domain ev--il.com"]],
    ["a..evil.com", []],
    ["example.local", []],
    ["123.com", ["domain 123.com"]],
    ["%2Fevil.com%2F", ["domain evil.com"]],
    ["?u=https%3A%2F%2Fevil.com%2Fx", ["domain evil.com"]],
  ]);
});

Deno.test("scan() applies the label and name length limits", () => {
  const label63 = "x".repeat(63);
  check([
    [`${label63}.com`, [`domain ${label63}.com`]],
    [`${label63}b.com`, []],
  ]);
  // 253 characters is the limit
  const name = (n: number) =>
    `${"abcdefghi.".repeat(Math.floor((n - 4) / 10))}${"x".repeat((n - 4) % 10)}.com`;
  assert.equal(name(253).length, 253);
  assert.deepEqual(spans(name(253)), [`domain ${name(253)}`]);
  assert.equal(name(254).length, 254);
  assert.deepEqual(spans(name(254)), []);
  // non-ASCII labels count characters, not bytes
  const wide = "ü".repeat(63);
  assert.deepEqual(spans(`${wide}.de`), [`domain ${wide}.de`]);
  assert.deepEqual(spans(`${wide}ü.de`), []);
});

Deno.test("scan() finds URLs and their hosts", () => {
  check([
    ["http://evil.com", ["url http://evil.com", "domain evil.com"]],
    ["https://evil.com/a/b?c=d#e", ["url https://evil.com/a/b?c=d#e", "domain evil.com"]],
    ["ftp://files.example.org:2121/pub", [
      "url ftp://files.example.org:2121/pub",
      "domain files.example.org",
    ]],
    ["HTTP://EVIL.COM/X", ["url HTTP://EVIL.COM/X", "domain EVIL.COM"]],
    ["http://1.2.3.4:8080/x", ["url http://1.2.3.4:8080/x", "ipv4 1.2.3.4"]],
    ["http://[2001:db8::1]:8443/x", ["url http://[2001:db8::1]:8443/x", "ipv6 2001:db8::1"]],
    ["http://[fe80::1%25eth0]/", ["url http://[fe80::1%25eth0]/", "ipv6 fe80::1"]],
    ["http://user:pw@evil.com/", ["url http://user:pw@evil.com/", "domain evil.com"]],
    ["(see http://evil.com/x).", ["url http://evil.com/x", "domain evil.com"]],
    ["http://evil.com/wiki/A_(b)", ["url http://evil.com/wiki/A_(b)", "domain evil.com"]],
    ["<http://evil.com/x>", ["url http://evil.com/x", "domain evil.com"]],
    ['href="http://evil.com/x"', ["url http://evil.com/x", "domain evil.com"]],
    ["http://evil.com, next", ["url http://evil.com", "domain evil.com"]],
    ["http://evil.com.:80/", ["url http://evil.com.:80/", "domain evil.com"]],
    ["svn+ssh://code.example.org/r", [
      "url svn+ssh://code.example.org/r",
      "domain code.example.org",
    ]],
    ["url:https://evil.com", ["url https://evil.com", "domain evil.com"]],
    ["http://bücher.de/ä", ["url http://bücher.de/ä", "domain bücher.de"]],
    ["“http://evil.com/x”", ["url http://evil.com/x", "domain evil.com"]],
    ["http://localhost:8080/x", []],
    ["file:///etc/passwd", []],
    ["http://evil.com:abc/", ["domain evil.com"]],
    ["https://a.com/r?u=http://b.org/x", [
      "url https://a.com/r?u=http://b.org/x",
      "domain a.com",
      "url http://b.org/x",
      "domain b.org",
    ]],
    ["https://a.com/go?to=b.net&ip=1.2.3.4", [
      "url https://a.com/go?to=b.net&ip=1.2.3.4",
      "domain a.com",
      "domain b.net",
      "ipv4 1.2.3.4",
    ]],
  ]);
});

Deno.test("scan() finds e-mail addresses and their domains", () => {
  check([
    ["bob@evil.com", ["email bob@evil.com", "domain evil.com"]],
    ["<john.doe+tag@mail.example.org>", [
      "email john.doe+tag@mail.example.org",
      "domain mail.example.org",
    ]],
    ["mailto:bob@evil.com", ["email bob@evil.com", "domain evil.com"]],
    ["?email=bob@evil.com&x", ["email bob@evil.com", "domain evil.com"]],
    ["first.last@evil.co.uk.", ["email first.last@evil.co.uk", "domain evil.co.uk"]],
    ["info.ca@evil.com", ["email info.ca@evil.com", "domain evil.com"]],
    [".bob@evil.com", ["email bob@evil.com", "domain evil.com"]],
    ["bob.@evil.com", ["domain evil.com"]],
    ["a..b@evil.com", ["domain evil.com"]],
    ["@evil.com", ["domain evil.com"]],
    ["bob@localhost", []],
    ["bob@1.2.3.4", ["ipv4 1.2.3.4"]],
    [`${"x".repeat(64)}@evil.com`, [`email ${"x".repeat(64)}@evil.com`, "domain evil.com"]],
    [`${"x".repeat(65)}@evil.com`, ["domain evil.com"]],
    // a hash in the local part is a hash
    [`${"a".repeat(64)}@evil.com`, [
      `sha256 ${"a".repeat(64)}`,
      `email ${"a".repeat(64)}@evil.com`,
      "domain evil.com",
    ]],
  ]);
});

Deno.test("scan() finds hashes as whole alphanumeric runs of the exact lengths", () => {
  const md5 = "d41d8cd98f00b204e9800998ecf8427e";
  const sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
  const sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  const sha512 = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" +
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";
  check([
    [md5, [`md5 ${md5}`]],
    [md5.toUpperCase(), [`md5 ${md5.toUpperCase()}`]],
    [sha1, [`sha1 ${sha1}`]],
    [sha256, [`sha256 ${sha256}`]],
    [sha512, [`sha512 ${sha512}`]],
    [`sha256:${sha256}`, [`sha256 ${sha256}`]],
    [`md5_${md5}-x`, [`md5 ${md5}`]],
    [`/files/${md5}.bin`, [`md5 ${md5}`]],
    [`x.y.${md5}`, [`md5 ${md5}`]],
    [`cdn.example.${sha1}.z`, [`sha1 ${sha1}`]],
    [`${md5}0`, []],
    [`0${md5}`, []],
    [`g${md5}`, []],
    [`${md5}g`, []],
    [md5.slice(1), []],
    [`${sha256}${md5}`, []],
    [`%2F${md5}`, [`md5 ${md5}`]],
  ]);
});

Deno.test("scan() finds Bitcoin addresses with valid checksums only", () => {
  check([
    ["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", ["bitcoin 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"]],
    ["3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", ["bitcoin 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"]],
    ["bitcoin:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa?amount=1", [
      "bitcoin 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
    ]],
    // one character changed: the checksum fails
    ["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", []],
    ["3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz", []],
    // glued to more text
    ["x1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", []],
    // BIP 173/350: valid segwit addresses
    ["BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", [
      "bitcoin BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
    ]],
    ["bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", [
      "bitcoin bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    ]],
    [
      "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
      ["bitcoin bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y"],
    ],
    ["BC1SW50QGDZ25J", ["bitcoin BC1SW50QGDZ25J"]],
    ["bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", ["bitcoin bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs"]],
    [
      "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
      ["bitcoin bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"],
    ],
    // BIP 350: invalid ones
    ["bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", []], // bech32, not m
    ["BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL", []],
    ["bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", []], // bech32m for v0
    ["bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", []],
    ["BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R", []],
    ["bc1pw5dgrnzv", []],
    ["bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav", []],
    ["BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", []],
    ["bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", []],
    ["bc1gmk9yu", []],
    ["bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqZk5jj0", []], // mixed case
    // testnet is not mainnet
    ["tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", []],
  ]);
});

Deno.test("scan() finds Ethereum addresses, checking EIP-55 when mixed case", () => {
  // the EIP-55 examples
  const valid = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
  ];
  check(valid.map((a) => [a, [`ethereum ${a}`]]));
  check([
    // one letter's case flipped
    ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", []],
    ["0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5D359", []],
    // not 40 digits, or glued
    ["0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae", []],
    ["0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed0", []],
    ["a0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", []],
    ["0X5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", []],
    ["to=0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed&", [
      "ethereum 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
    ]],
  ]);
});

Deno.test("scan() reports offsets into the buffer and reads only the range given", () => {
  const text = enc.encode("aaa 1.2.3.4 evil.com bbb");
  assert.deepEqual(rawSpans(text), [[SpanKind.IPV4, 4, 11], [SpanKind.DOMAIN, 12, 20]]);
  // a range that cuts a token: the token ends at the range's edge
  assert.deepEqual(rawSpans(text, 4, 18), [[SpanKind.IPV4, 4, 11]]);
  assert.deepEqual(rawSpans(text, 5, 20), [[SpanKind.DOMAIN, 12, 20]]);
  assert.deepEqual(rawSpans(text, 12, 16), []);
  // a subarray view at an odd offset of its buffer
  const big = new Uint8Array(101);
  big.set(enc.encode("x bad.example.com 10.1.2.3"), 3);
  const view = big.subarray(3, 3 + 27);
  assert.deepEqual(rawSpans(view), [[SpanKind.DOMAIN, 2, 17], [SpanKind.IPV4, 18, 26]]);
  assert.throws(() => rawSpans(text, 5, 100), RangeError);
  assert.throws(() => rawSpans(text, 6, 5), RangeError);
});

Deno.test("scan() reports only the kinds asked for, and hosts only when their kind is on", () => {
  const line = "https://evil.com/x bob@mail.com 1.2.3.4 ::1 d41d8cd98f00b204e9800998ecf8427e";
  assert.deepEqual(spans(line, [SpanKind.URL]), ["url https://evil.com/x"]);
  assert.deepEqual(spans(line, [SpanKind.EMAIL]), ["email bob@mail.com"]);
  assert.deepEqual(spans(line, [SpanKind.DOMAIN]), ["domain evil.com", "domain mail.com"]);
  assert.deepEqual(spans(line, [SpanKind.IPV4, SpanKind.IPV6]), ["ipv4 1.2.3.4", "ipv6 ::1"]);
  assert.deepEqual(spans(line, [SpanKind.MD5]), ["md5 d41d8cd98f00b204e9800998ecf8427e"]);
  assert.deepEqual(spans(line, [SpanKind.SHA1]), []);
  assert.deepEqual(spans(line, []), []);
  assert.deepEqual(new Extractor({ kinds: [SpanKind.URL, SpanKind.IPV4] }).kinds, [
    SpanKind.IPV4,
    SpanKind.URL,
  ]);
  assert.throws(() => new Extractor({ kinds: [99 as SpanKind] }), RangeError);
});

Deno.test("scanInto() writes triples and counts the spans that did not fit", () => {
  const text = enc.encode("1.2.3.4 5.6.7.8 9.9.9.9");
  const ex = new Extractor();
  const out = new Int32Array(6);
  assert.equal(ex.scanInto(text, out), 3);
  assert.deepEqual([...out], [SpanKind.IPV4, 0, 7, SpanKind.IPV4, 8, 15]);
  const big = new Int32Array(9);
  assert.equal(ex.scanInto(text, big, 8), 2);
  assert.deepEqual([...big.subarray(0, 6)], [SpanKind.IPV4, 8, 15, SpanKind.IPV4, 16, 23]);
});

Deno.test("scan() survives NUL bytes, invalid UTF-8 and binary garbage", () => {
  const bytes = new Uint8Array([
    0,
    ...enc.encode("evil.com"),
    0,
    0xff,
    0xfe,
    ...enc.encode("1.2.3.4"),
    0xc3, // a lone lead byte
    0x20,
    0xe2,
    0x80, // a truncated sequence
    ...enc.encode("a.evil.org"),
    0xed,
    0xa0,
    0x80, // a surrogate
  ]);
  assert.deepEqual(spans(bytes), ["domain evil.com", "ipv4 1.2.3.4", "domain a.evil.org"]);
});

Deno.test("scan() is linear on long lines without delimiters", () => {
  for (const fill of ["a", "1", ".", ":", "a.", "1.", "::", "a:", "é", "ab-", "_", "%41"]) {
    const text = enc.encode(fill.repeat(Math.ceil(4_000_000 / fill.length)));
    const t = performance.now();
    new Extractor().scan(text, () => {});
    // generous: a quadratic walk would take minutes
    assert.ok(performance.now() - t < 5_000, `${JSON.stringify(fill)} took too long`);
  }
  // a long line of indicators
  const many = enc.encode("evil.com 1.2.3.4 ".repeat(100_000));
  assert.equal(new Extractor().scan(many, () => {}), 200_000);
});

Deno.test("scan() is linear on long lines of URLs, e-mail addresses and brackets", () => {
  const cases: [string, string][] = [
    ["http://a.com/", ""],
    ["http://a.com/(", ""],
    ["http://a.com/", ")".repeat(1_000_000)],
    ["http://a.com/", ".".repeat(1_000_000)],
    ["http://a.com/x.", ""],
    ["http://a.com:", ""],
    ["http://a.com@", ""],
    ["a@b.com", ""],
    ["a.a@b.com.", ""],
    ["a.com.", ""],
    ["[::1]:", ""],
    ["::1%", ""],
    ["1.2.3.4:", ""],
  ];
  for (const [unit, tail] of cases) {
    const text = enc.encode(unit.repeat(Math.ceil(2_000_000 / unit.length)) + tail);
    const t = performance.now();
    new Extractor().scan(text, () => {});
    assert.ok(performance.now() - t < 5_000, `${JSON.stringify(unit)} took too long`);
  }
});

Deno.test("scan() takes names ending in the extra suffixes it is given as domains, in URLs and e-mail too", () => {
  const text =
    "see evil.example, http://c2.Corp.Internal:8443/x and bob@corp.internal; not file.txt";
  const show = (ex: Extractor) => {
    const bytes = enc.encode(text);
    const out: string[] = [];
    ex.scan(bytes, (k, s, e) => out.push(`${k} ${new TextDecoder().decode(bytes.subarray(s, e))}`));
    return out;
  };
  assert.deepEqual(show(new Extractor()), []);
  const D = SpanKind.DOMAIN, U = SpanKind.URL, E = SpanKind.EMAIL;
  assert.deepEqual(show(new Extractor({ suffixes: ["EXAMPLE", "internal", "bad.label", ""] })), [
    `${D} evil.example`,
    `${U} http://c2.Corp.Internal:8443/x`,
    `${D} c2.Corp.Internal`,
    `${E} bob@corp.internal`,
    `${D} corp.internal`,
  ]);
  // a suffix alone, or a name with a bad label, is still no domain
  assert.deepEqual(spans("example -a.example a..example"), []);
  const ex = new Extractor({ suffixes: ["example"] });
  const bytes = enc.encode("example .example -a.example a..example x.example.");
  const found: string[] = [];
  ex.scan(bytes, (_k, s, e) => found.push(new TextDecoder().decode(bytes.subarray(s, e))));
  assert.deepEqual(found, ["x.example"]);
});
