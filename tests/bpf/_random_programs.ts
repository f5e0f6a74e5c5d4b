/**
 * Random eBPF programs for differential tests of the execution engines: valid programs that
 * exercise arithmetic, stack memory, atomics and forward jumps, and sequences of random
 * instructions with known opcodes (any jumps, any registers).
 *
 * @module
 */
import fc from "fast-check";
import { type BpfInstruction, checkInstruction, programOf } from "../../lib/bpf/instruction.ts";
import type { BpfProgram } from "../../lib/bpf/instruction.ts";
import { BpfError } from "../../lib/bpf/bpf_error.ts";

const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0];
const JMP_OPS = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
const interesting = fc.oneof(
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  fc.constantFrom(0, 1, -1, 31, 32, 63, 64, 0x7fffffff, -0x80000000, 16, 8),
);

// Few registers, so that instructions often consume what the previous ones produced.
const REG = fc.integer({ min: 0, max: 4 });
const SRC = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(10));

/** One random instruction "template"; jumps get their offsets fixed later. */
const insnArb: fc.Arbitrary<BpfInstruction[]> = fc.oneof(
  // ALU / ALU64, K or X
  fc.record({
    wide: fc.boolean(),
    op: fc.constantFrom(...ALU_OPS),
    x: fc.boolean(),
    dst: REG,
    src: SRC,
    imm: interesting,
    signed: fc.boolean(),
    sx: fc.constantFrom(0, 8, 16, 32),
  }).map(({ wide, op, x, dst, src, imm, signed, sx }) => {
    const cls = wide ? 7 : 4;
    if (op === 0x80) return [{ opcode: cls | 0x80, dst, src: 0, offset: 0, imm: 0 }];
    let offset = 0;
    if ((op === 0x30 || op === 0x90) && signed) offset = 1;
    if (op === 0xb0 && x) offset = wide ? sx : sx === 32 ? 0 : sx;
    return [{
      opcode: cls | op | (x ? 8 : 0),
      dst,
      src: x ? src : 0,
      offset,
      imm: x ? 0 : imm,
    }];
  }),
  // byte swaps
  fc.record({
    op: fc.constantFrom(0xd4, 0xdc, 0xd7),
    dst: REG,
    w: fc.constantFrom(16, 32, 64),
  }).map(({ op, dst, w }) => [{ opcode: op, dst, src: 0, offset: 0, imm: w }]),
  // lddw
  fc.record({ dst: REG, lo: interesting, hi: interesting }).map((
    { dst, lo, hi },
  ) => [{ opcode: 0x18, dst, src: 0, offset: 0, imm: lo, imm2: hi }]),
  // stack store then load (stx/st/ldx/ldxs), aligned slots in [-64, -8], then a use
  fc.record({
    size: fc.constantFrom(0x00, 0x08, 0x10, 0x18),
    slot: fc.integer({ min: 1, max: 8 }),
    reg: REG,
    imm: interesting,
    useImm: fc.boolean(),
    sx: fc.boolean(),
    use: fc.constantFrom(0x0f, 0x1f, 0x2f, 0x3f, 0x9f, 0xaf, 0x5f, 0x4f),
    user: REG,
  }).map(({ size, slot, reg, imm, useImm, sx, use, user }) => {
    const store: BpfInstruction = useImm
      ? { opcode: 0x62 | size, dst: 10, src: 0, offset: -8 * slot, imm }
      : { opcode: 0x63 | size, dst: 10, src: reg, offset: -8 * slot, imm: 0 };
    const loadOp = sx && size !== 0x18 ? 0x81 | size : 0x61 | size;
    // ... and an instruction that consumes the loaded value right away (same basic block).
    return [
      store,
      { opcode: loadOp, dst: reg, src: 10, offset: -8 * slot, imm: 0 },
      { opcode: use, dst: user, src: reg, offset: 0, imm: 0 },
    ];
  }),
  // atomics on an initialised stack slot
  fc.record({
    wide: fc.boolean(),
    imm: fc.constantFrom(0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1),
    slot: fc.integer({ min: 1, max: 8 }),
    src: fc.integer({ min: 1, max: 4 }),
  }).map(({ wide, imm, slot, src }) => [
    { opcode: 0x7b, dst: 10, src, offset: -8 * slot, imm: 0 },
    { opcode: wide ? 0xdb : 0xc3, dst: 10, src, offset: -8 * slot, imm },
  ]),
  // forward conditional jump (offset fixed up later) or ja32
  fc.record({
    j32: fc.boolean(),
    op: fc.constantFrom(...JMP_OPS),
    x: fc.boolean(),
    dst: REG,
    src: SRC,
    imm: interesting,
    skip: fc.integer({ min: 0, max: 4 }),
  }).map(({ j32, op, x, dst, src, imm, skip }) => [{
    opcode: (j32 ? 6 : 5) | op | (x ? 8 : 0),
    dst,
    src: x ? src : 0,
    offset: skip,
    imm: x ? 0 : imm,
  }]),
);

