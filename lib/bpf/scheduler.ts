/**
 * A scheduler for program runs. Requests wait in a bounded queue (submitting to a full queue is an
 * error) and are picked by a policy: `throughput` runs the highest priority first and requests of
 * equal priority in arrival order; `deadline` runs the earliest deadline first (requests without
 * a deadline last, in arrival order) and reports every deadline missed. Loaded programs run under
 * their fault policy: a fault under `restart` is retried with exponential backoff, one under
 * `recovery` yields the fallback value. Statistics count what was submitted, rejected, run,
 * failed, faulted, recovered, retried and late, and how long requests waited and ran.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import type { BpfRunOutcome } from "./faults.ts";
import type { BpfFaultPolicy } from "./profile.ts";

/**
 * How the next request is chosen.
 *
 * @example
 * ```ts
 * import { BpfScheduler, type BpfSchedulerPolicy } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const policy: BpfSchedulerPolicy = "deadline";
 * const s = new BpfScheduler({ policy });
 * s.submit({ program: { run: () => 1n }, deadline: 20, label: "late" });
 * s.submit({ program: { run: () => 2n }, deadline: 10, label: "soon" });
 * assert.deepEqual(s.runAll().map((r) => r.label), ["soon", "late"]);
 * ```
 */
export type BpfSchedulerPolicy = "throughput" | "deadline";

/**
 * Something that runs: a loaded program, an interpreter or a JIT function.
 *
 * @example
 * ```ts
 * import { assemble, type BpfRunnable, BpfScheduler, BpfVm } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const loaded: BpfRunnable = new BpfVm().load(assemble("mov %r0, 7\nexit"));
 * const host: BpfRunnable = { run: (mem) => BigInt(mem?.length ?? 0) };
 * const s = new BpfScheduler();
 * s.submit({ program: loaded });
 * s.submit({ program: host, mem: new Uint8Array(3) });
 * assert.deepEqual(s.runAll().map((r) => r.value), [7n, 3n]);
 * ```
 */
export interface BpfRunnable {
  /**
   * Runs once.
   *
   * @param mem The run's memory.
   * @returns R0.
   */
  run(mem?: Uint8Array): bigint;
  /**
   * Runs once under a fault policy and tells what happened (a {@linkcode LoadedBpfProgram} has
   * it); used instead of `run` when present.
   *
   * @param mem The run's memory.
   * @returns The outcome.
   */
  attempt?(mem?: Uint8Array): BpfRunOutcome;
  /** The fault policy (`restart` makes the scheduler retry faulting runs). */
  readonly faultPolicy?: BpfFaultPolicy;
}

/**
 * One execution request.
 *
 * @example
 * ```ts
 * import { type BpfRunRequest, BpfScheduler } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const urgent: BpfRunRequest = { program: { run: () => 1n }, priority: 10, label: "urgent" };
 * const s = new BpfScheduler();
 * s.submit({ program: { run: () => 0n }, label: "routine" });
 * s.submit(urgent);
 * assert.equal(s.runNext()!.label, "urgent");
 * ```
 */
export interface BpfRunRequest {
  /** What to run. */
  program: BpfRunnable;
  /** The memory to run it on. */
  mem?: Uint8Array;
  /** Higher runs first under `throughput` (default 0). */
  priority?: number;
  /** Absolute time on the scheduler's clock (ms) by which the run should finish. */
  deadline?: number;
  /** A label for the result (default: the ticket number). */
  label?: string;
}

/**
 * What happened to a request.
 *
 * @example
 * ```ts
 * import { BpfError, type BpfRunResult, BpfScheduler } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * let now = 0;
 * const s = new BpfScheduler({ policy: "deadline", clock: () => now });
 * s.submit({
 *   program: {
 *     run: () => {
 *       now += 5;
 *       throw new BpfError("budget", "Out of budget");
 *     },
 *   },
 *   deadline: 3,
 * });
 * const r: BpfRunResult = s.runNext()!;
 * assert.equal(r.error?.message, "Out of budget");
 * assert.equal(r.missedDeadline, true);
 * assert.equal(r.finishedAt - r.startedAt, 5);
 * ```
 */
