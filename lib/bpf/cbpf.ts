/**
 * Classic BPF (cBPF): the packet-filter machine of `tcpdump` and `SO_ATTACH_FILTER`, with an
 * accumulator `A`, an index register `X` and 16 words of scratch memory. Programs are validated
 * with the rules of the Linux kernel's `bpf_check_classic` and run with libpcap's / the kernel's
 * semantics: a load outside the packet or a division by zero ends the program with 0 (the packet
 * is dropped), jumps only go forward, so every program terminates.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";

/** One classic BPF instruction: `{ code, jt, jf, k }` as in `struct sock_filter`. */
export interface CbpfInstruction {
  /** The 16-bit opcode. */
  code: number;
  /** Jump offset when the condition holds (0–255). */
  jt: number;
  /** Jump offset when the condition does not hold (0–255). */
  jf: number;
  /** The 32-bit constant operand (unsigned). */
  k: number;
}

/** The largest classic program the kernel accepts (`BPF_MAXINSNS`). */
export const CBPF_MAX_INSNS = 4096;
/** Words of scratch memory (`BPF_MEMWORDS`). */
export const CBPF_MEMWORDS = 16;

// Instruction classes and fields (linux/filter.h, pcap/bpf.h).
const LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, RET = 0x06, MISC = 0x07;
const W = 0x00, H = 0x08, B = 0x10;
const IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, LEN = 0x80, MSH = 0xa0;
const K = 0x00, X = 0x08, A = 0x10;
const ADD = 0x00,
  SUB = 0x10,
  MUL = 0x20,
  DIV = 0x30,
  OR = 0x40,
  AND = 0x50,
  LSH = 0x60,
  RSH = 0x70,
  NEG = 0x80,
  MOD = 0x90,
  XOR = 0xa0;
const JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40;
const TAX = 0x00, TXA = 0x80;

/** Every opcode the kernel's `bpf_check_classic` accepts, with its mnemonic. */
const ALLOWED: ReadonlyMap<number, string> = new Map<number, string>([
  [ALU | ADD | K, "add"],
  [ALU | ADD | X, "add"],
  [ALU | SUB | K, "sub"],
  [ALU | SUB | X, "sub"],
  [ALU | MUL | K, "mul"],
  [ALU | MUL | X, "mul"],
  [ALU | DIV | K, "div"],
  [ALU | DIV | X, "div"],
  [ALU | MOD | K, "mod"],
  [ALU | MOD | X, "mod"],
  [ALU | AND | K, "and"],
  [ALU | AND | X, "and"],
  [ALU | OR | K, "or"],
  [ALU | OR | X, "or"],
  [ALU | XOR | K, "xor"],
  [ALU | XOR | X, "xor"],
  [ALU | LSH | K, "lsh"],
  [ALU | LSH | X, "lsh"],
  [ALU | RSH | K, "rsh"],
  [ALU | RSH | X, "rsh"],
  [ALU | NEG, "neg"],
  [LD | W | ABS, "ld"],
  [LD | H | ABS, "ldh"],
  [LD | B | ABS, "ldb"],
  [LD | W | LEN, "ld"],
  [LD | W | IND, "ld"],
  [LD | H | IND, "ldh"],
  [LD | B | IND, "ldb"],
  [LD | IMM, "ld"],
  [LD | MEM, "ld"],
  [LDX | W | LEN, "ldx"],
  [LDX | B | MSH, "ldxb"],
  [LDX | IMM, "ldx"],
  [LDX | MEM, "ldx"],
  [ST, "st"],
  [STX, "stx"],
  [MISC | TAX, "tax"],
  [MISC | TXA, "txa"],
  [RET | K, "ret"],
  [RET | A, "ret"],
  [JMP | JA, "ja"],
  [JMP | JEQ | K, "jeq"],
  [JMP | JEQ | X, "jeq"],
  [JMP | JGE | K, "jge"],
  [JMP | JGE | X, "jge"],
  [JMP | JGT | K, "jgt"],
  [JMP | JGT | X, "jgt"],
  [JMP | JSET | K, "jset"],
  [JMP | JSET | X, "jset"],
]);

