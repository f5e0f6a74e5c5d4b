import assert from "node:assert/strict";
import { assemble } from "../../lib/bpf/assembler.ts";
import { disassemble, formatInstruction } from "../../lib/bpf/disassembler.ts";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import fc from "fast-check";
import {
  type BpfInstruction,
  checkInstruction,
  decodeProgram,
  encodeProgram,
} from "../../lib/bpf/instruction.ts";
import { parseBpfConformance } from "../../lib/testing/bpf_conformance.ts";
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
      const c = parseBpfConformance(readData(suite.dir, name), { name });
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
      const c = parseBpfConformance(readData(ubpf!.dir, name), { name });
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

Deno.test("disassemble() output assembles back to the same bytes for random valid instructions", () => {
  const opcodes = Array.from({ length: 256 }, (_, i) => i).filter((op) =>
    !/Unknown opcode/.test(
      checkInstruction({ opcode: op, dst: 0, src: 0, offset: 0, imm: 16 }) ?? "",
    )
  );
  const insnArb = fc.record({
    opcode: fc.constantFrom(...opcodes),
    dst: fc.integer({ min: 0, max: 10 }),
    src: fc.integer({ min: 0, max: 10 }),
    offset: fc.oneof(fc.integer({ min: -32768, max: 32767 }), fc.constantFrom(0, 1, 8, 16, 32)),
    imm: fc.oneof(
      fc.integer({ min: -0x80000000, max: 0x7fffffff }),
      fc.constantFrom(0, 16, 32, 64, 0xe1, 0xf1),
    ),
    imm2: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  }).map((i): BpfInstruction => {
    const insn: BpfInstruction = i.opcode === 0x18
      ? { ...i, src: i.src % 7, offset: 0 }
      : { opcode: i.opcode, dst: i.dst, src: i.src, offset: i.offset, imm: i.imm };
    // Zero fields until the instruction is valid (RFC 9669 unused fields).
    for (const f of ["offset", "src", "imm", "dst"] as const) {
      if (checkInstruction(insn) === null) break;
      insn[f] = 0;
    }
    if (checkInstruction(insn) !== null) insn.imm = 16;
    if (checkInstruction(insn) !== null && (insn.opcode & 0xf0) === 0xb0) insn.offset = 8;
    return insn;
  }).filter((i) => checkInstruction(i) === null);
  fc.assert(
    fc.property(fc.array(insnArb, { minLength: 1, maxLength: 30 }), (insns) => {
      const bytes = encodeProgram(insns);
      assert.deepEqual(assemble(disassemble(bytes)), bytes);
    }),
    { numRuns: 500 },
  );
});
