/**
 * `mxy bpf bench`: times the benchmark programs in every engine — interpreter, JIT, both
 * ahead-of-time targets — and the same programs written by hand in JavaScript, side by side in
 * one run, or (with `--verifier`) the verifier on loops, stack-heavy programs and programs at
 * each profile's size limits.
 *
 * @module
 */
import { defineCommand, UsageError } from "../_command.ts";
import { closest } from "../_suggest.ts";
import {
  BPF_BENCHMARKS,
  BPF_ENGINES,
  BPF_MAP_BENCHMARKS,
  BPF_VERIFIER_BENCHMARKS,
  type BpfBenchEngine,
  type BpfBenchmarkResult,
  type BpfVerifierFigures,
  runBpfBenchmark,
  runBpfVerifierBenchmark,
} from "../../lib/testing/mod.ts";
import { writeSync } from "../_io.ts";
import { cpuUsage, memoryUsage } from "node:process";

/** Process CPU time (user + system) in milliseconds. */
function cpuMillis(): number {
  const u = cpuUsage();
  return (u.user + u.system) / 1000;
}

const MIB = 1024 * 1024;

const LABEL: Record<BpfBenchEngine, string> = {
  interpreter: "interpreter",
  jit: "JIT (JS)",
  "aot-js": "AOT-js",
  "aot-wasm": "AOT-wasm",
  js: "hand JS",
};

/** The `bpf bench` command. */
export const command = defineCommand({
  name: "bpf bench",
  summary: "Benchmark the engines against hand-written JavaScript, or the verifier",
  description: [
    "Runs the eBPF benchmarks in every engine in the same process and prints the time per run " +
    "(µs) of each and the ratios that matter (the benchmarks are listed below). Engines: the " +
    "interpreter, the JIT (JavaScript), AOT-js and AOT-wasm (artifacts of mxy bpf aot, " +
    "compiled, serialized and loaded back; the WebAssembly engine runs on its own linear " +
    "memory), and the program written by hand in JavaScript (the ceiling for a JIT to " +
    "JavaScript).",
    "Ratios: JIT/JS and wasm/JS (time over the hand-written code's), JIT/wasm (how much faster " +
    "WebAssembly is than the JavaScript JIT), interp/JIT; then, per engine, maploop over " +
    "plainloop (what a map lookup in a loop costs). The JIT of a loaded program (--engine jit) " +
    "is the WebAssembly code for programs without helper calls and the JavaScript JIT for the " +
    "others. Each engine's result is checked first; the measurement alternates the engines " +
    "over five rounds and keeps each one's best. Times are process CPU time (other processes' " +
    "load does not count) unless --wall is given.",
    "With --verifier, verifies each verifier benchmark (plain loops, the interpreter " +
    "benchmarks, the stack-heavy programs of issue #16, programs at each profile's size limits " +
    "and programs made to be too complex) and prints the verdict, instructions walked, the " +
    "time of the first verification in the process (cold) and the best of the rounds after " +
    "it, instructions walked per second (best round), the verifier's estimate of the bytes of " +
    "states it kept at most, and the most JavaScript heap in use above what was in use before " +
    "(sampled every 8,192 instructions). A verdict other than the expected one is an error " +
    "(exit 1).",
  ],
  options: [
    {
      name: "millis",
      type: "int",
      min: 1,
      default: 1000,
      description: "Measuring time per engine and benchmark, in milliseconds",
    },
    {
      name: "only",
      type: "string",
      value: "NAME",
      complete: "none",
      description: "Run one benchmark",
    },
    { name: "wall", type: "boolean", description: "Measure wall-clock time instead of CPU time" },
    {
      name: "verifier",
      type: "boolean",
      description: "Benchmark the verifier instead of the engines",
    },
    {
      name: "rounds",
      type: "int",
      min: 0,
      default: 3,
      description: "With --verifier: rounds after the cold one",
    },
  ],
  sections: [{
    title: "Benchmarks",
    rows: [
      ["primes", "Count the primes below 10,000 (trial division)"],
      ["memcpy", "Copy 1 MiB, 8 bytes per iteration"],
      ["checksum", "Internet checksum of a 1500-byte packet"],
      ["maploop", "10,000 updates of an array map through bpf_map_lookup_elem"],
      ["plainloop", "The same updates on a table in memory"],
    ],
  }],
  examples: [
    "mxy bpf bench --only checksum --millis 300",
    "mxy bpf bench --verifier --rounds 0",
  ],
  async run(inv) {
    const clock = inv.flag("wall") ? undefined : cpuMillis;
    const only = inv.string("only");
    if (inv.flag("verifier")) return benchVerifier(only, inv.int("rounds")!, clock);
    if (inv.has("rounds")) throw inv.usage("--rounds goes with --verifier");
    const millis = inv.int("millis")!;
    const all = [...BPF_BENCHMARKS, ...BPF_MAP_BENCHMARKS];
    const list = all.filter((b) => only === undefined || b.name === only);
    if (list.length === 0) {
      throw unknownBenchmark("benchmark", only!, all);
    }
    const us = (ns: number) => (ns / 1000).toFixed(1).padStart(11);
    const x = (r: number) => `${r.toFixed(2)}`.padStart(9);
    writeSync(
      "stdout",
      `time per run in µs (${clock ? "CPU" : "wall-clock"} time, best of 5 rounds)\n` +
        `benchmark   insns/run ${
          BPF_ENGINES.map((e) => LABEL[e].padStart(11)).join("")
        }   JIT/JS  wasm/JS JIT/wasm interp/JIT\n`,
    );
    const results = new Map<string, BpfBenchmarkResult>();
    for (const b of list) {
      const r = await runBpfBenchmark(b, { minMillis: millis, clock });
      results.set(b.name, r);
      const f = r.figures;
      const ns = (e: BpfBenchEngine) => f[e]!.nsPerRun;
      writeSync(
        "stdout",
        `${b.name.padEnd(10)} ${String(r.instructions).padStart(10)}${
          BPF_ENGINES.map((e) => us(ns(e))).join("")
        } ${x(ns("jit") / ns("js"))}${x(ns("aot-wasm") / ns("js"))}${
          x(ns("jit") / ns("aot-wasm"))
        }${x(ns("interpreter") / ns("jit"))}\n`,
      );
    }
    const map = results.get("maploop"), plain = results.get("plainloop");
    if (map !== undefined && plain !== undefined) {
      writeSync(
        "stdout",
        `maploop / plainloop: ${
          BPF_ENGINES.map((e) =>
            `${LABEL[e]} ${(map.figures[e]!.nsPerRun / plain.figures[e]!.nsPerRun).toFixed(2)}`
          ).join(", ")
        }\n`,
      );
    }
    return 0;
  },
});

