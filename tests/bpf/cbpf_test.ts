import assert from "node:assert/strict";
import fc from "fast-check";
import { VALID_CBPF_OPCODES } from "./_cbpf_opcodes.ts";
import { type CbpfInstruction, compileCbpf } from "../../lib/bpf/cbpf.ts";
import { validateCbpf } from "../../lib/bpf/cbpf_validate.ts";
import { formatCbpfDecimal, formatCbpfInstruction, parseCbpf } from "../../lib/bpf/cbpf_text.ts";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import { hasProgram } from "../_fixtures.ts";

const I = (code: number, k = 0, jt = 0, jf = 0): CbpfInstruction => ({ code, jt, jf, k });
const RET_A = I(0x16);

function rejects(program: CbpfInstruction[], pattern: RegExp, pc?: number): void {
  assert.throws(() => validateCbpf(program), (e: unknown) => {
    assert.ok(e instanceof BpfError);
    assert.equal(e.code, "cbpf-invalid");
    assert.match(e.message, pattern);
    if (pc !== undefined) assert.equal(e.pc, pc);
    return true;
  });
}

Deno.test("validateCbpf() rejects what the kernel's bpf_check_classic rejects", () => {
  rejects([], /0 instructions/);
  rejects(Array.from({ length: 4097 }, () => I(0x06)), /4097 instructions/);
  rejects([I(0x0e), I(0x06)], /Unknown classic opcode 0xe/, 0);
  rejects([I(0x34, 0), RET_A], /Division by constant zero/, 0); // div #0
  rejects([I(0x94, 0), RET_A], /Division by constant zero/, 0); // mod #0
  rejects([I(0x64, 32), RET_A], /Shift by 32/, 0); // lsh #32
  rejects([I(0x60, 16), RET_A], /Scratch memory index 16/, 0); // ld M[16]
  rejects([I(0x02, 16), RET_A], /Scratch memory index 16/, 0); // st M[16]
  rejects([I(0x05, 1), RET_A], /past the end/, 0); // ja +1 lands beyond the end
  rejects([I(0x15, 0, 1, 0), RET_A], /past the end/, 0); // jeq jt beyond the end
  rejects([I(0x00, 1)], /not a ret/, 0);
  rejects([I(0x60, 3), RET_A], /M\[3\] read before it is written/, 0);
  // M[0] is written on only one of the two paths to the load.
  rejects([I(0x15, 5, 0, 1), I(0x02, 0), I(0x60, 0), RET_A], /M\[0\] read before/, 2);
  rejects([{ code: 0x06, jt: 256, jf: 0, k: 0 }], /Field out of range/, 0);
});

Deno.test("validateCbpf() accepts valid programs, including unreachable code", () => {
  validateCbpf([I(0x06, 1)]);
  validateCbpf([I(0x02, 0), I(0x15, 5, 0, 1), I(0x60, 0), RET_A]);
  validateCbpf([I(0x05, 1), I(0x60, 9), I(0x06, 0)]); // dead load of M[9] is skipped like the kernel
});

Deno.test("compileCbpf() runs with the kernel's semantics", () => {
  const run = (prog: CbpfInstruction[], pkt: number[] = [], wire?: number) => {
    const jit = compileCbpf(prog).run(new Uint8Array(pkt), wire);
    assert.equal(compileCbpf(prog, { jit: false }).run(new Uint8Array(pkt), wire), jit);
    return jit;
  };
  // Loads are big-endian.
  assert.equal(run([I(0x20, 0), RET_A], [1, 2, 3, 4]), 0x01020304);
  assert.equal(run([I(0x28, 1), RET_A], [1, 2, 3]), 0x0203);
  // Out-of-packet loads end the program with 0.
  assert.equal(run([I(0x20, 1), I(0x06, 9)], [1, 2, 3, 4]), 0);
  assert.equal(run([I(0x30, 4), I(0x06, 9)], [1, 2, 3, 4]), 0);
  assert.equal(run([I(0x01, 0xffffffff), I(0x50, 2), I(0x06, 9)], [1, 2, 3, 4]), 0); // ldb [x+2]
  // Division and modulo by X = 0 return 0; by non-zero they are unsigned.
  assert.equal(run([I(0x00, 7), I(0x01, 0), I(0x3c), I(0x06, 9)]), 0);
  assert.equal(run([I(0x00, 7), I(0x01, 0), I(0x9c), I(0x06, 9)]), 0);
  assert.equal(run([I(0x00, 0xfffffff0), I(0x34, 3), RET_A]), Math.floor(0xfffffff0 / 3));
  // 32-bit wrap, negation, shifts by X >= 32 give 0 (libpcap).
  assert.equal(run([I(0x00, 0xffffffff), I(0x04, 2), RET_A]), 1);
  assert.equal(run([I(0x00, 1), I(0x84), RET_A]), 0xffffffff);
  assert.equal(run([I(0x00, 1), I(0x01, 40), I(0x6c), RET_A]), 0);
  assert.equal(run([I(0x00, 0x10000), I(0x24, 0x10000), RET_A]), 0); // mul wraps
  // LEN is the wire length; MSH is 4 * low nibble.
  assert.equal(run([I(0x80), RET_A], [1, 2], 1500), 1500);
  assert.equal(run([I(0xb1, 0), I(0x87), RET_A], [0x45]), 20);
  // Scratch memory, tax/txa, jset and X-compares.
  assert.equal(run([I(0x00, 5), I(0x02, 3), I(0x00, 0), I(0x60, 3), RET_A]), 5);
  assert.equal(run([I(0x00, 6), I(0x45, 2, 0, 1), I(0x06, 1), I(0x06, 2)]), 1);
  assert.equal(run([I(0x00, 6), I(0x01, 7), I(0x3d, 0, 0, 1), I(0x06, 1), I(0x06, 2)]), 2);
});

