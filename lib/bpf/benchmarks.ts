/**
 * The eBPF benchmark programs (prime counter, 1 MiB memcpy, packet checksum) and a timing loop
 * that runs them in the interpreter and the JIT. Used by `bench/bpf_bench.ts` and
 * `mxy bpf bench`.
 *
 * @module
 */
import { assemble } from "./assembler.ts";
import { BpfError } from "./bpf_error.ts";
import { decodeProgram, type Program } from "./instruction.ts";
import { Interpreter } from "./interpreter.ts";
import type { BpfRunner } from "./runner.ts";
import { JitProgram } from "./jit.ts";

/** One benchmark program. */
export interface BenchmarkCase {
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
 * import { BENCHMARKS } from "./benchmarks.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(BENCHMARKS.map((b) => b.name), ["primes", "memcpy", "checksum"]);
 * ```
 */
export const BENCHMARKS: BenchmarkCase[] = [
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

/** Options of {@linkcode runBenchmark}. */
export interface RunBenchmarkOptions {
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

/** One engine's figures. */
export interface EngineFigures {
  /** Nanoseconds per run. */
  nsPerRun: number;
  /** eBPF instructions per second. */
  instructionsPerSecond: number;
  /** Runs measured. */
  runs: number;
}

/** The figures of one benchmark. */
export interface BenchmarkResult {
  /** The benchmark's name. */
  name: string;
  /** eBPF instructions per run (counted by the interpreter). */
  instructions: number;
  /** Interpreter figures. */
  interpreter: EngineFigures;
  /** JIT figures. */
  jit: EngineFigures;
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
 * @example
 * ```ts
 * import { BENCHMARKS, prepareBenchmark } from "./benchmarks.ts";
 * import assert from "node:assert/strict";
 * const { interpreter, jit } = prepareBenchmark(BENCHMARKS[0]);
 * assert.equal(interpreter.run(), 1229n);
 * assert.equal(jit.run(), 1229n);
 * ```
 */
export function prepareBenchmark(
  bench: BenchmarkCase,
  options: RunBenchmarkOptions = {},
): { program: Program; interpreter: Interpreter; jit: JitProgram } {
  const program = decodeProgram(assemble(bench.source, { file: bench.name }));
  const budget = options.budget ?? 100_000_000;
  return {
    program,
    interpreter: new Interpreter(program, { budget }),
    jit: new JitProgram(program, { budget }),
  };
}

/**
 * Runs one benchmark in the interpreter and the JIT, checking both results first.
 *
 * @param bench The benchmark.
 * @param options Measuring time and budget.
 * @returns The figures.
 * @example
 * ```ts
 * import { BENCHMARKS, runBenchmark } from "./benchmarks.ts";
 * import assert from "node:assert/strict";
 * const r = runBenchmark(BENCHMARKS[2], { minMillis: 5 });
 * assert.ok(r.instructions > 1000);
 * assert.ok(r.jit.runs > 0);
 * ```
 */
export function runBenchmark(
  bench: BenchmarkCase,
  options: RunBenchmarkOptions = {},
): BenchmarkResult {
  const { interpreter, jit } = prepareBenchmark(bench, options);
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
