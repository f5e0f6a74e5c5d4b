/**
 * The verifier's second pass: every path is walked with an abstract state. Registers are read
 * only after they are written (R0 at exit; a call clobbers R1–R5 and keeps R6–R9), R10 is
 * read-only, constant divisors are not zero, pointer arithmetic stays within what the Linux
 * verifier allows. Known scalars are folded exactly, so a loop with a constant bound is followed
 * to its end; a state that repeats on the same path is an infinite loop, a state seen before
 * (compared on live registers and precise scalars) is not walked again, and a walk longer than
 * the profile's verifier budget is rejected.
 *
 * @module
 */
import type { BpfInstruction } from "./instruction.ts";
import { accessBytes, EBPF } from "./opcodes.ts";
import type { VerifyContext } from "./_verify_context.ts";
import type { ControlFlow } from "./_verify_cfg.ts";
import { liveRegisters, preciseRegisters } from "./_verify_dataflow.ts";
import { checkAccess } from "./_verify_memory.ts";
import { helperCall, mapReference } from "./_verify_helpers.ts";
import {
  cloneState,
  fingerprint,
  type Frame,
  markNull,
  newStack,
  type State,
  type Work,
} from "./_verify_state.ts";
import {
  ALU_NAME,
  bswap,
  constant,
  decide,
  isConst,
  movScalar,
  NOT_INIT,
  ptr,
  PTR_CTX,
  PTR_MAP,
  PTR_MAP_VALUE_OR_NULL,
  PTR_PACKET,
  PTR_STACK,
  refine,
  type Reg,
  SCALAR,
  scalar,
  scalarAlu,
  toSigned,
  trunc,
  TYPE_NAME,
  U32,
  U64,
  UNINIT,
  UNKNOWN,
} from "./_verify_values.ts";

const { CLASS_MASK, CLASS_LD, CLASS_LDX, CLASS_ST, CLASS_ALU, CLASS_JMP, CLASS_JMP32 } = EBPF;
const { CLASS_ALU64, SRC_X, OP_MASK, MODE_MASK, MODE_IND, MODE_MEM, MODE_MEMSX } = EBPF;
const { ALU_ADD, ALU_SUB, ALU_DIV, ALU_NEG, ALU_MOD, ALU_MOV, ALU_END } = EBPF;
const { JMP_JA, JMP_JEQ, JMP_JNE, JMP_CALL, ATOMIC_FETCH, ATOMIC_CMPXCHG } = EBPF;
const { LDDW, JA32, CALLX, EXIT, CALL_SRC_LOCAL } = EBPF;

/** The frame a state is executing in. */
function topFrame(st: State): Frame {
  return st.frames[st.frames.length - 1];
}

/** One walk of a program's paths. */
export class Walker {
  /** The program and options. */
  readonly ctx: VerifyContext;
  /** The control-flow graph. */
  readonly cfg: ControlFlow;
  /** Instructions walked so far. */
  steps = 0;
  /** Deepest stack use per subprogram, in bytes. */
  readonly subDepth: number[];
  /** Per instruction: fingerprint of a state seen there → whether its exploration is done. */
  #seen: Map<string, boolean>[];
  /** Registers read before written from each instruction on. */
  #live: Uint16Array;
  /** Registers whose scalar value can matter for safety from each instruction on. */
  #precise: Uint16Array;

  /**
   * Prepares a walk.
   *
   * @param ctx The program and options.
   * @param cfg Its control-flow graph.
   */
  constructor(ctx: VerifyContext, cfg: ControlFlow) {
    this.ctx = ctx;
    this.cfg = cfg;
    this.subDepth = cfg.subStart.map(() => 0);
    this.#seen = Array.from({ length: ctx.n }, () => new Map());
    this.#live = liveRegisters(ctx.ins, cfg.succ);
    this.#precise = preciseRegisters(ctx.ins, cfg.succ, cfg.subOf);
  }

  /** Walks every path from the entry; throws a `verify` `BpfError` on the first violation. */
  run(): void {
    const regs: Reg[] = new Array(11).fill(UNINIT);
    const inp = this.ctx.input;
    regs[1] = ptr(inp.kind === "ctx" ? PTR_CTX : PTR_PACKET, 0, -1, 0);
    regs[2] = inp.kind === "ctx" ? constant(BigInt(inp.size)) : scalar(0n, BigInt(inp.size));
    regs[10] = ptr(PTR_STACK, 0, -1, 0);
    const start: State = {
      frames: [{ regs, stack: newStack(), returnTo: -1, subprog: 0 }],
      loopSeen: new Map(),
      nextId: 1,
    };
    const work: Work[] = [{ kind: "state", at: 0, st: start }];
    while (work.length > 0) {
      const w = work.pop()!;
      if (w.kind === "close") {
        this.#seen[w.at].set(w.key, true);
        continue;
      }
      this.#path(w.at, w.st, work);
    }
  }