export interface BpfRunResult {
  /** The ticket {@linkcode BpfScheduler.submit} returned. */
  ticket: number;
  /** The request's label. */
  label: string;
  /** Which run of the request this was (1, then 2, … for retries). */
  attempt: number;
  /** R0 when the run finished (the fallback value when a fault was recovered or it was refused). */
  value?: bigint;
  /** The error when the run failed (or was skipped as already late). */
  error?: Error;
  /** The run-time fault, when the program faulted (recovered or not). */
  fault?: BpfError;
  /** Whether a fault was answered with the fallback value (`recovery`). */
  recovered: boolean;
  /** Whether the program was disabled, so the run was not made (`recovery`). */
  refused: boolean;
  /** When the request will run again after this fault (`restart`), on the scheduler's clock. */
  retryAt?: number;
  /** Whether the run was skipped because its deadline had passed before it could start. */
  skipped: boolean;
  /** Whether the deadline was missed (finished after it, or skipped). */
  missedDeadline: boolean;
  /** When it was submitted (clock ms). */
  submittedAt: number;
  /** When it started (clock ms). */
  startedAt: number;
  /** When it finished (clock ms). */
  finishedAt: number;
}

/**
 * Counters kept by a scheduler.
 *
 * @example
 * ```ts
 * import { BpfScheduler, type BpfSchedulerStats } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const s = new BpfScheduler({ capacity: 1 });
 * s.submit({ program: { run: () => 1n } });
 * assert.throws(() => s.submit({ program: { run: () => 2n } }), /queue is full/);
 * s.runAll();
 * const stats: BpfSchedulerStats = s.stats();
 * assert.deepEqual([stats.submitted, stats.rejected, stats.completed, stats.queued], [1, 1, 1, 0]);
 * ```
 */
export interface BpfSchedulerStats {
  /** Requests accepted into the queue. */
  submitted: number;
  /** Requests refused because the queue was full. */
  rejected: number;
  /** Runs that finished with a value. */
  completed: number;
  /** Runs that threw, with no retry left. */
  failed: number;
  /** Run-time faults of programs with a fault policy (recovered, retried or failed). */
  faults: number;
  /** Faults answered with the fallback value (`recovery`). */
  recovered: number;
  /** Runs scheduled again after a fault (`restart`). */
  retries: number;
  /** Runs not made because the program was disabled. */
  refused: number;
  /** Requests skipped because they were already late. */
  skipped: number;
  /** Deadlines missed (late finishes and skips). */
  missedDeadlines: number;
  /** Requests waiting now (retries waiting for their backoff included). */
  queued: number;
  /** The longest the queue has been. */
  maxQueued: number;
  /** Total time requests waited before starting (ms). */
  totalWaitMs: number;
  /** Total time spent running (ms). */
  totalRunMs: number;
}

/**
 * Options for {@linkcode BpfScheduler}.
 *
 * @example
 * ```ts
 * import { BpfScheduler, type BpfSchedulerOptions } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * let now = 100;
 * const options: BpfSchedulerOptions = { policy: "deadline", skipLate: true, clock: () => now };
 * const s = new BpfScheduler(options);
 * s.submit({ program: { run: () => 1n }, deadline: 50 });
 * const r = s.runNext()!;
 * assert.equal(r.skipped, true);
 * assert.equal(r.value, undefined);
 * ```
 */
export interface BpfSchedulerOptions {
  /** The policy (default `throughput`). */
  policy?: BpfSchedulerPolicy;
  /** How many requests may wait (default 1024). */
  capacity?: number;
  /** Under `deadline`: skip requests already late when their turn comes (default `false`). */
  skipLate?: boolean;
  /** The clock in ms (default `performance.now`). */
  clock?: () => number;
}

interface Entry {
  ticket: number;
  req: BpfRunRequest;
  submittedAt: number;
  key: number; // priority (negated) or deadline
  attempts: number; // runs made so far
  readyAt: number; // not before (retries)
}

