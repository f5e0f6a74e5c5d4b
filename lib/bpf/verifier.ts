/**
 * The eBPF verifier: proves, before a program runs, that it is well formed and safe under a
 * profile's limits, in the manner of the Linux verifier.
 *
 * Two passes. The first builds the control-flow graph (`_verify_cfg.ts`): every jump lands
 * inside its subprogram and not in the middle of an `lddw`, every instruction is reachable, every
 * subprogram ends with `exit` or a jump, loops (back edges) appear only when the profile allows
 * bounded loops, calls go to known helpers, the call graph has no cycle and is not too deep, and
 * the program is not longer than the profile allows.
 *
 * The second pass (`_verify_walk.ts`) walks every path with an abstract state
 * (`_verify_state.ts`): each register (`_verify_values.ts`) is not initialised, a scalar (an
 * unsigned and a signed 64-bit range, equal bounds for a known value, with the arithmetic of
 * `_verify_scalar.ts`), or a typed pointer — to the context, the packet, the stack, a map value
 * (possibly null until checked) or a map. The stack of each frame (`_verify_stack.ts`) records
 * the bytes written and the values stored, spilled registers and narrower scalars alike, in a
 * persistent trie that states share. Registers are read only after they are written (R0 at exit;
 * a call clobbers R1–R5 and keeps R6–R9), R10 is read-only, memory accesses must match the
 * pointer's type and stay in bounds, stack bytes are read only after they are written
 * (`_verify_memory.ts`), helpers are called as their prototypes declare and what they may write
 * is forgotten (`_verify_helpers.ts`), constant divisors are not zero.
 *
 * Known values are folded exactly, so a loop with a constant bound is followed to its end. At
 * jump targets and loop heads the walk keeps checkpoints (`_verify_prune.ts`): a state that an
 * explored one includes (register by register and slot by slot, only where the rest of the
 * path can read them, `_verify_dataflow.ts`) stops its path, and one equal to a checkpoint still
 * being explored at a loop head is an infinite loop. The walk is bounded by the profile's step
 * budget, by wall-clock time and by the memory its states keep; beyond any of them the program
 * is rejected as too complex.
 *
 * Rejections are `BpfError`s with code `"verify"` (or `"too-complex"`), the instruction index
 * (slot) and a message in the Linux verifier's words: `R2 !read_ok`, `unreachable insn 7`,
 * `invalid write to stack R10 off=8 size=8`, `BPF program is too large. Processed 1000001 insn`.
 *
 * @module
 */
import type { HelperRegistry } from "./helpers.ts";
import type { BpfProgramType } from "./program_types.ts";
import { type BpfProgram, decodeProgram } from "./instruction.ts";
import type { BpfMap } from "./maps.ts";
import type { BpfProfile } from "./profile.ts";
import { VerifyContext } from "./_verify_context.ts";
import { controlFlow } from "./_verify_cfg.ts";
import { Walker } from "./_verify_walk.ts";

/** Default wall-clock limit of one verification. */
const DEFAULT_MILLIS = 2000;
/** Default limit on the bytes of states one verification keeps. */
const DEFAULT_STATE_BYTES = 128 * 1024 * 1024;

/**
 * What `R1` points to when the program starts (and what `R2` holds: its length).
 *
 * @example
 * ```ts
 * import { assemble, verifyProgram, type VerifyInput } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const read8 = assemble("ldxdw %r0, [%r1+8]\nexit");
 * const ctx16: VerifyInput = { kind: "ctx", size: 16 };
 * assert.equal(verifyProgram(read8, { input: ctx16 }).instructions, 2);
 * assert.throws(() => verifyProgram(read8, { input: { kind: "ctx", size: 12 } }), /invalid bpf_context access/);
 * ```
 */
export interface VerifyInput {
  /**
   * `"ctx"`: a region of exactly `size` bytes, every access checked against it here.
   * `"packet"`: a region of at most `size` bytes (its real length is in `R2`); accesses are
   * checked against `size` here and against the real length at run time.
   * `"args"`: R1–R5 are numbers (a function of `.text` run on its own); `size` is ignored.
   */
  kind: "ctx" | "packet" | "args";
  /** The size (`ctx`) or the largest size (`packet`) in bytes. */
  size: number;
}

