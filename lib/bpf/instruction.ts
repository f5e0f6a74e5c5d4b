/**
 * The eBPF instruction representation shared by the assembler, disassembler, verifier,
 * interpreter and JIT: 8-byte instructions decoded into plain {@linkcode BpfInstruction} objects,
 * with `lddw`'s two slots folded into one logical instruction carrying a 64-bit immediate.
 *
 * Encoding (RFC 9669 §3, little-endian): byte 0 opcode, byte 1 `dst` (low nibble) and `src`
 * (high nibble), bytes 2–3 signed 16-bit offset, bytes 4–7 signed 32-bit immediate.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import { EBPF } from "./opcodes.ts";

const {
  CLASS_MASK,
  SRC_MASK,
  OP_MASK,
  SIZE_MASK,
  MODE_MASK,
  CLASS_LD,
  CLASS_LDX,
  CLASS_ST,
  CLASS_ALU,
  CLASS_JMP,
  CLASS_JMP32,
  CLASS_ALU64,
  ALU_DIV,
  ALU_NEG,
  ALU_MOD,
  ALU_MOV,
  ALU_END,
  JMP_JA,
  JMP_CALL,
  JMP_EXIT,
  JMP_JSLE,
  SIZE_W,
  SIZE_DW,
  MODE_ABS,
  MODE_IND,
  MODE_MEM,
  MODE_MEMSX,
  MODE_ATOMIC,
  ATOMIC_ADD,
  ATOMIC_OR,
  ATOMIC_AND,
  ATOMIC_XOR,
  ATOMIC_FETCH,
  ATOMIC_XCHG,
  ATOMIC_CMPXCHG,
  LDDW,
  LDDW_SRC_MAP_VALUE_BY_IDX,
  CALL_SRC_BTF,
} = EBPF;

/**
 * One logical instruction. Every instruction occupies one 8-byte slot except `lddw`
 * (opcode 0x18), which occupies two: its `imm` is the low 32 bits and `imm2` the high 32 bits
 * (the second slot's immediate).
 *
 * @example
 * ```ts
 * import { type BpfInstruction, EBPF, encodeProgram } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const program: BpfInstruction[] = [
 *   { opcode: EBPF.LDDW, dst: 0, src: 0, offset: 0, imm: 1, imm2: 2 }, // r0 = 0x200000001
 *   { opcode: EBPF.EXIT, dst: 0, src: 0, offset: 0, imm: 0 },
 * ];
 * assert.equal(encodeProgram(program).length, 24); // lddw takes two 8-byte slots
 * ```
 */
export interface BpfInstruction {
  /** The opcode byte. */
  opcode: number;
  /** Destination register 0–10 (0–15 representable). */
  dst: number;
  /** Source register 0–10, or the `lddw`/`call` source kind. */
  src: number;
  /** Signed 16-bit offset. */
  offset: number;
  /** Signed 32-bit immediate (low half of the 64-bit immediate for `lddw`). */
  imm: number;
  /** For `lddw` only: the signed 32-bit immediate of the second slot (high half). */
  imm2?: number;
}

/**
 * A decoded program. `instructions` are logical instructions; `pcs[i]` is the slot index of
 * instruction `i` (what jump offsets count), and `indexOfSlot[slot]` maps a slot back to its
 * instruction index, or -1 for the second slot of an `lddw`.
 *
 * @example
 * ```ts
 * import { assemble, type BpfProgram, decodeProgram } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const p: BpfProgram = decodeProgram(assemble("lddw %r0, 5\nja +0\nexit"));
 * assert.equal(p.instructions.length, 3);
 * assert.equal(p.slotCount, 4);
 * assert.deepEqual([...p.pcs], [0, 2, 3]); // the slot of each instruction
 * assert.deepEqual([...p.indexOfSlot], [0, -1, 1, 2]); // -1: the lddw's second slot
 * ```
 */
export interface BpfProgram {
  /** The logical instructions in order. */
  instructions: BpfInstruction[];
  /** Slot index (8-byte unit) of each instruction. */
  pcs: Int32Array;
  /** For each slot: the instruction index, or -1 for an `lddw`'s second slot. */
  indexOfSlot: Int32Array;
  /** The number of 8-byte slots. */
  slotCount: number;
}

