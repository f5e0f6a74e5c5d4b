/**
 * What the interpreter and the JIT have in common: the interface a prepared program runs
 * through, and the options both are built with.
 *
 * @module
 */
import type { HelperRegistry } from "./helpers.ts";
import type { BpfMemory } from "./memory.ts";

/**
 * Options shared by the interpreter and the JIT.
 *
 * @example
 * ```ts
 * import { assemble, BpfInterpreter, type BpfRunOptions, decodeProgram } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const options: BpfRunOptions = { budget: 100, stackSize: 64 };
 * const forever = new BpfInterpreter(decodeProgram(assemble("ja -1\nexit")), options);
 * assert.throws(() => forever.run(), /Instruction budget of 100 exhausted/);
 * ```
 */
export interface BpfRunOptions {
  /** Helpers callable with `call N` (default: none, so every `call N` is a `helper` error). */
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
 * The interface both the interpreter and the JIT implement.
 *
 * @example
 * ```ts
 * import { assemble, BpfInterpreter, BpfJit, type BpfRunner, decodeProgram } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const program = decodeProgram(assemble("lddw %r0, 0x100000002\nadd %r0, %r2\nexit"));
 * const runners: BpfRunner[] = [new BpfInterpreter(program), new BpfJit(program)];
 * for (const runner of runners) {
 *   runner.exec(new Uint8Array(3)); // r2 = 3, the memory's length
 *   assert.equal(runner.resultLow, 5);
 *   assert.equal(runner.resultHigh, 1);
 *   assert.equal(runner.executed, 3);
 * }
 * ```
 */
export interface BpfRunner {
  /** The address space (stack, run memory, host regions). */
  readonly memory: BpfMemory;
  /**
   * Runs the program once: r1 = address of `mem`, r2 = its length, r10 = top of the stack.
   *
   * @param mem The run's memory (context or packet), or none.
   * @returns r0 as an unsigned 64-bit bigint.
   */
  run(mem?: Uint8Array): bigint;
  /**
   * Runs the program once without creating a bigint; read r0 from `resultLow`/`resultHigh`.
   *
   * @param mem The run's memory, or none.
   * @returns Nothing.
   */
  exec(mem?: Uint8Array): void;
  /** r0's low 32 bits after the last run, as an unsigned number. */
  readonly resultLow: number;
  /** r0's high 32 bits after the last run, as an unsigned number. */
  readonly resultHigh: number;
  /** Instructions executed by the last run (the JIT counts whole basic blocks). */
  readonly executed: number;
}
