/**
 * The eBPF JIT: compiles a program into one JavaScript function (through `new Function`) whose
 * registers are local 32-bit halves, with basic blocks as `switch` cases, constants folded into
 * the code and the same bounds checks, budget and call stack as the interpreter. Rare operations
 * (helpers, atomics, legacy packet loads, 64-bit division) call the very functions the
 * interpreter uses, so both produce exactly the same results.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import type { Program } from "./instruction.ts";
import type { BpfRunner, RunOptions } from "./interpreter.ts";
import type { BpfMemory } from "./memory.ts";
import { atomicOp, callHelper, legacyLoad, Machine, memoryFault } from "./_machine.ts";
import { arsh64, HI, lsh64, mul64, rsh64, sdiv64, smod64, toBig, udiv64, umod64 } from "./_u64.ts";

/** Options of {@linkcode compileJit}: the interpreter's, plus code splitting. */
export interface JitOptions extends RunOptions {
  /**
   * Largest generated function in characters before the code is split into several functions
   * (default 30,000; V8 stops optimizing much larger ones). Smaller values are for testing.
   */
  chunkChars?: number;
}

const SPILL = Array.from({ length: 11 }, (_, r) => `L[${r}]=l${r};H[${r}]=h${r};`).join("");
const RELOAD = Array.from({ length: 11 }, (_, r) => `l${r}=L[${r}];h${r}=H[${r}];`).join("");

function u32(v: number): string {
  return String(v >>> 0);
}

function i32(v: number): string {
  const x = v | 0;
  return x < 0 ? `(${x})` : String(x);
}

/** Condition of a 64-bit jump as JavaScript. */
function cond64(op: number, d: number, bl: string, bh: string, blu: string, bhu: string): string {
  const al = `l${d}`, ah = `h${d}`, alu = `(l${d}>>>0)`, ahu = `(h${d}>>>0)`;
  if (bh === "0") {
    // Immediate in [0, 2^31): the high half of the operand is zero.
    switch (op) {
      case 0x10:
        return `${al}===${bl}&&${ah}===0`;
      case 0x50:
        return `${al}!==${bl}||${ah}!==0`;
      case 0x40:
        return `(${al}&${bl})!==0`;
      case 0x20:
        return `${ah}!==0||${alu}>${blu}`;
      case 0x30:
        return `${ah}!==0||${alu}>=${blu}`;
      case 0xa0:
        return `${ah}===0&&${alu}<${blu}`;
      case 0xb0:
        return `${ah}===0&&${alu}<=${blu}`;
      case 0x60:
        return `${ah}>0||(${ah}===0&&${alu}>${blu})`;
      case 0x70:
        return `${ah}>0||(${ah}===0&&${alu}>=${blu})`;
      case 0xc0:
        return `${ah}<0||(${ah}===0&&${alu}<${blu})`;
      default:
        return `${ah}<0||(${ah}===0&&${alu}<=${blu})`;
    }
  }
  switch (op) {
    case 0x10:
      return `${al}===${bl}&&${ah}===${bh}`;
    case 0x50:
      return `${al}!==${bl}||${ah}!==${bh}`;
    case 0x40:
      return `(${al}&${bl})!==0||(${ah}&${bh})!==0`;
    case 0x20:
      return `${ahu}>${bhu}||(${ah}===${bh}&&${alu}>${blu})`;
    case 0x30:
      return `${ahu}>${bhu}||(${ah}===${bh}&&${alu}>=${blu})`;
    case 0xa0:
      return `${ahu}<${bhu}||(${ah}===${bh}&&${alu}<${blu})`;
    case 0xb0:
      return `${ahu}<${bhu}||(${ah}===${bh}&&${alu}<=${blu})`;
    case 0x60:
      return `${ah}>${bh}||(${ah}===${bh}&&${alu}>${blu})`;
    case 0x70:
      return `${ah}>${bh}||(${ah}===${bh}&&${alu}>=${blu})`;
    case 0xc0:
      return `${ah}<${bh}||(${ah}===${bh}&&${alu}<${blu})`;
    default:
      return `${ah}<${bh}||(${ah}===${bh}&&${alu}<=${blu})`;
  }
}

