/**
 * A scheduler for program runs. Requests wait in a bounded queue (submitting to a full queue is an
 * error) and are picked by a policy: `throughput` runs the highest priority first and requests of
 * equal priority in arrival order; `deadline` runs the earliest deadline first (requests without
 * a deadline last, in arrival order) and reports every deadline missed. Statistics count what was
 * submitted, rejected, run, failed and late, and how long requests waited and ran.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";

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
  /** R0 when the run finished. */
  value?: bigint;
  /** The error when the run failed (or was skipped as already late). */
  error?: Error;
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
  /** Runs that threw. */
  failed: number;
  /** Requests skipped because they were already late. */
  skipped: number;
  /** Deadlines missed (late finishes and skips). */
  missedDeadlines: number;
  /** Requests waiting now. */
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
  #next = 1;
  #stats: BpfSchedulerStats = {
    submitted: 0,
    rejected: 0,
    completed: 0,
    failed: 0,
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

  /** Requests waiting. */
  get size(): number {
    return this.#heap.length;
  }

  /**
   * Queues a request.
   *
   * @param request What to run, with its priority or deadline.
   * @returns The request's ticket; throws a `BpfError` (`"queue-full"`) when the queue is full.
   */
  submit(request: BpfRunRequest): number {
    if (this.#heap.length >= this.capacity) {
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
    this.#push({ ticket, req: request, submittedAt: this.#clock(), key });
    this.#stats.submitted++;
    this.#stats.queued = this.#heap.length;
    this.#stats.maxQueued = Math.max(this.#stats.maxQueued, this.#heap.length);
    return ticket;
  }

  /**
   * Runs the next request by the policy.
   *
   * @returns Its result, or `null` when the queue is empty. A run that throws is reported in the
   *   result's `error`, not thrown.
   */
  runNext(): BpfRunResult | null {
    const e = this.#pop();
    if (e === undefined) return null;
    this.#stats.queued = this.#heap.length;
    const label = e.req.label ?? String(e.ticket);
    const deadline = e.req.deadline;
    const startedAt = this.#clock();
    this.#stats.totalWaitMs += startedAt - e.submittedAt;
    if (this.#skipLate && deadline !== undefined && startedAt > deadline) {
      this.#stats.skipped++;
      this.#stats.missedDeadlines++;
      return {
        ticket: e.ticket,
        label,
        error: new BpfError(
          "limit",
          `Request "${label}" skipped: its deadline ${deadline} passed before it started (${startedAt})`,
        ),
        skipped: true,
        missedDeadline: true,
        submittedAt: e.submittedAt,
        startedAt,
        finishedAt: startedAt,
      };
    }
    let value: bigint | undefined;
    let error: Error | undefined;
    try {
      value = e.req.program.run(e.req.mem);
      this.#stats.completed++;
    } catch (err) {
      error = err instanceof Error
        ? err
        : new BpfError("run", `Request "${label}" threw a non-Error value: ${String(err)}`, {
          cause: err,
        });
      this.#stats.failed++;
    }
    const finishedAt = this.#clock();
    this.#stats.totalRunMs += finishedAt - startedAt;
    const missed = deadline !== undefined && finishedAt > deadline;
    if (missed) this.#stats.missedDeadlines++;
    return {
      ticket: e.ticket,
      label,
      value,
      error,
      skipped: false,
      missedDeadline: missed,
      submittedAt: e.submittedAt,
      startedAt,
      finishedAt,
    };
  }

  /**
   * Runs every waiting request in policy order.
   *
   * @returns The results in the order they ran.
   */
  runAll(): BpfRunResult[] {
    const out: BpfRunResult[] = [];
    for (let r = this.runNext(); r !== null; r = this.runNext()) out.push(r);
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