const smallOrAny = fc.oneof(fc.integer({ min: 0, max: 300 }), interesting);
/** Random valid programs: r0–r9 initialised, then random groups, then all folded into r0. */
export const programArb: fc.Arbitrary<BpfInstruction[]> = fc.tuple(
  fc.array(insnArb, { minLength: 1, maxLength: 40 }),
  fc.array(smallOrAny, { minLength: 10, maxLength: 10 }),
).map(([groups, inits]) => {
  const init: BpfInstruction[] = [];
  for (let r = 0; r <= 9; r++) {
    init.push({ opcode: 0xb7, dst: r, src: 0, offset: 0, imm: inits[r] });
  }
  const body = [...init, ...groups.flat()];
  // Fix jumps: a forward offset counted in slots, clamped to land on the final exit at most.
  const slots: number[] = [];
  let s = 0;
  for (const i of body) {
    slots.push(s);
    s += i.opcode === 0x18 ? 2 : 1;
  }
  const exitSlot = s;
  body.forEach((i, k) => {
    const cls = i.opcode & 7;
    if (cls === 5 || cls === 6) {
      // Jump to the start of instruction k+1+skip (or the exit).
      const targetIdx = k + 1 + i.offset;
      const target = targetIdx < body.length ? slots[targetIdx] : exitSlot;
      i.offset = target - slots[k] - 1;
    }
  });
  // Fold every register into r0 (rotating) so that all of them are compared.
  for (let r = 1; r <= 9; r++) {
    body.push({ opcode: 0x27, dst: 0, src: 0, offset: 0, imm: 0x01000193 });
    body.push({ opcode: 0xaf, dst: 0, src: r, offset: 0, imm: 0 });
  }
  body.push({ opcode: 0x95, dst: 0, src: 0, offset: 0, imm: 0 });
  return body;
});

/** A run's outcome: `value N` or `error CODE`. */
export function outcome(make: () => { run(m?: Uint8Array): bigint }): string {
  try {
    return `value ${make().run()}`;
  } catch (e) {
    if (e instanceof BpfError) return `error ${e.code}`;
    throw e;
  }
}

const KNOWN_OPCODES = Array.from({ length: 256 }, (_, i) => i).filter((op) =>
  !/Unknown opcode/.test(
    checkInstruction({ opcode: op, dst: 0, src: 0, offset: 0, imm: 16 }) ?? "",
  )
);

/** Zeroes fields until the instruction is valid (RFC 9669 unused fields). */
function sanitize(i: BpfInstruction): BpfInstruction {
  for (const f of ["offset", "src", "imm", "dst"] as const) {
    if (checkInstruction(i) === null) return i;
    if (f === "offset" && (i.opcode & 0xf0) === 0xb0 && (i.opcode & 8)) i.offset = 8;
    else i[f] = 0;
  }
  if (checkInstruction(i) !== null) i.imm = 16;
  return i;
}

