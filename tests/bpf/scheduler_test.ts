import assert from "node:assert/strict";
import fc from "fast-check";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import { type BpfRunnable, BpfScheduler } from "../../lib/bpf/scheduler.ts";
import { BpfVm } from "../../lib/bpf/vm.ts";
import { assemble } from "../../lib/bpf/assembler.ts";

/** A fake clock: each run takes `cost` ms of fake time. */
function fakeClock() {
  let t = 0;
  return {
    clock: () => t,
    program: (value: bigint, cost = 1): BpfRunnable => ({
      run: () => {
        t += cost;
        return value;
      },
    }),
  };
}

Deno.test("throughput policy runs the highest priority first, then in arrival order", () => {
  const { clock, program } = fakeClock();
  const s = new BpfScheduler({ policy: "throughput", clock });
  const order = [[0, "a"], [5, "b"], [0, "c"], [5, "d"], [9, "e"]] as const;
  for (const [priority, label] of order) s.submit({ program: program(0n), priority, label });
  assert.deepEqual(s.runAll().map((r) => r.label), ["e", "b", "d", "a", "c"]);
});

Deno.test("throughput order matches a stable sort by priority for any input", () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 60 }), (prios) => {
      const s = new BpfScheduler({ capacity: 100 });
      prios.forEach((p, i) => s.submit({ program: { run: () => BigInt(i) }, priority: p }));
      const got = s.runAll().map((r) => Number(r.value));
      const want = prios.map((p, i) => [p, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map((x) =>
        x[1]
      );
      assert.deepEqual(got, want);
    }),
  );
});

Deno.test("deadline policy runs the earliest deadline first and reports misses", () => {
  const { clock, program } = fakeClock();
  const s = new BpfScheduler({ policy: "deadline", clock });
  s.submit({ program: program(1n, 2), deadline: 10, label: "late-ok" });
  s.submit({ program: program(2n, 2), deadline: 3, label: "first" });
  s.submit({ program: program(3n, 2), label: "none" });
  s.submit({ program: program(4n, 2), deadline: 4, label: "second" });
  const r = s.runAll();
  assert.deepEqual(r.map((x) => x.label), ["first", "second", "late-ok", "none"]);
  // first finishes at 2 (≤ 3), second at 4 (≤ 4), late-ok at 6 (≤ 10), none has no deadline.
  assert.deepEqual(r.map((x) => x.missedDeadline), [false, false, false, false]);
  s.submit({ program: program(5n, 5), deadline: 10, label: "misses" });
  const [m] = s.runAll();
  assert.equal(m.missedDeadline, true);
  assert.equal(m.value, 5n);
  assert.equal(s.stats().missedDeadlines, 1);
});

Deno.test("deadline policy can skip requests that are already late", () => {
  const { clock, program } = fakeClock();
  const s = new BpfScheduler({ policy: "deadline", clock, skipLate: true });
  s.submit({ program: program(1n, 5), deadline: 5, label: "a" });
  s.submit({ program: program(2n, 1), deadline: 3, label: "b" }); // runs first, ends at 1
  s.submit({ program: program(3n, 1), deadline: 4, label: "c" }); // ends at 2
  s.submit({ program: program(4n, 1), deadline: 6, label: "d" }); // a ends at 7 → d is late
  const r = s.runAll();
  assert.deepEqual(r.map((x) => [x.label, x.skipped, x.missedDeadline]), [
    ["b", false, false],
    ["c", false, false],
    ["a", false, true],
    ["d", true, true],
  ]);
  assert.ok(r[3].error instanceof BpfError);
  const st = s.stats();
  assert.equal(st.skipped, 1);
  assert.equal(st.missedDeadlines, 2);
});

Deno.test("a full queue is an error and statistics count every outcome", () => {
  const { clock, program } = fakeClock();
  const s = new BpfScheduler({ capacity: 2, clock });
  s.submit({ program: program(1n, 3) });
  s.submit({
    program: {
      run: () => {
        throw new BpfError("budget", "out of budget");
      },
    },
  });
  assert.throws(
    () => s.submit({ program: program(3n) }),
    (e: unknown) => e instanceof BpfError && e.code === "queue-full",
  );
  assert.equal(s.size, 2);
  const r = s.runAll();
  assert.equal(r[1].error?.message, "out of budget");
  assert.deepEqual(s.stats(), {
    submitted: 2,
    rejected: 1,
    completed: 1,
    failed: 1,
    faults: 0,
    recovered: 0,
    retries: 0,
    refused: 0,
    skipped: 0,
    missedDeadlines: 0,
    queued: 0,
    maxQueued: 2,
    totalWaitMs: 3, // the second waited while the first ran for 3 ms
    totalRunMs: 3,
  });
  assert.throws(() => new BpfScheduler({ capacity: 0 }), RangeError);
});

Deno.test("the scheduler runs programs loaded into a VM", () => {
  const vm = new BpfVm({ profile: "embedded" });
  const prog = vm.load(assemble("mov %r0, %r2\nexit"), { input: { kind: "packet", size: 64 } });
  const s = new BpfScheduler({ policy: "throughput" });
  for (let n = 1; n <= 3; n++) s.submit({ program: prog, mem: new Uint8Array(n), priority: n });
  assert.deepEqual(s.runAll().map((r) => r.value), [3n, 2n, 1n]);
});
