import assert from "node:assert/strict";
import fc from "fast-check";
import { EBPF } from "../../lib/bpf/opcodes.ts";
import {
  decide,
  endScalar,
  movScalar,
  negScalar,
  refine,
  scalarAlu,
} from "../../lib/bpf/_verify_scalar.ts";
import { constant, type Reg, scalarOf } from "../../lib/bpf/_verify_values.ts";

const { ALU_ADD, ALU_SUB, ALU_MUL, ALU_DIV, ALU_OR, ALU_AND, ALU_LSH, ALU_RSH } = EBPF;
const { ALU_MOD, ALU_XOR, ALU_ARSH, JMP_JEQ, JMP_JGT, JMP_JGE, JMP_JSET, JMP_JNE } = EBPF;
const { JMP_JSGT, JMP_JSGE, JMP_JLT, JMP_JLE, JMP_JSLT, JMP_JSLE } = EBPF;

const U64 = (1n << 64n) - 1n;
const s64 = (v: bigint) => BigInt.asIntN(64, v);

/** Whether concrete `v` (unsigned 64-bit) is one of the values `r` stands for. */
function holds(r: Reg, v: bigint): boolean {
  return r.umin <= v && v <= r.umax && r.smin <= s64(v) && s64(v) <= r.smax;
}

/** The RFC 9669 result of an ALU operation (`signedOp`: sdiv/smod). */
function concrete(op: number, signedOp: boolean, x: bigint, y: bigint, is64: boolean): bigint {
  const bits = is64 ? 64 : 32;
  const m = (1n << BigInt(bits)) - 1n;
  x &= m;
  y &= m;
  const sx = BigInt.asIntN(bits, x), sy = BigInt.asIntN(bits, y);
  const sh = y & BigInt(bits - 1);
  switch (op) {
    case ALU_ADD:
      return (x + y) & m;
    case ALU_SUB:
      return (x - y) & m;
    case ALU_MUL:
      return (x * y) & m;
    case ALU_DIV:
      return y === 0n ? 0n : (signedOp ? sx / sy : x / y) & m;
    case ALU_MOD:
      return y === 0n ? x : (signedOp ? sx % sy : x % y) & m;
    case ALU_OR:
      return x | y;
    case ALU_AND:
      return x & y;
    case ALU_XOR:
      return x ^ y;
    case ALU_LSH:
      return (x << sh) & m;
    case ALU_RSH:
      return x >> sh;
    default: // ALU_ARSH
      return (sx >> sh) & m;
  }
}

function compare(op: number, x: bigint, y: bigint, is64: boolean): boolean {
  const bits = is64 ? 64 : 32;
  const m = (1n << BigInt(bits)) - 1n;
  x &= m;
  y &= m;
  const sx = BigInt.asIntN(bits, x), sy = BigInt.asIntN(bits, y);
  switch (op) {
    case JMP_JEQ:
      return x === y;
    case JMP_JNE:
      return x !== y;
    case JMP_JGT:
      return x > y;
    case JMP_JGE:
      return x >= y;
    case JMP_JLT:
      return x < y;
    case JMP_JLE:
      return x <= y;
    case JMP_JSGT:
      return sx > sy;
    case JMP_JSGE:
      return sx >= sy;
    case JMP_JSLT:
      return sx < sy;
    case JMP_JSLE:
      return sx <= sy;
    default: // JMP_JSET
      return (x & y) !== 0n;
  }
}

/** Interesting 64-bit values: small, around the 32- and 64-bit sign boundaries, anything. */
const value = fc.oneof(
  fc.bigInt({ min: 0n, max: 40n }),
  fc.bigInt({ min: -40n, max: -1n }).map((v) => v & U64),
  fc.bigInt({ min: (1n << 31n) - 8n, max: (1n << 32n) + 8n }),
  fc.bigInt({ min: (1n << 63n) - 8n, max: (1n << 63n) + 8n }),
  fc.bigInt({ min: 0n, max: U64 }),
);

/** A concrete value and an abstract scalar (random unsigned and signed ranges) holding it. */
const abstract = fc.tuple(
  value,
  fc.bigInt({ min: 0n, max: U64 }),
  fc.bigInt({ min: 0n, max: U64 }),
  fc.bigInt({ min: 0n, max: U64 }),
  fc.bigInt({ min: 0n, max: U64 }),
  fc.constantFrom(0, 1, 2, 3, 4),
).map(([v, a, b, c, d, shape]) => {
  // shape: 0 known, 1 unsigned range, 2 signed range, 3 both, 4 small ranges around v
  const s = s64(v);
  const near = (x: bigint) => x % 64n;
  let umin = 0n, umax = U64, smin = -(1n << 63n), smax = (1n << 63n) - 1n;
  if (shape === 0) [umin, umax] = [v, v];
  if (shape === 1 || shape === 3) [umin, umax] = [v - (a % (v + 1n)), v + (b % (U64 - v + 1n))];
  if (shape === 2 || shape === 3) {
    smin = s - (c % (s + (1n << 63n) + 1n));
    smax = s + (d % ((1n << 63n) - s));
  }
  if (shape === 4) {
    umin = v >= near(a) ? v - near(a) : 0n;
    umax = v + near(b) <= U64 ? v + near(b) : U64;
  }
  const r = scalarOf(umin, umax, smin, smax);
  assert.ok(r !== null && holds(r, v), "a range holding v is never empty");
  return { v, r };
});

