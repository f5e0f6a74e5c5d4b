/**
 * The large filter oracle sweep: thousands of random filter expressions over every shared
 * capture (merged by link type) and the captures tests/pcap/_filter_cases.ts makes for the link
 * types the fixtures lack; each expression's kept packets from `filterCapture` must be exactly
 * those `tcpdump -r FILE -w - EXPR` keeps (and an expression tcpdump refuses, mxy refuses).
 * The test suite runs a few hundred of these (tests/pcap/filter_oracle_test.ts); this runs as
 * many as asked.
 *
 * Usage: deno run -A bench/filter_sweep.ts [--count N] [--seed S] [--engine classic|ebpf]
 *        [--fixtures DIR] [--show N]
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  disagreement,
  generateExpressions,
  mxySelect,
  oracleCaptures,
  tcpdumpSelect,
  valuePool,
  writeOracleCapture,
} from "../tests/pcap/_filter_cases.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    count: { type: "string", default: "2000" },
    seed: { type: "string", default: String(Date.now() % 100000) },
    engine: { type: "string", default: "classic" },
    fixtures: { type: "string", default: Deno.env.get("MXY_FIXTURES") ?? "../shared/fixtures" },
    show: { type: "string", default: "20" },
    expr: { type: "string", multiple: true },
  },
});

function captureFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) walk(p);
      else if (/\.(pcap|pcapng|cap)$/.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

const engine = flags.engine === "ebpf" ? "ebpf" : "classic";
const files = captureFiles(`${flags.fixtures}/pcap`);
const captures = await oracleCaptures(files);
const tmp = await Deno.makeTempDir({ prefix: "mxy-filter-sweep-" });
const written = captures.map((c) => {
  const bytes = writeOracleCapture(c);
  const path = `${tmp}/${c.name}.pcap`;
  Deno.writeFileSync(path, bytes);
  return { c, bytes, path };
});
const seed = Number(flags.seed);
const exprs = flags.expr ?? generateExpressions(seed, Number(flags.count), valuePool(captures));
console.error(
  `[filter_sweep] ${exprs.length} expressions (seed ${seed}, ${engine}) x ${written.length} captures ` +
    `(${
      written.map((w) => `${w.c.name}:${w.c.packets.length}`).join(" ")
    }) from ${files.length} fixture files`,
);
let runs = 0, failures = 0, refusedBoth = 0, kept = 0;
const shown: string[] = [];
const t0 = performance.now();
const queue = exprs.flatMap((e) => written.map((w) => ({ e, w })));
async function worker() {
  for (;;) {
    const job = queue.shift();
    if (job === undefined) return;
    const [want, got] = await Promise.all([
      tcpdumpSelect(job.w.path, job.e),
      mxySelect(job.w.bytes, job.e, engine),
    ]);
    runs++;
    if (typeof want === "string" && typeof got === "string") refusedBoth++;
    if (typeof want !== "string") kept += want.length;
    const why = disagreement(want, got);
    if (why !== null) {
      failures++;
      if (shown.length < Number(flags.show)) shown.push(`${job.w.c.name}: ${job.e}\n    ${why}`);
    }
  }
}
await Promise.all([worker(), worker(), worker()]);
await Deno.remove(tmp, { recursive: true });
for (const s of shown) console.log(s);
console.log(
  `${runs} expression x capture runs, ${failures} disagreements, ${refusedBoth} refused by both, ` +
    `${kept} packets kept in all, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
if (failures > 0) Deno.exit(1);
