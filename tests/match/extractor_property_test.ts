/**
 * Property tests: indicators planted at random places in random log-like text, separated by
 * realistic delimiters, are all found with their exact spans and nothing else is; random bytes
 * never make the extractor throw or report a span outside the range; where a line sits in its
 * buffer (and so how it meets the 32-bit scan) changes nothing.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { get as pslGet } from "psl";
import { Extractor, SpanKind } from "../../lib/match/mod.ts";

const enc = new TextEncoder();
const extractor = new Extractor();

/** A piece of text and the spans it must produce, relative to its start, in bytes. */
interface Piece {
  text: string;
  spans: [number, number, number][];
  /** A URL must be followed by a byte that ends URLs. */
  url?: boolean;
}

const byteLength = (s: string) => enc.encode(s).length;

function whole(kind: number, text: string): Piece {
  return { text, spans: [[kind, 0, byteLength(text)]] };
}

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join("."));

const group = fc.integer({ min: 0, max: 0xffff });
/** IPv6 text: eight groups, maybe one run of them compressed, maybe a dotted tail. */
const ipv6 = fc.record({
  groups: fc.array(group, { minLength: 8, maxLength: 8 }),
  cut: fc.option(fc.tuple(fc.nat(7), fc.integer({ min: 1, max: 7 }))),
  upper: fc.boolean(),
  tail: fc.option(ipv4),
}).map(({ groups, cut, upper, tail }) => {
  const n = tail === null ? 8 : 6;
  const parts = groups.slice(0, n).map((g) => g.toString(16));
  let text: string;
  if (cut === null) {
    text = parts.join(":") + (tail === null ? "" : `:${tail}`);
  } else {
    const at = Math.min(cut[0], n - 1);
    const len = Math.min(cut[1], n - at);
    const left = parts.slice(0, at).join(":");
    const right = parts.slice(at + len).join(":");
    const rest = tail === null ? right : right === "" ? tail : `${right}:${tail}`;
    text = `${left}::${rest}`;
    if (text === "::") text = "::1";
  }
  return upper ? text.toUpperCase() : text;
});

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,6}[a-z0-9])?$/).filter((l) =>
  !/^[0-9]+$/.test(l)
);
const SUFFIXES = [
  "com",
  "org",
  "net",
  "co.uk",
  "github.io",
  "de",
  "zip",
  "io",
  "中国",
  "xn--fiqs8s",
  "com.cn",
  "b.c.mm",
  "k12.ak.us",
];
const domain = fc.tuple(
  fc.array(label, { minLength: 1, maxLength: 3 }),
  fc.constantFrom(...SUFFIXES),
  fc.boolean(),
).map(([labels, suffix, upper]) => {
  const name = `${labels.join(".")}.${suffix}`;
  return upper ? name.toUpperCase() : name;
  // a random name may be a public suffix itself (`gb.net`): the psl package says
}).filter((name) => pslGet(name.toLowerCase()) !== null);

const hashPiece = fc.constantFrom(
  [32, SpanKind.MD5],
  [40, SpanKind.SHA1],
  [64, SpanKind.SHA256],
  [128, SpanKind.SHA512],
).chain(([n, kind]) =>
  fc.tuple(fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`)), fc.boolean()).map(([h, up]) =>
    whole(kind, up ? h.toUpperCase() : h)
  )
);

const BITCOIN = [
  "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
  "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
  "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
  "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
  "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
];
const ETHEREUM = [
  "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
  "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
  "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
  "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
];
const ethereum = fc.oneof(
  fc.constantFrom(...ETHEREUM),
  fc.stringMatching(/^[0-9a-f]{40}$/).map((h) => `0x${h}`),
);

const host = fc.oneof(
  domain.map((d) => ({ text: d, kind: SpanKind.DOMAIN, offset: 0 })),
  ipv4.map((a) => ({ text: a, kind: SpanKind.IPV4, offset: 0 })),
  ipv6.map((a) => ({ text: `[${a}]`, kind: SpanKind.IPV6, offset: 1 })),
);
const pathPart = fc.stringMatching(
  /^(?:\/[a-zA-Z0-9_~-]{1,8}){0,3}(?:\?[a-z]{1,4}=[a-z0-9]{1,6})?$/,
);
const url = fc.record({
  scheme: fc.constantFrom("http", "https", "ftp", "HTTPS"),
  host,
  port: fc.option(fc.integer({ min: 1, max: 65535 })),
  path: pathPart,
}).map(({ scheme, host, port, path }): Piece => {
  const prefix = `${scheme}://`;
  const text = `${prefix}${host.text}${port === null ? "" : `:${port}`}${path}`;
  const hs = byteLength(prefix) + host.offset;
  const hostLength = byteLength(host.text) - 2 * host.offset;
  return {
    text,
    spans: [[SpanKind.URL, 0, byteLength(text)], [host.kind, hs, hs + hostLength]],
    url: true,
  };
});

const email = fc.tuple(
  fc.stringMatching(/^[a-z0-9](?:[a-z0-9_+-]{0,8})(?:\.[a-z0-9]{1,5})?$/),
  domain,
).map(([local, d]): Piece => {
  const text = `${local}@${d}`;
  const at = byteLength(local) + 1;
  return {
    text,
    spans: [[SpanKind.EMAIL, 0, byteLength(text)], [SpanKind.DOMAIN, at, byteLength(text)]],
  };
});

