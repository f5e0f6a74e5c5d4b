/**
 * The JIT's instruction emitter: one eBPF instruction as JavaScript over register locals
 * `l0`…`l10` (low halves) and `h0`…`h10` (high halves), with constants folded in and the high
 * halves known to be zero within a basic block tracked to pick shorter code.
 *
 * The generated code runs against the names the code generator declares: `m` (the machine),
 * `L`/`H` (its register arrays), `F` (its call frames), `SV`/`SL` and `MV`/`ML` (the stack's and
 * the run memory's view and length), the locals `o`, `t`, `cnt`, `depth`, `pc`, the labels `D`
 * (the block dispatcher) and `R<slot>` (a loop), and the runtime functions of `_jit_runtime.ts`.
 *
 * @module
 */
import { MEM_REGION, STACK_REGION } from "./memory.ts";
import { accessBytes, EBPF } from "./opcodes.ts";
import { CALL_FRAME, type Machine } from "./_machine.ts";
import { HINT_HANDLE, HINT_MEM, HINT_STACK, HINT_VALUE, pointerHints } from "./_jit_hints.ts";
import { MAP_HANDLE_HI } from "./_map_helpers.ts";

const { CLASS_MASK, CLASS_LD, CLASS_LDX, CLASS_ST, CLASS_STX, CLASS_ALU, CLASS_JMP } = EBPF;
const { CLASS_ALU64, SRC_X, OP_MASK, SIZE_MASK, SIZE_DW, MODE_MASK, MODE_MEM, MODE_ATOMIC } = EBPF;
const { ALU_ADD, ALU_SUB, ALU_MUL, ALU_DIV, ALU_OR, ALU_AND, ALU_LSH, ALU_RSH } = EBPF;
const { ALU_NEG, ALU_MOD, ALU_XOR, ALU_MOV, ALU_ARSH, ALU_END } = EBPF;
const { JMP_JEQ, JMP_JGT, JMP_JGE, JMP_JSET, JMP_JNE, JMP_JSGT, JMP_JSGE } = EBPF;
const { JMP_JLT, JMP_JLE, JMP_JSLT, JMP_JSLE } = EBPF;
const { ATOMIC_FETCH, ATOMIC_CMPXCHG, CALL_SRC_LOCAL, LDDW_SRC_IMM64 } = EBPF;
const { LE, BE, LDDW, LDXW, LDXH, LDXB, LDXDW, LDXSW, LDXSH, JA, JA32, CALL, CALLX, EXIT } = EBPF;
const { FRAME_WORDS, FRAME_RETURN, FRAME_R6_LO, FRAME_R6_HI, FRAME_R7_LO, FRAME_R7_HI } =
  CALL_FRAME;
const { FRAME_R8_LO, FRAME_R8_HI, FRAME_R9_LO, FRAME_R9_HI, FRAME_R10_LO, FRAME_R10_HI } =
  CALL_FRAME;

/** Stores every register local into the machine (before calling out of the generated code). */
export const SPILL: string = Array.from({ length: 11 }, (_, r) => `L[${r}]=l${r};H[${r}]=h${r};`)
  .join("");
/** Loads every register local back from the machine. */
export const RELOAD: string = Array.from({ length: 11 }, (_, r) => `l${r}=L[${r}];h${r}=H[${r}];`)
  .join("");
/** Ends the run: r0 to the machine, the count, and -1 (no next slot). */
export const FINISH = `L[0]=l0;H[0]=h0;m.lastCount=cnt;return -1;`;

/** The callee-saved registers and where a call frame keeps their halves. */
const SAVED: [number, number, number][] = [
  [6, FRAME_R6_LO, FRAME_R6_HI],
  [7, FRAME_R7_LO, FRAME_R7_HI],
  [8, FRAME_R8_LO, FRAME_R8_HI],
  [9, FRAME_R9_LO, FRAME_R9_HI],
  [10, FRAME_R10_LO, FRAME_R10_HI],
];
/** Word `k` of the call frame at `F[t]`. */
const frameWord = (k: number): string => k === 0 ? "F[t]" : `F[t+${k}]`;
/** Saves r6–r10 into the call frame at `F[t]`. */
const SAVE_FRAME = SAVED.map(([r, lo, hi]) => `${frameWord(lo)}=l${r};${frameWord(hi)}=h${r};`)
  .join("");
