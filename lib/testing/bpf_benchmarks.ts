/**
 * The eBPF benchmark programs (prime counter, 1 MiB memcpy, packet checksum) and a timing loop
 * that runs them in the interpreter and the JIT. Used by `bench/bpf_bench.ts` and
 * `mxy bpf bench`.
 *
 * @module
 */
import {
  assemble,
  BpfError,
  BpfInterpreter,
  BpfJit,
  type BpfProgram,
  type BpfRunner,
  decodeProgram,
} from "../bpf/mod.ts";

/**
 * One benchmark program.
 *
 * @example
 * ```ts
 * import { assemble, BpfInterpreter, decodeProgram } from "@mxy/mxy/bpf";
 * import { BPF_BENCHMARKS, type BpfBenchmark } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const checksum: BpfBenchmark = BPF_BENCHMARKS.find((b) => b.name === "checksum")!;
 * const vm = new BpfInterpreter(decodeProgram(assemble(checksum.source)));
 * assert.equal(vm.run(checksum.memory()), checksum.expected);
 * ```
 */
export interface BpfBenchmark {
  /** Short name. */
  name: string;
  /** What it does. */
  description: string;
  /** Assembler source. */
  source: string;
  /** Builds the memory the program runs on (allocated once, reused for every run). */
  memory: () => Uint8Array;
  /** The expected r0. */
  expected: bigint;
}

const PRIMES = `# count the primes below 10,000 by trial division
mov %r0, 0
mov %r1, 2
outer:
jge %r1, 10000, done
mov %r2, 2
inner:
mov %r3, %r2
mul %r3, %r2
jgt %r3, %r1, prime
mov %r4, %r1
mod %r4, %r2
jeq %r4, 0, next
add %r2, 1
ja inner
prime:
add %r0, 1
next:
add %r1, 1
ja outer
done:
exit
`;

const MEMCPY = `# copy the first MiB of mem to the second MiB, 8 bytes at a time
mov %r3, %r1
mov %r4, %r1
add %r4, 0x100000
mov %r5, 0x20000
loop:
ldxdw %r6, [%r3]
stxdw [%r4], %r6
add %r3, 8
add %r4, 8
sub %r5, 1
jne %r5, 0, loop
ldxdw %r0, [%r4-8]
exit
`;

const CHECKSUM = `# RFC 1071 Internet checksum over the whole packet (even length)
mov %r0, 0
mov %r3, %r1
mov %r4, %r2
rsh %r4, 1
loop:
jeq %r4, 0, fold
ldxh %r5, [%r3]
be16 %r5
add %r0, %r5
add %r3, 2
sub %r4, 1
ja loop
fold:
mov %r5, %r0
rsh %r5, 16
and %r0, 0xffff
add %r0, %r5
jgt %r0, 0xffff, fold
xor %r0, 0xffff
exit
`;

function memcpyMemory(): Uint8Array {
  const m = new Uint8Array(2 << 20);
  for (let i = 0; i < 1 << 20; i++) m[i] = (i * 131 + 7) & 0xff;
  return m;
}

function packet(): Uint8Array {
  const p = new Uint8Array(1500);
  for (let i = 0; i < p.length; i++) p[i] = (i * 37 + 11) & 0xff;
  return p;
}