const indicator: fc.Arbitrary<Piece> = fc.oneof(
  ipv4.map((a) => whole(SpanKind.IPV4, a)),
  ipv6.map((a) => whole(SpanKind.IPV6, a)),
  ipv6.chain((a) =>
    fc.constantFrom(`[${a}]:443`, `[${a}]`, `${a}%eth0`).map((text): Piece => ({
      text,
      spans: [[
        SpanKind.IPV6,
        text.startsWith("[") ? 1 : 0,
        byteLength(a) + (text.startsWith("[") ? 1 : 0),
      ]],
    }))
  ),
  domain.map((d) => whole(SpanKind.DOMAIN, d)),
  domain.map((d): Piece => ({ text: `${d}.`, spans: [[SpanKind.DOMAIN, 0, byteLength(d)]] })),
  fc.tuple(fc.oneof(domain, ipv4), fc.integer({ min: 1, max: 65535 })).map(([h, port]): Piece => ({
    text: `${h}:${port}`,
    spans: [[/^[0-9.]+$/.test(h) ? SpanKind.IPV4 : SpanKind.DOMAIN, 0, byteLength(h)]],
  })),
  url,
  email,
  hashPiece,
  fc.constantFrom(...BITCOIN).map((a) => whole(SpanKind.BITCOIN, a)),
  ethereum.map((a) => whole(SpanKind.ETHEREUM, a)),
);

/** Text that holds no indicator, some of it close to one. */
const filler: fc.Arbitrary<Piece> = fc.oneof(
  fc.stringMatching(/^[a-zA-Z]{1,8}$/),
  fc.stringMatching(/^[0-9]{1,5}$/),
  fc.constantFrom(
    "-",
    "GET",
    "HTTP/1.1",
    "1.2.3.4.5",
    "v1.2.3.4",
    "01.2.3.4",
    "1.2.3",
    "256.1.2.3",
    "file.txt",
    "index.html",
    "a.b",
    "Chrome/120.0.0.0",
    "[10/Oct/2000:13:55:36",
    "00:1a:2b:3c:4d:5e",
    "::",
    "x.local",
    "evil.com.txt",
    "foo_bar.com",
    "c.mm",
    "co.uk",
    "http://localhost/",
    "d41d8cd98f00b204e9800998ecf8427",
    "d41d8cd98f00b204e9800998ecf8427ef",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
    "ünïcödé",
    "日本語",
  ),
).map((text) => ({ text, spans: [] }));

/** Delimiters between pieces; after a URL only those that end URLs. */
const DELIMITERS = [
  " ",
  "  ",
  "\t",
  '"',
  " (",
  ") ",
  ", ",
  "; ",
  " [",
  "] ",
  "=",
  "&",
  "|",
  "<",
  ">",
  "'",
  " “",
  "” ",
];
const URL_ENDS = [" ", "\t", '"', "<", ">", "'", " “", "\n"];

const line = fc.array(
  fc.tuple(
    fc.oneof({ weight: 2, arbitrary: filler }, { weight: 1, arbitrary: indicator }),
    fc.nat(),
  ),
  {
    maxLength: 25,
  },
).map((items) => {
  let text = "";
  let at = 0;
  const spans: number[][] = [];
  for (const [piece, r] of items) {
    for (const [k, s, e] of piece.spans) spans.push([k, at + s, at + e]);
    const sep = piece.url ? URL_ENDS[r % URL_ENDS.length] : DELIMITERS[r % DELIMITERS.length];
    text += piece.text + sep;
    at += byteLength(piece.text) + byteLength(sep);
  }
  return { text, spans };
});

function scan(bytes: Uint8Array, start?: number, end?: number): number[][] {
  const out: number[][] = [];
  extractor.scan(bytes, (k, s, e) => out.push([k, s, e]), start, end);
  return out;
}

Deno.test("scan() finds every planted indicator with its exact span, and nothing else", () => {
  fc.assert(
    fc.property(line, ({ text, spans }) => {
      assert.deepEqual(scan(enc.encode(text)), spans, text);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("scan() gives the same spans wherever the line sits in its buffer", () => {
  fc.assert(
    fc.property(line, fc.nat(11), fc.nat(11), ({ text, spans }, before, after) => {
      const bytes = enc.encode(text);
      const buffer = new Uint8Array(before + bytes.length + after).fill(0x61);
      buffer.set(bytes, before);
      const shifted = spans.map(([k, s, e]) => [k, s + before, e + before]);
      // the bytes around the range are letters: glued to the line, were they read
      assert.deepEqual(scan(buffer, before, before + bytes.length), shifted, text);
      assert.deepEqual(scan(buffer.subarray(before, before + bytes.length)), spans, text);
    }),
    { numRuns: 500 },
  );
});

Deno.test("scan() never throws on random bytes and reports spans inside the range", () => {
  const text = fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    fc.string({ unit: "binary", maxLength: 300 }).map((s) => enc.encode(s)),
    fc.array(fc.constantFrom(..."0123456789abcdefABCDEF.:-_%@/[]x \u00e9"), { maxLength: 300 })
      .map((cs) => enc.encode(cs.join(""))),
  );
  fc.assert(
    fc.property(text, fc.nat(), fc.nat(), (bytes, a, b) => {
      const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
      const end = start + (b % (bytes.length - start + 1));
      for (const [k, s, e] of scan(bytes, start, end)) {
        assert.ok(k >= SpanKind.IPV4 && k <= SpanKind.ETHEREUM);
        assert.ok(start <= s && s < e && e <= end, `${k} ${s}..${e} outside ${start}..${end}`);
      }
    }),
    { numRuns: 3000 },
  );
});
