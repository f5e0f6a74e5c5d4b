import assert from "node:assert/strict";
import fc from "fast-check";
import { BpfWasm } from "../../lib/bpf/wasm.ts";
import { BpfInterpreter } from "../../lib/bpf/interpreter.ts";
import { BpfJit } from "../../lib/bpf/jit.ts";
import { assemble } from "../../lib/bpf/assembler.ts";
import { decodeProgram, programOf } from "../../lib/bpf/instruction.ts";
import { HelperRegistry } from "../../lib/bpf/helpers.ts";
import { parseBpfConformance, runBpfConformance } from "../../lib/testing/bpf_conformance.ts";
import { compileWasm } from "../../lib/bpf/_wasm_codegen.ts";
import { Machine } from "../../lib/bpf/_machine.ts";
import { dataFiles, readData } from "./_bpf_fixtures.ts";
import { knownOpcodeProgramArb, outcome, programArb } from "./_random_programs.ts";

const suite = dataFiles("bpf/conformance/tests");
Deno.test({
  name: "BpfWasm passes every bpf_conformance case",
  ignore: suite === null,
  fn() {
    for (const name of suite!.names) {
      const c = parseBpfConformance(readData(suite!.dir, name), { name });
      const r = runBpfConformance(c, { runner: (p, o) => new BpfWasm(p, o) });
      assert.ok(r.pass, `${name}: ${r.message}`);
    }
  },
});

function wasm(src: string, options = {}): BpfWasm {
  return new BpfWasm(decodeProgram(assemble(src)), options);
}

Deno.test("BpfWasm reports the interpreter's run-time errors", () => {
  const code = (f: () => unknown) => outcome(() => ({ run: () => f() as bigint }));
  assert.equal(code(() => wasm("ldxw %r0, [%r1+6]\nexit").run(new Uint8Array(8))), "error memory");
  assert.equal(code(() => wasm("L: ja L\nexit", { budget: 100 }).run()), "error budget");
  assert.equal(
    code(() => wasm("f: call local f\nexit", { maxCallDepth: 3 }).run()),
    "error call-depth",
  );
  assert.equal(code(() => wasm("call 99\nexit").run()), "error helper");
  assert.equal(code(() => wasm("mov %r0, 1").run()), "error jump");
  assert.equal(code(() => wasm("stb [%r10-600], 1\nexit").run()), "error memory");
});

Deno.test("BpfWasm calls helpers and reads and writes host memory through their pointers", () => {
  const value = new Uint8Array(8);
  const helpers = new HelperRegistry()
    .register(1, "lookup", (_a, _b, _c, _d, _e, ctx) => ctx.memory.addressOf(value))
    .register(2, "twice", (a) => a * 2n)
    .register(3, "stop", (a, _b, _c, _d, _e, ctx) => {
      ctx.stop();
      return a + 1n;
    });
  const w = wasm(
    "mov %r1, 21\ncall 2\nmov %r6, %r0\ncall 1\nstxdw [%r0], %r6\nldxb %r7, [%r0]\n" +
      "mov %r0, %r7\nexit",
    { helpers },
  );
  assert.equal(w.run(), 42n);
  assert.equal(value[0], 42);
  // A helper's stop() ends the program, also from inside a local call.
  const s = wasm("call local f\nmov %r0, 0\nexit\nf: mov %r1, 6\ncall 3\nmov %r0, 1\nexit", {
    helpers,
  });
  assert.equal(s.run(), 7n);
});

Deno.test("BpfWasm writes to the caller's memory and runs in place on memoryView()", () => {
  const w = wasm("ldxdw %r0, [%r1]\nadd %r0, 1\nstxdw [%r1], %r0\nexit");
  const mem = new Uint8Array(8);
  for (let i = 1n; i <= 3n; i++) assert.equal(w.run(mem), i);
  assert.equal(mem[0], 3);
  const view = w.memoryView(8);
  view[0] = 10;
  w.exec(view);
  assert.equal(w.resultLow, 11);
  assert.equal(view[0], 11);
  // A larger memory grows the linear memory.
  const big = new Uint8Array(200_000);
  big[0] = 99;
  assert.equal(w.run(big), 100n);
  assert.equal(big[0], 100);
});

Deno.test("BpfWasm.execInPlace runs on the first bytes of the linear memory, as exec does", () => {
  // r0 = sum of the bytes at [r1 + r3] for r3 = 0, 7, 14 … while below r2, then one read at
  // [r1 + r2 - 1] (the last byte), each through a pointer the verifier-free codegen checks
  const src = `
    mov %r0, 0
    mov %r3, 0
  L:
    jge %r3, %r2, D
    mov %r4, %r1
    add %r4, %r3
    ldxb %r5, [%r4]
    add %r0, %r5
    add %r3, 7
    ja L
  D:
    mov %r4, %r1
    add %r4, %r2
    ldxb %r5, [%r4-1]
    lsh %r5, 32
    add %r0, %r5
    exit`;
  const a = wasm(src), b = wasm(src);
  const view = a.memoryView(1514);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 1514 }), (bytes) => {
      view.set(bytes);
      a.execInPlace(bytes.length);
      b.exec(bytes);
      assert.deepEqual([a.resultLow, a.resultHigh], [b.resultLow, b.resultHigh]);
      assert.equal(a.executed, b.executed);
    }),
    { numRuns: 200 },
  );
  // Bytes past the length are in the linear memory but not the run's: reading them faults,
  // inline and through the host (a helper's slice), and the executed count is the fault's.
  view.fill(7);
  const past = wasm("ldxb %r0, [%r1+60]\nexit");
  past.memoryView(1514).fill(7);
  past.execInPlace(61);
  assert.equal(past.resultLow, 7);
  assert.equal(outcome(() => ({ run: () => (past.execInPlace(60), 0n) })), "error memory");
  const helpers = new HelperRegistry().register(1, "sum", (p, n, _c, _d, _e, ctx) => {
    return BigInt(ctx.memory.slice(p, Number(n)).reduce((x: number, y: number) => x + y, 0));
  });
  const h = wasm("add %r2, 1\ncall 1\nexit", { helpers });
  h.memoryView(100).fill(1);
  assert.equal(outcome(() => ({ run: () => (h.execInPlace(10), 0n) })), "error memory");
  const ok = wasm("call 1\nexit", { helpers });
  ok.memoryView(100).fill(1);
  ok.execInPlace(10);
  assert.equal(ok.resultLow, 10);
  // exec on another array after in-place runs sees that array's length again, and back
  ok.exec(new Uint8Array(30).fill(2));
  assert.equal(ok.resultLow, 60);
  ok.memoryView(100).fill(3, 0, 20); // (exec copied its array into the linear memory)
  ok.execInPlace(20);
  assert.equal(ok.resultLow, 60);
  assert.throws(() => ok.execInPlace(1 << 20), RangeError);
});

