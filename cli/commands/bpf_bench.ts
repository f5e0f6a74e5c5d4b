/**
 * `mxy bpf bench`: times the benchmark programs in the interpreter and the JIT, or (with
 * `--verifier`) the verifier on loops, stack-heavy programs and programs at each profile's size
 * limits.
 *
 * @module
 */
import { type Command, intFlag, parseFlags, UsageError } from "../_command.ts";
import {
  BPF_BENCHMARKS,
  BPF_VERIFIER_BENCHMARKS,
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

const HELP = `Usage: mxy bpf bench [--millis N] [--only NAME] [--wall]
       mxy bpf bench --verifier [--rounds N] [--only NAME] [--wall]

Runs the eBPF benchmarks in the interpreter and the JIT, in the same process, and prints
instructions per second, nanoseconds per run and the JIT's speed-up:
  primes    count the primes below 10,000 (trial division)
  memcpy    copy 1 MiB, 8 bytes per iteration
  checksum  Internet checksum of a 1500-byte packet
Each engine's result is checked first; the measurement alternates the engines over several
rounds and keeps each one's best. Times are process CPU time (so that other processes' load
does not count) unless --wall is given.

With --verifier, verifies each verifier benchmark (plain loops, the interpreter benchmarks, the
stack-heavy programs of issue #16, programs at each profile's size limits and programs made to
be too complex) and prints the verdict, instructions walked, the time of the first verification
in the process (cold) and the best of the rounds after it, instructions walked per second (best
round), the verifier's estimate of the bytes of states it kept at most, and the most JavaScript
heap in use above what was in use before (sampled every 8,192 instructions). A verdict other
than the expected one is an error (exit 1).

Options:
  --millis N   measuring time per engine and benchmark (default 1000)
  --only NAME  run one benchmark
  --wall       measure wall-clock time instead of CPU time
  --verifier   benchmark the verifier instead of the engines
  --rounds N   verifier rounds after the cold one (default 3)
  -h, --help   show this help`;

const MIB = 1024 * 1024;

/** The `bpf bench` command. */
export const command: Command = {
  name: "bench",
  summary: "benchmark the interpreter against the JIT, or the verifier",
  help: HELP,
  run(argv) {
    const flags = parseFlags(argv, {
      spec: {
        millis: { type: "string" },
        only: { type: "string" },
        wall: { type: "boolean" },
        verifier: { type: "boolean" },
        rounds: { type: "string" },
      },
      help: HELP,
    });
    if (flags.positionals.length) throw new UsageError("bpf bench takes no arguments");
    const clock = flags.values.wall === true ? undefined : cpuMillis;
    const only = flags.values.only as string | undefined;
    if (flags.values.verifier === true) {
      const rounds = intFlag(flags, "rounds", 3);
      if (rounds < 0) throw new UsageError("--rounds must be at least 0");
      return Promise.resolve(benchVerifier(only, rounds, clock));
    }
    const millis = intFlag(flags, "millis", 1000);
    if (millis < 1) throw new UsageError("--millis must be at least 1");
    const list = BPF_BENCHMARKS.filter((b) => only === undefined || b.name === only);
    if (list.length === 0) {
      throw new UsageError(
        `Unknown benchmark "${only}"; ${BPF_BENCHMARKS.map((b) => b.name).join(", ")}`,
      );
    }
    const fmt = (n: number) => (n / 1e6).toFixed(1).padStart(8);
    writeSync(
      "stdout",
      "benchmark   insns/run   interp Minsn/s   interp ns/run   JIT Minsn/s      JIT ns/run  JIT/interp\n",
    );
    for (const b of list) {
      const r = runBpfBenchmark(b, { minMillis: millis, clock });
      writeSync(
        "stdout",
        `${b.name.padEnd(10)} ${String(r.instructions).padStart(10)} ${
          fmt(r.interpreter.instructionsPerSecond)
        }        ${r.interpreter.nsPerRun.toFixed(0).padStart(14)} ${
          fmt(r.jit.instructionsPerSecond)
        }      ${r.jit.nsPerRun.toFixed(0).padStart(12)} ${r.speedup.toFixed(1).padStart(10)}x\n`,
      );
    }
    return Promise.resolve(0);
  },
};

/** Runs the verifier benchmarks; returns the exit status. */
function benchVerifier(only: string | undefined, rounds: number, clock?: () => number): number {
  const list = BPF_VERIFIER_BENCHMARKS.filter((b) => only === undefined || b.name === only);
  if (list.length === 0) {
    throw new UsageError(
      `Unknown verifier benchmark "${only}"; ${
        BPF_VERIFIER_BENCHMARKS.map((b) => b.name).join(", ")
      }`,
    );
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
