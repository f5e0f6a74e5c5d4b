import assert from "node:assert/strict";
import { HELPER_ID, HelperRegistry } from "../../lib/bpf/helpers.ts";
import { bpfConformanceHelpers } from "../../lib/testing/bpf_conformance.ts";
import { BpfInterpreter } from "../../lib/bpf/interpreter.ts";
import { BpfJit } from "../../lib/bpf/jit.ts";
import { assemble } from "../../lib/bpf/assembler.ts";
import { decodeProgram } from "../../lib/bpf/instruction.ts";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import { registerMapHelpers } from "../../lib/bpf/_map_helpers.ts";

const run = (src: string, mem?: Uint8Array, jit = false) => {
  const p = decodeProgram(assemble(src));
  const helpers = bpfConformanceHelpers();
  return (jit ? new BpfJit(p, { helpers }) : new BpfInterpreter(p, { helpers })).run(mem);
};

Deno.test("conformanceHelpers() provides gather_bytes, memfrob, sqrti, strcmp_ext and unwind", () => {
  for (const jit of [false, true]) {
    assert.equal(
      run(
        "mov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nmov %r5, 5\ncall 0\nexit",
        undefined,
        jit,
      ),
      0x0102030405n,
    );
    const mem = new Uint8Array([1, 2, 3]);
    run("mov %r2, 3\ncall 1\nexit", mem, jit);
    assert.deepEqual([...mem], [1 ^ 42, 2 ^ 42, 3 ^ 42]);
    assert.equal(run("mov %r1, 1000001\ncall 3\nexit", undefined, jit), 1000n);
    assert.equal(
      run(
        "stw [%r10-8], 0x616263\nmov %r1, %r10\nadd %r1, -8\nmov %r2, %r1\ncall 4\nexit",
        undefined,
        jit,
      ),
      0n,
    );
    assert.equal(run("mov %r1, 0\ncall 5\nmov %r0, 7\nexit", undefined, jit), 0n);
    assert.equal(run("mov %r1, 3\ncall 5\nmov %r0, 7\nexit", undefined, jit), 7n);
  }
});

Deno.test("HelperRegistry wraps a helper's own exception as a helper error at the call", () => {
  const helpers = new HelperRegistry().register(9, "boom", () => {
    throw new Error("no");
  });
  const p = decodeProgram(assemble("mov %r0, 0\ncall 9\nexit"));
  for (const vm of [new BpfInterpreter(p, { helpers }), new BpfJit(p, { helpers })]) {
    assert.throws(
      () => vm.run(),
      (e) =>
        e instanceof BpfError && e.code === "helper" && e.pc === 1 &&
        /Helper 9 failed/.test(e.message),
    );
  }
});

Deno.test("HelperRegistry lists ids in order and rejects invalid ids", () => {
  const reg = new HelperRegistry().register(3, "c", () => 0n).register(1, "a", () => 0n);
  assert.deepEqual(reg.ids(), [1, 3]);
  assert.equal(reg.get(2), undefined);
  assert.throws(() => reg.register(-1, "x", () => 0n), RangeError);
  assert.deepEqual(HELPER_ID, { MAP_LOOKUP_ELEM: 1, MAP_UPDATE_ELEM: 2, MAP_DELETE_ELEM: 3 });
});

Deno.test("HelperRegistry.register() keeps a prototype per helper and refuses malformed ones", () => {
  const fn = () => 0n;
  const reg = new HelperRegistry()
    .register(1, "fill", fn, { args: [{ mem: "write" }, "size-or-zero"] })
    .register(2, "plain", fn);
  assert.deepEqual(reg.prototype(1), { args: [{ mem: "write" }, "size-or-zero"] });
  assert.equal(reg.prototype(2), undefined);
  // Registering again replaces the prototype, or drops it.
  reg.register(1, "fill", fn);
  assert.equal(reg.prototype(1), undefined);
  const bad: [unknown, RegExp][] = [
    [{ args: ["scalar", "scalar", "scalar", "scalar", "scalar", "scalar"] }, /6 arguments/],
    [{ args: [{ mem: "write" }] }, /R1: memory without a size must be followed by a "size"/],
    [{ args: ["scalar", "size"] }, /R2: "size" must follow a memory argument without a size/],
    [{ args: [{ mem: "read", size: 8 }, "size"] }, /R2: "size" must follow/],
    [{ args: ["map-key"] }, /R1: "map-key" needs a "map" argument before it/],
    [{ args: [{ mem: "peek", size: 1 }] }, /R1: unknown access "peek"/],
    [{ args: [{ mem: "read", size: -1 }] }, /R1: size -1 is not a byte count/],
    [{ args: ["pointer"] }, /R1: unknown argument type "pointer"/],
    [{ args: [], returns: "map-value-or-null" }, /needs a "map" argument/],
    [{ args: [], returns: "pointer" }, /unknown return type "pointer"/],
  ];
  for (const [proto, message] of bad) {
    assert.throws(
      () => reg.register(3, "bad", fn, proto as Parameters<HelperRegistry["register"]>[3]),
      (e: unknown) => e instanceof TypeError && message.test(e.message),
    );
  }
});

Deno.test("bpfConformanceHelpers() and the map helpers come with prototypes", () => {
  const conf = bpfConformanceHelpers();
  assert.deepEqual(conf.prototype(1), { args: [{ mem: "read-write" }, "size-or-zero"] });
  assert.deepEqual(conf.prototype(3), { args: ["anything"] });
  assert.deepEqual(conf.prototype(4), { args: ["string", "string"] });
  for (const id of conf.ids()) assert.ok(conf.prototype(id) !== undefined, `helper ${id}`);
  const maps = registerMapHelpers(new HelperRegistry(), []);
  assert.deepEqual(maps.prototype(HELPER_ID.MAP_LOOKUP_ELEM), {
    args: ["map", "map-key"],
    returns: "map-value-or-null",
  });
  assert.deepEqual(maps.prototype(HELPER_ID.MAP_UPDATE_ELEM), {
    args: ["map", "map-key", "map-value", "scalar"],
  });
  assert.deepEqual(maps.prototype(HELPER_ID.MAP_DELETE_ELEM), { args: ["map", "map-key"] });
});
