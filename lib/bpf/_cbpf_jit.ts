/**
 * The classic BPF compiler: a validated program as one JavaScript function.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import type { CbpfInstruction } from "./cbpf.ts";
import { CBPF, CBPF_MEMWORDS } from "./_cbpf_opcodes.ts";

const { LD, LDX, ST, STX, ALU, JMP, RET, MISC, W, H, B, IMM, ABS, IND, MEM, LEN, MSH } = CBPF;
const { K, X, A, ADD, SUB, MUL, DIV, OR, AND, LSH, RSH, NEG, MOD, XOR } = CBPF;
const { JA, JEQ, JGT, JGE, JSET, TAX, TXA } = CBPF;

/** A compiled classic program: the verdict for `buflen` bytes of `p` at `o`. */
export type CbpfFunction = (p: Uint8Array, o: number, buflen: number, wirelen: number) => number;

/**
 * Translates a validated program into JavaScript: one `case` per instruction in a `switch` inside
 * a loop (jumps only go forward, so straight-line code falls through), scratch memory in locals.
 */
export function jitCbpf(program: readonly CbpfInstruction[]): CbpfFunction {
  const lines: string[] = [
    "let a = 0, x = 0, pc = 0, t = 0;",
    `let ${Array.from({ length: CBPF_MEMWORDS }, (_, i) => `m${i} = 0`).join(", ")};`,
    "for (;;) switch (pc) {",
  ];
  const w = (e: string) =>
    `((p[o + ${e}] << 24) | (p[o + ${e} + 1] << 16) | (p[o + ${e} + 2] << 8) | p[o + ${e} + 3]) >>> 0`;
  const h = (e: string) => `((p[o + ${e}] << 8) | p[o + ${e} + 1])`;
  for (let pc = 0; pc < program.length; pc++) {
    const { code, jt, jf } = program[pc];
    const k = program[pc].k >>> 0;
    const go = (target: number) => target === pc + 1 ? "" : `pc = ${target}; continue;`;
    const jump = (cond: string) => {
      const T = pc + 1 + jt, F = pc + 1 + jf;
      if (T === F) return go(T);
      if (F === pc + 1) return `if (${cond}) { pc = ${T}; continue; }`;
      if (T === pc + 1) return `if (!(${cond})) { pc = ${F}; continue; }`;
      return `pc = (${cond}) ? ${T} : ${F}; continue;`;
    };
    const codes: Record<number, () => string> = {
      [RET | K]: () => `return ${k};`,
      [RET | A]: () => "return a;",
      [LD | W | ABS]: () => `if (buflen < 4 || ${k} > buflen - 4) return 0; a = ${w(String(k))};`,
      [LD | H | ABS]: () => `if (buflen < 2 || ${k} > buflen - 2) return 0; a = ${h(String(k))};`,
      [LD | B | ABS]: () => `if (${k} >= buflen) return 0; a = p[o + ${k}];`,
      [LD | W | LEN]: () => "a = wirelen >>> 0;",
      [LDX | W | LEN]: () => "x = wirelen >>> 0;",
      [LD | W | IND]: () =>
        `t = x + ${k}; if (buflen < 4 || t > buflen - 4) return 0; a = ${w("t")};`,
      [LD | H | IND]: () =>
        `t = x + ${k}; if (buflen < 2 || t > buflen - 2) return 0; a = ${h("t")};`,
      [LD | B | IND]: () => `t = x + ${k}; if (t >= buflen) return 0; a = p[o + t];`,
      [LDX | B | MSH]: () => `if (${k} >= buflen) return 0; x = (p[o + ${k}] & 0xf) << 2;`,
      [LD | IMM]: () => `a = ${k};`,
      [LDX | IMM]: () => `x = ${k};`,
      [LD | MEM]: () => `a = m${k};`,
      [LDX | MEM]: () => `x = m${k};`,
      [ST]: () => `m${k} = a;`,
      [STX]: () => `m${k} = x;`,
      [JMP | JA]: () => go(pc + 1 + k),
      [JMP | JGT | K]: () => jump(`a > ${k}`),
      [JMP | JGE | K]: () => jump(`a >= ${k}`),
      [JMP | JEQ | K]: () => jump(`a === ${k}`),
      [JMP | JSET | K]: () => jump(`(a & ${k}) !== 0`),
      [JMP | JGT | X]: () => jump("a > x"),
      [JMP | JGE | X]: () => jump("a >= x"),
      [JMP | JEQ | X]: () => jump("a === x"),
      [JMP | JSET | X]: () => jump("(a & x) !== 0"),
      [ALU | ADD | X]: () => "a = (a + x) >>> 0;",
      [ALU | SUB | X]: () => "a = (a - x) >>> 0;",
      [ALU | MUL | X]: () => "a = Math.imul(a, x) >>> 0;",
      [ALU | DIV | X]: () => "if (x === 0) return 0; a = Math.floor(a / x) >>> 0;",
      [ALU | MOD | X]: () => "if (x === 0) return 0; a = (a % x) >>> 0;",
      [ALU | AND | X]: () => "a = (a & x) >>> 0;",
      [ALU | OR | X]: () => "a = (a | x) >>> 0;",
      [ALU | XOR | X]: () => "a = (a ^ x) >>> 0;",
      [ALU | LSH | X]: () => "a = x < 32 ? (a << x) >>> 0 : 0;",
      [ALU | RSH | X]: () => "a = x < 32 ? a >>> x : 0;",
      [ALU | ADD | K]: () => `a = (a + ${k}) >>> 0;`,
      [ALU | SUB | K]: () => `a = (a - ${k}) >>> 0;`,
      [ALU | MUL | K]: () => `a = Math.imul(a, ${k}) >>> 0;`,
      [ALU | DIV | K]: () => `a = Math.floor(a / ${k}) >>> 0;`,
      [ALU | MOD | K]: () => `a = (a % ${k}) >>> 0;`,
      [ALU | AND | K]: () => `a = (a & ${k}) >>> 0;`,
      [ALU | OR | K]: () => `a = (a | ${k}) >>> 0;`,
      [ALU | XOR | K]: () => `a = (a ^ ${k}) >>> 0;`,
      [ALU | LSH | K]: () => `a = (a << ${k}) >>> 0;`,
      [ALU | RSH | K]: () => `a = a >>> ${k};`,
      [ALU | NEG]: () => "a = (-a) >>> 0;",
      [MISC | TAX]: () => "x = a;",
      [MISC | TXA]: () => "a = x;",
    };
    const gen = codes[code];
    if (gen === undefined) {
      throw new BpfError("cbpf-invalid", `Unknown classic opcode 0x${code.toString(16)}`, { pc });
    }
    lines.push(`case ${pc}: ${gen()}`);
  }
  lines.push("default: return 0;", "}");
  return new Function("p", "o", "buflen", "wirelen", lines.join("\n")) as CbpfFunction;
}
