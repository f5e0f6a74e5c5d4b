/**
 * The fixed pool of memory the `embedded` profile carves every map from.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";

/**
 * A fixed pool of memory allocated once, from which the `embedded` profile carves every map.
 * When it is used up, creating another map fails.
 *
 * @example
 * ```ts
 * import { BpfVm } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const vm = new BpfVm({ profile: "embedded" });
 * assert.equal(vm.pool!.size, 64 * 1024);
 * vm.createMap({ type: "array", keySize: 4, valueSize: 1024, maxEntries: 8 });
 * assert.equal(vm.pool!.free, 56 * 1024);
 * ```
 */
export class BpfMapPool {
  #buffer: ArrayBuffer;
  #used = 0;

  /**
   * Allocates the pool.
   *
   * @param bytes The pool's size in bytes.
   */
  constructor(bytes: number) {
    if (!Number.isInteger(bytes) || bytes < 0) {
      throw new RangeError(`Map pool size must be a whole number of bytes, got ${bytes}`);
    }
    this.#buffer = new ArrayBuffer(bytes);
  }

  /** Bytes not yet handed out. */
  get free(): number {
    return this.#buffer.byteLength - this.#used;
  }

  /** The pool's total size in bytes. */
  get size(): number {
    return this.#buffer.byteLength;
  }

  /**
   * Hands out `bytes` zeroed bytes (8-byte aligned) from the pool.
   *
   * @param bytes How many.
   * @param what What the memory is for, for the error message.
   * @returns The bytes; throws a `BpfError` (`"limit"`) when the pool is exhausted.
   * @example
   * ```ts
   * import { BpfMapPool } from "@mxy/mxy/bpf";
   * import assert from "node:assert/strict";
   * const pool = new BpfMapPool(16);
   * assert.equal(pool.allocate(10, "test").length, 10);
   * assert.throws(() => pool.allocate(10, "test"), /pool/);
   * ```
   */
  allocate(bytes: number, what: string): Uint8Array {
    const start = (this.#used + 7) & ~7;
    if (start + bytes > this.#buffer.byteLength) {
      throw new BpfError(
        "limit",
        `Map pool exhausted: ${what} needs ${bytes} bytes, ${
          Math.max(0, this.#buffer.byteLength - start)
        } of ${this.#buffer.byteLength} left`,
      );
    }
    this.#used = start + bytes;
    return new Uint8Array(this.#buffer, start, bytes);
  }
}
