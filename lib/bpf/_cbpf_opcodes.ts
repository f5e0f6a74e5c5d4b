/**
 * The classic BPF opcode table (linux/filter.h, pcap/bpf.h): classes, fields and the opcodes
 * the kernel's `bpf_check_classic` accepts, with the mnemonics `tcpdump -d` prints.
 *
 * @module
 */

/** The largest classic program the kernel accepts (`BPF_MAXINSNS`). */
export const CBPF_MAX_INSNS = 4096;
/** Words of scratch memory (`BPF_MEMWORDS`). */
export const CBPF_MEMWORDS = 16;

const LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, RET = 0x06, MISC = 0x07;
const W = 0x00, H = 0x08, B = 0x10;
const IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, LEN = 0x80, MSH = 0xa0;
const K = 0x00, X = 0x08, A = 0x10;
const ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60;
const RSH = 0x70, NEG = 0x80, MOD = 0x90, XOR = 0xa0;
const JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40;
const TAX = 0x00, TXA = 0x80;

/**
 * Classic BPF opcode fields: classes `LD` … `MISC` (`code & CLASS_MASK`), sizes `W`, `H`, `B`
 * (`code & SIZE_MASK`), modes `IMM` … `MSH` (`code & MODE_MASK`), the operand `K` (constant) or
 * `X` (index register), or for `RET` `A` (the accumulator) (`code & SRC_MASK`), arithmetic
 * `ADD` … `XOR` and jumps `JA` … `JSET` (`code & OP_MASK`), and `TAX`/`TXA` (`code & MISC_MASK`).
 */
export const CBPF = {
  LD,
  LDX,
  ST,
  STX,
  ALU,
  JMP,
  RET,
  MISC,
  W,
  H,
  B,
  IMM,
  ABS,
  IND,
  MEM,
  LEN,
  MSH,
  K,
  X,
  A,
  ADD,
  SUB,
  MUL,
  DIV,
  OR,
  AND,
  LSH,
  RSH,
  NEG,
  MOD,
  XOR,
  JA,
  JEQ,
  JGT,
  JGE,
  JSET,
  TAX,
  TXA,
  CLASS_MASK: 0x07,
  SIZE_MASK: 0x18,
  MODE_MASK: 0xe0,
  SRC_MASK: 0x08,
  RVAL_MASK: 0x18,
  OP_MASK: 0xf0,
  MISC_MASK: 0xf8,
} as const;

/** Every opcode the kernel's `bpf_check_classic` accepts, with its mnemonic. */
export const CBPF_MNEMONICS: ReadonlyMap<number, string> = new Map<number, string>([
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
