import assert from "node:assert/strict";
import { main } from "../../cli/main.ts";
import { fixture } from "../_fixtures.ts";
import { runMxy } from "../_mxy.ts";

Deno.test("mxy bpf verify accepts, rejects (exit 1) and applies the profile", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${tmp}/ok.asm`, "mov %r0, 1\nexit\n");
    await Deno.writeTextFile(`${tmp}/bad.asm`, "mov %r0, %r3\nexit\n");
    await Deno.writeTextFile(
      `${tmp}/deep.asm`,
      "stdw [%r10-9000], 1\nldxdw %r0, [%r10-9000]\nexit\n",
    );
    assert.equal(await main(["bpf", "verify", `${tmp}/ok.asm`]), 0);
    assert.equal(await main(["bpf", "verify", `${tmp}/bad.asm`]), 1);
    assert.equal(await main(["bpf", "verify", `${tmp}/deep.asm`, "--profile", "cloud"]), 0);
    assert.equal(await main(["bpf", "verify", `${tmp}/deep.asm`, "--profile", "embedded"]), 1);
    assert.equal(await main(["bpf", "verify", `${tmp}/ok.asm`, "--profile", "tiny"]), 2);
    assert.equal(await main(["bpf", "verify"]), 2);
    assert.equal(await main(["bpf", "verify", "--help"]), 0);
    // A context size from --mem-hex bounds the accesses.
    await Deno.writeTextFile(`${tmp}/ctx.asm`, "ldxw %r0, [%r1+4]\nexit\n");
    assert.equal(
      await main(["bpf", "verify", `${tmp}/ctx.asm`, "--mem-hex", "0001020304050607"]),
      0,
    );
    assert.equal(await main(["bpf", "verify", `${tmp}/ctx.asm`, "--mem-hex", "00010203"]), 1);
    // A program too complex to verify is a rejection too.
    await Deno.writeTextFile(
      `${tmp}/complex.asm`,
      "mov %r0, 0\nldxdw %r1, [%r1]\nl:\nadd %r0, 1\njlt %r0, %r1, l\nexit\n",
    );
    assert.equal(
      await main(["bpf", "verify", `${tmp}/complex.asm`, "--mem-hex", "0001020304050607"]),
      1,
    );
    const dir = fixture("bpf/conformance/tests");
    if (dir !== null) {
      assert.equal(await main(["bpf", "verify", `${dir}/prime.data`]), 0);
      assert.equal(await main(["bpf", "verify", `${dir}/prime.data`, "--profile", "embedded"]), 1);
      assert.equal(await main(["bpf", "verify", `${dir}/callx.data`]), 0); // helper 5 of the suite
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("mxy bpf bench --verifier verifies a benchmark and reports its figures", async () => {
  const r = await runMxy(["bpf", "bench", "--verifier", "--only", "deep-calls", "--rounds", "0"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^deep-calls\s+cloud\s+accept\s+1449\s/m);
  assert.equal((await runMxy(["bpf", "bench", "--verifier", "--only", "nope"])).code, 2);
});