/** Random instruction sequences with known opcodes, jumps wrapped into the program, an exit. */
export const knownOpcodeProgramArb: fc.Arbitrary<BpfProgram> = fc.array(
  fc.record({
    opcode: fc.constantFrom(...KNOWN_OPCODES),
    dst: fc.integer({ min: 0, max: 10 }),
    src: fc.integer({ min: 0, max: 10 }),
    offset: fc.oneof(fc.integer({ min: -8, max: 8 }), fc.constantFrom(0, 1, 8, 16, 32, -512)),
    imm: fc.oneof(interesting, fc.constantFrom(0, 1, 16, 32, 64, 0xe1, 0xf1, 0x41)),
    imm2: interesting,
  }),
  { minLength: 1, maxLength: 30 },
).map((insns) => {
  const list: BpfInstruction[] = insns.map((i) =>
    sanitize(i.opcode === 0x18 ? { ...i, src: 0, offset: 0 } : { ...i, imm2: undefined })
  );
  // Keep jumps inside the program most of the time: wrap targets into range.
  const n = list.reduce((s, i) => s + (i.opcode === 0x18 ? 2 : 1), 0) + 1;
  let slot = 0;
  for (const i of list) {
    const cls = i.opcode & 7;
    if ((cls === 5 || cls === 6) && ![0x85, 0x8d, 0x95].includes(i.opcode)) {
      const field = i.opcode === 0x06 ? "imm" : "offset";
      const t = ((slot + 1 + i[field]) % n + n) % n;
      i[field] = t - slot - 1;
    }
    slot += i.opcode === 0x18 ? 2 : 1;
  }
  list.push({ opcode: 0x95, dst: 0, src: 0, offset: 0, imm: 0 });
  return programOf(list);
});

/** 64-bit values around the limits the JIT's fast loops assume (2^31, 2^32, 0, negatives). */
const loopValue = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.constantFrom(
    0x7fffffff,
    0x7ffffff0,
    0x7fffff00,
    0x80000000,
    0xffffffff,
    0xfffffff0,
    0x100000000,
    0x10000,
    0xffff,
    0xfffff,
    46340,
    46341,
    -1,
    -8,
    -0x80000000,
  ),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
);
const VREG = fc.constantFrom(1, 2, 3, 4);
const ALU_NAMES = ["add", "sub", "mul", "div", "mod", "and", "or", "xor", "lsh", "rsh", "arsh"];
const JMP_NAMES = [
  "jeq",
  "jne",
  "jgt",
  "jge",
  "jlt",
  "jle",
  "jsgt",
  "jsge",
  "jslt",
  "jsle",
  "jset",
];
const SIZES = ["b", "h", "w", "dw"];

/** Memory of 64-bit words around 2^31, 2^32, 2^53 and negative (little-endian). */
const wordMemory: fc.Arbitrary<Uint8Array> = fc.array(
  fc.constantFrom(
    0n,
    5n,
    0x7ffffff0n,
    0x7fffffffn,
    0xfffffff0n,
    0xffffffffn,
    0x1_0000_0000n,
    2n ** 53n - 8n,
    2n ** 53n,
    -1n,
    -0x80000000n,
    -(2n ** 53n),
  ),
  { minLength: 0, maxLength: 16 },
).map((words) => {
  const mem = new Uint8Array(words.length * 8);
  const view = new DataView(mem.buffer);
  words.forEach((w, i) => view.setBigUint64(i * 8, BigInt.asUintN(64, w), true));
  return mem;
});

