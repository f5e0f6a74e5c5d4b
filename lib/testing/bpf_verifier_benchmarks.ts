/**
 * Verifier benchmark programs: plain loops, the stack-heavy programs of issue #16, and programs
 * at each profile's size limit (straight-line, branchy, nested loops, many loops, deep calls,
 * and two made to be too complex), with a runner that measures steps per second, time and the
 * memory of states. Used by `mxy bpf bench --verifier` and `bench/bpf_verifier_bench.ts`.
 *
 * @module
 */
import {
  assemble,
  BpfError,
  type BpfErrorCode,
  type BpfProfileName,
  getBpfProfile,
  type VerifyInput,
  verifyProgram,
} from "../bpf/mod.ts";
import { bpfConformanceHelpers } from "./bpf_conformance.ts";
import { BPF_BENCHMARKS } from "./bpf_benchmarks.ts";

/**
 * One verifier benchmark.
 *
 * @example
 * ```ts
 * import { BPF_VERIFIER_BENCHMARKS, type BpfVerifierBenchmark } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const loop: BpfVerifierBenchmark = BPF_VERIFIER_BENCHMARKS.find((b) => b.name === "loop")!;
 * assert.equal(loop.profile, "cloud");
 * assert.equal(loop.expect, "accept");
 * ```
 */
export interface BpfVerifierBenchmark {
  /** Short name. */
  name: string;
  /** What the program is. */
  description: string;
  /** The profile it is verified under. */
  profile: BpfProfileName;
  /** What R1 points to. */
  input: VerifyInput;
  /** Assembler source (built on demand: some are 65,536 instructions long). */
  source: () => string;
  /** The expected verdict: accepted, or rejected with this error code. */
  expect: "accept" | BpfErrorCode;
}

const CLOUD_SLOTS = getBpfProfile("cloud").maxInstructions;
const EMBEDDED_SLOTS = getBpfProfile("embedded").maxInstructions;

function lines(n: number, line: (k: number) => string): string {
  const out: string[] = [];
  for (let k = 0; k < n; k++) out.push(line(k));
  return out.join("\n");
}

/** A counting loop of `passes` passes, two instructions each. */
const loop = (passes: number) =>
  `mov %r1, 0\nl:\nadd %r1, 1\njlt %r1, ${passes}, l\nmov %r0, 0\nexit`;

/** Writes `bytes` of stack, 8 bytes per pass of an 8-instruction loop. */
const stackLoop = (bytes: number) =>
  `mov %r1, %r10\nmov %r2, 0\nl:\nadd %r1, -8\nstxdw [%r1], %r2\nadd %r2, 1\njlt %r2, ${
    bytes / 8
  }, l\nmov %r0, 0\nexit`;

/** `slots` instructions long, no jumps: arithmetic and stores to distinct stack slots. */
const straight = (slots: number) =>
  "mov %r0, 0\n" +
  lines(slots - 3, (k) =>
    k % 4 === 3 ? `stxdw [%r10-${8 * (1 + ((k >> 2) % 1024))}], %r0` : `add %r0, ${k & 0xff}`) +
  "\nmov %r0, 0\nexit";

/**
 * `slots` instructions of diamonds on packet bytes whose outcomes only feed the result: each
 * join prunes the second side.
 */
const branchy = (slots: number) =>
  "mov %r0, 0\n" +
  lines(Math.floor((slots - 2) / 3), (k) =>
    `ldxb %r3, [%r1+${k % 64}]\njgt %r3, ${k & 0xff}, +1\nadd %r0, 1`) +
  "\nexit";

/**
 * Diamonds that store a different constant in a stack slot on each side, later used as an
 * offset: no state includes another, so the paths double at every diamond.
 */
const explosive = (diamonds: number) =>
  lines(
    diamonds,
    (k) =>
      `ldxb %r3, [%r1+${k % 64}]\njeq %r3, 0, +2\nstdw [%r10-${
        8 * (k + 1)
      }], 1\nja +1\nstdw [%r10-${8 * (k + 1)}], 2`,
  ) + "\n" +
  lines(
    diamonds,
    (k) => `ldxdw %r4, [%r10-${8 * (k + 1)}]\nmov %r5, %r1\nadd %r5, %r4\nldxb %r0, [%r5+0]`,
  ) +
  "\nexit";

