import assert from "node:assert/strict";
import { bpfKernel, KERNEL, type KernelErrorClass } from "../../lib/bpf/_kernel.ts";
import { aotStandalone } from "../../lib/bpf/_aot_js.ts";
import { EBPF } from "../../lib/bpf/opcodes.ts";
import { MEM_REGION, STACK_REGION } from "../../lib/bpf/memory.ts";
import { CALL_FRAME } from "../../lib/bpf/_machine.ts";

/** The `NAME = value` constants declared in a function's source. */
function constants(fn: { toString(): string }): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of fn.toString().matchAll(/\b([A-Z][A-Z0-9_]+) = (0x[0-9a-f]+|\d+)\b/g)) {
    out.set(m[1], Number(m[2]));
  }
  return out;
}

Deno.test("the kernel's and the standalone runtime's literal constants are the shared tables'", () => {
  const table: Record<string, number> = {
    ...EBPF,
    MEM_REGION,
    STACK_REGION,
    FRAME_WORDS: CALL_FRAME.FRAME_WORDS,
    MAP_BY_FD: EBPF.LDDW_SRC_MAP_BY_FD,
    MAP_BY_IDX: EBPF.LDDW_SRC_MAP_BY_IDX,
    MAP_HANDLE_HI: 0x7fff0000,
  };
  for (const fn of [bpfKernel, aotStandalone]) {
    const found = constants(fn);
    assert.ok(found.size >= 7, `${fn.name}: ${found.size} constants`);
    for (const [name, value] of found) {
      assert.ok(name in table, `${fn.name}: ${name} is not in the shared tables`);
      assert.equal(value, table[name], `${fn.name}: ${name}`);
    }
  }
});

Deno.test("bpfKernel's source text is self-contained: evaluated alone it computes the same", () => {
  class E extends Error {
    code: string;
    pc: number;
    constructor(code: string, message: string, options: { pc?: number } = {}) {
      super(message);
      this.code = code;
      this.pc = options.pc ?? -1;
    }
  }
  const alone = new Function(`return (${bpfKernel.toString()});`)() as typeof bpfKernel;
  const k = alone(E as unknown as KernelErrorClass);
  const cases: [number, number, number, number][] = [
    [-1, -1, 3, 0],
    [0x12345678, 0x7fffffff, -7, -1],
    [5, 0, 0, 0],
    [0, -0x80000000, -1, -1],
  ];
  for (const [a, b, c, d] of cases) {
    for (const op of ["mul64", "udiv64", "umod64", "sdiv64", "smod64"] as const) {
      assert.equal(k[op](a, b, c, d), KERNEL[op](a, b, c, d), op);
      assert.equal(k.HI[0], KERNEL.HI[0], `${op} high half`);
    }
    for (const op of ["lsh64", "rsh64", "arsh64"] as const) {
      assert.equal(k[op](a, b, c), KERNEL[op](a, b, c), op);
      assert.equal(k.HI[0], KERNEL.HI[0]);
    }
  }
  const e = k.memoryFault(3, "read", 4, 8, 2, -2);
  assert.ok(e instanceof E);
  assert.equal(e.message, "Out-of-bounds read of 4 bytes at 0x200000006");
  assert.equal(k.budgetFault(1, 10).message, "Instruction budget of 10 exhausted");
});
