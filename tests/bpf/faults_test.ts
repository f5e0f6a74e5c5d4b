import assert from "node:assert/strict";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import { assemble } from "../../lib/bpf/assembler.ts";
import { HelperRegistry } from "../../lib/bpf/helpers.ts";
import { type BpfEngine, BpfVm, type LoadedBpfProgram } from "../../lib/bpf/vm.ts";
import { type BpfProfile, CLOUD, EMBEDDED } from "../../lib/bpf/profile.ts";
import { BpfScheduler } from "../../lib/bpf/scheduler.ts";
import type { VerifyInput } from "../../lib/bpf/verifier.ts";
import { importText } from "./_aot_fixtures.ts";

/** A VM with a fake clock. */
function vmWith(profile: BpfProfile, helpers?: HelperRegistry) {
  const clock = { now: 0 };
  const vm = new BpfVm({ profile, helpers, clock: () => clock.now });
  return { vm, clock };
}

/** Loads `src` in `vm` under `engine` (artifacts are compiled, serialized and loaded back). */
async function loadWith(
  vm: BpfVm,
  src: string,
  engine: BpfEngine | "jit",
  input: VerifyInput = { kind: "packet", size: 64 },
): Promise<LoadedBpfProgram> {
  const bytes = assemble(src);
  if (engine === "aot-js") {
    const art = vm.compileArtifact(bytes, { target: "js", input, name: "p" });
    return vm.loadArtifact(await importText(art.code), { maps: [...vm.maps] });
  }
  if (engine === "aot-wasm") {
    const art = vm.compileArtifact(bytes, { target: "wasm", input, name: "p" });
    return vm.loadArtifact(art.code, { maps: [...vm.maps] });
  }
  return vm.load(bytes, { engine, input, name: "p" });
}

// Counts its runs in map 0, then reads 4 bytes at offset 8 of the packet: a run-time fault on
// packets shorter than 12 bytes.
const COUNT_THEN_READ = `
  mov %r7, %r1
  lddw %r1, 0, map_fd
  stw [%r10-4], 0
  mov %r2, %r10
  add %r2, -4
  call 1
  jeq %r0, 0, +3
  ldxdw %r1, [%r0]
  add %r1, 1
  stxdw [%r0], %r1
  ldxw %r0, [%r7+8]
  exit`;

const runsOf = (vm: BpfVm) => vm.maps[0].lookup(new Uint8Array(4))![0];

for (const engine of ["interpreter", "aot-js", "aot-wasm"] as const) {
  Deno.test(`recovery (embedded, ${engine}): a fault returns the fallback, maps keep their state, N faults disable`, async () => {
    const { vm, clock } = vmWith(EMBEDDED);
    vm.createMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 1, name: "runs" });
    const prog = await loadWith(vm, COUNT_THEN_READ, engine);
    assert.equal(prog.faultPolicy.kind, "recovery");
    const good = new Uint8Array(12);
    good[8] = 9;
    assert.equal(prog.run(good), 9n);
    assert.equal(prog.run(new Uint8Array(4)), 0n); // the fallback
    assert.equal(runsOf(vm), 2); // the faulting run's map update stays
    let s = prog.stats();
    assert.deepEqual([s.runs, s.completed, s.faults, s.recovered, s.abandoned], [2, 1, 1, 1, 0]);
    assert.equal(s.lastFault?.code, "memory");
    assert.equal(s.lastFault?.run, 2);
    assert.match(s.lastFault!.message, /Out-of-bounds read of 4 bytes/);
    // Faults older than the window are forgotten.
    clock.now += 61_000;
    for (let i = 0; i < 4; i++) prog.run(new Uint8Array(4));
    s = prog.stats();
    assert.equal(s.disabled, false);
    assert.equal(s.faultsInWindow, 4);
    // The fifth fault within the window disables the program: its runs are refused.
    assert.deepEqual(prog.attempt(new Uint8Array(4)).recovered, true);
    assert.equal(prog.stats().disabled, true);
    const before = runsOf(vm);
    const refused = prog.attempt(good);
    assert.deepEqual(refused, { value: 0n, fault: null, recovered: false, refused: true });
    assert.equal(runsOf(vm), before); // not run
    prog.enable();
    assert.equal(prog.run(good), 9n);
    s = prog.stats();
    assert.deepEqual([s.faults, s.recovered, s.refused, s.disabledTimes], [6, 6, 1, 1]);
  });
}

