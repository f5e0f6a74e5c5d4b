/**
 * Child process of tests/match/no_alloc_test.ts and bench/extract_report.ts: scans an access log
 * with the extractor between two marker lines, so the parent can count the `--trace-gc` lines
 * printed in between, and prints the heap growth over the loop.
 *
 * stdbuf -oL deno run --v8-flags=--trace-gc,--expose-gc tests/match/_gc_child.ts MODE MEGABYTES ROUNDS
 * MODE: chunk (one scan() per buffer), line (one scan() per line), or matcher (the matcher and a
 * database through a StreamMatcher, the text read into its buffer in 64 kB pieces, line numbers
 * asked for every hit)
 */
import { Extractor, Matcher, StreamMatcher } from "../../lib/match/mod.ts";
import { Database, DatabaseBuilder } from "../../lib/db/mod.ts";
import { generateAccessLog } from "../../bench/_access_log.ts";

const [mode = "chunk", megabytes = "8", rounds = "3"] = Deno.args;
const log = generateAccessLog(Number(megabytes) << 20);
const lineEnds = new Int32Array(log.length);
let lines = 0;
for (let i = log.indexOf(10); i >= 0; i = log.indexOf(10, i + 1)) lineEnds[lines++] = i;
const counts = new Int32Array(16);
const onSpan = (kind: number) => {
  counts[kind]++;
};
const extractor = new Extractor();
const builder = new DatabaseBuilder({ buildEpoch: 1 });
for (const net of ["1.0.0.0/8", "100.0.0.0/6", "2001:db8::/33"]) builder.add(net, { net });
for (const lit of ["www.google.com", "example.com", "t.co", "partner.example.org"]) {
  builder.add(lit, { lit });
}
for (const glob of ["*.example.co.uk", "*tracker*", "*.bing.com"]) {
  builder.add(`glob:${glob}`, { glob });
}
const matcher = new Matcher(Database.fromBytes(builder.build()), { parentDomains: true });
let lineSum = 0;
const stream = () =>
  new StreamMatcher(matcher, (hit, at) => {
    counts[hit.kind]++;
    lineSum = (lineSum + at.lineOf(hit.start)) & 0xfffff; // a small integer: no heap number
  });
let sm = stream();

function round(): void {
  if (mode === "matcher") {
    for (let at = 0; at < log.length;) {
      const space = sm.space;
      const n = Math.min(space.length, 65536, log.length - at);
      for (let i = 0; i < n; i++) space[i] = log[at + i];
      sm.commit(n);
      at += n;
    }
  } else if (mode === "chunk") {
    extractor.scan(log, onSpan);
  } else {
    let start = 0;
    for (let l = 0; l < lines; l++) {
      extractor.scan(log, onSpan, start, lineEnds[l]);
      start = lineEnds[l] + 1;
    }
  }
}

// warm up: the compiler's own allocations happen here
for (let i = 0; i < 3; i++) round();
counts.fill(0);
sm = stream();
// settle the heap (making the log left garbage behind) so that sweeping it does not show as the
// heap shrinking during the loop: a full collection (with --expose-gc), then a pause for the
// concurrent sweeper
(globalThis as { gc?: () => void }).gc?.();
await new Promise((resolve) => setTimeout(resolve, 100));
const heapBefore = Deno.memoryUsage().heapUsed;
console.log("MXY-GC-START");
const t = performance.now();
for (let i = 0; i < Number(rounds); i++) round();
const ms = performance.now() - t;
console.log("MXY-GC-END");
const heapAfter = Deno.memoryUsage().heapUsed;
console.log(JSON.stringify({
  mode,
  bytes: log.length * Number(rounds),
  lines: lines * Number(rounds),
  spans: counts.reduce((a, b) => a + b, 0),
  lineSum,
  ms,
  heapGrowth: heapAfter - heapBefore,
}));
