/**
 * The disassembler: bytecode or decoded programs to the assembler dialect of
 * {@linkcode ./assembler.ts}, such that the text assembles back to the same bytes.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import {
  checkInstruction,
  decodeProgram,
  type Instruction,
  lddwValue,
  type Program,
} from "./instruction.ts";

/** Options of {@linkcode disassemble}. */
export interface DisassembleOptions {
  /** Print jump and local call targets as labels `L<slot>:` instead of `+N`/`-N` (default false). */
  labels?: boolean;
  /** Accept instructions that fail the RFC 9669 validity checks (default false). */
  lenient?: boolean;
}

const ALU_NAMES: Record<number, string> = {
  0x00: "add",
  0x10: "sub",
  0x20: "mul",
  0x30: "div",
  0x40: "or",
  0x50: "and",
  0x60: "lsh",
  0x70: "rsh",
  0x80: "neg",
  0x90: "mod",
  0xa0: "xor",
  0xb0: "mov",
  0xc0: "arsh",
};
const JMP_NAMES: Record<number, string> = {
  0x10: "jeq",
  0x20: "jgt",
  0x30: "jge",
  0x40: "jset",
  0x50: "jne",
  0x60: "jsgt",
  0x70: "jsge",
  0xa0: "jlt",
  0xb0: "jle",
  0xc0: "jslt",
  0xd0: "jsle",
};
const SIZE_NAMES: Record<number, string> = { 0x00: "w", 0x08: "h", 0x10: "b", 0x18: "dw" };
const ATOMIC_NAMES: Record<number, string> = { 0x00: "add", 0x40: "or", 0x50: "and", 0xa0: "xor" };
const LDDW_KINDS = ["", "map_fd", "map_value_fd", "variable", "code", "map_idx", "map_value_idx"];

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
 * @example
 * ```ts
 * import { formatInstruction } from "./disassembler.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatInstruction({ opcode: 0x61, dst: 0, src: 1, offset: 4, imm: 0 }), "ldxw %r0, [%r1+4]");
 * ```
 */
export function formatInstruction(insn: Instruction, target?: (rel: number) => string): string {
  const { opcode: op, dst: d, src: s, offset: o, imm: k } = insn;
  const t = target ?? rel;
  const cls = op & 7;
  const x = (op & 8) !== 0;
  switch (cls) {
    case 4:
    case 7: {
      const sfx = cls === 4 ? "32" : "";
      const code = op & 0xf0;
      if (code === 0xd0) {
        const name = op === 0xd4 ? "le" : op === 0xdc ? "be" : "bswap";
        return `${name}${k} %r${d}`;
      }
      if (code === 0x80) return `neg${sfx} %r${d}`;
      if (code === 0xb0 && x && o !== 0) {
        return `movsx${o}${cls === 4 ? "32" : "64"} %r${d}, %r${s}`;
      }
      let name = ALU_NAMES[code] ?? `alu${code.toString(16)}`;
      if (o === 1 && (code === 0x30 || code === 0x90)) name = "s" + name;
      return `${name}${sfx} %r${d}, ${x ? `%r${s}` : k}`;
    }
    case 5:
    case 6: {
      const sfx = cls === 6 ? "32" : "";
      const code = op & 0xf0;
      if (op === 0x05) return `ja ${t(o)}`;
      if (op === 0x06) return `ja32 ${t(k)}`;
      if (op === 0x95) return "exit";
      if (op === 0x8d) return `call %r${d}`;
      if (op === 0x85) {
        if (s === 1) return `call local ${t(k)}`;
        if (s === 2) return `call runtime ${k}`;
        return `call ${k}`;
      }
      return `${JMP_NAMES[code] ?? "j?"}${sfx} %r${d}, ${x ? `%r${s}` : k}, ${t(o)}`;
    }
    case 0: {
      if (op === 0x18) {
        const v = `0x${lddwValue(insn).toString(16)}`;
        return s === 0 ? `lddw %r${d}, ${v}` : `lddw %r${d}, ${v}, ${LDDW_KINDS[s] ?? s}`;
      }
      const size = SIZE_NAMES[op & 0x18];
      if ((op & 0xe0) === 0x40) return `ldind${size} %r${s}, ${k}`;
      return `ldabs${size} ${k}`;
    }
    case 1: {
      const sx = (op & 0xe0) === 0x80 ? "s" : "";
      return `ldx${sx}${SIZE_NAMES[op & 0x18]} %r${d}, ${mem(s, o)}`;
    }
    case 2:
      return `st${SIZE_NAMES[op & 0x18]} ${mem(d, o)}, ${k}`;
    default: {
      if ((op & 0xe0) === 0xc0) {
        const sfx = (op & 0x18) === 0x18 ? "" : "32";
        if (k === 0xe1) return `lock xchg${sfx} ${mem(d, o)}, %r${s}`;
        if (k === 0xf1) return `lock cmpxchg${sfx} ${mem(d, o)}, %r${s}`;
        const fetch = k & 1 ? "fetch " : "";
        return `lock ${fetch}${ATOMIC_NAMES[k & 0xfe] ?? "?"}${sfx} ${mem(d, o)}, %r${s}`;
      }
      return `stx${SIZE_NAMES[op & 0x18]} ${mem(d, o)}, %r${s}`;
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
 * @example
 * ```ts
 * import { disassemble } from "./disassembler.ts";
 * import { assemble } from "./assembler.ts";
 * import assert from "node:assert/strict";
 * const bytes = assemble("mov %r0, 1\njeq %r0, 1, +1\nmov %r0, 2\nexit");
 * const text = disassemble(bytes);
 * assert.deepEqual(assemble(text), bytes);
 * assert.match(disassemble(bytes, { labels: true }), /^L3:$/m);
 * ```
 */
export function disassemble(input: Uint8Array | Program, options: DisassembleOptions = {}): string {
  const program = input instanceof Uint8Array
    ? decodeProgram(input, { strict: !options.lenient })
    : input;
  const { instructions, pcs, slotCount } = program;
  const labelAt = new Set<number>();
  const targetOf = (i: number, r: number): number => pcs[i] + 1 + r;
  if (options.labels) {
    instructions.forEach((insn, i) => {
      const op = insn.opcode;
      if (
        op === 0x05 ||
        (((op & 7) === 5 || (op & 7) === 6) && ![0x85, 0x8d, 0x95, 0x06].includes(op))
      ) {
        labelAt.add(targetOf(i, insn.offset));
      } else if (op === 0x06 || (op === 0x85 && insn.src === 1)) labelAt.add(targetOf(i, insn.imm));
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