for (const engine of ["interpreter", "jit-js", "wasm", "aot-js", "aot-wasm"] as const) {
  Deno.test(`restart (cloud, ${engine}): a fault abandons the run and clears the stack; the scheduler retries with backoff`, async () => {
    let failures = 2;
    const helpers = new HelperRegistry().register(50, "flaky", (a) => {
      if (failures-- > 0) throw new Error("device busy");
      return a + 1n;
    });
    const { vm, clock } = vmWith(CLOUD, helpers);
    const prog = await loadWith(
      vm,
      "stdw [%r10-8], 77\nmov %r1, 41\ncall 50\nexit",
      engine,
    );
    assert.throws(
      () => prog.run(),
      (e) => e instanceof BpfError && e.code === "helper" && /device busy/.test(e.message),
    );
    assert.ok(prog.runner.memory.stack.every((b) => b === 0), "the stack is cleared");
    failures = 2;
    const s = new BpfScheduler({ clock: () => clock.now });
    s.submit({ program: prog, label: "flaky" });
    const first = s.runAll();
    assert.equal(first.length, 1);
    assert.equal(first[0].fault?.code, "helper");
    assert.equal(first[0].retryAt, 10); // backoff 10 ms
    assert.equal(s.size, 1);
    assert.deepEqual(s.runAll(), []); // not ready yet
    clock.now = 10;
    const second = s.runAll();
    assert.equal(second[0].attempt, 2);
    assert.equal(second[0].retryAt, 30); // then 20 ms
    clock.now = 30;
    const third = s.runAll();
    assert.equal(third[0].value, 42n);
    const st = s.stats();
    assert.deepEqual([st.faults, st.retries, st.completed, st.failed, st.queued], [2, 2, 1, 0, 0]);
    assert.deepEqual([prog.stats().faults, prog.stats().abandoned], [3, 3]);
  });
}

Deno.test("restart: a request that keeps faulting fails after maxRetries", async () => {
  const profile = { ...CLOUD, runBudget: 1000 };
  const { vm, clock } = vmWith(profile);
  const prog = await loadWith(vm, "mov %r0, 0\nL: add %r0, 1\njlt %r0, 2000, L\nexit", "jit");
  const s = new BpfScheduler({ clock: () => clock.now });
  s.submit({ program: prog });
  const codes: string[] = [];
  for (let i = 0; i < 10 && s.size > 0; i++) {
    for (const r of s.runAll()) codes.push(`${r.attempt}:${r.fault?.code}:${r.retryAt ?? "-"}`);
    clock.now += 100;
  }
  assert.deepEqual(codes, ["1:budget:10", "2:budget:120", "3:budget:240", "4:budget:-"]);
  const st = s.stats();
  assert.deepEqual([st.faults, st.retries, st.failed], [4, 3, 1]);
});

Deno.test("recovery under the scheduler: fallback values, refused runs and statistics", async () => {
  const profile: BpfProfile = {
    ...EMBEDDED,
    faultPolicy: { kind: "recovery", fallback: 2n, maxFaults: 2, windowMs: 1000 },
  };
  const { vm, clock } = vmWith(profile);
  const prog = await loadWith(vm, "ldxb %r0, [%r1+4]\nexit", "aot-wasm");
  const s = new BpfScheduler({ clock: () => clock.now });
  for (const n of [8, 2, 8, 1, 8]) s.submit({ program: prog, mem: new Uint8Array(n).fill(n) });
  const r = s.runAll();
  assert.deepEqual(r.map((x) => x.value), [8n, 2n, 8n, 2n, 2n]);
  assert.deepEqual(r.map((x) => x.recovered), [false, true, false, true, false]);
  assert.deepEqual(r.map((x) => x.refused), [false, false, false, false, true]);
  const st = s.stats();
  assert.deepEqual(
    [st.completed, st.faults, st.recovered, st.refused, st.failed],
    [2, 2, 2, 1, 0],
  );
  assert.equal(prog.stats().disabled, true);
  // A recovery program called directly never throws its faults.
  const bad = vm.load(assemble("ldxb %r0, [%r1+4]\nexit"), { fallback: 99n });
  assert.equal(bad.run(new Uint8Array(1)), 99n);
  // The input check is not a fault: it is thrown.
  assert.throws(() => bad.run(new Uint8Array(70_000)), /packets of at most 65535 bytes/);
});
