/**
 * One field of a record (`mxy query DB IP --field country.iso_code`): `Database.get(offset,
 * path)`, which reads the field without decoding the record, against decoding the record and
 * walking it (mxy without its cache, and the `mmdb-lib` npm reader, the peer), in the same
 * process, on the GeoIP2 City test database of the shared fixtures. Each iteration answers 1,000
 * addresses drawn from the database's networks.
 *
 * Run: MXY_FIXTURES=../shared/fixtures deno bench --allow-all bench/query_field_bench.ts
 */
import { Buffer } from "node:buffer";
import { Reader } from "mmdb-lib";
import { Database, iterateNetworks } from "../lib/db/mod.ts";

const fixtures = Deno.env.get("MXY_FIXTURES") ?? new URL("../../shared/fixtures", import.meta.url)
  .pathname;
const bytes = Deno.readFileSync(`${fixtures}/mmdb/test-data/GeoIP2-City-Test.mmdb`);
const db = Database.fromBytes(bytes, { cacheSize: 0 });
const peer = new Reader<Record<string, Record<string, unknown>>>(
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
);
const ips = [...iterateNetworks(db)].map((n) => n.network.split("/")[0])
  .filter((ip) => db.get(db.lookupIpOffset(ip), ["country", "iso_code"]) !== undefined);
const N = 1000;
const PATH = ["country", "iso_code"];
let cursor = 0;
let sink = 0;

Deno.bench(
  { name: "mmdb-lib get(ip).country.iso_code", group: "one field", baseline: true },
  () => {
    for (let i = 0; i < N; i++) {
      if (peer.get(ips[(cursor++) % ips.length])?.country?.iso_code !== undefined) sink++;
    }
  },
);

Deno.bench({ name: "mxy decode(offset) then the path", group: "one field" }, () => {
  for (let i = 0; i < N; i++) {
    const r = db.decode(db.lookupIpOffset(ips[(cursor++) % ips.length])) as Record<
      string,
      Record<string, unknown>
    >;
    if (r.country?.iso_code !== undefined) sink++;
  }
});

Deno.bench({ name: "mxy get(offset, path)", group: "one field" }, () => {
  for (let i = 0; i < N; i++) {
    if (db.get(db.lookupIpOffset(ips[(cursor++) % ips.length]), PATH) !== undefined) sink++;
  }
});

addEventListener("unload", () => {
  if (sink < 0) console.log(sink);
});