/** Condition of a 32-bit jump as JavaScript. */
function cond32(op: number, d: number, b: string, bu: string): string {
  const a = `l${d}`, au = `(l${d}>>>0)`;
  switch (op) {
    case 0x10:
      return `${a}===${b}`;
    case 0x50:
      return `${a}!==${b}`;
    case 0x40:
      return `(${a}&${b})!==0`;
    case 0x20:
      return `${au}>${bu}`;
    case 0x30:
      return `${au}>=${bu}`;
    case 0xa0:
      return `${au}<${bu}`;
    case 0xb0:
      return `${au}<=${bu}`;
    case 0x60:
      return `${a}>${b}`;
    case 0x70:
      return `${a}>=${b}`;
    case 0xc0:
      return `${a}<${b}`;
    default:
      return `${a}<=${b}`;
  }
}

function sizeOf(op: number): number {
  const s = op & 0x18;
  return s === 0 ? 4 : s === 8 ? 2 : s === 0x10 ? 1 : 8;
}

/** Generates the source of the run function. */
/** Largest generated function, in characters, before the code is split (V8 stops optimizing
 * functions of roughly 50k characters of this code). */
const CHUNK_CHARS = 30000;

/** Straight-line code is cut into blocks of at most this many instructions. */
const MAX_BLOCK = 200;