Deno.test("BpfWasm runs recursion through local calls and restores r6-r10", () => {
  const src = `
    mov %r1, 10
    mov %r6, 77
    call local fact
    add %r0, %r6
    exit
  fact:
    jgt %r1, 1, rec
    mov %r0, 1
    exit
  rec:
    mov %r6, %r1
    sub %r1, 1
    call local fact
    mul %r0, %r6
    exit`;
  const p = decodeProgram(assemble(src));
  const want = new BpfInterpreter(p, { maxCallDepth: 16, stackSize: 8192 }).run();
  assert.equal(want, 3628800n + 77n);
  assert.equal(new BpfWasm(p, { maxCallDepth: 16, stackSize: 8192 }).run(), want);
});

Deno.test("BpfWasm compiles irreducible control flow through a dispatch loop", () => {
  // Two blocks jumping into each other's middle: a loop with two entries.
  const src = `
    mov %r0, 0
    mov %r1, 5
    jeq %r2, 0, b
  a: add %r0, 1
  b: add %r0, 2
    sub %r1, 1
    jne %r1, 0, a
    exit`;
  const p = decodeProgram(assemble(src));
  assert.equal(compileWasm(new Machine(p)).structured, false);
  assert.equal(compileWasm(new Machine(decodeProgram(assemble("ja +0\nexit")))).structured, true);
  for (const len of [0, 3]) {
    const mem = new Uint8Array(len);
    assert.equal(new BpfWasm(p).run(mem), new BpfInterpreter(p).run(mem));
  }
});

Deno.test("BpfWasm takes a module compiled ahead of time", () => {
  const p = decodeProgram(assemble("mov %r0, %r2\nmul %r0, 3\nexit"));
  const first = new BpfWasm(p);
  const second = new BpfWasm(p, { module: first.bytes });
  assert.equal(second.run(new Uint8Array(5)), 15n);
  const third = new BpfWasm(p, { module: new WebAssembly.Module(first.bytes) });
  assert.equal(third.run(new Uint8Array(2)), 6n);
  assert.throws(() => new BpfWasm(p, { module: first.bytes, stackSize: 64 }), /stack/);
});

Deno.test("BpfWasm, JIT and interpreter agree on random valid programs", () => {
  fc.assert(
    fc.property(programArb, (insns) => {
      const p = programOf(insns);
      const a = outcome(() => new BpfInterpreter(p));
      assert.equal(outcome(() => new BpfWasm(p)), a);
      assert.equal(outcome(() => new BpfJit(p)), a);
    }),
    { numRuns: 300 },
  );
});

Deno.test("BpfWasm and the interpreter agree on random instructions with known opcodes", () => {
  fc.assert(
    fc.property(knownOpcodeProgramArb, (p) => {
      const a = outcome(() => new BpfInterpreter(p, { budget: 2000 }));
      const b = outcome(() => new BpfWasm(p, { budget: 2000 }));
      if (a !== "error budget" && b !== "error budget") assert.equal(b, a);
    }),
    { numRuns: 1000 },
  );
});

Deno.test("BpfWasm and the interpreter agree on random byte strings (typed errors only)", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 160 }), (bytes) => {
      const run = (w: boolean) =>
        outcome(() => {
          const p = decodeProgram(bytes, { strict: false });
          return w ? new BpfWasm(p, { budget: 5000 }) : new BpfInterpreter(p, { budget: 5000 });
        });
      const a = run(false), b = run(true);
      if (a !== "error budget" && b !== "error budget") assert.equal(b, a);
    }),
    { numRuns: 500 },
  );
});

Deno.test("BpfWasm counts instructions per block like the JIT and stops at the budget", () => {
  const src = "mov %r0, 0\nmov %r1, 1000\nL: add %r0, %r1\nsub %r1, 1\njne %r1, 0, L\nexit";
  const p = decodeProgram(assemble(src));
  const w = new BpfWasm(p);
  assert.equal(w.run(), 500500n);
  assert.equal(w.executed, new BpfJit(p).run() === 500500n ? 3003 : -1);
  for (let budget = 1; budget <= 20; budget++) {
    assert.equal(
      outcome(() => new BpfWasm(p, { budget })),
      outcome(() => new BpfJit(p, { budget })),
    );
  }
});
