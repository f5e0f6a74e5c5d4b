import assert from "node:assert/strict";
import fc from "fast-check";
import { assemble } from "../../lib/bpf/assembler.ts";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import { HelperRegistry } from "../../lib/bpf/helpers.ts";
import { bpfConformanceHelpers } from "../../lib/testing/bpf_conformance.ts";
import {
  type BpfInstruction,
  decodeProgram,
  encodeProgram,
  programOf,
} from "../../lib/bpf/instruction.ts";
import { BpfInterpreter } from "../../lib/bpf/interpreter.ts";
import { createBpfMap } from "../../lib/bpf/maps.ts";
import { registerMapHelpers } from "../../lib/bpf/_map_helpers.ts";
import { CLOUD, EMBEDDED } from "../../lib/bpf/profile.ts";
import { type VerifyOptions, verifyProgram } from "../../lib/bpf/verifier.ts";
import { parseBpfConformance } from "../../lib/testing/bpf_conformance.ts";
import { fixture } from "../_fixtures.ts";

const helpers = bpfConformanceHelpers();

function ok(src: string, options: VerifyOptions = {}) {
  return verifyProgram(assemble(src), { helpers, ...options });
}

function rejects(
  src: string | Uint8Array,
  message: string,
  pc: number,
  options: VerifyOptions = {},
) {
  const bytes = typeof src === "string" ? assemble(src) : src;
  assert.throws(() => verifyProgram(bytes, { helpers, ...options }), (e: unknown) => {
    assert.ok(e instanceof BpfError, String(e));
    assert.equal(e.code, "verify");
    assert.equal(e.message, `${message} (at insn ${pc})`);
    assert.equal(e.pc, pc);
    return true;
  });
}

Deno.test("verify() rejects reads of registers before they are written", () => {
  rejects("mov %r0, %r2\nmov %r0, %r3\nexit", "R3 !read_ok", 1);
  rejects("exit", "R0 !read_ok", 0);
  rejects("add %r4, 1\nmov %r0, 0\nexit", "R4 !read_ok", 0);
  // R1 (input pointer), R2 (its length) and R10 are set at entry.
  ok("mov %r0, %r2\nadd %r0, %r1\nsub %r0, %r1\nexit", { input: { kind: "ctx", size: 4 } });
});

Deno.test("verify() clobbers R1-R5 across calls and keeps R6-R9", () => {
  rejects("mov %r1, 1\ncall 2\nmov %r0, %r1\nexit", "R1 !read_ok", 2);
  ok("mov %r6, 1\ncall 2\nmov %r0, %r6\nexit");
  // A local call: the callee sees R1-R5 of the caller, not R6-R9; after it R0 is its result.
  ok("mov %r1, 3\ncall local f\nexit\nf:\nmov %r0, %r1\nexit");
  rejects("mov %r6, 3\ncall local f\nexit\nf:\nmov %r0, %r6\nexit", "R6 !read_ok", 3);
  rejects("mov %r1, 3\ncall local f\nmov %r0, %r1\nexit\nf:\nmov %r0, 1\nexit", "R1 !read_ok", 2);
});

Deno.test("verify() rejects pointers into the stack of a function that has returned", () => {
  rejects(
    "mov %r1, %r10\nadd %r1, -8\ncall local f\nldxdw %r2, [%r10-8]\nldxdw %r0, [%r2]\nexit\n" +
      "f:\nmov %r3, %r10\nadd %r3, -16\nstxdw [%r1], %r3\nmov %r0, 0\nexit",
    "R2 invalid mem access: stack of a function that has returned",
    4,
  );
});

Deno.test("verify() keeps R10 read-only", () => {
  rejects("mov %r10, 0\nmov %r0, 0\nexit", "frame pointer is read only", 0);
  rejects("add %r10, 8\nmov %r0, 0\nexit", "frame pointer is read only", 0);
});

Deno.test("verify() checks stack bounds and reads of unwritten stack", () => {
  rejects("stxdw [%r10+8], %r1\nmov %r0, 0\nexit", "invalid write to stack R10 off=8 size=8", 0);
  rejects("stb [%r10], 0\nmov %r0, 0\nexit", "invalid write to stack R10 off=0 size=1", 0);
  rejects("ldxdw %r0, [%r10-8]\nexit", "invalid read from stack R10 off=-8 size=8", 0);
  rejects(
    "stw [%r10-8], 1\nldxdw %r0, [%r10-8]\nexit",
    "invalid read from stack R10 off=-8 size=8",
    1,
  );
  ok("stdw [%r10-8], 7\nldxdw %r0, [%r10-8]\nexit");
  // A pointer derived from R10 is checked the same way.
  rejects(
    "mov %r3, %r10\nadd %r3, 4\nstw [%r3], 0\nmov %r0, 0\nexit",
    "invalid write to stack R3 off=4 size=4",
    2,
  );
});