Deno.test("compileCbpf() starts each run with cleared registers and scratch memory", () => {
  const prog = compileCbpf([
    I(0x15, 0, 0, 1), // A starts at 0: jeq #0 → store
    I(0x02, 0),
    I(0x06, 1),
  ]);
  assert.equal(prog.run(new Uint8Array()), 1);
  assert.equal(prog.run(new Uint8Array()), 1);
});

Deno.test("parseCbpf() reads tcpdump -ddd and -dd output and reports bad lines", () => {
  const text = "3\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n";
  assert.throws(() => parseCbpf(text + "6 0 0 0\n", { source: "f.bpf" }), /f\.bpf, line 5/);
  assert.throws(() => parseCbpf("2\n40 0 0 12\n", { source: "f" }), /says 2 instructions/);
  assert.throws(() => parseCbpf("1\n40 0 x 12\n", { source: "f" }), /line 2/);
  assert.throws(() => parseCbpf("1\n40 0 300 12\n"), /out of range/);
  assert.throws(() => parseCbpf(""), /empty/);
  const prog = parseCbpf(text);
  assert.equal(prog.length, 3);
  assert.equal(formatCbpfDecimal(prog), text);
  assert.equal(formatCbpfInstruction(prog[1], 1), "jeq #0x800 jt 2 jf 3");
});

Deno.test("parseCbpf() reads what tcpdump compiles, in both forms, identically", async () => {
  if (!hasProgram("tcpdump")) return;
  const run = async (flag: string) => {
    const out = await new Deno.Command("tcpdump", {
      args: [flag, "-y", "EN10MB", "tcp port 80 or udp port 53"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return new TextDecoder().decode(out.stdout);
  };
  const ddd = parseCbpf(await run("-ddd"));
  const dd = parseCbpf(await run("-dd"));
  assert.deepEqual(dd, ddd);
  validateCbpf(ddd);
  // A hand-made Ethernet/IPv4/UDP packet to port 53 is accepted.
  const pkt = new Uint8Array(42);
  pkt[12] = 0x08; // IPv4
  pkt[14] = 0x45;
  pkt[23] = 17; // UDP
  pkt[37] = 53; // dst port
  const prog = compileCbpf(ddd);
  assert.ok(prog.run(pkt) > 0);
  pkt[37] = 54;
  assert.equal(prog.run(pkt), 0);
});

Deno.test("compileCbpf() throws only BpfError on random programs; its JIT and interpreter agree", () => {
  const insn = fc.record({
    code: fc.oneof(
      fc.integer({ min: 0, max: 0xff }),
      // Every valid opcode, so that many programs pass validation.
      fc.constantFrom(...VALID_CBPF_OPCODES),
    ),
    jt: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 })),
    jf: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 })),
    k: fc.oneof(
      fc.integer({ min: 0, max: 15 }),
      fc.integer({ min: 0, max: 64 }),
      fc.integer({ min: 0, max: 0xffffffff }),
    ),
  });
  let valid = 0;
  fc.assert(
    fc.property(
      fc.array(insn, { minLength: 0, maxLength: 20 }),
      fc.uint8Array({ maxLength: 64 }),
      (body, pkt) => {
        const prog = [...body, I(0x16)]; // end with ret a
        let compiled, interpreted;
        try {
          compiled = compileCbpf(prog);
          interpreted = compileCbpf(prog, { jit: false });
        } catch (e) {
          assert.ok(e instanceof BpfError, String(e));
          return;
        }
        valid++;
        const r = compiled.run(pkt);
        assert.ok(Number.isInteger(r) && r >= 0 && r <= 0xffffffff);
        // The JavaScript translation and the interpreter agree, also on a packet in a buffer.
        assert.equal(interpreted.run(pkt), r);
        const buf = new Uint8Array(pkt.length + 7);
        buf.set(pkt, 3);
        assert.equal(compiled.runAt(buf, 3, pkt.length, pkt.length), r);
        assert.equal(interpreted.runAt(buf, 3, pkt.length, pkt.length), r);
      },
    ),
    { numRuns: 3000 },
  );
  assert.ok(valid > 300, `only ${valid} random programs were valid`);
});
