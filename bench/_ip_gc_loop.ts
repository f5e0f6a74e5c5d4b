/**
 * Child process of bench/ip_report.ts: runs a lookup loop between two marker lines so the
 * parent can count the `--trace-gc` lines printed inside it.
 *
 * deno run --allow-read --allow-ffi --allow-run --v8-flags=--trace-gc bench/_ip_gc_loop.ts KIND N
 * KIND: u32 (lookupIpv4), string (lookupIpOffset), maxmind (maxmind get)
 */
import maxmind from "maxmind";
import { ensureDatabase, randomIpv4, toStrings } from "./_ip_common.ts";
import { openDatabase } from "../lib/runtime/mod.ts";

const [kind = "u32", count = "10000000"] = Deno.args;
const n = Number(count);
const path = ensureDatabase();
const db = await openDatabase(path, { mmap: true });
const mm = await maxmind.open(path);
const addrs = randomIpv4(1 << 20);
// Signed view: values stay small integers when passed to lookupIpv4 (no boxing).
const ints = new Int32Array(addrs.buffer);
const strings = kind === "u32" ? [] : toStrings(addrs);
const mask = (1 << 20) - 1;
let hits = 0;

function u32Loop(): void {
  for (let i = 0; i < n; i++) if (db.lookupIpv4(ints[i & mask]) >= 0) hits++;
}
function stringLoop(): void {
  for (let i = 0; i < n; i++) if (db.lookupIpOffset(strings[i & mask]) >= 0) hits++;
}
function maxmindLoop(): void {
  for (let i = 0; i < n; i++) if (mm.get(strings[i & mask]) !== null) hits++;
}
const loop = kind === "u32" ? u32Loop : kind === "string" ? stringLoop : maxmindLoop;

// Warm up (JIT) on a smaller run, then settle the heap before the measured run.
const saved = n;
for (let i = 0; i < 3; i++) {
  const f = kind === "u32"
    ? () => {
      for (let j = 0; j < 200000; j++) if (db.lookupIpv4(ints[j & mask]) >= 0) hits++;
    }
    : kind === "string"
    ? () => {
      for (let j = 0; j < 200000; j++) if (db.lookupIpOffset(strings[j & mask]) >= 0) hits++;
    }
    : () => {
      for (let j = 0; j < 20000; j++) if (mm.get(strings[j & mask]) !== null) hits++;
    };
  f();
}
console.log("MXY-GC-START");
const t0 = performance.now();
loop();
const ms = performance.now() - t0;
console.log("MXY-GC-END");
console.log(JSON.stringify({ kind, lookups: saved, ms, hits }));
