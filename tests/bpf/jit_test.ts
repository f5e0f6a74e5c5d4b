import assert from "node:assert/strict";
import fc from "fast-check";
import { BpfJit } from "../../lib/bpf/jit.ts";
import { BpfInterpreter } from "../../lib/bpf/interpreter.ts";
import { assemble } from "../../lib/bpf/assembler.ts";
import { decodeProgram, programOf } from "../../lib/bpf/instruction.ts";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import { HelperRegistry } from "../../lib/bpf/helpers.ts";
import { parseBpfConformance, runBpfConformance } from "../../lib/testing/bpf_conformance.ts";
import { dataFiles, readData } from "./_bpf_fixtures.ts";
import {
  knownOpcodeProgramArb,
  loopProgramArb,
  outcome,
  programArb,
  walkLoopProgramArb,
} from "./_random_programs.ts";

const suite = dataFiles("bpf/conformance/tests");
Deno.test({
  name: "JIT passes every bpf_conformance case",
  ignore: suite === null,
  async fn(t) {
    for (const name of suite!.names) {
      await t.step(name, () => {
        const c = parseBpfConformance(readData(suite!.dir, name), { name });
        const r = runBpfConformance(c, { runner: (p, o) => new BpfJit(p, o) });
        assert.ok(r.pass, `${name}: ${r.message}`);
        const small = runBpfConformance(c, {
          runner: (p, o) => new BpfJit(p, { ...o, chunkChars: 200 }),
        });
        assert.ok(small.pass, `${name} (small chunks): ${small.message}`);
      });
    }
  },
});

function jit(src: string, options = {}): BpfJit {
  return new BpfJit(decodeProgram(assemble(src)), options);
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof BpfError) return e.code;
    throw e;
  }
  return "none";
}

Deno.test("JIT reports the interpreter's run-time errors", () => {
  assert.equal(code(() => jit("ldxw %r0, [%r1+6]\nexit").run(new Uint8Array(8))), "memory");
  assert.equal(code(() => jit("L: ja L\nexit", { budget: 100 }).run()), "budget");
  assert.equal(code(() => jit("f: call local f\nexit", { maxCallDepth: 3 }).run()), "call-depth");
  assert.equal(code(() => jit("call 99\nexit").run()), "helper");
  assert.equal(code(() => jit("mov %r0, 1").run()), "jump");
});

Deno.test("JIT calls helpers, including pointers into host memory", () => {
  const value = new Uint8Array(8);
  const helpers = new HelperRegistry()
    .register(1, "lookup", (_a, _b, _c, _d, _e, ctx) => ctx.memory.addressOf(value))
    .register(2, "twice", (a) => a * 2n);
  const j = jit("mov %r1, 21\ncall 2\nmov %r6, %r0\ncall 1\nstxdw [%r0], %r6\nmov %r0, %r6\nexit", {
    helpers,
  });
  assert.equal(j.run(), 42n);
  assert.equal(value[0], 42);
});

Deno.test("JIT runs repeatedly on the same memory without changing results", () => {
  const j = jit("ldxdw %r0, [%r1]\nadd %r0, 1\nstxdw [%r1], %r0\nexit");
  const mem = new Uint8Array(8);
  for (let i = 1n; i <= 5n; i++) assert.equal(j.run(mem), i);
  j.exec(mem);
  assert.equal(j.resultLow, 6);
  assert.equal(j.resultHigh, 0);
});

Deno.test("JIT and interpreter agree on random valid programs", () => {
  fc.assert(
    fc.property(programArb, (insns) => {
      const p = programOf(insns);
      const a = outcome(() => new BpfInterpreter(p));
      const b = outcome(() => new BpfJit(p));
      assert.equal(b, a);
      // The same program split into many small functions (chunk transitions everywhere).
      assert.equal(outcome(() => new BpfJit(p, { chunkChars: 120 })), a);
    }),
    { numRuns: 400 },
  );
});

Deno.test("JIT and interpreter agree on random byte strings (typed errors only)", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 160 }), (bytes) => {
      const run = (jitted: boolean) =>
        outcome(() => {
          const p = decodeProgram(bytes, { strict: false });
          return jitted ? new BpfJit(p, { budget: 5000 }) : new BpfInterpreter(p, { budget: 5000 });
        });
      const a = run(false);
      const b = run(true);
      // Budget errors may be reported at a different point; everything else must agree.
      if (a !== "error budget" && b !== "error budget") assert.equal(b, a);
    }),
    { numRuns: 1000 },
  );
});