/** One instruction of a loop body (assembler text). */
const loopInsnArb: fc.Arbitrary<string> = fc.oneof(
  // Narrow ranges that let the fast loops drop guards, and operations that then need them.
  {
    weight: 3,
    arbitrary: fc.tuple(
      fc.constantFrom("and", "rsh", "mod", "div"),
      VREG,
      fc.constantFrom(0xff, 0xffff, 0x7fff, 46340, 46341, 0xfffff, 1, 8, 16, 24, 31),
    ).map(([op, d, k]) => `${op} %r${d}, ${k}`),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(fc.constantFrom("mul", "add", "sub", "lsh"), VREG, VREG).map((
      [op, d, s],
    ) => `${op} %r${d}, %r${s}`),
  },
  {
    weight: 6,
    arbitrary: fc.tuple(
      fc.boolean(),
      fc.constantFrom(...ALU_NAMES),
      VREG,
      fc.oneof(
        VREG.map((r) => `%r${r}`),
        loopValue.map((v) => String(v | 0)),
        fc.integer({ min: 0, max: 40 }).map(String),
      ),
    ).map(([w, op, d, b]) => `${op}${w ? "" : "32"} %r${d}, ${b}`),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(
      VREG,
      fc.oneof(VREG.map((r) => `%r${r}`), loopValue.map((v) => String(v | 0))),
    ).map(([d, b]) => `mov %r${d}, ${b}`),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom(...SIZES), VREG, fc.integer({ min: -9, max: 20 })).map((
      [s, d, o],
    ) => `ldx${s} %r${d}, [%r6${o < 0 ? "" : "+"}${o}]`),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(...SIZES), VREG, fc.integer({ min: -9, max: 20 })).map((
      [s, v, o],
    ) => `stx${s} [%r6${o < 0 ? "" : "+"}${o}], %r${v}`),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(VREG, fc.constantFrom(8, 16)).map(([v, o]) =>
      `stxdw [%r10-${o}], %r${v}\nldxw %r${v}, [%r10-${o}]`
    ),
  },
  // A stack store and a reload (same or another size and place, maybe after another store).
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.constantFrom(...SIZES),
      fc.constantFrom(...SIZES),
      VREG,
      VREG,
      fc.constantFrom(4, 8, 12),
      fc.constantFrom(4, 8, 12),
      fc.constantFrom("", "", "", "stxb [%r10-8], %r1", "mov %r2, 9", "mov %r3, %r10"),
      fc.boolean(),
    ).map(([s1, s2, v, d, o1, o2, mid, same]) =>
      `stx${s1} [%r10-${o1}], %r${v}\n${mid}\nldx${same ? s1 : s2} %r${d}, [%r10-${same ? o1 : o2}]`
    ),
  },
  // A table slot in the memory addressed by a masked index plus the pointer, then 64-bit
  // arithmetic on what it holds (values around 2^31, 2^32, 2^53 and negative from the memory).
  {
    weight: 2,
    arbitrary: fc.tuple(
      VREG,
      VREG,
      VREG,
      fc.constantFrom(3, 7, 15),
      fc.constantFrom(0, 3),
      fc.constantFrom(...SIZES),
      fc.constantFrom("add", "sub", "xor", "mul"),
    ).map(([a, d, v, mask, sh, size, op]) =>
      `mov %r${d}, %r${a}\nand %r${d}, ${mask}\nlsh %r${d}, ${sh}\nadd %r${d}, %r6\n` +
      `ldx${size} %r${v}, [%r${d}]\n${op} %r${v}, %r5\nstx${size} [%r${d}], %r${v}`
    ),
  },
  { weight: 1, arbitrary: VREG.map((d) => `add %r${d}, %r6`) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 2, 8, -1, 3).map((k) => `add %r6, ${k}`) },
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.constantFrom(...JMP_NAMES),
      VREG,
      fc.oneof(VREG.map((r) => `%r${r}`), loopValue.map((v) => String(v | 0))),
    ).map(([j, d, b]) => `${j} %r${d}, ${b}, out`),
  },
);

/**
 * A loop body item: an instruction, or a forward jump inside the body (an `if` or an
 * `if`/`else` diamond; labels `FWD` and `ELS` are made unique by the program).
 */
const loopItemArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: loopInsnArb },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constantFrom(...JMP_NAMES),
      VREG,
      fc.oneof(VREG.map((r) => `%r${r}`), loopValue.map((v) => String(v | 0))),
      fc.array(loopInsnArb, { minLength: 0, maxLength: 3 }),
      fc.option(fc.array(loopInsnArb, { minLength: 0, maxLength: 3 })),
    ).map(([j, d, b, then, other]) =>
      other === null
        ? `${j} %r${d}, ${b}, FWD\n${then.join("\n")}\nFWD:`
        : `${j} %r${d}, ${b}, ELS\n${then.join("\n")}\nja FWD\nELS:\n${other.join("\n")}\nFWD:`
    ),
  },
);

/**
 * A random simple loop (the shape the JIT turns into a native loop and a speculative fast
 * version) with registers starting around 2^31, 2^32, 0 and negative values, memory accesses
 * through a moving pointer and exits; the assembler text and the memory it runs on.
 */