/** Restores r6–r10 from the call frame at `F[t]`. */
const RESTORE_FRAME = SAVED.map(([r, lo, hi]) => `l${r}=${frameWord(lo)};h${r}=${frameWord(hi)};`)
  .join("");

/**
 * The code of a little-endian store of `size` bytes at offset `o` of DataView `v`: the low word
 * `vl` (and for 8 bytes the high word `vh`), both int32 expressions.
 */
export function storeCode(v: string, size: number, vl: string, vh: string): string {
  return size === 4
    ? `${v}.setInt32(o,${vl},true);`
    : size === 2
    ? `${v}.setInt16(o,${vl},true);`
    : size === 1
    ? `${v}.setInt8(o,${vl});`
    : `${v}.setInt32(o,${vl},true);${v}.setInt32(o+4,${vh},true);`;
}

function u32(v: number): string {
  return String(v >>> 0);
}

function i32(v: number): string {
  const x = v | 0;
  return x < 0 ? `(${x})` : String(x);
}

/**
 * The condition of a 64-bit conditional jump as JavaScript.
 *
 * @param op The jump operation (`opcode & OP_MASK`).
 * @param d The destination register.
 * @param bl The operand's low half (signed), as JavaScript.
 * @param bh Its high half (signed); `"0"` when known to be zero.
 * @param blu Its low half, unsigned.
 * @param bhu Its high half, unsigned.
 * @returns The expression.
 */
function cond64(op: number, d: number, bl: string, bh: string, blu: string, bhu: string): string {
  const al = `l${d}`, ah = `h${d}`, alu = `(l${d}>>>0)`, ahu = `(h${d}>>>0)`;
  if (bh === "0") {
    // Immediate in [0, 2^31): the high half of the operand is zero.
    switch (op) {
      case JMP_JEQ:
        return `${al}===${bl}&&${ah}===0`;
      case JMP_JNE:
        return `${al}!==${bl}||${ah}!==0`;
      case JMP_JSET:
        return `(${al}&${bl})!==0`;
      case JMP_JGT:
        return `${ah}!==0||${alu}>${blu}`;
      case JMP_JGE:
        return `${ah}!==0||${alu}>=${blu}`;
      case JMP_JLT:
        return `${ah}===0&&${alu}<${blu}`;
      case JMP_JLE:
        return `${ah}===0&&${alu}<=${blu}`;
      case JMP_JSGT:
        return `${ah}>0||(${ah}===0&&${alu}>${blu})`;
      case JMP_JSGE:
        return `${ah}>0||(${ah}===0&&${alu}>=${blu})`;
      case JMP_JSLT:
        return `${ah}<0||(${ah}===0&&${alu}<${blu})`;
      default: // JMP_JSLE
        return `${ah}<0||(${ah}===0&&${alu}<=${blu})`;
    }
  }
  switch (op) {
    case JMP_JEQ:
      return `${al}===${bl}&&${ah}===${bh}`;
    case JMP_JNE:
      return `${al}!==${bl}||${ah}!==${bh}`;
    case JMP_JSET:
      return `(${al}&${bl})!==0||(${ah}&${bh})!==0`;
    case JMP_JGT:
      return `${ahu}>${bhu}||(${ah}===${bh}&&${alu}>${blu})`;
    case JMP_JGE:
      return `${ahu}>${bhu}||(${ah}===${bh}&&${alu}>=${blu})`;
    case JMP_JLT:
      return `${ahu}<${bhu}||(${ah}===${bh}&&${alu}<${blu})`;
    case JMP_JLE:
      return `${ahu}<${bhu}||(${ah}===${bh}&&${alu}<=${blu})`;
    case JMP_JSGT:
      return `${ah}>${bh}||(${ah}===${bh}&&${alu}>${blu})`;
    case JMP_JSGE:
      return `${ah}>${bh}||(${ah}===${bh}&&${alu}>=${blu})`;
    case JMP_JSLT:
      return `${ah}<${bh}||(${ah}===${bh}&&${alu}<${blu})`;
    default: // JMP_JSLE
      return `${ah}<${bh}||(${ah}===${bh}&&${alu}<=${blu})`;
  }
}

