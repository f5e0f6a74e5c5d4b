/**
 * The eBPF verifier against the interpreter: for programs the verifier walks instruction by
 * instruction (loops with constant bounds), verifying is compared with running the program once
 * in the interpreter (the group baseline), in the same process. Run with
 * `deno bench -A bench/bpf_verifier_bench.ts`; `mxy bpf bench --verifier` prints steps per
 * second and memory for every verifier benchmark, including the size-limit programs.
 *
 * @module
 */
import {
  assemble,
  BpfInterpreter,
  decodeProgram,
  getBpfProfile,
  verifyProgram,
} from "../lib/bpf/mod.ts";
import { BPF_BENCHMARKS, BPF_VERIFIER_BENCHMARKS } from "../lib/testing/mod.ts";

const RUNNABLE = ["loop", "bench-primes", "bench-memcpy", "stack-512k", "nested-loops"];
const memory: Record<string, () => Uint8Array> = {
  "bench-primes": BPF_BENCHMARKS[0].memory,
  "bench-memcpy": BPF_BENCHMARKS[1].memory,
};

for (const b of BPF_VERIFIER_BENCHMARKS.filter((b) => RUNNABLE.includes(b.name))) {
  const program = decodeProgram(assemble(b.source()));
  const profile = getBpfProfile(b.profile);
  const mem = memory[b.name]?.() ?? new Uint8Array(64);
  const input = b.input.kind === "ctx" ? b.input : { kind: "packet" as const, size: mem.length };
  const report = verifyProgram(program, { profile, input });
  const vm = new BpfInterpreter(program, {
    stackSize: Math.max(512, report.stackBytes),
    frameSize: Math.max(512, report.frameStack),
    budget: 100_000_000,
  });
  Deno.bench({
    name: `${b.name}: run once in the interpreter`,
    group: b.name,
    baseline: true,
    fn() {
      vm.exec(mem);
    },
  });
  Deno.bench({
    name: `${b.name}: verify (${report.steps} instructions walked)`,
    group: b.name,
    fn() {
      verifyProgram(program, { profile, input });
    },
  });
}

for (const name of ["stores-then-loop", "straight-max", "branchy-max", "many-loops-max"]) {
  const b = BPF_VERIFIER_BENCHMARKS.find((x) => x.name === name)!;
  const program = decodeProgram(assemble(b.source()));
  const profile = getBpfProfile(b.profile);
  Deno.bench({
    name: `verify ${name}`,
    group: "size limits",
    fn() {
      verifyProgram(program, { profile, input: b.input });
    },
  });
}