Deno.test("verify() enforces each profile's stack limit", () => {
  const deep = "stdw [%r10-9000], 1\nldxdw %r0, [%r10-9000]\nexit";
  assert.equal(ok(deep, { profile: CLOUD }).frameStack, 9000);
  rejects(deep, "invalid write to stack R10 off=-9000 size=8", 0, { profile: EMBEDDED });
  // Offsets beyond 16 bits go through a derived pointer.
  ok("mov %r3, %r10\nadd %r3, -524288\nstdw [%r3], 1\nmov %r0, 0\nexit", { profile: CLOUD });
  rejects(
    "mov %r3, %r10\nadd %r3, -524289\nstb [%r3], 1\nmov %r0, 0\nexit",
    "invalid write to stack R3 off=-524289 size=1",
    2,
    { profile: CLOUD },
  );
});

Deno.test("verify() enforces each profile's instruction limit", () => {
  const body = "mov %r0, 0\n".repeat(4096) + "exit";
  assert.equal(ok(body, { profile: CLOUD }).slots, 4097);
  rejects(
    body,
    "program of 4097 instructions is too large for the embedded profile (max 4096)",
    4096,
    { profile: EMBEDDED },
  );
});

Deno.test("verify() checks the control-flow graph", () => {
  rejects("mov %r0, 0\nexit\nmov %r0, 1\nexit", "unreachable insn 2", 2);
  rejects("ja +2\nmov %r0, 0\nexit", "jump out of range from insn 0 to 3", 0);
  rejects("ja +1\nlddw %r0, 0x1122334455667788\nexit", "jump into the middle of ldimm64 insn 1", 0);
  rejects("mov %r0, 0\njeq %r0, 0, +1\nexit\nmov %r0, 1", "last insn is not an exit or jmp", 3);
  rejects("ja -1\nexit", "infinite loop detected at insn 0", 0);
  // Jumps may not leave their subprogram.
  rejects(
    "mov %r1, 0\ncall local f\nexit\nf:\nja -4\nexit",
    "jump out of range from insn 3 to 0",
    3,
  );
});

Deno.test("verify() allows bounded loops under cloud and rejects loops under embedded", () => {
  const loop = "mov %r0, 0\nmov %r1, 0\nl:\nadd %r0, %r1\nadd %r1, 1\njlt %r1, 100, l\nexit";
  const r = ok(loop, { profile: CLOUD });
  assert.equal(r.hasLoops, true);
  assert.ok(r.steps > 300);
  rejects(loop, "back-edge from insn 4 to 2", 4, { profile: EMBEDDED });
  // A loop whose bound the verifier cannot know is rejected when the walk runs out.
  const unbounded = "mov %r0, 0\nldxdw %r1, [%r1]\nl:\nadd %r0, 1\njlt %r0, %r1, l\nexit";
  const small = { ...CLOUD, maxVerifierSteps: 5000 };
  assert.throws(
    () =>
      verifyProgram(assemble(unbounded), {
        helpers,
        profile: small,
        input: { kind: "ctx", size: 8 },
      }),
    /BPF program is too large\. Processed 5001 insn/,
  );
  // Counting down an unknown value: the abstract state repeats, so no bound can be proven.
  rejects(
    "mov %r0, 0\nldxdw %r1, [%r1]\nl:\nadd %r0, 1\nsub %r1, 1\njne %r1, 0, l\nexit",
    "infinite loop detected at insn 2",
    2,
    { input: { kind: "ctx", size: 8 } },
  );
  // A counter that only feeds the result does not keep the walk from pruning: the loop on R1
  // stays exact while R0's values are not compared.
  assert.ok(
    ok("mov %r0, 0\nmov %r1, 0\nl:\nmul %r0, 3\nadd %r1, 1\njlt %r1, 50, l\nexit").steps < 400,
  );
  // A loop that makes no progress repeats its state.
  rejects("mov %r0, 0\nl:\njeq %r2, 5, l\nexit", "infinite loop detected at insn 1", 1, {
    input: { kind: "packet", size: 64 },
  });
});

