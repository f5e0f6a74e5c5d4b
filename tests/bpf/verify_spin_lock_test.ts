// bpf_spin_lock in the verifier (lib/bpf/_verify_helpers.ts, _verify_walk.ts, _verify_memory.ts):
// Linux's rules and wording, on hand-written programs.
import assert from "node:assert/strict";
import { assemble } from "../../lib/bpf/assembler.ts";
import { BpfVm } from "../../lib/bpf/vm.ts";
import type { BpfProgramType } from "../../lib/bpf/program_types.ts";

/** R0 = &value of array map 0 (key 0), or exit 0. */
const LOOKUP = `
  lddw %r1, 0, map_fd
  stw [%r10-4], 0
  mov %r2, %r10
  add %r2, -4
  call 1
  jne %r0, 0, +2
  mov %r0, 0
  exit
  mov %r6, %r0
`;
const lock = (off = 4) => `mov %r1, %r6\nadd %r1, ${off}\ncall 93\n`;
const unlock = (off = 4) => `mov %r1, %r6\nadd %r1, ${off}\ncall 94\n`;

function load(body: string, programType: BpfProgramType = "sched_cls", spinLock: number = 4) {
  const vm = new BpfVm();
  vm.createMap({ type: "array", keySize: 4, valueSize: 16, maxEntries: 1, spinLock });
  return vm.load(assemble(LOOKUP + body + "mov %r0, 0\nexit"), { programType });
}

Deno.test("bpf_spin_lock: a lock released on every path verifies and runs as a no-op", () => {
  const p = load(lock() + "ldxw %r2, [%r6+8]\nadd %r2, 1\nstxw [%r6+8], %r2\n" + unlock());
  assert.equal(p.run(new Uint8Array(64)), 0n);
  assert.equal(p.run(new Uint8Array(64)), 0n);
});

Deno.test("bpf_spin_lock: Linux's rejections", () => {
  const cases: [string, RegExp, BpfProgramType?, number?][] = [
    [lock(), /bpf_spin_unlock is missing/],
    [unlock(), /bpf_spin_unlock without taking a lock/],
    // As in Linux, a second lock is a call made while holding one.
    [lock() + lock() + unlock(), /function calls are not allowed while holding a lock/],
    [lock(0), /off 0 doesn't point to 'struct bpf_spin_lock' that is at 4/],
    [lock() + "call 5\n" + unlock(), /function calls are not allowed while holding a lock/],
    ["ldxw %r2, [%r6+4]\n", /bpf_spin_lock cannot be accessed directly by load\/store/],
    ["stdw [%r6+0], 0\n", /bpf_spin_lock cannot be accessed directly by load\/store/],
    [lock(), /tracing progs cannot use bpf_spin_lock yet/, "kprobe"],
    [lock(), /map '' has no valid bpf_spin_lock/, "sched_cls", -1],
    [
      lock() + "mov %r1, %r10\nadd %r1, -8\ncall 94\n",
      /R1 type=fp expected=map_value/,
    ],
  ];
  for (const [body, error, type, at] of cases) {
    assert.throws(() => load(body, type, at), error, body);
  }
  // Maps that cannot hold a lock, and locks outside the value.
  const vm = new BpfVm();
  assert.throws(
    () =>
      vm.createMap({ type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 1, spinLock: 0 }),
    /percpu_array maps cannot hold a bpf_spin_lock/,
  );
  assert.throws(
    () => vm.createMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 1, spinLock: 6 }),
    /bpf_spin_lock at 6 is not a 4-aligned offset in the 8-byte value/,
  );
});

Deno.test("bpf_spin_lock: the lock released is the lock taken", () => {
  const vm = new BpfVm();
  for (let k = 0; k < 2; k++) {
    vm.createMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 1, spinLock: 0 });
  }
  const lookup = (fd: number, into: number) => `
    lddw %r1, ${fd}, map_fd
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    call 1
    jne %r0, 0, +2
    mov %r0, 0
    exit
    mov %r${into}, %r0
  `;
  const program = assemble(
    lookup(0, 6) + lookup(1, 7) +
      "mov %r1, %r6\ncall 93\nmov %r1, %r7\ncall 94\nmov %r0, 0\nexit",
  );
  assert.throws(
    () => vm.load(program, { programType: "sched_cls" }),
    /bpf_spin_unlock of different lock/,
  );
});