Deno.test("JIT and interpreter agree on random instructions with known opcodes", () => {
  fc.assert(
    fc.property(knownOpcodeProgramArb, (p) => {
      const a = outcome(() => new BpfInterpreter(p, { budget: 2000 }));
      const b = outcome(() => new BpfJit(p, { budget: 2000 }));
      const c = outcome(() => new BpfJit(p, { budget: 2000, chunkChars: 120 }));
      if (a !== "error budget" && b !== "error budget") assert.equal(b, a);
      if (a !== "error budget" && c !== "error budget") assert.equal(c, a);
    }),
    { numRuns: 1500 },
  );
});

Deno.test("JIT and interpreter agree on where the budget runs out, inside and outside loops", () => {
  const src = "mov %r0, 0\nmov %r1, 7\nL: add %r0, %r1\njeq %r0, 1000, out\nsub %r1, 1\n" +
    "jne %r1, 0, L\nout: mov %r2, 1\nexit";
  const p = decodeProgram(assemble(src));
  for (let budget = 1; budget <= 40; budget++) {
    const a = outcome(() => new BpfInterpreter(p, { budget }));
    const b = outcome(() => new BpfJit(p, { budget }));
    assert.equal(b, a, `budget ${budget}`);
    const c = outcome(() => new BpfJit(p, { budget, chunkChars: 100 }));
    assert.equal(c, a, `budget ${budget}, small chunks`);
  }
});

Deno.test("JIT runs with budgets beyond 2^31 and with code split into many functions", () => {
  const src = "mov %r0, 0\nmov %r1, 1000\nL: add %r0, %r1\nsub %r1, 1\njne %r1, 0, L\nexit";
  const p = decodeProgram(assemble(src));
  const interp = new BpfInterpreter(p);
  const want = interp.run();
  assert.equal(want, 500500n);
  assert.equal(interp.executed, 3003);
  assert.equal(new BpfJit(p, { budget: 2 ** 33 }).run(), want);
  assert.equal(new BpfJit(p, { budget: 2 ** 33, chunkChars: 50 }).run(), want);
  const j = new BpfJit(p, { chunkChars: 50 });
  assert.equal(j.run(), want);
  assert.equal(j.executed, 3003);
  assert.throws(() => new BpfJit(p, { chunkChars: 0 }), RangeError);
});

Deno.test("JIT inlines array map lookups with exactly the helper's results, pointers included", async () => {
  const { BpfVm } = await import("../../lib/bpf/vm.ts");
  // Looks up key r2's byte 0 (set from mem[0]), adds 7 to the value and returns the pointer
  // (so that the region numbers of the results are compared), or 1 when there is no element.
  const src = `
    ldxb %r6, [%r1]
    stxw [%r10-4], %r6
    lddw %r1, 0, map_fd
    mov %r2, %r10
    add %r2, -4
    call 1
    jeq %r0, 0, none
    ldxdw %r1, [%r0]
    add %r1, 7
    stxdw [%r0], %r1
    exit
  none:
    mov %r0, 1
    exit`;
  const results: Record<string, bigint[]> = {};
  for (const engine of ["interpreter", "jit", "wasm"] as const) {
    const vm = new BpfVm();
    const map = vm.createMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 4 });
    const prog = vm.load(assemble(src), { engine, input: { kind: "packet", size: 4 } });
    if (engine === "jit") assert.match((prog.runner as BpfJit).source, /if\(l1===I\d+F/);
    const out: bigint[] = [];
    for (const key of [2, 0, 3, 4, 9, 2]) out.push(prog.run(new Uint8Array([key])));
    map.resize(10); // new elements: the engines fall back to the helper
    for (const key of [9, 4, 2]) out.push(prog.run(new Uint8Array([key])));
    out.push(map.lookup(new Uint8Array([2, 0, 0, 0]))![0] === 21 ? 1n : 0n);
    results[engine] = out;
  }
  assert.deepEqual(results.jit, results.interpreter);
  assert.deepEqual(results.wasm, results.interpreter);
  assert.equal(results.interpreter[4], 1n); // key 9 before the resize: no element
  assert.notEqual(results.interpreter[6], 1n); // key 9 after it
  assert.equal(results.interpreter.at(-1), 1n);
  // With another helper 1 (memfrob in the conformance suite), nothing is inlined.
  const jit = new BpfJit(decodeProgram(assemble(src)), {
    helpers: new HelperRegistry().register(1, "h", () => 0n),
    lddw: () => 0x7fff000000000000n,
  });
  assert.equal(jit.run(new Uint8Array([1])), 1n);
});

