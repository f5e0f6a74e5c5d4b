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
import { createBpfMap } from "../../lib/bpf/map_create.ts";
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

Deno.test("verify() ends quickly on fields that only lenient decoding lets through", () => {
  // `be` with a width of 410,000,602: it once made the verifier build a 50 MB number and loop
  // for ever. Like Linux and the engines, the verifier now refuses such an instruction.
  const odd = decodeProgram(
    new Uint8Array([220, 34, 254, 255, 218, 28, 112, 24, 149, 150, 5, 0, 248, 255, 255, 255]),
    { strict: false },
  );
  assert.throws(
    () => verifyProgram(odd, { helpers, input: { kind: "ctx", size: 16 } }),
    /Invalid byte swap width 410000602/,
  );
  assert.throws(() => new BpfInterpreter(odd), /Invalid byte swap width/);
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
    0x27,
    0x37,
    0x47,
    0x4f,
    0x57,
    0x5f,
    0x67,
    0x77,
    0x87,
    0x97,
    0xa7,
    0xc7,
    0x04,
    0x0c,
    0x14,
    0x24,
    0x54,
    0x64,
    0x74,
    0x84,
    0xa4,
    0xc4,
    0xbc,
    0xb4,
    0x15,
    0x1d,
    0x25,
    0x2d,
    0x35,
    0xa5,
    0xad,
    0xb5,
    0x55,
    0x65,
    0x6d,
    0x75,
    0xc5,
    0xcd,
    0xd5,
    0x16,
    0x26,
    0x66,
    0xa6,
    0xc6,
    0x05,
    0x61,
    0x69,
    0x71,
    0x79,
    0x81,
    0x89,
    0x91,
    0x62,
    0x6a,
    0x72,
    0x7a,
    0x63,
    0x6b,
    0x73,
    0x7b,
    0x34,
    0x3f,
    0xc3,
    0xdb,
    0x85,
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
    I(0x7b, 10, 6, -24), // the context pointer and a stack pointer, spilled
    I(0x7b, 10, 9, -32),
  ];
  // Half the programs end by reloading the spilled pointers and reading through them: accepted
  // only if nothing in between (a store, a helper) may have overwritten them.
  const reload: BpfInstruction[] = [
    I(0x79, 7, 10, -24), // ldxdw r7, [r10-24]
    I(0x71, 0, 7, 15), // ldxb r0, [r7+15]
    I(0x79, 8, 10, -32), // ldxdw r8, [r10-32]
    I(0x79, 0, 8, -8), // ldxdw r0, [r8-8]
  ];
  // Fields made valid for their class, so that most programs decode and the verifier decides.
  const canonical = (x: BpfInstruction): BpfInstruction => {
    const cls = x.opcode & 7, useX = (x.opcode & 8) !== 0;
    if (cls === 4 || cls === 7) {
      if ((x.opcode & 0xf0) === 0xd0) {
        return { ...x, src: 0, offset: 0, imm: [16, 32, 64][Math.abs(x.imm) % 3] };
      }
      // Signed division and modulo (offset 1), sign-extending moves (offset 8, 16, 32).
      const op = x.opcode & 0xf0, k = Math.abs(x.offset);
      const offset = op === 0x30 || op === 0x90
        ? k % 2
        : x.opcode === 0xbf
        ? [0, 8, 16, 32][k % 4]
        : x.opcode === 0xbc
        ? [0, 8, 16][k % 3]
        : 0;
      return useX ? { ...x, offset, imm: 0 } : { ...x, offset, src: 0 };
    }
    // Helpers: numbers only (0, 2, 3, 5), memfrob of R2 bytes at R1 (1), and 6, which has no
    // prototype and overwrites the whole stack with garbage.
    if (x.opcode === 0x85) return I(0x85, 0, 0, 0, [0, 1, 2, 3, 5, 6][Math.abs(x.imm) % 6]);
    if (x.opcode === 0x95) return I(0x95);
    if (x.opcode === 0x05) return I(0x05, 0, 0, x.offset % 5);
    if (cls === 5 || cls === 6) {
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
  const withScribble = bpfConformanceHelpers().register(6, "scribble", (_a, _b, _c, _d, _e, c) => {
    c.memory.stack.fill(0xa5);
    return 0n;
  });
  let accepted = 0;
  for (const profile of [EMBEDDED, { ...CLOUD, maxVerifierSteps: 20000 }]) {
    fc.assert(
      fc.property(body, fc.constantFrom(0, 1, 2), (list, ending) => {
        // 0: exit; 1: reload the spills; 2: call a function with a branch (paths that differ
        // only in the caller meet in it), then read through R6 (the context, unless changed).
        const code = [...prefix, ...list.map(canonical)];
        if (ending === 1) code.push(...reload);
        if (ending === 2) code.push(I(0x85, 0, 1, 0, 3), I(0xbf, 7, 6), I(0x71, 0, 7, 15));
        code.push(I(0x95));
        if (ending === 2) code.push(I(0xb7, 0), I(0x15, 0, 0, 0, 0), I(0x95));
        const bytes = encodeProgram(code);
        let prog;
        try {
          prog = decodeProgram(bytes);
          verifyProgram(prog, { helpers: withScribble, profile, input: { kind: "ctx", size: 16 } });
        } catch (e) {
          if (e instanceof BpfError) return;
          throw e;
        }
        accepted++;
        const run = new BpfInterpreter(prog, {
          helpers: withScribble,
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

/** Issue #16's programs: an 8-instruction loop that writes `bytes` of stack, 8 at a time. */
const stackLoop = (bytes: number) =>
  `mov %r1, %r10\nmov %r2, 0\nl:\nadd %r1, -8\nstxdw [%r1], %r2\nadd %r2, 1\njlt %r2, ${
    bytes / 8
  }, l\nmov %r0, 0\nexit`;
/** 32 KiB of stores, then an empty loop of 200,000 passes. */
const storesThenLoop = `mov %r1, %r10\nmov %r2, 0\nl1:\nadd %r1, -8\nstdw [%r1], 0\nadd %r2, 1
jlt %r2, 4096, l1\nmov %r3, 0\nl2:\nadd %r3, 1\njlt %r3, 200000, l2\nmov %r0, 0\nexit`;

Deno.test("verify() walks loops over a large stack keeping only what changed", () => {
  // These took 75 s and 2.3 GB (64 KiB) or exhausted the heap (512 KiB, and 32 KiB + loop).
  for (const bytes of [65536, 524288]) {
    const r = ok(stackLoop(bytes));
    assert.equal(r.frameStack, bytes);
    assert.equal(r.steps, 4 * (bytes / 8) + 4);
    assert.ok(r.peakStateBytes < 48 * 1024 * 1024, `${r.peakStateBytes} bytes of states`);
  }
  const r = ok(storesThenLoop);
  assert.equal(r.steps, 4 * 4096 + 3 + 2 * 200000 + 2);
  assert.ok(r.peakStateBytes < 16 * 1024 * 1024, `${r.peakStateBytes} bytes of states`);
});

Deno.test("verify() rejects a walk over its budget as too complex: steps, time, memory", () => {
  const unbounded = assemble("mov %r0, 0\nldxdw %r1, [%r1]\nl:\nadd %r0, 1\njlt %r0, %r1, l\nexit");
  const input = { kind: "ctx" as const, size: 8 };
  const tooComplex = (options: VerifyOptions, message: RegExp) =>
    assert.throws(() => verifyProgram(unbounded, { helpers, input, ...options }), (e: unknown) => {
      assert.ok(e instanceof BpfError, String(e));
      assert.equal(e.code, "too-complex");
      assert.match(e.message, message);
      return true;
    });
  tooComplex(
    { profile: { ...CLOUD, maxVerifierSteps: 5000 } },
    /^BPF program is too large\. Processed 5001 insn \(limit 5000, the cloud profile's verifier budget\)/,
  );
  // A clock that advances 10 ms each time it is read: the walk stops after about 1 s of it.
  let now = 0;
  tooComplex(
    { maxMillis: 1000, clock: () => (now += 10) },
    /^BPF program is too complex: verification took more than 1000 ms; processed \d+ insns \(time limit 1000 ms\)/,
  );
  assert.ok(now > 1000 && now < 1100, `${now}`);
  tooComplex(
    { maxStateBytes: 200_000 },
    /^BPF program is too complex: the states to explore need more than 200000 bytes; processed \d+ insns \(memory limit 200000 bytes\)/,
  );
});

Deno.test("verify() stops a path whose state an explored state includes", () => {
  // 30 diamonds: the fall-through side leaves R5 in [0, 7], the taken side R5 = 3; each is kept
  // in a stack slot and used as an offset at the end. Without inclusion: 2^30 paths.
  let src = "";
  for (let k = 0; k < 30; k++) {
    src += `ldxb %r5, [%r1+${k}]\njeq %r5, 3, +1\nand %r5, 7\nstxdw [%r10-${8 * (k + 1)}], %r5\n`;
  }
  for (let k = 0; k < 30; k++) {
    src += `ldxdw %r5, [%r10-${8 * (k + 1)}]\nmov %r6, %r1\nadd %r6, %r5\nldxb %r0, [%r6+0]\n`;
  }
  const r = ok(src + "exit", { input: { kind: "ctx", size: 40 } });
  assert.ok(r.steps < 500, `${r.steps} steps`);
  assert.equal(r.pathsPruned, 30);
  // An offset one larger on the taken side is not included, and is found out of bounds.
  const wide = src.replace("jeq %r5, 3, +1\nand %r5, 7", "jeq %r5, 40, +1\nand %r5, 7");
  rejects(wide + "exit", "invalid bpf_context access off=40 size=1 (context size 40)", 123, {
    input: { kind: "ctx", size: 40 },
  });
});

Deno.test("verify() bounds a value by signed comparisons on both sides (if r3 s< 0, if r3 s> 7)", () => {
  const ctx = { input: { kind: "ctx" as const, size: 8 } };
  const use = "add %r1, %r3\nldxb %r0, [%r1]\nexit\nout:\nmov %r0, 0\nexit";
  ok(`ldxdw %r3, [%r1]\njslt %r3, 0, out\njsgt %r3, 7, out\n${use}`, ctx);
  ok(`ldxdw %r3, [%r1]\njsgt %r3, 7, out\njslt %r3, 0, out\n${use}`, ctx);
  ok(`ldxdw %r3, [%r1]\njsgt %r3, 7, out\njsge %r3, 0, +1\nja out\n${use}`, ctx);
  ok(`ldxw %r3, [%r1]\njslt32 %r3, 0, out\njsgt32 %r3, 7, out\n${use}`, ctx);
  // Compared with a register holding a bound.
  ok(`ldxdw %r3, [%r1]\nmov %r4, 8\njsge %r3, %r4, out\njslt %r3, 0, out\n${use}`, ctx);
  // One side only is not a bound.
  rejects(
    `ldxdw %r3, [%r1]\njsgt %r3, 7, out\n${use}`,
    "R1 unbounded memory access, make sure to bounds check any such access",
    2,
    ctx,
  );
  // A negative bound is a negative offset: before the start of the context.
  rejects(
    `ldxdw %r3, [%r1]\njsgt %r3, 7, out\njslt %r3, -2, out\n${use}`,
    "invalid bpf_context access off=-2 size=1 (context size 8)",
    4,
    ctx,
  );
});

Deno.test("verify() keeps a loop counter spilled to a 4-byte stack slot (clang -O0)", () => {
  // clang -O0 -target bpf: for (int i = 0; i < 16; i++) s += p[i]; i and s live in the stack.
  const clangO0 = `
    stxdw [%r10-8], %r1
    mov %r1, 0
    stxw [%r10-12], %r1
    stxw [%r10-16], %r1
    ja l1
  l1:
    ldxw %r1, [%r10-16]
    lsh %r1, 32
    arsh %r1, 32
    jsgt %r1, 15, l4
    ja l2
  l2:
    ldxdw %r1, [%r10-8]
    ldxw %r2, [%r10-16]
    lsh %r2, 32
    arsh %r2, 32
    add %r1, %r2
    ldxb %r2, [%r1]
    ldxw %r1, [%r10-12]
    add %r1, %r2
    stxw [%r10-12], %r1
    ja l3
  l3:
    ldxw %r1, [%r10-16]
    add %r1, 1
    stxw [%r10-16], %r1
    ja l1
  l4:
    ldxw %r0, [%r10-12]
    exit`;
  const r = ok(clangO0, { input: { kind: "ctx", size: 16 } });
  assert.equal(r.hasLoops, true);
  // One byte short: the last pass reads past the context.
  rejects(clangO0, "invalid bpf_context access off=15 size=1 (context size 15)", 15, {
    input: { kind: "ctx", size: 15 },
  });
  // Narrow constant stores are remembered too, and read back in pieces.
  ok(
    "stw [%r10-8], 3\nsth [%r10-4], 1\nsth [%r10-2], 0\nldxdw %r2, [%r10-8]\nlddw %r3, 0x100000003\njeq %r2, %r3, +1\nldxb %r0, [%r1+99]\nmov %r0, 0\nexit",
    {
      input: { kind: "ctx", size: 8 },
    },
  );
});

/** Spills the input pointer to [r10-8], calls `call`, reloads it and reads through it. */
const spillCallReload = (call: string) =>
  `stxdw [%r10-8], %r1\nstdw [%r10-16], 0\n${call}\nldxdw %r1, [%r10-8]\nldxb %r0, [%r1]\nexit`;

Deno.test("verify() forgets a spilled pointer that a helper may overwrite", () => {
  const ctx = { input: { kind: "ctx" as const, size: 8 } };
  // memfrob (conformance helper 1) XORs the 8 bytes holding the spilled pointer.
  const frob = spillCallReload("mov %r1, %r10\nadd %r1, -8\nmov %r2, 8\ncall 1");
  rejects(frob, "R1 invalid mem access 'scalar'", 7, ctx);
  // It used to be accepted; running it shows why it must not be: the pointer is garbage.
  assert.throws(
    () => new BpfInterpreter(decodeProgram(assemble(frob)), { helpers }).run(new Uint8Array(8)),
    (e: unknown) => e instanceof BpfError && e.code === "memory",
  );
  // Writing 8 bytes below the spill leaves it alone.
  ok(spillCallReload("mov %r1, %r10\nadd %r1, -16\nmov %r2, 8\ncall 1"), ctx);
  // A size the verifier can only bound reaches as far as its bound.
  const sized = (mask: number) =>
    spillCallReload(
      `ldxb %r2, [%r1+0]\nand %r2, ${mask}\nmov %r1, %r10\nadd %r1, -16\ncall 1`,
    );
  ok(sized(7), ctx);
  rejects(sized(15), "R1 invalid mem access 'scalar'", 8, ctx);
  rejects(
    spillCallReload("ldxdw %r2, [%r1+0]\nmov %r1, %r10\nadd %r1, -16\ncall 1"),
    "R2 unbounded memory access, use 'var &= const' or 'if (var < const)'",
    5,
    ctx,
  );
  // A helper registered without a prototype may write anywhere in the stack, even given nothing.
  const scribble = new HelperRegistry().register(9, "scribble", (_a, _b, _c, _d, _e, c) => {
    c.memory.stack.fill(0xa5);
    return 0n;
  });
  const scribbled = spillCallReload("call 9");
  assert.throws(
    () => verifyProgram(assemble(scribbled), { helpers: scribble, ...ctx }),
    /R1 invalid mem access 'scalar' \(at insn 4\)/,
  );
  assert.throws(
    () =>
      new BpfInterpreter(decodeProgram(assemble(scribbled)), { helpers: scribble }).run(
        new Uint8Array(8),
      ),
    (e: unknown) => e instanceof BpfError && e.code === "memory",
  );
  // Declared as reading 16 bytes at R1 and nothing else, the spill survives the call.
  const reader = new HelperRegistry().register(9, "digest", () => 0n, {
    args: [{ mem: "read", size: 16 }],
  });
  verifyProgram(assemble(spillCallReload("mov %r1, %r10\nadd %r1, -16\ncall 9")), {
    helpers: reader,
    ...ctx,
  });
  // … and must be given 16 written bytes.
  assert.throws(
    () =>
      verifyProgram(assemble(spillCallReload("mov %r1, %r10\nadd %r1, -24\ncall 9")), {
        helpers: reader,
        ...ctx,
      }),
    /invalid read from stack R1 off=-24 size=16/,
  );
});

Deno.test("verify() checks helper arguments against their prototypes", () => {
  const reg = new HelperRegistry()
    .register(10, "num", () => 0n, { args: ["scalar", "anything"] })
    .register(11, "ctx_len", () => 0n, { args: ["ctx"] })
    .register(12, "fill", () => 0n, { args: [{ mem: "write" }, "size"] })
    .register(13, "str", () => 0n, { args: ["string"] });
  const opts = { helpers: reg, input: { kind: "ctx" as const, size: 8 } };
  const check = (src: string, message: string | null) => {
    const run = () => verifyProgram(assemble(src), opts);
    if (message === null) run();
    else assert.throws(run, (e: unknown) => e instanceof BpfError && e.message === message);
  };
  check("mov %r1, 1\nmov %r2, %r10\ncall 10\nexit", null);
  check("mov %r1, %r10\nmov %r2, 1\ncall 10\nexit", "R1 type=fp expected=scalar (at insn 2)");
  check("mov %r1, 1\nmov %r2, 1\ncall 10\nmov %r1, 1\ncall 10\nexit", "R2 !read_ok (at insn 4)");
  check("call 11\nexit", null);
  check(
    "add %r1, 1\ncall 11\nexit",
    "dereference of modified ctx ptr R1 off=1 disallowed (at insn 1)",
  );
  check("mov %r1, 0\ncall 11\nexit", "R1 type=scalar expected=ctx (at insn 1)");
  // A written region need not be initialised; the helper's bytes then are.
  check(
    "mov %r1, %r10\nadd %r1, -8\nmov %r2, 8\ncall 12\nldxdw %r0, [%r10-8]\nexit",
    null,
  );
  check(
    "mov %r1, %r10\nadd %r1, -8\nmov %r2, 0\ncall 12\nexit",
    "R2 invalid zero-sized read: u64=[0,0] (at insn 3)",
  );
  check(
    "mov %r1, %r10\nadd %r1, -8\nmov %r2, 9\ncall 12\nexit",
    "invalid write to stack R1 off=-8 size=9 (at insn 3)",
  );
  check(
    "mov %r1, 5\nmov %r2, 8\ncall 12\nexit",
    "R1 type=scalar expected=fp, pkt, map_value, mem (at insn 2)",
  );
  check("stb [%r10-1], 0\nmov %r1, %r10\nadd %r1, -1\ncall 13\nexit", null);
  check(
    "mov %r1, %r10\nadd %r1, -1\ncall 13\nexit",
    "invalid read from stack R1 off=-1 size=1 (at insn 2)",
  );
});

Deno.test("verify() types a user helper that returns a map value or null", () => {
  const maps = [createBpfMap({ type: "array", keySize: 4, valueSize: 16, maxEntries: 2 })];
  const reg = new HelperRegistry().register(20, "first", () => 0n, {
    args: ["map"],
    returns: "map-value-or-null",
  });
  const opts = { helpers: reg, maps };
  const prog = (body: string) =>
    assemble(`lddw %r1, 0, map_fd\ncall 20\n${body}\nmov %r0, 0\nexit`);
  verifyProgram(prog("jeq %r0, 0, +1\nldxdw %r2, [%r0+8]"), opts);
  assert.throws(
    () => verifyProgram(prog("ldxdw %r2, [%r0+8]"), opts),
    /R0 invalid mem access 'map_value_or_null'/,
  );
  assert.throws(
    () => verifyProgram(prog("jeq %r0, 0, +1\nldxdw %r2, [%r0+9]"), opts),
    /invalid access to map value, value_size=16 off=9 size=8/,
  );
});

Deno.test("verify() compares a caller's registers where the caller continues", () => {
  // Both sides of the diamond call f with a different R6; inside f the states are alike, but
  // R6 is live in the caller after the call: the second side must not be pruned in f.
  const src = `
    mov %r8, %r1
    ldxb %r6, [%r1+0]
    jeq %r6, 0, +2
    mov %r6, 1
    ja +1
    mov %r6, 100
    call local f
    mov %r7, %r8
    add %r7, %r6
    ldxb %r0, [%r7+0]
    exit
  f:
    jeq %r1, 0, +0
    mov %r0, 0
    exit`;
  rejects(src, "invalid bpf_context access off=100 size=1 (context size 8)", 9, {
    input: { kind: "ctx", size: 8 },
  });
  ok(src.replace("mov %r6, 100", "mov %r6, 7"), { input: { kind: "ctx", size: 8 } });
});