/**
 * The condition of a 32-bit conditional jump as JavaScript.
 *
 * @param op The jump operation (`opcode & OP_MASK`).
 * @param d The destination register.
 * @param b The operand (signed), as JavaScript.
 * @param bu The operand, unsigned.
 * @returns The expression.
 */
function cond32(op: number, d: number, b: string, bu: string): string {
  const a = `l${d}`, au = `(l${d}>>>0)`;
  switch (op) {
    case JMP_JEQ:
      return `${a}===${b}`;
    case JMP_JNE:
      return `${a}!==${b}`;
    case JMP_JSET:
      return `(${a}&${b})!==0`;
    case JMP_JGT:
      return `${au}>${bu}`;
    case JMP_JGE:
      return `${au}>=${bu}`;
    case JMP_JLT:
      return `${au}<${bu}`;
    case JMP_JLE:
      return `${au}<=${bu}`;
    case JMP_JSGT:
      return `${a}>${b}`;
    case JMP_JSGE:
      return `${a}>=${b}`;
    case JMP_JSLT:
      return `${a}<${b}`;
    default: // JMP_JSLE
      return `${a}<=${b}`;
  }
}

/** Turns instructions into JavaScript, one basic block at a time. */
export class InstructionEmitter {
  #m: Machine;
  #hasCalls: boolean;
  /** Read resolved `lddw` values (maps) from the machine at run time instead of folding them. */
  #portable: boolean;
  /** Registers whose high half is known to be zero, tracked within a basic block. */
  #hz = new Uint8Array(11);
  /** The slot of the loop being emitted as a native loop, or -1. */
  loopHeader = -1;
  /** The slots that jumps inside that loop go forward to (`break J<slot>`, `forwardTargets`). */
  loopTargets: ReadonlySet<number> = new Set();

  /**
   * Creates an emitter for a prepared program.
   *
   * @param m The prepared program.
   * @param hasCalls Whether the program makes local calls.
   */
  constructor(m: Machine, hasCalls: boolean, portable = false) {
    this.#m = m;
    this.#hasCalls = hasCalls;
    this.#portable = portable;
    this.#hints = pointerHints(m);
  }

  /** What each register most likely points to before each slot (`_jit_hints.ts`). */
  #hints: Int32Array;
  /** Slots of the map-handle `lddw`s whose maps the code inlines (names `I<slot>…`). */
  readonly inlineMaps: Set<number> = new Set();

