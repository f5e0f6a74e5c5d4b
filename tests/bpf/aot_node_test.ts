/**
 * Ahead-of-time artifacts run where code generation from strings is forbidden: artifacts made
 * here are run by Node started with `--disallow-code-generation-from-strings` (V8's switch behind
 * a strict Content Security Policy) — standalone (the ES module's own `run`, the WebAssembly
 * module with a minimal import object) and through the library bundled with `deno bundle`.
 */
import assert from "node:assert/strict";
import { hasProgram } from "../_fixtures.ts";
import { assemble } from "../../lib/bpf/assembler.ts";
import { BpfVm } from "../../lib/bpf/vm.ts";

const ROOT = new URL("../../", import.meta.url);

// The sum of the squares below 100 (a loop, so the cloud profile).
const SQUARES = `
  mov %r0, 0
  mov %r1, 0
L:
  mov %r2, %r1
  mul %r2, %r2
  add %r0, %r2
  add %r1, 1
  jlt %r1, 100, L
  exit`;

const COUNTER = `
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

const DRIVER = `
import { readFileSync } from "node:fs";
const failures = [];
let checks = 0;
const check = (ok, what) => {
  checks++;
  if (!ok) failures.push(what);
};
const attempt = async (what, f) => {
  try {
    await f();
  } catch (e) {
    failures.push(what + ": " + (e && e.stack || e));
  }
};
await attempt("code generation is refused", () => {
  let refused = false;
  try {
    new Function("return 1");
  } catch {
    refused = true;
  }
  check(refused, "new Function() is refused");
});
await attempt("standalone ES modules", async () => {
  const squares = await import("./squares.js");
  check(squares.run() === 328350n, "squares.js run()");
  check(squares.meta.profile === "cloud", "squares.js meta");
  const counter = await import("./counter.js");
  const value = new Uint8Array(8);
  const helpers = { 1: (_m, _k, _a, _b, _c, ctx) => ctx.memory.addressOf(value) };
  const mem = new Uint8Array(12);
  mem[8] = 7;
  check(counter.run(mem, { helpers }) === 7n, "counter.js run()");
  check(counter.run(mem, { helpers }) === 7n && value[0] === 2, "counter.js map value");
  let code = "";
  try {
    counter.run(new Uint8Array(4), { helpers });
  } catch (e) {
    code = e.code;
  }
  check(code === "memory", "counter.js fault is a typed error: " + code);
});
await attempt("standalone WebAssembly", () => {
  const mod = new WebAssembly.Module(readFileSync("./squares.wasm"));
  const names = WebAssembly.Module.imports(mod).map((i) => i.name).join();
  check(names === "memory,fault", "squares.wasm imports " + names);
  const memory = new WebAssembly.Memory({ initial: 1 });
  const fault = (kind, pc) => {
    throw new Error("fault " + kind + " at " + pc);
  };
  const instance = new WebAssembly.Instance(mod, { bpf: { memory, fault } });
  instance.exports.run(0);
  check(new BigInt64Array(memory.buffer, 0, 1)[0] === 328350n, "squares.wasm r0");
  check(new Float64Array(memory.buffer, 24, 1)[0] === 503, "squares.wasm count");
});
await attempt("the library", async () => {
  const bpf = await import("./mxy_bpf.mjs");
  const cloud = new bpf.BpfVm();
  check(cloud.loadArtifact(readFileSync("./squares.wasm")).run() === 328350n, "library: squares.wasm");
  const pjs = cloud.loadArtifact(await import("./squares.js"));
  check(pjs.run() === 328350n && pjs.engine === "aot-js", "library: squares.js");
  const program = bpf.assemble("mov %r0, 6\\nmul %r0, 7\\nexit");
  let jit = "";
  try {
    cloud.load(program, { engine: "jit-js" });
  } catch (e) {
    jit = e.code;
  }
  check(jit === "jit", "the JavaScript JIT needs code generation: " + jit);
  const auto = cloud.load(program, { engine: "jit" });
  check(auto.run() === 42n && auto.engine === "wasm", "the JIT compiles to WebAssembly here");
  const embedded = new bpf.BpfVm({ profile: "embedded" });
  for (const source of [readFileSync("./counter.wasm"), await import("./counter.js")]) {
    const c = embedded.loadArtifact(source);
    const mem = new Uint8Array(12);
    mem[8] = 5;
    check(c.run(mem) === 5n, "library: counter " + c.engine);
    check(c.run(new Uint8Array(4)) === 0n, "library: recovered fault " + c.engine);
    const s = c.stats();
    check(s.faults === 1 && s.recovered === 1 && s.lastFault.code === "memory", "stats " + c.engine);
    check(c.maps[0].lookup(new Uint8Array(4))[0] === 2, "map state kept " + c.engine);
  }
  // Compiled here and imported from a data: URL, still without evaluating strings.
  const art = cloud.compileArtifact(program, { target: "js" });
  const url = "data:text/javascript;base64," + Buffer.from(art.code).toString("base64");
  check(cloud.loadArtifact(await import(url)).run() === 42n, "compiled under Node");
});
console.log(JSON.stringify({ checks, failures }));
`;

Deno.test({
  name: "artifacts run under Node with --disallow-code-generation-from-strings",
  ignore: !hasProgram("node"),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const built = await new Deno.Command(Deno.execPath(), {
        args: ["bundle", "--platform", "browser", "-o", `${dir}/mxy_bpf.mjs`, "lib/bpf/mod.ts"],
        cwd: ROOT.pathname,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(built.code, 0, new TextDecoder().decode(built.stderr));
      const squares = assemble(SQUARES);
      const cloud = new BpfVm();
      const embedded = new BpfVm({ profile: "embedded" });
      embedded.createMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 1, name: "n" });
      const input = { kind: "packet" as const, size: 64 };
      for (const target of ["js", "wasm"] as const) {
        const ext = target === "js" ? "js" : "wasm";
        const p = cloud.compileArtifact(squares, { target, name: "squares" });
        await Deno.writeFile(`${dir}/squares.${ext}`, p.code);
        const c = embedded.compileArtifact(assemble(COUNTER), { target, name: "counter", input });
        await Deno.writeFile(`${dir}/counter.${ext}`, c.code);
        if (target === "js") await Deno.writeTextFile(`${dir}/counter.d.ts`, c.declarations);
      }
      await Deno.writeTextFile(`${dir}/package.json`, '{ "type": "module" }\n');
      await Deno.writeTextFile(`${dir}/driver.js`, DRIVER);
      const run = await new Deno.Command("node", {
        args: ["--disallow-code-generation-from-strings", "driver.js"],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = new TextDecoder().decode(run.stdout);
      assert.equal(run.code, 0, out + new TextDecoder().decode(run.stderr));
      const report = JSON.parse(out.trim().split("\n").at(-1)!);
      assert.deepEqual(report.failures, []);
      assert.equal(report.checks, 22);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
