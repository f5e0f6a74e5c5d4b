import assert from "node:assert/strict";
import {
  BPF_BENCHMARKS,
  prepareBpfBenchmark,
  runBpfBenchmark,
} from "../../lib/testing/bpf_benchmarks.ts";

Deno.test("BENCHMARKS programs compute their expected results in both engines", () => {
  for (const b of BPF_BENCHMARKS) {
    const { interpreter, jit } = prepareBpfBenchmark(b);
    const mem = b.memory();
    assert.equal(interpreter.run(mem), b.expected, b.name);
    assert.equal(jit.run(mem), b.expected, b.name);
    assert.equal(jit.executed, interpreter.executed, b.name);
  }
  assert.equal(BPF_BENCHMARKS[0].expected, 1229n);
});

Deno.test("runBenchmark() reports instruction counts and figures for both engines", () => {
  const r = runBpfBenchmark(BPF_BENCHMARKS[2], { minMillis: 10 });
  assert.equal(r.name, "checksum");
  assert.ok(r.instructions > 4000);
  assert.ok(r.interpreter.runs > 0 && r.jit.runs > 0);
  assert.ok(Number.isFinite(r.speedup) && r.speedup > 0);
});
