/**
 * The disassembler: bytecode or decoded programs to the assembler dialect of
 * {@linkcode ./assembler.ts}, such that the text assembles back to the same bytes.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import {
  type BpfInstruction,
  type BpfProgram,
  checkInstruction,
  decodeProgram,
  lddwValue,
} from "./instruction.ts";
import { EBPF } from "./opcodes.ts";
import {
  ALU_MNEMONICS,
  ATOMIC_MNEMONICS,
  JMP_MNEMONICS,
  LDDW_KINDS,
  namesOf,
  SIZE_SUFFIXES,
} from "./_mnemonics.ts";

const { CLASS_MASK, CLASS_LD, CLASS_LDX, CLASS_ST, CLASS_ALU, CLASS_JMP, CLASS_JMP32 } = EBPF;
const { CLASS_ALU64, SRC_X, OP_MASK, SIZE_MASK, SIZE_DW, MODE_MASK, MODE_IND, MODE_MEMSX } = EBPF;
const { MODE_ATOMIC, ALU_DIV, ALU_NEG, ALU_MOD, ALU_MOV, ALU_END, ATOMIC_FETCH, ATOMIC_XCHG } =
  EBPF;
const { ATOMIC_CMPXCHG, CALL_SRC_LOCAL, CALL_SRC_BTF, LDDW_SRC_IMM64 } = EBPF;
const { LE, BE, LDDW, JA, JA32, CALL, CALLX, EXIT } = EBPF;

/**
 * Options of {@linkcode disassemble}.
 *
 * @example
 * ```ts
 * import { assemble, disassemble, type DisassembleOptions } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const bytes = assemble("jeq %r1, 0, +1\nmov %r0, 1\nexit");
 * const options: DisassembleOptions = { labels: true };
 * assert.equal(disassemble(bytes, options), "jeq %r1, 0, L2\nmov %r0, 1\nL2:\nexit\n");
 * ```
 */
export interface DisassembleOptions {
  /** Print jump and local call targets as labels `L<slot>:` instead of `+N`/`-N` (default false). */
  labels?: boolean;
  /** Accept instructions that fail the RFC 9669 validity checks (default false). */
  lenient?: boolean;
}

const ALU_NAMES = namesOf(ALU_MNEMONICS);
const JMP_NAMES = namesOf(JMP_MNEMONICS);
const SIZE_NAMES = namesOf(SIZE_SUFFIXES);
const ATOMIC_NAMES = namesOf(ATOMIC_MNEMONICS);

function mem(reg: number, off: number): string {
  if (off === 0) return `[%r${reg}]`;
  return off > 0 ? `[%r${reg}+${off}]` : `[%r${reg}${off}]`;
}

function rel(n: number): string {
  return n >= 0 ? `+${n}` : `${n}`;
}

/**
 * Formats one instruction. `target` names jump targets (labels); without it relative offsets
 * are printed.
 *
 * @param insn The instruction.
 * @param target Optional: a function turning a relative jump into a label.
 * @returns The text, e.g. `ldxw %r0, [%r1+4]`.
 */