/**
 * Options of {@linkcode decodeProgram}.
 *
 * @example
 * ```ts
 * import { BpfError, decodeProgram, type DecodeProgramOptions } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * // exit with a non-zero (unused) immediate field
 * const bytes = new Uint8Array([0x95, 0, 0, 0, 1, 0, 0, 0]);
 * assert.throws(() => decodeProgram(bytes), BpfError);
 * const lenient: DecodeProgramOptions = { strict: false };
 * assert.equal(decodeProgram(bytes, lenient).instructions[0].imm, 1);
 * ```
 */
export interface DecodeProgramOptions {
  /**
   * Reject unknown opcodes, registers above r10 and non-zero unused fields (RFC 9669). Default
   * `true`. With `false` only the framing is checked (length, complete `lddw`).
   */
  strict?: boolean;
}

/** Tells whether an opcode is `lddw` (two slots). */
function isLddw(opcode: number): boolean {
  return opcode === LDDW;
}

/**
 * Returns the number of 8-byte slots an instruction occupies (2 for `lddw`, else 1).
 *
 * @param insn The instruction.
 * @returns 1 or 2.
 */
function slotsOf(insn: BpfInstruction): number {
  return isLddw(insn.opcode) ? 2 : 1;
}

/**
 * Returns the 64-bit immediate of an `lddw` as an unsigned bigint.
 *
 * @param insn An `lddw` instruction.
 * @returns `(imm2 << 32) | (imm >>> 0)`.
 */
export function lddwValue(insn: BpfInstruction): bigint {
  return (BigInt((insn.imm2 ?? 0) >>> 0) << 32n) | BigInt(insn.imm >>> 0);
}

/**
 * Explains why an instruction is not valid per RFC 9669, or returns `null` when it is: unknown
 * opcode, register above r10, or an unused field that is not zero.
 *
 * @param insn The instruction (for `lddw`, `imm2` is its second slot's immediate).
 * @returns A message such as `Unused offset field is 1 in opcode 0x07`, or `null`.
 */
