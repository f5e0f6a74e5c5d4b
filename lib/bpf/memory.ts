/**
 * The address space of an eBPF run. A 64-bit address is `region << 32 | offset`: region 0 is
 * null, region 1 the stack, region 2 the run's memory (context/packet), and further regions are
 * host-owned byte arrays such as map values, added with {@linkcode BpfMemory.addressOf}.
 * Every access is bounds-checked against its region.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";

/**
 * Region number of the stack.
 */
export const STACK_REGION = 1;
/**
 * Region number of the run's memory (`mem`, pointed to by r1 at entry).
 */
export const MEM_REGION = 2;
/**
 * At most this many regions per address space.
 */
export const MAX_REGIONS = 1 << 20;

/**
 * Options of {@linkcode BpfMemory.addressOf}.
 *
 * @example
 * ```ts
 * import { type AddressOfOptions, BpfMemory } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const memory = new BpfMemory(0);
 * const table = new Uint8Array([10, 20, 30]);
 * const options: AddressOfOptions = { offset: 2, readonly: true };
 * const address = memory.addressOf(table, options);
 * assert.deepEqual([...memory.slice(address, 1)], [30]);
 * ```
 */
export interface AddressOfOptions {
  /** Byte offset inside `bytes` the address points to (default 0). */
  offset?: number;
  /** Stores through the address fail with a `memory` error (default false). */
  readonly?: boolean;
}

const EMPTY = new Uint8Array(0);

/**
 * A set of memory regions addressed by 64-bit pointers. Interpreter and JIT read the public
 * arrays (`views`, `lengths`, `writable`) directly; helpers use {@linkcode BpfMemory.addressOf}
 * and {@linkcode BpfMemory.slice}.
 *
 * @example
 * ```ts
 * import { BpfInterpreter, BpfMemory, decodeProgram, HelperRegistry } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * // A helper hands the program a pointer to host bytes; the program reads through it.
 * const table = new Uint8Array([5, 6, 7, 8]);
 * const helpers = new HelperRegistry().register(1, "table", (_a, _b, _c, _d, _e, ctx) => {
 *   const memory: BpfMemory = ctx.memory;
 *   return memory.addressOf(table, { offset: 2 });
 * });
 * // call 1; ldxb r0, [r0]; exit
 * const vm = new BpfInterpreter(decodeProgram(new Uint8Array([
 *   0x85, 0x00, 0, 0, 1, 0, 0, 0,
 *   0x71, 0x00, 0, 0, 0, 0, 0, 0,
 *   0x95, 0x00, 0, 0, 0, 0, 0, 0,
 * ])), { helpers });
 * assert.equal(vm.run(), 7n);
 * assert.equal(vm.memory.stack.length, 512);
 * ```
 */
export class BpfMemory {
  /** DataView of each region (index = region number). */
  readonly views: DataView[] = [];
  /** Bytes of each region. */
  readonly bytes: Uint8Array[] = [];
  /** Length of each region in bytes. */
  readonly lengths: number[] = [];
  /** 1 when the region is writable, 0 when read-only. */
  readonly writable: number[] = [];
  /**
   * Where legacy packet loads (`ldabsw` …) read: `[region, offset of the packet's first byte,
   * its length]`; `null` (default): the run's memory (region 2), whole. The VM sets it for
   * programs whose context is a `__sk_buff` built around the packet.
   */
  legacyPacket: Int32Array | null = null;
  #index = new Map<Uint8Array, number>();

  /**
   * Creates an address space with a stack and an empty run memory.
   *
   * @param stackSize The stack region's size in bytes.
   */
  constructor(stackSize: number) {
    if (!Number.isInteger(stackSize) || stackSize < 0 || stackSize > 0x7fffffff) {
      throw new RangeError(`Stack size ${stackSize} is out of range`);
    }
    this.#push(EMPTY, 0); // null region
    this.#push(new Uint8Array(stackSize), 1);
    this.#push(EMPTY, 1);
  }

  #push(bytes: Uint8Array, writable: number): number {
    const n = this.views.length;
    if (n >= MAX_REGIONS) {
      throw new BpfError("memory", `Too many memory regions (limit ${MAX_REGIONS})`);
    }
    this.views.push(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    this.bytes.push(bytes);
    this.lengths.push(bytes.length);
    this.writable.push(writable);
    return n;
  }

  /** The stack's bytes (region 1). */
  get stack(): Uint8Array {
    return this.bytes[STACK_REGION];
  }

  /**
   * Makes `mem` the run's memory (region 2). Creates a new DataView only when the array changes
   * (and is not a shorter view of the same bytes from the same start), so running again on the
   * same array, or on the leading bytes of one reused buffer, allocates nothing.
   *
   * @param mem The bytes, or `undefined` for none.
   * @returns Nothing.
   * @example
   * ```ts
   * import { BpfMemory } from "@mxy/mxy/bpf";
   * import assert from "node:assert/strict";
   * const m = new BpfMemory(16);
   * m.setMem(new Uint8Array(8));
   * assert.equal(m.slice(2n << 32n, 8).length, 8); // region 2 is the run's memory
   * ```
   */
  setMem(mem: Uint8Array | undefined): void {
    const b = mem ?? EMPTY;
    if (this.bytes[MEM_REGION] === b && this.lengths[MEM_REGION] === b.length) return;
    // Runs on the leading bytes of one reused buffer (packets copied into a scratch buffer)
    // keep the DataView: every access is checked against `lengths`, never the view's size.
    const v = this.views[MEM_REGION];
    if (v.buffer !== b.buffer || v.byteOffset !== b.byteOffset || v.byteLength < b.byteLength) {
      this.views[MEM_REGION] = new DataView(b.buffer, b.byteOffset, b.byteLength);
    }
    this.bytes[MEM_REGION] = b;
    this.lengths[MEM_REGION] = b.length;
  }

