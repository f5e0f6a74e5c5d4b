/**
 * The eBPF opcode table of RFC 9669 (BPF Instruction Set Architecture), as one namespace object
 * {@linkcode EBPF}: the fields an opcode byte is made of (`class | op | source` for arithmetic and
 * jumps, `class | mode | size` for loads and stores), the masks that take it apart, and every
 * whole opcode by name (`EBPF.ADD64_IMM`, `EBPF.LDXW`, `EBPF.JEQ32_REG` …), in the style of rbpf's
 * `ebpf::ADD64_IMM` and ubpf's `EBPF_OP_ADD64_IMM`.
 *
 * Code takes the names it needs into module constants of its own (`const { LDDW, EXIT } =
 * EBPF;`), which V8 folds into optimized code. The one hot `switch`, the interpreter's run loop,
 * names its cases through a file-local `const enum` with these values (checked by a test):
 * TypeScript compiles `case Op.ADD64_IMM:` to `case 7:`, which V8 makes a jump table. Case labels
 * that are imported constants compile to a chain of comparisons instead (measured four times
 * slower), and even module constants make the chain depend on type feedback (3–9% slower).
 *
 * @module
 */

// Instruction classes: the low three bits (RFC 9669 §3.1).
const LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, JMP32 = 0x06;
const ALU64 = 0x07;
// Source bit of arithmetic and jump opcodes: the immediate (K) or the source register (X).
const K = 0x00, X = 0x08;
// Arithmetic operations: the high four bits of ALU/ALU64 opcodes (RFC 9669 §4.1).
const ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60;
const RSH = 0x70, NEG = 0x80, MOD = 0x90, XOR = 0xa0, MOV = 0xb0, ARSH = 0xc0, END = 0xd0;
// Jump operations: the high four bits of JMP/JMP32 opcodes (RFC 9669 §4.3).
const JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40, JNE = 0x50, JSGT = 0x60;
const JSGE = 0x70, CALL = 0x80, EXIT = 0x90, JLT = 0xa0, JLE = 0xb0, JSLT = 0xc0, JSLE = 0xd0;
// Access sizes of loads and stores (bits 3–4).
const W = 0x00, H = 0x08, B = 0x10, DW = 0x18;
// Load/store modes (bits 5–7).
const IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, MEMSX = 0x80, ATOMIC = 0xc0;

/**
 * The eBPF opcode table (RFC 9669): opcode fields, masks, `lddw` and `call` source kinds, atomic
 * operations, and every whole opcode by name.
 *
 * - Classes `CLASS_LD` … `CLASS_ALU64` (`opcode & CLASS_MASK`).
 * - Source `SRC_K` (immediate) or `SRC_X` (register), `opcode & SRC_MASK`; for `END` byte swaps
 *   in class ALU, `SRC_X` means big-endian.
 * - Arithmetic `ALU_ADD` … `ALU_END` and jumps `JMP_JA` … `JMP_JSLE` (`opcode & OP_MASK`).
 *   `DIV`/`MOD` are signed when the offset is 1; `MOV` with offset 8/16/32 is `movsx`; `JA` in
 *   class JMP32 is the long jump (offset in the immediate).
 * - Sizes `SIZE_W`, `SIZE_H`, `SIZE_B`, `SIZE_DW` (`opcode & SIZE_MASK`) and modes `MODE_IMM`,
 *   `MODE_ABS`, `MODE_IND`, `MODE_MEM`, `MODE_MEMSX`, `MODE_ATOMIC` (`opcode & MODE_MASK`).
 * - Atomic operations in the immediate of `ATOMIC32`/`ATOMIC64`: `ATOMIC_ADD`, `ATOMIC_OR`,
 *   `ATOMIC_AND`, `ATOMIC_XOR`, or-ed with `ATOMIC_FETCH`; `ATOMIC_XCHG`, `ATOMIC_CMPXCHG`.
 * - What `lddw`'s source field means (RFC 9669 §5.4): `LDDW_SRC_IMM64` … `LDDW_SRC_MAP_VALUE_BY_IDX`;
 *   what `call`'s means: `CALL_SRC_HELPER`, `CALL_SRC_LOCAL`, `CALL_SRC_BTF`.
 * - Whole opcodes: `ADD64_IMM`, `ADD64_REG`, `ADD32_IMM` … `ARSH32_REG`, `NEG64`, `NEG32`, `LE`,
 *   `BE`, `BSWAP`; `LDDW`, `LDABSW`/`H`/`B`, `LDINDW`/`H`/`B`, `LDXW`/`H`/`B`/`DW`,
 *   `LDXSW`/`H`/`B`, `STW` … `STDW`, `STXW` … `STXDW`, `ATOMIC32`, `ATOMIC64`; `JA`, `JA32`,
 *   `JEQ_IMM`, `JEQ_REG`, `JEQ32_IMM` … `JSLE32_REG`, `CALL`, `CALLX`, `EXIT`.
 *
 * @example
 * ```ts
 * import { EBPF } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * assert.equal(EBPF.ADD64_IMM, EBPF.CLASS_ALU64 | EBPF.SRC_K | EBPF.ALU_ADD);
 * assert.equal(EBPF.EXIT, 0x95);
 * assert.equal(EBPF.LDXB & EBPF.SIZE_MASK, EBPF.SIZE_B);
 * ```
 */