export function checkInstruction(insn: BpfInstruction): string | null {
  const { opcode, dst, src, offset, imm } = insn;
  const hex = `0x${opcode.toString(16).padStart(2, "0")}`;
  const cls = opcode & CLASS_MASK;
  const unknown = `Unknown opcode ${hex}`;
  if (dst > 10) return `Invalid destination register r${dst} in opcode ${hex}`;
  const mustZero = (what: string, v: number): string | null =>
    v !== 0 ? `Unused ${what} field is ${v} in opcode ${hex}` : null;
  switch (cls) {
    case CLASS_ALU:
    case CLASS_ALU64: {
      const op = opcode & OP_MASK;
      const x = (opcode & SRC_MASK) !== 0;
      if (op > ALU_END) return unknown;
      if (op === ALU_END) {
        if (cls === CLASS_ALU64 && x) return unknown;
        if (imm !== 16 && imm !== 32 && imm !== 64) {
          return `Invalid byte swap width ${imm} in opcode ${hex}`;
        }
        return mustZero("source", src) ?? mustZero("offset", offset);
      }
      if (op === ALU_NEG) {
        if (x) return unknown;
        return mustZero("source", src) ?? mustZero("offset", offset) ?? mustZero("immediate", imm);
      }
      let offsetOk = offset === 0;
      if (op === ALU_DIV || op === ALU_MOD) offsetOk = offset === 0 || offset === 1;
      if (op === ALU_MOV && x) {
        offsetOk = offset === 0 || offset === 8 || offset === 16 ||
          (offset === 32 && cls === CLASS_ALU64);
      }
      if (!offsetOk) return `Invalid offset ${offset} in opcode ${hex}`;
      if (x) {
        if (src > 10) return `Invalid source register r${src} in opcode ${hex}`;
        return mustZero("immediate", imm);
      }
      return mustZero("source", src);
    }
    case CLASS_JMP:
    case CLASS_JMP32: {
      const op = opcode & OP_MASK;
      const x = (opcode & SRC_MASK) !== 0;
      if (op === JMP_JA) {
        if (x) return unknown;
        if (cls === CLASS_JMP) {
          return mustZero("destination", dst) ?? mustZero("source", src) ??
            mustZero("immediate", imm);
        }
        return mustZero("destination", dst) ?? mustZero("source", src) ??
          mustZero("offset", offset);
      }
      if (op === JMP_CALL) {
        if (cls === CLASS_JMP32) return unknown;
        if (x) {
          return mustZero("source", src) ?? mustZero("offset", offset) ??
            mustZero("immediate", imm);
        }
        if (src > CALL_SRC_BTF) return `Invalid call source ${src} in opcode ${hex}`;
        return mustZero("destination", dst) ?? mustZero("offset", offset);
      }
      if (op === JMP_EXIT) {
        if (cls === CLASS_JMP32 || x) return unknown;
        return mustZero("destination", dst) ?? mustZero("source", src) ??
          mustZero("offset", offset) ?? mustZero("immediate", imm);
      }
      if (op > JMP_JSLE) return unknown;
      if (x) {
        if (src > 10) return `Invalid source register r${src} in opcode ${hex}`;
        return mustZero("immediate", imm);
      }
      return mustZero("source", src);
    }
    case CLASS_LD: {
      if (opcode === LDDW) {
        if (src > LDDW_SRC_MAP_VALUE_BY_IDX) return `Invalid lddw source ${src}`;
        return mustZero("offset", offset);
      }
      const mode = opcode & MODE_MASK;
      const size = opcode & SIZE_MASK;
      if ((mode !== MODE_ABS && mode !== MODE_IND) || size === SIZE_DW) return unknown;
      if (mode === MODE_ABS) {
        return mustZero("destination", dst) ?? mustZero("source", src) ??
          mustZero("offset", offset);
      }
      if (src > 10) return `Invalid source register r${src} in opcode ${hex}`;
      return mustZero("destination", dst) ?? mustZero("offset", offset);
    }
    case CLASS_LDX: {
      const mode = opcode & MODE_MASK;
      if (mode !== MODE_MEM && !(mode === MODE_MEMSX && (opcode & SIZE_MASK) !== SIZE_DW)) {
        return unknown;
      }
      if (src > 10) return `Invalid source register r${src} in opcode ${hex}`;
      return mustZero("immediate", imm);
    }
    case CLASS_ST: {
      if ((opcode & MODE_MASK) !== MODE_MEM) return unknown;
      return mustZero("source", src);
    }
    default: { // STX
      const mode = opcode & MODE_MASK;
      if (src > 10) return `Invalid source register r${src} in opcode ${hex}`;
      if (mode === MODE_MEM) return mustZero("immediate", imm);
      if (mode !== MODE_ATOMIC) return unknown;
      const size = opcode & SIZE_MASK;
      if (size !== SIZE_W && size !== SIZE_DW) return unknown;
      switch (imm) {
        case ATOMIC_ADD:
        case ATOMIC_OR:
        case ATOMIC_AND:
        case ATOMIC_XOR:
        case ATOMIC_ADD | ATOMIC_FETCH:
        case ATOMIC_OR | ATOMIC_FETCH:
        case ATOMIC_AND | ATOMIC_FETCH:
        case ATOMIC_XOR | ATOMIC_FETCH:
        case ATOMIC_XCHG:
        case ATOMIC_CMPXCHG:
          return null;
        default:
          return `Unknown atomic operation 0x${(imm >>> 0).toString(16)} in opcode ${hex}`;
      }
    }
  }
}

/**
 * Decodes eBPF bytecode (a multiple of 8 bytes, little-endian) into a {@linkcode BpfProgram}.
 *
 * @param bytes The bytecode.
 * @param options Strictness.
 * @returns The program.
 * @throws {BpfError} `decode` with the slot index when the bytes are not a valid program.
 *
 * @example
 * ```ts
 * import { decodeProgram } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * // mov r0, 42; exit
 * const bytes = new Uint8Array([0xb7, 0, 0, 0, 42, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
 * const prog = decodeProgram(bytes);
 * assert.equal(prog.instructions.length, 2);
 * assert.equal(prog.instructions[0].imm, 42);
 * assert.throws(() => decodeProgram(bytes.subarray(0, 12)), /not a multiple of 8 bytes/);
 * ```
 */
