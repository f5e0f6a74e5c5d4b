/**
 * Helper functions callable from eBPF with `call N`: a registry per VM, the test helpers of the
 * ubpf/bpf_conformance suites, and Linux's ids for the map helpers (registered by the maps
 * module).
 *
 * @module
 */
import type { BpfMemory } from "./memory.ts";

/** What a helper can reach while it runs. */
export interface HelperContext {
  /** The run's address space: read pointers with `slice`, hand out pointers with `addressOf`. */
  memory: BpfMemory;
  /** Ends the program right after this helper returns, with r0 = the helper's return value. */
  stop(): void;
}

/**
 * A helper: receives r1–r5 as unsigned 64-bit bigints; its return value (taken modulo 2^64)
 * goes to r0. It may throw a `BpfError`; other exceptions are wrapped as `helper` errors.
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
 * import { HELPER_ID } from "./helpers.ts";
 * import assert from "node:assert/strict";
 * assert.equal(HELPER_ID.MAP_LOOKUP_ELEM, 1);
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
 * import { HelperRegistry } from "./helpers.ts";
 * import assert from "node:assert/strict";
 * const reg = new HelperRegistry();
 * reg.register(7, "double", (a) => a * 2n);
 * assert.equal(reg.has(7), true);
 * assert.equal(reg.name(7), "double");
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

function cString(memory: BpfMemory, address: bigint): Uint8Array {
  const out: number[] = [];
  for (let i = 0n;; i++) {
    const b = memory.slice(address + i, 1)[0];
    if (b === 0) break;
    out.push(b);
  }
  return Uint8Array.from(out);
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

/**
 * A registry with the test helpers of ubpf and bpf_conformance: 0 `gather_bytes`, 1 `memfrob`,
 * 2 `no_op`, 3 `sqrti`, 4 `strcmp_ext`, 5 `unwind` (ends the program when its argument is 0).
 *
 * @returns A new registry.
 * @example
 * ```ts
 * import { conformanceHelpers } from "./helpers.ts";
 * import assert from "node:assert/strict";
 * const reg = conformanceHelpers();
 * assert.deepEqual(reg.ids(), [0, 1, 2, 3, 4, 5]);
 * ```
 */
export function conformanceHelpers(): HelperRegistry {
  const reg = new HelperRegistry();
  reg.register(
    0,
    "gather_bytes",
    (a, b, c, d, e) =>
      ((a & 0xffn) << 32n) | ((b & 0xffn) << 24n) | ((c & 0xffn) << 16n) | ((d & 0xffn) << 8n) |
      (e & 0xffn),
  );
  reg.register(1, "memfrob", (p, n, _c, _d, _e, ctx) => {
    const bytes = ctx.memory.slice(p, Number(n & 0xffffffffn));
    for (let i = 0; i < bytes.length; i++) bytes[i] ^= 42;
    return 0n;
  });
  reg.register(2, "no_op", () => 0n);
  reg.register(3, "sqrti", (x) => isqrt(x));
  reg.register(4, "strcmp_ext", (a, b, _c, _d, _e, ctx) => {
    const sa = cString(ctx.memory, a), sb = cString(ctx.memory, b);
    const n = Math.min(sa.length, sb.length);
    for (let i = 0; i < n; i++) if (sa[i] !== sb[i]) return BigInt(sa[i] - sb[i]);
    return BigInt(sa.length - sb.length);
  });
  reg.register(5, "unwind", (a, _b, _c, _d, _e, ctx) => {
    if (a === 0n) ctx.stop();
    return a;
  });
  return reg;
}