  /**
   * The fast path's region for an access through register `r` at `pc`: the stack, the run's
   * memory, or the values of an inlined map (`-1 - slot` of the map's `lddw`).
   */
  #region(pc: number, r: number): number {
    const h = this.#hints[pc * 11 + r];
    if (h === HINT_STACK) return STACK_REGION;
    if (h === HINT_MEM) return MEM_REGION;
    if (h >= HINT_VALUE && (h & 1) === 1) {
      const p = (h - HINT_VALUE) >> 1;
      this.inlineMaps.add(p);
      return -1 - p;
    }
    return r === 10 ? STACK_REGION : MEM_REGION;
  }

  /** Forgets what is known about the registers (at the start of a basic block). */
  startBlock(): void {
    this.#hz.fill(0);
  }

  /**
   * Sets which registers' high halves are known to be zero (bit r of `mask`), for code whose
   * caller knows more than one basic block (the speculative loops of `_jit_fast_loop.ts`).
   */
  setKnownZero(mask: number): void {
    for (let r = 0; r < 11; r++) this.#hz[r] = (mask >> r) & 1;
  }

  /**
   * The region register `r` most likely points into before `pc`, from the pointer hints: the
   * stack, the run's memory, or -1 (anything else).
   */
  pointerRegion(pc: number, r: number): number {
    const h = this.#hints[pc * 11 + r];
    return h === HINT_STACK ? STACK_REGION : h === HINT_MEM ? MEM_REGION : -1;
  }

  /**
   * The map of an inlined `map_lookup_elem` at `pc` (the slot of the `lddw` of its handle, whose
   * `I<p>…` names the code declares), or -1 when the call there is not inlined.
   */
  inlineLookup(pc: number): number {
    const m = this.#m;
    if (m.opc[pc] !== CALL || m.src[pc] === CALL_SRC_LOCAL || m.imm[pc] !== 1) return -1;
    const h1 = this.#hints[pc * 11 + 1];
    if (h1 < HINT_HANDLE || (h1 & 1) !== 0 || this.#region(pc, 2) !== STACK_REGION) return -1;
    const p = (h1 - HINT_HANDLE) >> 1;
    this.inlineMaps.add(p);
    return p;
  }

  /**
   * The test of an access's fast path, `if(…)`, which leaves the offset in its region's view in
   * `o`: the register's high half is the region, the offset and size fit.
   */
  #fast(region: number, lo: string, hi: string, off: number, size: number): string {
    const neg = off < 0 ? "o>=0&&" : "";
    if (region >= 0) {
      const len = region === STACK_REGION ? "SL" : "ML";
      return `o=(${lo}>>>0)+${off};if(${hi}===${region}&&${neg}o+${size}<=${len})`;
    }
    const I = `I${-1 - region}`;
    return `o=(${lo}>>>0)+${off};g=(${hi}-${I}B)|0;if((g>>>0)<${I}N&&${neg}o+${size}<=${I}S&&` +
      `((o+=g*${I}S),true))`;
  }

  /** A jump to slot `t`: `continue` in a native loop, else through the dispatcher. */
  #go(t: number): string {
    if (t === this.loopHeader) return `continue R${t};`;
    return this.loopTargets.has(t) ? `break J${t};` : `{pc=${t};continue D;}`;
  }

  /**
   * The JavaScript of the instruction at `pc`.
   *
   * @param pc The slot.
   * @returns The code.
   */
  emit(pc: number): string {
    const m = this.#m, hz = this.#hz;
    const op = m.opc[pc], d = m.dst[pc], s = m.src[pc], o = m.off[pc], k = m.imm[pc];
    const D = `l${d}`, DH = `h${d}`;
    const x = (op & SRC_X) !== 0;
    const dz = hz[d] === 1;
    const sz = x ? hz[s] === 1 : k >= 0;
    const bl = x ? `l${s}` : i32(k);
    const bh = x ? `h${s}` : i32(k >> 31);
    const blu = x ? `(l${s}>>>0)` : u32(k);
    const bhu = x ? `(h${s}>>>0)` : u32(k >> 31);
    const cls = op & CLASS_MASK;
    let c = "";
    if (cls === CLASS_ALU64 || cls === CLASS_ALU) {
      const wide = cls === CLASS_ALU64;
      switch (op & OP_MASK) {
        // 64-bit sums in 32-bit integer operations only: the carry is the low sum below an
        // operand (unsigned), the borrow the minuend below the subtrahend.
        case ALU_ADD:
          if (!wide) c = `${D}=(${D}+${bl})|0;${DH}=0;`;
          else if (x && sz) c = `t=(${D}+${bl})|0;if((t>>>0)<(${D}>>>0))${DH}=(${DH}+1)|0;${D}=t;`;
          else if (x) {
            c = `t=(${D}+${bl})|0;${DH}=(${DH}+${bh}+((t>>>0)<(${D}>>>0)?1:0))|0;${D}=t;`;
          } else if (k > 0) {
            c = `if((${D}>>>0)>=${2 ** 32 - k})${DH}=(${DH}+1)|0;${D}=(${D}+${k})|0;`;
          } else if (k < 0) {
            c = `if((${D}>>>0)<${-k})${DH}=(${DH}-1)|0;${D}=(${D}+${bl})|0;`;
          }
          break;
        case ALU_SUB:
          if (!wide) c = `${D}=(${D}-${bl})|0;${DH}=0;`;
          else if (x && sz) c = `if((${D}>>>0)<${blu})${DH}=(${DH}-1)|0;${D}=(${D}-${bl})|0;`;
          else if (x) {
            c = `${DH}=(${DH}-${bh}-((${D}>>>0)<${blu}?1:0))|0;${D}=(${D}-${bl})|0;`;
          } else if (k > 0) {
            c = `if((${D}>>>0)<${k})${DH}=(${DH}-1)|0;${D}=(${D}-${k})|0;`;
          } else if (k < 0) {
            c = `if((${D}>>>0)>=${blu})${DH}=(${DH}+1)|0;${D}=(${D}-${bl})|0;`;
          }
          break;
        case ALU_MUL:
          if (!wide) c = `${D}=Math.imul(${D},${bl});${DH}=0;`;
          else {
            const slow = `${D}=mul64(${D},${DH},${bl},${bh});${DH}=HI[0];`;
            const hiZero = dz && sz ? "true" : x ? `(${DH}|${bh})===0` : `${DH}===0`;
            c = x || k >> 31 === 0
              ? `if(${hiZero}&&(t=(${D}>>>0)*${blu})<=9007199254740991){${D}=t|0;${DH}=(t/4294967296)|0;}else{${slow}}`
              : slow;
          }
          break;
        case ALU_DIV:
          if (wide) {
            const slow = `${D}=${
              o === 1 ? "sdiv64" : "udiv64"
            }(${D},${DH},${bl},${bh});${DH}=HI[0];`;
            if (o === 1) c = slow;
            else if (x) {
              c = `if((${DH}|${bh})===0&&${bl}!==0){${D}=((${D}>>>0)/${blu})|0;}else{${slow}}`;
            } else c = k > 0 ? `if(${DH}===0){${D}=((${D}>>>0)/${blu})|0;}else{${slow}}` : slow;
          } else if (!x) {
            c = k === 0
              ? `${D}=0;${DH}=0;`
              : o === 1
              ? `${D}=(${D}/${i32(k)})|0;${DH}=0;`
              : `${D}=((${D}>>>0)/${u32(k)})|0;${DH}=0;`;
          } else {
            c = o === 1
              ? `t=${bl};${D}=t===0?0:(${D}/t)|0;${DH}=0;`
              : `t=${bl};${D}=t===0?0:((${D}>>>0)/(t>>>0))|0;${DH}=0;`;
          }
          break;
        case ALU_MOD:
          if (wide) {
            const slow = `${D}=${
              o === 1 ? "smod64" : "umod64"
            }(${D},${DH},${bl},${bh});${DH}=HI[0];`;
            if (o === 1) c = slow;
            else if (x) {
              c = `if((${DH}|${bh})===0&&${bl}!==0){${D}=((${D}>>>0)%${blu})|0;}else{${slow}}`;
            } else c = k > 0 ? `if(${DH}===0){${D}=((${D}>>>0)%${blu})|0;}else{${slow}}` : slow;
          } else if (!x) {
            c = k === 0
              ? `${DH}=0;`
              : o === 1
              ? `${D}=(${D}%${i32(k)})|0;${DH}=0;`
              : `${D}=((${D}>>>0)%${u32(k)})|0;${DH}=0;`;
          } else {
            c = o === 1
              ? `t=${bl};if(t!==0)${D}=(${D}%t)|0;${DH}=0;`
              : `t=${bl};if(t!==0)${D}=((${D}>>>0)%(t>>>0))|0;${DH}=0;`;
          }
          break;
        case ALU_OR:
          c = wide ? `${D}|=${bl};${DH}|=${bh};` : `${D}|=${bl};${DH}=0;`;
          break;
        case ALU_AND:
          c = wide ? `${D}&=${bl};${DH}&=${bh};` : `${D}&=${bl};${DH}=0;`;
          break;
        case ALU_XOR:
          c = wide ? `${D}^=${bl};${DH}^=${bh};` : `${D}^=${bl};${DH}=0;`;
          break;
        case ALU_LSH:
        case ALU_RSH:
        case ALU_ARSH: {
          const which = op & OP_MASK;
          if (!wide) {
            const sh = x ? `(${bl}&31)` : String(k & 31);
            c = which === ALU_LSH
              ? `${D}=${D}<<${sh};${DH}=0;`
              : which === ALU_RSH
              ? `${D}=(${D}>>>${sh})|0;${DH}=0;`
              : `${D}=${D}>>${sh};${DH}=0;`;
          } else if (x) {
            const f = which === ALU_LSH ? "lsh64" : which === ALU_RSH ? "rsh64" : "arsh64";
            c = `${D}=${f}(${D},${DH},${bl});${DH}=HI[0];`;
          } else {
            const sh = k & 63;
            if (sh === 0) c = "";
            else if (sh < 32) {
              c = which === ALU_LSH
                ? `${DH}=(${DH}<<${sh})|(${D}>>>${32 - sh});${D}=${D}<<${sh};`
                : which === ALU_RSH
                ? `${D}=(${D}>>>${sh})|(${DH}<<${32 - sh});${DH}=(${DH}>>>${sh})|0;`
                : `${D}=(${D}>>>${sh})|(${DH}<<${32 - sh});${DH}=${DH}>>${sh};`;
            } else {
              c = which === ALU_LSH
                ? `${DH}=${D}<<${sh - 32};${D}=0;`
                : which === ALU_RSH
                ? `${D}=(${DH}>>>${sh - 32})|0;${DH}=0;`
                : `${D}=${DH}>>${sh - 32};${DH}=${DH}>>31;`;
            }
          }
          break;
        }
        case ALU_NEG:
          c = wide ? `t=${D};${D}=(-t)|0;${DH}=(~${DH}+(t===0?1:0))|0;` : `${D}=(-${D})|0;${DH}=0;`;
          break;
        case ALU_MOV:
          if (!x) c = wide ? `${D}=${i32(k)};${DH}=${i32(k >> 31)};` : `${D}=${i32(k)};${DH}=0;`;
          else if (o === 0) c = wide ? `${D}=l${s};${DH}=h${s};` : `${D}=l${s};${DH}=0;`;
          else if (o === 32) c = `${D}=l${s};${DH}=${D}>>31;`;
          else {
            const sh = 32 - o;
            c = wide
              ? `${D}=(l${s}<<${sh})>>${sh};${DH}=${D}>>31;`
              : `${D}=(l${s}<<${sh})>>${sh};${DH}=0;`;
          }
          break;
        case ALU_END:
          if (op === LE) {
            c = k === 16 ? `${D}&=0xffff;${DH}=0;` : k === 32 ? `${DH}=0;` : "";
          } else {
            c = k === 16
              ? `${D}=((${D}&0xff)<<8)|((${D}>>>8)&0xff);${DH}=0;`
              : k === 32
              ? `${D}=bswap32(${D});${DH}=0;`
              : `t=bswap32(${D});${D}=bswap32(${DH});${DH}=t;`;
          }
          break;
      }
    } else if (cls === CLASS_LDX) {
      const size = accessBytes(op);
      const S = `l${s}`, SH = `h${s}`;
      // Fast path for the region the base register most likely points into (the stack, the
      // run's memory, an inlined map's values); any other address takes the checked path.
      const hint = this.#region(pc, s);
      const load = (v: string) => {
        switch (op) {
          case LDXW:
            return `${D}=${v}.getInt32(o,true);${DH}=0;`;
          case LDXH:
            return `${D}=${v}.getUint16(o,true);${DH}=0;`;
          case LDXB:
            return `${D}=${v}.getUint8(o);${DH}=0;`;
          case LDXDW:
            return `t=${v}.getInt32(o,true);${DH}=${v}.getInt32(o+4,true);${D}=t;`;
          case LDXSW:
            return `${D}=${v}.getInt32(o,true);${DH}=${D}>>31;`;
          case LDXSH:
            return `${D}=${v}.getInt16(o,true);${DH}=${D}>>31;`;
          default: // LDXSB
            return `${D}=${v}.getInt8(o);${DH}=${D}>>31;`;
        }
      };
      c = `${this.#fast(hint, S, SH, o, size)}{${
        load(hint < 0 ? "I" + (-1 - hint) + "V" : hint === STACK_REGION ? "SV" : "MV")
      }}else{${D}=slowLoad(m,${pc},${op},${S},${SH},${o});${DH}=HI[0];}`;
    } else if (cls === CLASS_ST || (cls === CLASS_STX && (op & MODE_MASK) === MODE_MEM)) {
      const size = accessBytes(op);
      const vl = cls === CLASS_STX ? `l${s}` : i32(k);
      const vh = cls === CLASS_STX ? `h${s}` : i32(k >> 31);
      const store = (v: string) => storeCode(v, size, vl, vh);
      const hint = this.#region(pc, d);
      c = `${this.#fast(hint, D, DH, o, size)}{${
        store(hint < 0 ? "I" + (-1 - hint) + "V" : hint === STACK_REGION ? "SV" : "MV")
      }}else slowStore(m,${pc},${op},${D},${DH},${o},${vl},${vh});`;
    } else if (cls === CLASS_STX) {
      c = `${SPILL}atomicOp(m,${pc});${RELOAD}`;
    } else if (cls === CLASS_LD) {
      if (op === LDDW && this.#portable && s !== LDDW_SRC_IMM64) {
        c = `${D}=m.imm[${pc}];${DH}=m.imm2[${pc}];`;
      } else if (op === LDDW) {
        c = `${D}=${i32(k)};${DH}=${i32(m.imm2[pc])};`;
      } else {
        c = `${SPILL}if(legacyLoad(m,${pc})){${RELOAD}${FINISH}}${RELOAD}`;
      }
    } else {
      // JMP / JMP32
      const jop = op & OP_MASK;
      if (op === JA) c = this.#go(pc + 1 + o);
      else if (op === JA32) c = this.#go(pc + 1 + k);
      else if (op === EXIT && !this.#hasCalls) c = FINISH;
      else if (op === EXIT) {
        c = `if(depth===0){${FINISH}}depth--;t=depth*${FRAME_WORDS};${RESTORE_FRAME}` +
          `pc=${frameWord(FRAME_RETURN)};continue D;`;
      } else if (op === CALL && s === CALL_SRC_LOCAL) {
        c = `if(depth>=${m.maxCallDepth})throw callDepth(${pc});t=depth*${FRAME_WORDS};` +
          `${frameWord(FRAME_RETURN)}=${pc + 1};${SAVE_FRAME}o=(l10>>>0)-${m.frameSize};` +
          `if(o<0)throw stackOut(${pc});l10=o;depth++;${this.#go(pc + 1 + k)}`;
      } else if (op === CALL) {
        c = `${SPILL}if(callHelper(m,${k},${pc})){${RELOAD}${FINISH}}${RELOAD}`;
        const h1 = this.#hints[pc * 11 + 1];
        if (
          k === 1 && h1 >= HINT_HANDLE && (h1 & 1) === 0 && this.#region(pc, 2) === STACK_REGION
        ) {
          // map_lookup_elem on an array map whose values have numbered regions: the element's
          // region is the first one's plus the index (`I<p>N` is 0 when the map is not one).
          const p = (h1 - HINT_HANDLE) >> 1;
          this.inlineMaps.add(p);
          const I = `I${p}`;
          c = `if(l1===${I}F&&h1===${MAP_HANDLE_HI}&&h2===${STACK_REGION}&&(o=(l2>>>0))+4<=SL&&` +
            `(t=SV.getUint32(o,true))<${I}N){l0=0;h0=${I}B+t;}else{${c}}`;
        }
      } else if (op === CALLX) {
        c = `${SPILL}if(callx(m,l${d},h${d},${pc})){${RELOAD}${FINISH}}${RELOAD}`;
      } else if (cls === CLASS_JMP) {
        if (dz && sz) {
          // Both high halves are zero: a 32-bit unsigned comparison decides (signed ones too,
          // since both values are non-negative).
          const u = jop === JMP_JSGT
            ? JMP_JGT
            : jop === JMP_JSGE
            ? JMP_JGE
            : jop === JMP_JSLT
            ? JMP_JLT
            : jop === JMP_JSLE
            ? JMP_JLE
            : jop;
          c = `if(${cond32(u, d, bl, blu)})${this.#go(pc + 1 + o)}`;
        } else c = `if(${cond64(jop, d, bl, bh, blu, bhu)})${this.#go(pc + 1 + o)}`;
      } else {
        c = `if(${cond32(jop, d, bl, blu)})${this.#go(pc + 1 + o)}`;
      }
    }
    this.#updateKnownZero(pc, op, d, s, k, dz);
    return c;
  }

  /** Updates the known-zero high halves after the instruction at `pc`. */
  #updateKnownZero(pc: number, op: number, d: number, s: number, k: number, dz: boolean): void {
    const hz = this.#hz, off = this.#m.off;
    const cls = op & CLASS_MASK;
    const x = (op & SRC_X) !== 0;
    if (cls === CLASS_ALU) {
      if (op === LE && k === 64) return; // le64: no change
      hz[d] = op === BE && k === 64 ? 0 : 1;
    } else if (cls === CLASS_ALU64) {
      const n = k & 63;
      switch (op & OP_MASK) {
        case ALU_MOV:
          hz[d] = x ? (off[pc] === 0 ? hz[s] : 0) : k >= 0 ? 1 : 0;
          break;
        case ALU_AND:
          if (x) hz[d] = dz || hz[s] === 1 ? 1 : 0;
          else if (k >= 0) hz[d] = 1;
          break;
        case ALU_OR:
        case ALU_XOR:
          if (x) hz[d] = dz && hz[s] === 1 ? 1 : 0;
          else if (k < 0) hz[d] = 0;
          break;
        case ALU_RSH:
          if (x) hz[d] = dz ? 1 : 0;
          else if (n !== 0) hz[d] = n >= 32 || dz ? 1 : 0;
          break;
        case ALU_DIV:
        case ALU_MOD:
          if (off[pc] !== 0 || !dz) hz[d] = 0;
          break;
        case ALU_END:
          hz[d] = k === 64 ? 0 : 1;
          break;
        default:
          hz[d] = 0;
      }
    } else if (cls === CLASS_LDX) {
      hz[d] = (op & MODE_MASK) === MODE_MEM && (op & SIZE_MASK) !== SIZE_DW ? 1 : 0;
    } else if (cls === CLASS_LD) {
      if (op === LDDW) {
        const folded = !this.#portable || this.#m.src[pc] === LDDW_SRC_IMM64;
        hz[d] = folded && this.#m.imm2[pc] === 0 ? 1 : 0;
      } else hz[0] = 1;
    } else if (cls === CLASS_STX && (op & MODE_MASK) === MODE_ATOMIC) {
      if ((k & ATOMIC_FETCH) !== 0) hz[s] = 0;
      if (k === ATOMIC_CMPXCHG) hz[0] = 0;
    } else if (op === CALL || op === CALLX) {
      hz.fill(0);
    }
  }
}