Deno.test("verify() rejects division by a constant zero, unknown helpers and bad calls", () => {
  rejects("mov %r0, 1\ndiv %r0, 0\nexit", "div by zero", 1);
  rejects("mov %r0, 1\nmod32 %r0, 0\nexit", "div by zero", 1);
  ok("mov %r0, 1\nmov %r1, 0\ndiv %r0, %r1\nexit"); // by a register: defined as 0 at run time
  rejects("call 64\nexit", "invalid func unknown#64", 0);
  rejects("mov %r2, 77\ncall %r2\nmov %r0, 0\nexit", "invalid func unknown#77", 1);
  rejects("call 1\nexit", "invalid func unknown#1", 0, { helpers: new HelperRegistry() });
  rejects(
    "mov %r0, 0\ncall local f\nexit\nf:\ncall local g\nexit\ng:\ncall local f\nexit",
    "recursive call to subprogram at insn 3",
    3,
  );
});

Deno.test("verify() types memory accesses: context, packet, scalars", () => {
  const ctx = { input: { kind: "ctx" as const, size: 8 } };
  ok("ldxdw %r0, [%r1]\nexit", ctx);
  rejects(
    "ldxdw %r0, [%r1+1]\nexit",
    "invalid bpf_context access off=1 size=8 (context size 8)",
    0,
    ctx,
  );
  rejects(
    "ldxb %r0, [%r1-1]\nexit",
    "invalid bpf_context access off=-1 size=1 (context size 8)",
    0,
    ctx,
  );
  const pkt = { input: { kind: "packet" as const, size: 1500 } };
  ok("ldxw %r0, [%r1+1496]\nexit", pkt);
  rejects(
    "ldxw %r0, [%r1+1497]\nexit",
    "invalid access to packet, off=1497 size=4, max packet size 1500",
    0,
    pkt,
  );
  rejects("mov %r6, 0\nldxb %r0, [%r6-1]\nexit", "R6 invalid mem access 'scalar'", 1);
  // The runtime resolves the region from the base register, so it must stay inside it.
  rejects(
    "mov %r6, %r1\nadd %r6, -1\nldxb %r0, [%r6+1]\nexit",
    "R6 invalid mem access: pointer offset -1 is before the start of the ctx",
    2,
    ctx,
  );
  rejects("lsh %r1, 1\nmov %r0, 0\nexit", "R1 lsh on pointer pkt prohibited", 0);
  // Variable offsets are fine when bounded by a check, rejected otherwise.
  ok("ldxb %r3, [%r1]\nand %r3, 7\nadd %r1, %r3\nldxb %r0, [%r1]\nexit", ctx);
  rejects(
    "ldxb %r3, [%r1]\nand %r3, 15\nadd %r1, %r3\nldxb %r0, [%r1]\nexit",
    "invalid bpf_context access off=0 size=1 (context size 8)",
    3,
    ctx,
  );
  ok("ldxb %r3, [%r1]\njgt %r3, 7, +2\nadd %r1, %r3\nldxb %r0, [%r1]\nmov %r0, 0\nexit", ctx);
});

function I(opcode: number, dst = 0, src = 0, offset = 0, imm = 0, imm2?: number): BpfInstruction {
  return imm2 === undefined
    ? { opcode, dst, src, offset, imm }
    : { opcode, dst, src, offset, imm, imm2 };
}