/**
 * The same, each side writing a different slot far apart in a 512 KiB stack: every state stored
 * holds its own copy of the path to its slot, so memory runs out before the step budget.
 */
const explosiveDeep = (diamonds: number) =>
  "mov %r6, %r10\nadd %r6, -524288\nstdw [%r6+0], 0\n" +
  lines(diamonds, (k) =>
    `ldxb %r3, [%r1+${k % 64}]\nmov %r4, %r10\nadd %r4, -${8 * (1 + ((k * 4099) % 65535))}\n` +
    `jeq %r3, 0, +1\nadd %r4, -8\nstdw [%r4+0], ${k}\nstxdw [%r10-8], %r4`) +
  "\nldxdw %r0, [%r10-8]\nldxdw %r0, [%r0+0]\nexit";

/**
 * A loop whose every pass branches on a packet byte and writes 1 or 2 to the next slot of a
 * 512 KiB stack: the side not taken waits with its own version of the stack, 65,000 of them.
 */
const pendingDeep = `mov %r6, %r10
add %r6, -524288
stdw [%r6+0], 0
mov %r7, 0
l:
ldxb %r3, [%r1+0]
mov %r4, %r10
mov %r5, %r7
lsh %r5, 3
sub %r4, %r5
jeq %r3, 0, +2
stdw [%r4-8], 1
ja +1
stdw [%r4-8], 2
add %r7, 1
jlt %r7, 65000, l
mov %r0, 0
exit`;

/** Three nested loops of `passes` passes each. */
const nested = (passes: number) =>
  `mov %r0, 0
mov %r2, 0
l0:
mov %r3, 0
l1:
mov %r4, 0
l2:
add %r0, 1
add %r4, 1
jlt %r4, ${passes}, l2
add %r3, 1
jlt %r3, ${passes}, l1
add %r2, 1
jlt %r2, ${passes}, l0
exit`;

/** As many short loops one after the other as fit in `slots` instructions. */
const manyLoops = (slots: number) =>
  "mov %r0, 0\n" +
  lines(Math.floor((slots - 2) / 4), (k) =>
    `mov %r2, 0\nl${k}:\nadd %r2, 1\nadd %r0, %r2\njlt %r2, 3, l${k}`) +
  "\nexit";

/** `depth` frames of local calls, each using 1 KiB of stack and looping 100 times. */
const deepCalls = (depth: number) => {
  let src = "mov %r1, 1\ncall local f1\nexit\n";
  for (let d = 1; d <= depth - 1; d++) {
    src += `f${d}:\nstdw [%r10-1024], 1\nmov %r6, 0\nl${d}:\nadd %r6, 1\njlt %r6, 100, l${d}\n`;
    src += d < depth - 1
      ? `mov %r1, %r6\ncall local f${d + 1}\nldxdw %r1, [%r10-1024]\nadd %r0, %r1\nexit\n`
      : "mov %r0, %r6\nexit\n";
  }
  return src;
};

const PACKET: VerifyInput = { kind: "packet", size: 1514 };
/** The memory sizes of the interpreter benchmarks (not built here: memcpy's is 2 MiB). */
const BENCHMARK_MEMORY: Record<string, number> = { primes: 0, memcpy: 2 << 20, checksum: 1500 };

/**
 * The verifier benchmarks.
 *
 * @example
 * ```ts
 * import { BPF_VERIFIER_BENCHMARKS } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const names = BPF_VERIFIER_BENCHMARKS.map((b) => b.name);
 * assert.ok(names.includes("stack-512k") && names.includes("straight-max"));
 * ```
 */