  /**
   * Makes the first `length` bytes of `mem` the run's memory (region 2) without making a view of
   * them: when `mem` is already the region's array, this is one store, so a buffer reused for
   * runs of different lengths (packets copied into it) allocates nothing and checks nothing
   * else. Every access is checked against `length`.
   *
   * @param mem The bytes.
   * @param length How many of them the run may use (at most `mem.length`).
   * @returns Nothing.
   * @throws {RangeError} When `length` is not a count of bytes inside `mem`.
   * @example
   * ```ts
   * import { BpfMemory } from "@mxy/mxy/bpf";
   * import assert from "node:assert/strict";
   * const m = new BpfMemory(16);
   * m.setMemPrefix(new Uint8Array(64), 8);
   * assert.equal(m.slice(2n << 32n, 8).length, 8);
   * assert.throws(() => m.slice(2n << 32n, 9)); // only the first 8 bytes are the run's
   * ```
   */
  setMemPrefix(mem: Uint8Array, length: number): void {
    if (this.bytes[MEM_REGION] !== mem) this.setMem(mem);
    if (length >>> 0 !== length || length > mem.length) {
      throw new RangeError(`Length ${length} is outside a memory of ${mem.length} bytes`);
    }
    this.lengths[MEM_REGION] = length;
  }

  /**
   * Returns the 64-bit address of a byte in a host-owned array, adding the array as a region the
   * first time (regions are cached by array identity and never recycled).
   *
   * @param bytes The array (e.g. a map value).
   * @param options Offset and read-only flag.
   * @returns The address as an unsigned bigint.
   * @example
   * ```ts
   * import { BpfMemory } from "@mxy/mxy/bpf";
   * import assert from "node:assert/strict";
   * const m = new BpfMemory(0);
   * const v = new Uint8Array(4);
   * assert.equal(m.addressOf(v), m.addressOf(v));
   * assert.equal(m.addressOf(v) >> 32n, 3n);
   * ```
   */
  addressOf(bytes: Uint8Array, options: AddressOfOptions = {}): bigint {
    if (bytes.length > 0x7fffffff) throw new RangeError("Region larger than 2 GiB");
    let region = this.#index.get(bytes);
    if (region === undefined) {
      region = this.#push(bytes, options.readonly ? 0 : 1);
      this.#index.set(bytes, region);
    }
    const offset = options.offset ?? 0;
    if (!Number.isInteger(offset) || offset < 0 || offset > bytes.length) {
      throw new RangeError(`Offset ${offset} is outside a region of ${bytes.length} bytes`);
    }
    return (BigInt(region) << 32n) | BigInt(offset);
  }

  /**
   * The region of a host-owned array, without adding it.
   *
   * @param bytes The array.
   * @returns Its region number, or -1 when {@linkcode BpfMemory.addressOf} never added it.
   * @example
   * ```ts
   * import { BpfMemory } from "@mxy/mxy/bpf";
   * import assert from "node:assert/strict";
   * const m = new BpfMemory(0);
   * const v = new Uint8Array(4);
   * assert.equal(m.regionOf(v), -1);
   * m.addressOf(v);
   * assert.equal(m.regionOf(v), 3);
   * ```
   */
  regionOf(bytes: Uint8Array): number {
    return this.#index.get(bytes) ?? -1;
  }

  /**
   * Returns a bounds-checked view of `length` bytes at a 64-bit address (shares memory).
   *
   * @param address The address (taken modulo 2^64).
   * @param length How many bytes.
   * @returns A subarray of the region.
   * @throws {BpfError} `memory` when the range is not inside one region.
   * @example
   * ```ts
   * import { BpfMemory } from "@mxy/mxy/bpf";
   * import assert from "node:assert/strict";
   * const m = new BpfMemory(8);
   * assert.equal(m.slice((1n << 32n) + 4n, 4).length, 4);
   * assert.throws(() => m.slice((1n << 32n) + 6n, 4));
   * ```
   */
  slice(address: bigint, length: number): Uint8Array {
    const a = BigInt.asUintN(64, address);
    const region = Number(a >> 32n);
    const offset = Number(a & 0xffffffffn);
    if (
      region <= 0 || region >= this.views.length || length < 0 ||
      offset + length > this.lengths[region]
    ) {
      throw new BpfError(
        "memory",
        `Access of ${length} bytes at 0x${a.toString(16)} is outside mapped memory`,
      );
    }
    return this.bytes[region].subarray(offset, offset + length);
  }
}
