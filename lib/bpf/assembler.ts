/**
 * The assembler for the text dialect of the bpf_conformance and ubpf suites: one instruction per
 * line, `#` comments, `label:` lines, registers `%rN` or `rN`, memory operands `[%rN+off]`,
 * jump targets as labels or `+N`/`-N`, `lddw` with a 64-bit immediate, `lock [fetch] op`
 * atomics, `call N`, `call local label`, `call %rN` (callx), `exit` (a jump to `exit` goes to the
 * first `exit` unless a label of that name exists), `ja32` (long jump), `movsx832`…`movsx3264`,
 * `ldxsb`/`ldxsh`/`ldxsw`, `le16`/`be32`/`bswap64` (alias `swap64`), and the legacy packet loads
 * `ldabsw imm`, `ldindb %rN, imm`. `lddw %r1, 5, map_fd` sets the `lddw` source kind
 * (`map_fd`, `map_value_fd`, `variable`, `code`, `map_idx`, `map_value_idx`).
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import { type BpfInstruction, encodeProgram } from "./instruction.ts";
import { EBPF } from "./opcodes.ts";
import {
  ALU_MNEMONICS,
  ATOMIC_MNEMONICS,
  JMP_MNEMONICS,
  LDDW_KINDS,
  SIZE_SUFFIXES,
} from "./_mnemonics.ts";

/**
 * Options of {@linkcode assemble}.
 *
 * @example
 * ```ts
 * import { assemble, type AssembleOptions } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const options: AssembleOptions = { file: "count.s" };
 * assert.throws(() => assemble("mov %r0, 1\njeq %r0, 1, nowhere\nexit", options), /Invalid label: nowhere \(at count.s, line 2\)/);
 * ```
 */
export interface AssembleOptions {
  /** A file name for error messages. */
  file?: string;
}

const { CLASS_LD, CLASS_LDX, CLASS_ST, CLASS_STX, CLASS_ALU, CLASS_JMP, CLASS_JMP32 } = EBPF;
const { CLASS_ALU64, SRC_X, ALU_NEG, MODE_ABS, MODE_IND, MODE_MEM, MODE_MEMSX } = EBPF;
const { SIZE_DW, ATOMIC_FETCH, ATOMIC_XCHG, ATOMIC_CMPXCHG, CALL_SRC_LOCAL, CALL_SRC_BTF } = EBPF;
const { LE, BE, BSWAP, LDDW, JA, JA32, CALL, CALLX, EXIT, ATOMIC32, ATOMIC64 } = EBPF;

/** `sdiv` and `smod` are `div` and `mod` with offset 1. */
const SIGNED_ALU: ReadonlyMap<string, number> = new Map([
  ["sdiv", EBPF.ALU_DIV],
  ["smod", EBPF.ALU_MOD],
]);

/** Loads, stores and legacy packet loads by mnemonic, from the size suffixes. */
const MEMORY_OPS: ReadonlyMap<string, number> = new Map(
  [...SIZE_SUFFIXES].flatMap(([sfx, size]) => {
    const ops: [string, number][] = [
      [`ldx${sfx}`, CLASS_LDX | MODE_MEM | size],
      [`st${sfx}`, CLASS_ST | MODE_MEM | size],
      [`stx${sfx}`, CLASS_STX | MODE_MEM | size],
    ];
    if (size !== SIZE_DW) {
      ops.push(
        [`ldxs${sfx}`, CLASS_LDX | MODE_MEMSX | size],
        [`ldabs${sfx}`, CLASS_LD | MODE_ABS | size],
        [`ldind${sfx}`, CLASS_LD | MODE_IND | size],
      );
    }
    return ops;
  }),
);

interface Pending {
  insn: BpfInstruction;
  label: string;
  field: "offset" | "imm";
  line: number;
}

/**
 * A syntax error on the line being assembled. Private: `assembleInstructions` catches it and
 * throws `BpfError("asm")` with the line number, so callers only ever see a `BpfError`.
 */
class AsmError {
  constructor(readonly message: string) {}
}

function fail(message: string): never {
  throw new AsmError(message);
}

function parseRegister(tok: string): number {
  const m = /^%?r(\d+)$/.exec(tok);
  if (!m) fail(`Invalid register: ${tok}`);
  const n = Number(m[1]);
  if (n > 10) fail(`Invalid register: ${tok}`);
  return n;
}

