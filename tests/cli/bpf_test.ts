import assert from "node:assert/strict";
import { dataFiles } from "../bpf/_bpf_fixtures.ts";

const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;

async function mxy(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout), err: d.decode(r.stderr) };
}

Deno.test("mxy bpf asm, disasm and run work together on a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/p.asm`,
      "mov %r0, %r2\nldxb %r1, [%r1+1]\nadd %r0, %r1\nexit\n",
    );
    const asm = await mxy("bpf", "asm", `${dir}/p.asm`, "-o", `${dir}/p.bin`);
    assert.equal(asm.code, 0, asm.err);
    assert.equal((await Deno.readFile(`${dir}/p.bin`)).length, 32);
    const dis = await mxy("bpf", "disasm", `${dir}/p.bin`);
    assert.equal(dis.out, "mov %r0, %r2\nldxb %r1, [%r1+1]\nadd %r0, %r1\nexit\n");
    const run = await mxy("bpf", "run", `${dir}/p.bin`, "--mem-hex", "01 02 03", "--jit");
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, "0x5 (5)\n");
    const bad = await mxy("bpf", "run", `${dir}/p.asm`, "--profile", "embedded", "--jit");
    assert.equal(bad.code, 1);
    assert.match(bad.err, /does not allow the JIT/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mxy bpf asm reports the failing line and exits 1; usage errors exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/bad.asm`, "mov %r0, 1\nfrob %r1\n");
    const r = await mxy("bpf", "asm", `${dir}/bad.asm`);
    assert.equal(r.code, 1);
    assert.match(r.err, /Invalid mnemonic: frob \(at .*bad\.asm, line 2\)/);
    assert.equal((await mxy("bpf", "run")).code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const suite = dataFiles("bpf/conformance/tests");
Deno.test({
  name: "mxy bpf conformance reports every case passing in both engines",
  ignore: suite === null,
  async fn() {
    const r = await mxy("bpf", "conformance", suite!.dir, "--quiet");
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`^${suite!.names.length} passed, 0 failed`, "m"));
    const v = await mxy("bpf", "conformance", suite!.dir, "--quiet", "--verify");
    assert.equal(v.code, 0, v.out);
  },
});