function checksum(p: Uint8Array): bigint {
  let sum = 0;
  for (let i = 0; i + 1 < p.length; i += 2) sum += (p[i] << 8) | p[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return BigInt(sum ^ 0xffff);
}

function lastWord(m: Uint8Array): bigint {
  const v = new DataView(m.buffer, m.byteOffset + (1 << 20) - 8, 8);
  return v.getBigUint64(0, true);
}

/**
 * The benchmark programs with their expected results.
 *
 * @example
 * ```ts
 * import { BPF_BENCHMARKS } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * assert.deepEqual(BPF_BENCHMARKS.map((b) => b.name), ["primes", "memcpy", "checksum"]);
 * assert.equal(BPF_BENCHMARKS[0].expected, 1229n);
 * ```
 */
export const BPF_BENCHMARKS: BpfBenchmark[] = [
  {
    name: "primes",
    description: "count primes below 10,000 (trial division)",
    source: PRIMES,
    memory: () => new Uint8Array(0),
    expected: 1229n,
  },
  {
    name: "memcpy",
    description: "copy 1 MiB, 8 bytes per iteration",
    source: MEMCPY,
    memory: memcpyMemory,
    expected: lastWord(memcpyMemory()),
  },
  {
    name: "checksum",
    description: "Internet checksum of a 1500-byte packet",
    source: CHECKSUM,
    memory: packet,
    expected: checksum(packet()),
  },
];

/**
 * Options of {@linkcode runBpfBenchmark}.
 *
 * @example
 * ```ts
 * import { BPF_BENCHMARKS, runBpfBenchmark, type RunBpfBenchmarkOptions } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * let ticks = 0;
 * const options: RunBpfBenchmarkOptions = { minMillis: 5, clock: () => ticks++ }; // a fake clock
 * const r = runBpfBenchmark(BPF_BENCHMARKS[2], options);
 * assert.ok(r.interpreter.runs > 0);
 * ```
 */
export interface RunBpfBenchmarkOptions {
  /** Minimum measuring time per engine in milliseconds (default 500). */
  minMillis?: number;
  /** Instruction budget per run (default 100,000,000). */
  budget?: number;
  /**
   * The clock in milliseconds (default `performance.now`). Pass a CPU-time clock (e.g. from
   * `process.cpuUsage()`) to keep other processes' load out of the figures.
   */
  clock?: () => number;
}

/**
 * One engine's figures.
 *
 * @example
 * ```ts
 * import { BPF_BENCHMARKS, type BpfEngineFigures, runBpfBenchmark } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const jit: BpfEngineFigures = runBpfBenchmark(BPF_BENCHMARKS[2], { minMillis: 5 }).jit;
 * assert.ok(jit.nsPerRun > 0 && jit.instructionsPerSecond > 0 && jit.runs > 0);
 * ```
 */
export interface BpfEngineFigures {
  /** Nanoseconds per run. */
  nsPerRun: number;
  /** eBPF instructions per second. */
  instructionsPerSecond: number;
  /** Runs measured. */
  runs: number;
}

/**
 * The figures of one benchmark.
 *
 * @example
 * ```ts
 * import { BPF_BENCHMARKS, type BpfBenchmarkResult, runBpfBenchmark } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const r: BpfBenchmarkResult = runBpfBenchmark(BPF_BENCHMARKS[2], { minMillis: 5 });
 * assert.equal(r.name, "checksum");
 * assert.equal(r.instructions, 5262);
 * assert.equal(r.speedup, r.interpreter.nsPerRun / r.jit.nsPerRun);
 * ```
 */
export interface BpfBenchmarkResult {
  /** The benchmark's name. */
  name: string;
  /** eBPF instructions per run (counted by the interpreter). */
  instructions: number;
  /** Interpreter figures. */
  interpreter: BpfEngineFigures;
  /** JIT figures. */
  jit: BpfEngineFigures;
  /** JIT speed-up over the interpreter (ratio of ns per run). */
  speedup: number;
}

function measure(
  vm: BpfRunner,
  mem: Uint8Array,
  minMillis: number,
  instructions: number,
  clock: () => number,
) {
  for (let i = 0; i < 3; i++) vm.exec(mem); // warm-up
  // Read the clock once per batch of runs (batches of at least ~1 ms), so that reading it
  // (a system call for CPU time) does not count as run time.
  let batch = 1;
  for (;;) {
    const t0 = clock();
    for (let i = 0; i < batch; i++) vm.exec(mem);
    if (clock() - t0 >= 1 || batch >= 1 << 20) break;
    batch *= 2;
  }
  let runs = 0;
  const start = clock();
  let now = start;
  while (now - start < minMillis) {
    for (let i = 0; i < batch; i++) vm.exec(mem);
    runs += batch;
    now = clock();
  }
  const ns = ((now - start) * 1e6) / runs;
  return { nsPerRun: ns, instructionsPerSecond: instructions / (ns / 1e9), runs };
}

/**
 * Prepares a benchmark's program for both engines.
 *
 * @param bench The benchmark.
 * @param options Budget.
 * @returns The decoded program and both runners.
 *
 * @example
 * ```ts
 * import { BPF_BENCHMARKS, prepareBpfBenchmark } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const { program, interpreter, jit } = prepareBpfBenchmark(BPF_BENCHMARKS[0]);
 * assert.equal(program.instructions.length, 16);
 * assert.equal(interpreter.run(), 1229n);
 * assert.equal(jit.run(), 1229n);
 * ```
 */
export function prepareBpfBenchmark(
  bench: BpfBenchmark,
  options: RunBpfBenchmarkOptions = {},
): { program: BpfProgram; interpreter: BpfInterpreter; jit: BpfJit } {
  const program = decodeProgram(assemble(bench.source, { file: bench.name }));
  const budget = options.budget ?? 100_000_000;
  return {
    program,
    interpreter: new BpfInterpreter(program, { budget }),
    jit: new BpfJit(program, { budget }),
  };
}

/**
 * Runs one benchmark in the interpreter and the JIT, checking both results first.
 *
 * @param bench The benchmark.
 * @param options Measuring time and budget.
 * @returns The figures.
 *
 * @example
 * ```ts
 * import { BPF_BENCHMARKS, runBpfBenchmark } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const r = runBpfBenchmark(BPF_BENCHMARKS[2], { minMillis: 5 });
 * assert.ok(r.instructions > 1000);
 * assert.ok(r.jit.runs > 0);
 * ```
 */
export function runBpfBenchmark(
  bench: BpfBenchmark,
  options: RunBpfBenchmarkOptions = {},
): BpfBenchmarkResult {
  const { interpreter, jit } = prepareBpfBenchmark(bench, options);
  const mem = bench.memory();
  const a = interpreter.run(mem);
  const instructions = interpreter.executed;
  const b = jit.run(mem);
  if (a !== bench.expected || b !== bench.expected) {
    throw new BpfError(
      "internal",
      `Benchmark ${bench.name}: expected ${bench.expected}, interpreter ${a}, JIT ${b}`,
    );
  }
  const minMillis = options.minMillis ?? 500;
  // Alternate the engines over several rounds and keep each one's best round, so that a
  // burst of load on the machine does not distort the ratio.
  const rounds = 5;
  const clock = options.clock ?? (() => performance.now());
  let i = measure(interpreter, mem, minMillis / rounds, instructions, clock);
  let j = measure(jit, mem, minMillis / rounds, instructions, clock);
  for (let r = 1; r < rounds; r++) {
    const a = measure(interpreter, mem, minMillis / rounds, instructions, clock);
    const b = measure(jit, mem, minMillis / rounds, instructions, clock);
    if (a.nsPerRun < i.nsPerRun) i = a;
    if (b.nsPerRun < j.nsPerRun) j = b;
  }
  return {
    name: bench.name,
    instructions,
    interpreter: i,
    jit: j,
    speedup: i.nsPerRun / j.nsPerRun,
  };
}