const ALU_OPS = [
  ALU_ADD,
  ALU_SUB,
  ALU_MUL,
  ALU_DIV,
  ALU_OR,
  ALU_AND,
  ALU_LSH,
  ALU_RSH,
  ALU_MOD,
  ALU_XOR,
  ALU_ARSH,
];
const JMP_OPS = [
  JMP_JEQ,
  JMP_JNE,
  JMP_JGT,
  JMP_JGE,
  JMP_JLT,
  JMP_JLE,
  JMP_JSGT,
  JMP_JSGE,
  JMP_JSLT,
  JMP_JSLE,
  JMP_JSET,
];

Deno.test("scalarAlu() results hold the concrete result of every operation (64 and 32 bits)", () => {
  fc.assert(
    fc.property(
      abstract,
      abstract,
      fc.constantFrom(...ALU_OPS),
      fc.boolean(),
      fc.boolean(),
      (a, b, op, is64, signedOp) => {
        const sdiv = signedOp && (op === ALU_DIV || op === ALU_MOD);
        const r = scalarAlu(op, sdiv ? 1 : 0, a.r, b.r, is64);
        const v = concrete(op, sdiv, a.v, b.v, is64);
        assert.ok(holds(r, v), `${op} ${a.v} ${b.v} = ${v} not in ${JSON.stringify(r, big)}`);
      },
    ),
    { numRuns: 20000 },
  );
});

function big(_k: string, v: unknown) {
  return typeof v === "bigint" ? v.toString() : v;
}

Deno.test("neg, mov, movsx and byte swaps hold the concrete result", () => {
  fc.assert(
    fc.property(abstract, fc.boolean(), fc.constantFrom(0, 8, 16, 32), (a, is64, sx) => {
      const m = is64 ? U64 : 0xffffffffn;
      const neg = (-(a.v & m)) & m;
      assert.ok(holds(negScalar(a.r, is64), neg));
      const bits = BigInt(sx === 0 ? (is64 ? 64 : 32) : sx);
      const moved = sx === 0
        ? a.v & m
        : BigInt.asUintN(is64 ? 64 : 32, BigInt.asIntN(Number(bits), a.v));
      assert.ok(holds(movScalar(a.r, sx, is64), moved), `movsx${sx} ${a.v}`);
      for (const width of [16, 32, 64]) {
        const low = a.v & ((1n << BigInt(width)) - 1n);
        assert.ok(holds(endScalar(a.r, width, false), low));
        let swapped = 0n;
        for (let k = 0; k < width / 8; k++) {
          swapped = (swapped << 8n) | ((low >> BigInt(8 * k)) & 0xffn);
        }
        assert.ok(holds(endScalar(a.r, width, true), swapped));
      }
    }),
    { numRuns: 5000 },
  );
});

Deno.test("decide() and refine() never rule out what the concrete values do", () => {
  fc.assert(
    fc.property(abstract, abstract, fc.constantFrom(...JMP_OPS), fc.boolean(), (a, b, op, is64) => {
      const taken = compare(op, a.v, b.v, is64);
      const d = decide(op, a.r, b.r, is64);
      if (d !== null) assert.equal(d, taken, `decide ${op} ${a.v} ${b.v}`);
      const side = refine(op, a.r, b.r, is64, taken);
      assert.ok(side !== null, `refine ruled out the side taken by ${a.v} ${op} ${b.v}`);
      assert.ok(holds(side[0], a.v) && holds(side[1], b.v));
    }),
    { numRuns: 20000 },
  );
});

Deno.test("refine() learns signed bounds from both sides of signed comparisons", () => {
  const any = scalarOf(0n, U64, -(1n << 63n), (1n << 63n) - 1n)!;
  // if r3 s< 0 goto out (not taken), then if r3 s> 7 goto out (not taken): 0 <= r3 <= 7
  const [nonNeg] = refine(JMP_JSLT, any, constant(0n), true, false)!;
  const [small] = refine(JMP_JSGT, nonNeg, constant(7n), true, false)!;
  assert.deepEqual([small.umin, small.umax, small.smin, small.smax], [0n, 7n, 0n, 7n]);
  // The other way round, and the taken side of s>= on a register.
  const [le7] = refine(JMP_JSGT, any, constant(7n), true, false)!;
  const [both] = refine(JMP_JSGE, le7, constant(0n), true, true)!;
  assert.deepEqual([both.umin, both.umax], [0n, 7n]);
  // 32-bit comparisons bound a register that has no high bits.
  const word = scalarOf(0n, 0xffffffffn, 0n, 0xffffffffn)!;
  const [w] = refine(JMP_JSLT, word, constant(0n), false, false)!;
  assert.deepEqual([w.umin, w.umax], [0n, 0x7fffffffn]);
  // A comparison of two registers narrows both.
  const [lo, hi] = refine(
    JMP_JLT,
    scalarOf(0n, 100n, 0n, 100n)!,
    scalarOf(0n, 50n, 0n, 50n)!,
    true,
    true,
  )!;
  assert.deepEqual([lo.umax, hi.umin], [49n, 1n]);
  // An impossible side is reported.
  assert.equal(refine(JMP_JGT, constant(3n), scalarOf(5n, 9n, 5n, 9n)!, true, true), null);
});
