import assert from "node:assert/strict";
import fc from "fast-check";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import { BpfInterpreter } from "../../lib/bpf/interpreter.ts";
import { BpfJit } from "../../lib/bpf/jit.ts";
import { BpfWasm } from "../../lib/bpf/wasm.ts";
import { assemble } from "../../lib/bpf/assembler.ts";
import { decodeProgram, programOf } from "../../lib/bpf/instruction.ts";
import { HelperRegistry } from "../../lib/bpf/helpers.ts";
import { BpfVm } from "../../lib/bpf/vm.ts";
import { readBpfArtifactMeta } from "../../lib/bpf/aot.ts";
import { parseBpfConformance, runBpfConformance } from "../../lib/testing/bpf_conformance.ts";
import { dataFiles, readData } from "./_bpf_fixtures.ts";
import { knownOpcodeProgramArb, outcome, programArb } from "./_random_programs.ts";
import {
  aotRunner,
  compileForTest,
  importCodeOf,
  importText,
  loadForTest,
} from "./_aot_fixtures.ts";

const suite = dataFiles("bpf/conformance/tests");
for (const target of ["js", "wasm"] as const) {
  Deno.test({
    name: `every bpf_conformance case passes compiled to a ${target} artifact, loaded and run`,
    ignore: suite === null,
    async fn() {
      const cases = suite!.names.map((name) =>
        parseBpfConformance(readData(suite!.dir, name), { name })
      );
      // Compile every case (the failures are BpfErrors, expected by some cases), then import the
      // JavaScript artifacts' code in one go.
      const compiled = cases.map((c) => {
        try {
          const bytes = c.raw ?? assemble(c.asm!, { file: c.name });
          return compileForTest(target, decodeProgram(bytes));
        } catch (e) {
          if (!(e instanceof BpfError)) throw e;
          return e;
        }
      });
      const ok = compiled.filter((x) => !(x instanceof BpfError)) as { code: Uint8Array }[];
      const modules = target === "js" ? await importCodeOf(ok.map((x) => x.code)) : [];
      let passed = 0, k = 0;
      for (let i = 0; i < cases.length; i++) {
        const c = cases[i], x = compiled[i];
        const source = x instanceof BpfError ? x : target === "js" ? modules[k++] : x.code;
        const interpreter = runBpfConformance(c);
        const r = runBpfConformance(c, {
          runner: (_p, o) => {
            if (source instanceof BpfError) throw source;
            return loadForTest(source, { ...o, ...(x as { run: object }).run });
          },
        });
        assert.ok(r.pass, `${c.name}: ${r.message}`);
        assert.equal(r.value, interpreter.value, c.name);
        passed++;
      }
      assert.equal(passed, suite!.names.length);
      if (target === "js") assert.ok(k > 290, `${k} JavaScript artifacts`);
    },
  });
}

Deno.test("interpreter, JIT, WebAssembly and both artifacts agree on random valid programs", async () => {
  await fc.assert(
    fc.asyncProperty(programArb, async (insns) => {
      const p = programOf(insns);
      const a = outcome(() => new BpfInterpreter(p));
      assert.equal(outcome(() => new BpfJit(p)), a);
      assert.equal(outcome(() => new BpfWasm(p)), a);
      const js = await aotRunner("js", p);
      assert.equal(outcome(() => js), a);
      const wasm = await aotRunner("wasm", p);
      assert.equal(outcome(() => wasm), a);
    }),
    { numRuns: 60 },
  );
});

Deno.test("both artifacts and the interpreter agree on random instructions with known opcodes", async () => {
  await fc.assert(
    fc.asyncProperty(knownOpcodeProgramArb, async (p) => {
      const a = outcome(() => new BpfInterpreter(p, { budget: 2000 }));
      for (const target of ["js", "wasm"] as const) {
        let b: string;
        try {
          const r = await aotRunner(target, p, { budget: 2000 });
          b = outcome(() => r);
        } catch (e) {
          if (!(e instanceof BpfError)) throw e;
          b = `error ${e.code}`;
        }
        if (a !== "error budget" && b !== "error budget") assert.equal(b, a, target);
      }
    }),
    { numRuns: 80 },
  );
});

const COUNTER = `
  lddw %r1, 0, map_fd
  stw [%r10-4], 1
  mov %r2, %r10
  add %r2, -4
  call 1
  jeq %r0, 0, +4
  ldxdw %r1, [%r0]
  add %r1, 5
  stxdw [%r0], %r1
  mov %r0, %r1
  exit`;