export const EBPF = {
  CLASS_LD: LD,
  CLASS_LDX: LDX,
  CLASS_ST: ST,
  CLASS_STX: STX,
  CLASS_ALU: ALU,
  CLASS_JMP: JMP,
  CLASS_JMP32: JMP32,
  CLASS_ALU64: ALU64,
  SRC_K: K,
  SRC_X: X,
  ALU_ADD: ADD,
  ALU_SUB: SUB,
  ALU_MUL: MUL,
  ALU_DIV: DIV,
  ALU_OR: OR,
  ALU_AND: AND,
  ALU_LSH: LSH,
  ALU_RSH: RSH,
  ALU_NEG: NEG,
  ALU_MOD: MOD,
  ALU_XOR: XOR,
  ALU_MOV: MOV,
  ALU_ARSH: ARSH,
  ALU_END: END,
  JMP_JA: JA,
  JMP_JEQ: JEQ,
  JMP_JGT: JGT,
  JMP_JGE: JGE,
  JMP_JSET: JSET,
  JMP_JNE: JNE,
  JMP_JSGT: JSGT,
  JMP_JSGE: JSGE,
  JMP_CALL: CALL,
  JMP_EXIT: EXIT,
  JMP_JLT: JLT,
  JMP_JLE: JLE,
  JMP_JSLT: JSLT,
  JMP_JSLE: JSLE,
  SIZE_W: W,
  SIZE_H: H,
  SIZE_B: B,
  SIZE_DW: DW,
  MODE_IMM: IMM,
  MODE_ABS: ABS,
  MODE_IND: IND,
  MODE_MEM: MEM,
  MODE_MEMSX: MEMSX,
  MODE_ATOMIC: ATOMIC,
  CLASS_MASK: 0x07,
  SRC_MASK: 0x08,
  OP_MASK: 0xf0,
  SIZE_MASK: 0x18,
  MODE_MASK: 0xe0,

  ATOMIC_ADD: 0x00,
  ATOMIC_OR: 0x40,
  ATOMIC_AND: 0x50,
  ATOMIC_XOR: 0xa0,
  ATOMIC_FETCH: 0x01,
  ATOMIC_XCHG: 0xe1,
  ATOMIC_CMPXCHG: 0xf1,

  LDDW_SRC_IMM64: 0,
  LDDW_SRC_MAP_BY_FD: 1,
  LDDW_SRC_MAP_VALUE_BY_FD: 2,
  LDDW_SRC_VARIABLE: 3,
  LDDW_SRC_CODE: 4,
  LDDW_SRC_MAP_BY_IDX: 5,
  LDDW_SRC_MAP_VALUE_BY_IDX: 6,
  CALL_SRC_HELPER: 0,
  CALL_SRC_LOCAL: 1,
  CALL_SRC_BTF: 2,

  // 64-bit arithmetic.
  ADD64_IMM: ALU64 | K | ADD,
  ADD64_REG: ALU64 | X | ADD,
  SUB64_IMM: ALU64 | K | SUB,
  SUB64_REG: ALU64 | X | SUB,
  MUL64_IMM: ALU64 | K | MUL,
  MUL64_REG: ALU64 | X | MUL,
  DIV64_IMM: ALU64 | K | DIV,
  DIV64_REG: ALU64 | X | DIV,
  OR64_IMM: ALU64 | K | OR,
  OR64_REG: ALU64 | X | OR,
  AND64_IMM: ALU64 | K | AND,
  AND64_REG: ALU64 | X | AND,
  LSH64_IMM: ALU64 | K | LSH,
  LSH64_REG: ALU64 | X | LSH,
  RSH64_IMM: ALU64 | K | RSH,
  RSH64_REG: ALU64 | X | RSH,
  NEG64: ALU64 | K | NEG,
  MOD64_IMM: ALU64 | K | MOD,
  MOD64_REG: ALU64 | X | MOD,
  XOR64_IMM: ALU64 | K | XOR,
  XOR64_REG: ALU64 | X | XOR,
  MOV64_IMM: ALU64 | K | MOV,
  MOV64_REG: ALU64 | X | MOV,
  ARSH64_IMM: ALU64 | K | ARSH,
  ARSH64_REG: ALU64 | X | ARSH,
  BSWAP: ALU64 | K | END,
  // 32-bit arithmetic.
  ADD32_IMM: ALU | K | ADD,
  ADD32_REG: ALU | X | ADD,
  SUB32_IMM: ALU | K | SUB,
  SUB32_REG: ALU | X | SUB,
  MUL32_IMM: ALU | K | MUL,
  MUL32_REG: ALU | X | MUL,
  DIV32_IMM: ALU | K | DIV,
  DIV32_REG: ALU | X | DIV,
  OR32_IMM: ALU | K | OR,
  OR32_REG: ALU | X | OR,
  AND32_IMM: ALU | K | AND,
  AND32_REG: ALU | X | AND,
  LSH32_IMM: ALU | K | LSH,
  LSH32_REG: ALU | X | LSH,
  RSH32_IMM: ALU | K | RSH,
  RSH32_REG: ALU | X | RSH,
  NEG32: ALU | K | NEG,
  MOD32_IMM: ALU | K | MOD,
  MOD32_REG: ALU | X | MOD,
  XOR32_IMM: ALU | K | XOR,
  XOR32_REG: ALU | X | XOR,
  MOV32_IMM: ALU | K | MOV,
  MOV32_REG: ALU | X | MOV,
  ARSH32_IMM: ALU | K | ARSH,
  ARSH32_REG: ALU | X | ARSH,
  LE: ALU | K | END,
  BE: ALU | X | END,
  // Loads and stores.
  LDDW: LD | IMM | DW,
  LDABSW: LD | ABS | W,
  LDABSH: LD | ABS | H,
  LDABSB: LD | ABS | B,
  LDINDW: LD | IND | W,
  LDINDH: LD | IND | H,
  LDINDB: LD | IND | B,
  LDXW: LDX | MEM | W,
  LDXH: LDX | MEM | H,
  LDXB: LDX | MEM | B,
  LDXDW: LDX | MEM | DW,
  LDXSW: LDX | MEMSX | W,
  LDXSH: LDX | MEMSX | H,
  LDXSB: LDX | MEMSX | B,
  STW: ST | MEM | W,
  STH: ST | MEM | H,
  STB: ST | MEM | B,
  STDW: ST | MEM | DW,
  STXW: STX | MEM | W,
  STXH: STX | MEM | H,
  STXB: STX | MEM | B,
  STXDW: STX | MEM | DW,
  ATOMIC32: STX | ATOMIC | W,
  ATOMIC64: STX | ATOMIC | DW,
  // Jumps.
  JA: JMP | K | JA,
  JA32: JMP32 | K | JA,
  JEQ_IMM: JMP | K | JEQ,
  JEQ_REG: JMP | X | JEQ,
  JGT_IMM: JMP | K | JGT,
  JGT_REG: JMP | X | JGT,
  JGE_IMM: JMP | K | JGE,
  JGE_REG: JMP | X | JGE,
  JSET_IMM: JMP | K | JSET,
  JSET_REG: JMP | X | JSET,
  JNE_IMM: JMP | K | JNE,
  JNE_REG: JMP | X | JNE,
  JSGT_IMM: JMP | K | JSGT,
  JSGT_REG: JMP | X | JSGT,
  JSGE_IMM: JMP | K | JSGE,
  JSGE_REG: JMP | X | JSGE,
  JLT_IMM: JMP | K | JLT,
  JLT_REG: JMP | X | JLT,
  JLE_IMM: JMP | K | JLE,
  JLE_REG: JMP | X | JLE,
  JSLT_IMM: JMP | K | JSLT,
  JSLT_REG: JMP | X | JSLT,
  JSLE_IMM: JMP | K | JSLE,
  JSLE_REG: JMP | X | JSLE,
  JEQ32_IMM: JMP32 | K | JEQ,
  JEQ32_REG: JMP32 | X | JEQ,
  JGT32_IMM: JMP32 | K | JGT,
  JGT32_REG: JMP32 | X | JGT,
  JGE32_IMM: JMP32 | K | JGE,
  JGE32_REG: JMP32 | X | JGE,
  JSET32_IMM: JMP32 | K | JSET,
  JSET32_REG: JMP32 | X | JSET,
  JNE32_IMM: JMP32 | K | JNE,
  JNE32_REG: JMP32 | X | JNE,
  JSGT32_IMM: JMP32 | K | JSGT,
  JSGT32_REG: JMP32 | X | JSGT,
  JSGE32_IMM: JMP32 | K | JSGE,
  JSGE32_REG: JMP32 | X | JSGE,
  JLT32_IMM: JMP32 | K | JLT,
  JLT32_REG: JMP32 | X | JLT,
  JLE32_IMM: JMP32 | K | JLE,
  JLE32_REG: JMP32 | X | JLE,
  JSLT32_IMM: JMP32 | K | JSLT,
  JSLT32_REG: JMP32 | X | JSLT,
  JSLE32_IMM: JMP32 | K | JSLE,
  JSLE32_REG: JMP32 | X | JSLE,
  CALL: JMP | K | CALL,
  CALLX: JMP | X | CALL,
  EXIT: JMP | K | EXIT,
} as const;

/**
 * Returns how many bytes a load or store opcode accesses (its size field).
 *
 * @param opcode The opcode (only `opcode & SIZE_MASK` is read).
 * @returns 4, 2, 1 or 8.
 */
export function accessBytes(opcode: number): number {
  switch (opcode & EBPF.SIZE_MASK) {
    case W:
      return 4;
    case H:
      return 2;
    case B:
      return 1;
    default:
      return 8;
  }
}
