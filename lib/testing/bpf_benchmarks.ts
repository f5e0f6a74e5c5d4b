/**
 * The eBPF benchmark programs — a prime counter, a 1 MiB memcpy, a packet checksum, and a loop
 * that updates an array map through `bpf_map_lookup_elem` with its twin that updates a table in
 * memory directly — each also written by hand in JavaScript (the honest ceiling for a JIT to
 * JavaScript), and a timing loop that runs them in every engine in the same process: the
 * interpreter, the JIT, both ahead-of-time targets and the hand-written code. Used by
 * `bench/bpf_bench.ts` and `mxy bpf bench`.
 *
 * @module
 */
import {
  assemble,
  BpfError,
  BpfInterpreter,
  BpfJit,
  type BpfJsArtifactModule,
  type BpfMapSpec,
  type BpfProgram,
  type BpfRunOptions,
  BpfVm,
  BpfWasm,
  decodeProgram,
} from "../bpf/mod.ts";
import {
  artifactProgram,
  artifactRunner,
  compileArtifact,
  readBpfArtifactMeta,
} from "../bpf/aot.ts";

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
 * assert.equal(checksum.handWritten()(checksum.memory()), checksum.expected);
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
  /** The maps the program uses (`lddw %rN, I, map_fd` refers to the I-th), if any. */
  maps?: BpfMapSpec[];
  /**
   * The same program written by hand in JavaScript: a factory (so that state such as a map's
   * table is fresh) of a function of the memory that returns r0.
   */
  handWritten: () => (mem: Uint8Array) => bigint;
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

function primesJs(): (mem: Uint8Array) => bigint {
  return () => {
    let count = 0;
    for (let n = 2; n < 10000; n++) {
      let d = 2;
      for (;;) {
        if (d * d > n) {
          count++;
          break;
        }
        if (n % d === 0) break;
        d++;
      }
    }
    return BigInt(count);
  };
}

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

function memcpyJs(): (mem: Uint8Array) => bigint {
  return (m) => {
    const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
    let s = 0, d = 0x100000;
    for (let n = 0x20000; n !== 0; n--) {
      v.setInt32(d, v.getInt32(s, true), true);
      v.setInt32(d + 4, v.getInt32(s + 4, true), true);
      s += 8;
      d += 8;
    }
    return v.getBigUint64(d - 8, true);
  };
}

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

function checksumJs(): (mem: Uint8Array) => bigint {
  return (p) => {
    let sum = 0;
    for (let i = 0, n = p.length >>> 1; n !== 0; n--, i += 2) sum += (p[i] << 8) | p[i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    return BigInt(sum ^ 0xffff);
  };
}

/** Iterations of the map loops; r0 is the sum of the loop counter. */
const LOOP_N = 10000;
const LOOP_SUM = BigInt((LOOP_N * (LOOP_N - 1)) / 2);

const MAP_LOOP = `# add i to element i % 16 of an array map, through bpf_map_lookup_elem
mov %r6, 0
mov %r7, 0
loop:
mov %r1, %r6
and %r1, 15
stxw [%r10-4], %r1
lddw %r1, 0, map_fd
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, skip
ldxdw %r1, [%r0]
add %r1, %r6
stxdw [%r0], %r1
skip:
add %r7, %r6
add %r6, 1
jlt %r6, ${LOOP_N}, loop
mov %r0, %r7
exit
`;

const PLAIN_LOOP = `# the same, on a table of 16 64-bit values at the start of the memory
mov %r8, %r1
mov %r6, 0
mov %r7, 0
loop:
mov %r1, %r6
and %r1, 15
stxw [%r10-4], %r1
ldxw %r2, [%r10-4]
lsh %r2, 3
add %r2, %r8
ldxdw %r1, [%r2]
add %r1, %r6
stxdw [%r2], %r1
add %r7, %r6
add %r6, 1
jlt %r6, ${LOOP_N}, loop
mov %r0, %r7
exit
`;

/** The map loop by hand: the map is a table of 16 numbers. */
function tableLoopJs(): (mem: Uint8Array) => bigint {
  const table = new Float64Array(16);
  return () => {
    let sum = 0;
    for (let i = 0; i < LOOP_N; i++) {
      const k = i & 15;
      if (k < table.length) table[k] += i;
      sum += i;
    }
    return BigInt(sum);
  };
}

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
 * The benchmark programs without maps, with their expected results.
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
    handWritten: primesJs,
  },
  {
    name: "memcpy",
    description: "copy 1 MiB, 8 bytes per iteration",
    source: MEMCPY,
    memory: memcpyMemory,
    expected: lastWord(memcpyMemory()),
    handWritten: memcpyJs,
  },
  {
    name: "checksum",
    description: "Internet checksum of a 1500-byte packet",
    source: CHECKSUM,
    memory: packet,
    expected: checksum(packet()),
    handWritten: checksumJs,
  },
];