export const BPF_VERIFIER_BENCHMARKS: readonly BpfVerifierBenchmark[] = [
  {
    name: "loop",
    description: "a counting loop, 490,000 passes (980,000 instructions walked)",
    profile: "cloud",
    input: PACKET,
    source: () => loop(490_000),
    expect: "accept",
  },
  ...BPF_BENCHMARKS.map((b): BpfVerifierBenchmark => ({
    name: `bench-${b.name}`,
    description: `the ${b.description} benchmark program`,
    profile: "cloud",
    input: { kind: "ctx", size: BENCHMARK_MEMORY[b.name] ?? 0 },
    source: () => b.source,
    expect: "accept",
  })),
  {
    name: "stack-64k",
    description: "issue #16: an 8-instruction loop writing 64 KiB of stack",
    profile: "cloud",
    input: PACKET,
    source: () => stackLoop(64 * 1024),
    expect: "accept",
  },
  {
    name: "stack-512k",
    description: "issue #16: the same writing all 512 KiB of the cloud stack",
    profile: "cloud",
    input: PACKET,
    source: () => stackLoop(512 * 1024),
    expect: "accept",
  },
  {
    name: "stores-then-loop",
    description: "issue #16: 32 KiB of stores, then an empty loop of 200,000 passes",
    profile: "cloud",
    input: PACKET,
    source: () =>
      stackLoop(32 * 1024).replace("mov %r0, 0\nexit", "") +
      "\nmov %r3, 0\nl2:\nadd %r3, 1\njlt %r3, 200000, l2\nmov %r0, 0\nexit",
    expect: "accept",
  },
  {
    name: "straight-max",
    description: "65,536 instructions, no jumps, stores to 1,024 stack slots",
    profile: "cloud",
    input: PACKET,
    source: () => straight(CLOUD_SLOTS),
    expect: "accept",
  },
  {
    name: "branchy-max",
    description: "21,844 diamonds on packet bytes (65,535 instructions)",
    profile: "cloud",
    input: PACKET,
    source: () => branchy(CLOUD_SLOTS),
    expect: "accept",
  },
  {
    name: "nested-loops",
    description: "three nested loops of 60 passes (216,000 passes of the inner body)",
    profile: "cloud",
    input: PACKET,
    source: () => nested(60),
    expect: "accept",
  },
  {
    name: "many-loops-max",
    description: "16,383 loops of three passes one after the other (65,534 instructions)",
    profile: "cloud",
    input: PACKET,
    source: () => manyLoops(CLOUD_SLOTS),
    expect: "accept",
  },
  {
    name: "deep-calls",
    description: "local calls 8 frames deep, each with 1 KiB of stack and a loop",
    profile: "cloud",
    input: PACKET,
    source: () => deepCalls(8),
    expect: "accept",
  },
  {
    name: "explosive",
    description: "40 diamonds no state of which includes another: 2^40 paths",
    profile: "cloud",
    input: PACKET,
    source: () => explosive(40),
    expect: "too-complex",
  },
  {
    name: "explosive-deep",
    description:
      "9,361 diamonds writing far-apart slots of a 512 KiB stack: states need too much memory",
    profile: "cloud",
    input: PACKET,
    source: () => explosiveDeep(Math.floor((CLOUD_SLOTS - 8) / 7)),
    expect: "too-complex",
  },
  {
    name: "pending-deep",
    description: "65,000 passes each leaving a state with its own 512 KiB stack version to explore",
    profile: "cloud",
    input: PACKET,
    source: () => pendingDeep,
    expect: "too-complex",
  },
  {
    name: "embedded-straight",
    description: "4,096 instructions, no jumps (embedded)",
    profile: "embedded",
    input: PACKET,
    source: () => straight(EMBEDDED_SLOTS),
    expect: "accept",
  },
  {
    name: "embedded-branchy",
    description: "1,364 diamonds on packet bytes (embedded)",
    profile: "embedded",
    input: PACKET,
    source: () => branchy(EMBEDDED_SLOTS),
    expect: "accept",
  },
  {
    name: "embedded-explosive",
    description: "40 diamonds, 2^40 paths (embedded)",
    profile: "embedded",
    input: PACKET,
    source: () => explosive(40),
    expect: "too-complex",
  },
];

