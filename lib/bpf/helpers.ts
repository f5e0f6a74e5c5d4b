/**
 * Helper functions callable from eBPF with `call N`: a registry per VM, and Linux's ids for the
 * map helpers (which a {@linkcode BpfVm} registers).
 *
 * @module
 */
import type { BpfMemory } from "./memory.ts";

/**
 * What a helper can reach while it runs.
 *
 * @example
 * ```ts
 * import { assemble, BpfInterpreter, decodeProgram, type HelperContext, HelperRegistry } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * // Helper 1 sums r2 bytes at the pointer r1, and stops the program when the sum is 0.
 * const sum = (p: bigint, n: bigint, _c: bigint, _d: bigint, _e: bigint, ctx: HelperContext) => {
 *   const total = ctx.memory.slice(p, Number(n)).reduce((a, b) => a + b, 0);
 *   if (total === 0) ctx.stop();
 *   return BigInt(total);
 * };
 * const helpers = new HelperRegistry().register(1, "sum", sum);
 * const vm = new BpfInterpreter(decodeProgram(assemble("call 1\nmov %r0, 99\nexit")), { helpers });
 * assert.equal(vm.run(new Uint8Array([1, 2, 3])), 99n);
 * assert.equal(vm.run(new Uint8Array([0, 0])), 0n); // stopped right after the call
 * ```
 */
export interface HelperContext {
  /** The run's address space: read pointers with `slice`, hand out pointers with `addressOf`. */
  memory: BpfMemory;
  /** Ends the program right after this helper returns, with r0 = the helper's return value. */
  stop(): void;
}

/**
 * A helper: receives r1–r5 as unsigned 64-bit bigints; its return value (taken modulo 2^64)
 * goes to r0. It may throw a `BpfError`; other exceptions are wrapped as `helper` errors.
 *
 * @example
 * ```ts
 * import { type HelperFunction, HelperRegistry } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const double: HelperFunction = (r1) => r1 * 2n;
 * const registry = new HelperRegistry().register(7, "double", double);
 * assert.equal(registry.get(7), double);
 * ```
 */
export type HelperFunction = (
  r1: bigint,
  r2: bigint,
  r3: bigint,
  r4: bigint,
  r5: bigint,
  ctx: HelperContext,
) => bigint;

/**
 * Linux helper ids of the map helpers.
 *
 * @example
 * ```ts
 * import { assemble, BpfVm, HELPER_ID } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const vm = new BpfVm();
 * assert.equal(vm.helpers.name(HELPER_ID.MAP_LOOKUP_ELEM), "map_lookup_elem");
 * // `call 1` in a program is bpf_map_lookup_elem, as in Linux.
 * const counters = vm.createMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 1 });
 * const prog = vm.load(assemble(`
 *   lddw %r1, 0, map_fd
 *   stw [%r10-4], 0
 *   mov %r2, %r10
 *   add %r2, -4
 *   call ${HELPER_ID.MAP_LOOKUP_ELEM}
 *   jeq %r0, 0, +2
 *   stdw [%r0], 42
 *   mov %r0, 0
 *   exit
 * `));
 * prog.run();
 * assert.equal(counters.lookup(new Uint8Array(4))![0], 42);
 * ```
 */
export const HELPER_ID: {
  readonly MAP_LOOKUP_ELEM: 1;
  readonly MAP_UPDATE_ELEM: 2;
  readonly MAP_DELETE_ELEM: 3;
} = { MAP_LOOKUP_ELEM: 1, MAP_UPDATE_ELEM: 2, MAP_DELETE_ELEM: 3 };

/**
 * Helpers by id. Each VM takes one registry; user helpers and map helpers are registered into
 * it before the VM is built.
 *
 * @example
 * ```ts
 * import { assemble, BpfInterpreter, decodeProgram, HelperRegistry } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const helpers = new HelperRegistry().register(7, "double", (a) => a * 2n);
 * assert.deepEqual(helpers.ids(), [7]);
 * assert.equal(helpers.name(7), "double");
 * const vm = new BpfInterpreter(decodeProgram(assemble("mov %r1, 21\ncall 7\nexit")), { helpers });
 * assert.equal(vm.run(), 42n);
 * ```
 */
export class HelperRegistry {
  #fns = new Map<number, HelperFunction>();
  #names = new Map<number, string>();

  /**
   * Adds or replaces a helper.
   *
   * @param id The helper id (the `imm` of `call`), a non-negative 32-bit integer.
   * @param name A name for disassembly and error messages.
   * @param fn The function.
   * @returns This registry, for chaining.
   */
  register(id: number, name: string, fn: HelperFunction): this {
    if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
      throw new RangeError(`Helper id ${id} is not a non-negative 32-bit integer`);
    }
    this.#fns.set(id, fn);
    this.#names.set(id, name);
    return this;
  }

  /**
   * Tells whether a helper id is registered.
   *
   * @param id The helper id.
   * @returns `true` when registered.
   */
  has(id: number): boolean {
    return this.#fns.has(id);
  }

  /**
   * Returns a helper's function.
   *
   * @param id The helper id.
   * @returns The function, or `undefined`.
   */
  get(id: number): HelperFunction | undefined {
    return this.#fns.get(id);
  }

  /**
   * Returns a helper's name.
   *
   * @param id The helper id.
   * @returns The name, or `undefined`.
   */
  name(id: number): string | undefined {
    return this.#names.get(id);
  }

  /**
   * Lists the registered ids in ascending order.
   *
   * @returns The ids.
   */
  ids(): number[] {
    return [...this.#fns.keys()].sort((a, b) => a - b);
  }
}