/**
 * The map benchmarks: a loop that updates an array map through `bpf_map_lookup_elem`
 * (`maploop`) and the same loop on a table in memory (`plainloop`), whose ratio is what a
 * helper call in a loop costs.
 *
 * @example
 * ```ts
 * import { BPF_MAP_BENCHMARKS } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * assert.deepEqual(BPF_MAP_BENCHMARKS.map((b) => b.name), ["maploop", "plainloop"]);
 * assert.equal(BPF_MAP_BENCHMARKS[0].maps?.[0].type, "array");
 * ```
 */
export const BPF_MAP_BENCHMARKS: BpfBenchmark[] = [
  {
    name: "maploop",
    description: `${LOOP_N} array map lookups and updates`,
    source: MAP_LOOP,
    memory: () => new Uint8Array(0),
    expected: LOOP_SUM,
    maps: [{ type: "array", keySize: 4, valueSize: 8, maxEntries: 16, name: "table" }],
    handWritten: tableLoopJs,
  },
  {
    name: "plainloop",
    description: `the same ${LOOP_N} updates on a table in memory`,
    source: PLAIN_LOOP,
    memory: () => new Uint8Array(128),
    expected: LOOP_SUM,
    handWritten: tableLoopJs,
  },
];

/**
 * The engines a benchmark runs in: the interpreter, the JIT, the two ahead-of-time targets and
 * the program written by hand in JavaScript.
 *
 * @example
 * ```ts
 * import { BPF_ENGINES, type BpfBenchEngine } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const engine: BpfBenchEngine = "aot-wasm";
 * assert.ok(BPF_ENGINES.includes(engine));
 * ```
 */
export type BpfBenchEngine = "interpreter" | "jit" | "aot-js" | "aot-wasm" | "js";

/**
 * The engines in the order benchmarks report them.
 *
 * @example
 * ```ts
 * import { BPF_ENGINES } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * assert.deepEqual(BPF_ENGINES, ["interpreter", "jit", "aot-js", "aot-wasm", "js"]);
 * ```
 */
export const BPF_ENGINES: readonly BpfBenchEngine[] = [
  "interpreter",
  "jit",
  "aot-js",
  "aot-wasm",
  "js",
];

/**
 * Options of {@linkcode runBpfBenchmark} and {@linkcode prepareBpfBenchmark}.
 *
 * @example
 * ```ts
 * import { BPF_BENCHMARKS, runBpfBenchmark, type RunBpfBenchmarkOptions } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * let ticks = 0;
 * const options: RunBpfBenchmarkOptions = { minMillis: 5, clock: () => ticks++, engines: ["jit"] };
 * const r = await runBpfBenchmark(BPF_BENCHMARKS[2], options);
 * assert.ok(r.figures.jit!.runs > 0);
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
  /** The engines to measure (default: all of {@linkcode BPF_ENGINES}). */
  engines?: readonly BpfBenchEngine[];
}

/**
 * One engine's figures.
 *
 * @example
 * ```ts
 * import { BPF_BENCHMARKS, type BpfEngineFigures, runBpfBenchmark } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const r = await runBpfBenchmark(BPF_BENCHMARKS[2], { minMillis: 5, engines: ["jit"] });
 * const jit: BpfEngineFigures = r.figures.jit!;
 * assert.ok(jit.nsPerRun > 0 && jit.instructionsPerSecond > 0 && jit.runs > 0);
 * ```
 */
