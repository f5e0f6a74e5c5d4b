import assert from "node:assert/strict";
import { parseBpfConformance, runBpfConformance } from "../../lib/testing/bpf_conformance.ts";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import { BpfJit } from "../../lib/bpf/jit.ts";
import { verifyProgram } from "../../lib/bpf/verifier.ts";
import { bpfConformanceHelpers } from "../../lib/testing/bpf_conformance.ts";
import { dataFiles, readData } from "../bpf/_bpf_fixtures.ts";

Deno.test("parseConformance() reads raw words, hex bytes, mem and result", () => {
  const c = parseBpfConformance(
    "# c\n-- asm\nexit\n-- raw\n0x0000000000000095\n-- mem\n01 02\n03\n-- result\n0x10\n",
  );
  assert.deepEqual([...c.raw!], [0x95, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...c.mem], [1, 2, 3]);
  assert.equal(c.result, 16n);
  const d = parseBpfConformance("-- raw\n95 00 00 00 00 00 00 00\n-- error\nbad\n");
  assert.equal(d.raw!.length, 8);
  assert.equal(d.error, "bad");
});

Deno.test("parseConformance() rejects unknown sections, bad bytes and empty cases with the line", () => {
  assert.throws(
    () => parseBpfConformance("-- asm\nexit\n-- bogus\n", { name: "x.data" }),
    (e) => e instanceof BpfError && e.code === "conformance" && e.line === 3,
  );
  assert.throws(() => parseBpfConformance("-- asm\nexit\n-- mem\n0g\n"), /Invalid hex byte "0g"/);
  assert.throws(() => parseBpfConformance("-- result\n0x0\n"), /No -- asm or -- raw/);
});

Deno.test("runConformance() fails when the raw section disagrees with the assembly", () => {
  const c = parseBpfConformance(
    "-- asm\nmov %r0, 1\nexit\n-- raw\n0x0000000000000095\n-- result\n1\n",
  );
  const r = runBpfConformance(c);
  assert.equal(r.pass, false);
  assert.match(r.message, /differ/);
});

Deno.test("runConformance() reports wrong results and unexpected successes", () => {
  const wrong = runBpfConformance(
    parseBpfConformance("-- asm\nmov %r0, 2\nexit\n-- result\n0x3\n"),
  );
  assert.equal(wrong.pass, false);
  assert.equal(wrong.value, 2n);
  const noErr = runBpfConformance(parseBpfConformance("-- asm\nmov %r0, 2\nexit\n-- error\nx\n"));
  assert.equal(noErr.pass, false);
  const err = runBpfConformance(
    parseBpfConformance("-- asm\nldxw %r0, [%r1+8]\nexit\n-- error\nx\n"),
    {
      runner: (p, o) => new BpfJit(p, o),
    },
  );
  assert.equal(err.pass, true);
  assert.equal(err.error?.code, "memory");
});

const neg = dataFiles("bpf/conformance/negative");
Deno.test({
  name: "runConformance() with the verifier rejects the negative case that only a verifier can",
  ignore: neg === null,
  fn() {
    const c = parseBpfConformance(readData(neg!.dir, "error.data"), { name: "error.data" });
    assert.equal(runBpfConformance(c).pass, false); // runs, although an error is expected
    const r = runBpfConformance(c, {
      verify: (p) =>
        void verifyProgram(p, {
          helpers: bpfConformanceHelpers(),
          input: { kind: "ctx", size: 0 },
        }),
    });
    assert.equal(r.pass, true);
    assert.equal(r.error?.code, "verify");
  },
});
