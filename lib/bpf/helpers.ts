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
 * What a helper expects in one argument register, as the argument types of Linux's
 * `bpf_func_proto`:
 *
 * - `"anything"`: any written value (a number, or a pointer passed as a number);
 * - `"scalar"`: a number, not a pointer;
 * - `"map"`: a map (`lddw rX, fd, map_fd`);
 * - `"map-key"`, `"map-value"`: a pointer to the key size (value size) of the map given in an
 *   earlier `"map"` argument, in readable bytes;
 * - `"ctx"`: the program's input pointer, unmoved;
 * - `"string"`: a pointer to bytes the helper reads up to a NUL (the first must be written; the
 *   rest is checked at run time);
 * - `{ mem, size }`: a pointer to `size` bytes the helper reads (`"read"`: they must be
 *   written), writes (`"write"`: they need not be) or both (`"read-write"`); without `size` the
 *   next argument holds the byte count, and must be declared `"size"` (at least 1) or
 *   `"size-or-zero"`;
 * - `"size"`, `"size-or-zero"`: that byte count, a number the verifier can bound;
 * - `"const-size"`: a byte count known when verifying (the size of a ring buffer record);
 * - `"map-value-out"`: a pointer to the value size of the `"map"` argument's map, which the
 *   helper writes (`bpf_map_pop_elem`; for a bloom filter, `bpf_map_peek_elem` reads it);
 * - `"map-value-or-null"`: as `"map-value"`, or the number 0 (`bpf_task_storage_get`'s initial
 *   value);
 * - `"ringbuf-mem"`: a record from `bpf_ringbuf_reserve`, unmoved (submitted or discarded);
 * - `"func"`: a callback (`lddw rX, subprogram` with source 4, as clang emits for `bpf_loop`):
 *   the verifier walks it as a subprogram with R1 = the index below R1's bound and R2 = R3 (a
 *   stack pointer or 0), which must return 0 or 1 (only `bpf_loop`'s calling convention);
 * - `"spin-lock"`, `"spin-unlock"`: a pointer to the `struct bpf_spin_lock` of a map value
 *   (`bpf_spin_lock`, `bpf_spin_unlock`): the verifier requires the lock to be released on every
 *   path before the program exits, and no other call while it is held.
 *
 * Whatever a helper writes through a pointer is forgotten by the verifier (a register spilled
 * there is no longer a pointer); a helper without a declared prototype may write every byte of
 * the stack.
 *
 * @example
 * ```ts
 * import { type HelperArg, HelperRegistry } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const fill: HelperArg[] = [{ mem: "write" }, "size", "scalar"];
 * const helpers = new HelperRegistry().register(7, "fill", () => 0n, { args: fill });
 * assert.deepEqual(helpers.prototype(7)?.args, fill);
 * ```
 */
export type HelperArg =
  | "anything"
  | "scalar"
  | "map"
  | "map-key"
  | "map-value"
  | "ctx"
  | "string"
  | "size"
  | "size-or-zero"
  | "const-size"
  | "map-value-out"
  | "map-value-or-null"
  | "ringbuf-mem"
  | "spin-lock"
  | "spin-unlock"
  | "func"
  | HelperMemArg;

/**
 * A pointer argument to memory a helper reads or writes (see {@linkcode HelperArg}).
 *
 * @example
 * ```ts
 * import { assemble, HelperRegistry, type HelperMemArg, verifyProgram } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * // Helper 7 writes 8 bytes at R1: a pointer spilled there is no longer one afterwards.
 * const out: HelperMemArg = { mem: "write", size: 8 };
 * const helpers = new HelperRegistry().register(7, "put8", () => 0n, { args: [out] });
 * const program = assemble(`
 *   stxdw [%r10-8], %r1
 *   mov %r1, %r10
 *   add %r1, -8
 *   call 7
 *   ldxdw %r1, [%r10-8]
 *   ldxb %r0, [%r1]
 *   exit
 * `);
 * assert.throws(() => verifyProgram(program, { helpers }), /R1 invalid mem access 'scalar'/);
 * ```
 */
export interface HelperMemArg {
  /** Whether the helper reads the bytes, writes them, or both. */
  mem: "read" | "write" | "read-write";
  /** The byte count; absent: the next argument holds it. */
  size?: number;
}

/**
 * What a helper takes and returns, for the verifier (Linux's `bpf_func_proto`).
 *
 * @example
 * ```ts
 * import { assemble, type HelperPrototype, HelperRegistry, verifyProgram } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const sqrt: HelperPrototype = { args: ["scalar"], returns: "scalar" };
 * const helpers = new HelperRegistry().register(3, "sqrti", (x) => x, sqrt);
 * assert.equal(verifyProgram(assemble("mov %r1, 9\ncall 3\nexit"), { helpers }).instructions, 3);
 * assert.throws(
 *   () => verifyProgram(assemble("mov %r1, %r10\ncall 3\nexit"), { helpers }),
 *   /R1 type=fp expected=scalar/,
 * );
 * ```
 */
export interface HelperPrototype {
  /** The arguments R1, R2 … in order; registers after the last are not read. */
  readonly args: readonly HelperArg[];
  /**
   * What R0 holds afterwards: a number (default), or a pointer to a value of the map given in
   * the `"map"` argument, or null (the program must check it before using it; for a map of
   * maps, an inner map), or such a pointer that is never null (`"map-value"`:
   * `bpf_get_local_storage`), or a ring buffer record of the `"const-size"` argument's size, or
   * null.
   */
  readonly returns?: "scalar" | "map-value-or-null" | "map-value" | "ringbuf-mem-or-null";
  /**
   * Whether the helper may move or resize the packet (`bpf_xdp_adjust_head`,
   * `bpf_skb_store_bytes` …): every packet pointer is forgotten after the call.
   */
  readonly changesPacket?: boolean;
}

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
  #protos = new Map<number, HelperPrototype>();

  /**
   * Adds or replaces a helper.
   *
   * @param id The helper id (the `imm` of `call`), a non-negative 32-bit integer.
   * @param name A name for disassembly and error messages.
   * @param fn The function.
   * @param prototype Its argument and return types, for the verifier. Without one the verifier
   *   lets a program pass anything, assumes the helper may write every byte of the stack, and
   *   gives R0 an unknown number.
   * @returns This registry, for chaining.
   */
  register(id: number, name: string, fn: HelperFunction, prototype?: HelperPrototype): this {
    if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
      throw new RangeError(`Helper id ${id} is not a non-negative 32-bit integer`);
    }
    if (prototype !== undefined) checkPrototype(name, prototype);
    this.#fns.set(id, fn);
    this.#names.set(id, name);
    if (prototype === undefined) this.#protos.delete(id);
    else this.#protos.set(id, prototype);
    return this;
  }

  /**
   * Returns a helper's prototype.
   *
   * @param id The helper id.
   * @returns The prototype it was registered with, or `undefined`.
   */
  prototype(id: number): HelperPrototype | undefined {
    return this.#protos.get(id);
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

/** Rejects prototypes the verifier could not follow (misuse: a `TypeError`). */
function checkPrototype(name: string, p: HelperPrototype): void {
  const bad = (why: string): never => {
    throw new TypeError(`Helper ${name}: ${why}`);
  };
  const args = p.args;
  if (args.length > 5) bad(`${args.length} arguments declared, at most 5 (R1-R5)`);
  let map = false;
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    const r = `R${k + 1}`;
    if (typeof a === "object") {
      if (!["read", "write", "read-write"].includes(a.mem)) bad(`${r}: unknown access "${a.mem}"`);
      if (a.size === undefined) {
        if (args[k + 1] !== "size" && args[k + 1] !== "size-or-zero") {
          bad(`${r}: memory without a size must be followed by a "size" argument`);
        }
      } else if (!Number.isInteger(a.size) || a.size < 0 || a.size > 1 << 29) {
        bad(`${r}: size ${a.size} is not a byte count`);
      }
      continue;
    }
    switch (a) {
      case "map":
        map = true;
        break;
      case "map-key":
      case "map-value":
      case "map-value-out":
      case "map-value-or-null":
        if (!map) bad(`${r}: "${a}" needs a "map" argument before it`);
        break;
      case "size":
      case "size-or-zero": {
        const prev = args[k - 1];
        if (typeof prev !== "object" || prev.size !== undefined) {
          bad(`${r}: "${a}" must follow a memory argument without a size`);
        }
        break;
      }
      case "anything":
      case "scalar":
      case "ctx":
      case "string":
      case "const-size":
      case "ringbuf-mem":
      case "spin-lock":
      case "spin-unlock":
      case "func":
        break;
      default:
        bad(`${r}: unknown argument type "${a}"`);
    }
  }
  const ret = p.returns ?? "scalar";
  if (
    ret !== "scalar" && ret !== "map-value-or-null" && ret !== "map-value" &&
    ret !== "ringbuf-mem-or-null"
  ) {
    bad(`unknown return type "${ret}"`);
  }
  if (ret === "ringbuf-mem-or-null" && !args.includes("const-size")) {
    bad(`"ringbuf-mem-or-null" needs a "const-size" argument`);
  }
  if ((ret === "map-value-or-null" || ret === "map-value") && !map) {
    bad(`"${ret}" needs a "map" argument`);
  }
}
