/**
 * eBPF compiled to WebAssembly: 64-bit registers are native `i64` values, so eBPF's arithmetic
 * maps one to one, and `WebAssembly.Module` compiles the code without evaluating any string. The
 * module's interface (imports, exports, memory layout) is described in docs/BPF.md; the compiler
 * is `_wasm_codegen.ts`.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import type { BpfProgram } from "./instruction.ts";
import type { BpfMemory } from "./memory.ts";
import { EBPF } from "./opcodes.ts";
import type { BpfRunner, BpfRunOptions } from "./runner.ts";
import { atomicOp, callHelper, legacyLoad, Machine } from "./_machine.ts";
import { callx, inlineMaps, jitRuntime, slowLoad, slowStore } from "./_jit_runtime.ts";
import { MAP_HANDLE_BASE } from "./_map_helpers.ts";
import { compileWasm, WASM_ABI } from "./_wasm_codegen.ts";
import { HI, toBig } from "./_u64.ts";

const { CLASS_MASK, CLASS_ST, CLASS_STX, CLASS_ALU, CLASS_ALU64, CLASS_LDX, CLASS_LD } = EBPF;
const { CALL, CALLX, CALL_SRC_LOCAL, LDDW } = EBPF;
const { SCRATCH_R0, SCRATCH_HI, SCRATCH_SREG, SCRATCH_COUNT, STACK_BASE } = WASM_ABI;
const { FAULT_BUDGET, FAULT_CALL_DEPTH, FAULT_STACK, FAULT_FELL_OFF } = WASM_ABI;

const PAGE = 65536;

/**
 * Options of {@linkcode BpfWasm}: the interpreter's, plus the run memory's capacity and a
 * module compiled ahead of time.
 *
 * @example
 * ```ts
 * import { assemble, BpfWasm, type BpfWasmOptions, decodeProgram } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const options: BpfWasmOptions = { memoryCapacity: 1514, budget: 10_000 };
 * const wasm = new BpfWasm(decodeProgram(assemble("mov %r0, %r2\nexit")), options);
 * assert.equal(wasm.run(new Uint8Array(60)), 60n);
 * ```
 */
export interface BpfWasmOptions extends BpfRunOptions {
  /**
   * Bytes of run memory the linear memory holds from the start (default 65,536). A larger
   * `mem` grows the linear memory, which invalidates views from {@linkcode BpfWasm.memoryView}.
   */
  memoryCapacity?: number;
  /**
   * The module, compiled ahead of time from the same program with the same stack, frame,
   * call-depth and budget options ({@linkcode BpfWasm.bytes} of another instance); default:
   * compile now.
   */
  module?: Uint8Array | WebAssembly.Module;
}

/** The `run` export and the values a run leaves in the scratch area. */
interface Instance {
  run: (memLen: number) => void;
  memBase: number;
}

/**
 * A program compiled to WebAssembly. Same interface and results as the interpreter; like the JIT,
 * it counts instructions per basic block.
 *
 * @example
 * ```ts
 * import { assemble, BpfWasm, decodeProgram } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const prog = decodeProgram(assemble("lddw %r0, 0x123456789\nmul %r0, %r0\nexit"));
 * const wasm = new BpfWasm(prog);
 * assert.equal(wasm.run(), (0x123456789n * 0x123456789n) & 0xffffffffffffffffn);
 * assert.ok(WebAssembly.validate(wasm.bytes));
 * ```
 */
export class BpfWasm implements BpfRunner {
  #m: Machine;
  #memory: WebAssembly.Memory;
  #i32: Int32Array;
  #f64: Float64Array;
  #inst: Instance;
  #capacity: number;
  #memView: Uint8Array;
  #mayWriteMem: boolean;
  /** The run memory's view of the whole capacity (the region of in-place runs). */
  #placed: Uint8Array;
  /** Whether the last run's count is still only in the scratch area (an in-place run). */
  #countInScratch = false;
  /** The WebAssembly module's bytes (empty when the module was given compiled). */
  readonly bytes: Uint8Array<ArrayBuffer>;