  /** Follows one path until it ends, pushing the other sides of branches onto `work`. */
  #path(at: number, st: State, work: Work[]): void {
    let i = at;
    for (;;) {
      if (++this.steps > this.ctx.profile.maxVerifierSteps) {
        throw this.ctx.err(
          i,
          `BPF program is too large. Processed ${this.steps} insn (the ${this.ctx.profile.name} profile's limit)`,
        );
      }
      if (this.cfg.pruneAt[i]) {
        const key = fingerprint(st, this.#live[i], this.#precise[i]);
        if (this.cfg.loopHeader[i]) {
          if (st.loopSeen.get(i) === key) {
            throw this.ctx.err(i, `infinite loop detected at insn ${this.ctx.program.pcs[i]}`);
          }
          st.loopSeen.set(i, key);
        }
        const seen = this.#seen[i].get(key);
        if (seen === true) return; // explored before from an identical state
        if (seen === false) {
          throw this.ctx.err(i, `infinite loop detected at insn ${this.ctx.program.pcs[i]}`);
        }
        this.#seen[i].set(key, false);
        work.push({ kind: "close", at: i, key });
      }
      const next = this.#step(i, st, work);
      if (next < 0) return;
      i = next;
    }
  }

  /** Executes instruction `i` abstractly; returns the next instruction or -1 at the end. */
  #step(i: number, st: State, work: Work[]): number {
    const x = this.ctx.ins[i];
    const f = st.frames[st.frames.length - 1];
    const r = f.regs;
    const cls = x.opcode & CLASS_MASK;
    switch (cls) {
      case CLASS_ALU:
      case CLASS_ALU64:
        this.#alu(i, x, r, cls === CLASS_ALU64);
        return i + 1;
      case CLASS_JMP:
      case CLASS_JMP32:
        return this.#jmp(i, x, st, work);
      case CLASS_LD: {
        if (x.opcode === LDDW) {
          this.writable(i, x.dst);
          r[x.dst] = mapReference(this, i, x);
          return i + 1;
        }
        // Legacy packet loads: read the input, clobber R1–R5, set R0.
        if ((x.opcode & MODE_MASK) === MODE_IND) this.readScalar(i, r, x.src);
        r[0] = scalar(0n, [0xffffffffn, 0xffffn, 0xffn, U64][(x.opcode >> 3) & 3]);
        for (let k = 1; k <= 5; k++) r[k] = UNINIT;
        return i + 1;
      }
      case CLASS_LDX: {
        // ldx dst, [src + off]
        const size = accessBytes(x.opcode);
        this.writable(i, x.dst);
        const v = checkAccess(this, i, st, x.src, x.offset, size, "read", null);
        const sx = (x.opcode & MODE_MASK) === MODE_MEMSX;
        r[x.dst] = sx ? UNKNOWN : v;
        return i + 1;
      }
      case CLASS_ST: {
        const size = accessBytes(x.opcode);
        checkAccess(this, i, st, x.dst, x.offset, size, "write", constant(BigInt(x.imm)));
        return i + 1;
      }
      default: {
        // STX: store or atomic.
        const size = accessBytes(x.opcode);
        const v = this.read(i, r, x.src);
        if ((x.opcode & MODE_MASK) === MODE_MEM) {
          checkAccess(this, i, st, x.dst, x.offset, size, "write", v);
          return i + 1;
        }
        if (v.t !== SCALAR) throw this.ctx.err(i, `R${x.src} leaks addr into mem`);
        checkAccess(this, i, st, x.dst, x.offset, size, "read", null);
        checkAccess(this, i, st, x.dst, x.offset, size, "write", UNKNOWN);
        if (x.imm === ATOMIC_CMPXCHG) { // R0 compared and loaded
          this.read(i, r, 0);
          r[0] = UNKNOWN;
        } else if (x.imm & ATOMIC_FETCH) r[x.src] = UNKNOWN; // fetch variants load into src
        return i + 1;
      }
    }
  }

  /**
   * Reads register `k`, which must be written.
   *
   * @param i The instruction index.
   * @param r The registers.
   * @param k The register.
   * @returns Its value.
   */
  read(i: number, r: Reg[], k: number): Reg {
    if (r[k].t === NOT_INIT) throw this.ctx.err(i, `R${k} !read_ok`);
    return r[k];
  }

  /**
   * Reads register `k`, which must hold a scalar.
   *
   * @param i The instruction index.
   * @param r The registers.
   * @param k The register.
   * @returns Its value.
   */
  readScalar(i: number, r: Reg[], k: number): Reg {
    const v = this.read(i, r, k);
    if (v.t !== SCALAR) throw this.ctx.err(i, `R${k} type=${TYPE_NAME[v.t]} expected=scalar`);
    return v;
  }

  /**
   * Checks that register `k` may be written (not R10).
   *
   * @param i The instruction index.
   * @param k The register.
   */
  writable(i: number, k: number): void {
    if (k === 10) throw this.ctx.err(i, "frame pointer is read only");
  }

  #alu(i: number, x: BpfInstruction, r: Reg[], is64: boolean): void {
    const op = x.opcode & OP_MASK;
    const useX = (x.opcode & SRC_X) !== 0;
    this.writable(i, x.dst);
    if (op === ALU_END) {
      if (x.imm !== 16 && x.imm !== 32 && x.imm !== 64) {
        throw this.ctx.err(i, `Invalid byte swap width ${x.imm} (16, 32 or 64)`);
      }
      const v = this.readScalar(i, r, x.dst);
      r[x.dst] = isConst(v)
        ? constant(bswap(v.umin, x.imm, is64 || useX))
        : scalar(0n, x.imm === 64 ? U64 : (1n << BigInt(x.imm)) - 1n);
      return;
    }
    let src: Reg;
    if (op === ALU_MOV && !useX) src = constant(is64 ? BigInt(x.imm) : BigInt(x.imm >>> 0));
    else if (useX) src = this.read(i, r, x.src);
    else src = constant(is64 ? BigInt(x.imm) : BigInt(x.imm >>> 0));
    if (op === ALU_MOV) {
      if (src.t !== SCALAR) {
        if (!is64) throw this.ctx.err(i, `R${x.src} 32-bit pointer arithmetic prohibited`);
        if (x.offset !== 0) {
          throw this.ctx.err(i, `R${x.src} sign-extension of a pointer prohibited`);
        }
        r[x.dst] = src;
        return;
      }
      r[x.dst] = movScalar(src, x.offset, is64);
      return;
    }
    if (op === ALU_NEG) {
      const v = this.readScalar(i, r, x.dst);
      r[x.dst] = isConst(v) ? constant(trunc(-v.umin, is64)) : scalar(0n, is64 ? U64 : U32);
      return;
    }
    const dst = this.read(i, r, x.dst);
    if ((op === ALU_DIV || op === ALU_MOD) && !useX && x.imm === 0) {
      throw this.ctx.err(i, "div by zero");
    }
    if (dst.t !== SCALAR || src.t !== SCALAR) {
      r[x.dst] = this.#ptrAlu(i, x, dst, src, op, is64);
      return;
    }
    r[x.dst] = scalarAlu(op, x.offset, dst, src, is64);
  }

  #ptrAlu(i: number, x: BpfInstruction, dst: Reg, src: Reg, op: number, is64: boolean): Reg {
    const name = (t: number) => TYPE_NAME[t];
    if (!is64) throw this.ctx.err(i, `R${x.dst} 32-bit pointer arithmetic prohibited`);
    if (dst.t === PTR_MAP_VALUE_OR_NULL || src.t === PTR_MAP_VALUE_OR_NULL) {
      throw this.ctx.err(
        i,
        `R${x.dst} pointer arithmetic on map_value_or_null prohibited, null-check it first`,
      );
    }
    if (dst.t === PTR_MAP || src.t === PTR_MAP) {
      throw this.ctx.err(i, `R${x.dst} pointer arithmetic on map_ptr prohibited`);
    }
    if (dst.t !== SCALAR && src.t !== SCALAR) {
      if (op === ALU_SUB && dst.t === src.t && (dst.t !== PTR_STACK || dst.id === src.id)) {
        return UNKNOWN; // pointer difference
      }
      throw this.ctx.err(i, `R${x.dst} pointer ${op === ALU_SUB ? "-=" : "op"} pointer prohibited`);
    }
    if (op !== ALU_ADD && op !== ALU_SUB) {
      const p = dst.t !== SCALAR ? dst : src;
      throw this.ctx.err(i, `R${x.dst} ${ALU_NAME[op >> 4]} on pointer ${name(p.t)} prohibited`);
    }
    if (dst.t === SCALAR && op === ALU_SUB) {
      throw this.ctx.err(i, `R${x.dst} tried to subtract pointer from scalar`);
    }
    const p = dst.t !== SCALAR ? dst : src;
    const s = dst.t !== SCALAR ? src : dst;
    const sign = op === ALU_SUB ? -1 : 1;
    if (isConst(s)) {
      const k = toSigned(s.umin);
      const off = p.off + sign * Number(k);
      if (Math.abs(off) > 1 << 29) {
        throw this.ctx.err(i, `R${x.dst} pointer offset ${off} out of range`);
      }
      return { ...p, off };
    }
    // Variable offset: must be bounded.
    if (s.umax > 1n << 29n) {
      throw this.ctx.err(
        i,
        `R${x.dst} unbounded memory access, make sure to bounds check any such access`,
      );
    }
    const lo = Number(s.umin), hi = Number(s.umax);
    const vmin = sign > 0 ? p.vmin + lo : p.vmin - hi;
    const vmax = sign > 0 ? p.vmax + hi : p.vmax - lo;
    return { ...p, vmin, vmax };
  }

  #jmp(i: number, x: BpfInstruction, st: State, work: Work[]): number {
    const f = st.frames[st.frames.length - 1];
    const r = f.regs;
    const op = x.opcode & OP_MASK;
    if (x.opcode === EXIT) return this.#exit(i, st);
    if (op === JMP_JA) return this.ctx.target(i, x.opcode === JA32 ? x.imm : x.offset);
    if (op === JMP_CALL) {
      if (x.opcode === CALLX) {
        const v = this.read(i, r, x.dst);
        if (!isConst(v)) throw this.ctx.err(i, `R${x.dst} callx with an unknown target`);
        const id = Number(v.umin & U32);
        if (!this.ctx.helpers?.has(id)) throw this.ctx.err(i, `invalid func unknown#${id}`);
        return helperCall(this, i, id, st);
      }
      if (x.src === CALL_SRC_LOCAL) return this.#localCall(i, x, st);
      return helperCall(this, i, x.imm >>> 0, st);
    }
    // Conditional jump.
    const is64 = (x.opcode & CLASS_MASK) === CLASS_JMP;
    const a = this.read(i, r, x.dst);
    const b = (x.opcode & SRC_X) ? this.read(i, r, x.src) : constant(BigInt(x.imm));
    const target = this.ctx.target(i, x.offset);
    const outcome = decide(op, a, b, is64);
    // Null checks of map values: `if rX == 0` / `if rX != 0`.
    if (
      a.t === PTR_MAP_VALUE_OR_NULL && isConst(b) && b.umin === 0n &&
      (op === JMP_JEQ || op === JMP_JNE)
    ) {
      const nullSide = cloneState(st);
      markNull(nullSide, a.id, true);
      markNull(st, a.id, false);
      if (op === JMP_JEQ) { // taken when null
        work.push({ kind: "state", at: i + 1, st });
        work.push({ kind: "state", at: target, st: nullSide });
        return -1;
      }
      work.push({ kind: "state", at: i + 1, st: nullSide });
      return target;
    }
    if (a.t !== SCALAR || b.t !== SCALAR) {
      // Pointer comparisons: both sides possible, nothing learnt.
      if (a.t === PTR_MAP_VALUE_OR_NULL || b.t === PTR_MAP_VALUE_OR_NULL) {
        throw this.ctx.err(
          i,
          `R${x.dst} comparison of map_value_or_null other than with 0 prohibited`,
        );
      }
      const other = cloneState(st);
      work.push({ kind: "state", at: target, st: other });
      return i + 1;
    }
    if (outcome === true) return target;
    if (outcome === false) return i + 1;
    // Both sides: refine ranges for unsigned comparisons with a constant.
    const taken = cloneState(st);
    refine(topFrame(taken).regs, x, op, is64, true);
    refine(topFrame(st).regs, x, op, is64, false);
    work.push({ kind: "state", at: target, st: taken });
    return i + 1;
  }

  #exit(i: number, st: State): number {
    const f = st.frames[st.frames.length - 1];
    const r0 = this.read(i, f.regs, 0);
    if (f.returnTo < 0) return -1;
    st.frames.pop();
    const caller = st.frames[st.frames.length - 1];
    caller.regs[0] = r0.t === PTR_STACK && r0.id === st.frames.length ? UNKNOWN : r0;
    for (let k = 1; k <= 5; k++) caller.regs[k] = UNINIT;
    return f.returnTo;
  }

  #localCall(i: number, x: BpfInstruction, st: State): number {
    const t = this.ctx.target(i, x.imm);
    const caller = st.frames[st.frames.length - 1];
    if (st.frames.length >= this.ctx.profile.maxCallDepth) {
      throw this.ctx.err(i, `the call stack of ${st.frames.length + 1} frames is too deep`);
    }
    const regs: Reg[] = new Array(11).fill(UNINIT);
    for (let k = 1; k <= 5; k++) regs[k] = caller.regs[k];
    regs[10] = ptr(PTR_STACK, 0, -1, st.frames.length);
    st.frames.push({ regs, stack: newStack(), returnTo: i + 1, subprog: this.cfg.subOf[t] });
    return t;
  }
}
