import assert from "node:assert/strict";
import { BpfMemory, MEM_REGION, STACK_REGION } from "../../lib/bpf/memory.ts";
import { BpfInterpreter } from "../../lib/bpf/interpreter.ts";
import { BpfJit } from "../../lib/bpf/jit.ts";
import { HelperRegistry } from "../../lib/bpf/helpers.ts";
import { assemble } from "../../lib/bpf/assembler.ts";
import { decodeProgram } from "../../lib/bpf/instruction.ts";
import { BpfError } from "../../lib/bpf/bpf_error.ts";

Deno.test("BpfMemory gives the stack region 1 and the run's memory region 2", () => {
  const m = new BpfMemory(64);
  assert.equal(m.lengths[STACK_REGION], 64);
  m.setMem(new Uint8Array(10));
  assert.equal(m.lengths[MEM_REGION], 10);
  assert.equal(m.slice((2n << 32n) + 9n, 1).length, 1);
  assert.throws(() => m.slice((2n << 32n) + 9n, 2), BpfError);
  assert.throws(() => m.slice(0n, 1), BpfError);
});

Deno.test("BpfMemory read-only regions refuse stores from programs", () => {
  const table = new Uint8Array([5, 6, 7, 8]);
  const helpers = new HelperRegistry().register(
    1,
    "table",
    (_a, _b, _c, _d, _e, ctx) => ctx.memory.addressOf(table, { readonly: true }),
  );
  const read = decodeProgram(assemble("call 1\nldxb %r0, [%r0+2]\nexit"));
  const write = decodeProgram(assemble("call 1\nstb [%r0], 1\nexit"));
  for (
    const make of [
      (p: typeof read) => new BpfInterpreter(p, { helpers }),
      (p: typeof read) => new BpfJit(p, { helpers }),
    ]
  ) {
    assert.equal(make(read).run(), 7n);
    assert.throws(() => make(write).run(), (e) => e instanceof BpfError && e.code === "memory");
    assert.equal(table[0], 5);
  }
});

Deno.test("BpfMemory addresses do not cross from one region into the next", () => {
  // r1 points to the end of mem; reading one byte further must fail even though other
  // regions exist at higher addresses.
  const p = decodeProgram(assemble("add %r1, %r2\nldxb %r0, [%r1]\nexit"));
  assert.throws(() => new BpfInterpreter(p).run(new Uint8Array(4)), /Out-of-bounds read/);
  assert.throws(() => new BpfJit(p).run(new Uint8Array(4)), /Out-of-bounds read/);
});

Deno.test("BpfMemory.setMemPrefix makes the first bytes of an array the run's memory", () => {
  const m = new BpfMemory(8);
  const buf = new Uint8Array(64).map((_, i) => i);
  const run = 2n << 32n;
  m.setMemPrefix(buf, 10);
  assert.deepEqual([...m.slice(run + 9n, 1)], [9]);
  assert.throws(() => m.slice(run + 10n, 1), (e) => e instanceof BpfError && e.code === "memory");
  m.setMemPrefix(buf, 40); // the same array, longer: only the length changes
  assert.deepEqual([...m.slice(run + 39n, 1)], [39]);
  m.setMem(buf); // the whole array again, though it is the region's array already
  assert.equal(m.slice(run, 64).length, 64);
  for (const bad of [-1, 65, 1.5, NaN]) assert.throws(() => m.setMemPrefix(buf, bad), RangeError);
});