/**
 * Options for {@linkcode verifyProgram}.
 *
 * @example
 * ```ts
 * import { assemble, getBpfProfile, HelperRegistry, verifyProgram, type VerifyOptions } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const program = assemble("call 9\nexit");
 * assert.throws(() => verifyProgram(program), /invalid func unknown#9/);
 * const options: VerifyOptions = {
 *   profile: getBpfProfile("embedded"),
 *   helpers: new HelperRegistry().register(9, "now", () => 0n),
 * };
 * assert.equal(verifyProgram(program, options).instructions, 2);
 * ```
 */
export interface VerifyOptions {
  /** The limits (default `cloud`). */
  profile?: BpfProfile;
  /**
   * The helpers a program may call, with their prototypes (`HelperPrototype`): the arguments
   * are checked against them and what a helper may write is forgotten. A helper registered
   * without a prototype may be passed anything and is assumed to write every byte of the
   * stack. Default: none known, so every helper call is rejected.
   */
  helpers?: HelperRegistry;
  /** The maps `lddw` may refer to: index = the fd (src 1, 2) or the index (src 5, 6). */
  maps?: readonly BpfMap[];
  /** What R1 points to at entry (default: a packet of up to 65,535 bytes). */
  input?: VerifyInput;
  /**
   * The program type (default `"unspec"`: R1 is `input`, R2 its length). With a type, R1 is
   * that type's context (`xdp_md`, `__sk_buff`, `pt_regs` …; `input` is then ignored), its
   * fields are read and written as Linux allows, `data`/`data_end` are packet pointers whose
   * accesses must be proven below `data_end` by a comparison, and only the helpers of the type
   * may be called (among Linux's helper ids).
   */
  programType?: BpfProgramType;
  /**
   * Wall-clock milliseconds the verification may take (default 2,000); beyond, it is rejected
   * as too complex (`BpfError` code `too-complex`).
   */
  maxMillis?: number;
  /**
   * Bytes the verifier may keep for explored and pending states (default 128 MiB, an estimate
   * of what they hold); beyond, it is rejected as too complex.
   */
  maxStateBytes?: number;
  /** The clock `maxMillis` is measured with, in milliseconds (default `performance.now()`). */
  clock?: () => number;
  /** Called every 1,024 instructions walked, and once at the end (accepted or not). */
  progress?: (p: VerifyProgress) => void;
}

/**
 * How far a verification has got (see {@linkcode VerifyOptions.progress}).
 *
 * @example
 * ```ts
 * import { assemble, verifyProgram, type VerifyProgress } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const seen: VerifyProgress[] = [];
 * verifyProgram(assemble("mov %r1, 0\nl:\nadd %r1, 1\njlt %r1, 5000, l\nmov %r0, 0\nexit"), {
 *   progress: (p) => seen.push(p),
 * });
 * assert.equal(seen.length, 10); // 10,003 steps: nine times along the way, once at the end
 * assert.equal(seen.at(-1)!.done, true);
 * assert.equal(seen.at(-1)!.steps, 10003);
 * ```
 */
export interface VerifyProgress {
  /** Instructions walked so far. */
  steps: number;
  /** Milliseconds since the verification started, on the verifier's clock. */
  millis: number;
  /** Bytes of states kept now (an estimate, as `maxStateBytes` counts them). */
  stateBytes: number;
  /** The most bytes of states kept at once so far. */
  peakStateBytes: number;
  /** Whether the walk is over (the program accepted or rejected). */
  done: boolean;
}

/**
 * What the verifier learnt about an accepted program.
 *
 * @example
 * ```ts
 * import { assemble, verifyProgram, type VerifyReport } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const report: VerifyReport = verifyProgram(assemble(`
 *   mov %r1, 41
 *   stdw [%r10-16], 1
 *   call local add_one
 *   exit
 * add_one:
 *   mov %r0, %r1
 *   add %r0, 1
 *   exit
 * `));
 * assert.equal(report.subprograms, 2);
 * assert.equal(report.callDepth, 2);
 * assert.equal(report.frameStack, 16);
 * assert.equal(report.stackBytes, 32);
 * assert.equal(report.hasLoops, false);
 * ```
 */