/**
 * Checks a classic program the way the Linux kernel's `bpf_check_classic` does: 1 to 4096
 * instructions, known opcodes only, no division or modulo by a constant 0, constant shifts below
 * 32, scratch-memory indexes below 16, every jump forward and inside the program, the last
 * instruction a `ret`, and no scratch word read before it is written on every path.
 *
 * @param program The instructions.
 * @returns Nothing; throws a `BpfError` with code `"cbpf-invalid"` and the instruction index.
 * @example
 * ```ts
 * import { validateCbpf } from "./cbpf.ts";
 * import assert from "node:assert/strict";
 * validateCbpf([{ code: 0x06, jt: 0, jf: 0, k: 0xffff }]); // ret #65535
 * assert.throws(() => validateCbpf([{ code: 0x00, jt: 0, jf: 0, k: 0 }]), /not a ret/);
 * ```
 */
export function validateCbpf(program: readonly CbpfInstruction[]): void {
  const n = program.length;
  if (n === 0 || n > CBPF_MAX_INSNS) {
    throw invalid(`Classic program has ${n} instructions; 1 to ${CBPF_MAX_INSNS} are allowed`, 0);
  }
  for (let pc = 0; pc < n; pc++) {
    const ins = program[pc];
    checkFields(ins, pc);
    if (!ALLOWED.has(ins.code)) {
      throw invalid(`Unknown classic opcode 0x${ins.code.toString(16)}`, pc);
    }
    const cls = ins.code & 0x07;
    const op = ins.code & 0xf0;
    if (cls === ALU && (ins.code & X) === 0) {
      if ((op === DIV || op === MOD) && ins.k === 0) {
        throw invalid(`Division by constant zero`, pc);
      }
      if ((op === LSH || op === RSH) && ins.k >= 32) {
        throw invalid(`Shift by ${ins.k} (at least 32)`, pc);
      }
    }
    if (
      ((cls === LD || cls === LDX) && (ins.code & 0xe0) === MEM) || cls === ST || cls === STX
    ) {
      if (ins.k >= CBPF_MEMWORDS) {
        throw invalid(`Scratch memory index ${ins.k} out of range 0-15`, pc);
      }
    }
    if (cls === JMP) {
      if (op === JA) {
        if (ins.k >= n - pc - 1) {
          throw invalid(`Jump goes past the end of the program`, pc);
        }
      } else if (pc + ins.jt + 1 >= n || pc + ins.jf + 1 >= n) {
        throw invalid(`Jump goes past the end of the program`, pc);
      }
    }
  }
  if ((program[n - 1].code & 0x07) !== RET) {
    throw invalid(`The last instruction is not a ret`, n - 1);
  }
  checkScratch(program);
}

function checkFields(ins: CbpfInstruction, pc: number): void {
  const ok = Number.isInteger(ins.code) && ins.code >= 0 && ins.code <= 0xffff &&
    Number.isInteger(ins.jt) && ins.jt >= 0 && ins.jt <= 0xff &&
    Number.isInteger(ins.jf) && ins.jf >= 0 && ins.jf <= 0xff &&
    Number.isInteger(ins.k) && ins.k >= 0 && ins.k <= 0xffffffff;
  if (!ok) {
    throw invalid(
      `Field out of range (code 16 bits, jt/jf 8 bits, k 32 bits)`,
      pc,
    );
  }
}

/** The kernel's `check_load_and_stores`: a scratch word is read only after a store on every path. */
function checkScratch(program: readonly CbpfInstruction[]): void {
  const n = program.length;
  const valid = new Int32Array(n).fill(-1); // bitmask of words stored on every path reaching pc; -1 = unknown
  valid[0] = 0;
  for (let pc = 0; pc < n; pc++) {
    if (valid[pc] === -1) continue; // unreachable: the kernel skips it too
    let mem = valid[pc];
    const ins = program[pc];
    const cls = ins.code & 0x07;
    if (cls === ST || cls === STX) mem |= 1 << ins.k;
    if ((cls === LD || cls === LDX) && (ins.code & 0xe0) === MEM && (mem & (1 << ins.k)) === 0) {
      throw invalid(`Scratch word M[${ins.k}] read before it is written`, pc);
    }
    const merge = (to: number) => {
      valid[to] = valid[to] === -1 ? mem : valid[to] & mem;
    };
    if (cls === RET) continue;
    if (cls === JMP) {
      if ((ins.code & 0xf0) === JA) merge(pc + 1 + ins.k);
      else {
        merge(pc + 1 + ins.jt);
        merge(pc + 1 + ins.jf);
      }
    } else merge(pc + 1);
  }
}

