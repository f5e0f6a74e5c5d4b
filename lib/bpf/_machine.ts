/**
 * What the interpreter and the JIT share: a program prepared into flat typed arrays and checked
 * once (valid opcodes, jump and call targets inside the program and not into an `lddw`'s second
 * slot, `lddw` variants resolved), the register file, the address space, and the rarely used
 * operations (helpers, atomics, legacy packet loads) implemented once for both.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import { type HelperContext, HelperRegistry } from "./helpers.ts";
import { type BpfProgram, checkInstruction } from "./instruction.ts";
import { BpfMemory, MEM_REGION, STACK_REGION } from "./memory.ts";
import { EBPF } from "./opcodes.ts";
import type { BpfRunOptions } from "./runner.ts";
import { fromBig, HI } from "./_u64.ts";
import { type BpfKernel, KERNEL } from "./_kernel.ts";

const { CLASS_MASK, CLASS_JMP, CLASS_JMP32, LDDW, LDDW_SRC_IMM64 } = EBPF;
const { CALL_SRC_LOCAL, CALL_SRC_BTF, JA32, CALL, CALLX, EXIT } = EBPF;

/**
 * The layout of one saved call frame in {@linkcode Machine.frames}: `FRAME_WORDS` int32 words per
 * frame, the slot to return to, then the callee-saved registers r6–r9 and the frame pointer r10
 * as (low, high) pairs. Register `r` (6–9) is saved at `FRAME_R6_LO + 2 * (r - 6)` (low half)
 * and the word after it (high half).
 */
export const CALL_FRAME = {
  FRAME_WORDS: 11,
  FRAME_RETURN: 0,
  FRAME_R6_LO: 1,
  FRAME_R6_HI: 2,
  FRAME_R7_LO: 3,
  FRAME_R7_HI: 4,
  FRAME_R8_LO: 5,
  FRAME_R8_HI: 6,
  FRAME_R9_LO: 7,
  FRAME_R9_HI: 8,
  FRAME_R10_LO: 9,
  FRAME_R10_HI: 10,
} as const;

const { FRAME_WORDS } = CALL_FRAME;

/** Sentinel opcode placed after the last slot: falling off the end is an error. */
export const END_SENTINEL = 0;

/** A prepared program with its run state. */
export class Machine {
  /** Opcode per slot (plus a sentinel slot at the end). */
  readonly opc: Uint8Array;
  /** Destination register per slot. */
  readonly dst: Uint8Array;
  /** Source register per slot. */
  readonly src: Uint8Array;
  /** Offset per slot. */
  readonly off: Int16Array;
  /** Immediate per slot (low half for `lddw`). */
  readonly imm: Int32Array;
  /** High half of a resolved `lddw` value, stored at the `lddw`'s slot. */
  readonly imm2: Int32Array;
  /** Number of slots. */
  readonly slots: number;
  /** Register low halves r0–r10. */
  readonly lo: Int32Array = new Int32Array(11);
  /** Register high halves r0–r10. */
  readonly hi: Int32Array = new Int32Array(11);
  /** The address space. */
  readonly memory: BpfMemory;
  /** The helper registry. */
  readonly helpers: HelperRegistry;
  /** Instruction budget per run. */
  readonly budget: number;
  /** Bytes per call frame. */
  readonly frameSize: number;
  /** Maximum call depth. */
  readonly maxCallDepth: number;
  /** Saved call frames, {@linkcode CALL_FRAME} words each. */
  readonly frames: Int32Array;
  /** Instructions executed by the last run. */
  lastCount = 0;
  /** Set by a helper's `stop()`. */
  stopRequested = false;
  /** The helper context handed to helpers. */
  readonly ctx: HelperContext;

