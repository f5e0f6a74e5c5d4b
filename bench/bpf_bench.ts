/**
 * eBPF interpreter vs JIT: prime counter (primes below 10,000), 1 MiB memcpy loop, packet
 * checksum. Run with `deno bench -A bench/bpf_bench.ts`; `deno bench` prints each JIT run's
 * speed-up against the interpreter (the group baseline). Instructions per second:
 * `mxy bpf bench`.
 *
 * Before benchmarking, this file checks that a run allocates nothing: it runs each program
 * 200 times per engine (after warm-up) and prints the heap growth per run.
 *
 * @module
 */
import { BPF_BENCHMARKS, prepareBpfBenchmark } from "../lib/testing/mod.ts";

for (const b of BPF_BENCHMARKS) {
  const { interpreter, jit } = prepareBpfBenchmark(b);
  const mem = b.memory();
  for (const [name, vm] of [["interpreter", interpreter], ["jit", jit]] as const) {
    for (let i = 0; i < 20; i++) vm.exec(mem);
    const runs = b.name === "primes" || b.name === "memcpy" ? 50 : 20000;
    // deno-lint-ignore no-explicit-any
    const gc = (globalThis as any).gc as (() => void) | undefined;
    gc?.();
    const before = Deno.memoryUsage().heapUsed;
    for (let i = 0; i < runs; i++) vm.exec(mem);
    const after = Deno.memoryUsage().heapUsed;
    const perRun = (after - before) / runs;
    console.log(
      `${b.name} ${name}: r0=${vm.resultLow}, heap growth ${
        perRun.toFixed(1)
      } bytes/run over ${runs} runs` +
        (gc ? "" : " (run with --v8-flags=--expose-gc for an exact figure)"),
    );
  }
}

for (const b of BPF_BENCHMARKS) {
  const { interpreter, jit } = prepareBpfBenchmark(b);
  const mem = b.memory();
  Deno.bench({
    name: `${b.name} interpreter`,
    group: b.name,
    baseline: true,
    fn() {
      interpreter.exec(mem);
    },
  });
  Deno.bench({
    name: `${b.name} JIT`,
    group: b.name,
    fn() {
      jit.exec(mem);
    },
  });
}