Deno.test("JIT and interpreter agree on array map lookups in loops, found or not", async () => {
  const { BpfVm } = await import("../../lib/bpf/vm.ts");
  const WORDS = [0n, 5n, 0x7ffffff0n, 0xfffffff0n, 2n ** 53n - 4n, 2n ** 64n - 3n, 2n ** 63n];
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 40 }),
      fc.constantFrom(3, 15, 31),
      fc.constantFrom("add", "sub", "xor"),
      fc.array(fc.constantFrom(...WORDS), { minLength: 16, maxLength: 16 }),
      fc.constantFrom(400, 100_000),
      (n, mask, op, words, budget) => {
        // Adds i to element i & mask of a 16-element map (keys 16..31 have none) and sums i.
        const src = `mov %r6, 0\nmov %r7, 0\nloop:\nmov %r1, %r6\nand %r1, ${mask}\n` +
          `stxw [%r10-4], %r1\nlddw %r1, 0, map_fd\nmov %r2, %r10\nadd %r2, -4\ncall 1\n` +
          `jeq %r0, 0, skip\nldxdw %r1, [%r0]\n${op} %r1, %r6\nstxdw [%r0], %r1\nadd %r7, %r1\n` +
          `skip:\nadd %r7, %r6\nadd %r6, 1\njlt %r6, ${n}, loop\nmov %r0, %r7\nexit`;
        const outcomes = ["interpreter", "jit"].map((engine) => {
          const vm = new BpfVm();
          const map = vm.createMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 16 });
          words.forEach((w, i) => {
            const v = new Uint8Array(8);
            new DataView(v.buffer).setBigUint64(0, w, true);
            map.update(new Uint8Array([i, 0, 0, 0]), v);
          });
          const p = decodeProgram(assemble(src));
          const options = { ...vm.runOptions(), budget };
          const r = engine === "jit" ? new BpfJit(p, options) : new BpfInterpreter(p, options);
          if (engine === "jit") assert.match((r as BpfJit).source, /F\d+:for\(;;\)\{if\(/);
          let out: string;
          try {
            out = `${r.run()} after ${r.executed}`;
          } catch (e) {
            if (!(e instanceof BpfError)) throw e;
            out = e.code;
          }
          const values = words.map((_, i) => map.lookup(new Uint8Array([i, 0, 0, 0]))!.join());
          return `${out} ${values.join(";")}`;
        });
        assert.equal(outcomes[1], outcomes[0], src);
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("JIT loops through inlined array-map elements agree with the interpreter", async () => {
  const { BpfVm } = await import("../../lib/bpf/vm.ts");
  const WORDS = [0n, 5n, 0x7ffffff0n, 0xfffffff0n, 2n ** 53n - 4n, 2n ** 64n - 3n, 2n ** 63n];
  // Element accesses at offsets around the value's end (a fault where it does not fit).
  const ACCESS = [
    "ldxdw %r1, [%r0]\nOP %r1, %r6\nstxdw [%r0], %r1",
    "ldxw %r1, [%r0+4]\nOP %r1, %r6\nstxw [%r0+4], %r1",
    "ldxb %r3, [%r0+7]\nadd %r7, %r3\nstb [%r0+1], 9",
    "ldxdw %r1, [%r0+8]\nOP %r1, %r6\nstxdw [%r0+8], %r1",
    "ldxh %r3, [%r0+14]\nadd %r7, %r3\nsth [%r0+6], -2",
    "stdw [%r0], -1",
    "mov %r3, %r0\nldxdw %r1, [%r3]\nOP %r1, %r7\nstxdw [%r3], %r1",
  ];
  fc.assert(
    fc.property(
      fc.record({
        n: fc.integer({ min: 0, max: 40 }),
        mask: fc.constantFrom(3, 15, 31),
        op: fc.constantFrom("add", "sub", "xor", "mul"),
        words: fc.array(fc.constantFrom(...WORDS), { minLength: 16, maxLength: 16 }),
        budget: fc.constantFrom(60, 400, 100_000),
        valueSize: fc.constantFrom(8, 16),
        entries: fc.constantFrom(4, 16),
        access: fc.array(fc.constantFrom(...ACCESS), { minLength: 1, maxLength: 3 }),
        test: fc.constantFrom("jeq %r0, 0, skip", "jne %r0, 0, found\nja skip\nfound:", ""),
        down: fc.boolean(),
        r7: fc.constantFrom(0, 0x7ffffff0),
      }),
      ({ n, mask, op, words, budget, valueSize, entries, access, test, down, r7 }) => {
        const src = `mov %r6, ${down ? Math.max(n, 1) : 0}\nlddw %r7, ${r7}\nloop:\n` +
          `mov %r1, %r6\nand %r1, ${mask}\nstxw [%r10-4], %r1\nlddw %r1, 0, map_fd\n` +
          `mov %r2, %r10\nadd %r2, -4\ncall 1\n${test}\n` +
          `${access.join("\n").replaceAll("OP", op)}\nskip:\nadd %r7, %r6\n` +
          (down ? "sub %r6, 1\njne %r6, 0, loop\n" : `add %r6, 1\njlt %r6, ${n}, loop\n`) +
          "mov %r0, %r7\nexit";
        const outcomes = ["interpreter", "jit"].map((engine) => {
          const vm = new BpfVm();
          const map = vm.createMap({ type: "array", keySize: 4, valueSize, maxEntries: entries });
          for (let i = 0; i < entries; i++) {
            const v = new Uint8Array(valueSize);
            new DataView(v.buffer).setBigUint64(0, words[i], true);
            map.update(new Uint8Array([i, 0, 0, 0]), v);
          }
          const p = decodeProgram(assemble(src));
          const options = { ...vm.runOptions(), budget };
          const r = engine === "jit" ? new BpfJit(p, options) : new BpfInterpreter(p, options);
          let out: string;
          try {
            out = `${r.run()} after ${r.executed}`;
          } catch (e) {
            if (!(e instanceof BpfError)) throw e;
            // The JIT counts a block or a fast loop's pass before running it: with the budget
            // ending inside one, it stops before the writes the interpreter makes there.
            if (e.code === "budget") return "budget";
            out = `${e.code} ${e.message}`;
          }
          const values = [];
          for (let i = 0; i < entries; i++) {
            values.push(map.lookup(new Uint8Array([i, 0, 0, 0]))!.join());
          }
          return `${out} ${values.join(";")}`;
        });
        // The budget ending inside a pass whose later instruction faults: the JIT reports the
        // budget (at the pass's start, less than a pass before it) where the interpreter faults.
        if (outcomes[1] === "budget" && outcomes[0].startsWith("memory")) {
          const p = decodeProgram(assemble(src));
          const vm = new BpfVm();
          vm.createMap({ type: "array", keySize: 4, valueSize, maxEntries: entries });
          const j = new BpfJit(p, { ...vm.runOptions(), budget });
          assert.throws(() => j.run());
          assert.ok(j.executed > budget - 30, src);
          return;
        }
        assert.equal(outcomes[1], outcomes[0], src);
      },
    ),
    { numRuns: Number(Deno.env.get("MXY_JIT_LOOP_RUNS") ?? 200) },
  );
  // The shape of the benchmark: element accesses without checks in the fast version.
  const vm = new BpfVm();
  vm.createMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 16 });
  const j = new BpfJit(
    decodeProgram(assemble(
      "mov %r6, 0\nloop:\nstxw [%r10-4], %r6\nlddw %r1, 0, map_fd\nmov %r2, %r10\n" +
        "add %r2, -4\ncall 1\njeq %r0, 0, skip\nstxdw [%r0], %r6\nskip:\nadd %r6, 1\n" +
        "jlt %r6, 16, loop\nmov %r0, %r6\nexit",
    )),
    vm.runOptions(),
  );
  assert.match(j.source, /h0=I\d+B\+t;o=\(h0-I\d+B\)\*I\d+S\+0;I\d+V\.setInt32/);
  assert.equal(j.run(), 16n);
});