/**
 * Runs execution requests from a bounded queue under a policy.
 *
 * @example
 * ```ts
 * import { BpfScheduler } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const s = new BpfScheduler({ policy: "throughput", capacity: 2 });
 * const prog = (v: bigint) => ({ run: () => v });
 * s.submit({ program: prog(1n), priority: 1 });
 * s.submit({ program: prog(2n), priority: 5 });
 * assert.throws(() => s.submit({ program: prog(3n) }), /full/);
 * assert.deepEqual(s.runAll().map((r) => r.value), [2n, 1n]);
 * assert.equal(s.stats().rejected, 1);
 * ```
 */
export class BpfScheduler {
  /** The policy. */
  readonly policy: BpfSchedulerPolicy;
  /** How many requests may wait. */
  readonly capacity: number;
  #skipLate: boolean;
  #clock: () => number;
  #heap: Entry[] = [];
  #delayed: Entry[] = []; // retries waiting for their backoff, by readyAt
  #next = 1;
  #stats: BpfSchedulerStats = {
    submitted: 0,
    rejected: 0,
    completed: 0,
    failed: 0,
    faults: 0,
    recovered: 0,
    retries: 0,
    refused: 0,
    skipped: 0,
    missedDeadlines: 0,
    queued: 0,
    maxQueued: 0,
    totalWaitMs: 0,
    totalRunMs: 0,
  };

  /**
   * Creates a scheduler.
   *
   * @param options Policy, capacity, late handling and clock.
   */
  constructor(options: BpfSchedulerOptions = {}) {
    this.policy = options.policy ?? "throughput";
    if (this.policy !== "throughput" && this.policy !== "deadline") {
      throw new RangeError(`Unknown scheduler policy "${String(this.policy)}"`);
    }
    this.capacity = options.capacity ?? 1024;
    if (!Number.isInteger(this.capacity) || this.capacity < 1) {
      throw new RangeError(`Scheduler capacity must be at least 1, got ${this.capacity}`);
    }
    this.#skipLate = options.skipLate ?? false;
    this.#clock = options.clock ?? (() => performance.now());
  }

  /** Requests waiting (retries waiting for their backoff included). */
  get size(): number {
    return this.#heap.length + this.#delayed.length;
  }

  /** When the next retry becomes ready (scheduler clock, ms), or `null` when none waits. */
  get nextRetryAt(): number | null {
    return this.#delayed.length > 0 ? this.#delayed[0].readyAt : null;
  }

  /**
   * Queues a request.
   *
   * @param request What to run, with its priority or deadline.
   * @returns The request's ticket; throws a `BpfError` (`"queue-full"`) when the queue is full.
   */
  submit(request: BpfRunRequest): number {
    if (this.size >= this.capacity) {
      this.#stats.rejected++;
      throw new BpfError(
        "queue-full",
        `Scheduler queue is full (${this.capacity} requests waiting); request "${
          request.label ?? "unlabelled"
        }" refused`,
      );
    }
    const ticket = this.#next++;
    let key: number;
    if (this.policy === "throughput") key = -(request.priority ?? 0);
    else key = request.deadline ?? Number.POSITIVE_INFINITY;
    const now = this.#clock();
    this.#push({ ticket, req: request, submittedAt: now, key, attempts: 0, readyAt: now });
    this.#stats.submitted++;
    this.#stats.queued = this.size;
    this.#stats.maxQueued = Math.max(this.#stats.maxQueued, this.size);
    return ticket;
  }

  /**
   * Runs the next request by the policy (among those ready: a retry waits for its backoff).
   *
   * @returns Its result, or `null` when no request is ready. A run that throws is reported in the
   *   result's `error`, not thrown; a fault of a program whose policy is `restart` is reported
   *   in `fault` and `error`, and the request is queued again while retries are left
   *   (`retryAt`).
   */
  runNext(): BpfRunResult | null {
    const now0 = this.#clock();
    while (this.#delayed.length > 0 && this.#delayed[0].readyAt <= now0) {
      this.#push(this.#delayed.shift()!);
    }
    const e = this.#pop();
    if (e === undefined) return null;
    this.#stats.queued = this.size;
    const label = e.req.label ?? String(e.ticket);
    const deadline = e.req.deadline;
    const startedAt = this.#clock();
    this.#stats.totalWaitMs += startedAt - (e.attempts === 0 ? e.submittedAt : e.readyAt);
    const attempt = ++e.attempts;
    const base = { ticket: e.ticket, label, attempt, submittedAt: e.submittedAt, startedAt };
    if (this.#skipLate && deadline !== undefined && startedAt > deadline) {
      this.#stats.skipped++;
      this.#stats.missedDeadlines++;
      return {
        ...base,
        error: new BpfError(
          "limit",
          `Request "${label}" skipped: its deadline ${deadline} passed before it started (${startedAt})`,
        ),
        recovered: false,
        refused: false,
        skipped: true,
        missedDeadline: true,
        finishedAt: startedAt,
      };
    }
    const program = e.req.program;
    let value: bigint | undefined;
    let error: Error | undefined;
    let fault: BpfError | undefined;
    let recovered = false, refused = false;
    let retryAt: number | undefined;
    try {
      if (program.attempt !== undefined) {
        const o = program.attempt(e.req.mem);
        refused = o.refused;
        recovered = o.recovered;
        if (o.fault !== null) {
          fault = o.fault;
          this.#stats.faults++;
        }
        if (refused) this.#stats.refused++;
        if (fault !== undefined && !recovered) error = fault;
        else value = o.value;
        if (recovered) this.#stats.recovered++;
        else if (fault === undefined && !refused) this.#stats.completed++;
      } else {
        value = program.run(e.req.mem);
        this.#stats.completed++;
      }
    } catch (err) {
      error = err instanceof Error
        ? err
        : new BpfError("run", `Request "${label}" threw a non-Error value: ${String(err)}`, {
          cause: err,
        });
    }
    const finishedAt = this.#clock();
    this.#stats.totalRunMs += finishedAt - startedAt;
    if (error !== undefined) {
      const policy = program.faultPolicy;
      if (fault !== undefined && policy?.kind === "restart" && attempt <= policy.maxRetries) {
        retryAt = finishedAt + policy.backoffMs * 2 ** (attempt - 1);
        this.#delay({ ...e, readyAt: retryAt });
        this.#stats.retries++;
        this.#stats.queued = this.size;
      } else this.#stats.failed++;
    }
    const missed = deadline !== undefined && finishedAt > deadline;
    if (missed) this.#stats.missedDeadlines++;
    return {
      ...base,
      value,
      error,
      fault,
      recovered,
      refused,
      retryAt,
      skipped: false,
      missedDeadline: missed,
      finishedAt,
    };
  }

  /**
   * Runs every request that is ready, in policy order. Retries whose backoff has not passed stay
   * queued ({@linkcode BpfScheduler.nextRetryAt}); {@linkcode BpfScheduler.drain} waits for them.
   *
   * @returns The results in the order they ran.
   */
  runAll(): BpfRunResult[] {
    const out: BpfRunResult[] = [];
    for (let r = this.runNext(); r !== null; r = this.runNext()) out.push(r);
    return out;
  }

  /**
   * Runs every request, retries included, waiting (with `setTimeout`) for each backoff. Needs a
   * clock that advances by itself (the default).
   *
   * @returns The results in the order they ran.
   */
  async drain(): Promise<BpfRunResult[]> {
    const out = this.runAll();
    for (let at = this.nextRetryAt; at !== null; at = this.nextRetryAt) {
      const wait = Math.max(0, at - this.#clock());
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
      out.push(...this.runAll());
    }
    return out;
  }

  /**
   * A snapshot of the counters.
   *
   * @returns The statistics.
   */
  stats(): BpfSchedulerStats {
    return { ...this.#stats };
  }

  #delay(e: Entry): void {
    const d = this.#delayed;
    let i = d.length;
    while (i > 0 && d[i - 1].readyAt > e.readyAt) i--;
    d.splice(i, 0, e);
  }

  // Binary heap ordered by (key, ticket).
  #less(a: Entry, b: Entry): boolean {
    return a.key < b.key || (a.key === b.key && a.ticket < b.ticket);
  }

  #push(e: Entry): void {
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  #pop(): Entry | undefined {
    const h = this.#heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.#less(h[l], h[m])) m = l;
        if (r < h.length && this.#less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