Deno.test("verify() types map pointers and makes programs null-check lookups", () => {
  const maps = [createBpfMap({ type: "hash", keySize: 4, valueSize: 8, maxEntries: 4 })];
  const reg = registerMapHelpers(new HelperRegistry(), maps);
  const opts = { helpers: reg, maps };
  const prefix = [
    I(0x62, 10, 0, -4, 1), // stw [r10-4], 1
    I(0x18, 1, 1, 0, 0, 0), // lddw r1, map fd 0
    I(0xbf, 2, 10), // mov r2, r10
    I(0x07, 2, 0, 0, -4), // add r2, -4
    I(0x85, 0, 0, 0, 1), // call map_lookup_elem
  ];
  const checked = programOf([
    ...prefix,
    I(0x15, 0, 0, 1, 0), // jeq r0, 0, +1
    I(0x79, 0, 0, 0, 0), // ldxdw r0, [r0]
    I(0x95),
  ]);
  verifyProgram(checked, opts);
  const unchecked = programOf([...prefix, I(0x79, 0, 0, 0, 0), I(0x95)]);
  assert.throws(
    () => verifyProgram(unchecked, opts),
    /R0 invalid mem access 'map_value_or_null' \(at insn 6\)/,
  );
  const beyond = programOf([...prefix, I(0x15, 0, 0, 1, 0), I(0x79, 0, 0, 4, 0), I(0x95)]);
  assert.throws(
    () => verifyProgram(beyond, opts),
    /invalid access to map value, value_size=8 off=4 size=8/,
  );
  const notMap = programOf([I(0xb7, 1), I(0xbf, 2, 10), I(0x85, 0, 0, 0, 1), I(0x95)]);
  assert.throws(() => verifyProgram(notMap, opts), /R1 type=scalar expected=map_ptr \(at insn 2\)/);
  const keyUnwritten = programOf([
    I(0x18, 1, 1, 0, 0, 0),
    I(0xbf, 2, 10),
    I(0x07, 2, 0, 0, -4),
    I(0x85, 0, 0, 0, 1),
    I(0x95),
  ]);
  assert.throws(
    () => verifyProgram(keyUnwritten, opts),
    /invalid read from stack R2 off=-4 size=4/,
  );
  const badFd = programOf([I(0x18, 1, 1, 0, 5, 0), I(0xb7), I(0x95)]);
  assert.throws(() => verifyProgram(badFd, opts), /fd 5 is not pointing to valid bpf_map/);
});

Deno.test("verify() accepts every case of the conformance suite under cloud", () => {
  const dir = fixture("bpf/conformance/tests");
  if (dir === null) return;
  let count = 0;
  const embeddedRejects: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (!e.name.endsWith(".data")) continue;
    const c = parseBpfConformance(Deno.readTextFileSync(`${dir}/${e.name}`), { name: e.name });
    const prog = decodeProgram(c.raw ?? assemble(c.asm!));
    const input = { kind: "ctx" as const, size: c.mem.length };
    verifyProgram(prog, { helpers, input, profile: CLOUD });
    try {
      verifyProgram(prog, { helpers, input, profile: EMBEDDED });
    } catch (err) {
      assert.match((err as Error).message, /back-edge/);
      embeddedRejects.push(e.name);
    }
    count++;
  }
  assert.equal(count, 313);
  // Only loops separate the profiles on this suite.
  assert.deepEqual(embeddedRejects, ["prime.data"]);
});

Deno.test("every ubpf errors/ case is rejected by the assembler, decoder or verifier", () => {
  const dir = fixture("bpf/ubpf/tests/errors");
  if (dir === null) return;
  const codes: Record<string, string> = {};
  for (const e of Deno.readDirSync(dir)) {
    const c = parseBpfConformance(Deno.readTextFileSync(`${dir}/${e.name}`), { name: e.name });
    try {
      const bytes = c.raw ?? assemble(c.asm!);
      verifyProgram(decodeProgram(bytes), { helpers, input: { kind: "ctx", size: c.mem.length } });
      assert.fail(`${e.name} was accepted`);
    } catch (err) {
      assert.ok(err instanceof BpfError, `${e.name}: ${err}`);
      codes[e.name] = err.code;
    }
  }
  assert.equal(Object.keys(codes).length, 25);
  // What each case is about decides who rejects it.
  assert.equal(codes["err-invalid-reg-dst.data"], "asm");
  assert.equal(codes["err-endian-size.data"], "decode");
  assert.equal(codes["err-lddw-second-half-invalid.data"], "decode");
  for (
    const v of [
      "err-stack-oob.data",
      "err-infinite-loop.data",
      "err-jmp-lddw.data",
      "err-jmp-out.data",
      "err-call-unreg.data",
      "err-call0.data",
      "err-call-invalid-jump.data",
      "err-address-underflow.data",
      "err-too-many-instructions.data",
    ]
  ) assert.equal(codes[v], "verify", v);
});

