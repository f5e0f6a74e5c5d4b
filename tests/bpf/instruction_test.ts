import assert from "node:assert/strict";
import fc from "fast-check";
import {
  checkInstruction,
  decodeProgram,
  encodeProgram,
  lddwValue,
} from "../../lib/bpf/instruction.ts";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import { BpfInterpreter } from "../../lib/bpf/interpreter.ts";
import { disassemble } from "../../lib/bpf/disassembler.ts";
import { assemble } from "../../lib/bpf/assembler.ts";

Deno.test("decodeProgram() and encodeProgram() round-trip any framed byte string", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (raw) => {
      const bytes = raw.slice(0, raw.length - (raw.length % 8));
      let program;
      try {
        program = decodeProgram(bytes, { strict: false });
      } catch (e) {
        assert.ok(e instanceof BpfError && e.code === "decode");
        return;
      }
      // lddw second slots lose nothing but their (zero-required) fields in non-strict mode,
      // so compare against a strict decode when it succeeds.
      try {
        const strict = decodeProgram(bytes);
        assert.deepEqual(encodeProgram(strict), bytes);
      } catch (e) {
        assert.ok(e instanceof BpfError && e.code === "decode");
      }
      assert.equal(encodeProgram(program).length, bytes.length);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("random byte strings give only typed errors in decoder, disassembler and interpreter", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 240 }), fc.boolean(), (bytes, strict) => {
      try {
        const p = decodeProgram(bytes, { strict });
        disassemble(p, { lenient: !strict });
        new BpfInterpreter(p, { budget: 10_000 }).run(new Uint8Array(64));
      } catch (e) {
        assert.ok(e instanceof BpfError, `not a BpfError: ${e}`);
        assert.ok(e.code.length > 0);
      }
    }),
    { numRuns: 3000 },
  );
});

Deno.test("decodeProgram() folds lddw into one instruction with a 64-bit immediate", () => {
  const p = decodeProgram(assemble("lddw %r3, 0x8000000000000001\nexit"));
  assert.equal(p.instructions.length, 2);
  assert.equal(p.slotCount, 3);
  assert.deepEqual([...p.indexOfSlot], [0, -1, 1]);
  assert.equal(lddwValue(p.instructions[0]), 0x8000000000000001n);
  assert.throws(
    () => decodeProgram(new Uint8Array(16).fill(0).map((_, i) => i === 0 ? 0x18 : 0).slice(0, 8)),
    /Incomplete lddw/,
  );
});

Deno.test("checkInstruction() enforces RFC 9669's unused fields and opcodes", () => {
  assert.equal(checkInstruction({ opcode: 0xbf, dst: 1, src: 2, offset: 32, imm: 0 }), null);
  assert.match(checkInstruction({ opcode: 0xbc, dst: 1, src: 2, offset: 32, imm: 0 })!, /offset/);
  assert.match(checkInstruction({ opcode: 0xd4, dst: 1, src: 0, offset: 0, imm: 24 })!, /width/);
  assert.match(checkInstruction({ opcode: 0xff, dst: 0, src: 0, offset: 0, imm: 0 })!, /Unknown/);
  assert.match(checkInstruction({ opcode: 0x07, dst: 11, src: 0, offset: 0, imm: 0 })!, /r11/);
  assert.match(checkInstruction({ opcode: 0xdb, dst: 1, src: 2, offset: 0, imm: 0x02 })!, /atomic/);
});