Deno.test("JIT and interpreter agree on random loops around the limits of its fast loops", () => {
  const run = (r: { run(m?: Uint8Array): bigint; executed: number }, mem: Uint8Array) => {
    const m = mem.slice();
    try {
      return `value ${r.run(m)} after ${r.executed}, memory ${m.join(",")}`;
    } catch (e) {
      // Where the budget runs out may differ (the JIT counts per block); anything else must not.
      if (e instanceof BpfError) return e.code === "budget" ? "budget" : `${e.code} ${e.message}`;
      throw e;
    }
  };
  // The JIT counts a block before running it: with the budget ending inside a block whose
  // later instruction faults, it reports the budget where the interpreter reports the fault.
  const same = (jit: BpfJit, mem: Uint8Array, a: string, budget: number, source: string) => {
    const j = run(jit, mem);
    if (j === "budget" && a.startsWith("memory") && jit.executed > budget - 24) return;
    assert.equal(j, a, source);
  };
  const runs = Number(Deno.env.get("MXY_JIT_LOOP_RUNS") ?? 600);
  fc.assert(
    fc.property(
      fc.oneof(loopProgramArb, walkLoopProgramArb),
      fc.constantFrom(400, 400, 57, 120, 1000),
      ({ source, mem }, budget) => {
        const p = decodeProgram(assemble(source));
        const a = run(new BpfInterpreter(p, { budget }), mem);
        same(new BpfJit(p, { budget }), mem, a, budget, source);
        same(new BpfJit(p, { budget, chunkChars: 150 }), mem, a, budget, source);
      },
    ),
    { numRuns: runs },
  );
});