/** The usage error for a mistyped --only, with a suggestion and the list. */
function unknownBenchmark(
  what: string,
  name: string,
  list: readonly { name: string }[],
): UsageError {
  const names = list.map((b) => b.name);
  const guess = closest(name, names);
  return new UsageError(
    `Unknown ${what} "${name}"${guess ? ` (did you mean ${guess}?)` : ""}; ${names.join(", ")}`,
  );
}

/** Runs the verifier benchmarks; returns the exit status. */
function benchVerifier(only: string | undefined, rounds: number, clock?: () => number): number {
  const list = BPF_VERIFIER_BENCHMARKS.filter((b) => only === undefined || b.name === only);
  if (list.length === 0) {
    throw unknownBenchmark("verifier benchmark", only!, BPF_VERIFIER_BENCHMARKS);
  }
  const heapUsed = () => memoryUsage().heapUsed;
  writeSync(
    "stdout",
    `${"benchmark".padEnd(20)} ${"profile".padEnd(8)} ${"verdict".padEnd(11)} ${
      "steps".padStart(8)
    } ${"cold ms".padStart(8)} ${"best ms".padStart(8)} ${"Msteps/s".padStart(8)} ${
      "states MiB".padStart(10)
    } ${"heap MiB".padStart(8)}\n`,
  );
  let wrong = 0, worstMillis = 0, worstHeap = 0;
  for (const b of list) {
    const cold = runBpfVerifierBenchmark(b, { clock, heapUsed });
    let best: BpfVerifierFigures = cold;
    let heap = cold.peakHeapBytes;
    for (let k = 0; k < rounds; k++) {
      const r = runBpfVerifierBenchmark(b, { clock, heapUsed });
      if (r.millis < best.millis) best = r;
      heap = Math.max(heap, r.peakHeapBytes);
    }
    worstMillis = Math.max(worstMillis, cold.millis);
    worstHeap = Math.max(worstHeap, heap);
    const mark = cold.verdict === b.expect ? "" : ` (expected ${b.expect}: ${cold.message})`;
    if (mark) wrong++;
    writeSync(
      "stdout",
      `${b.name.padEnd(20)} ${b.profile.padEnd(8)} ${cold.verdict.padEnd(11)} ${
        String(cold.steps).padStart(8)
      } ${cold.millis.toFixed(0).padStart(8)} ${best.millis.toFixed(0).padStart(8)} ${
        (best.stepsPerSecond / 1e6).toFixed(2).padStart(8)
      } ${(best.peakStateBytes / MIB).toFixed(1).padStart(10)} ${
        (heap / MIB).toFixed(1).padStart(8)
      }${mark}\n`,
    );
  }
  writeSync(
    "stdout",
    `slowest first verification ${worstMillis.toFixed(0)} ms (${
      clock === undefined ? "wall" : "CPU"
    }), most heap above the start ${(worstHeap / MIB).toFixed(1)} MiB\n`,
  );
  if (wrong > 0) {
    writeSync("stderr", `mxy: ${wrong} verifier benchmark(s) gave an unexpected verdict\n`);
    return 1;
  }
  return 0;
}
