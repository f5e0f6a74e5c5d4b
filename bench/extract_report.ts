/**
 * The extractor report: MB/s of the text-indicator extractor alone on ~200 MB of realistic web
 * access log made in memory (whole buffer and line by line; every kind and some), the candidates
 * it finds per kind, a regular-expression extractor for scale, and GC events while scanning
 * (counted from `--trace-gc` in a child process, tests/match/_gc_child.ts).
 *
 * Throughput is given twice: from CPU time (user + system of this process, steadier on a shared
 * machine) and from wall-clock time; the best of the rounds counts.
 *
 * Run: deno run -A bench/extract_report.ts [megabytes=200] [rounds=3]
 */
import process from "node:process";
import { Extractor, SpanKind, spanKindName } from "../lib/match/mod.ts";
import { generateAccessLog } from "./_access_log.ts";

const megabytes = Number(Deno.args[0] ?? 200);
const rounds = Number(Deno.args[1] ?? 3);

let t = performance.now();
const log = generateAccessLog(megabytes * 1e6);
const lineEnds = new Int32Array(log.length >> 5);
let lines = 0;
for (let i = log.indexOf(10); i >= 0; i = log.indexOf(10, i + 1)) lineEnds[lines++] = i;
console.log(
  `access log: ${(log.length / 1e6).toFixed(1)} MB, ${lines.toLocaleString("en-US")} lines ` +
    `(made in ${((performance.now() - t) / 1000).toFixed(1)} s); load average ${
      Deno.loadavg()[0].toFixed(1)
    } on ${navigator.hardwareConcurrency} CPUs`,
);

const counts = new Float64Array(16);
const onSpan = (kind: number) => {
  counts[kind]++;
};

interface Variant {
  name: string;
  run: () => void;
  bytes: number;
}

function chunk(name: string, ex: Extractor): Variant {
  return { name, run: () => ex.scan(log, onSpan), bytes: log.length };
}

function perLine(name: string, ex: Extractor): Variant {
  return {
    name,
    run: () => {
      let start = 0;
      for (let l = 0; l < lines; l++) {
        ex.scan(log, onSpan, start, lineEnds[l]);
        start = lineEnds[l] + 1;
      }
    },
    bytes: log.length,
  };
}

// A regular-expression extractor for scale: decode, then one global pattern for IPv4 addresses,
// hashes and dotted names (no Public Suffix List check, no URL or e-mail structure).
const REGEX =
  /\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}|[0-9a-fA-F]{32}(?:[0-9a-fA-F]{8}(?:[0-9a-fA-F]{24})?)?|(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63})\b/g;
const regexBytes = Math.min(log.length, 20e6);
const regexSlice = log.subarray(0, log.lastIndexOf(10, regexBytes) + 1);
const regex: Variant = {
  name: "regex (IPv4 | hash | dotted name), 20 MB",
  run: () => {
    const text = new TextDecoder().decode(regexSlice);
    let n = 0;
    for (const _ of text.matchAll(REGEX)) n++;
    counts[0] += n;
  },
  bytes: regexSlice.length,
};

const all = new Extractor();
const variants: Variant[] = [
  chunk("scan() whole buffer, every kind", all),
  perLine("scan() line by line, every kind", all),
  chunk("scan() IPv4 + IPv6 only", new Extractor({ kinds: [SpanKind.IPV4, SpanKind.IPV6] })),
  chunk(
    "scan() domain + URL + e-mail only",
    new Extractor({ kinds: [SpanKind.DOMAIN, SpanKind.URL, SpanKind.EMAIL] }),
  ),
  chunk(
    "scan() hashes + Bitcoin + Ethereum only",
    new Extractor({
      kinds: [
        SpanKind.MD5,
        SpanKind.SHA1,
        SpanKind.SHA256,
        SpanKind.SHA512,
        SpanKind.BITCOIN,
        SpanKind.ETHEREUM,
      ],
    }),
  ),
  regex,
];

// warm up on a slice, then interleaved rounds; the best round counts
const warm = new Extractor();
for (let i = 0; i < 3; i++) warm.scan(log, onSpan, 0, Math.min(log.length, 8e6));
const bestCpu = variants.map(() => Infinity);
const bestWall = variants.map(() => Infinity);
for (let r = 0; r < rounds; r++) {
  variants.forEach((v, i) => {
    const cpu = process.cpuUsage();
    t = performance.now();
    v.run();
    const wall = performance.now() - t;
    const used = process.cpuUsage(cpu);
    bestCpu[i] = Math.min(bestCpu[i], (used.user + used.system) / 1000);
    bestWall[i] = Math.min(bestWall[i], wall);
  });
}

// candidates per kind, from one whole-buffer scan
counts.fill(0);
const total = all.scan(log, onSpan);

// GC events while scanning, in a child process
async function gc(mode: string): Promise<{ events: number; heapGrowth: number; mb: number }> {
  const child = new URL("../tests/match/_gc_child.ts", import.meta.url).pathname;
  const mb = Math.min(megabytes, 50);
  const out = await new Deno.Command("stdbuf", {
    args: [
      "-oL",
      Deno.execPath(),
      "run",
      "-A",
      "--v8-flags=--trace-gc,--expose-gc",
      child,
      mode,
      String(mb),
      "4",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(out.stdout).split("\n");
  const start = text.findIndex((l) => l.includes("MXY-GC-START"));
  const end = text.findIndex((l) => l.includes("MXY-GC-END"));
  if (!out.success || start < 0 || end < start) {
    throw new RangeError(`The GC child failed (${mode})`);
  }
  const events =
    text.slice(start, end + 1).filter((l) =>
      /Scavenge|Mark-Compact|Mark-Sweep|MinorMS|Minor Mark/i.test(l)
    ).length;
  const summary = JSON.parse(text.find((l) => l.startsWith('{"mode"'))!);
  return { events, heapGrowth: summary.heapGrowth, mb: summary.bytes / 1e6 };
}
const gcChunk = await gc("chunk");
const gcLine = await gc("line");

const mbps = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0).padStart(6);
console.log(`\nthroughput, best of ${rounds} rounds (MB/s from CPU time | from wall time)`);
variants.forEach((v, i) => {
  console.log(
    `  ${v.name.padEnd(44)} ${mbps(v.bytes, bestCpu[i])} | ${mbps(v.bytes, bestWall[i])}`,
  );
});
console.log(
  `\ncandidates per kind (${total.toLocaleString("en-US")} spans in one whole-buffer scan)`,
);
for (let k = SpanKind.IPV4; k <= SpanKind.ETHEREUM; k++) {
  const n = counts[k];
  console.log(
    `  ${spanKindName(k as SpanKind).padEnd(9)} ${n.toLocaleString("en-US").padStart(12)}  ${
      (n / lines).toFixed(3)
    } per line`,
  );
}
console.log(`\nGC events while scanning (--trace-gc, after warm-up)`);
console.log(
  `  whole buffer: ${gcChunk.events} events over ${
    gcChunk.mb.toFixed(0)
  } MB, heap growth ${gcChunk.heapGrowth} bytes`,
);
console.log(
  `  line by line: ${gcLine.events} events over ${
    gcLine.mb.toFixed(0)
  } MB, heap growth ${gcLine.heapGrowth} bytes`,
);