  /**
   * Prepares a program into flat arrays and checks it.
   *
   * @param program The decoded program.
   * @param options Run options.
   * @param memory Another machine's address space to run in (a `bpf_loop` callback's), instead
   *   of a new one.
   */
  constructor(program: BpfProgram, options: BpfRunOptions = {}, memory?: BpfMemory) {
    const stackSize = options.stackSize ?? 512;
    this.memory = memory ?? new BpfMemory(stackSize);
    this.helpers = options.helpers ?? new HelperRegistry();
    this.budget = options.budget ?? 1_000_000;
    this.frameSize = options.frameSize ?? Math.min(512, stackSize);
    this.maxCallDepth = options.maxCallDepth ?? 8;
    this.frames = new Int32Array((this.maxCallDepth + 1) * FRAME_WORDS);
    const n = program.slotCount;
    this.slots = n;
    this.opc = new Uint8Array(n + 1);
    this.dst = new Uint8Array(n + 1);
    this.src = new Uint8Array(n + 1);
    this.off = new Int16Array(n + 1);
    this.imm = new Int32Array(n + 1);
    this.imm2 = new Int32Array(n + 1);
    this.ctx = {
      memory: this.memory,
      stop: () => {
        this.stopRequested = true;
      },
    };
    const { instructions, pcs, indexOfSlot } = program;
    for (let i = 0; i < instructions.length; i++) {
      const insn = instructions[i];
      const pc = pcs[i];
      const why = checkInstruction(insn);
      if (why !== null) throw new BpfError("decode", why, { pc });
      const op = insn.opcode;
      this.opc[pc] = op;
      this.dst[pc] = insn.dst;
      this.src[pc] = insn.src;
      this.off[pc] = insn.offset;
      this.imm[pc] = insn.imm;
      const cls = op & CLASS_MASK;
      if (op === LDDW) {
        if (insn.src === LDDW_SRC_IMM64) {
          this.imm2[pc] = insn.imm2 ?? 0;
        } else {
          if (!options.lddw) {
            throw new BpfError("lddw", `lddw with source ${insn.src} needs a resolver`, { pc });
          }
          const v = options.lddw(insn.src, insn.imm, insn.imm2 ?? 0, this.memory);
          this.imm[pc] = fromBig(v);
          this.imm2[pc] = HI[0];
        }
      } else if ((cls === CLASS_JMP || cls === CLASS_JMP32) && op !== EXIT && op !== CALLX) {
        let target = -1;
        if (op === CALL) {
          if (insn.src === CALL_SRC_LOCAL) target = pc + 1 + insn.imm;
          else if (insn.src === CALL_SRC_BTF) {
            throw new BpfError("helper", "Calls to helpers by BTF id are not supported", { pc });
          }
        } else if (op === JA32) target = pc + 1 + insn.imm;
        else target = pc + 1 + insn.offset;
        if (op !== CALL || insn.src === CALL_SRC_LOCAL) {
          if (target < 0 || target >= n) {
            throw new BpfError("jump", `Jump to ${target} is outside the program (0..${n - 1})`, {
              pc,
            });
          }
          if (indexOfSlot[target] === -1) {
            throw new BpfError("jump", `Jump to ${target} lands inside an lddw`, { pc });
          }
        }
      }
    }
    this.opc[n] = END_SENTINEL;
  }

  /**
   * Resets registers for a run: r1 = address of `mem`, r2 = its length, r10 = stack top.
   *
   * @param mem The run's memory.
   * @param length When given, only the first `length` bytes of `mem` are the run's memory
   *   (a reused buffer: nothing is made or compared but the array, {@linkcode BpfMemory.setMemPrefix}).
   * @returns Nothing.
   */
  reset(mem: Uint8Array | undefined, length = -1): void {
    if (length < 0) this.memory.setMem(mem);
    else this.memory.setMemPrefix(mem!, length);
    // A loop, not TypedArray.fill: a run per packet spends a quarter of its time in two fill
    // calls on eleven registers otherwise.
    const lo = this.lo, hi = this.hi;
    for (let i = 0; i < lo.length; i++) lo[i] = hi[i] = 0;
    this.lo[1] = 0;
    this.hi[1] = MEM_REGION;
    this.lo[2] = length >= 0 ? length : mem ? mem.length : 0;
    this.lo[10] = this.memory.lengths[STACK_REGION];
    this.hi[10] = STACK_REGION;
    this.stopRequested = false;
  }
}

/** Builds the error for a memory access outside its region (`memory`). */
export const memoryFault: BpfKernel["memoryFault"] = KERNEL.memoryFault;
/** Calls helper `id` with r1–r5 from the register file; r0 gets the result; 1 when it stopped. */
export const callHelper: (m: Machine, id: number, pc: number) => number = KERNEL.callHelper;
/** Executes the atomic instruction at `pc` on the register file. */
export const atomicOp: (m: Machine, pc: number) => void = KERNEL.atomicOp;
/**
 * Executes a legacy packet load (`LD|ABS`/`LD|IND`): r0 = the big-endian value at `imm` (+ src
 * register) in the run's memory; 1 when out of bounds (the program then ends with r0 = 0).
 */
export const legacyLoad: (m: Machine, pc: number) => number = KERNEL.legacyLoad;
