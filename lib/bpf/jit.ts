/**
 * The eBPF JIT: compiles a program into JavaScript (through `new Function`) whose registers are
 * local 32-bit halves, with basic blocks as `switch` cases, constants folded into the code and
 * the same bounds checks, budget and call stack as the interpreter. Simple loops also get a
 * speculative version whose registers, checked on entry to be small numbers or pointers with
 * small offsets, are single 32-bit integers, with bounds checks and overflow guards a countdown's
 * trip count proves done once on entry (`_jit_fast_loop.ts`). Rare operations (helpers,
 * atomics, legacy packet loads, 64-bit division) call the very functions the interpreter uses,
 * so both produce exactly the same results. The layout is in `_jit_codegen.ts`, the
 * instructions in `_jit_emit.ts`, what the code calls at run time in `_jit_runtime.ts`.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import type { BpfProgram } from "./instruction.ts";
import type { BpfMemory } from "./memory.ts";
import type { BpfRunner, BpfRunOptions } from "./runner.ts";
import { Machine } from "./_machine.ts";
import { generateCode } from "./_jit_codegen.ts";
import { jitRuntime } from "./_jit_runtime.ts";
import { toBig } from "./_u64.ts";

/**
 * Options of {@linkcode BpfJit}: the interpreter's, plus code splitting.
 *
 * @example
 * ```ts
 * import { assemble, BpfJit, type BpfJitOptions, decodeProgram } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const options: BpfJitOptions = { chunkChars: 200, budget: 10_000 };
 * const jit = new BpfJit(decodeProgram(assemble("mov %r0, 0\nadd %r0, 1\njlt %r0, 100, -2\nexit")), options);
 * assert.equal(jit.run(), 100n);
 * ```
 */
export interface BpfJitOptions extends BpfRunOptions {
  /**
   * Largest generated function in characters before the code is split into several functions
   * (default 30,000; V8 stops optimizing much larger ones). Smaller values are for testing.
   */
  chunkChars?: number;
  /**
   * The code compiled ahead of time (the `bind` export of a JavaScript artifact, made from the
   * same program with the same options): no code is generated, so this works where evaluating
   * strings is forbidden.
   */
  code?: (rt: Record<string, unknown>) => () => void;
}

/** Largest generated function, in characters, before the code is split (V8 stops optimizing
 * functions of roughly 50k characters of this code). */
const CHUNK_CHARS = 30000;

/**
 * A program compiled to JavaScript. Same interface and results as the interpreter; the
 * instruction count (`executed`) is accumulated per basic block.
 *
 * @example
 * ```ts
 * import { assemble, BpfJit, decodeProgram } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const prog = decodeProgram(assemble("mov %r0, 0\nmov %r1, 10\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, -3\nexit"));
 * const jit = new BpfJit(prog);
 * assert.equal(jit.run(), 55n);
 * assert.match(jit.source, /function c0\(pc\)/); // the generated JavaScript
 * ```
 */
export class BpfJit implements BpfRunner {
  #m: Machine;
  #fn: () => void;
  /** The generated JavaScript source (the given code's text when compiled ahead of time). */
  readonly source: string;

  /**
   * Compiles a program: checks it like the interpreter, then generates and compiles the code.
   *
   * @param program The decoded program.
   * @param options Stack, budget, helpers, `lddw` resolver.
   * @throws {BpfError} `decode`, `jump`, `lddw`, or `jit` when compilation fails.
   */
  constructor(program: BpfProgram, options: BpfJitOptions = {}) {
    this.#m = new Machine(program, options);
    if (options.code !== undefined) {
      this.source = options.code.toString();
      this.#fn = options.code(jitRuntime(this.#m, new Int32Array(0)));
      return;
    }
    const chunk = options.chunkChars ?? CHUNK_CHARS;
    if (!(chunk >= 1)) throw new RangeError(`chunkChars must be positive, got ${chunk}`);
    const { source, chunkOf } = generateCode(this.#m, chunk);
    this.source = source;
    const rt = jitRuntime(this.#m, chunkOf);
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

  /**
   * Runs the program on the first `length` bytes of `mem` without allocating — for a buffer
   * reused for runs of different lengths (packets copied into it); the result is in
   * `resultLow`/`resultHigh`.
   *
   * @param mem The buffer.
   * @param length Bytes of it the run's memory holds (r2).
   * @returns Nothing.
   * @throws {RangeError} When `length` is not a count of bytes inside `mem`.
   * @example
   * ```ts
   * import { assemble, BpfJit, decodeProgram } from "@mxy/mxy/bpf";
   * import assert from "node:assert/strict";
   * const jit = new BpfJit(decodeProgram(assemble("mov %r0, %r2\nexit")));
   * jit.execPrefix(new Uint8Array(1514), 60);
   * assert.equal(jit.resultLow, 60);
   * ```
   */
  execPrefix(mem: Uint8Array, length: number): void {
    this.#m.reset(mem, length);
    this.#fn();
  }
}
