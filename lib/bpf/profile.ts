/**
 * Execution profiles: the limits a VM is created with. `cloud` is roomy (512 KiB of stack, long
 * programs, bounded loops, a JIT, maps that grow); `embedded` is strict (8 KiB of stack, short
 * programs, no loops, no JIT — only programs compiled ahead of time —, every map carved from one
 * pool allocated up front, no resizing). A profile also decides what a run-time fault means
 * ({@linkcode BpfFaultPolicy}): `cloud` abandons the run and lets the scheduler retry it,
 * `embedded` returns a fallback value and disables a program that keeps faulting.
 *
 * @module
 */

/**
 * The name of a built-in profile.
 *
 * @example
 * ```ts
 * import { type BpfProfileName, BpfVm } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const name: BpfProfileName = "embedded";
 * assert.equal(new BpfVm({ profile: name }).profile.stackSize, 8192);
 * ```
 */
export type BpfProfileName = "cloud" | "embedded";

/**
 * What a run-time fault (an out-of-bounds access caught at run time, the instruction budget
 * running out, a helper failing, too deep local calls) means for a loaded program.
 *
 * - `restart`: the run is abandoned (the error is thrown) and the program's per-run state (its
 *   stack) is cleared; a {@linkcode BpfScheduler} counts the fault and runs the request again
 *   up to `maxRetries` times, waiting `backoffMs`, then twice as long each time.
 * - `recovery`: the run returns `fallback` instead of throwing; maps keep their state; the
 *   program keeps a fault counter and the last fault; after `maxFaults` faults within `windowMs`
 *   milliseconds it is disabled: its runs return `fallback` without running, until re-enabled.
 *
 * @example
 * ```ts
 * import { assemble, BpfVm, type BpfFaultPolicy, getBpfProfile } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const policy: BpfFaultPolicy = { kind: "recovery", fallback: 2n, maxFaults: 3, windowMs: 1000 };
 * const vm = new BpfVm({ profile: { ...getBpfProfile("cloud"), faultPolicy: policy } });
 * const prog = vm.load(assemble("ldxb %r0, [%r1+4]\nexit"), { input: { kind: "packet", size: 8 } });
 * assert.equal(prog.run(new Uint8Array(2)), 2n); // out of bounds at run time: the fallback
 * assert.equal(prog.stats().faults, 1);
 * ```
 */
export type BpfFaultPolicy =
  | {
    /** Abandon the run; the scheduler may retry it. */
    readonly kind: "restart";
    /** How many times a scheduler runs a faulting request again (0: never). */
    readonly maxRetries: number;
    /** The wait before the first retry, in milliseconds; doubled for each further retry. */
    readonly backoffMs: number;
  }
  | {
    /** Return a fallback value; disable a program that keeps faulting. */
    readonly kind: "recovery";
    /** r0 of a faulting (or disabled) run. */
    readonly fallback: bigint;
    /** Faults within `windowMs` that disable the program. */
    readonly maxFaults: number;
    /** The window in milliseconds. */
    readonly windowMs: number;
  };

/**
 * The limits that a VM, its verifier, its runs and its maps obey.
 *
 * @example
 * ```ts
 * import { assemble, type BpfProfile, BpfVm, getBpfProfile } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * // A custom profile: the cloud limits with a smaller stack.
 * const small: BpfProfile = { ...getBpfProfile("cloud"), stackSize: 64 };
 * const vm = new BpfVm({ profile: small });
 * assert.throws(() => vm.load(assemble("stdw [%r10-128], 0\nmov %r0, 0\nexit")), /invalid write to stack/);
 * ```
 */
export interface BpfProfile {
  /** The profile's name. */
  readonly name: BpfProfileName;
  /** Stack bytes per program run (all call frames together); `R10` points at its top. */
  readonly stackSize: number;
  /** The most instructions (8-byte slots) a program may have. */
  readonly maxInstructions: number;
  /** How many instructions the verifier may walk through before giving up (its complexity limit). */
  readonly maxVerifierSteps: number;
  /** How many instructions one run may execute before it is stopped. */
  readonly runBudget: number;
  /** Whether programs may contain loops the verifier proves bounded (back edges). */
  readonly boundedLoops: boolean;
  /** Whether the JIT may be used. */
  readonly jit: boolean;
  /** Whether maps may grow after creation (`BpfMap.resize`, lazily allocated hash storage). */
  readonly mapsResizable: boolean;
  /** Bytes of the map pool allocated up front, or `null` when maps allocate on their own. */
  readonly mapPoolBytes: number | null;
  /** The deepest chain of local calls (`call local`). */
  readonly maxCallDepth: number;
  /** What a run-time fault means. */
  readonly faultPolicy: BpfFaultPolicy;
}

/**
 * The `cloud` profile: 512 KiB stack, 65,536 instructions, bounded loops, JIT, growing maps;
 * faulting runs are abandoned and retried up to 3 times (after 10, 20, 40 ms).
 */
export const CLOUD: BpfProfile = Object.freeze({
  name: "cloud",
  stackSize: 512 * 1024,
  maxInstructions: 65536,
  maxVerifierSteps: 1_000_000,
  runBudget: 1_000_000_000,
  boundedLoops: true,
  jit: true,
  mapsResizable: true,
  mapPoolBytes: null,
  maxCallDepth: 8,
  faultPolicy: Object.freeze({ kind: "restart", maxRetries: 3, backoffMs: 10 }),
});

/**
 * The `embedded` profile: 8 KiB stack, 4,096 instructions, no loops, no JIT (ahead-of-time
 * artifacts instead), a 64 KiB map pool; a faulting run returns 0, and 5 faults within a minute
 * disable the program.
 */
export const EMBEDDED: BpfProfile = Object.freeze({
  name: "embedded",
  stackSize: 8 * 1024,
  maxInstructions: 4096,
  maxVerifierSteps: 100_000,
  runBudget: 1_000_000,
  boundedLoops: false,
  jit: false,
  mapsResizable: false,
  mapPoolBytes: 64 * 1024,
  maxCallDepth: 4,
  faultPolicy: Object.freeze({ kind: "recovery", fallback: 0n, maxFaults: 5, windowMs: 60_000 }),
});

/**
 * Returns a built-in profile by name.
 *
 * @param name `"cloud"` or `"embedded"`.
 * @returns The profile; throws a `RangeError` for any other name.
 *
 * @example
 * ```ts
 * import { getBpfProfile } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * assert.equal(getBpfProfile("embedded").stackSize, 8192);
 * assert.equal(getBpfProfile("embedded").jit, false);
 * assert.equal(getBpfProfile("cloud").boundedLoops, true);
 * assert.throws(() => getBpfProfile("edge"), RangeError);
 * ```
 */
export function getBpfProfile(name: string): BpfProfile {
  if (name === "cloud") return CLOUD;
  if (name === "embedded") return EMBEDDED;
  throw new RangeError(`Unknown BPF profile "${name}"; profiles: cloud, embedded`);
}