export interface BpfEngineFigures {
  /** Nanoseconds per run. */
  nsPerRun: number;
  /** eBPF instructions per second (for the hand-written code: of the eBPF program it mirrors). */
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
 * const r: BpfBenchmarkResult = await runBpfBenchmark(BPF_BENCHMARKS[2], { minMillis: 5 });
 * assert.equal(r.name, "checksum");
 * assert.equal(r.instructions, 5262);
 * assert.deepEqual(Object.keys(r.figures), ["interpreter", "jit", "aot-js", "aot-wasm", "js"]);
 * ```
 */
export interface BpfBenchmarkResult {
  /** The benchmark's name. */
  name: string;
  /** eBPF instructions per run (counted by the interpreter). */
  instructions: number;
  /** The figures of each engine measured. */
  figures: Partial<Record<BpfBenchEngine, BpfEngineFigures>>;
}

/** Something a benchmark runs: `exec` on the memory, r0 from `resultLow`/`resultHigh`. */
interface Runnable {
  exec(mem: Uint8Array): void;
  run(mem: Uint8Array): bigint;
}

/**
 * A benchmark ready to run in every engine: the runners and the memory each runs on (the
 * WebAssembly engine's lives in its linear memory, so that it is not copied in and out).
 *
 * @example
 * ```ts
 * import { BPF_BENCHMARKS, type PreparedBpfBenchmark, prepareBpfBenchmark } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const p: PreparedBpfBenchmark = await prepareBpfBenchmark(BPF_BENCHMARKS[0]);
 * for (const engine of ["interpreter", "jit", "aot-js", "aot-wasm", "js"] as const) {
 *   assert.equal(p.run(engine), 1229n);
 * }
 * ```
 */
export interface PreparedBpfBenchmark {
  /** The decoded program. */
  program: BpfProgram;
  /**
   * Runs the benchmark once in an engine.
   *
   * @param engine The engine.
   * @returns r0.
   */
  run(engine: BpfBenchEngine): bigint;
  /**
   * Runs the benchmark once in an engine without looking at the result (what is timed).
   *
   * @param engine The engine.
   * @returns Nothing.
   */
  exec(engine: BpfBenchEngine): void;
}

async function importText(code: Uint8Array): Promise<BpfJsArtifactModule> {
  let s = "";
  for (let i = 0; i < code.length; i += 0x8000) {
    s += String.fromCharCode(...code.subarray(i, i + 0x8000));
  }
  return await import(`data:text/javascript;base64,${btoa(s)}`);
}

/**
 * Prepares a benchmark in every engine (the ahead-of-time artifacts are compiled, serialized
 * and loaded back; maps are created in a `cloud` VM whose helpers the engines share).
 *
 * @param bench The benchmark.
 * @param options The budget and the engines.
 * @returns The prepared benchmark.
 *
 * @example
 * ```ts
 * import { BPF_MAP_BENCHMARKS, prepareBpfBenchmark } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const p = await prepareBpfBenchmark(BPF_MAP_BENCHMARKS[0], { engines: ["jit", "aot-wasm"] });
 * assert.equal(p.run("jit"), 49995000n);
 * assert.equal(p.run("aot-wasm"), 49995000n);
 * ```
 */
export async function prepareBpfBenchmark(
  bench: BpfBenchmark,
  options: RunBpfBenchmarkOptions = {},
): Promise<PreparedBpfBenchmark> {
  const program = decodeProgram(assemble(bench.source, { file: bench.name }));
  const budget = options.budget ?? 100_000_000;
  const engines = options.engines ?? BPF_ENGINES;
  const runners = new Map<BpfBenchEngine, Runnable>();
  const mems = new Map<BpfBenchEngine, Uint8Array>();
  const newEnv = (): BpfRunOptions & { vm: BpfVm } => {
    const vm = new BpfVm();
    for (const spec of bench.maps ?? []) vm.createMap(spec);
    return { ...vm.runOptions(), budget, vm };
  };
  for (const engine of engines) {
    const env = newEnv();
    let mem = bench.memory();
    let r: Runnable;
    if (engine === "interpreter") r = new BpfInterpreter(program, env);
    else if (engine === "jit") r = new BpfJit(program, env);
    else if (engine === "js") {
      const f = bench.handWritten();
      r = { exec: (m) => void f(m), run: f };
    } else {
      const artifact = compileArtifact({
        program,
        target: engine === "aot-js" ? "js" : "wasm",
        name: bench.name,
        profile: env.vm.profile,
        input: { kind: "packet", size: mem.length },
        run: { stackSize: 512, frameSize: 512, maxCallDepth: 8, budget },
        mapOfFd: (fd) => env.vm.maps[fd],
      });
      const source = engine === "aot-js" ? await importText(artifact.code) : artifact.code;
      const meta = readBpfArtifactMeta(source);
      const runner = artifactRunner(source, artifactProgram(meta), {
        ...env,
        memoryCapacity: mem.length,
      });
      if (runner instanceof BpfWasm) {
        const view = runner.memoryView(mem.length);
        view.set(mem);
        mem = view;
      }
      r = runner;
    }
    runners.set(engine, r);
    mems.set(engine, mem);
  }
  const get = (engine: BpfBenchEngine): [Runnable, Uint8Array] => {
    const r = runners.get(engine);
    if (r === undefined) throw new RangeError(`Engine ${engine} was not prepared`);
    return [r, mems.get(engine)!];
  };
  return {
    program,
    run(engine) {
      const [r, mem] = get(engine);
      return r.run(mem);
    },
    exec(engine) {
      const [r, mem] = get(engine);
      r.exec(mem);
    },
  };
}

function measure(
  exec: () => void,
  minMillis: number,
  instructions: number,
  clock: () => number,
): BpfEngineFigures {
  for (let i = 0; i < 3; i++) exec(); // warm-up
  // Read the clock once per batch of runs (batches of at least ~1 ms), so that reading it
  // (a system call for CPU time) does not count as run time.
  let batch = 1;
  for (;;) {
    const t0 = clock();
    for (let i = 0; i < batch; i++) exec();
    if (clock() - t0 >= 1 || batch >= 1 << 20) break;
    batch *= 2;
  }
  let runs = 0;
  const start = clock();
  let now = start;
  while (now - start < minMillis) {
    for (let i = 0; i < batch; i++) exec();
    runs += batch;
    now = clock();
  }
  const ns = ((now - start) * 1e6) / runs;
  return { nsPerRun: ns, instructionsPerSecond: instructions / (ns / 1e9), runs };
}

/**
 * Runs one benchmark in every engine, checking each one's result first. The engines alternate
 * over five rounds and each keeps its best round, so that a burst of load on the machine does
 * not distort the ratios.
 *
 * @param bench The benchmark.
 * @param options Measuring time, budget, clock and engines.
 * @returns The figures.
 *
 * @example
 * ```ts
 * import { BPF_BENCHMARKS, runBpfBenchmark } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const r = await runBpfBenchmark(BPF_BENCHMARKS[2], { minMillis: 5 });
 * assert.ok(r.instructions > 1000);
 * assert.ok(r.figures["aot-wasm"]!.runs > 0);
 * ```
 */
export async function runBpfBenchmark(
  bench: BpfBenchmark,
  options: RunBpfBenchmarkOptions = {},
): Promise<BpfBenchmarkResult> {
  const engines = options.engines ?? BPF_ENGINES;
  const prepared = await prepareBpfBenchmark(bench, options);
  const counter = new BpfInterpreter(prepared.program, {
    ...prepareCounterOptions(bench),
    budget: options.budget ?? 100_000_000,
  });
  counter.run(bench.memory());
  const instructions = counter.executed;
  for (const engine of engines) {
    const v = prepared.run(engine);
    if (v !== bench.expected) {
      throw new BpfError(
        "internal",
        `Benchmark ${bench.name}: expected ${bench.expected}, ${engine} gave ${v}`,
      );
    }
  }
  const minMillis = options.minMillis ?? 500;
  const rounds = 5;
  const clock = options.clock ?? (() => performance.now());
  const figures: Partial<Record<BpfBenchEngine, BpfEngineFigures>> = {};
  for (let round = 0; round < rounds; round++) {
    for (const engine of engines) {
      const f = measure(() => prepared.exec(engine), minMillis / rounds, instructions, clock);
      const best = figures[engine];
      if (best === undefined || f.nsPerRun < best.nsPerRun) figures[engine] = f;
    }
  }
  return { name: bench.name, instructions, figures };
}

/** Helpers and maps for the interpreter that counts a benchmark's instructions. */
function prepareCounterOptions(bench: BpfBenchmark): BpfRunOptions {
  const vm = new BpfVm();
  for (const spec of bench.maps ?? []) vm.createMap(spec);
  return vm.runOptions();
}
