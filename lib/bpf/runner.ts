/**
 * What the interpreter and the JIT have in common: the interface a prepared program runs
 * through, and the options both are built with.
 *
 * @module
 */
import type { HelperRegistry } from "./helpers.ts";
import type { BpfMemory } from "./memory.ts";

/** Options shared by the interpreter and the JIT. */
export interface RunOptions {
  /** Helpers callable with `call N` (default: the conformance suite's test helpers 0–5). */
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

/** The interface both the interpreter and the JIT implement. */
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