function invalid(message: string, pc: number): BpfError {
  return new BpfError("cbpf-invalid", message, { pc });
}

/** A validated classic program, decoded into flat arrays for a fast run loop. */
export interface CbpfProgram {
  /** The instructions as given. */
  readonly instructions: readonly CbpfInstruction[];
  /**
   * Runs the program on one packet and returns its verdict: 0 drops the packet, anything else
   * keeps it (the number of bytes to keep).
   *
   * @param packet The captured bytes (`caplen`).
   * @param wireLength The packet's length on the wire (`BPF_LEN` loads it); defaults to the
   *   captured length.
   * @returns The unsigned 32-bit return value.
   */
  run(packet: Uint8Array, wireLength?: number): number;
  /**
   * Runs the program on `caplen` bytes of `buf` at `offset`, without making a subarray.
   *
   * @param buf The buffer holding the packet (e.g. a whole capture file).
   * @param offset Where the packet starts.
   * @param caplen The captured length.
   * @param wireLength The length on the wire.
   * @returns The unsigned 32-bit return value.
   */
  runAt(buf: Uint8Array, offset: number, caplen: number, wireLength: number): number;
}

/** Options for {@linkcode compileCbpf}. */
export interface CompileCbpfOptions {
  /**
   * Compile the program into a JavaScript function (default `true`); `false` runs it in the
   * interpreter loop. Both give the same results.
   */
  jit?: boolean;
}

/**
 * Validates a classic program and prepares it to run, compiled into a JavaScript function or in
 * the interpreter. A run allocates nothing.
 *
 * @param instructions The instructions (for example from {@linkcode parseCbpf}).
 * @param options Whether to compile to JavaScript (default) or interpret.
 * @returns The runnable program; throws a `BpfError` (`"cbpf-invalid"`) when validation fails.
 * @example
 * ```ts
 * import { compileCbpf } from "./cbpf.ts";
 * import assert from "node:assert/strict";
 * // ldb [0]; jeq #7, accept, drop
 * const prog = compileCbpf([
 *   { code: 0x30, jt: 0, jf: 0, k: 0 },
 *   { code: 0x15, jt: 0, jf: 1, k: 7 },
 *   { code: 0x06, jt: 0, jf: 0, k: 0xffff },
 *   { code: 0x06, jt: 0, jf: 0, k: 0 },
 * ]);
 * assert.equal(prog.run(new Uint8Array([7, 1])), 0xffff);
 * assert.equal(prog.run(new Uint8Array([8])), 0);
 * assert.equal(prog.run(new Uint8Array([])), 0); // out-of-packet load returns 0
 * ```
 */
export function compileCbpf(
  instructions: readonly CbpfInstruction[],
  options: CompileCbpfOptions = {},
): CbpfProgram {
  validateCbpf(instructions);
  const frozenList = Object.freeze(instructions.map((i) => Object.freeze({ ...i })));
  if (options.jit ?? true) {
    const fn = jitCbpf(instructions);
    return {
      instructions: frozenList,
      run(p: Uint8Array, wireLength: number = p.length): number {
        return fn(p, 0, p.length, wireLength);
      },
      runAt(buf: Uint8Array, offset: number, caplen: number, wireLength: number): number {
        checkSpan(buf, offset, caplen);
        return fn(buf, offset, caplen, wireLength);
      },
    };
  }
  const n = instructions.length;
  const code = new Uint16Array(n);
  const jt = new Uint8Array(n);
  const jf = new Uint8Array(n);
  const kk = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    code[i] = instructions[i].code;
    jt[i] = instructions[i].jt;
    jf[i] = instructions[i].jf;
    kk[i] = instructions[i].k;
  }
  const mem = new Uint32Array(CBPF_MEMWORDS);
  return {
    instructions: frozenList,
    run(p: Uint8Array, wireLength: number = p.length): number {
      return execute(code, jt, jf, kk, mem, p, 0, p.length, wireLength);
    },
    runAt(buf: Uint8Array, offset: number, caplen: number, wireLength: number): number {
      checkSpan(buf, offset, caplen);
      return execute(code, jt, jf, kk, mem, buf, offset, caplen, wireLength);
    },
  };
}