function isRegister(tok: string): boolean {
  return /^%?r\d+$/.test(tok);
}

function parseInteger(tok: string): bigint | null {
  const m = /^([+-]?)(0x[0-9a-f]+|\d+)$/i.exec(tok);
  if (!m) return null;
  const v = BigInt(m[2]);
  return m[1] === "-" ? -v : v;
}

function isHex(tok: string): boolean {
  return /^[+-]?0x/i.test(tok);
}

function parseImm32(tok: string): number {
  const v = parseInteger(tok);
  if (v === null) fail(`Invalid immediate: ${tok}`);
  const max = isHex(tok) ? 0xffffffffn : 0x7fffffffn;
  if (v > max || v < -0x80000000n) fail(`Immediate out of 32-bit range: ${tok}`);
  return Number(BigInt.asIntN(32, v));
}

function parseImm64(tok: string): bigint {
  const v = parseInteger(tok);
  if (v === null) fail(`Invalid immediate: ${tok}`);
  if (v > 0xffffffffffffffffn || v < -0x8000000000000000n) {
    fail(`Immediate out of 64-bit range: ${tok}`);
  }
  return BigInt.asUintN(64, v);
}

function parseOffset(tok: string): number {
  const v = parseInteger(tok);
  if (v === null) fail(`Invalid offset: ${tok}`);
  if (v > 32767n || v < -32768n) fail(`Offset out of 16-bit range: ${tok}`);
  return Number(v);
}

function parseMemory(tok: string): [number, number] {
  const m = /^\[\s*(%?r\d+)\s*(?:([+-])\s*(0x[0-9a-f]+|\d+))?\s*\]$/i.exec(tok);
  if (!m) fail(`Failed to decode register and offset: ${tok}`);
  const reg = parseRegister(m[1]);
  const off = m[2] ? parseOffset(m[2] + m[3]) : 0;
  return [reg, off];
}

function insn(opcode: number, dst = 0, src = 0, offset = 0, imm = 0): BpfInstruction {
  return { opcode, dst, src, offset, imm };
}

function expectCount(mnemonic: string, ops: string[], n: number): void {
  if (ops.length !== n) {
    fail(`Invalid number of operands for mnemonic: ${mnemonic} (expected ${n}, got ${ops.length})`);
  }
}

/**
 * Assembles source text into instructions.
 *
 * @param source The assembler text.
 * @param options A file name for errors.
 * @returns The logical instructions (`lddw` as one instruction).
 * @throws {BpfError} `asm` with the 1-based line number.
 */