  /**
   * Compiles a program (or takes its precompiled module) and instantiates it.
   *
   * @param program The decoded program.
   * @param options Stack, budget, helpers, `lddw` resolver, memory capacity, a module.
   * @throws {BpfError} `decode`, `jump`, `lddw`, or `jit` when the module cannot be built.
   */
  constructor(program: BpfProgram, options: BpfWasmOptions = {}) {
    const m = new Machine(program, options);
    this.#m = m;
    const capacity = options.memoryCapacity ?? 65536;
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > 0x7fffffff) {
      throw new RangeError(`memoryCapacity must be a byte count, got ${capacity}`);
    }
    let module: WebAssembly.Module;
    const given = options.module;
    try {
      if (given instanceof WebAssembly.Module) {
        module = given;
        this.bytes = new Uint8Array(0);
      } else {
        this.bytes = given === undefined ? compileWasm(m).bytes : Uint8Array.from(given);
        module = new WebAssembly.Module(this.bytes);
      }
    } catch (e) {
      if (e instanceof BpfError) throw e;
      throw new BpfError("jit", `Cannot compile the WebAssembly module: ${(e as Error).message}`);
    }
    const stackSize = m.memory.lengths[1];
    const memBase = (STACK_BASE + stackSize + 15) & ~15;
    this.#capacity = capacity;
    this.#memory = new WebAssembly.Memory({ initial: Math.ceil((memBase + capacity) / PAGE) || 1 });
    this.#i32 = new Int32Array(this.#memory.buffer, 0, 16);
    this.#f64 = new Float64Array(this.#memory.buffer, 0, 8);
    this.#memView = new Uint8Array(this.#memory.buffer, memBase, 0);
    this.#placed = new Uint8Array(this.#memory.buffer, memBase, capacity);
    this.#aliasStack();
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(module, { bpf: this.#imports(module) });
    } catch (e) {
      throw new BpfError(
        "jit",
        `Cannot instantiate the WebAssembly module: ${(e as Error).message}`,
      );
    }
    const ex = instance.exports as Record<string, unknown>;
    const base = (ex.mem_base as WebAssembly.Global).value as number;
    if (base !== memBase || (ex.stack_size as WebAssembly.Global).value !== stackSize) {
      throw new BpfError(
        "jit",
        `The WebAssembly module was compiled for a ${
          (ex.stack_size as WebAssembly.Global).value
        }-byte stack, not ${stackSize}`,
      );
    }
    this.#inst = { run: ex.run as (n: number) => void, memBase };
    this.#mayWriteMem = mayWriteMem(m);
  }

  /** Points the stack region of the address space at the stack in the linear memory. */
  #aliasStack(): void {
    const mem = this.#m.memory, n = mem.lengths[1];
    const bytes = new Uint8Array(this.#memory.buffer, STACK_BASE, n);
    mem.bytes[1] = bytes;
    mem.views[1] = new DataView(bytes.buffer, STACK_BASE, n);
  }