function execute(
  code: Uint16Array,
  jt: Uint8Array,
  jf: Uint8Array,
  kk: Uint32Array,
  mem: Uint32Array,
  p: Uint8Array,
  o: number,
  buflen: number,
  wirelen: number,
): number {
  let a = 0, x = 0, pc = 0;
  mem.fill(0);
  for (;;) {
    const c = code[pc];
    const k = kk[pc];
    switch (c) {
      case RET | K:
        return k;
      case RET | A:
        return a >>> 0;
      case LD | W | ABS:
        if (k > buflen - 4 || buflen < 4) return 0;
        a = ((p[o + k] << 24) | (p[o + k + 1] << 16) | (p[o + k + 2] << 8) | p[o + k + 3]) >>> 0;
        break;
      case LD | H | ABS:
        if (k > buflen - 2 || buflen < 2) return 0;
        a = (p[o + k] << 8) | p[o + k + 1];
        break;
      case LD | B | ABS:
        if (k >= buflen) return 0;
        a = p[o + k];
        break;
      case LD | W | LEN:
        a = wirelen >>> 0;
        break;
      case LDX | W | LEN:
        x = wirelen >>> 0;
        break;
      case LD | W | IND: {
        const off = x + k;
        if (off > 0xffffffff || buflen < 4 || off > buflen - 4) return 0;
        a =
          ((p[o + off] << 24) | (p[o + off + 1] << 16) | (p[o + off + 2] << 8) | p[o + off + 3]) >>>
          0;
        break;
      }
      case LD | H | IND: {
        const off = x + k;
        if (off > 0xffffffff || buflen < 2 || off > buflen - 2) return 0;
        a = (p[o + off] << 8) | p[o + off + 1];
        break;
      }
      case LD | B | IND: {
        const off = x + k;
        if (off > 0xffffffff || off >= buflen) return 0;
        a = p[o + off];
        break;
      }
      case LDX | B | MSH:
        if (k >= buflen) return 0;
        x = (p[o + k] & 0xf) << 2;
        break;
      case LD | IMM:
        a = k;
        break;
      case LDX | IMM:
        x = k;
        break;
      case LD | MEM:
        a = mem[k];
        break;
      case LDX | MEM:
        x = mem[k];
        break;
      case ST:
        mem[k] = a;
        break;
      case STX:
        mem[k] = x;
        break;
      case JMP | JA:
        pc += k;
        break;
      case JMP | JGT | K:
        pc += a > k ? jt[pc] : jf[pc];
        break;
      case JMP | JGE | K:
        pc += a >= k ? jt[pc] : jf[pc];
        break;
      case JMP | JEQ | K:
        pc += a === k ? jt[pc] : jf[pc];
        break;
      case JMP | JSET | K:
        pc += (a & k) !== 0 ? jt[pc] : jf[pc];
        break;
      case JMP | JGT | X:
        pc += a > x ? jt[pc] : jf[pc];
        break;
      case JMP | JGE | X:
        pc += a >= x ? jt[pc] : jf[pc];
        break;
      case JMP | JEQ | X:
        pc += a === x ? jt[pc] : jf[pc];
        break;
      case JMP | JSET | X:
        pc += (a & x) !== 0 ? jt[pc] : jf[pc];
        break;
      case ALU | ADD | X:
        a = (a + x) >>> 0;
        break;
      case ALU | SUB | X:
        a = (a - x) >>> 0;
        break;
      case ALU | MUL | X:
        a = Math.imul(a, x) >>> 0;
        break;
      case ALU | DIV | X:
        if (x === 0) return 0;
        a = Math.floor(a / x) >>> 0;
        break;
      case ALU | MOD | X:
        if (x === 0) return 0;
        a = (a % x) >>> 0;
        break;
      case ALU | AND | X:
        a = (a & x) >>> 0;
        break;
      case ALU | OR | X:
        a = (a | x) >>> 0;
        break;
      case ALU | XOR | X:
        a = (a ^ x) >>> 0;
        break;
      case ALU | LSH | X:
        a = x < 32 ? (a << x) >>> 0 : 0;
        break;
      case ALU | RSH | X:
        a = x < 32 ? a >>> x : 0;
        break;
      case ALU | ADD | K:
        a = (a + k) >>> 0;
        break;
      case ALU | SUB | K:
        a = (a - k) >>> 0;
        break;
      case ALU | MUL | K:
        a = Math.imul(a, k) >>> 0;
        break;
      case ALU | DIV | K:
        a = Math.floor(a / k) >>> 0;
        break;
      case ALU | MOD | K:
        a = (a % k) >>> 0;
        break;
      case ALU | AND | K:
        a = (a & k) >>> 0;
        break;
      case ALU | OR | K:
        a = (a | k) >>> 0;
        break;
      case ALU | XOR | K:
        a = (a ^ k) >>> 0;
        break;
      case ALU | LSH | K:
        a = (a << k) >>> 0;
        break;
      case ALU | RSH | K:
        a = a >>> k;
        break;
      case ALU | NEG:
        a = (-a) >>> 0;
        break;
      case MISC | TAX:
        x = a;
        break;
      case MISC | TXA:
        a = x;
        break;
      default:
        // Unreachable for a validated program.
        throw new BpfError(
          "cbpf-invalid",
          `Unknown classic opcode 0x${c.toString(16)}`,
          { pc },
        );
    }
    pc++;
  }
}