export function formatInstruction(insn: BpfInstruction, target?: (rel: number) => string): string {
  const { opcode: op, dst: d, src: s, offset: o, imm: k } = insn;
  const t = target ?? rel;
  const cls = op & CLASS_MASK;
  const x = (op & SRC_X) !== 0;
  switch (cls) {
    case CLASS_ALU:
    case CLASS_ALU64: {
      const sfx = cls === CLASS_ALU ? "32" : "";
      const code = op & OP_MASK;
      if (code === ALU_END) {
        const name = op === LE ? "le" : op === BE ? "be" : "bswap";
        return `${name}${k} %r${d}`;
      }
      if (code === ALU_NEG) return `neg${sfx} %r${d}`;
      if (code === ALU_MOV && x && o !== 0) {
        return `movsx${o}${cls === CLASS_ALU ? "32" : "64"} %r${d}, %r${s}`;
      }
      let name = ALU_NAMES.get(code) ?? `alu${code.toString(16)}`;
      if (o === 1 && (code === ALU_DIV || code === ALU_MOD)) name = "s" + name;
      return `${name}${sfx} %r${d}, ${x ? `%r${s}` : k}`;
    }
    case CLASS_JMP:
    case CLASS_JMP32: {
      const sfx = cls === CLASS_JMP32 ? "32" : "";
      const code = op & OP_MASK;
      if (op === JA) return `ja ${t(o)}`;
      if (op === JA32) return `ja32 ${t(k)}`;
      if (op === EXIT) return "exit";
      if (op === CALLX) return `call %r${d}`;
      if (op === CALL) {
        if (s === CALL_SRC_LOCAL) return `call local ${t(k)}`;
        if (s === CALL_SRC_BTF) return `call runtime ${k}`;
        return `call ${k}`;
      }
      return `${JMP_NAMES.get(code) ?? "j?"}${sfx} %r${d}, ${x ? `%r${s}` : k}, ${t(o)}`;
    }
    case CLASS_LD: {
      if (op === LDDW) {
        const v = `0x${lddwValue(insn).toString(16)}`;
        return s === LDDW_SRC_IMM64
          ? `lddw %r${d}, ${v}`
          : `lddw %r${d}, ${v}, ${LDDW_KINDS[s] ?? s}`;
      }
      const size = SIZE_NAMES.get(op & SIZE_MASK);
      if ((op & MODE_MASK) === MODE_IND) return `ldind${size} %r${s}, ${k}`;
      return `ldabs${size} ${k}`;
    }
    case CLASS_LDX: {
      const sx = (op & MODE_MASK) === MODE_MEMSX ? "s" : "";
      return `ldx${sx}${SIZE_NAMES.get(op & SIZE_MASK)} %r${d}, ${mem(s, o)}`;
    }
    case CLASS_ST:
      return `st${SIZE_NAMES.get(op & SIZE_MASK)} ${mem(d, o)}, ${k}`;
    default: { // CLASS_STX
      if ((op & MODE_MASK) === MODE_ATOMIC) {
        const sfx = (op & SIZE_MASK) === SIZE_DW ? "" : "32";
        if (k === ATOMIC_XCHG) return `lock xchg${sfx} ${mem(d, o)}, %r${s}`;
        if (k === ATOMIC_CMPXCHG) return `lock cmpxchg${sfx} ${mem(d, o)}, %r${s}`;
        const fetch = k & ATOMIC_FETCH ? "fetch " : "";
        const name = ATOMIC_NAMES.get(k & ~ATOMIC_FETCH) ?? "?";
        return `lock ${fetch}${name}${sfx} ${mem(d, o)}, %r${s}`;
      }
      return `stx${SIZE_NAMES.get(op & SIZE_MASK)} ${mem(d, o)}, %r${s}`;
    }
  }
}

/**
 * Disassembles a program (bytecode or decoded) into assembler text, one instruction per line.
 *
 * @param input Bytecode or a decoded program.
 * @param options Labels instead of offsets; leniency.
 * @returns The text (ends with a newline).
 * @throws {BpfError} `decode` for invalid bytes (unless `lenient`).
 *
 * @example
 * ```ts
 * import { assemble, disassemble } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const bytes = assemble("ldxw %r0, [%r1+4]\nbe32 %r0\nexit");
 * const text = disassemble(bytes);
 * assert.equal(text, "ldxw %r0, [%r1+4]\nbe32 %r0\nexit\n");
 * assert.deepEqual(assemble(text), bytes); // the text assembles back to the same bytes
 * ```
 */
export function disassemble(
  input: Uint8Array | BpfProgram,
  options: DisassembleOptions = {},
): string {
  const program = input instanceof Uint8Array
    ? decodeProgram(input, { strict: !options.lenient })
    : input;
  const { instructions, pcs, slotCount } = program;
  const labelAt = new Set<number>();
  const targetOf = (i: number, r: number): number => pcs[i] + 1 + r;
  if (options.labels) {
    instructions.forEach((insn, i) => {
      const op = insn.opcode;
      const cls = op & CLASS_MASK;
      if (
        op === JA ||
        ((cls === CLASS_JMP || cls === CLASS_JMP32) && ![CALL, CALLX, EXIT, JA32].includes(op))
      ) {
        labelAt.add(targetOf(i, insn.offset));
      } else if (op === JA32 || (op === CALL && insn.src === CALL_SRC_LOCAL)) {
        labelAt.add(targetOf(i, insn.imm));
      }
    });
    for (const l of labelAt) {
      if (l < 0 || l > slotCount || (l < slotCount && program.indexOfSlot[l] === -1)) {
        throw new BpfError("decode", `Jump target ${l} cannot be labelled`);
      }
    }
  }
  const lines: string[] = [];
  instructions.forEach((insn, i) => {
    if (!options.lenient) {
      const why = checkInstruction(insn);
      if (why !== null) throw new BpfError("decode", why, { pc: pcs[i] });
    }
    if (labelAt.has(pcs[i])) lines.push(`L${pcs[i]}:`);
    lines.push(
      formatInstruction(insn, options.labels ? (r) => `L${targetOf(i, r)}` : undefined),
    );
  });
  if (labelAt.has(slotCount)) lines.push(`L${slotCount}:`);
  return lines.join("\n") + "\n";
}