export function decodeProgram(bytes: Uint8Array, options: DecodeProgramOptions = {}): BpfProgram {
  const strict = options.strict ?? true;
  if (bytes.length % 8 !== 0) {
    throw new BpfError(
      "decode",
      `Program length ${bytes.length} is not a multiple of 8 bytes`,
      { pc: Math.floor(bytes.length / 8) },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slotCount = bytes.length / 8;
  const instructions: BpfInstruction[] = [];
  const pcs: number[] = [];
  const indexOfSlot = new Int32Array(slotCount);
  for (let pc = 0; pc < slotCount; pc++) {
    const at = pc * 8;
    const regs = bytes[at + 1];
    const insn: BpfInstruction = {
      opcode: bytes[at],
      dst: regs & 0x0f,
      src: regs >> 4,
      offset: view.getInt16(at + 2, true),
      imm: view.getInt32(at + 4, true),
    };
    indexOfSlot[pc] = instructions.length;
    pcs.push(pc);
    if (isLddw(insn.opcode)) {
      if (pc + 1 >= slotCount) {
        throw new BpfError("decode", "Incomplete lddw: the second slot is missing", { pc });
      }
      const at2 = at + 8;
      if (
        strict &&
        (bytes[at2] !== 0 || bytes[at2 + 1] !== 0 || bytes[at2 + 2] !== 0 || bytes[at2 + 3] !== 0)
      ) {
        throw new BpfError(
          "decode",
          "Invalid lddw: the second slot's opcode, registers and offset must be zero",
          { pc: pc + 1 },
        );
      }
      insn.imm2 = view.getInt32(at2 + 4, true);
      indexOfSlot[pc + 1] = -1;
      pc++;
    }
    if (strict) {
      const why = checkInstruction(insn);
      if (why !== null) throw new BpfError("decode", why, { pc: pcs[pcs.length - 1] });
    }
    instructions.push(insn);
  }
  return { instructions, pcs: Int32Array.from(pcs), indexOfSlot, slotCount };
}

/**
 * Builds a {@linkcode BpfProgram} from instructions (slot indexes computed from `lddw`s).
 *
 * @param instructions The logical instructions.
 * @returns The program (the array is used as is, not copied).
 */
export function programOf(instructions: BpfInstruction[]): BpfProgram {
  let slots = 0;
  for (const i of instructions) slots += slotsOf(i);
  const pcs = new Int32Array(instructions.length);
  const indexOfSlot = new Int32Array(slots);
  let pc = 0;
  for (let k = 0; k < instructions.length; k++) {
    pcs[k] = pc;
    indexOfSlot[pc] = k;
    if (isLddw(instructions[k].opcode)) indexOfSlot[++pc] = -1;
    pc++;
  }
  return { instructions, pcs, indexOfSlot, slotCount: slots };
}

/**
 * Encodes instructions (or a program) as little-endian bytecode.
 *
 * @param instructions The logical instructions or a {@linkcode BpfProgram}.
 * @returns The bytes, 8 per slot.
 *
 * @example
 * ```ts
 * import { EBPF, encodeProgram } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const bytes = encodeProgram([
 *   { opcode: EBPF.MOV64_IMM, dst: 0, src: 0, offset: 0, imm: -1 },
 *   { opcode: EBPF.EXIT, dst: 0, src: 0, offset: 0, imm: 0 },
 * ]);
 * assert.deepEqual([...bytes.subarray(0, 8)], [0xb7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
 * ```
 */
export function encodeProgram(instructions: BpfInstruction[] | BpfProgram): Uint8Array {
  const list = Array.isArray(instructions) ? instructions : instructions.instructions;
  let slots = 0;
  for (const i of list) slots += slotsOf(i);
  const out = new Uint8Array(slots * 8);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const i of list) {
    out[at] = i.opcode & 0xff;
    out[at + 1] = (i.dst & 0x0f) | ((i.src & 0x0f) << 4);
    view.setInt16(at + 2, i.offset << 16 >> 16, true);
    view.setInt32(at + 4, i.imm | 0, true);
    at += 8;
    if (isLddw(i.opcode)) {
      view.setInt32(at + 4, (i.imm2 ?? 0) | 0, true);
      at += 8;
    }
  }
  return out;
}
