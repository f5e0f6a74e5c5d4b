import assert from "node:assert/strict";
import { assemble } from "../../lib/bpf/assembler.ts";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import { type BpfProgram, decodeProgram } from "../../lib/bpf/instruction.ts";
import { BpfVm } from "../../lib/bpf/vm.ts";
import { createBpfMap } from "../../lib/bpf/map_create.ts";

/** Assembles and turns every `lddw %rN, FD` marked with `; map` into a map reference (src 1). */
function withMaps(src: string): BpfProgram {
  const lines = src.trim().split("\n");
  const prog = decodeProgram(assemble(lines.map((l) => l.replace(/;.*$/, "")).join("\n")));
  let k = 0;
  for (const line of lines) {
    if (line.trim() === "" || line.trim().endsWith(":")) continue;
    if (line.includes("; map")) prog.instructions[k].src = 1;
    k++;
  }
  return prog;
}

// Increments the 8-byte counter at key 0 of map fd 0 and returns 1, or 0 when the key is absent.
const COUNTER = `
stw [%r10-4], 0
lddw %r1, 0 ; map
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, missing
mov %r1, 1
lock add [%r0], %r1
mov %r0, 1
exit
missing:
mov %r0, 0
exit`;

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);

Deno.test("programs of a VM share its maps with each other and with the host", () => {
  for (const jit of [false, true]) {
    const vm = new BpfVm({ profile: "cloud" });
    const counts = vm.createMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 1 });
    const a = vm.load(withMaps(COUNTER), { jit });
    const b = vm.load(withMaps(COUNTER), { jit });
    assert.equal(a.run(new Uint8Array(0)), 1n);
    assert.equal(b.run(new Uint8Array(0)), 1n);
    assert.equal(a.run(new Uint8Array(0)), 1n);
    const view = new DataView(counts.lookup(u32(0))!.buffer, counts.lookup(u32(0))!.byteOffset);
    assert.equal(view.getBigUint64(0, true), 3n);
    view.setBigUint64(0, 100n, true); // the host writes, the programs see it
    b.run(new Uint8Array(0));
    assert.equal(view.getBigUint64(0, true), 101n);
  }
});

Deno.test("map helpers follow update flags and delete from a hash map", () => {
  const vm = new BpfVm();
  const h = vm.createMap({ type: "hash", keySize: 4, valueSize: 8, maxEntries: 2 });
  // update(key=7, value=[r10-16], flags=r6) then lookup: returns the update's result.
  const src = (flags: number) => `
stw [%r10-4], 7
stdw [%r10-16], 42
lddw %r1, 0 ; map
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, ${flags}
call 2
exit`;
  const any = vm.load(withMaps(src(0)));
  const noexist = vm.load(withMaps(src(1)));
  const exist = vm.load(withMaps(src(2)));
  const mem = new Uint8Array(0);
  assert.equal(exist.run(mem), BigInt.asUintN(64, -2n)); // -ENOENT
  assert.equal(noexist.run(mem), 0n);
  assert.equal(noexist.run(mem), BigInt.asUintN(64, -17n)); // -EEXIST
  assert.equal(any.run(mem), 0n);
  assert.equal(
    new DataView(h.lookup(u32(7))!.buffer).getBigUint64(h.lookup(u32(7))!.byteOffset, true),
    42n,
  );
  const del = vm.load(withMaps(`
stw [%r10-4], 7
lddw %r1, 0 ; map
mov %r2, %r10
add %r2, -4
call 3
exit`));
  assert.equal(del.run(mem), 0n);
  assert.equal(h.lookup(u32(7)), null);
  assert.equal(del.run(mem), BigInt.asUintN(64, -2n));
});

Deno.test("a map shared between two VMs of different profiles", () => {
  const shared = createBpfMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 1 });
  const cloud = new BpfVm({ profile: "cloud" });
  const other = new BpfVm({ profile: "embedded" });
  cloud.addMap(shared);
  other.addMap(shared);
  cloud.load(withMaps(COUNTER)).run(new Uint8Array(0));
  other.load(withMaps(COUNTER)).run(new Uint8Array(0));
  assert.equal(shared.lookup(u32(0))![0], 2);
});

