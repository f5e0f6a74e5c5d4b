/**
 * Random IPv4 lookups on a real GeoLite2 City database: mxy (string and numeric input, with and
 * without decoding) against the `maxmind` and `mmdb-lib` npm readers, on the same file in the
 * same process. Each iteration looks up 1,000 addresses.
 *
 * Run: deno bench --allow-all bench/ip_bench.ts   (fetches the database on first use)
 * Full report with ratios, open times and GC counts: deno run -A bench/ip_report.ts
 */
import { Buffer } from "node:buffer";
import maxmind from "maxmind";
import { Reader } from "mmdb-lib";
import { ensureDatabase, randomIpv4, toStrings } from "./_ip_common.ts";
import { openDatabase } from "../lib/runtime/mod.ts";

const path = ensureDatabase();
const bytes = Deno.readFileSync(path);
const db = await openDatabase(path, { mmap: true });
const mm = await maxmind.open(path);
const lib = new Reader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
const N = 1000;
const addrs = randomIpv4(1 << 16);
// Signed view: values stay small integers when passed to lookupIpv4 (no boxing).
const ints = new Int32Array(addrs.buffer);
const strings = toStrings(addrs);
let cursor = 0;
let sink = 0;

Deno.bench({ name: "maxmind get(string)", group: "random IPv4 lookups", baseline: true }, () => {
  for (let i = 0; i < N; i++) if (mm.get(strings[(cursor++) & 0xffff]) !== null) sink++;
});

Deno.bench({ name: "mmdb-lib get(string)", group: "random IPv4 lookups" }, () => {
  for (let i = 0; i < N; i++) if (lib.get(strings[(cursor++) & 0xffff]) !== null) sink++;
});

Deno.bench({ name: "mxy lookup(string)", group: "random IPv4 lookups" }, () => {
  for (let i = 0; i < N; i++) if (db.lookup(strings[(cursor++) & 0xffff]) !== null) sink++;
});

Deno.bench({ name: "mxy lookupIpv4(u32) + decode()", group: "random IPv4 lookups" }, () => {
  for (let i = 0; i < N; i++) {
    const o = db.lookupIpv4(ints[(cursor++) & 0xffff]);
    if (o >= 0 && db.decode(o) !== null) sink++;
  }
});

Deno.bench({ name: "mxy lookupIpOffset(string)", group: "random IPv4 lookups" }, () => {
  for (let i = 0; i < N; i++) if (db.lookupIpOffset(strings[(cursor++) & 0xffff]) >= 0) sink++;
});

Deno.bench({ name: "mxy lookupIpv4(u32)", group: "random IPv4 lookups" }, () => {
  for (let i = 0; i < N; i++) if (db.lookupIpv4(ints[(cursor++) & 0xffff]) >= 0) sink++;
});

addEventListener("unload", () => {
  if (sink < 0) console.log(sink);
});
