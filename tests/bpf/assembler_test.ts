import assert from "node:assert/strict";
import fc from "fast-check";
import { assemble, assembleInstructions } from "../../lib/bpf/assembler.ts";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import { parseBpfConformance, runBpfConformance } from "../../lib/testing/bpf_conformance.ts";
import { dataFiles, readData } from "./_bpf_fixtures.ts";

const GOLDEN = /^(alu|alu64|ldx|st|stx|jmp)[^/]*\.data$/;
const ubpf = dataFiles("bpf/ubpf/tests");

Deno.test({
  name: "assemble() turns each golden ubpf file's asm into its raw bytes",
  ignore: ubpf === null,
  async fn(t) {
    const golden = ubpf!.names.filter((n) => GOLDEN.test(n));
    const withRaw = golden.filter((n) => /^-- raw/m.test(readData(ubpf!.dir, n)));
    assert.ok(withRaw.length >= 6, `only ${withRaw.length} golden files with raw`);
    for (const name of withRaw) {
      await t.step(name, () => {
        const c = parseBpfConformance(readData(ubpf!.dir, name), { name });
        assert.deepEqual([...assemble(c.asm!, { file: name })], [...c.raw!]);
      });
    }
  },
});

Deno.test({
  name: "assemble() rejects every bpf_conformance negative case",
  ignore: dataFiles("bpf/conformance/negative") === null,
  async fn(t) {
    const neg = dataFiles("bpf/conformance/negative")!;
    assert.ok(neg.names.length > 10);
    for (const name of neg.names) {
      await t.step(name, () => {
        const text = readData(neg.dir, name);
        let rejected: string;
        try {
          const c = parseBpfConformance(text, { name });
          const r = runBpfConformance(c);
          // A negative case is rejected when it cannot be assembled/decoded (its expected error
          // is then matched) or when its stated expectation does not hold.
          if (r.error && (r.error.code === "asm" || r.error.code === "decode")) {
            rejected = `${r.error.code}: ${r.error.message}`;
          } else {
            assert.equal(r.pass, c.result === undefined && r.error !== undefined, r.message);
            rejected = r.pass ? "rejected at run time" : `expectation fails: ${r.message}`;
          }
        } catch (e) {
          assert.ok(e instanceof BpfError, String(e));
          rejected = e.message;
        }
        assert.ok(rejected.length > 0);
      });
    }
  },
});

Deno.test("assemble() names the line of a syntax error", () => {
  try {
    assemble("mov %r0, 1\n\nfoo %r1\nexit", { file: "x.asm" });
    assert.fail("no error");
  } catch (e) {
    assert.ok(e instanceof BpfError);
    assert.equal(e.code, "asm");
    assert.equal(e.line, 3);
    assert.match(e.message, /Invalid mnemonic: foo \(at x\.asm, line 3\)/);
  }
});

Deno.test("assemble() checks immediate, offset and register ranges", () => {
  assert.throws(() => assemble("mov32 %r0, 2147483648"), /32-bit range/);
  assert.throws(() => assemble("mov32 %r0, 0x100000000"), /32-bit range/);
  assert.equal(assemble("mov32 %r0, 0xffffffff")[4], 0xff);
  assert.throws(() => assemble("ldxb %r0, [%r1+0x10000]"), /16-bit range/);
  assert.throws(() => assemble("or %r0, %r11"), /Invalid register/);
  assert.throws(() => assemble("lock or [%r10-8]"), /Invalid number of operands for lock/);
  assert.throws(() => assemble("ja nowhere\nexit"), /Invalid label: nowhere/);
});

Deno.test("assemble() resolves labels, the implicit exit label and local calls", () => {
  const insns = assembleInstructions(
    "lddw %r0, 1\njeq %r0, 1, exit\ncall local f\nexit\nf:\nmov %r0, 2\nexit",
  );
  assert.equal(insns[1].offset, 1); // slot 2 -> exit at slot 4
  assert.equal(insns[2].imm, 1); // slot 3 -> f at slot 5
  assert.equal(insns[2].src, 1);
});

Deno.test("assemble() accepts rN without % and spaced memory operands", () => {
  assert.deepEqual(assemble("ldxw r0, [r1 + 4]\nexit"), assemble("ldxw %r0, [%r1+4]\nexit"));
});

Deno.test("assemble() fails on arbitrary text only with BpfError", () => {
  const tok = fc.constantFrom(
    ...["mov", "lddw", "lock", "fetch", "add32", "call", "local", "ja", "jeq32", "exit", "%r1"],
    ...["r10", "%r11", "[%r1+4]", "[%r1", "0x", "-", "+3", "L:", "L", ",", " ", "movsx832"],
    ...["0xffffffffffffffffff", "-9223372036854775809", "le16", "be99", "ldxsb", "stb", "#"],
    ...["\n", "ldabsw", "ldindb", "map_fd", "runtime", "helper"],
  );
  fc.assert(
    fc.property(fc.array(tok, { maxLength: 30 }), fc.string(), (toks, str) => {
      for (const text of [toks.join(" "), toks.join(""), str]) {
        try {
          assemble(text);
        } catch (e) {
          assert.ok(e instanceof BpfError, String(e));
        }
      }
    }),
    { numRuns: 2000 },
  );
});