/**
 * Options of {@linkcode runBpfVerifierBenchmark}.
 *
 * @example
 * ```ts
 * import { BPF_VERIFIER_BENCHMARKS, runBpfVerifierBenchmark, type RunBpfVerifierBenchmarkOptions } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const options: RunBpfVerifierBenchmarkOptions = { heapUsed: () => 0 };
 * const r = runBpfVerifierBenchmark(BPF_VERIFIER_BENCHMARKS.find((b) => b.name === "deep-calls")!, options);
 * assert.equal(r.verdict, "accept");
 * ```
 */
export interface RunBpfVerifierBenchmarkOptions {
  /**
   * The clock for the figures, in milliseconds (default `performance.now`; a CPU-time clock
   * keeps other processes' load out of them). The verifier's own time limit uses wall time.
   */
  clock?: () => number;
  /** Bytes of JavaScript heap in use, sampled while the verifier runs (for the peak). */
  heapUsed?: () => number;
  /** The verifier's wall-clock limit (default its own, 2,000 ms). */
  maxMillis?: number;
}

/**
 * What one verification took.
 *
 * @example
 * ```ts
 * import { BPF_VERIFIER_BENCHMARKS, type BpfVerifierFigures, runBpfVerifierBenchmark } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const r: BpfVerifierFigures = runBpfVerifierBenchmark(BPF_VERIFIER_BENCHMARKS.find((b) => b.name === "stack-64k")!);
 * assert.equal(r.steps, 32772);
 * assert.ok(r.peakStateBytes > 0 && r.stepsPerSecond > 0);
 * ```
 */
export interface BpfVerifierFigures {
  /** The benchmark's name. */
  name: string;
  /** Accepted, or the rejection's code. */
  verdict: "accept" | BpfErrorCode;
  /** The rejection's message, or "". */
  message: string;
  /** Instructions walked. */
  steps: number;
  /** Milliseconds the verification took, on the options' clock. */
  millis: number;
  /** Instructions walked per second. */
  stepsPerSecond: number;
  /** The most bytes of states the verifier kept (its own estimate). */
  peakStateBytes: number;
  /** The most heap in use while it ran, above what was in use before (0 without `heapUsed`). */
  peakHeapBytes: number;
}

/** The heap is sampled every this many progress calls (every 8,192 steps). */
const HEAP_EVERY = 8;

/**
 * Verifies one benchmark program and measures it (the program is assembled first, untimed).
 *
 * @param bench The benchmark.
 * @param options Clocks and the heap sampler.
 * @returns The figures.
 *
 * @example
 * ```ts
 * import { BPF_VERIFIER_BENCHMARKS, runBpfVerifierBenchmark } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const r = runBpfVerifierBenchmark(BPF_VERIFIER_BENCHMARKS.find((b) => b.name === "embedded-explosive")!);
 * assert.equal(r.verdict, "too-complex");
 * assert.match(r.message, /BPF program is too large/);
 * ```
 */
export function runBpfVerifierBenchmark(
  bench: BpfVerifierBenchmark,
  options: RunBpfVerifierBenchmarkOptions = {},
): BpfVerifierFigures {
  const program = assemble(bench.source(), { file: bench.name });
  const clock = options.clock ?? (() => performance.now());
  const heapUsed = options.heapUsed;
  const heapBefore = heapUsed?.() ?? 0;
  let heapPeak = heapBefore;
  let steps = 0, peakStateBytes = 0, calls = 0;
  let verdict: "accept" | BpfErrorCode = "accept";
  let message = "";
  const t0 = clock();
  try {
    verifyProgram(program, {
      profile: getBpfProfile(bench.profile),
      helpers: bpfConformanceHelpers(),
      input: bench.input,
      maxMillis: options.maxMillis,
      progress: (p) => {
        steps = p.steps;
        peakStateBytes = p.peakStateBytes;
        if (heapUsed !== undefined && (p.done || ++calls % HEAP_EVERY === 0)) {
          heapPeak = Math.max(heapPeak, heapUsed());
        }
      },
    });
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    verdict = e.code;
    message = e.message;
  }
  const millis = clock() - t0;
  return {
    name: bench.name,
    verdict,
    message,
    steps,
    millis,
    stepsPerSecond: millis > 0 ? (steps * 1000) / millis : 0,
    peakStateBytes,
    peakHeapBytes: heapPeak - heapBefore,
  };
}