/** Values around the limits of the fast loops: 2^31, 2^32, 2^53, negative. */
const EDGE = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.constantFrom(
    0x7fffffff,
    0x7ffffff0,
    0x80000000,
    0xfffffff0,
    0xffffffff,
    2 ** 53 - 3,
    2 ** 53,
    -1,
    -5,
    -0x80000000,
  ),
);

/**
 * A counted loop (up or down) that keeps values in 4- and 8-byte stack slots — the slots the
 * JIT keeps in locals — with arithmetic around 2^31, 2^32 and 2^53 that leaves the fast
 * version in mid-pass, reads from a memory that may be too short (faults), early exits, and
 * the slots read back after the loop.
 */
const stackLoopArb = fc.record({
  init: fc.array(EDGE, { minLength: 3, maxLength: 3 }),
  body: fc.array(
    fc.oneof(
      fc.tuple(fc.constantFrom(2, 3, 4), fc.constantFrom("w [%r10-4]", "dw [%r10-16]"))
        .map(([r, at]) => `stx${at.split(" ")[0]} ${at.split(" ")[1]}, %r${r}`),
      fc.tuple(fc.constantFrom("w [%r10-4]", "dw [%r10-16]"), EDGE)
        .map(([at, v]) => `st${at.split(" ")[0]} ${at.split(" ")[1]}, ${v | 0}`),
      fc.tuple(fc.constantFrom(2, 3, 4), fc.constantFrom("w [%r10-4]", "dw [%r10-16]"))
        .map(([r, at]) => `ldx${at.split(" ")[0]} %r${r}, ${at.split(" ")[1]}`),
      fc.tuple(fc.constantFrom(2, 3, 4), fc.constantFrom(2, 3, 4, 6))
        .map(([d, r]) => `add %r${d}, %r${r}`),
      fc.tuple(fc.constantFrom(2, 3, 4), EDGE, fc.constantFrom("add", "sub", "mul", "lsh"))
        .map(([d, v, op]) => `${op} %r${d}, ${op === "lsh" ? (v & 3) : v | 0}`),
      fc.tuple(fc.constantFrom(2, 3, 4), fc.integer({ min: 0, max: 12 }))
        .map(([d, o]) => `ldxb %r${d}, [%r1+${o}]\nadd %r1, 1`),
      fc.tuple(fc.constantFrom(2, 3, 4), EDGE).map(([d, v]) => `jgt %r${d}, ${v | 0}, out`),
    ),
    { minLength: 1, maxLength: 7 },
  ),
  n: fc.integer({ min: 0, max: 40 }),
  down: fc.boolean(),
  memLength: fc.integer({ min: 0, max: 64 }),
}).map(({ init, body, n, down, memLength }) => ({
  source: [
    "stdw [%r10-16], 7",
    "stw [%r10-4], 9",
    ...init.map((v, i) => `lddw %r${i + 2}, ${BigInt.asUintN(64, BigInt(v))}`),
    down ? `mov %r6, ${Math.max(n, 1)}` : "mov %r6, 0",
    "loop:",
    ...body,
    down ? "sub %r6, 1\njne %r6, 0, loop" : `add %r6, 1\njlt %r6, ${Math.max(n, 1)}, loop`,
    "out:",
    "ldxw %r0, [%r10-4]\nldxdw %r5, [%r10-16]\nadd %r0, %r5\nxor %r0, %r2\nadd %r0, %r3",
    "xor %r0, %r4\nadd %r0, %r6\nexit",
  ].join("\n"),
  mem: new Uint8Array(memLength).map((_, i) => i * 37),
}));