export function assembleInstructions(
  source: string,
  options: AssembleOptions = {},
): BpfInstruction[] {
  const out: BpfInstruction[] = [];
  const slotOf: number[] = [];
  const labels = new Map<string, number>();
  const pending: Pending[] = [];
  let slot = 0;
  let firstExit = -1;
  const lines = source.split(/\r?\n/);
  for (let ln = 0; ln < lines.length; ln++) {
    let text = lines[ln];
    const hash = text.indexOf("#");
    if (hash >= 0) text = text.slice(0, hash);
    text = text.trim();
    try {
      const lm = /^([A-Za-z_.$][\w.$]*)\s*:\s*(.*)$/.exec(text);
      if (lm) {
        if (labels.has(lm[1])) fail(`Duplicate label: ${lm[1]}`);
        labels.set(lm[1], slot);
        text = lm[2];
      }
      if (text === "") continue;
      const tokens = text.match(/\[[^\]]*\]|[^\s,]+/g) ?? [];
      const mnemonic = (tokens[0] ?? "").toLowerCase();
      const ops = tokens.slice(1);
      const jumpTarget = (
        i: BpfInstruction,
        tok: string,
        field: "offset" | "imm",
      ): void => {
        if (/^[+-]?(0x[0-9a-f]+|\d+)$/i.test(tok)) {
          const v = field === "offset" ? parseOffset(tok) : parseImm32(tok);
          i[field] = v;
        } else if (/^[A-Za-z_.$][\w.$]*$/.test(tok)) {
          pending.push({ insn: i, label: tok, field, line: ln + 1 });
        } else fail(`Invalid jump target: ${tok}`);
      };
      let result: BpfInstruction;
      if (mnemonic === "lock") {
        let k = 0;
        let fetch = false;
        if (ops[k] === "fetch") {
          fetch = true;
          k++;
        }
        if (ops.length - k !== 3) fail(`Invalid number of operands for lock`);
        let op = ops[k].toLowerCase();
        let wide = true;
        if (op.endsWith("32")) {
          wide = false;
          op = op.slice(0, -2);
        } else if (op.endsWith("64")) op = op.slice(0, -2);
        const [d, off] = parseMemory(ops[k + 1]);
        const s = parseRegister(ops[k + 2]);
        let imm: number;
        const atomic = ATOMIC_MNEMONICS.get(op);
        if (op === "xchg") imm = ATOMIC_XCHG;
        else if (op === "cmpxchg") imm = ATOMIC_CMPXCHG;
        else if (atomic !== undefined) imm = atomic | (fetch ? ATOMIC_FETCH : 0);
        else fail(`Invalid atomic operation: ${ops[k]}`);
        result = insn(wide ? ATOMIC64 : ATOMIC32, d, s, off, imm);
      } else if (mnemonic === "exit") {
        expectCount(mnemonic, ops, 0);
        result = insn(EXIT);
        if (firstExit < 0) firstExit = slot;
      } else if (mnemonic === "ja" || mnemonic === "ja32") {
        expectCount(mnemonic, ops, 1);
        result = insn(mnemonic === "ja" ? JA : JA32);
        jumpTarget(result, ops[0], mnemonic === "ja" ? "offset" : "imm");
      } else if (mnemonic === "call") {
        if (ops.length === 1 && isRegister(ops[0])) {
          result = insn(CALLX, parseRegister(ops[0]));
        } else if (ops.length === 1) {
          result = insn(CALL, 0, 0, 0, parseImm32(ops[0]));
        } else {
          expectCount(mnemonic, ops, 2);
          if (ops[0] === "local") {
            result = insn(CALL, 0, CALL_SRC_LOCAL);
            jumpTarget(result, ops[1], "imm");
          } else if (ops[0] === "helper") result = insn(CALL, 0, 0, 0, parseImm32(ops[1]));
          else if (ops[0] === "runtime") {
            result = insn(CALL, 0, CALL_SRC_BTF, 0, parseImm32(ops[1]));
          } else fail(`Invalid call mode: ${ops[0]}`);
        }
      } else if (mnemonic === "lddw") {
        if (ops.length !== 3) expectCount(mnemonic, ops, 2);
        const v = parseImm64(ops[1]);
        let kind = 0;
        if (ops.length === 3) {
          kind = LDDW_KINDS.indexOf(ops[2]);
          if (kind < 1) fail(`Invalid lddw kind: ${ops[2]}`);
        }
        result = {
          opcode: LDDW,
          dst: parseRegister(ops[0]),
          src: kind,
          offset: 0,
          imm: Number(BigInt.asIntN(32, v)),
          imm2: Number(BigInt.asIntN(32, v >> 32n)),
        };
      } else if (MEMORY_OPS.has(mnemonic)) {
        const op = MEMORY_OPS.get(mnemonic)!;
        const cls = op & EBPF.CLASS_MASK;
        if (cls === CLASS_LDX) {
          expectCount(mnemonic, ops, 2);
          const [s, off] = parseMemory(ops[1]);
          result = insn(op, parseRegister(ops[0]), s, off);
        } else if (cls === CLASS_ST) {
          expectCount(mnemonic, ops, 2);
          const [d, off] = parseMemory(ops[0]);
          result = insn(op, d, 0, off, parseImm32(ops[1]));
        } else if (cls === CLASS_STX) {
          expectCount(mnemonic, ops, 2);
          const [d, off] = parseMemory(ops[0]);
          result = insn(op, d, parseRegister(ops[1]), off);
        } else if ((op & EBPF.MODE_MASK) === MODE_IND) {
          expectCount(mnemonic, ops, 2);
          result = insn(op, 0, parseRegister(ops[0]), 0, parseImm32(ops[1]));
        } else {
          expectCount(mnemonic, ops, 1);
          result = insn(op, 0, 0, 0, parseImm32(ops[0]));
        }
      } else {
        const em = /^(le|be|bswap|swap)(16|32|64)$/.exec(mnemonic);
        const sx = /^movsx(8|16|32)(32|64)$/.exec(mnemonic);
        const jm = /^(j[a-z]+?)(32)?$/.exec(mnemonic);
        const am = /^([a-z]+?)(32|64)?$/.exec(mnemonic);
        if (em) {
          expectCount(mnemonic, ops, 1);
          const opcode = em[1] === "le" ? LE : em[1] === "be" ? BE : BSWAP;
          result = insn(opcode, parseRegister(ops[0]), 0, 0, Number(em[2]));
        } else if (sx) {
          expectCount(mnemonic, ops, 2);
          const from = Number(sx[1]);
          const wide = sx[2] === "64";
          if (from === 32 && !wide) fail(`Invalid mnemonic: ${mnemonic}`);
          const mov = wide ? EBPF.MOV64_REG : EBPF.MOV32_REG;
          result = insn(mov, parseRegister(ops[0]), parseRegister(ops[1]), from);
        } else if (jm && JMP_MNEMONICS.has(jm[1])) {
          expectCount(mnemonic, ops, 3);
          const op = (jm[2] ? CLASS_JMP32 : CLASS_JMP) | JMP_MNEMONICS.get(jm[1])!;
          const d = parseRegister(ops[0]);
          if (isRegister(ops[1])) result = insn(op | SRC_X, d, parseRegister(ops[1]));
          else result = insn(op, d, 0, 0, parseImm32(ops[1]));
          jumpTarget(result, ops[2], "offset");
        } else if (am && (ALU_MNEMONICS.has(am[1]) || SIGNED_ALU.has(am[1]))) {
          const name = am[1];
          const cls = am[2] === "32" ? CLASS_ALU : CLASS_ALU64;
          const d = parseRegister(ops[0] ?? "");
          const signed = SIGNED_ALU.has(name) ? 1 : 0;
          const op = cls | (ALU_MNEMONICS.get(name) ?? SIGNED_ALU.get(name)!);
          if (name === "neg") {
            expectCount(mnemonic, ops, 1);
            result = insn(cls | ALU_NEG, d);
          } else {
            expectCount(mnemonic, ops, 2);
            if (isRegister(ops[1])) {
              result = insn(op | SRC_X, d, parseRegister(ops[1]), signed);
            } else result = insn(op, d, 0, signed, parseImm32(ops[1]));
          }
        } else fail(`Invalid mnemonic: ${mnemonic}`);
      }
      out.push(result);
      slotOf.push(slot);
      slot += result.opcode === LDDW ? 2 : 1;
    } catch (e) {
      if (e instanceof AsmError) {
        throw new BpfError("asm", e.message, { line: ln + 1, file: options.file });
      }
      throw e;
    }
  }
  const slotIndex = new Map<BpfInstruction, number>();
  out.forEach((i, k) => slotIndex.set(i, slotOf[k]));
  for (const p of pending) {
    let target = labels.get(p.label);
    if (target === undefined && p.label === "exit" && firstExit >= 0) target = firstExit;
    if (target === undefined) {
      throw new BpfError("asm", `Invalid label: ${p.label}`, { line: p.line, file: options.file });
    }
    const rel = target - slotIndex.get(p.insn)! - 1;
    if (p.field === "offset" && (rel > 32767 || rel < -32768)) {
      throw new BpfError("asm", `Jump to ${p.label} is too far for a 16-bit offset`, {
        line: p.line,
        file: options.file,
      });
    }
    p.insn[p.field] = rel;
  }
  return out;
}

/**
 * Assembles source text into bytecode.
 *
 * @param source The assembler text.
 * @param options A file name for errors.
 * @returns The bytecode (8 bytes per slot, little-endian).
 * @throws {BpfError} `asm` with the 1-based line number.
 *
 * @example
 * ```ts
 * import { assemble, BpfInterpreter, decodeProgram } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const bytes = assemble(`
 *   mov %r0, 0
 *   mov %r1, 10
 * loop:
 *   add %r0, %r1      # r0 = 10 + 9 + ... + 1
 *   sub %r1, 1
 *   jne %r1, 0, loop
 *   exit
 * `);
 * assert.equal(bytes.length, 6 * 8);
 * assert.equal(new BpfInterpreter(decodeProgram(bytes)).run(), 55n);
 * ```
 */
export function assemble(source: string, options: AssembleOptions = {}): Uint8Array {
  return encodeProgram(assembleInstructions(source, options));
}