Deno.test("verify() throws only BpfError on random bytecode", () => {
  const structured = fc.array(
    fc.record({
      opcode: fc.constantFrom(
        0x07,
        0x0f,
        0xb7,
        0xbf,
        0x15,
        0x1d,
        0x05,
        0x95,
        0x85,
        0x61,
        0x63,
        0x7b,
        0x79,
        0x72,
        0x18,
        0xc3,
        0xdb,
        0x34,
        0x3f,
        0xa5,
        0x2d,
        0x84,
        0xd4,
        0xdc,
        0x8d,
        0x20,
        0x40,
      ),
      dst: fc.integer({ min: 0, max: 10 }),
      src: fc.integer({ min: 0, max: 10 }),
      offset: fc.integer({ min: -8, max: 8 }),
      imm: fc.oneof(fc.integer({ min: -16, max: 16 }), fc.integer()),
    }),
    { minLength: 1, maxLength: 24 },
  ).map((list) => {
    const bytes = new Uint8Array(list.length * 8);
    const v = new DataView(bytes.buffer);
    list.forEach((x, k) => {
      bytes[k * 8] = x.opcode;
      bytes[k * 8 + 1] = x.dst | (x.src << 4);
      v.setInt16(k * 8 + 2, x.offset, true);
      v.setInt32(k * 8 + 4, x.imm, true);
    });
    return bytes;
  });
  const random = fc.uint8Array({ minLength: 0, maxLength: 200 });
  for (const arb of [structured, random]) {
    fc.assert(
      fc.property(arb, fc.constantFrom(CLOUD, EMBEDDED), (bytes, profile) => {
        for (const strict of [true, false]) {
          try {
            const prog = decodeProgram(bytes, { strict });
            verifyProgram(prog, { helpers, profile, input: { kind: "ctx", size: 16 } });
          } catch (e) {
            if (!(e instanceof BpfError)) throw e;
          }
        }
      }),
      { numRuns: 1500 },
    );
  }
});

Deno.test("programs the verifier accepts run in the interpreter without memory faults", () => {
  const ops = [
    0x07,
    0x0f,
    0xb7,
    0xbf,
    0x17,
    0x1f,
    0x15,
    0x1d,
    0x25,
    0x2d,
    0xa5,
    0xb5,
    0x55,
    0x05,
    0x61,
    0x69,
    0x71,
    0x79,
    0x62,
    0x6a,
    0x72,
    0x7a,
    0x63,
    0x6b,
    0x73,
    0x7b,
    0x57,
    0x5f,
    0x77,
    0x67,
    0x34,
    0x3f,
    0x97,
    0xbc,
    0xb4,
    0x04,
    0x0c,
    0xc3,
    0xdb,
    0x85,
    0xd4,
    0xdc,
    0x95,
  ];
  // Registers start typed: scalars, the context in R1/R6, stack pointers in R3/R9.
  const prefix: BpfInstruction[] = [
    I(0xb7, 0, 0, 0, 3),
    I(0xb7, 4, 0, 0, 5),
    I(0xb7, 5, 0, 0, 0),
    I(0xbf, 3, 10),
    I(0x07, 3, 0, 0, -16),
    I(0x7a, 10, 0, -8, 7),
    I(0x7a, 10, 0, -16, 9),
    I(0xbf, 6, 1),
    I(0xb7, 7, 0, 0, 2),
    I(0xb7, 8, 0, 0, -1),
    I(0xbf, 9, 10),
  ];
  // Fields made valid for their class, so that most programs decode and the verifier decides.
  const canonical = (x: BpfInstruction): BpfInstruction => {
    const cls = x.opcode & 7, useX = (x.opcode & 8) !== 0;
    if (cls === 4 || cls === 7) {
      if ((x.opcode & 0xf0) === 0xd0) {
        return { ...x, src: 0, offset: 0, imm: [16, 32, 64][Math.abs(x.imm) % 3] };
      }
      return useX ? { ...x, offset: 0, imm: 0 } : { ...x, offset: 0, src: 0 };
    }
    if (x.opcode === 0x85) return I(0x85, 0, 0, 0, [0, 2, 3, 5][Math.abs(x.imm) % 4]); // no pointer-taking helpers
    if (x.opcode === 0x95) return I(0x95);
    if (x.opcode === 0x05) return I(0x05, 0, 0, x.offset % 5);
    if (cls === 5) {
      return useX ? { ...x, offset: x.offset % 5, imm: 0 } : { ...x, offset: x.offset % 5, src: 0 };
    }
    if (cls === 1) return { ...x, imm: 0 };
    if (cls === 2) return { ...x, src: 0 };
    if ((x.opcode & 0xe0) === 0xc0) {
      return {
        ...x,
        imm: [0, 0x40, 0x50, 0xa0, 1, 0x41, 0x51, 0xa1, 0xe1, 0xf1][Math.abs(x.imm) % 10],
      };
    }
    return { ...x, imm: 0 };
  };
  const body = fc.array(
    fc.record({
      opcode: fc.constantFrom(...ops),
      dst: fc.integer({ min: 0, max: 9 }),
      src: fc.integer({ min: 0, max: 10 }),
      offset: fc.integer({ min: -20, max: 20 }),
      imm: fc.oneof(fc.integer({ min: -20, max: 20 }), fc.constantFrom(0, 1, 2, 8, 16, 32, 64)),
    }),
    { minLength: 1, maxLength: 14 },
  );
  let accepted = 0;
  for (const profile of [EMBEDDED, { ...CLOUD, maxVerifierSteps: 20000 }]) {
    fc.assert(
      fc.property(body, (list) => {
        const bytes = encodeProgram([...prefix, ...list.map(canonical), I(0x95)]);
        let prog;
        try {
          prog = decodeProgram(bytes);
          verifyProgram(prog, { helpers, profile, input: { kind: "ctx", size: 16 } });
        } catch (e) {
          if (e instanceof BpfError) return;
          throw e;
        }
        accepted++;
        const run = new BpfInterpreter(prog, {
          helpers,
          stackSize: 8192,
          frameSize: 2048,
          maxCallDepth: 4,
          budget: 10_000_000,
        });
        run.run(new Uint8Array(16)); // must not throw
      }),
      { numRuns: 4000 },
    );
  }
  assert.ok(accepted > 200, `only ${accepted} random programs were accepted`);
});

