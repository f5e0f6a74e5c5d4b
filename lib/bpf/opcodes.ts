/**
 * eBPF opcode constants per RFC 9669 (BPF Instruction Set Architecture). An opcode byte is
 * `class | op | source` for arithmetic and jumps, and `class | mode | size` for loads and stores.
 *
 * @module
 */

/**
 * Instruction classes: the low three bits of the opcode (RFC 9669 §3.1).
 *
 * @example
 * ```ts
 * import { CLASS } from "./opcodes.ts";
 * import assert from "node:assert/strict";
 * assert.equal(0x95 & 0x07, CLASS.JMP);
 * ```
 */
export const CLASS = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07,
} as const;

/**
 * The source bit of arithmetic and jump opcodes: `K` uses the 32-bit immediate, `X` the source
 * register. For `END` (byte swaps) in class ALU, `X` means big-endian (`TO_BE`).
 *
 * @example
 * ```ts
 * import { SOURCE } from "./opcodes.ts";
 * import assert from "node:assert/strict";
 * assert.equal(0x0f & SOURCE.X, SOURCE.X); // add64 reg
 * ```
 */
export const SOURCE = { K: 0x00, X: 0x08, TO_LE: 0x00, TO_BE: 0x08 } as const;

/**
 * Arithmetic operations: the high four bits of ALU/ALU64 opcodes (RFC 9669 §4.1). `DIV` and
 * `MOD` are signed when the instruction's offset is 1; `MOV` with offset 8/16/32 is `MOVSX`.
 *
 * @example
 * ```ts
 * import { ALU_OP, CLASS, SOURCE } from "./opcodes.ts";
 * import assert from "node:assert/strict";
 * assert.equal(CLASS.ALU64 | ALU_OP.MOV | SOURCE.K, 0xb7);
 * ```
 */
export const ALU_OP = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  MOV: 0xb0,
  ARSH: 0xc0,
  END: 0xd0,
} as const;

/**
 * Jump operations: the high four bits of JMP/JMP32 opcodes (RFC 9669 §4.3). `JA` in class JMP32
 * is the long jump (`gotol`, offset in the immediate); `CALL` and `EXIT` exist only in class JMP.
 *
 * @example
 * ```ts
 * import { CLASS, JMP_OP } from "./opcodes.ts";
 * import assert from "node:assert/strict";
 * assert.equal(CLASS.JMP | JMP_OP.EXIT, 0x95);
 * ```
 */
export const JMP_OP = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
} as const;

/**
 * Access sizes of loads and stores (bits 3–4): word (4), half word (2), byte, double word (8).
 *
 * @example
 * ```ts
 * import { SIZE, sizeBytes } from "./opcodes.ts";
 * import assert from "node:assert/strict";
 * assert.equal(sizeBytes(SIZE.DW), 8);
 * ```
 */
export const SIZE = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;

/**
 * Load/store modes (bits 5–7): immediate (`lddw`), legacy packet access `ABS`/`IND`, regular
 * `MEM`, sign-extending `MEMSX`, and `ATOMIC`.
 *
 * @example
 * ```ts
 * import { CLASS, MODE, SIZE } from "./opcodes.ts";
 * import assert from "node:assert/strict";
 * assert.equal(CLASS.LDX | MODE.MEMSX | SIZE.B, 0x91); // ldxsb
 * ```
 */
export const MODE = {
  IMM: 0x00,
  ABS: 0x20,
  IND: 0x40,
  MEM: 0x60,
  MEMSX: 0x80,
  ATOMIC: 0xc0,
} as const;

/**
 * Atomic operations, carried in the immediate of `STX|ATOMIC` instructions. `FETCH` is or-ed into
 * ADD/OR/AND/XOR; `XCHG` and `CMPXCHG` always include it.
 *
 * @example
 * ```ts
 * import { ATOMIC_OP } from "./opcodes.ts";
 * import assert from "node:assert/strict";
 * assert.equal(ATOMIC_OP.ADD | ATOMIC_OP.FETCH, 0x01);
 * assert.equal(ATOMIC_OP.CMPXCHG, 0xf1);
 * ```
 */
export const ATOMIC_OP = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  FETCH: 0x01,
  XCHG: 0xe1,
  CMPXCHG: 0xf1,
} as const;

/**
 * The source field of `lddw` (opcode 0x18), RFC 9669 §5.4: what the 64-bit immediate means.
 * `IMM64` is a plain constant; the others need a runtime resolver (maps, variables, code).
 *
 * @example
 * ```ts
 * import { LDDW_SRC } from "./opcodes.ts";
 * import assert from "node:assert/strict";
 * assert.equal(LDDW_SRC.MAP_BY_FD, 1);
 * ```
 */
export const LDDW_SRC = {
  IMM64: 0,
  MAP_BY_FD: 1,
  MAP_VALUE_BY_FD: 2,
  VARIABLE: 3,
  CODE: 4,
  MAP_BY_IDX: 5,
  MAP_VALUE_BY_IDX: 6,
} as const;

/**
 * The source field of `call` (opcode 0x85): a helper by static id, a local (program-relative)
 * function, or a helper by BTF id.
 *
 * @example
 * ```ts
 * import { CALL_SRC } from "./opcodes.ts";
 * import assert from "node:assert/strict";
 * assert.equal(CALL_SRC.LOCAL, 1);
 * ```
 */
export const CALL_SRC = { HELPER: 0, LOCAL: 1, BTF: 2 } as const;

/**
 * Frequently used whole opcodes.
 *
 * @example
 * ```ts
 * import { OP } from "./opcodes.ts";
 * import assert from "node:assert/strict";
 * assert.equal(OP.LDDW, 0x18);
 * assert.equal(OP.EXIT, 0x95);
 * ```
 */
export const OP = {
  LDDW: 0x18,
  CALL: 0x85,
  CALLX: 0x8d,
  EXIT: 0x95,
  JA: 0x05,
  JA32: 0x06,
  LE: 0xd4,
  BE: 0xdc,
  BSWAP: 0xd7,
} as const;

/**
 * Returns the number of bytes a load/store size code accesses.
 *
 * @param size One of {@linkcode SIZE} (the opcode's bits 3–4, i.e. `opcode & 0x18`).
 * @returns 4, 2, 1 or 8.
 * @example
 * ```ts
 * import { sizeBytes } from "./opcodes.ts";
 * import assert from "node:assert/strict";
 * assert.equal(sizeBytes(0x61 & 0x18), 4); // ldxw
 * ```
 */
export function sizeBytes(size: number): number {
  switch (size & 0x18) {
    case 0x00:
      return 4;
    case 0x08:
      return 2;
    case 0x10:
      return 1;
    default:
      return 8;
  }
}
