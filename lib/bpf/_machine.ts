/**
 * What the interpreter and the JIT share: a program prepared into flat typed arrays and checked
 * once (valid opcodes, jump and call targets inside the program and not into an `lddw`'s second
 * slot, `lddw` variants resolved), the register file, the address space, and the rarely used
 * operations (helpers, atomics, legacy packet loads) implemented once for both.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import { conformanceHelpers, type HelperContext, type HelperRegistry } from "./helpers.ts";
import { checkInstruction, type Program } from "./instruction.ts";
import { BpfMemory, MEM_REGION, STACK_REGION } from "./memory.ts";
import { fromBig, HI, toBig } from "./_u64.ts";

/** Options shared by the interpreter and the JIT. */
export interface RunOptions {
  /** Helpers callable with `call N` (default: {@linkcode conformanceHelpers}). */
  helpers?: HelperRegistry;
  /** Total stack bytes (default 512). */
  stackSize?: number;
  /** Stack bytes per local-call frame (default `min(512, stackSize)`). */
  frameSize?: number;
  /** Maximum nesting of local calls (default 8). */
  maxCallDepth?: number;
  /** Maximum instructions per run (default 1,000,000); exceeding it is a `budget` error. */
  budget?: number;
  /**
   * Resolves `lddw` with source 1–6 (maps, variables, code) to a 64-bit value once, when the VM
   * is built. Without it such an `lddw` is an `lddw` error.
   */
  lddw?: (src: number, imm: number, imm2: number, memory: BpfMemory) => bigint;
}

/**
 * Sentinel opcode placed after the last slot: falling off the end is an error.
 *
 * @example
 * ```ts
 * import { END_SENTINEL } from "./_machine.ts";
 * import assert from "node:assert/strict";
 * assert.equal(END_SENTINEL, 0);
 * ```
 */
export const END_SENTINEL = 0;