Deno.test("profiles differ: JIT, stack size, loops, maps and pool", () => {
  const cloud = new BpfVm({ profile: "cloud" });
  const embedded = new BpfVm({ profile: "embedded" });
  const loop = assemble(
    "mov %r0, 0\nmov %r1, 0\nl:\nadd %r0, %r1\nadd %r1, 1\njlt %r1, 10, l\nexit",
  );
  // JIT: allowed under cloud with the interpreter's result, refused under embedded.
  assert.equal(cloud.load(loop, { jit: true }).run(new Uint8Array(0)), 45n);
  assert.equal(cloud.load(loop).run(new Uint8Array(0)), 45n);
  assert.throws(
    () => embedded.load(assemble("mov %r0, 0\nexit"), { jit: true }),
    (e: unknown) => e instanceof BpfError && e.code === "profile",
  );
  // Loops: bounded loops verify under cloud only.
  assert.throws(() => embedded.load(loop), /back-edge/);
  // Stack: 16 KiB deep is fine under cloud, out of bounds under embedded.
  const deep = assemble("mov %r3, %r10\nadd %r3, -16384\nstdw [%r3], 5\nldxdw %r0, [%r3]\nexit");
  assert.equal(cloud.load(deep).run(new Uint8Array(0)), 5n);
  assert.throws(() => embedded.load(deep), /invalid write to stack R3 off=-16384 size=8/);
  // Maps: cloud maps resize; embedded maps come from the fixed pool and do not.
  const cm = cloud.createMap({ type: "hash", keySize: 4, valueSize: 4, maxEntries: 1 });
  cm.resize(2);
  assert.equal(cm.maxEntries, 2);
  const em = embedded.createMap({ type: "hash", keySize: 4, valueSize: 4, maxEntries: 1 });
  assert.throws(() => em.resize(2), /fixed pool/);
  assert.throws(
    () => embedded.createMap({ type: "array", keySize: 4, valueSize: 1024, maxEntries: 128 }),
    /Map pool exhausted/,
  );
  cloud.createMap({ type: "array", keySize: 4, valueSize: 1024, maxEntries: 128 });
  // Instruction limit: 5000 instructions load under cloud only.
  const long = assemble("mov %r0, 1\n".repeat(4999) + "exit");
  assert.equal(cloud.load(long).report.slots, 5000);
  assert.throws(() => embedded.load(long), /too large for the embedded profile/);
});

Deno.test("a loaded program checks the input size it was verified for", () => {
  const vm = new BpfVm();
  const p = vm.load(assemble("ldxw %r0, [%r1+4]\nexit"), { input: { kind: "ctx", size: 8 } });
  assert.equal(p.run(new Uint8Array([0, 0, 0, 0, 9, 0, 0, 0])), 9n);
  assert.throws(() => p.run(new Uint8Array(4)), /verified for a context of 8 bytes, got 4/);
  const q = vm.load(assemble("mov %r0, %r2\nexit"), { input: { kind: "packet", size: 16 } });
  assert.equal(q.run(new Uint8Array(3)), 3n);
  assert.throws(() => q.run(new Uint8Array(17)), /at most 16 bytes/);
});

Deno.test("the run budget stops runaway programs at run time", () => {
  const vm = new BpfVm({ profile: { ...new BpfVm().profile, runBudget: 50 } });
  const loop = assemble(
    "mov %r0, 0\nmov %r1, 0\nl:\nadd %r0, %r1\nadd %r1, 1\njlt %r1, 100, l\nexit",
  );
  assert.throws(
    () => vm.load(loop).run(new Uint8Array(0)),
    (e: unknown) => e instanceof BpfError && e.code === "budget",
  );
});