Deno.test("JIT and interpreter agree on counted loops that keep stack slots in locals", () => {
  const run = (r: { run(m?: Uint8Array): bigint; executed: number }, mem: Uint8Array) => {
    try {
      return `value ${r.run(mem.slice())} after ${r.executed}`;
    } catch (e) {
      if (e instanceof BpfError) return e.code === "budget" ? "budget" : `${e.code} ${e.message}`;
      throw e;
    }
  };
  const runs = Number(Deno.env.get("MXY_JIT_LOOP_RUNS") ?? 300);
  let sunk = 0;
  fc.assert(
    fc.property(
      stackLoopArb,
      fc.constantFrom(100_000, 100_000, 60, 150),
      ({ source, mem }, budget) => {
        const p = decodeProgram(assemble(source));
        const a = run(new BpfInterpreter(p, { budget }), mem);
        const j = new BpfJit(p, { budget });
        if (j.source.includes("K0l=SV.getInt32")) sunk++;
        const b = run(j, mem);
        if (b === "budget" && a.startsWith("memory") && j.executed > budget - 24) return;
        assert.equal(b, a, source);
      },
    ),
    { numRuns: runs },
  );
  assert.ok(sunk >= runs / 4, `only ${sunk} of ${runs} loops keep stack slots in locals`);
});

/**
 * Nested loops: the inner one fast, its exits leading back to it through the outer loop's
 * blocks (which the JIT copies to re-enter the inner loop without its dispatcher), with values
 * around 2^31, exits to the end, stack and memory writes, and budgets that end anywhere.
 */
const nestedLoopArb = fc.record({
  init: fc.array(EDGE, { minLength: 3, maxLength: 3 }),
  outerPre: fc.array(
    fc.constantFrom(
      "add %r7, %r6",
      "jgt %r7, 0x7ffffff0, done",
      "mov %r2, 3",
      "stxw [%r10-8], %r6",
      "ldxw %r3, [%r10-8]",
      "stxb [%r1+1], %r7",
      "lsh %r3, 1",
      "jeq %r3, 7, done",
    ),
    { maxLength: 4 },
  ),
  inner: fc.array(
    fc.constantFrom(
      "add %r0, %r5",
      "add %r3, %r2",
      "mul %r2, %r2",
      "jgt %r0, 5000, brk",
      "jgt %r3, 0x7fffff00, brk",
      "mov %r4, %r0\nmod %r4, 7\njeq %r4, 0, nxt",
      "ldxb %r4, [%r1+2]\nadd %r0, %r4",
      "stxw [%r10-4], %r5",
    ),
    { minLength: 1, maxLength: 5 },
  ),
  tail: fc.array(fc.constantFrom("add %r7, 1", "add %r0, 1", "jgt %r0, 9000, done"), {
    maxLength: 2,
  }),
  n: fc.integer({ min: 1, max: 12 }),
  outer: fc.integer({ min: 1, max: 12 }),
  top: fc.boolean(),
}).map(({ init, outerPre, inner, tail, n, outer, top }) => ({
  source: [
    "mov %r0, 0\nmov %r6, 0\nmov %r7, 0\nstw [%r10-4], 0\nstw [%r10-8], 0",
    ...init.map((v, i) => `lddw %r${i + 2}, ${BigInt.asUintN(64, BigInt(v))}`),
    "outer:",
    top ? `jge %r6, ${outer}, done` : "",
    ...outerPre,
    "mov %r5, 0",
    "inner:",
    ...inner,
    `add %r5, 1\njlt %r5, ${n}, inner`,
    "brk:",
    "add %r0, 1",
    "nxt:",
    ...tail,
    "add %r6, 1",
    top ? "ja outer" : `jlt %r6, ${outer}, outer`,
    "done:",
    "ldxw %r4, [%r10-4]\nadd %r0, %r4\nadd %r0, %r7\nxor %r0, %r3\nexit",
  ].join("\n"),
}));