/** Generates the source of the run function and the chunk of each labelled slot. */
function generate(m: Machine, chunkChars: number): { source: string; chunkOf: Int32Array } {
  const n = m.slots;
  const { opc, dst, src, off, imm, imm2 } = m;
  // Block leaders.
  const leader = new Uint8Array(n + 1);
  leader[0] = 1;
  leader[n] = 1;
  for (let pc = 0; pc < n; pc++) {
    const op = opc[pc];
    const cls = op & 7;
    if (op === 0x18) {
      pc++;
      continue;
    }
    if (cls === 5 || cls === 6) {
      leader[pc + 1] = 1;
      if (op === 0x85 && src[pc] === 1) leader[pc + 1 + imm[pc]] = 1;
      else if (op === 0x06) leader[pc + 1 + imm[pc]] = 1;
      else if (op !== 0x85 && op !== 0x8d && op !== 0x95) leader[pc + 1 + off[pc]] = 1;
    } else if (op === 0xc3 || op === 0xdb || (cls === 0 && op !== 0x18)) {
      leader[pc + 1] = 1;
    }
  }
  // Cut long straight-line code so that it can be spread over several functions.
  for (let pc = 0, run = 0; pc < n; pc += opc[pc] === 0x18 ? 2 : 1) {
    if (leader[pc] || run >= MAX_BLOCK) {
      leader[pc] = 1;
      run = 0;
    }
    run++;
  }
  let hasCalls = false;
  for (let pc = 0; pc < n; pc++) if (opc[pc] === 0x85 && src[pc] === 1) hasCalls = true;
  // Explicit jump sources per target (jumps, local calls and their return points).
  const sources: number[][] = Array.from({ length: n + 1 }, () => []);
  for (let pc = 0; pc < n; pc++) {
    const op = opc[pc];
    if (op === 0x18) {
      pc++;
      continue;
    }
    const cls = op & 7;
    if (cls !== 5 && cls !== 6) continue;
    if (op === 0x85 && src[pc] === 1) {
      sources[pc + 1 + imm[pc]].push(pc);
      sources[pc + 1].push(pc);
    } else if (op === 0x06) sources[pc + 1 + imm[pc]].push(pc);
    else if (op !== 0x85 && op !== 0x8d && op !== 0x95) sources[pc + 1 + off[pc]].push(pc);
  }
  // Simple loops become native JavaScript loops: a header T reached by a backward jump from S,
  // with no other jump into (T, S] and no local call inside, is emitted as \`for(;;)\` whose
  // back-edges are \`continue\`, avoiding the block dispatcher.
  const regionEnd = new Int32Array(n + 1).fill(-1);
  for (let t = 0; t < n; t++) {
    let end = -1;
    for (const s of sources[t]) {
      if (s >= t && !(opc[s] === 0x85 && src[s] === 1)) end = Math.max(end, s);
    }
    if (end < 0) continue;
    let ok = true;
    for (let q = t; q <= end && ok; q++) {
      if (q > t && sources[q].length > 0) ok = false;
      if (opc[q] === 0x85 && src[q] === 1) ok = false;
      if (q > t && regionEnd[q] >= 0) ok = false;
    }
    if (ok) regionEnd[t] = end;
  }
  const finish = `L[0]=l0;H[0]=h0;m.lastCount=cnt;return -1;`;
  let header = -1;
  const go = (t: number) => t === header ? `continue R${t};` : `{pc=${t};continue D;}`;
  /** The JavaScript of the instruction at `pc`. */
  // Registers whose high half is known to be zero, tracked within a basic block.
  const hz = new Uint8Array(11);
  const code = (pc: number): string => {
    const op = opc[pc], d = dst[pc], s = src[pc], o = off[pc], k = imm[pc];
    const D = `l${d}`, DH = `h${d}`;
    const x = (op & 8) !== 0;
    const dz = hz[d] === 1;
    const sz = x ? hz[s] === 1 : k >= 0;
    const bl = x ? `l${s}` : i32(k);
    const bh = x ? `h${s}` : i32(k >> 31);
    const blu = x ? `(l${s}>>>0)` : u32(k);
    const bhu = x ? `(h${s}>>>0)` : u32(k >> 31);
    const cls = op & 7;
    let c = "";
    if (cls === 7 || cls === 4) {
      const wide = cls === 7;
      switch (op & 0xf0) {
        case 0x00:
          if (!wide) c = `${D}=(${D}+${bl})|0;${DH}=0;`;
          else if (x && sz) c = `t=(${D}>>>0)+${blu};${D}=t|0;if(t>4294967295)${DH}=(${DH}+1)|0;`;
          else if (x) {
            c = `t=(${D}>>>0)+${blu};${DH}=(${DH}+${bh}+(t>4294967295?1:0))|0;${D}=t|0;`;
          } else if (k >= 0) {
            c = `t=(${D}>>>0)+${blu};${D}=t|0;if(t>4294967295)${DH}=(${DH}+1)|0;`;
          } else c = `t=(${D}>>>0)+${blu};${D}=t|0;if(t<=4294967295)${DH}=(${DH}-1)|0;`;
          break;
        case 0x10:
          if (!wide) c = `${D}=(${D}-${bl})|0;${DH}=0;`;
          else if (x && sz) c = `t=(${D}>>>0)-${blu};${D}=t|0;if(t<0)${DH}=(${DH}-1)|0;`;
          else if (x) {
            c = `t=(${D}>>>0)-${blu};${DH}=(${DH}-${bh}-(t<0?1:0))|0;${D}=t|0;`;
          } else if (k >= 0) {
            c = `t=(${D}>>>0)-${blu};${D}=t|0;if(t<0)${DH}=(${DH}-1)|0;`;
          } else c = `t=(${D}>>>0)-${blu};${D}=t|0;if(t>=0)${DH}=(${DH}+1)|0;`;
          break;
        case 0x20:
          if (!wide) c = `${D}=Math.imul(${D},${bl});${DH}=0;`;
          else {
            const slow = `${D}=mul64(${D},${DH},${bl},${bh});${DH}=HI[0];`;
            const hiZero = dz && sz ? "true" : x ? `(${DH}|${bh})===0` : `${DH}===0`;
            c = x || k >> 31 === 0
              ? `if(${hiZero}&&(t=(${D}>>>0)*${blu})<=9007199254740991){${D}=t|0;${DH}=(t/4294967296)|0;}else{${slow}}`
              : slow;
          }
          break;
        case 0x30:
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
        case 0x90:
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
        case 0x40:
          c = wide ? `${D}|=${bl};${DH}|=${bh};` : `${D}|=${bl};${DH}=0;`;
          break;
        case 0x50:
          c = wide ? `${D}&=${bl};${DH}&=${bh};` : `${D}&=${bl};${DH}=0;`;
          break;
        case 0xa0:
          c = wide ? `${D}^=${bl};${DH}^=${bh};` : `${D}^=${bl};${DH}=0;`;
          break;
        case 0x60:
        case 0x70:
        case 0xc0: {
          const which = op & 0xf0;
          if (!wide) {
            const sh = x ? `(${bl}&31)` : String(k & 31);
            c = which === 0x60
              ? `${D}=${D}<<${sh};${DH}=0;`
              : which === 0x70
              ? `${D}=(${D}>>>${sh})|0;${DH}=0;`
              : `${D}=${D}>>${sh};${DH}=0;`;
          } else if (x) {
            const f = which === 0x60 ? "lsh64" : which === 0x70 ? "rsh64" : "arsh64";
            c = `${D}=${f}(${D},${DH},${bl});${DH}=HI[0];`;
          } else {
            const sh = k & 63;
            if (sh === 0) c = "";
            else if (sh < 32) {
              c = which === 0x60
                ? `${DH}=(${DH}<<${sh})|(${D}>>>${32 - sh});${D}=${D}<<${sh};`
                : which === 0x70
                ? `${D}=(${D}>>>${sh})|(${DH}<<${32 - sh});${DH}=(${DH}>>>${sh})|0;`
                : `${D}=(${D}>>>${sh})|(${DH}<<${32 - sh});${DH}=${DH}>>${sh};`;
            } else {
              c = which === 0x60
                ? `${DH}=${D}<<${sh - 32};${D}=0;`
                : which === 0x70
                ? `${D}=(${DH}>>>${sh - 32})|0;${DH}=0;`
                : `${D}=${DH}>>${sh - 32};${DH}=${DH}>>31;`;
            }
          }
          break;
        }
        case 0x80:
          c = wide ? `t=${D};${D}=(-t)|0;${DH}=(~${DH}+(t===0?1:0))|0;` : `${D}=(-${D})|0;${DH}=0;`;
          break;
        case 0xb0:
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
        case 0xd0:
          if (op === 0xd4) {
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
    } else if (cls === 1) {
      const size = sizeOf(op);
      const S = `l${s}`, SH = `h${s}`;
      // Fast path for the region the base register most likely points into (stack for r10,
      // the run's memory otherwise); any other address takes the generic, fully checked path.
      const hint = s === 10 ? 1 : 2;
      const view = hint === 1 ? "SV" : "MV", len = hint === 1 ? "SL" : "ML";
      const load = (v: string) => {
        switch (op) {
          case 0x61:
            return `${D}=${v}.getInt32(o,true);${DH}=0;`;
          case 0x69:
            return `${D}=${v}.getUint16(o,true);${DH}=0;`;
          case 0x71:
            return `${D}=${v}.getUint8(o);${DH}=0;`;
          case 0x79:
            return `t=${v}.getInt32(o,true);${DH}=${v}.getInt32(o+4,true);${D}=t;`;
          case 0x81:
            return `${D}=${v}.getInt32(o,true);${DH}=${D}>>31;`;
          case 0x89:
            return `${D}=${v}.getInt16(o,true);${DH}=${D}>>31;`;
          default:
            return `${D}=${v}.getInt8(o);${DH}=${D}>>31;`;
        }
      };
      c = `o=(${S}>>>0)+${o};if(${SH}===${hint}&&${o < 0 ? "o>=0&&" : ""}o+${size}<=${len}){${
        load(view)
      }}else{${D}=slowLoad(m,${pc},${op},${S},${SH},${o});${DH}=HI[0];}`;
    } else if (cls === 2 || (cls === 3 && (op & 0xe0) === 0x60)) {
      const size = sizeOf(op);
      const vl = cls === 3 ? `l${s}` : i32(k);
      const vh = cls === 3 ? `h${s}` : i32(k >> 31);
      const store = (v: string) =>
        size === 4
          ? `${v}.setInt32(o,${vl},true);`
          : size === 2
          ? `${v}.setInt16(o,${vl},true);`
          : size === 1
          ? `${v}.setInt8(o,${vl});`
          : `${v}.setInt32(o,${vl},true);${v}.setInt32(o+4,${vh},true);`;
      const hint = d === 10 ? 1 : 2;
      const view = hint === 1 ? "SV" : "MV", len = hint === 1 ? "SL" : "ML";
      c = `o=(${D}>>>0)+${o};if(${DH}===${hint}&&${o < 0 ? "o>=0&&" : ""}o+${size}<=${len}){${
        store(view)
      }}else slowStore(m,${pc},${op},${D},${DH},${o},${vl},${vh});`;
    } else if (cls === 3) {
      c = `${SPILL}atomicOp(m,${pc});${RELOAD}`;
    } else if (cls === 0) {
      if (op === 0x18) {
        c = `${D}=${i32(k)};${DH}=${i32(imm2[pc])};`;
      } else {
        c = `${SPILL}if(legacyLoad(m,${pc})){${RELOAD}${finish}}${RELOAD}`;
      }
    } else {
      // JMP / JMP32
      const jop = op & 0xf0;
      if (op === 0x05) c = go(pc + 1 + o);
      else if (op === 0x06) c = go(pc + 1 + k);
      else if (op === 0x95 && !hasCalls) c = finish;
      else if (op === 0x95) {
        c = `if(depth===0){${finish}}depth--;t=depth*11;` +
          `l6=F[t+1];h6=F[t+2];l7=F[t+3];h7=F[t+4];l8=F[t+5];h8=F[t+6];l9=F[t+7];h9=F[t+8];` +
          `l10=F[t+9];h10=F[t+10];pc=F[t];continue D;`;
      } else if (op === 0x85 && s === 1) {
        c = `if(depth>=${m.maxCallDepth})throw callDepth(${pc});t=depth*11;F[t]=${pc + 1};` +
          `F[t+1]=l6;F[t+2]=h6;F[t+3]=l7;F[t+4]=h7;F[t+5]=l8;F[t+6]=h8;F[t+7]=l9;F[t+8]=h9;` +
          `F[t+9]=l10;F[t+10]=h10;o=(l10>>>0)-${m.frameSize};if(o<0)throw stackOut(${pc});` +
          `l10=o;depth++;${go(pc + 1 + k)}`;
      } else if (op === 0x85) {
        c = `${SPILL}if(callHelper(m,${k},${pc})){${RELOAD}${finish}}${RELOAD}`;
      } else if (op === 0x8d) {
        c = `${SPILL}if(callx(m,${d},${pc})){${RELOAD}${finish}}${RELOAD}`;
      } else if (cls === 5) {
        if (dz && sz) {
          // Both high halves are zero: a 32-bit unsigned comparison decides (signed ones too,
          // since both values are non-negative).
          const u = jop === 0x60
            ? 0x20
            : jop === 0x70
            ? 0x30
            : jop === 0xc0
            ? 0xa0
            : jop === 0xd0
            ? 0xb0
            : jop;
          c = `if(${cond32(u, d, bl, blu)})${go(pc + 1 + o)}`;
        } else c = `if(${cond64(jop, d, bl, bh, blu, bhu)})${go(pc + 1 + o)}`;
      } else {
        c = `if(${cond32(jop, d, bl, blu)})${go(pc + 1 + o)}`;
      }
    }
    updateKnownZero(pc, op, d, s, k, dz);
    return c;
  };
  /** Updates `hz` after the instruction at `pc`. */
  const updateKnownZero = (
    pc: number,
    op: number,
    d: number,
    s: number,
    k: number,
    dz: boolean,
  ) => {
    const cls = op & 7;
    const x = (op & 8) !== 0;
    if (cls === 4) {
      if (op === 0xd4 && k === 64) return; // le64: no change
      hz[d] = op === 0xdc && k === 64 ? 0 : 1;
    } else if (cls === 7) {
      const n = k & 63;
      switch (op & 0xf0) {
        case 0xb0:
          hz[d] = x ? (off[pc] === 0 ? hz[s] : 0) : k >= 0 ? 1 : 0;
          break;
        case 0x50:
          if (x) hz[d] = dz || hz[s] === 1 ? 1 : 0;
          else if (k >= 0) hz[d] = 1;
          break;
        case 0x40:
        case 0xa0:
          if (x) hz[d] = dz && hz[s] === 1 ? 1 : 0;
          else if (k < 0) hz[d] = 0;
          break;
        case 0x70:
          if (x) hz[d] = dz ? 1 : 0;
          else if (n !== 0) hz[d] = n >= 32 || dz ? 1 : 0;
          break;
        case 0x30:
        case 0x90:
          if (off[pc] !== 0 || !dz) hz[d] = 0;
          break;
        case 0xd0:
          hz[d] = k === 64 ? 0 : 1;
          break;
        default:
          hz[d] = 0;
      }
    } else if (cls === 1) {
      hz[d] = (op & 0xe0) === 0x60 && (op & 0x18) !== 0x18 ? 1 : 0;
    } else if (cls === 0) {
      if (op === 0x18) hz[d] = imm2[pc] === 0 ? 1 : 0;
      else hz[0] = 1;
    } else if (cls === 3 && (op & 0xe0) === 0xc0) {
      if ((k & 1) !== 0) hz[s] = 0;
      if (k === 0xf1) hz[0] = 0;
    } else if (cls === 5 && (op === 0x85 || op === 0x8d)) {
      hz.fill(0);
    }
  };
  const blockLength = (pc: number): number => {
    let len = 0;
    for (let q = pc; q < n && (q === pc || !leader[q]); q++) {
      len++;
      if (opc[q] === 0x18) q++;
    }
    return len;
  };
  const check = (pc: number, len: number) =>
    `if((cnt+=${len})>${m.budget}){m.lastCount=cnt-${len};throw budget(${pc});}`;
  // Units of code in program order: a loop region or a plain basic block, each with the slots
  // that get a `case` label in it.
  const units: { text: string; labels: number[] }[] = [];
  const plainBlock = (from: number): { text: string; next: number } => {
    hz.fill(0);
    let text = `case ${from}:${check(from, blockLength(from))}`;
    let q = from;
    do {
      text += code(q);
      q += opc[q] === 0x18 ? 2 : 1;
    } while (q < n && !leader[q] && regionEnd[q] < 0);
    return { text, next: q };
  };
  let pc = 0;
  while (pc < n) {
    if (regionEnd[pc] >= 0) {
      // A simple loop: one pass executes at most `total` instructions, so when the budget
      // cannot run out during this pass, the pass runs without per-block budget checks.
      const end = regionEnd[pc];
      let total = 0;
      for (let q = pc; q <= end; q += opc[q] === 0x18 ? 2 : 1) total++;
      const pass = (checked: boolean): string => {
        let text = "";
        for (let q = pc; q <= end; q += opc[q] === 0x18 ? 2 : 1) {
          if (q === pc || leader[q]) {
            hz.fill(0);
            const len = blockLength(q);
            text += checked ? check(q, len) : `cnt+=${len};`;
          }
          text += code(q);
        }
        return text;
      };
      header = pc;
      let text = `case ${pc}:R${pc}:for(;;){if(cnt+${total}<=${m.budget}){${pass(false)}}else{${
        pass(true)
      }}break;}`;
      // Too big for V8 to optimize: one checked pass only.
      if (text.length > chunkChars) text = `case ${pc}:R${pc}:for(;;){${pass(true)}break;}`;
      header = -1;
      if (text.length <= chunkChars) {
        units.push({ text, labels: [pc] });
        pc = end + 1;
        continue;
      }
      // Still too big: emit the loop as plain blocks (back-edges go through the dispatcher).
      for (let q = pc; q <= end;) {
        const b = plainBlock(q);
        units.push({ text: b.text, labels: [q] });
        q = b.next;
      }
      pc = end + 1;
      continue;
    }
    const b = plainBlock(pc);
    units.push({ text: b.text, labels: [pc] });
    pc = b.next;
  }
  units.push({ text: `case ${n}:m.lastCount=cnt;throw fellOff(${n});`, labels: [n] });
  // Chunks: V8 does not optimize very large functions, so the code is split into functions of
  // at most about `chunkChars` characters. A jump to a slot of another chunk leaves through
  // \`default\`: registers, count and call depth go back to the machine and the driver calls
  // the chunk that has the slot.
  const chunks: string[][] = [[]];
  let size = 0;
  const chunkOf = new Int32Array(n + 1).fill(-1);
  for (const u of units) {
    if (size > 0 && size + u.text.length > chunkChars) {
      // Falling off the end of a chunk continues at this unit, in the next chunk.
      chunks[chunks.length - 1].push(`pc=${u.labels[0]};`);
      chunks.push([]);
      size = 0;
    }
    chunks[chunks.length - 1].push(u.text);
    size += u.text.length;
    for (const l of u.labels) chunkOf[l] = chunks.length - 1;
  }
  const regs = Array.from({ length: 11 }, (_, r) => `l${r}=L[${r}],h${r}=H[${r}]`).join(",");
  // The instruction count stays a small integer (V8 keeps it in a machine register) unless the
  // budget is so large that it could pass 2^31.
  const intCount = m.budget + n < 0x7fffffff;
  const fns = chunks.map((texts, i) =>
    `function c${i}(pc){
let ${regs};
let cnt=ST[0]${intCount ? "|0" : ""},depth=ST[1]|0,o=0,g=0,t=0;
const SV=V[1],SL=N[1],MV=V[2],ML=N[2];
D:for(;;){switch(pc){
${texts.join("\n")}
default:${SPILL}ST[0]=cnt;ST[1]=depth;return pc;
}}}`
  );
  const source = `"use strict";
const {m,HI,mul64,udiv64,sdiv64,umod64,smod64,lsh64,rsh64,arsh64,bswap32,memoryFault,atomicOp,
legacyLoad,callHelper,callx,budget,callDepth,stackOut,fellOff,slowLoad,slowStore,chunkOf}=rt;
const L=m.lo,H=m.hi,V=m.memory.views,N=m.memory.lengths,W=m.memory.writable,F=m.frames;
const ST=new Float64Array(2);
${fns.join("\n")}
const C=[${chunks.map((_, i) => `c${i}`).join(",")}];
${
    chunks.length === 1
      ? "return function run(){ST[0]=0;ST[1]=0;const r=c0(0);if(r>=0)throw fellOff(r);};"
      : `return function run(){ST[0]=0;ST[1]=0;let pc=0;for(;;){const k=chunkOf[pc];if(k<0)throw fellOff(pc);pc=C[k](pc);if(pc<0)return;}};`
  }`;
  return { source, chunkOf };
}

/**
 * A program compiled to JavaScript. Same interface and results as the interpreter; the
 * instruction count (`executed`) is accumulated per basic block.
 *
 * @example
 * ```ts
 * import { JitProgram } from "./jit.ts";
 * import { assemble } from "./assembler.ts";
 * import { decodeProgram } from "./instruction.ts";
 * import assert from "node:assert/strict";
 * const prog = decodeProgram(assemble("mov %r0, 0\nmov %r1, 10\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, -3\nexit"));
 * const jit = new JitProgram(prog);
 * assert.equal(jit.run(), 55n);
 * ```
 */
export class JitProgram implements BpfRunner {
  #m: Machine;
  #fn: () => void;
  /** The generated JavaScript source. */
  readonly source: string;

  /**
   * Compiles a program: checks it like the interpreter, then generates and compiles the code.
   *
   * @param program The decoded program.
   * @param options Stack, budget, helpers, `lddw` resolver.
   * @throws {BpfError} `decode`, `jump`, `lddw`, or `jit` when compilation fails.
   */
  constructor(program: Program, options: JitOptions = {}) {
    this.#m = new Machine(program, options);
    const chunk = options.chunkChars ?? CHUNK_CHARS;
    if (!(chunk >= 1)) throw new RangeError(`chunkChars must be positive, got ${chunk}`);
    const { source, chunkOf } = generate(this.#m, chunk);
    this.source = source;
    const rt = {
      m: this.#m,
      HI,
      mul64,
      udiv64,
      sdiv64,
      umod64,
      smod64,
      lsh64,
      rsh64,
      arsh64,
      bswap32: (x: number) =>
        ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24),
      memoryFault,
      atomicOp,
      legacyLoad,
      callHelper,
      callx,
      slowLoad,
      slowStore,
      chunkOf,
      budget: (pc: number) =>
        new BpfError("budget", `Instruction budget of ${this.#m.budget} exhausted`, { pc }),
      callDepth: (pc: number) =>
        new BpfError("call-depth", `Call depth exceeds ${this.#m.maxCallDepth}`, { pc }),
      stackOut: (pc: number) =>
        new BpfError("call-depth", `Stack exhausted by a local call`, { pc }),
      fellOff: (pc: number) =>
        new BpfError("jump", "Execution fell off the end of the program", { pc }),
    };
    try {
      this.#fn = new Function("rt", this.source)(rt) as () => void;
    } catch (e) {
      throw new BpfError("jit", `Cannot compile the generated code: ${(e as Error).message}`);
    }
  }

  /** The address space. */
  get memory(): BpfMemory {
    return this.#m.memory;
  }

  /** r0's low 32 bits after the last run (unsigned). */
  get resultLow(): number {
    return this.#m.lo[0] >>> 0;
  }

  /** r0's high 32 bits after the last run (unsigned). */
  get resultHigh(): number {
    return this.#m.hi[0] >>> 0;
  }

  /** Instructions executed by the last run (counted per basic block). */
  get executed(): number {
    return this.#m.lastCount;
  }

  /**
   * Runs the program.
   *
   * @param mem The run's memory.
   * @returns r0 as an unsigned 64-bit value.
   */
  run(mem?: Uint8Array): bigint {
    this.exec(mem);
    return toBig(this.#m.lo[0], this.#m.hi[0]);
  }

  /**
   * Runs the program without allocating; the result is in `resultLow`/`resultHigh`.
   *
   * @param mem The run's memory.
   * @returns Nothing.
   */
  exec(mem?: Uint8Array): void {
    this.#m.reset(mem);
    this.#fn();
  }
}

/** A load outside the hinted region: fully checked; returns the low half, high in `HI[0]`. */
function slowLoad(m: Machine, pc: number, op: number, lo: number, hi: number, off: number): number {
  const size = sizeOf(op);
  const o = (lo >>> 0) + off;
  const g = hi;
  const lens = m.memory.lengths;
  if (g <= 0 || g >= lens.length || o < 0 || o + size > lens[g]) {
    throw memoryFault(pc, "read", size, lo, hi, off);
  }
  const v = m.memory.views[g];
  let r: number;
  switch (op) {
    case 0x61:
      HI[0] = 0;
      return v.getInt32(o, true);
    case 0x69:
      HI[0] = 0;
      return v.getUint16(o, true);
    case 0x71:
      HI[0] = 0;
      return v.getUint8(o);
    case 0x79:
      HI[0] = v.getInt32(o + 4, true);
      return v.getInt32(o, true);
    case 0x81:
      r = v.getInt32(o, true);
      break;
    case 0x89:
      r = v.getInt16(o, true);
      break;
    default:
      r = v.getInt8(o);
  }
  HI[0] = r >> 31;
  return r;
}

/** A store outside the hinted region: fully checked, including read-only regions. */
function slowStore(
  m: Machine,
  pc: number,
  op: number,
  lo: number,
  hi: number,
  off: number,
  vl: number,
  vh: number,
): void {
  const size = sizeOf(op);
  const o = (lo >>> 0) + off;
  const g = hi;
  const mem = m.memory;
  if (
    g <= 0 || g >= mem.lengths.length || o < 0 || o + size > mem.lengths[g] || mem.writable[g] === 0
  ) {
    throw memoryFault(pc, "write", size, lo, hi, off);
  }
  const v = mem.views[g];
  if (size === 4) v.setInt32(o, vl, true);
  else if (size === 2) v.setInt16(o, vl, true);
  else if (size === 1) v.setInt8(o, vl);
  else {
    v.setInt32(o, vl, true);
    v.setInt32(o + 4, vh, true);
  }
}

function callx(m: Machine, reg: number, pc: number): number {
  const lo = m.lo[reg], hi = m.hi[reg];
  if (hi !== 0 || lo < 0) {
    throw new BpfError("helper", `Unknown helper 0x${toBig(lo, hi).toString(16)}`, { pc });
  }
  return callHelper(m, lo, pc);
}

/**
 * Compiles a program with the JIT.
 *
 * @param program The decoded program.
 * @param options Stack, budget, helpers, `lddw` resolver.
 * @returns The compiled program.
 * @example
 * ```ts
 * import { compileJit } from "./jit.ts";
 * import { assemble } from "./assembler.ts";
 * import { decodeProgram } from "./instruction.ts";
 * import assert from "node:assert/strict";
 * const jit = compileJit(decodeProgram(assemble("lddw %r0, 0x1122334455667788\nexit")));
 * assert.equal(jit.run(), 0x1122334455667788n);
 * ```
 */
export function compileJit(program: Program, options: JitOptions = {}): JitProgram {
  return new JitProgram(program, options);
}
