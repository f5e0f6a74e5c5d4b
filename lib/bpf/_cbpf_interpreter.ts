/**
 * The classic BPF interpreter: a `switch` over the opcode in a loop, with the kernel's and
 * libpcap's semantics (a load outside the packet or a division by zero returns 0).
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import { CBPF } from "./_cbpf_opcodes.ts";

const { LD, LDX, ST, STX, ALU, JMP, RET, MISC, W, H, B, IMM, ABS, IND, MEM, LEN, MSH } = CBPF;
const { K, X, A, ADD, SUB, MUL, DIV, OR, AND, LSH, RSH, NEG, MOD, XOR } = CBPF;
const { JA, JEQ, JGT, JGE, JSET, TAX, TXA } = CBPF;

/**
 * Runs a validated program held in flat arrays on `buflen` bytes of `p` at `o`.
 *
 * @param code Opcodes.
 * @param jt Jump-if-true offsets.
 * @param jf Jump-if-false offsets.
 * @param kk Constants.
 * @param mem Scratch memory (cleared first).
 * @param p The buffer holding the packet.
 * @param o Where the packet starts.
 * @param buflen The captured length.
 * @param wirelen The length on the wire.
 * @returns The verdict (unsigned 32-bit).
 */
export function execute(
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
