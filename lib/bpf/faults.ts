/**
 * What a run-time fault means for a loaded program: the guard that applies a profile's
 * {@linkcode BpfFaultPolicy} to any engine (interpreter, JIT, WebAssembly, ahead-of-time
 * artifacts) and the statistics it keeps.
 *
 * @module
 */
import { BpfError, type BpfErrorCode } from "./bpf_error.ts";
import type { BpfFaultPolicy } from "./profile.ts";
import type { BpfRunner } from "./runner.ts";

/**
 * One fault, as a program's statistics keep the last one.
 *
 * @example
 * ```ts
 * import { assemble, type BpfFaultRecord, BpfVm } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const vm = new BpfVm({ profile: "embedded" });
 * const prog = vm.load(assemble("mov %r0, 1\nexit"));
 * const last: BpfFaultRecord | null = prog.stats().lastFault;
 * assert.equal(last, null);
 * ```
 */
export interface BpfFaultRecord {
  /** The error's code (`memory`, `budget`, `helper`, `call-depth`, `jump` …). */
  readonly code: BpfErrorCode;
  /** The error's message. */
  readonly message: string;
  /** The instruction (slot) where it happened, or -1. */
  readonly pc: number;
  /** When (the VM's clock, ms). */
  readonly at: number;
  /** Which run (1 = the first run of the program). */
  readonly run: number;
}

/**
 * A loaded program's fault statistics.
 *
 * @example
 * ```ts
 * import { assemble, type BpfProgramStats, BpfVm } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const vm = new BpfVm({ profile: "embedded" });
 * const prog = vm.load(assemble("ldxw %r0, [%r1+8]\nexit"), { input: { kind: "packet", size: 64 } });
 * prog.run(new Uint8Array(4)); // reads past the 4 bytes: a fault, recovered with 0
 * const s: BpfProgramStats = prog.stats();
 * assert.deepEqual([s.runs, s.faults, s.recovered, s.lastFault?.code], [1, 1, 1, "memory"]);
 * ```
 */
export interface BpfProgramStats {
  /** The policy's kind. */
  readonly policy: BpfFaultPolicy["kind"];
  /** Runs asked for (including those refused while disabled). */
  readonly runs: number;
  /** Runs that finished normally. */
  readonly completed: number;
  /** Run-time faults. */
  readonly faults: number;
  /** Faults answered with the fallback value (`recovery`). */
  readonly recovered: number;
  /** Faults thrown to the caller, the run abandoned (`restart`). */
  readonly abandoned: number;
  /** Runs not made because the program was disabled (`recovery`). */
  readonly refused: number;
  /** Whether the program is disabled. */
  readonly disabled: boolean;
  /** How many times it was disabled. */
  readonly disabledTimes: number;
  /** Faults within the current window (`recovery`). */
  readonly faultsInWindow: number;
  /** The last fault, or `null`. */
  readonly lastFault: BpfFaultRecord | null;
}

/**
 * What one run under the fault policy did.
 *
 * @example
 * ```ts
 * import { assemble, BpfVm, type BpfRunOutcome } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const prog = new BpfVm().load(assemble("mov %r0, 7\nexit"));
 * const outcome: BpfRunOutcome = prog.attempt();
 * assert.deepEqual(outcome, { value: 7n, fault: null, recovered: false, refused: false });
 * ```
 */
export interface BpfRunOutcome {
  /** r0, or the fallback value when the run faulted (`recovery`) or was refused. */
  readonly value: bigint;
  /** The fault, or `null`. Under `restart` a faulting run has no meaningful `value` (0). */
  readonly fault: BpfError | null;
  /** Whether a fault was answered with the fallback value. */
  readonly recovered: boolean;
  /** Whether the run was not made because the program is disabled. */
  readonly refused: boolean;
}

/** Applies a fault policy to a runner and keeps the statistics. */
export class FaultGuard {
  readonly policy: BpfFaultPolicy;
  #runner: BpfRunner;
  #clock: () => number;
  #name: string;
  #runs = 0;
  #completed = 0;
  #faults = 0;
  #recovered = 0;
  #abandoned = 0;
  #refused = 0;
  #disabled = false;
  #disabledTimes = 0;
  #window: number[] = [];
  #last: BpfFaultRecord | null = null;

  /**
   * Guards a runner.
   *
   * @param runner The engine.
   * @param policy The fault policy.
   * @param clock The clock in ms (for the fault window).
   * @param name The program's name, for messages.
   */
  constructor(runner: BpfRunner, policy: BpfFaultPolicy, clock: () => number, name: string) {
    if (policy.kind === "recovery") {
      if (!(Number.isInteger(policy.maxFaults) && policy.maxFaults >= 1)) {
        throw new RangeError(`maxFaults must be a positive integer, got ${policy.maxFaults}`);
      }
      if (!(policy.windowMs >= 0)) {
        throw new RangeError(`windowMs must be non-negative, got ${policy.windowMs}`);
      }
    } else if (!(Number.isInteger(policy.maxRetries) && policy.maxRetries >= 0)) {
      throw new RangeError(`maxRetries must be a non-negative integer, got ${policy.maxRetries}`);
    }
    this.#runner = runner;
    this.policy = policy;
    this.#clock = clock;
    this.#name = name;
  }

  /** Runs once under the policy; see {@linkcode BpfRunOutcome}. Non-fault errors propagate. */
  attempt(mem: Uint8Array | undefined): BpfRunOutcome {
    this.#runs++;
    const p = this.policy;
    if (this.#disabled && p.kind === "recovery") {
      this.#refused++;
      return { value: p.fallback, fault: null, recovered: false, refused: true };
    }
    try {
      const value = this.#runner.run(mem);
      this.#completed++;
      return { value, fault: null, recovered: false, refused: false };
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      const now = this.#clock();
      this.#faults++;
      this.#last = { code: e.code, message: e.message, pc: e.pc, at: now, run: this.#runs };
      if (p.kind === "restart") {
        this.#abandoned++;
        this.#runner.memory.stack.fill(0);
        return { value: 0n, fault: e, recovered: false, refused: false };
      }
      this.#recovered++;
      const w = this.#window;
      w.push(now);
      while (w.length > 0 && w[0] < now - p.windowMs) w.shift();
      if (w.length >= p.maxFaults) {
        this.#disabled = true;
        this.#disabledTimes++;
      }
      return { value: p.fallback, fault: e, recovered: true, refused: false };
    }
  }

  /** Runs once: the value, or the fallback (`recovery`); throws the fault under `restart`. */
  run(mem: Uint8Array | undefined): bigint {
    const r = this.attempt(mem);
    if (r.fault !== null && !r.recovered) throw r.fault;
    return r.value;
  }

  /** Re-enables a disabled program and forgets the faults of the current window. */
  enable(): void {
    this.#disabled = false;
    this.#window = [];
  }

  /** A snapshot of the statistics. */
  stats(): BpfProgramStats {
    const p = this.policy;
    const now = this.#clock();
    const inWindow = p.kind === "recovery"
      ? this.#window.filter((t) => t >= now - p.windowMs).length
      : 0;
    return {
      policy: p.kind,
      runs: this.#runs,
      completed: this.#completed,
      faults: this.#faults,
      recovered: this.#recovered,
      abandoned: this.#abandoned,
      refused: this.#refused,
      disabled: this.#disabled,
      disabledTimes: this.#disabledTimes,
      faultsInWindow: inWindow,
      lastFault: this.#last,
    };
  }

  /** The program's name. */
  get name(): string {
    return this.#name;
  }
}
