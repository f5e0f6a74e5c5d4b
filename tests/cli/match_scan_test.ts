/**
 * The record texts of `mxy match` (cli/commands/_match_scan.ts): the formatter's cached texts
 * (data by data offset, entry texts by network or entry number) and its byte path give the
 * records a reference builds from `Database.decode` for every hit, in every format, over a
 * database whose entries share data and one whose entries each have their own (more distinct
 * data and networks than the caches have slots, so slots are replaced); and the CLI prints the
 * same records with one thread and with several.
 */
import assert from "node:assert/strict";
import {
  Database,
  DatabaseBuilder,
  formatNetwork,
  type MmdbValue,
  valueToJson,
} from "../../lib/db/mod.ts";
import {
  Matcher,
  type MatchHit,
  MatchVia,
  matchViaName,
  spanKindName,
  StreamMatcher,
} from "../../lib/match/mod.ts";
import {
  csvField,
  HitFormatter,
  type MatchFormat,
  type ScanConfig,
} from "../../cli/commands/_match_scan.ts";
import { RecordWriter } from "../../cli/commands/_match_output.ts";
import { runMxy } from "../_mxy.ts";

const DECODER = new TextDecoder();

/** A small deterministic random generator. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const NETWORKS = 6000;
const LITERALS = 5000;
const GLOBS = 50;

/** Data that JSON and CSV must escape, long data (not cached), bigints, bytes, Unicode. */
function dataOf(i: number, shared: boolean): MmdbValue {
  const n = shared ? i % 7 : i;
  switch (n % 7) {
    case 0:
      return { source: "feed", id: n };
    case 1:
      return { note: `quote " comma , line\nbreak ${n}`, score: n / 8 };
    case 2:
      return { big: 2n ** 64n - BigInt(n + 1), name: `bücher ✓ ${n}` };
    case 3:
      return { long: "x".repeat(3000 + n % 5), n };
    case 4:
      return [n, true, "tab\there", { nested: { deeper: [n] } }];
    case 5:
      return { raw: new Uint8Array([n & 255, 1, 2]) };
    default:
      return `plain ${n}`;
  }
}

/** A database and a log whose hits cover it, in a random order, most entries more than once. */
function makeCase(shared: boolean, seed: number): { db: Database; log: Uint8Array } {
  const rnd = random(seed);
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  const v4: string[] = [];
  const v6: string[] = [];
  for (let i = 0; i < NETWORKS; i++) {
    const prefix = 8 + (i % 25);
    // distinct networks: the index in the top bits, random host bits below the prefix
    const top = ((i + 1) * 2654435761) >>> 0;
    const net = prefix === 32 ? top : (top >>> (32 - prefix)) << (32 - prefix) >>> 0;
    const host = (net | (Math.floor(rnd() * 2 ** 32) & (2 ** (32 - prefix) - 1))) >>> 0;
    const ip = (v: number) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
    b.add(`${ip(net)}/${prefix}`, dataOf(i, shared));
    v4.push(ip(host));
  }
  for (let i = 0; i < 300; i++) {
    const prefix = 48 + (i % 65);
    b.add(`2001:db8:${i.toString(16)}::/${prefix}`, dataOf(i + 1, shared));
    v6.push(`2001:db8:${i.toString(16)}::${(i + 1).toString(16)}`);
  }
  const literals: string[] = [];
  for (let i = 0; i < LITERALS; i++) {
    const name = i % 97 === 0 ? `bücher${i}.example` : `host${i}.evil${i % 13}.com`;
    b.add(name, dataOf(i + 2, shared));
    literals.push(name);
  }
  for (let i = 0; i < GLOBS; i++) b.add(`glob:*.track${i}.net`, dataOf(i + 3, shared));
  const db = Database.fromBytes(b.build());
  const lines: string[] = [];
  const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)];
  for (let i = 0; i < 12000; i++) {
    const r = rnd();
    if (r < 0.5) lines.push(`${pick(v4)} - - "GET /x HTTP/1.1" 200 ${i}`);
    else if (r < 0.6) lines.push(`[${pick(v6)}]:443 ok`);
    else if (r < 0.8) lines.push(`q=${pick(literals)}, done`);
    else if (r < 0.9) lines.push(`http://a${i}.track${i % GLOBS}.net/p "x"`);
    else lines.push(`from WWW.${pick(literals).toUpperCase()} sub.${pick(literals)}`);
  }
  return { db, log: new TextEncoder().encode(lines.join("\n") + "\n") };
}