export interface VerifyReport {
  /** Logical instructions (an `lddw` counts once). */
  instructions: number;
  /** 8-byte slots. */
  slots: number;
  /** Instructions walked by the second pass. */
  steps: number;
  /** Subprograms (1 + local call targets). */
  subprograms: number;
  /** The deepest chain of frames (1 without local calls). */
  callDepth: number;
  /** The most stack bytes any one frame uses (a multiple of 8). */
  frameStack: number;
  /** Stack bytes the program needs: `frameStack × callDepth`. */
  stackBytes: number;
  /** Whether the program has loops (back edges). */
  hasLoops: boolean;
  /** States stored at pruning points (jump targets, loop heads). */
  statesStored: number;
  /** Paths stopped because an explored state included theirs. */
  pathsPruned: number;
  /** The most bytes of states kept at once (an estimate; see `maxStateBytes`). */
  peakStateBytes: number;
  /**
   * Typed contexts: the loads of packet pointers (`data`, `data_end`), as instruction index →
   * the offset of the 64-bit pointer in the runtime context; the VM rewrites each into an
   * 8-byte load from there (Linux's `convert_ctx_accesses`).
   */
  ctxLoads: ReadonlyMap<number, number>;
}

/**
 * Verifies a program (decoded, or bytecode to decode strictly first).
 *
 * @param program The program or its bytecode.
 * @param options The profile, helpers, maps and input description.
 * @returns What was learnt; throws a `BpfError` (`"verify"`, `"too-complex"` when the walk
 *   exceeds its step, time or memory budget, or `"decode"` for bad bytecode) with the
 *   instruction index on rejection.
 *
 * @example
 * ```ts
 * import { assemble, BpfError, verifyProgram } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * assert.equal(verifyProgram(assemble("mov %r0, 1\nexit")).instructions, 2);
 * try {
 *   verifyProgram(assemble("mov %r0, %r3\nexit"));
 *   assert.fail("r3 is read before it is written");
 * } catch (e) {
 *   assert.ok(e instanceof BpfError);
 *   assert.equal(e.code, "verify");
 *   assert.equal(e.message, "R3 !read_ok (at insn 0)");
 * }
 * ```
 */
export function verifyProgram(
  program: BpfProgram | Uint8Array,
  options: VerifyOptions = {},
): VerifyReport {
  const clock = options.clock ?? (() => performance.now());
  const start = clock(); // the time limit covers the passes before the walk too
  const prog = program instanceof Uint8Array ? decodeProgram(program) : program;
  const ctx = new VerifyContext(prog, options);
  const cfg = controlFlow(ctx);
  const walk = new Walker(ctx, cfg, {
    maxSteps: ctx.profile.maxVerifierSteps,
    maxMillis: options.maxMillis ?? DEFAULT_MILLIS,
    maxBytes: options.maxStateBytes ?? DEFAULT_STATE_BYTES,
    clock,
    start,
    progress: options.progress,
  });
  try {
    walk.run();
  } finally {
    walk.report(true);
  }
  const frameStack = Math.max(0, ...walk.subDepth.map((d) => (d + 7) & ~7));
  const stackBytes = frameStack * cfg.callDepth;
  const profile = ctx.profile;
  if (stackBytes > profile.stackSize) {
    throw ctx.err(
      0,
      `combined stack size of ${cfg.callDepth} calls is ${stackBytes}. Too large for the ${profile.name} profile (${profile.stackSize})`,
    );
  }
  return {
    instructions: ctx.n,
    slots: prog.slotCount,
    steps: walk.steps,
    subprograms: cfg.subStart.length,
    callDepth: cfg.callDepth,
    frameStack,
    stackBytes,
    hasLoops: cfg.hasLoops,
    ctxLoads: walk.ctxLoads,
    statesStored: walk.stored,
    pathsPruned: walk.pruned,
    peakStateBytes: walk.peakBytes,
  };
}
