/**
 * The text-indicator extractor on 4 MiB of web access log: whole buffer or line by line, every
 * kind or some. bench/extract_report.ts measures 200 MB and counts GC events.
 *
 * Run: deno bench --allow-read bench/extract_bench.ts
 */
import { Extractor, SpanKind } from "../lib/match/mod.ts";
import { generateAccessLog } from "./_access_log.ts";

const log = generateAccessLog(4 << 20);
const lineEnds: number[] = [];
for (let i = log.indexOf(10); i >= 0; i = log.indexOf(10, i + 1)) lineEnds.push(i);
let sink = 0;
const onSpan = (kind: number) => {
  sink += kind;
};
const all = new Extractor();
const group = `extract ${(log.length / 1048576).toFixed(0)} MiB access log`;

Deno.bench("scan() whole buffer, every kind", { group, baseline: true }, () => {
  all.scan(log, onSpan);
});

Deno.bench("scan() line by line, every kind", { group }, () => {
  let start = 0;
  for (const end of lineEnds) {
    all.scan(log, onSpan, start, end);
    start = end + 1;
  }
});

const ips = new Extractor({ kinds: [SpanKind.IPV4, SpanKind.IPV6] });
Deno.bench("scan() whole buffer, IP addresses only", { group }, () => {
  ips.scan(log, onSpan);
});

const names = new Extractor({ kinds: [SpanKind.DOMAIN, SpanKind.URL, SpanKind.EMAIL] });
Deno.bench("scan() whole buffer, domains, URLs and e-mail only", { group }, () => {
  names.scan(log, onSpan);
});

const hashes = new Extractor({
  kinds: [
    SpanKind.MD5,
    SpanKind.SHA1,
    SpanKind.SHA256,
    SpanKind.SHA512,
    SpanKind.BITCOIN,
    SpanKind.ETHEREUM,
  ],
});
Deno.bench("scan() whole buffer, hashes and crypto addresses only", { group }, () => {
  hashes.scan(log, onSpan);
});

const out = new Int32Array(3 * 65536);
Deno.bench("scanInto() whole buffer, every kind", { group }, () => {
  sink += all.scanInto(log, out);
});

globalThis.addEventListener("unload", () => {
  if (sink === -1) console.log(sink);
});