Deno.test("BpfVm.compileArtifact() records profile, checksums, maps and helpers; loadArtifact() runs it", async () => {
  for (const target of ["js", "wasm"] as const) {
    const vm = new BpfVm({ profile: "embedded" });
    vm.createMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 1, name: "unused" });
    vm.createMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 4, name: "hits" });
    const art = vm.compileArtifact(assemble(COUNTER.replace("0, map_fd", "1, map_fd")), {
      target,
      name: "counter",
      input: { kind: "packet", size: 64 },
    });
    assert.equal(art.meta.profile, "embedded");
    assert.equal(art.meta.target, target);
    assert.deepEqual(art.meta.maps.map((m) => m.name), ["hits"]); // renumbered: index 0
    assert.deepEqual(art.meta.helpers, [1]);
    assert.equal(art.meta.budget, 1_000_000);
    const source = target === "js" ? await importText(art.code) : art.code;
    const other = new BpfVm({ profile: "embedded" });
    const loaded = other.loadArtifact(source);
    assert.equal(loaded.engine, target === "js" ? "aot-js" : "aot-wasm");
    assert.equal(loaded.run(new Uint8Array(4)), 5n);
    assert.equal(loaded.run(new Uint8Array(4)), 10n);
    assert.equal(loaded.maps[0].lookup(new Uint8Array([1, 0, 0, 0]))![0], 10);
    assert.equal(other.fdOf(loaded.maps[0]), 0);
    // A map given by the host is used instead of a new one.
    const shared = other.createMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 4 });
    const again = other.loadArtifact(source, { maps: [shared] });
    again.run(new Uint8Array(4));
    assert.equal(shared.lookup(new Uint8Array([1, 0, 0, 0]))![0], 5);
    assert.throws(
      () =>
        other.loadArtifact(source, {
          maps: [other.createMap({ type: "hash", keySize: 4, valueSize: 8, maxEntries: 4 })],
        }),
      (e) => e instanceof BpfError && e.code === "artifact",
    );
    // Under another profile: refused.
    assert.throws(
      () => new BpfVm({ profile: "cloud" }).loadArtifact(source),
      (e) => e instanceof BpfError && e.code === "artifact" && /embedded profile/.test(e.message),
    );
  }
});

Deno.test("the embedded profile refuses the JIT and the WebAssembly JIT but runs artifacts", () => {
  const vm = new BpfVm({ profile: "embedded" });
  const prog = assemble("mov %r0, 4\nexit");
  for (const engine of ["jit", "wasm"] as const) {
    assert.throws(
      () => vm.load(prog, { engine }),
      (e) => e instanceof BpfError && e.code === "profile" && /ahead of time/.test(e.message),
    );
  }
  assert.equal(vm.loadArtifact(vm.compileArtifact(prog, { target: "wasm" }).code).run(), 4n);
  assert.equal(new BpfVm().load(prog, { engine: "wasm" }).run(), 4n);
});

Deno.test("loading checks the artifact's checksums and format", async () => {
  const vm = new BpfVm();
  const wasm = vm.compileArtifact(assemble("mov %r0, 4\nexit"), { target: "wasm" }).code;
  const damaged = wasm.slice();
  damaged[30] ^= 0x40;
  const codeOf = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (e instanceof BpfError) return `${e.code}: ${e.message}`;
      throw e;
    }
    return "loaded";
  };
  assert.match(codeOf(() => vm.loadArtifact(damaged)), /^artifact: .*checksum/);
  assert.match(codeOf(() => vm.loadArtifact(new Uint8Array([1, 2, 3]))), /^artifact: Not an mxy/);
  const js = await importText(
    vm.compileArtifact(assemble("mov %r0, 4\nexit"), { target: "js" }).code,
  );
  assert.equal(vm.loadArtifact(js).run(), 4n);
  // Another function in place of the code, or bytecode that does not match its checksum.
  assert.match(codeOf(() => vm.loadArtifact({ meta: js.meta, bind: () => () => {} })), /checksum/);
  const meta = { ...(js.meta as Record<string, unknown>), program: btoa("\x95\0\0\0\0\0\0\0") };
  assert.match(codeOf(() => vm.loadArtifact({ meta, bind: js.bind })), /bytecode does not match/);
  assert.match(
    codeOf(() => vm.loadArtifact({ meta: { ...meta, version: 9 }, bind: js.bind })),
    /version 9 is not supported/,
  );
  assert.equal(readBpfArtifactMeta(js).checksum.length, 64);
});

Deno.test("a standalone JavaScript artifact runs without the library's runtime", async () => {
  const vm = new BpfVm({ helpers: new HelperRegistry().register(7, "double", (a) => a * 2n) });
  const program = assemble("mov %r6, %r1\nldxb %r1, [%r6+1]\ncall 7\nstxb [%r6], %r0\nexit");
  const art = vm.compileArtifact(program, { target: "js", input: { kind: "packet", size: 16 } });
  const mod = await importText(art.code) as unknown as {
    run(mem?: Uint8Array, context?: unknown): bigint;
    createRunner(context?: unknown): { run(mem?: Uint8Array): bigint; executed: number };
    BpfError: new (code: string, message: string) => Error;
  };
  assert.match(art.declarations, /export declare function run\(/);
  const mem = new Uint8Array([0, 21]);
  assert.equal(mod.run(mem, { helpers: { 7: (a: bigint) => a * 2n } }), 42n);
  assert.equal(mem[0], 42);
  // The library's registry works as the helpers, and faults are the artifact's typed errors.
  const helpers = new HelperRegistry().register(7, "triple", (a) => a * 3n);
  const runner = mod.createRunner({ helpers });
  assert.equal(runner.run(new Uint8Array([0, 2])), 6n);
  assert.equal(runner.executed, 5);
  assert.throws(
    () => runner.run(new Uint8Array(1)),
    (e: Error & { code?: string; pc?: number }) =>
      e instanceof mod.BpfError && e.code === "memory" && e.pc === 1,
  );
  assert.throws(() => mod.run(mem), (e: Error & { code?: string }) => e.code === "helper");
});
