/**
 * `mxy bpf bench`: times the benchmark programs in the interpreter and the JIT.
 *
 * @module
 */
import { type Command, intFlag, parseFlags, UsageError } from "../_command.ts";
import { BPF_BENCHMARKS, runBpfBenchmark } from "../../lib/testing/mod.ts";
import { writeSync } from "../_io.ts";
import { cpuUsage } from "node:process";

/** Process CPU time (user + system) in milliseconds. */
function cpuMillis(): number {
  const u = cpuUsage();
  return (u.user + u.system) / 1000;
}

const HELP = `Usage: mxy bpf bench [--millis N] [--only NAME]

Runs the eBPF benchmarks in the interpreter and the JIT, in the same process, and prints
instructions per second, nanoseconds per run and the JIT's speed-up:
  primes    count the primes below 10,000 (trial division)
  memcpy    copy 1 MiB, 8 bytes per iteration
  checksum  Internet checksum of a 1500-byte packet
Each engine's result is checked first; the measurement alternates the engines over several
rounds and keeps each one's best. Times are process CPU time (so that other processes' load
does not count) unless --wall is given.

Options:
  --millis N   measuring time per engine and benchmark (default 1000)
  --only NAME  run one benchmark
  --wall       measure wall-clock time instead of CPU time
  -h, --help   show this help`;

/** The `bpf bench` command. */
export const command: Command = {
  name: "bench",
  summary: "benchmark the interpreter against the JIT",
  help: HELP,
  run(argv) {
    const flags = parseFlags(argv, {
      spec: { millis: { type: "string" }, only: { type: "string" }, wall: { type: "boolean" } },
      help: HELP,
    });
    if (flags.positionals.length) throw new UsageError("bpf bench takes no arguments");
    const millis = intFlag(flags, "millis", 1000);
    if (millis < 1) throw new UsageError("--millis must be at least 1");
    const only = flags.values.only as string | undefined;
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
      const r = runBpfBenchmark(b, {
        minMillis: millis,
        clock: flags.values.wall === true ? undefined : cpuMillis,
      });
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