Deno.test("JIT and interpreter agree on nested loops re-entering a fast inner loop", () => {
  const run = (r: { run(m?: Uint8Array): bigint; executed: number }, mem: Uint8Array) => {
    try {
      return `value ${r.run(mem)} after ${r.executed}, memory ${mem.join(",")}`;
    } catch (e) {
      if (e instanceof BpfError) return e.code === "budget" ? "budget" : `${e.code} ${e.message}`;
      throw e;
    }
  };
  let copied = 0;
  const runs = Number(Deno.env.get("MXY_JIT_LOOP_RUNS") ?? 300);
  fc.assert(
    fc.property(
      nestedLoopArb,
      fc.constantFrom(100_000, 100_000, 50, 200, 700),
      fc.constantFrom(0, 2, 4),
      ({ source }, budget, memLength) => {
        const p = decodeProgram(assemble(source));
        const a = run(new BpfInterpreter(p, { budget }), new Uint8Array(memLength));
        const j = new BpfJit(p, { budget });
        if (/continue F\d+;/.test(j.source)) copied++;
        const b = run(j, new Uint8Array(memLength));
        if (b === "budget" && a.startsWith("memory") && j.executed > budget - 30) return;
        assert.equal(b, a, source);
        const small = new BpfJit(p, { budget, chunkChars: 150 });
        const c = run(small, new Uint8Array(memLength));
        if (c === "budget" && a.startsWith("memory") && small.executed > budget - 30) return;
        assert.equal(c, a, source);
      },
    ),
    { numRuns: runs },
  );
  assert.ok(copied >= runs / 4, `only ${copied} of ${runs} programs re-enter their inner loop`);
});

