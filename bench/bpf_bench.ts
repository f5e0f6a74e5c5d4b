/**
 * The eBPF engines against the same programs written by hand in JavaScript: prime counter
 * (primes below 10,000), 1 MiB memcpy loop, packet checksum, array-map update loop and its twin
 * on a table in memory. Run with `deno bench -A bench/bpf_bench.ts`; `deno bench` prints each
 * engine's time against the hand-written code (the group baseline: the ceiling for a JIT to
 * JavaScript). Instructions per second, the ratios and maploop over plainloop: `mxy bpf bench`.
 *
 * Before benchmarking, this file checks that a run allocates nothing: it runs each program
 * many times per engine (after warm-up) and prints the heap growth per run.
 *
 * @module
 */
import {
  BPF_BENCHMARKS,
  BPF_ENGINES,
  BPF_MAP_BENCHMARKS,
  prepareBpfBenchmark,
} from "../lib/testing/mod.ts";

const ALL = [...BPF_BENCHMARKS, ...BPF_MAP_BENCHMARKS];
const prepared = new Map(
  await Promise.all(ALL.map(async (b) => [b, await prepareBpfBenchmark(b)] as const)),
);

for (const b of ALL) {
  const p = prepared.get(b)!;
  for (const engine of BPF_ENGINES) {
    if (engine === "js") continue;
    for (let i = 0; i < 20; i++) p.exec(engine);
    const runs = b.name === "checksum" ? 20000 : 50;
    // deno-lint-ignore no-explicit-any
    const gc = (globalThis as any).gc as (() => void) | undefined;
    gc?.();
    const before = Deno.memoryUsage().heapUsed;
    for (let i = 0; i < runs; i++) p.exec(engine);
    const after = Deno.memoryUsage().heapUsed;
    const perRun = (after - before) / runs;
    console.log(
      `${b.name} ${engine}: heap growth ${perRun.toFixed(1)} bytes/run over ${runs} runs` +
        (gc ? "" : " (run with --v8-flags=--expose-gc for an exact figure)"),
    );
  }
}

for (const b of ALL) {
  const p = prepared.get(b)!;
  for (const engine of BPF_ENGINES) {
    Deno.bench({
      name: `${b.name} ${engine === "js" ? "hand-written JavaScript" : engine}`,
      group: b.name,
      baseline: engine === "js",
      fn() {
        p.exec(engine);
      },
    });
  }
}
