/**
 * `bpf_loop` callbacks at run time. A loaded program's `lddw` of a callback (source 4) becomes a
 * handle naming the program and the callback's first slot; `bpf_loop` runs the callback with the
 * interpreter, in the address space of the engine that called it (the interpreter's, the JIT's or
 * the WebAssembly module's), so the callback reads and writes the caller's stack and map values
 * through the same pointers. Each callback run has its own stack region and instruction budget.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import type { BpfInstruction, BpfProgram } from "./instruction.ts";
import { programOf } from "./instruction.ts";
import type { BpfMemory } from "./memory.ts";
import { EBPF } from "./opcodes.ts";
import type { BpfRunOptions } from "./runner.ts";
import { Machine } from "./_machine.ts";
import { interpret } from "./interpreter.ts";
import { fromBig, HI, toBig } from "./_u64.ts";

const { LDDW, LDDW_SRC_CODE, LDDW_SRC_IMM64, CALL, CALL_SRC_LOCAL, EXIT } = EBPF;

/** Where callback handles live in the 64-bit value space: base + (program << 24) + slot. */
const FUNC_HANDLE_BASE = 0x7ffe_0000_0000_0000n;
const SLOT_BITS = 24n;

interface Entry {
  program: BpfProgram;
  options: BpfRunOptions;
  /** Per callback slot: the program run from slot 0 that calls it (see `#runnable`). */
  runnable: Map<number, BpfProgram>;
  /** Machines (and their stack tops) by callback slot and address space, one per nesting level. */
  machines: Map<number, WeakMap<BpfMemory, { m: Machine; top: bigint }[]>>;
  /** How many callbacks of this program run now, per address space. */
  active: WeakMap<BpfMemory, number>;
}

/** The callbacks of a VM's loaded programs. */
export class LoopCallbacks {
  #entries: Entry[] = [];

  /**
   * Replaces a verified program's callback `lddw`s with handles and keeps what running them
   * needs. Programs without callbacks are returned as they are.
   *
   * @param program The verified program.
   * @param options The run options its engine gets.
   * @returns The program to prepare.
   */
  prepare(program: BpfProgram, options: BpfRunOptions): BpfProgram {
    const { instructions, pcs } = program;
    if (!instructions.some((x) => x.opcode === LDDW && x.src === LDDW_SRC_CODE)) return program;
    const id = BigInt(this.#entries.length);
    const out: BpfInstruction[] = instructions.map((x, i) => {
      if (x.opcode !== LDDW || x.src !== LDDW_SRC_CODE) return x;
      const h = FUNC_HANDLE_BASE + (id << SLOT_BITS) + BigInt(pcs[i] + 1 + x.imm);
      return {
        ...x,
        src: LDDW_SRC_IMM64,
        imm: Number(BigInt.asIntN(32, h)),
        imm2: Number(BigInt.asIntN(32, h >> 32n)),
      };
    });
    const prepared = programOf(out);
    this.#entries.push({
      program: prepared,
      options: { ...options, maxCallDepth: (options.maxCallDepth ?? 8) + 1 },
      runnable: new Map(),
      machines: new Map(),
      active: new WeakMap(),
    });
    return prepared;
  }

  /**
   * Runs a callback once: `callback(index, ctx)`.
   *
   * @param handle The callback handle (R2 of `bpf_loop`).
   * @param memory The calling engine's address space.
   * @param index R1.
   * @param ctx R2.
   * @returns The callback's R0.
   */
  call(handle: bigint, memory: BpfMemory, index: number, ctx: bigint): bigint {
    const rel = handle - FUNC_HANDLE_BASE;
    const e = rel >= 0n ? this.#entries[Number(rel >> SLOT_BITS)] : undefined;
    if (e === undefined) {
      throw new BpfError("helper", `bpf_loop called with 0x${handle.toString(16)}, not a callback`);
    }
    const slot = Number(rel & ((1n << SLOT_BITS) - 1n));
    const level = e.active.get(memory) ?? 0;
    let bySlot = e.machines.get(slot);
    if (bySlot === undefined) e.machines.set(slot, bySlot = new WeakMap());
    let list = bySlot.get(memory);
    if (list === undefined) bySlot.set(memory, list = []);
    let run = list[level];
    if (run === undefined) {
      const m = new Machine(this.#runnable(e, slot), e.options, memory);
      // Its own stack, a region of the caller's address space: the frames of the callback and
      // of what it calls, below the first frame's (unused) bytes.
      const stack = new Uint8Array(m.frameSize * m.maxCallDepth);
      run = list[level] = { m, top: memory.addressOf(stack) + BigInt(stack.length) };
    }
    const { m, top } = run;
    const L = m.lo, H = m.hi;
    for (let r = 0; r < 11; r++) L[r] = H[r] = 0;
    L[1] = index | 0;
    L[2] = fromBig(ctx);
    H[2] = HI[0];
    L[10] = fromBig(top);
    H[10] = HI[0];
    e.active.set(memory, level + 1);
    m.stopRequested = false;
    try {
      interpret(m);
    } finally {
      e.active.set(memory, level);
    }
    return toBig(L[0], H[0]);
  }

  /**
   * The program that runs a callback from slot 0: `call callback; exit` before the program (the
   * interpreter's loop starts at slot 0 and is left as it is).
   */
  #runnable(e: Entry, slot: number): BpfProgram {
    let p = e.runnable.get(slot);
    if (p === undefined) {
      const call: BpfInstruction = {
        opcode: CALL,
        dst: 0,
        src: CALL_SRC_LOCAL,
        offset: 0,
        imm: slot + 1,
      };
      const exit: BpfInstruction = { opcode: EXIT, dst: 0, src: 0, offset: 0, imm: 0 };
      p = programOf([call, exit, ...e.program.instructions]);
      e.runnable.set(slot, p);
    }
    return p;
  }
}