Deno.test("verify() learns bounds from signed comparisons of non-negative values", () => {
  const ctx = { input: { kind: "ctx" as const, size: 8 } };
  // r3 in [0, 255]; `if r3 s> 7 goto out` bounds it to [0, 7] on the fall-through path.
  ok(
    "ldxb %r3, [%r1]\njsgt %r3, 7, +3\nadd %r1, %r3\nldxb %r0, [%r1]\nexit\nmov %r0, 0\nexit",
    ctx,
  );
  ok(
    "ldxb %r3, [%r1]\njslt %r3, 8, +2\nmov %r0, 0\nexit\nadd %r1, %r3\nldxb %r0, [%r1]\nexit",
    ctx,
  );
  // A value that may be negative in the signed view learns nothing.
  rejects(
    "ldxdw %r3, [%r1]\njsgt %r3, 7, +3\nadd %r1, %r3\nldxb %r0, [%r1]\nexit\nmov %r0, 0\nexit",
    "R1 unbounded memory access, make sure to bounds check any such access",
    2,
    ctx,
  );
});

Deno.test("verify() does not multiply paths on results that no check depends on", () => {
  // n independent `if (p[i] == i) r0 += 1 << i`: 2^n different R0 values.
  const sums = (n: number) => {
    let src = "mov %r0, 0\n";
    for (let i = 0; i < n; i++) {
      src += `ldxb %r3, [%r1+${i}]\njne %r3, ${i}, +1\nadd %r0, ${1 << i}\n`;
    }
    return src;
  };
  const pkt = { input: { kind: "packet" as const, size: 64 } };
  const r = ok(sums(24) + "exit", pkt);
  assert.ok(r.steps < 1000, `${r.steps} steps`);
  // When a check depends on the sum, its values are kept apart and the one bad path is found.
  rejects(
    sums(8) + "jne %r0, 6, +1\nldxb %r0, [%r1+100]\nexit",
    "invalid access to packet, off=100 size=1, max packet size 64",
    26,
    pkt,
  );
});

Deno.test("the benchmark programs (long bounded loops) verify under cloud only", async () => {
  const { BPF_BENCHMARKS } = await import("../../lib/testing/bpf_benchmarks.ts");
  for (const b of BPF_BENCHMARKS) {
    const prog = decodeProgram(assemble(b.source));
    const input = { kind: "ctx" as const, size: b.memory().length };
    const r = verifyProgram(prog, { helpers, input, profile: CLOUD });
    assert.equal(r.hasLoops, true, b.name);
    assert.throws(
      () => verifyProgram(prog, { helpers, input, profile: EMBEDDED }),
      /back-edge/,
      b.name,
    );
  }
});

Deno.test("verify() rejects a byte swap of a width other than 16, 32 or 64 in a leniently decoded program", () => {
  for (const width of [0, 8, 100000, 0x7fffffff, -64]) {
    const bytes = new Uint8Array(24);
    const v = new DataView(bytes.buffer);
    bytes[0] = 0xb7; // mov r0, 5
    v.setInt32(4, 5, true);
    bytes[8] = 0xdc; // be r0, width
    v.setInt32(12, width, true);
    bytes[16] = 0x95; // exit
    const prog = decodeProgram(bytes, { strict: false });
    assert.throws(() => verifyProgram(prog, { profile: CLOUD }), /byte swap width/);
  }
});
