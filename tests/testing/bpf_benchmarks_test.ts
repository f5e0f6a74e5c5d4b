import assert from "node:assert/strict";
import {
  BPF_BENCHMARKS,
  BPF_ENGINES,
  BPF_MAP_BENCHMARKS,
  prepareBpfBenchmark,
  runBpfBenchmark,
} from "../../lib/testing/bpf_benchmarks.ts";

Deno.test("every benchmark computes its expected result in every engine and by hand", async () => {
  for (const b of [...BPF_BENCHMARKS, ...BPF_MAP_BENCHMARKS]) {
    const p = await prepareBpfBenchmark(b);
    for (const engine of BPF_ENGINES) {
      assert.equal(p.run(engine), b.expected, `${b.name} ${engine}`);
    }
    // Running again does not change the result (state lives in maps and memory only).
    assert.equal(p.run("jit"), b.expected, b.name);
  }
  assert.equal(BPF_BENCHMARKS[0].expected, 1229n);
});

Deno.test("runBpfBenchmark() reports instruction counts and figures for every engine", async () => {
  const r = await runBpfBenchmark(BPF_BENCHMARKS[2], { minMillis: 10 });
  assert.equal(r.name, "checksum");
  assert.ok(r.instructions > 4000);
  for (const e of BPF_ENGINES) assert.ok(r.figures[e]!.runs > 0 && r.figures[e]!.nsPerRun > 0, e);
  const only = await runBpfBenchmark(BPF_MAP_BENCHMARKS[0], { minMillis: 5, engines: ["jit"] });
  assert.deepEqual(Object.keys(only.figures), ["jit"]);
});
