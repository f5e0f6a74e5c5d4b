import assert from "node:assert/strict";
import { dataFiles } from "../bpf/_bpf_fixtures.ts";
import { hasProgram } from "../_fixtures.ts";
import { runMxy } from "../_mxy.ts";

async function mxy(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runMxy(args);
  return { code: r.code, out: r.stdout, err: r.stderr };
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

const C_PROGRAM =
  `typedef unsigned char u8; typedef unsigned int u32; typedef unsigned long long u64;
struct { int (*type)[2]; int (*max_entries)[1]; u32 *key; u64 *value; } counts
  __attribute__((section(".maps")));
static void *(*map_lookup)(void *map, const void *key) = (void *)1;
__attribute__((section("socket"), used)) u64 sum(u8 *p, u64 len) {
  u64 s = 0;
  for (int i = 0; i < 16; i++) { if (i < len) s += p[i]; }
  u32 k = 0;
  u64 *v = map_lookup(&counts, &k);
  if (v) { *v += 1; s += *v * 1000; }
  return s;
}
char _license[] __attribute__((section("license"), used)) = "GPL";
`;

Deno.test({
  name: "mxy bpf run loads a clang -target bpf object and runs it in the interpreter and the JIT",
  ignore: !hasProgram("clang"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/sum.c`, C_PROGRAM);
      const cc = await new Deno.Command("clang", {
        args: ["-g", "-O2", "-target", "bpf", "-c", `${dir}/sum.c`, "-o", `${dir}/sum.o`],
      }).output();
      assert.equal(cc.code, 0, new TextDecoder().decode(cc.stderr));
      for (const extra of [[], ["--jit"], ["--profile", "embedded"]]) {
        // --type unspec: r1 is the memory itself (the section says socket filter).
        const r = await mxy(
          "bpf",
          "run",
          `${dir}/sum.o`,
          "--mem-hex",
          "01 02 03 04",
          "--type",
          "unspec",
          ...extra,
        );
        assert.equal(r.code, 0, r.err);
        // 1 + 2 + 3 + 4, plus 1000 × the map counter (1 on a fresh VM)
        assert.equal(r.out, "0x3f2 (1010)\n");
      }
      const bad = await mxy("bpf", "run", `${dir}/sum.o`, "--program", "nope");
      assert.equal(bad.code, 2);
      assert.match(bad.err, /no program "nope"; programs: sum/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "mxy bpf run takes a conformance .data case with its memory",
  ignore: suite === null,
  async fn() {
    const r = await mxy("bpf", "run", `${suite!.dir}/subnet.data`);
    assert.equal(r.out, "0x1 (1)\n", r.err);
    const u = await mxy(
      "bpf",
      "run",
      `${suite!.dir}/call_unwind_fail.data`,
      "--no-verify",
      "--jit",
    );
    assert.equal(u.out, "0x2 (2)\n", u.err);
    // Through the verifier too: a .data case may call the suite's helpers (callx calls helper 5).
    const c = await mxy("bpf", "run", `${suite!.dir}/callx.data`);
    assert.equal(c.out, "0x2 (2)\n", c.err);
  },
});

Deno.test("mxy bpf aot compiles artifacts that mxy bpf run runs under their profile", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/p.asm`,
      "mov %r0, %r2\nldxb %r1, [%r1+1]\nadd %r0, %r1\nexit\n",
    );
    for (const target of ["js", "wasm"]) {
      const out = `${dir}/p.${target}`;
      const aot = await mxy(
        "bpf",
        "aot",
        `${dir}/p.asm`,
        "--target",
        target,
        "-o",
        out,
        "--profile",
        "embedded",
        "--ctx",
        "3",
      );
      assert.equal(aot.code, 0, aot.err);
      assert.match(aot.out, new RegExp(`${target} artifact of "p" \\(embedded profile, 4 slots`));
      if (target === "js") {
        assert.match(await Deno.readTextFile(`${dir}/p.d.ts`), /export declare function run/);
      }
      const run = await mxy("bpf", "run", out, "--mem-hex", "01 02 03");
      assert.equal(run.code, 0, run.err);
      assert.equal(run.out, "0x5 (5)\n");
      const cloud = await mxy("bpf", "run", out, "--mem-hex", "01 02 03", "--profile", "cloud");
      assert.equal(cloud.code, 1);
      assert.match(cloud.err, /compiled under the embedded profile/);
    }
    assert.equal((await mxy("bpf", "aot", `${dir}/p.asm`, "--target", "js")).code, 2);
    assert.equal(
      (await mxy("bpf", "aot", `${dir}/p.asm`, "--target", "c", "-o", `${dir}/x`)).code,
      2,
    );
    const refused = await mxy(
      "bpf",
      "run",
      `${dir}/p.asm`,
      "--profile",
      "embedded",
      "--engine",
      "wasm",
    );
    assert.equal(refused.code, 1);
    assert.match(refused.err, /does not allow the JIT .* ahead of time/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mxy bpf run --stats shows restart (cloud) and recovery (embedded) fault handling", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/r.asm`, "ldxw %r0, [%r1+8]\nexit\n");
    const restart = await mxy(
      "bpf",
      "run",
      `${dir}/r.asm`,
      "--packet",
      "64",
      "--mem-hex",
      "01",
      "--runs",
      "2",
      "--stats",
      "--engine",
      "wasm",
    );
    assert.equal(restart.code, 1);
    assert.match(restart.out, /restart policy/);
    assert.match(restart.out, /runs 8, completed 0, faults 8, recovered 0, abandoned 8/);
    assert.match(
      restart.out,
      /scheduler: submitted 2, completed 0, failed 2, faults 8, recovered 0, retries 6/,
    );
    assert.match(restart.err, /Out-of-bounds read of 4 bytes/);
    const recovery = await mxy(
      "bpf",
      "run",
      `${dir}/r.asm`,
      "--packet",
      "64",
      "--mem-hex",
      "01",
      "--runs",
      "7",
      "--stats",
      "--profile",
      "embedded",
      "--fallback",
      "9",
    );
    assert.equal(recovery.code, 0, recovery.err);
    assert.match(recovery.out, /recovery policy: fallback 9, 5 faults in 60000 ms disable it/);
    assert.match(
      recovery.out,
      /runs 7, completed 0, faults 5, recovered 5, abandoned 0, refused 2, disabled yes/,
    );
    assert.match(recovery.out, /last fault: run 5, memory: Out-of-bounds read/);
    assert.match(recovery.out, /0x9 \(9\)\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
