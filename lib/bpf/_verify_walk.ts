/**
 * The verifier's second pass: every path is walked with an abstract state. Registers are read
 * only after they are written (R0 at exit; a call clobbers R1–R5 and keeps R6–R9), R10 is
 * read-only, constant divisors are not zero, pointer arithmetic stays within what the Linux
 * verifier allows. Known scalars are folded exactly, so a loop with a constant bound is followed
 * to its end. At pruning points a state that an explored one includes stops its path, a state
 * that repeats an open one at a loop head is an infinite loop (`_verify_prune.ts`). The walk is
 * iterative (a work list of the other sides of branches) and bounded: by the profile's step
 * budget, by wall-clock time and by the bytes of states it keeps, each ending in a `BpfError`
 * with code `too-complex`.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import type { BpfInstruction } from "./instruction.ts";
import { accessBytes, EBPF } from "./opcodes.ts";
import type { VerifyContext } from "./_verify_context.ts";
import type { VerifyProgress } from "./verifier.ts";
import type { ControlFlow } from "./_verify_cfg.ts";
import { liveRegisters, precision, type StackPrecision } from "./_verify_dataflow.ts";
import { checkAccess } from "./_verify_memory.ts";
import { callbackFrame, enterCallback, helperCall, mapReference } from "./_verify_helpers.ts";
import { learnPacketRange } from "./_verify_ctx.ts";
import { type Checkpoint, PruneTable } from "./_verify_prune.ts";
import {
  type AllocMeter,
  type FrameStack,
  newStack,
  uncountedBytes,
  widenScalars,
} from "./_verify_stack.ts";
import {
  type CallbackCall,
  cloneState,
  EditTokens,
  type Frame,
  markNull,
  type State,
  stateBytes,
} from "./_verify_state.ts";
import { decide, endScalar, movScalar, negScalar, refine, scalarAlu } from "./_verify_scalar.ts";
import {
  ALU_NAME,
  constant,
  IdMap,
  isConst,
  isOrNull,
  movedPtr,
  NOT_INIT,
  ptr,
  PTR_CTX,
  PTR_FUNC,
  PTR_MAP,
  PTR_PACKET,
  PTR_PACKET_END,
  PTR_STACK,
  type Reg,
  regWithin,
  S64_MAX,
  S64_MIN,
  SCALAR,
  scalar,
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
const { JMP_JGT, JMP_JGE, JMP_JLT, JMP_JLE } = EBPF;
const { LDDW, JA32, CALLX, EXIT, CALL_SRC_LOCAL } = EBPF;

/** Inside a loop, a new checkpoint only after this many steps or conditional jumps (Linux's). */
const STORE_EVERY_STEPS = 100;
const STORE_EVERY_JUMPS = 20;
/** The clock is read every this many steps (a power of two, minus one as a mask). */
const CLOCK_MASK = 255;
/** Progress is reported every this many steps (a power of two, minus one as a mask). */
const PROGRESS_MASK = 1023;
/** A memory audit runs once allocations reach this much, or what the last one found kept. */
const AUDIT_MIN_BYTES = 4 * 1024 * 1024;
/** The largest variable offset a pointer may carry. */
const MAX_VAR_OFF = 1n << 29n;

/** The limits of one walk. */
export interface WalkBudget {
  /** Instructions the walk may process. */
  maxSteps: number;
  /** Wall-clock milliseconds. */
  maxMillis: number;
  /** Bytes of checkpoints and pending states. */
  maxBytes: number;
  /** Milliseconds now. */
  clock: () => number;
  /** When the verification started, on `clock`. */
  start: number;
  /** Told how far the walk got, every so often and at the end. */
  progress?: (p: VerifyProgress) => void;
}