Deno.test("JIT loops leave their fast version exactly where values pass 2^31 or go below 0", () => {
  const programs = [
    // A counter that crosses 2^31 and 2^32 inside the loop.
    "lddw %r1, 0x7ffffffd\nmov %r5, 0\nL: add %r1, 1\nadd %r5, 1\njlt %r5, 8, L\nmov %r0, %r1\nexit",
    "lddw %r1, 0xfffffffd\nmov %r5, 0\nL: add %r1, 1\nadd %r5, 1\njlt %r5, 8, L\nmov %r0, %r1\nexit",
    // Below zero, a product past 2^31, a shift past 2^31.
    "mov %r1, 3\nmov %r5, 0\nL: sub %r1, 1\nadd %r5, 1\njlt %r5, 8, L\nmov %r0, %r1\nexit",
    "mov %r1, 7\nmov %r5, 0\nL: mul %r1, %r1\nadd %r5, 1\njlt %r5, 5, L\nmov %r0, %r1\nexit",
    "mov %r1, 1\nmov %r5, 0\nL: lsh %r1, 7\nadd %r5, 1\njlt %r5, 6, L\nmov %r0, %r1\nexit",
    // A square through a copy past 2^31 (the copy's bound comes from the square's guard).
    "mov %r2, 46337\nmov %r5, 0\nL: mov %r3, %r2\nmul %r3, %r2\nadd %r2, 1\nadd %r5, 1\n" +
    "jlt %r5, 8, L\nmov %r0, %r3\nexit",
    // A countdown whose head assumes it is at least 1, entered at 0.
    "mov %r5, 0\nmov %r0, 0\nL: add %r0, 1\nsub %r5, 1\njgt %r0, 3, out\njne %r5, 0, L\nout: exit",
    // A counter whose head assumes the bound of its back-edge, entered above it.
    "lddw %r1, 0x7fffffff\nmov %r5, 0\nL: add %r1, 1\nadd %r5, 1\njgt %r5, 3, out\n" +
    "jlt %r1, 0x7ffffffe, L\nout: mov %r0, %r1\nexit",
    // A stack slot stored and reloaded, a table slot addressed by a masked index.
    "mov %r8, %r1\nmov %r6, 0\nmov %r7, 0\nL: mov %r1, %r6\nand %r1, 3\nstxw [%r10-4], %r1\n" +
    "ldxw %r2, [%r10-4]\nlsh %r2, 3\nadd %r2, %r8\nldxdw %r1, [%r2]\nadd %r1, %r6\n" +
    "stxdw [%r2], %r1\nadd %r7, %r1\nadd %r6, 1\njlt %r6, 9, L\nmov %r0, %r7\nexit",
    // Stack slots kept in locals by a counted loop: written back where a sum passes 2^31 in
    // mid-pass (and read back by the generic code), at the loop's end, and before a fault.
    "mov %r6, 0\nlddw %r1, 0x7ffffff0\nL: stxdw [%r10-8], %r1\nadd %r1, 3\nldxdw %r2, [%r10-8]\n" +
    "stxw [%r10-16], %r6\nadd %r6, 1\njlt %r6, 10, L\nldxdw %r0, [%r10-8]\nldxw %r3, [%r10-16]\n" +
    "add %r0, %r3\nadd %r0, %r2\nexit",
    "mov %r6, 0\nmov %r7, 0\nL: stxw [%r10-4], %r6\nldxw %r2, [%r10-4]\nadd %r7, %r2\n" +
    "stdw [%r10-16], -1\nadd %r6, 1\njlt %r6, 3000, L\nldxdw %r0, [%r10-16]\nldxw %r3, [%r10-4]\n" +
    "add %r0, %r3\nadd %r0, %r7\nexit",
    "mov %r6, 0\nmov %r0, 0\nL: stxw [%r10-4], %r6\nldxb %r2, [%r1]\nadd %r0, %r2\nadd %r1, 1\n" +
    "add %r6, 1\njlt %r6, 40, L\nexit",
    // Forward jumps inside the body: the state after them joins both paths' ranges.
    "lddw %r1, 0x7ffffff0\nmov %r5, 0\nL: jgt %r1, 100, F\nmov %r2, 0\nF: add %r1, 1\n" +
    "add %r5, 1\njlt %r5, 20, L\nmov %r0, %r1\nexit",
    "lddw %r1, 0x7ffffff0\nmov %r5, 0\nL: jle %r1, 100, E\nmov %r3, %r1\nja F\nE: mov %r3, 7\n" +
    "F: add %r3, 9\nadd %r1, 1\nadd %r5, 1\njlt %r5, 20, L\nmov %r0, %r3\nexit",
    // A read below a pointer advanced past the end (the first access through it is checked).
    "mov %r0, 0\nmov %r5, 0\nL: add %r1, 40\nldxb %r2, [%r1-2]\nadd %r5, 1\njlt %r5, 3, L\nexit",
    // A pointer walking off the end of the memory: the same fault, at the same instruction.
    "mov %r0, 0\nmov %r5, 0\nL: ldxb %r2, [%r1]\nadd %r0, %r2\nadd %r1, 1\nadd %r5, 1\njlt %r5, 40, L\nexit",
  ];
  const show = (make: () => { run(m?: Uint8Array): bigint; executed: number }) => {
    try {
      const r = make();
      return `${r.run(new Uint8Array(32).fill(7))} after ${r.executed}`;
    } catch (e) {
      if (e instanceof BpfError) return `${e.code} ${e.message}`;
      throw e;
    }
  };
  for (const src of programs) {
    const p = decodeProgram(assemble(src));
    const j = new BpfJit(p);
    assert.match(j.source, /F\d+:for\(;;\)\{if\(/, "the loop has a fast version");
    assert.equal(show(() => new BpfJit(p)), show(() => new BpfInterpreter(p)), src);
  }
});
