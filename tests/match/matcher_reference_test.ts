/**
 * End to end against a slow reference: a generated access log with feed indicators planted in
 * it, scanned by the matcher (through the stream matcher, in pieces), compared hit for hit with
 * an obviously-correct implementation — regular-expression tokenization by the documented token
 * rules, the `psl` package for the Public Suffix List, and `Database.lookup(text)` per candidate.
 */
import assert from "node:assert/strict";
import { parse as pslParse } from "psl";
import { Database, DatabaseBuilder, isIp } from "../../lib/db/mod.ts";
import {
  Matcher,
  matchViaName,
  SpanKind,
  spanKindName,
  StreamMatcher,
} from "../../lib/match/mod.ts";

/** A fixed-seed xorshift generator. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const r = rng(0xfeed);
const pick = <T>(xs: readonly T[]): T => xs[r() % xs.length];
const WORDS = ["alpha", "bravo", "login", "secure", "cdn", "mail", "pay", "shop", "news", "api"];
const TLDS = ["com", "net", "org", "co.uk", "io", "de", "xyz", "info"];
const name = () => `${pick(WORDS)}${r() % 1000}.${pick(TLDS)}`;

// the feed
const literals = Array.from({ length: 300 }, name);
const globs = Array.from({ length: 30 }, () => `*.${pick(WORDS)}${r() % 50}.${pick(TLDS)}`);
const networks = Array.from({ length: 200 }, () => {
  const len = pick([32, 24, 16]);
  const a = 1 + r() % 222, b = r() % 256, c = r() % 256, d = r() % 256;
  return len === 32
    ? `${a}.${b}.${c}.${d}`
    : len === 24
    ? `${a}.${b}.${c}.0/24`
    : `${a}.${b}.0.0/16`;
});
networks.push("2001:db8:bad::/48", "2001:db8:1::/64");
const builder = new DatabaseBuilder({ buildEpoch: 1, onDuplicate: "first" });
for (const n of networks) builder.add(n, { n });
for (const l of literals) builder.add(l, { l });
for (const g of globs) builder.add(`glob:${g}`, { g });
const db = Database.fromBytes(builder.build());

// the log
const UAS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
  "curl/8.5.0",
  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
];
function addressIn(net: string): string {
  if (net.includes(":")) return net.replace(/::\/\d+$/, `::${(r() % 0xffff).toString(16)}`);
  const [ip, len] = net.split("/");
  const o = ip.split(".").map(Number);
  if (len === "24") o[3] = r() % 256;
  if (len === "16") [o[2], o[3]] = [r() % 256, r() % 256];
  return o.join(".");
}
function logLine(): string {
  const x = r() % 10;
  const client = x === 0
    ? addressIn(pick(networks))
    : x === 1
    ? `2001:db8:${(r() % 0xffff).toString(16)}::${(r() % 0xffff).toString(16)}`
    : `${1 + r() % 222}.${r() % 256}.${r() % 256}.${r() % 256}`;
  const host = r() % 4 === 0 ? pick(literals) : r() % 3 === 0 ? `www.${pick(literals)}` : name();
  const glob = pick(globs).replace("*", pick(WORDS));
  const path = pick([
    `/search?q=${pick(WORDS)}&site=${host}`,
    `/r?u=https%3A%2F%2F${host}%2Fx`,
    `/track?ref=${glob}`,
    `/mail?to=${pick(WORDS)}@${host}`,
    `/img/${pick(WORDS)}.png`,
    `/v${r() % 9}.${r() % 9}.${r() % 9}.${r() % 9}/x`,
  ]);
  return `${client} - - [07/Dec/2026:10:${r() % 60}:${r() % 60} +0000] "GET ${path} HTTP/1.1" ` +
    `${pick([200, 404])} ${r() % 5000} "http://${host}:${pick([80, 8080])}/" "${pick(UAS)}"`;
}
const lines = Array.from({ length: 4000 }, logLine);
const text = lines.join("\n") + "\n";
const bytes = new TextEncoder().encode(text);

/** The reference: tokens by regular expression, the PSL by the psl package, lookup(text). */
function reference(): string[] {
  const out: string[] = [];
  let base = 0;
  for (const line of lines) {
    const t = line.replace(/%[0-9A-Fa-f]{2}/g, "   ");
    for (const m of t.matchAll(/[A-Za-z0-9._:-]+/g)) {
      const tok = m[0], at = m.index!;
      if (t[at + tok.length] === "@") continue; // an e-mail local part is never a host
      if (tok.includes(":") && /^[0-9A-Fa-f:.]+$/.test(tok)) {
        let v6 = tok.replace(/\.+$/, "");
        if (v6.endsWith(":") && !v6.endsWith("::")) v6 = v6.slice(0, -1);
        if (v6 !== "::" && v6.includes(":") && isIp(v6)) {
          check(out, base + at, v6, "ipv6");
          continue;
        }
      }
      let p = 0;
      for (const piece of tok.split(":")) {
        const lead = piece.length - piece.replace(/^\.+/, "").length;
        const s = piece.replace(/^\.+/, "").replace(/\.+$/, "");
        const pos = at + p + lead;
        p += piece.length + 1;
        if (!s.includes(".")) continue;
        if (/^[0-9.]+$/.test(s)) {
          const productVersion = t[pos - 1] === "/" && /[A-Za-z0-9]/.test(t[pos - 2] ?? "");
          if (
            !productVersion &&
            /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(s)
          ) {
            check(out, base + pos, s, "ipv4");
          }
        } else {
          const ok =
            /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/
              .test(s);
          const parsed = ok ? pslParse(s.toLowerCase()) : null;
          if (parsed && !("error" in parsed) && parsed.listed && parsed.domain) {
            check(out, base + pos, s, "domain");
          }
        }
      }
    }
    base += new TextEncoder().encode(line).length + 1;
  }
  return out;
}

