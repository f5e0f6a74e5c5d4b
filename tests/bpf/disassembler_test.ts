import assert from "node:assert/strict";
import { assemble } from "../../lib/bpf/assembler.ts";
import { disassemble, formatInstruction } from "../../lib/bpf/disassembler.ts";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import { decodeProgram } from "../../lib/bpf/instruction.ts";
import { parseConformance } from "../../lib/bpf/conformance.ts";
import { dataFiles, readData } from "./_bpf_fixtures.ts";

const GOLDEN = /^(alu|alu64|ldx|st|stx|jmp)[^/]*\.data$/;
const ubpf = dataFiles("bpf/ubpf/tests");

Deno.test("formatInstruction() prints every instruction family in the assembler dialect", () => {
  const cases: [string, string][] = [
    ["sdiv32 %r1, -3", "sdiv32 %r1, -3"],
    ["smod %r1, %r2", "smod %r1, %r2"],
    ["movsx1664 %r1, %r2", "movsx1664 %r1, %r2"],
    ["bswap32 %r4", "bswap32 %r4"],
    ["swap64 %r4", "bswap64 %r4"],
    ["ldxsh %r0, [%r1-2]", "ldxsh %r0, [%r1-2]"],
    ["stdw [%r10-8], -1", "stdw [%r10-8], -1"],
    ["lock fetch or32 [%r10-4], %r3", "lock fetch or32 [%r10-4], %r3"],
    ["lock cmpxchg [%r10-8], %r3", "lock cmpxchg [%r10-8], %r3"],
    ["ja32 +5", "ja32 +5"],
    ["jsle32 %r1, %r2, -1", "jsle32 %r1, %r2, -1"],
    ["call %r3", "call %r3"],
    ["call local -1", "call local -1"],
    ["ldindh %r2, 14", "ldindh %r2, 14"],
    ["lddw %r1, 0x5, map_value_fd", "lddw %r1, 0x5, map_value_fd"],
  ];
  for (const [src, want] of cases) {
    const insn = decodeProgram(assemble(src + "\nexit"), { strict: false }).instructions[0];
    assert.equal(formatInstruction(insn), want, src);
  }
});

Deno.test({
  name: "disassemble() output of every conformance program assembles back to the same bytes",
  ignore: dataFiles("bpf/conformance/tests") === null,
  fn() {
    const suite = dataFiles("bpf/conformance/tests")!;
    for (const name of suite.names) {
      const c = parseConformance(readData(suite.dir, name), { name });
      const bytes = assemble(c.asm!);
      assert.deepEqual(assemble(disassemble(bytes)), bytes, name);
      assert.deepEqual(assemble(disassemble(bytes, { labels: true })), bytes, name);
    }
  },
});

Deno.test({
  name: "disassemble() of the golden ubpf raw bytes assembles back and matches their text",
  ignore: ubpf === null,
  fn() {
    for (const name of ubpf!.names.filter((n) => GOLDEN.test(n))) {
      const c = parseConformance(readData(ubpf!.dir, name), { name });
      if (!c.raw) continue;
      const text = disassemble(c.raw);
      assert.deepEqual(assemble(text), c.raw, name);
      // Same instruction count and mnemonics as the golden text.
      const mn = (s: string) =>
        s.split("\n").map((l) => l.replace(/#.*/, "").trim()).filter((l) => l && !l.endsWith(":"))
          .map((l) => l.split(/\s+/)[0].replace(/^swap/, "bswap"));
      assert.deepEqual(mn(text), mn(c.asm!), name);
    }
  },
});

Deno.test("disassemble() rejects invalid bytes with a decode error", () => {
  assert.throws(
    () => disassemble(new Uint8Array([0x07, 0, 1, 0, 1, 0, 0, 0])),
    (e) => e instanceof BpfError && e.code === "decode" && e.pc === 0,
  );
  assert.equal(decodeProgram(new Uint8Array(0)).instructions.length, 0);
});