/**
 * A prepared program with its run state.
 *
 * @example
 * ```ts
 * import { Machine } from "./_machine.ts";
 * import { assemble } from "./assembler.ts";
 * import { decodeProgram } from "./instruction.ts";
 * import assert from "node:assert/strict";
 * const m = new Machine(decodeProgram(assemble("lddw %r0, 1\nexit")));
 * assert.equal(m.slots, 3);
 * assert.throws(() => new Machine(decodeProgram(assemble("ja +4\nexit"))), /outside the program/);
 * ```
 */
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
  /** Call frames: return slot, r6–r9 (lo, hi), r10 (lo, hi) — 11 ints per frame. */
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
   */
  constructor(program: Program, options: RunOptions = {}) {
    const stackSize = options.stackSize ?? 512;
    this.memory = new BpfMemory(stackSize);
    this.helpers = options.helpers ?? conformanceHelpers();
    this.budget = options.budget ?? 1_000_000;
    this.frameSize = options.frameSize ?? Math.min(512, stackSize);
    this.maxCallDepth = options.maxCallDepth ?? 8;
    this.frames = new Int32Array((this.maxCallDepth + 1) * 11);
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
      const cls = op & 7;
      if (op === 0x18) {
        if (insn.src === 0) {
          this.imm2[pc] = insn.imm2 ?? 0;
        } else {
          if (!options.lddw) {
            throw new BpfError("lddw", `lddw with source ${insn.src} needs a resolver`, { pc });
          }
          const v = options.lddw(insn.src, insn.imm, insn.imm2 ?? 0, this.memory);
          this.imm[pc] = fromBig(v);
          this.imm2[pc] = HI[0];
        }
      } else if ((cls === 5 || cls === 6) && op !== 0x95 && op !== 0x8d) {
        let target = -1;
        if (op === 0x85) {
          if (insn.src === 1) target = pc + 1 + insn.imm;
          else if (insn.src === 2) {
            throw new BpfError("helper", "Calls to helpers by BTF id are not supported", { pc });
          }
        } else if (op === 0x06) target = pc + 1 + insn.imm;
        else target = pc + 1 + insn.offset;
        if (op !== 0x85 || insn.src === 1) {
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
   * @returns Nothing.
   */
  reset(mem: Uint8Array | undefined): void {
    this.memory.setMem(mem);
    this.lo.fill(0);
    this.hi.fill(0);
    this.lo[1] = 0;
    this.hi[1] = MEM_REGION;
    this.lo[2] = mem ? mem.length : 0;
    this.lo[10] = this.memory.lengths[STACK_REGION];
    this.hi[10] = STACK_REGION;
    this.stopRequested = false;
  }
}

/**
 * Builds the error for a memory access outside its region.
 *
 * @param pc The slot.
 * @param kind "read" or "write".
 * @param size Access size.
 * @param lo Address low half (before the offset).
 * @param hi Address high half.
 * @param off The instruction's offset.
 * @returns The error.
 * @example
 * ```ts
 * import { memoryFault } from "./_machine.ts";
 * import assert from "node:assert/strict";
 * assert.match(memoryFault(3, "read", 4, 16, 2, -4).message, /read of 4 bytes at 0x20000000c \(at insn 3\)/);
 * ```
 */
export function memoryFault(
  pc: number,
  kind: string,
  size: number,
  lo: number,
  hi: number,
  off: number,
): BpfError {
  const addr = BigInt.asUintN(64, toBig(lo, hi) + BigInt(off));
  return new BpfError(
    "memory",
    `Out-of-bounds ${kind} of ${size} bytes at 0x${addr.toString(16)}`,
    { pc },
  );
}

/**
 * Calls helper `id` with r1–r5 from the register file; r0 gets the result.
 *
 * @param m The machine (its `lo`/`hi` must hold the current registers).
 * @param id The helper id.
 * @param pc The slot (for errors).
 * @returns 1 when the helper asked the program to stop, else 0.
 * @example
 * ```ts
 * import { callHelper, Machine } from "./_machine.ts";
 * import { programOf } from "./instruction.ts";
 * import assert from "node:assert/strict";
 * const m = new Machine(programOf([{ opcode: 0x95, dst: 0, src: 0, offset: 0, imm: 0 }]));
 * m.lo[1] = 0; // unwind(0) stops the program
 * assert.equal(callHelper(m, 5, 0), 1);
 * ```
 */
export function callHelper(m: Machine, id: number, pc: number): number {
  const fn = m.helpers.get(id);
  if (fn === undefined) {
    throw new BpfError("helper", `Unknown helper ${id}`, { pc });
  }
  const L = m.lo, H = m.hi;
  let r: bigint;
  try {
    r = fn(
      toBig(L[1], H[1]),
      toBig(L[2], H[2]),
      toBig(L[3], H[3]),
      toBig(L[4], H[4]),
      toBig(L[5], H[5]),
      m.ctx,
    );
  } catch (e) {
    if (e instanceof BpfError) {
      if (e.pc >= 0) throw e;
      throw new BpfError(e.code, e.message, { pc });
    }
    throw new BpfError("helper", `Helper ${id} failed: ${(e as Error)?.message ?? e}`, { pc });
  }
  L[0] = fromBig(typeof r === "bigint" ? r : BigInt(r));
  H[0] = HI[0];
  if (m.stopRequested) {
    m.stopRequested = false;
    return 1;
  }
  return 0;
}

/**
 * Executes the atomic instruction at `pc` on the register file.
 *
 * @param m The machine.
 * @param pc The slot.
 * @returns Nothing; registers and memory are updated.
 * @example
 * ```ts
 * import { atomicOp, Machine } from "./_machine.ts";
 * import { assemble } from "./assembler.ts";
 * import { decodeProgram } from "./instruction.ts";
 * import assert from "node:assert/strict";
 * const m = new Machine(decodeProgram(assemble("lock fetch add [%r10-8], %r1\nexit")));
 * m.reset(undefined);
 * m.lo[1] = 5;
 * atomicOp(m, 0);
 * atomicOp(m, 0);
 * assert.equal(m.lo[1], 5); // the old value, 5, was fetched by the second add
 * ```
 */
export function atomicOp(m: Machine, pc: number): void {
  const L = m.lo, H = m.hi, mem = m.memory;
  const d = m.dst[pc], s = m.src[pc], off = m.off[pc], op = m.imm[pc];
  const wide = (m.opc[pc] & 0x18) === 0x18;
  const size = wide ? 8 : 4;
  const o = (L[d] >>> 0) + off;
  const g = H[d];
  if (g <= 0 || g >= mem.lengths.length || o < 0 || o + size > mem.lengths[g]) {
    throw memoryFault(pc, "atomic access", size, L[d], H[d], off);
  }
  if (mem.writable[g] === 0) {
    throw memoryFault(pc, "atomic write to read-only memory", size, L[d], H[d], off);
  }
  const v = mem.views[g];
  const oldLo = v.getInt32(o, true);
  const oldHi = wide ? v.getInt32(o + 4, true) : 0;
  const sLo = L[s], sHi = wide ? H[s] : 0;
  let nLo = oldLo, nHi = oldHi;
  switch (op & 0xfe) {
    case 0x00: { // add
      nLo = (oldLo + sLo) | 0;
      const carry = (oldLo >>> 0) + (sLo >>> 0) > 0xffffffff ? 1 : 0;
      nHi = (oldHi + sHi + carry) | 0;
      break;
    }
    case 0x40:
      nLo = oldLo | sLo;
      nHi = oldHi | sHi;
      break;
    case 0x50:
      nLo = oldLo & sLo;
      nHi = oldHi & sHi;
      break;
    case 0xa0:
      nLo = oldLo ^ sLo;
      nHi = oldHi ^ sHi;
      break;
    case 0xe0: // xchg
      nLo = sLo;
      nHi = sHi;
      break;
    case 0xf0: { // cmpxchg: compare with r0
      const eq = wide ? (L[0] === oldLo && H[0] === oldHi) : L[0] === oldLo;
      if (eq) {
        nLo = sLo;
        nHi = sHi;
      }
      L[0] = oldLo;
      H[0] = oldHi;
      break;
    }
  }
  v.setInt32(o, nLo, true);
  if (wide) v.setInt32(o + 4, nHi, true);
  if ((op & 1) !== 0 && op !== 0xf1) {
    L[s] = oldLo;
    H[s] = oldHi;
  }
}

/**
 * Executes a legacy packet load (`LD|ABS`/`LD|IND`): r0 = the big-endian value at `imm`
 * (+ src register) in the run's memory.
 *
 * @param m The machine.
 * @param pc The slot.
 * @returns 1 when the load is out of bounds (the program then ends with r0 = 0), else 0.
 * @example
 * ```ts
 * import { legacyLoad, Machine } from "./_machine.ts";
 * import { assemble } from "./assembler.ts";
 * import { decodeProgram } from "./instruction.ts";
 * import assert from "node:assert/strict";
 * const m = new Machine(decodeProgram(assemble("ldabsh 0\nexit")));
 * m.reset(new Uint8Array([0x12, 0x34]));
 * assert.equal(legacyLoad(m, 0), 0);
 * assert.equal(m.lo[0], 0x1234);
 * ```
 */
export function legacyLoad(m: Machine, pc: number): number {
  const op = m.opc[pc];
  const size = op & 0x18;
  const n = size === 0x00 ? 4 : size === 0x08 ? 2 : 1;
  let o = m.imm[pc];
  if ((op & 0xe0) === 0x40) o += m.lo[m.src[pc]];
  const len = m.memory.lengths[MEM_REGION];
  const L = m.lo, H = m.hi;
  if (o < 0 || o + n > len) {
    L[0] = 0;
    H[0] = 0;
    return 1;
  }
  const v = m.memory.views[MEM_REGION];
  L[0] = n === 4 ? v.getInt32(o, false) : n === 2 ? v.getUint16(o, false) : v.getUint8(o);
  H[0] = 0;
  return 0;
}