/** The work list: a state to follow from an instruction, or a checkpoint to close. */
type Work =
  | { kind: "state"; at: number; st: State }
  | { kind: "close"; at: number; cp: Checkpoint };

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
  /**
   * The most bytes of states kept at once: an upper bound (what the last memory audit found,
   * plus everything allocated since).
   */
  peakBytes = 0;
  /** Checkpoints stored. */
  stored = 0;
  /** Paths stopped because an explored state included theirs. */
  pruned = 0;
  /** Edit tokens of the states of this walk. */
  readonly tokens: EditTokens = new EditTokens();
  readonly #budget: WalkBudget;
  readonly #start: number;
  readonly #prune: PruneTable;
  /** Bytes allocated for states since the last memory audit. */
  readonly #meter: AllocMeter = { bytes: 0 };
  /** Bytes of states the last memory audit found kept. */
  #kept = 0;
  #epoch = 0;
  #work: Work[] = [];
  #current: State | null = null;
  /** Typed contexts: loads of packet pointers → runtime offset of the 64-bit pointer. */
  readonly ctxLoads = new Map<number, number>();
  #plain = new Set<number>();
  /** Per subprogram: the stack bytes whose values can matter. */
  readonly #stackPrecision: StackPrecision[];
  /** Per instruction: its immediate as a register (64-bit sign-extended, or 32-bit). */
  readonly #imm: (Reg | undefined)[];
  #jumps = 0;
  #lastStoreSteps = 0;
  #lastStoreJumps = 0;

  /**
   * Prepares a walk.
   *
   * @param ctx The program and options.
   * @param cfg Its control-flow graph.
   * @param budget Its limits.
   */
  constructor(ctx: VerifyContext, cfg: ControlFlow, budget: WalkBudget) {
    this.ctx = ctx;
    this.cfg = cfg;
    this.#budget = budget;
    this.#start = budget.start;
    this.subDepth = cfg.subStart.map(() => 0);
    this.#imm = new Array(ctx.n);
    const p = precision(ctx.ins, cfg.succ, cfg.subOf, cfg.subStart.length);
    this.#stackPrecision = p.stack;
    this.#prune = new PruneTable(ctx.n, {
      live: liveRegisters(ctx.ins, cfg.succ),
      precise: p.registers,
    });
  }

  /** Walks every path from the entry; throws a `BpfError` on the first violation. */
  run(): void {
    const regs: Reg[] = new Array(11).fill(UNINIT);
    const inp = this.ctx.input;
    if (inp.kind === "args") {
      // A function of .text run on its own: its arguments are numbers.
      for (let k = 1; k <= 5; k++) regs[k] = UNKNOWN;
    } else {
      regs[1] = ptr(inp.kind === "ctx" ? PTR_CTX : PTR_PACKET, 0, -1, 0);
      // Typed contexts (Linux): only R1 is set. Otherwise R2 is the input's length.
      regs[2] = this.ctx.layout !== null
        ? UNINIT
        : inp.kind === "ctx"
        ? constant(BigInt(inp.size))
        : scalar(0n, BigInt(inp.size));
    }
    regs[10] = ptr(PTR_STACK, 0, -1, 0);
    const start: State = {
      frames: [{ regs, stack: newStack(this.#stackPrecision[0]), returnTo: -1, subprog: 0 }],
      nextId: 1,
      refs: [],
      lock: null,
      edit: this.tokens.next(),
      meter: this.#meter,
    };
    this.#meter.bytes += stateBytes(1);
    const work = this.#work;
    work.push({ kind: "state", at: 0, st: start });
    while (work.length > 0) {
      const w = work.pop()!;
      if (w.kind === "close") {
        this.#prune.close(w.at, w.cp);
        continue;
      }
      this.#current = w.st;
      this.#path(w.at, w.st, work);
    }
    this.#current = null;
  }

  /**
   * Records a load of a context packet pointer at instruction `i` (rewritten at load time).
   *
   * @param i The instruction index.
   * @param kernelOff Where the runtime keeps the 64-bit pointer.
   */
  ctxLoad(i: number, kernelOff: number): void {
    const had = this.ctxLoads.get(i);
    if (this.#plain.has(i) || (had !== undefined && had !== kernelOff)) {
      throw this.ctx.err(i, "same insn cannot be used with different pointers");
    }
    this.ctxLoads.set(i, kernelOff);
  }

  /**
   * Records a memory access at instruction `i` that is not a load of a packet pointer.
   *
   * @param i The instruction index.
   */
  plainAccess(i: number): void {
    if (this.ctxLoads.has(i)) {
      throw this.ctx.err(i, "same insn cannot be used with different pointers");
    }
    this.#plain.add(i);
  }

  /** The state being walked (for new ids). */
  get current(): State {
    return this.#current!;
  }

  /** Queues a state to walk from `at`. */
  #push(work: Work[], at: number, st: State): void {
    work.push({ kind: "state", at, st });
    this.#checkBytes(at);
  }

  /**
   * Keeps the bytes of states under the budget: what the last audit found plus what was
   * allocated since is an upper bound; when allocations grow large against it, or it passes
   * the budget, an audit counts what the states kept now really hold.
   */
  #checkBytes(i: number): void {
    let total = this.#kept + this.#meter.bytes;
    const max = this.#budget.maxBytes;
    if (this.#meter.bytes >= Math.max(AUDIT_MIN_BYTES, this.#kept) || total > max) {
      this.#kept = this.#audit();
      this.#meter.bytes = 0;
      total = this.#kept;
    }
    if (total > this.peakBytes) this.peakBytes = total;
    if (total > max) {
      throw this.#tooComplex(
        i,
        `the states to explore need more than ${max} bytes`,
        `memory limit ${max} bytes`,
      );
    }
  }

  /** The bytes held by every state kept: the current one, pending ones and checkpoints. */
  #audit(): number {
    const epoch = ++this.#epoch;
    let bytes = 0;
    const count = (frames: Frame[]) => {
      bytes += stateBytes(frames.length);
      for (const f of frames) bytes += uncountedBytes(f.stack, epoch);
    };
    if (this.#current !== null) count(this.#current.frames);
    for (const w of this.#work) count(w.kind === "state" ? w.st.frames : w.cp.frames);
    this.#prune.forEachDone(count);
    return bytes;
  }

  #tooComplex(i: number, what: string, limit: string): BpfError {
    return new BpfError(
      "too-complex",
      `BPF program is too complex: ${what}; processed ${this.steps} insns (${limit})`,
      { pc: this.ctx.slot(i) },
    );
  }

  /** Follows one path until it ends, pushing the other sides of branches onto `work`. */
  #path(at: number, st: State, work: Work[]): void {
    const { loopHeader, pruneAt } = this.cfg;
    const prune = this.#prune;
    const maxSteps = this.#budget.maxSteps;
    let i = at;
    for (;;) {
      if (++this.steps > maxSteps) {
        throw new BpfError(
          "too-complex",
          `BPF program is too large. Processed ${this.steps} insn (limit ${maxSteps}, the ${this.ctx.profile.name} profile's verifier budget)`,
          { pc: this.ctx.slot(i) },
        );
      }
      if ((this.steps & CLOCK_MASK) === 0) this.#checkClock(i);
      // A state holding references or a lock is never pruned (checkpoints do not record them).
      if (pruneAt[i] && st.refs.length === 0 && st.lock === null) {
        let h: number | null = null;
        if (loopHeader[i]) {
          h = prune.hash(i, st);
          if (prune.repeats(i, st, h)) {
            throw this.ctx.err(i, `infinite loop detected at insn ${this.ctx.program.pcs[i]}`);
          }
        }
        if (prune.covered(i, st)) {
          this.pruned++;
          return;
        }
        // Inside a loop, states differ on every pass: keep one only every so often.
        if (
          !prune.hasOpen(i) || this.steps - this.#lastStoreSteps >= STORE_EVERY_STEPS ||
          this.#jumps - this.#lastStoreJumps >= STORE_EVERY_JUMPS
        ) {
          const cp = prune.store(i, st, this.tokens, h);
          this.stored++;
          this.#lastStoreSteps = this.steps;
          this.#lastStoreJumps = this.#jumps;
          work.push({ kind: "close", at: i, cp });
          this.#checkBytes(i);
        }
      }
      const next = this.#step(i, st, work);
      if (next < 0) return;
      i = next;
    }
  }

  /**
   * Tells the progress callback how far the walk got.
   *
   * @param done Whether the walk is over.
   * @returns The milliseconds since the walk started.
   */
  report(done: boolean): number {
    const millis = this.#budget.clock() - this.#start;
    this.#budget.progress?.({
      steps: this.steps,
      millis,
      stateBytes: this.#kept + this.#meter.bytes,
      peakStateBytes: this.peakBytes,
      done,
    });
    return millis;
  }

  #checkClock(i: number): void {
    const ms = (this.steps & PROGRESS_MASK) === 0
      ? this.report(false)
      : this.#budget.clock() - this.#start;
    if (ms > this.#budget.maxMillis) {
      throw this.#tooComplex(
        i,
        `verification took more than ${this.#budget.maxMillis} ms`,
        `time limit ${this.#budget.maxMillis} ms`,
      );
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
        if (st.lock !== null) {
          throw this.ctx.err(i, "BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region");
        }
        if (this.ctx.layout !== null) {
          // Linux: only programs on a __sk_buff, with R6 pointing to it.
          if (this.ctx.layout.name !== "__sk_buff") {
            throw this.ctx.err(
              i,
              `BPF_LD_[ABS|IND] instructions not allowed for this program type (${this.ctx.programType})`,
            );
          }
          const r6 = this.read(i, r, 6);
          if (r6.t !== PTR_CTX || r6.off !== 0 || r6.vmin !== 0 || r6.vmax !== 0) {
            throw this.ctx.err(i, "at the time of BPF_LD_ABS|IND R6 != pointing to skb");
          }
        }
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
        r[x.dst] = !sx ? v : v.t === SCALAR ? movScalar(v, size * 8, true) : UNKNOWN;
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
        const base = this.read(i, r, x.dst);
        if (this.ctx.layout !== null && (base.t === PTR_CTX || base.t === PTR_PACKET)) {
          throw this.ctx.err(
            i,
            `BPF_ATOMIC stores into R${x.dst} ${TYPE_NAME[base.t]} is not allowed`,
          );
        }
        checkAccess(this, i, st, x.dst, x.offset, size, "read", null);
        checkAccess(this, i, st, x.dst, x.offset, size, "write", null);
        if (x.imm === ATOMIC_CMPXCHG) { // R0 compared and loaded
          this.read(i, r, 0);
          r[0] = size === 8 ? UNKNOWN : scalar(0n, U32);
        } else if (x.imm & ATOMIC_FETCH) r[x.src] = size === 8 ? UNKNOWN : scalar(0n, U32);
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
      // Linux rejects any other width ("BPF_END uses reserved fields"); the engines would run
      // it as 64.
      if (x.imm !== 16 && x.imm !== 32 && x.imm !== 64) {
        throw this.ctx.err(i, `Invalid byte swap width ${x.imm} (16, 32 or 64)`);
      }
      r[x.dst] = endScalar(this.readScalar(i, r, x.dst), x.imm, is64 || useX);
      return;
    }
    const src = useX ? this.read(i, r, x.src) : this.#immediate(i, x, is64);
    if (op === ALU_MOV) {
      // The width a move sign-extends from, as the engines run it: immediates never, 64-bit
      // moves from 8, 16 or (any other offset) 32 bits, 32-bit moves from 8 or 16 bits.
      const k = x.offset;
      const sx = !useX || k === 0 ? 0 : k === 8 || k === 16 ? k : is64 ? 32 : 0;
      if (src.t !== SCALAR) {
        if (!is64) throw this.ctx.err(i, `R${x.src} 32-bit pointer arithmetic prohibited`);
        if (sx !== 0) throw this.ctx.err(i, `R${x.src} sign-extension of a pointer prohibited`);
        r[x.dst] = src;
        return;
      }
      r[x.dst] = movScalar(src, sx, is64);
      return;
    }
    if (op === ALU_NEG) {
      r[x.dst] = negScalar(this.readScalar(i, r, x.dst), is64);
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
    r[x.dst] = scalarAlu(op, x.offset === 1 ? 1 : 0, dst, src, is64); // 1: signed div/mod
  }

  /** The immediate of instruction `i` as a known scalar (made once). */
  #immediate(i: number, x: BpfInstruction, is64: boolean): Reg {
    return this.#imm[i] ??= constant(is64 ? BigInt(x.imm) : BigInt(x.imm >>> 0));
  }

  #ptrAlu(i: number, x: BpfInstruction, dst: Reg, src: Reg, op: number, is64: boolean): Reg {
    const name = (t: number) => TYPE_NAME[t];
    if (!is64) throw this.ctx.err(i, `R${x.dst} 32-bit pointer arithmetic prohibited`);
    if (isOrNull(dst.t) || isOrNull(src.t)) {
      throw this.ctx.err(
        i,
        `R${x.dst} pointer arithmetic on ${
          TYPE_NAME[isOrNull(dst.t) ? dst.t : src.t]
        } prohibited, null-check it first`,
      );
    }
    if (dst.t !== SCALAR && src.t !== SCALAR) {
      if (op === ALU_SUB && dst.t === src.t && (dst.t !== PTR_STACK || dst.id === src.id)) {
        return UNKNOWN; // pointer difference
      }
      const pkts = (dst.t === PTR_PACKET || dst.t === PTR_PACKET_END) &&
        (src.t === PTR_PACKET || src.t === PTR_PACKET_END);
      if (op === ALU_SUB && pkts) return UNKNOWN; // data_end - data: the packet's length
    }
    if (
      dst.t === PTR_MAP || src.t === PTR_MAP || dst.t === PTR_PACKET_END ||
      src.t === PTR_PACKET_END || dst.t === PTR_FUNC || src.t === PTR_FUNC
    ) {
      const t = dst.t === PTR_MAP || dst.t === PTR_PACKET_END || dst.t === PTR_FUNC ? dst.t : src.t;
      throw this.ctx.err(i, `R${x.dst} pointer arithmetic on ${TYPE_NAME[t]} prohibited`);
    }
    if (dst.t !== SCALAR && src.t !== SCALAR) {
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
      const off = p.off + sign * Number(s.smin);
      if (Math.abs(off) > 1 << 29) {
        throw this.ctx.err(i, `R${x.dst} pointer offset ${off} out of range`);
      }
      return movedPtr(p, off, p.vmin, p.vmax);
    }
    // Variable offset: must be bounded, as an unsigned or as a signed value.
    let lo: number, hi: number;
    if (s.umax <= MAX_VAR_OFF) [lo, hi] = [Number(s.umin), Number(s.umax)];
    else if (s.smin >= -MAX_VAR_OFF && s.smax <= MAX_VAR_OFF) {
      [lo, hi] = [Number(s.smin), Number(s.smax)];
    } else {
      throw this.ctx.err(
        i,
        `R${x.dst} unbounded memory access, make sure to bounds check any such access`,
      );
    }
    const vmin = sign > 0 ? p.vmin + lo : p.vmin - hi;
    const vmax = sign > 0 ? p.vmax + hi : p.vmax - lo;
    if (p.t === PTR_PACKET && this.ctx.layout !== null) {
      // A new variable offset: a new id, and nothing known of its range yet (Linux).
      return movedPtr(p, p.off, vmin, vmax, this.current.nextId++, 0);
    }
    return movedPtr(p, p.off, vmin, vmax);
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
      if (x.src === CALL_SRC_LOCAL) {
        if (st.lock !== null) {
          throw this.ctx.err(i, "function calls are not allowed while holding a lock");
        }
        return this.#localCall(i, x, st);
      }
      return helperCall(this, i, x.imm >>> 0, st);
    }
    // Conditional jump.
    this.#jumps++;
    const is64 = (x.opcode & CLASS_MASK) === CLASS_JMP;
    const useX = (x.opcode & SRC_X) !== 0;
    const a = this.read(i, r, x.dst);
    const b = useX ? this.read(i, r, x.src) : this.#immediate(i, x, true);
    const target = this.ctx.target(i, x.offset);
    // Null checks of map values: `if rX == 0` / `if rX != 0`.
    if (
      isOrNull(a.t) && isConst(b) && b.umin === 0n &&
      (op === JMP_JEQ || op === JMP_JNE)
    ) {
      const nullSide = cloneState(st, this.tokens);
      markNull(nullSide, a.id, true);
      markNull(st, a.id, false);
      if (op === JMP_JEQ) { // taken when null
        this.#push(work, target, nullSide);
        return i + 1;
      }
      this.#push(work, i + 1, nullSide);
      return target;
    }
    if (a.t !== SCALAR || b.t !== SCALAR) {
      // Pointer comparisons: both sides possible, nothing learnt.
      if (isOrNull(a.t) || isOrNull(b.t)) {
        throw this.ctx.err(
          i,
          `R${x.dst} comparison of ${
            TYPE_NAME[isOrNull(a.t) ? a.t : b.t]
          } other than with 0 prohibited`,
        );
      }
      const other = cloneState(st, this.tokens);
      const pktFirst = a.t === PTR_PACKET && b.t === PTR_PACKET_END;
      if (
        is64 && (pktFirst || (a.t === PTR_PACKET_END && b.t === PTR_PACKET)) &&
        (op === JMP_JGT || op === JMP_JGE || op === JMP_JLT || op === JMP_JLE)
      ) {
        // pkt <= data_end (or <) holds on one side: the bytes before pkt are in the packet.
        const less = op === JMP_JLT || op === JMP_JLE;
        learnPacketRange(pktFirst === less ? other : st, pktFirst ? a : b);
      }
      this.#push(work, target, other);
      return i + 1;
    }
    const outcome = decide(op, a, b, is64);
    if (outcome === true) return target;
    if (outcome === false) return i + 1;
    if (useX && x.src === x.dst) {
      this.#push(work, target, cloneState(st, this.tokens));
      return i + 1;
    }
    // Both sides: each narrows both registers' ranges.
    const taken = refine(op, a, b, is64, true);
    const fall = refine(op, a, b, is64, false);
    if (taken === null && fall === null) return -1; // no value gets here
    if (taken !== null) {
      if (fall === null) {
        this.#narrow(r, x, taken);
        return target;
      }
      const other = cloneState(st, this.tokens);
      this.#narrow(topFrame(other).regs, x, taken);
      this.#push(work, target, other);
    }
    this.#narrow(r, x, fall!);
    return i + 1;
  }

  #narrow(r: Reg[], x: BpfInstruction, v: [Reg, Reg]): void {
    r[x.dst] = v[0];
    if (x.opcode & SRC_X) r[x.src] = v[1];
  }

  #exit(i: number, st: State): number {
    const f = st.frames[st.frames.length - 1];
    if (st.lock !== null) throw this.ctx.err(i, "bpf_spin_unlock is missing");
    const r0 = this.read(i, f.regs, 0);
    if (f.callback) {
      if (r0.t !== SCALAR) throw this.ctx.err(i, "R0 not a scalar value");
      if (r0.smin < 0n || r0.smax > 1n) {
        const has = (r0.smin > S64_MIN ? ` smin=${r0.smin}` : "") +
          (r0.smax < S64_MAX ? ` smax=${r0.smax}` : "") +
          (r0.smin === S64_MIN && r0.smax === S64_MAX ? " unknown scalar value" : "");
        throw this.ctx.err(
          i,
          `At callback return the register R0 has${has} should have been in [0, 1]`,
        );
      }
      st.frames.pop();
      const caller = st.frames[st.frames.length - 1];
      caller.regs[0] = UNKNOWN; // bpf_loop's result: the iterations done
      for (let k = 1; k <= 5; k++) caller.regs[k] = UNINIT;
      if (r0.smin <= 0n) this.#callAgain(st, f.callback);
      return f.returnTo;
    }
    if (f.returnTo < 0) {
      if (st.refs.length > 0) {
        throw this.ctx.err(
          i,
          `Unreleased reference id=${
            st.refs[0]
          }: a ring buffer record reserved on this path is never submitted or discarded`,
        );
      }
      return -1;
    }
    st.frames.pop();
    const caller = st.frames[st.frames.length - 1];
    caller.regs[0] = r0.t === PTR_STACK && r0.id === st.frames.length ? UNKNOWN : r0;
    for (let k = 1; k <= 5; k++) caller.regs[k] = UNINIT;
    return f.returnTo;
  }

  /**
   * After a `bpf_loop` callback returned 0, the helper may run it again on what it left in the
   * caller's memory (Linux ≥ 6.7 verifies callbacks until their states converge): that entry is
   * walked too, unless the state at the previous entry includes it. Numbers that changed since
   * that entry are widened to unknown, so that a callback that counts in its context converges.
   */
  #callAgain(st: State, cb: CallbackCall): void {
    const again = cloneState(st, this.tokens);
    const f = callbackFrame(this, again, cb.target, cb.index, cb.ctx, cb.entry.at(-1)!.returnTo);
    again.frames.push(f);
    if (this.#prune.includes(cb.target, cb.entry, again)) {
      this.pruned++;
      return;
    }
    again.frames.pop();
    const ids = new IdMap();
    for (let k = 0; k < again.frames.length; k++) {
      const now = again.frames[k], was = cb.entry[k];
      for (let n = 0; n <= 9; n++) {
        const a = was.regs[n], b = now.regs[n];
        if (a.t === SCALAR && b.t === SCALAR && !regWithin(a, b, true, ids)) now.regs[n] = UNKNOWN;
      }
      widenScalars(again, now.stack, was.stack);
    }
    enterCallback(this, again, f);
    this.#push(this.#work, cb.target, again);
  }

  /**
   * A new stack for a frame of the subprogram starting at an instruction.
   *
   * @param start The subprogram's first instruction.
   * @returns The stack.
   */
  newFrameStack(start: number): FrameStack {
    return newStack(this.#stackPrecision[this.cfg.subOf[start]]);
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
    const sub = this.cfg.subOf[t];
    const stack = newStack(this.#stackPrecision[sub]);
    st.frames.push({ regs, stack, returnTo: i + 1, subprog: sub });
    return t;
  }
}