/**
 * Formats one classic instruction the way `tcpdump -d` does (`ldh [12]`, `jeq #0x800 jt 2 jf 5`).
 *
 * @param ins The instruction.
 * @param pc Its index (jump targets are printed as absolute indexes).
 * @returns The text.
 * @example
 * ```ts
 * import { formatCbpf } from "./cbpf.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatCbpf({ code: 0x28, jt: 0, jf: 0, k: 12 }, 0), "ldh [12]");
 * assert.equal(formatCbpf({ code: 0x15, jt: 0, jf: 3, k: 0x800 }, 1), "jeq #0x800 jt 2 jf 5");
 * ```
 */
export function formatCbpf(ins: CbpfInstruction, pc: number): string {
  const name = ALLOWED.get(ins.code);
  if (name === undefined) return `unimp 0x${ins.code.toString(16)}`;
  const cls = ins.code & 0x07;
  const hex = `#0x${ins.k.toString(16)}`;
  switch (cls) {
    case RET:
      return (ins.code & A) ? "ret a" : `ret #${ins.k}`;
    case LD:
    case LDX: {
      const mode = ins.code & 0xe0;
      if (mode === IMM) return `${name} #${ins.k === 0 ? 0 : hex}`;
      if (mode === LEN) return `${name} #pktlen`;
      if (mode === MEM) return `${name} M[${ins.k}]`;
      if (mode === ABS) return `${name} [${ins.k}]`;
      if (mode === IND) return `${name} [x + ${ins.k}]`;
      return `${name} 4*([${ins.k}]&0xf)`;
    }
    case ST:
    case STX:
      return `${name} M[${ins.k}]`;
    case MISC:
      return name;
    case ALU:
      if ((ins.code & 0xf0) === NEG) return "neg";
      return `${name} ${(ins.code & X) ? "x" : hex}`;
    default: {
      if ((ins.code & 0xf0) === JA) return `ja ${pc + 1 + ins.k}`;
      const operand = (ins.code & X) ? "x" : hex;
      return `${name} ${operand} jt ${pc + 1 + ins.jt} jf ${pc + 1 + ins.jf}`;
    }
  }
}

function checkSpan(buf: Uint8Array, offset: number, caplen: number): void {
  if (offset < 0 || caplen < 0 || offset + caplen > buf.length) {
    throw new RangeError(
      `Packet bytes ${offset}+${caplen} lie outside a ${buf.length}-byte buffer`,
    );
  }
}

type CbpfFunction = (p: Uint8Array, o: number, buflen: number, wirelen: number) => number;

/**
 * Translates a validated program into JavaScript: one `case` per instruction in a `switch` inside
 * a loop (jumps only go forward, so straight-line code falls through), scratch memory in locals.
 */
function jitCbpf(program: readonly CbpfInstruction[]): CbpfFunction {
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