function check(out: string[], offset: number, span: string, kind: string): void {
  const key = kind === "domain" ? span.toLowerCase() : span;
  const hit = db.lookup(key);
  if (hit?.kind === "ip") {
    out.push(`${offset} ${span} ${kind} network ${hit.network}`);
    return;
  }
  if (hit?.kind === "string") {
    const m = hit.matches[0];
    out.push(`${offset} ${span} ${kind} ${m.kind} ${m.entry}`);
    return;
  }
  if (kind !== "domain") return;
  const parsed = pslParse(key);
  const registrable = !("error" in parsed) ? parsed.domain ?? "" : "";
  const labels = key.split(".");
  for (let i = 1; i < labels.length; i++) {
    const parent = labels.slice(i).join(".");
    if (parent.length < registrable.length) break;
    const p = db.lookup(parent);
    const lit = p?.kind === "string" ? p.matches.find((x) => x.kind === "literal") : undefined;
    if (lit) {
      out.push(`${offset} ${span} ${kind} parent-domain ${parent}`);
      return;
    }
  }
}

Deno.test("the matcher finds exactly what the slow reference finds in a generated access log", () => {
  const want = reference();
  assert.ok(want.length > 500, `only ${want.length} reference hits`);
  const matcher = new Matcher(db, {
    kinds: [SpanKind.IPV4, SpanKind.IPV6, SpanKind.DOMAIN],
    parentDomains: true,
  });
  const got: string[] = [];
  const dec = new TextDecoder();
  const sm = new StreamMatcher(matcher, (h, at) => {
    got.push(
      `${at.offsetOf(h.start)} ${dec.decode(at.bytes.subarray(h.start, h.end))} ${
        spanKindName(h.kind)
      } ${matchViaName(h.via)} ${matcher.entryText(h, at.bytes)}`,
    );
  }, { bufferSize: 1 << 16 });
  for (let i = 0; i < bytes.length; i += 10007) sm.write(bytes.subarray(i, i + 10007));
  sm.end();
  assert.deepEqual(got, want);
  for (const via of ["network", "literal", "glob", "parent-domain"]) {
    assert.ok(got.some((g) => g.includes(` ${via} `)), `no ${via} hit`);
  }
});