/** The record text after the line number, built from the database as the formatter's spec says. */
function reference(
  db: Database,
  config: ScanConfig,
  hit: MatchHit,
  bytes: Uint8Array,
  offset: number,
): string {
  const text = DECODER.decode(bytes.subarray(hit.start, hit.end));
  if (config.onlyMatching) return text;
  const entry = hit.via === MatchVia.NETWORK
    ? formatNetwork(hit.address.slice(0, hit.ipVersion === 4 ? 4 : 16), hit.prefixLength)
    : hit.via === MatchVia.PARENT_DOMAIN
    ? DECODER.decode(bytes.subarray(hit.parentStart, hit.end)).replace(
      /[A-Z]+/g,
      (s) => s.toLowerCase(),
    )
    : db.stringEntry(hit.entryKind, hit.entry);
  const data = valueToJson(db.decode(hit.dataOffset) as MmdbValue);
  const kind = spanKindName(hit.kind);
  const via = matchViaName(hit.via);
  switch (config.format) {
    case "jsonl":
      return `,"offset":${offset},"text":${JSON.stringify(text)},"kind":"${kind}",` +
        `"match":"${via}","entry":${JSON.stringify(entry)},"data":${data}}`;
    case "csv":
      return `,${offset},${csvField(text)},${kind},${via},${csvField(entry)},${csvField(data)}`;
    default:
      return `${offset}: ${text} ${kind} ${via} ${entry}`;
  }
}

/** Scans `log` and returns the reference records, format()'s and formatInto()'s. */
function records(db: Database, log: Uint8Array, config: ScanConfig, cache: boolean) {
  const matcher = new Matcher(db, { parentDomains: true });
  const formatter = new HitFormatter(db, matcher, config, cache);
  const ref: string[] = [];
  const texts: string[] = [];
  const chunks: Uint8Array[] = [];
  const out = new RecordWriter((b) => chunks.push(b.slice()));
  let hits = 0;
  const via = new Set<string>();
  const sm = new StreamMatcher(matcher, (hit, at) => {
    hits++;
    via.add(matchViaName(hit.via));
    const offset = at.offsetOf(hit.start);
    ref.push(reference(db, config, hit, at.bytes, offset) + "\n");
    texts.push(formatter.format(hit, at) + "\n");
    formatter.formatInto(hit, at, out);
    out.byte(0x0a);
  }, { bufferSize: 1 << 16 });
  sm.write(log);
  sm.end();
  out.flush();
  const bytes = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { ref: ref.join(""), text: texts.join(""), bytes: DECODER.decode(bytes), hits, via };
}

for (const shared of [true, false]) {
  Deno.test(`HitFormatter: records with and without caching equal records built from Database.decode (entries ${shared ? "sharing" : "not sharing"} data)`, () => {
    const { db, log } = makeCase(shared, shared ? 7 : 8);
    for (const format of ["jsonl", "csv", "text"] as MatchFormat[]) {
      for (const onlyMatching of [false, true]) {
        const config: ScanConfig = { format, onlyMatching, countOnly: false };
        for (const cache of [true, false]) {
          const r = records(db, log, config, cache);
          assert.ok(r.hits > 10000, `${r.hits} hits`);
          assert.deepEqual([...r.via].sort(), ["glob", "literal", "network", "parent-domain"]);
          const what = `${format}${onlyMatching ? " -o" : ""}${cache ? "" : " uncached"}`;
          assert.equal(r.text, r.ref, `format(), ${what}`);
          assert.equal(r.bytes, r.ref, `formatInto(), ${what}`);
        }
      }
    }
  });
}

Deno.test("mxy match prints the reference records with one thread and with several, in every format", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mxy-match-records-" });
  try {
    const { db, log } = makeCase(false, 9);
    const dbPath = `${dir}/db.mxy`;
    const logPath = `${dir}/a.log`;
    await Deno.writeFile(dbPath, db.bytes);
    await Deno.writeFile(logPath, log);
    for (const format of ["jsonl", "csv", "text"] as MatchFormat[]) {
      const config: ScanConfig = { format, onlyMatching: false, countOnly: false };
      const matcher = new Matcher(db, { parentDomains: true });
      const lines: string[] = [];
      const sm = new StreamMatcher(matcher, (hit, at) => {
        const line = at.lineOf(hit.start);
        const part = reference(db, config, hit, at.bytes, at.offsetOf(hit.start));
        lines.push(
          format === "jsonl"
            ? `{"file":${JSON.stringify(logPath)},"line":${line}${part}\n`
            : format === "csv"
            ? `${logPath},${line}${part}\n`
            : `${logPath}:${line}:${part}\n`,
        );
      });
      sm.write(log);
      sm.end();
      const expected = (format === "csv" ? "file,line,offset,text,kind,match,entry,data\n" : "") +
        lines.join("");
      for (const threads of ["1", "2"]) {
        const r = await runMxy([
          "match",
          dbPath,
          logPath,
          "--parent-domains",
          "--format",
          format,
          "--threads",
          threads,
          "--buffer-size",
          "65536",
        ]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, expected, `${format}, ${threads} threads`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