  #imports(module: WebAssembly.Module): Record<string, WebAssembly.ImportValue> {
    const m = this.#m, L = m.lo, H = m.hi;
    const rt = jitRuntime(m, new Int32Array(0)) as {
      budget: (pc: number) => Error;
      callDepth: (pc: number) => Error;
      stackOut: (pc: number) => Error;
      fellOff: (pc: number) => Error;
    };
    const r0 = () => {
      this.#i32[SCRATCH_R0 >> 2] = L[0];
      this.#i32[(SCRATCH_R0 >> 2) + 1] = H[0];
    };
    const args = (a: number[]) => {
      for (let r = 1; r <= 5; r++) {
        L[r] = a[2 * r - 2];
        H[r] = a[2 * r - 1];
      }
    };
    const imports: Record<string, WebAssembly.ImportValue> = {
      memory: this.#memory,
      fault: (kind: number, pc: number, count: number) => {
        m.lastCount = count;
        this.#countInScratch = false;
        if (kind === FAULT_BUDGET) throw rt.budget(pc);
        if (kind === FAULT_CALL_DEPTH) throw rt.callDepth(pc);
        if (kind === FAULT_STACK) throw rt.stackOut(pc);
        if (kind === FAULT_FELL_OFF) throw rt.fellOff(pc);
        throw new BpfError("memory", "The run's memory does not fit in the linear memory");
      },
      load: (pc: number, op: number, lo: number, hi: number, off: number) => {
        const v = slowLoad(m, pc, op, lo, hi, off);
        this.#i32[SCRATCH_HI >> 2] = HI[0];
        return v;
      },
      store: (
        pc: number,
        op: number,
        lo: number,
        hi: number,
        off: number,
        vl: number,
        vh: number,
      ) => slowStore(m, pc, op, lo, hi, off, vl, vh),
      helper: (id: number, pc: number, ...a: number[]) => {
        args(a);
        const stop = callHelper(m, id, pc);
        r0();
        return stop;
      },
      callx: (lo: number, hi: number, pc: number, ...a: number[]) => {
        args(a);
        const stop = callx(m, lo, hi, pc);
        r0();
        return stop;
      },
      atomic: (
        pc: number,
        dl: number,
        dh: number,
        sl: number,
        sh: number,
        zl: number,
        zh: number,
      ) => {
        const d = m.dst[pc], s = m.src[pc];
        L[d] = dl;
        H[d] = dh;
        L[s] = sl;
        H[s] = sh;
        L[0] = zl;
        H[0] = zh;
        atomicOp(m, pc);
        this.#i32[SCRATCH_SREG >> 2] = L[s];
        this.#i32[(SCRATCH_SREG >> 2) + 1] = H[s];
        r0();
      },
      legacy: (pc: number, srcLo: number) => {
        L[m.src[pc]] = srcLo;
        const failed = legacyLoad(m, pc);
        r0();
        return failed;
      },
    };
    // The globals: resolved `lddw` values, and the maps whose lookups are inlined.
    const inline = inlineMaps(m);
    for (const { name, kind } of WebAssembly.Module.imports(module)) {
      if (kind !== "global") continue;
      const lddw = /^lddw(\d+)$/.exec(name), map = /^map(\d+)(base|n)?$/.exec(name);
      if (lddw !== null) {
        const q = Number(lddw[1]);
        imports[name] = new WebAssembly.Global(
          { value: "i64", mutable: false },
          toBig(m.imm[q], m.imm2[q]),
        );
      } else if (map !== null) {
        const im = inline[Number(map[1])];
        if (map[2] === undefined) {
          const handle = im === undefined ? 0n : MAP_HANDLE_BASE + BigInt(im.fd);
          imports[name] = new WebAssembly.Global({ value: "i64", mutable: false }, handle);
        } else {
          const v = im === undefined ? 0 : map[2] === "base" ? im.base : im.n;
          imports[name] = new WebAssembly.Global({ value: "i32", mutable: false }, v);
        }
      }
    }
    return imports;
  }

  /** Grows the linear memory so that `len` bytes of run memory fit. */
  #ensure(len: number): void {
    if (len <= this.#capacity) return;
    const need = Math.ceil((this.#inst.memBase + len) / PAGE);
    this.#memory.grow(need - this.#memory.buffer.byteLength / PAGE);
    this.#capacity = need * PAGE - this.#inst.memBase;
    this.#i32 = new Int32Array(this.#memory.buffer, 0, 16);
    this.#f64 = new Float64Array(this.#memory.buffer, 0, 8);
    this.#memView = new Uint8Array(this.#memory.buffer, this.#inst.memBase, 0);
    this.#placed = new Uint8Array(this.#memory.buffer, this.#inst.memBase, this.#capacity);
    this.#aliasStack();
  }

  /**
   * A view of `length` bytes of the linear memory where the run's memory lives. Filling it and
   * passing it to {@linkcode BpfWasm.run} or {@linkcode BpfWasm.exec} avoids copying the memory
   * in and out (other arrays are copied in before and out after each run). Growing the memory
   * for a larger run detaches earlier views.
   *
   * @param length Bytes.
   * @returns The view.
   */
  memoryView(length: number): Uint8Array {
    this.#ensure(length);
    return new Uint8Array(this.#memory.buffer, this.#inst.memBase, length);
  }

  /** The address space (its stack is a view of the linear memory). */
  get memory(): BpfMemory {
    return this.#m.memory;
  }

  /** r0's low 32 bits after the last run (unsigned). */
  get resultLow(): number {
    return this.#i32[SCRATCH_R0 >> 2] >>> 0;
  }

  /** r0's high 32 bits after the last run (unsigned). */
  get resultHigh(): number {
    return this.#i32[(SCRATCH_R0 >> 2) + 1] >>> 0;
  }

  /** Instructions executed by the last run (counted per basic block). */
  get executed(): number {
    return this.#countInScratch ? this.#f64[SCRATCH_COUNT >> 3] : this.#m.lastCount;
  }

  /**
   * Runs the program.
   *
   * @param mem The run's memory.
   * @returns r0 as an unsigned 64-bit value.
   */
  run(mem?: Uint8Array): bigint {
    this.exec(mem);
    return toBig(this.#i32[SCRATCH_R0 >> 2], this.#i32[(SCRATCH_R0 >> 2) + 1]);
  }

  /**
   * Runs the program without allocating (when `mem` is a {@linkcode BpfWasm.memoryView} or
   * the same length as last time); the result is in `resultLow`/`resultHigh`.
   *
   * @param mem The run's memory.
   * @returns Nothing.
   */
  exec(mem?: Uint8Array): void {
    this.#countInScratch = false;
    const m = this.#m;
    const len = mem === undefined ? 0 : mem.length;
    this.#ensure(len);
    const base = this.#inst.memBase;
    // (the view's buffer is the memory's current one: reading it is cheaper than asking the
    // WebAssembly.Memory)
    let view = this.#memView;
    const inPlace = mem !== undefined && mem.byteOffset === base && mem.buffer === view.buffer;
    if (inPlace) view = mem; // a view of the linear memory, of any length: nothing to make
    else if (view.length !== len) {
      view = new Uint8Array(view.buffer, base, len);
      this.#memView = view;
    }
    if (mem !== undefined && !inPlace) view.set(mem);
    m.memory.setMem(view);
    m.stopRequested = false;
    try {
      this.#inst.run(len);
    } finally {
      if (mem !== undefined && !inPlace && this.#mayWriteMem) mem.set(view);
    }
    m.lastCount = this.#f64[SCRATCH_COUNT >> 3];
  }

  /**
   * Runs the program on the first `length` bytes of the run memory as they already are in the
   * linear memory (written through a {@linkcode BpfWasm.memoryView}): nothing is copied, no
   * view is made, and only the run memory's length is checked — the per-packet entry of a
   * capture filter. The result is in `resultLow`/`resultHigh`.
   *
   * @param length Bytes of run memory (at most the capacity of the largest view asked for).
   * @returns Nothing.
   * @throws {RangeError} When `length` is more than the linear memory holds.
   * @throws {BpfError} When the run faults, as {@linkcode BpfWasm.exec}.
   * @example
   * ```ts
   * import { assemble, BpfWasm, decodeProgram } from "@mxy/mxy/bpf";
   * import assert from "node:assert/strict";
   * // r0 = the first byte + the length
   * const wasm = new BpfWasm(decodeProgram(assemble("ldxb %r0, [%r1]\nadd %r0, %r2\nexit")));
   * const view = wasm.memoryView(1514);
   * view[0] = 40;
   * wasm.execInPlace(60);
   * assert.equal(wasm.resultLow, 100);
   * ```
   */
  execInPlace(length: number): void {
    // (the region's array and the linear memory's size only change when the memory grows:
    // setMemPrefix checks the length against the capacity and is one store otherwise)
    this.#m.memory.setMemPrefix(this.#placed, length);
    this.#m.stopRequested = false;
    this.#countInScratch = true;
    this.#inst.run(length);
  }
}

/** Whether a program may write to its run memory (else it need not be copied back). */
function mayWriteMem(m: Machine): boolean {
  let r10Written = false;
  for (let q = 0; q < m.slots; q++) {
    const cls = m.opc[q] & CLASS_MASK;
    if (
      m.dst[q] === 10 &&
      (cls === CLASS_ALU || cls === CLASS_ALU64 || cls === CLASS_LDX || cls === CLASS_LD)
    ) r10Written = true;
  }
  for (let q = 0; q < m.slots; q += m.opc[q] === LDDW ? 2 : 1) {
    const op = m.opc[q], cls = op & CLASS_MASK;
    if ((cls === CLASS_ST || cls === CLASS_STX) && (m.dst[q] !== 10 || r10Written)) return true;
    if ((op === CALL && m.src[q] !== CALL_SRC_LOCAL) || op === CALLX) return true;
  }
  return false;
}
