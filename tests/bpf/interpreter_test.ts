import assert from "node:assert/strict";
import { BpfInterpreter } from "../../lib/bpf/interpreter.ts";
import { EBPF } from "../../lib/bpf/opcodes.ts";
import { assemble } from "../../lib/bpf/assembler.ts";
import { decodeProgram } from "../../lib/bpf/instruction.ts";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import { HelperRegistry } from "../../lib/bpf/helpers.ts";
import { parseBpfConformance, runBpfConformance } from "../../lib/testing/bpf_conformance.ts";
import { dataFiles, readData } from "./_bpf_fixtures.ts";

function vm(src: string, options = {}): BpfInterpreter {
  return new BpfInterpreter(decodeProgram(assemble(src)), options);
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

const suite = dataFiles("bpf/conformance/tests");
Deno.test({
  name: "Interpreter passes every bpf_conformance case",
  ignore: suite === null,
  async fn(t) {
    for (const name of suite!.names) {
      await t.step(name, () => {
        const c = parseBpfConformance(readData(suite!.dir, name), { name });
        const r = runBpfConformance(c);
        assert.ok(r.pass, `${name}: ${r.message}`);
      });
    }
  },
});

Deno.test("Interpreter computes 64-bit division edge cases per RFC 9669", () => {
  assert.equal(vm("lddw %r0, 0x8000000000000000\nsdiv %r0, -1\nexit").run(), 0x8000000000000000n);
  assert.equal(vm("lddw %r0, 0x8000000000000000\nsmod %r0, -1\nexit").run(), 0n);
  assert.equal(vm("mov %r0, 5\nmov %r1, 0\ndiv %r0, %r1\nexit").run(), 0n);
  assert.equal(vm("mov %r0, -5\nmov %r1, 0\nmod %r0, %r1\nexit").run(), 0xfffffffffffffffbn);
  assert.equal(vm("mov %r0, -5\nmov %r1, 0\nmod32 %r0, %r1\nexit").run(), 0xfffffffbn);
  assert.equal(
    vm("lddw %r0, 0xfedcba9876543210\nlddw %r1, 0x123456789\ndiv %r0, %r1\nexit").run(),
    0xfedcba9876543210n / 0x123456789n,
  );
  assert.equal(
    vm("lddw %r0, 0xfedcba9876543210\nlddw %r1, 0x123456789\nmul %r0, %r1\nexit").run(),
    BigInt.asUintN(64, 0xfedcba9876543210n * 0x123456789n),
  );
});

Deno.test("Interpreter rejects out-of-bounds memory accesses with the instruction index", () => {
  const err = (() => {
    try {
      vm("mov %r0, 0\nldxw %r0, [%r1+6]\nexit").run(new Uint8Array(8));
    } catch (e) {
      return e as BpfError;
    }
    return null;
  })();
  assert.ok(err instanceof BpfError);
  assert.equal(err!.code, "memory");
  assert.equal(err!.pc, 1);
  assert.equal(code(() => vm("stdw [%r10], 1\nexit").run()), "memory");
  assert.equal(code(() => vm("mov %r1, 0\nldxb %r0, [%r1]\nexit").run()), "memory");
  assert.equal(vm("stb [%r10-1], 9\nldxb %r0, [%r10-1]\nexit").run(), 9n);
});

Deno.test("Interpreter stops an endless loop at the instruction budget", () => {
  const v = vm("mov %r0, 0\nL: add %r0, 1\nja L\nexit", { budget: 1000 });
  assert.equal(code(() => v.run()), "budget");
  assert.equal(v.executed, 1000);
});

Deno.test("Interpreter limits local call depth", () => {
  const src = "f: call local f\nexit";
  assert.equal(code(() => vm(src, { maxCallDepth: 4 }).run()), "call-depth");
});

Deno.test("Interpreter calls user-registered helpers with r1-r5 and reads r0", () => {
  const helpers = new HelperRegistry().register(
    77,
    "sum",
    (a, b, c, d, e) => a + b + c + d + e,
  );
  const v = vm(
    "mov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nmov %r5, 5\ncall 77\nexit",
    { helpers },
  );
  assert.equal(v.run(), 15n);
  assert.equal(code(() => vm("call 78\nexit", { helpers }).run()), "helper");
});

Deno.test("Interpreter lets helpers hand out pointers into host memory", () => {
  const value = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const helpers = new HelperRegistry().register(
    1,
    "lookup",
    (_a, _b, _c, _d, _e, ctx) => ctx.memory.addressOf(value),
  );
  const v = vm("call 1\nldxw %r1, [%r0+4]\nstw [%r0], 0x11\nmov %r0, %r1\nexit", { helpers });
  assert.equal(v.run(), 0x08070605n);
  assert.equal(value[0], 0x11);
});

Deno.test("Interpreter runs legacy packet loads big-endian and ends with 0 when out of bounds", () => {
  const pkt = new Uint8Array([0x12, 0x34, 0x56, 0x78]);
  assert.equal(vm("ldabsh 1\nexit").run(pkt), 0x3456n);
  assert.equal(vm("mov %r2, 2\nldindb %r2, 1\nexit").run(pkt), 0x78n);
  assert.equal(vm("mov %r0, 5\nldabsw 2\nmov %r0, 9\nexit").run(pkt), 0n);
});

Deno.test("Interpreter resolves lddw map variants through the resolver once", () => {
  let calls = 0;
  const v = new BpfInterpreter(decodeProgram(assemble("lddw %r0, 7, map_fd\nexit")), {
    lddw: (src, imm) => {
      calls++;
      return BigInt(src * 1000 + imm);
    },
  });
  assert.equal(v.run(), 1007n);
  assert.equal(v.run(), 1007n);
  assert.equal(calls, 1);
  assert.equal(
    code(() => new BpfInterpreter(decodeProgram(assemble("lddw %r0, 7, map_fd\nexit")))),
    "lddw",
  );
});

Deno.test("Interpreter rejects jumps outside the program before running", () => {
  assert.equal(code(() => vm("ja +5\nexit")), "jump");
  assert.equal(code(() => vm("mov %r0, 1").run()), "jump");
});

Deno.test("the run loop's opcode names have the values of EBPF", () => {
  // The interpreter keeps a file-local `const enum` (compiled to literals); read it from source.
  const src = Deno.readTextFileSync(new URL("../../lib/bpf/interpreter.ts", import.meta.url));
  const body = /const enum Op \{([^}]*)\}/.exec(src)![1];
  const members = [...body.matchAll(/^\s*([A-Z0-9_]+) = (0x[0-9a-f]+),/gm)];
  assert.ok(members.length > 90);
  for (const [, name, value] of members) {
    assert.equal(Number(value), (EBPF as Record<string, number>)[name], name);
  }
});
