/**
 * `mxy bpf bench`: times the benchmark programs in every engine — interpreter, JIT, both
 * ahead-of-time targets — and the same programs written by hand in JavaScript, side by side in
 * one run.
 *
 * @module
 */
import { type Command, intFlag, parseFlags, UsageError } from "../_command.ts";
import {
  BPF_BENCHMARKS,
  BPF_ENGINES,
  BPF_MAP_BENCHMARKS,
  type BpfBenchEngine,
  type BpfBenchmarkResult,
  runBpfBenchmark,
} from "../../lib/testing/mod.ts";
import { writeSync } from "../_io.ts";
import { cpuUsage } from "node:process";

/** Process CPU time (user + system) in milliseconds. */
function cpuMillis(): number {
  const u = cpuUsage();
  return (u.user + u.system) / 1000;
}

const HELP = `Usage: mxy bpf bench [--millis N] [--only NAME] [--wall]

Runs the eBPF benchmarks in every engine in the same process and prints the time per run (µs)
of each and the ratios that matter:
  primes     count the primes below 10,000 (trial division)
  memcpy     copy 1 MiB, 8 bytes per iteration
  checksum   Internet checksum of a 1500-byte packet
  maploop    10,000 updates of an array map through bpf_map_lookup_elem
  plainloop  the same updates on a table in memory
Engines: the interpreter, the JIT (JavaScript), AOT-js and AOT-wasm (artifacts of mxy bpf aot,
compiled, serialized and loaded back; the WebAssembly engine runs on its own linear memory),
and the program written by hand in JavaScript (the ceiling for a JIT to JavaScript).
Ratios: JIT/JS and wasm/JS (time over the hand-written code's), JIT/wasm (how much faster
WebAssembly is than the JavaScript JIT), interp/JIT; then, per engine, maploop over plainloop
(what a map lookup in a loop costs). The JIT of a loaded program (--engine jit) is the
WebAssembly code for programs without helper calls and the JavaScript JIT for the others. Each engine's result is checked first; the measurement alternates the
engines over five rounds and keeps each one's best. Times are process CPU time (other
processes' load does not count) unless --wall is given.

Options:
  --millis N   measuring time per engine and benchmark (default 1000)
  --only NAME  run one benchmark
  --wall       measure wall-clock time instead of CPU time
  -h, --help   show this help`;

const LABEL: Record<BpfBenchEngine, string> = {
  interpreter: "interpreter",
  jit: "JIT (JS)",
  "aot-js": "AOT-js",
  "aot-wasm": "AOT-wasm",
  js: "hand JS",
};

/** The `bpf bench` command. */
export const command: Command = {
  name: "bench",
  summary: "benchmark the interpreter, the JIT and AOT artifacts against hand-written JavaScript",
  help: HELP,
  async run(argv) {
    const flags = parseFlags(argv, {
      spec: { millis: { type: "string" }, only: { type: "string" }, wall: { type: "boolean" } },
      help: HELP,
    });
    if (flags.positionals.length) throw new UsageError("bpf bench takes no arguments");
    const millis = intFlag(flags, "millis", 1000);
    if (millis < 1) throw new UsageError("--millis must be at least 1");
    const only = flags.values.only as string | undefined;
    const all = [...BPF_BENCHMARKS, ...BPF_MAP_BENCHMARKS];
    const list = all.filter((b) => only === undefined || b.name === only);
    if (list.length === 0) {
      throw new UsageError(`Unknown benchmark "${only}"; ${all.map((b) => b.name).join(", ")}`);
    }
    const clock = flags.values.wall === true ? undefined : cpuMillis;
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
};