export const loopProgramArb: fc.Arbitrary<{ source: string; mem: Uint8Array }> = fc.record({
  init: fc.array(fc.oneof(fc.integer({ min: 0, max: 0x10000 }), loopValue), {
    minLength: 4,
    maxLength: 4,
  }),
  body: fc.array(loopItemArb, { minLength: 1, maxLength: 8 }),
  back: fc.oneof(
    fc.integer({ min: 1, max: 30 }).map((n) => ({
      r5: 0,
      top: "",
      tail: `add %r5, 1\njlt %r5, ${n}, loop`,
    })),
    fc.integer({ min: 1, max: 30 }).map((n) => ({
      r5: 0,
      top: "",
      tail: `add %r5, 1\njgt %r5, ${n}, out\nja loop`,
    })),
    fc.tuple(VREG, fc.constantFrom(...JMP_NAMES), loopValue).map(([r, j, v]) => ({
      r5: 0,
      top: "",
      tail: `add %r5, 1\njgt %r5, 40, out\n${j} %r${r}, ${v | 0}, loop`,
    })),
    // Countdowns: the trip counts the fast loops prove bounds with.
    fc.integer({ min: 0, max: 30 }).map((n) => ({
      r5: n,
      top: "",
      tail: "sub %r5, 1\njne %r5, 0, loop",
    })),
    fc.integer({ min: 0, max: 30 }).map((n) => ({
      r5: n,
      top: "jeq %r5, 0, out",
      tail: "sub %r5, 1\nja loop",
    })),
  ),
  mem: fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 48 }), wordMemory),
}).map(({ init, body, back, mem }) => ({
  source: [
    "mov %r6, %r1",
    ...init.map((v, i) => `lddw %r${i + 1}, ${BigInt.asUintN(64, BigInt(v))}`),
    `mov %r5, ${back.r5}`,
    "loop:",
    back.top,
    // Each forward jump's labels, unique in the program.
    ...body.map((b, i) => b.replaceAll("FWD", `fwd${i}`).replaceAll("ELS", `els${i}`)),
    back.tail,
    "out:",
    "mov %r0, %r1\nxor %r0, %r2\nadd %r0, %r3\nxor %r0, %r4\nadd %r0, %r6\nadd %r0, %r5\nexit",
  ].join("\n"),
  mem,
}));

/**
 * A random countdown loop that walks a pointer through the memory and sums what it reads
 * (the shape whose bounds checks and overflow guards the JIT proves from the trip count), with
 * trip counts, steps, offsets and memory sizes around where the last pass leaves the memory
 * and sums around 2^31.
 */
export const walkLoopProgramArb: fc.Arbitrary<{ source: string; mem: Uint8Array }> = fc.record({
  n: fc.integer({ min: 0, max: 20 }),
  step: fc.constantFrom(0, 1, 2, 4, 8),
  off: fc.integer({ min: -2, max: 6 }),
  size: fc.constantFrom(...SIZES),
  sum: fc.constantFrom(0, 5, 0x7fff0000, 0x7ffffff0, 0x7fffffff),
  mask: fc.boolean(),
  store: fc.boolean(),
  top: fc.boolean(),
  extra: fc.integer({ min: -4, max: 4 }),
  fill: fc.integer({ min: 0, max: 255 }),
}).map(({ n, step, off, size, sum, mask, store, top, extra, fill }) => {
  const bytes = { b: 1, h: 2, w: 4, dw: 8 }[size]!;
  const len = Math.max(0, Math.max(n - 1, 0) * step + off + bytes + extra);
  return {
    source: [
      "mov %r6, %r1",
      `mov %r5, ${n}`,
      `lddw %r0, ${sum}`,
      "loop:",
      top ? "jeq %r5, 0, out" : "",
      `ldx${size} %r2, [%r6${off < 0 ? "" : "+"}${off}]`,
      mask ? "and %r2, 0xffff" : "",
      "add %r0, %r2",
      store ? `stxb [%r6${off < 0 ? "" : "+"}${off}], %r0` : "",
      `add %r6, ${step}`,
      "sub %r5, 1",
      top ? "ja loop" : "jne %r5, 0, loop",
      "out:",
      "add %r0, %r6",
      "exit",
    ].join("\n"),
    mem: new Uint8Array(len).fill(fill),
  };
});
