/**
 * The server's remote memory: blocks addressed by unguessable 64-bit handles, owned by the
 * connection that allocated them, zeroed on allocation, wiped on free, with per-owner and total
 * quotas. Each block starts with a 16-byte header holding a magic value, so a double free or a
 * use after free is caught and reported as CORRUPT rather than touching recycled memory.
 *
 * @module
 */
import { EtherError } from "./ether_error.ts";
import { formatEtherHandle as hex } from "./_header_fields.ts";

/** Magic value of a live block's header. */
const ALIVE = 0xb10cce11;
/** Magic value written into a freed block's header. */
const FREED = 0xdeadf4ee;
/** Bytes of block header before the data: magic, size, owner and check word, each a u32. */
const BLOCK_HEADER = 16;
/** Offset of the magic value ({@linkcode ALIVE} or {@linkcode FREED}) in a block's header. */
const AT_MAGIC = 0;
/** Offset of the data size. */
const AT_SIZE = 4;
/** Offset of the owner's id. */
const AT_OWNER = 8;
/** Offset of the check word: `ALIVE ^ size`. */
const AT_CHECK = 12;
/** How many freed handles each owner remembers, to tell a double free from an unknown handle. */
const DEFAULT_TOMBSTONES = 4096;
/**
 * What one block costs the server beyond its data, counted against the quotas: the block object,
 * its array and header, the handle (a bigint) and the entries in the store's maps and sets —
 * measured with Deno 2.9 (V8) at about 420 bytes of heap for a 1-byte block, rounded up.
 */
export const ETHER_BLOCK_OVERHEAD = 512;

/** Reads the big-endian u32 at `at` of a block's header. */
function get32(raw: Uint8Array, at: number): number {
  return ((raw[at] << 24) | (raw[at + 1] << 16) | (raw[at + 2] << 8) | raw[at + 3]) >>> 0;
}

/** Writes the big-endian u32 at `at` of a block's header. */
function set32(raw: Uint8Array, at: number, v: number): void {
  raw[at] = v >>> 24;
  raw[at + 1] = v >>> 16;
  raw[at + 2] = v >>> 8;
  raw[at + 3] = v;
}

class Block {
  /** Header (magic, size, owner, check word) followed by the data. */
  readonly raw: Uint8Array;
  readonly owner: number;
  readonly handle: bigint;

  constructor(owner: number, handle: bigint, size: number) {
    const raw = this.raw = new Uint8Array(BLOCK_HEADER + size);
    set32(raw, AT_MAGIC, ALIVE);
    set32(raw, AT_SIZE, size);
    set32(raw, AT_OWNER, owner >>> 0);
    set32(raw, AT_CHECK, ALIVE ^ size);
    this.owner = owner;
    this.handle = handle;
  }

  get size(): number {
    return get32(this.raw, AT_SIZE);
  }

  get data(): Uint8Array {
    return this.raw.subarray(BLOCK_HEADER, BLOCK_HEADER + this.size);
  }

  check(): string | null {
    const magic = get32(this.raw, AT_MAGIC);
    if (magic === FREED) return "freed";
    if (magic !== ALIVE || ((get32(this.raw, AT_CHECK) ^ this.size) >>> 0) !== ALIVE) {
      return "damaged";
    }
    return null;
  }

  wipe(): void {
    this.raw.fill(0);
    set32(this.raw, AT_MAGIC, FREED);
  }
}

interface Owner {
  /** Bytes counted: data, per-block overhead and reservations. */
  bytes: number;
  /** Of which reservations ({@linkcode MemoryStore.reserve}). */
  reserved: number;
  handles: Set<bigint>;
  tombstones: Set<bigint>;
}

/**
 * Options for {@linkcode MemoryStore}.
 *
 * @example
 * ```ts
 * import { MemoryStore, type MemoryStoreOptions } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const options: MemoryStoreOptions = { maxOwnerBytes: 3000, maxBlockBytes: 1024, maxOwnerBlocks: 2 };
 * const store = new MemoryStore(options);
 * assert.throws(() => store.alloc(1, 1025), { code: "out-of-memory" }); // over the block limit
 * store.alloc(1, 1024); // 1024 bytes + ETHER_BLOCK_OVERHEAD
 * assert.throws(() => store.alloc(1, 1024), { code: "out-of-memory" }); // over the quota
 * store.alloc(1, 1);
 * assert.throws(() => store.alloc(1, 1), { code: "out-of-memory" }); // over the block count
 * ```
 */
export interface MemoryStoreOptions {
  /**
   * Total bytes the store may count: block data, {@linkcode ETHER_BLOCK_OVERHEAD} per block and
   * reservations. Default 1 GiB.
   */
  maxTotalBytes?: number;
  /** Bytes one owner (connection) may have counted. Default 256 MiB. */
  maxOwnerBytes?: number;
  /** Largest single block. Default 16 MiB. */
  maxBlockBytes?: number;
  /** Live blocks all owners together may hold. Default 1,048,576. */
  maxBlocks?: number;
  /** Live blocks one owner may hold. Default 65,536. */
  maxOwnerBlocks?: number;
  /** Freed handles remembered per owner for double-free detection. Default 4096. */
  tombstones?: number;
}

/**
 * Counters of a {@linkcode MemoryStore}.
 *
 * @example
 * ```ts
 * import { ETHER_BLOCK_OVERHEAD, MemoryStore, type MemoryStoreStats } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const store = new MemoryStore();
 * store.free(1, store.alloc(1, 10));
 * store.alloc(1, 4);
 * const stats: MemoryStoreStats = store.stats();
 * assert.deepEqual(stats, {
 *   blocks: 1,
 *   blockBytes: 4,
 *   reservedBytes: 0,
 *   bytesInUse: 4 + ETHER_BLOCK_OVERHEAD,
 *   peakBytes: 10 + ETHER_BLOCK_OVERHEAD,
 *   allocs: 2,
 *   frees: 1,
 * });
 * ```
 */
export interface MemoryStoreStats {
  /** Live blocks. */
  blocks: number;
  /** Bytes of data in live blocks. */
  blockBytes: number;
  /** Bytes reserved with {@linkcode MemoryStore.reserve} (payloads, replies, databases). */
  reservedBytes: number;
  /**
   * Every byte counted against the quotas: block data, {@linkcode ETHER_BLOCK_OVERHEAD} per
   * block, and reservations.
   */
  bytesInUse: number;
  /** The highest `bytesInUse` seen. */
  peakBytes: number;
  /** Successful allocations. */
  allocs: number;
  /** Successful frees (explicit or at disconnect). */
  frees: number;
}

/**
 * Remote memory blocks with owners, quotas and handle checks. Every failure is an
 * {@linkcode EtherError} (`out-of-memory`, `invalid-request`, `corrupt`, `overflow`, `not-found`).
 *
 * @example
 * ```ts
 * import { MemoryStore } from "@mxy/mxy/ether";
 * import assert from "node:assert/strict";
 * const store = new MemoryStore();
 * const h = store.alloc(1, 4);
 * store.write(1, h, new Uint8Array([1, 2]));
 * assert.deepEqual([...store.read(1, h, 100)], [1, 2, 0, 0]);
 * assert.throws(() => store.read(2, h, 4), { code: "not-found" });
 * store.free(1, h);
 * assert.throws(() => store.free(1, h), { code: "corrupt" });
 * assert.equal(store.stats().bytesInUse, 0);
 * ```
 */
export class MemoryStore {
  #blocks = new Map<bigint, Block>();
  #owners = new Map<number, Owner>();
  #maxTotal: number;
  #maxOwner: number;
  #maxBlock: number;
  #maxBlocks: number;
  #maxOwnerBlocks: number;
  #tombstoneLimit: number;
  #bytes = 0;
  #blockBytes = 0;
  #reserved = 0;
  #peak = 0;
  #allocs = 0;
  #frees = 0;
  #random = new BigUint64Array(64);
  #randomLeft = 0;

  /**
   * Creates an empty store.
   *
   * @param options Quotas and limits.
   */
  constructor(options: MemoryStoreOptions = {}) {
    this.#maxTotal = options.maxTotalBytes ?? 1024 * 1024 * 1024;
    this.#maxOwner = options.maxOwnerBytes ?? 256 * 1024 * 1024;
    this.#maxBlock = options.maxBlockBytes ?? 16 * 1024 * 1024;
    this.#maxBlocks = options.maxBlocks ?? 1 << 20;
    this.#maxOwnerBlocks = options.maxOwnerBlocks ?? 1 << 16;
    this.#tombstoneLimit = options.tombstones ?? DEFAULT_TOMBSTONES;
  }

  #newHandle(): bigint {
    for (;;) {
      if (this.#randomLeft === 0) {
        crypto.getRandomValues(this.#random);
        this.#randomLeft = this.#random.length;
      }
      const h = this.#random[--this.#randomLeft];
      if (h !== 0n && !this.#blocks.has(h)) return h;
    }
  }

  #owner(owner: number): Owner {
    let o = this.#owners.get(owner);
    if (!o) {
      o = { bytes: 0, reserved: 0, handles: new Set(), tombstones: new Set() };
      this.#owners.set(owner, o);
    }
    return o;
  }

  #checkQuota(o: Owner, extra: number, what: string): void {
    if (o.bytes + extra > this.#maxOwner) {
      throw new EtherError(
        "out-of-memory",
        `${what}: the connection's quota of ${this.#maxOwner} bytes would be exceeded (${o.bytes} in use)`,
      );
    }
    if (this.#bytes + extra > this.#maxTotal) {
      throw new EtherError(
        "out-of-memory",
        `${what}: the server's memory limit of ${this.#maxTotal} bytes would be exceeded (${this.#bytes} in use)`,
      );
    }
  }

  #checkSize(size: number, what: string): void {
    if (!Number.isInteger(size) || size <= 0) {
      throw new EtherError(
        "invalid-request",
        `${what}: size must be at least 1 byte, got ${size}`,
      );
    }
    if (size > this.#maxBlock) {
      throw new EtherError(
        "out-of-memory",
        `${what}: ${size} bytes is over the block limit of ${this.#maxBlock} bytes`,
      );
    }
  }

  #block(owner: number, handle: bigint, what: string): Block {
    if (handle === 0n) {
      throw new EtherError("invalid-request", `${what}: handle 0 is never valid`);
    }
    const b = this.#blocks.get(handle);
    if (!b || b.owner !== owner) {
      if (this.#owners.get(owner)?.tombstones.has(handle)) {
        throw new EtherError(
          "corrupt",
          `${what}: block ${hex(handle)} was already freed (double free or use after free)`,
        );
      }
      throw new EtherError(
        "not-found",
        `${what}: no block ${hex(handle)} on this connection`,
      );
    }
    const bad = b.check();
    if (bad) {
      throw new EtherError(
        "corrupt",
        `${what}: block ${hex(handle)} header is ${bad}`,
      );
    }
    return b;
  }

  /**
   * Allocates a zeroed block.
   *
   * @param owner The owning connection's id.
   * @param size Bytes wanted (1 … block limit).
   * @returns The new block's handle (random, non-zero).
   * @example
   * ```ts
   * import { MemoryStore } from "@mxy/mxy/ether";
   * import assert from "node:assert/strict";
   * const s = new MemoryStore({ maxOwnerBytes: 1000 });
   * assert.notEqual(s.alloc(1, 10), 0n); // costs 10 + ETHER_BLOCK_OVERHEAD
   * assert.throws(() => s.alloc(1, 500), { code: "out-of-memory" });
   * ```
   */
  alloc(owner: number, size: number): bigint {
    const what = `ALLOC of ${size} bytes`;
    this.#checkSize(size, what);
    const o = this.#owner(owner);
    if (o.handles.size >= this.#maxOwnerBlocks) {
      throw new EtherError(
        "out-of-memory",
        `${what}: the connection already holds ${o.handles.size} blocks, its limit`,
      );
    }
    if (this.#blocks.size >= this.#maxBlocks) {
      throw new EtherError(
        "out-of-memory",
        `${what}: the server already holds ${this.#blocks.size} blocks, its limit`,
      );
    }
    const cost = size + ETHER_BLOCK_OVERHEAD;
    this.#checkQuota(o, cost, what);
    const handle = this.#newHandle();
    this.#blocks.set(handle, new Block(owner, handle, size));
    o.handles.add(handle);
    o.bytes += cost;
    this.#bytes += cost;
    this.#blockBytes += size;
    if (this.#bytes > this.#peak) this.#peak = this.#bytes;
    this.#allocs++;
    return handle;
  }

  #release(o: Owner, b: Block): void {
    const size = b.size;
    b.wipe();
    this.#blocks.delete(b.handle);
    o.handles.delete(b.handle);
    o.bytes -= size + ETHER_BLOCK_OVERHEAD;
    this.#bytes -= size + ETHER_BLOCK_OVERHEAD;
    this.#blockBytes -= size;
    this.#frees++;
  }

  /**
   * Counts bytes the owner holds outside blocks (a payload being received, a reply being sent,
   * an uploaded database) against the quotas, or refuses them.
   *
   * @param owner The owner's id.
   * @param bytes How many.
   * @param what What they are for, for the error message.
   * @throws {EtherError} `out-of-memory` when a quota would be exceeded.
   * @example
   * ```ts
   * import { MemoryStore } from "@mxy/mxy/ether";
   * import assert from "node:assert/strict";
   * const s = new MemoryStore({ maxOwnerBytes: 100 });
   * s.reserve(1, 60, "a payload");
   * assert.throws(() => s.reserve(1, 60, "another"), { code: "out-of-memory" });
   * s.unreserve(1, 60);
   * assert.equal(s.stats().bytesInUse, 0);
   * ```
   */
  reserve(owner: number, bytes: number, what: string): void {
    const o = this.#owner(owner);
    this.#checkQuota(o, bytes, what);
    o.bytes += bytes;
    o.reserved += bytes;
    this.#bytes += bytes;
    this.#reserved += bytes;
    if (this.#bytes > this.#peak) this.#peak = this.#bytes;
  }

  /**
   * Gives back bytes counted by {@linkcode MemoryStore.reserve}; nothing once the owner was
   * released (its reservations went with it).
   *
   * @param owner The owner's id.
   * @param bytes How many.
   * @example
   * ```ts
   * import { MemoryStore } from "@mxy/mxy/ether";
   * import assert from "node:assert/strict";
   * const s = new MemoryStore();
   * s.reserve(1, 10, "x");
   * s.releaseOwner(1);
   * s.unreserve(1, 10); // already released with its owner
   * assert.equal(s.stats().reservedBytes, 0);
   * ```
   */
  unreserve(owner: number, bytes: number): void {
    const o = this.#owners.get(owner);
    if (!o) return;
    const n = Math.min(bytes, o.reserved);
    o.reserved -= n;
    o.bytes -= n;
    this.#reserved -= n;
    this.#bytes -= n;
  }

  /**
   * Frees a block: its memory is wiped and its handle remembered as freed.
   *
   * @param owner The owning connection's id.
   * @param handle The block's handle.
   * @example
   * ```ts
   * import { MemoryStore } from "@mxy/mxy/ether";
   * import assert from "node:assert/strict";
   * const s = new MemoryStore();
   * const h = s.alloc(1, 8);
   * s.free(1, h);
   * assert.throws(() => s.read(1, h, 8), { code: "corrupt" });
   * ```
   */
  free(owner: number, handle: bigint): void {
    const b = this.#block(owner, handle, "FREE");
    const o = this.#owner(owner);
    this.#release(o, b);
    o.tombstones.add(handle);
    if (o.tombstones.size > this.#tombstoneLimit) {
      o.tombstones.delete(o.tombstones.values().next().value as bigint);
    }
  }

  /**
   * Resizes a block, keeping its contents up to the smaller size; growth is zeroed. The handle
   * stays the same.
   *
   * @param owner The owning connection's id.
   * @param handle The block's handle.
   * @param size The new size.
   * @example
   * ```ts
   * import { MemoryStore } from "@mxy/mxy/ether";
   * import assert from "node:assert/strict";
   * const s = new MemoryStore();
   * const h = s.alloc(1, 2);
   * s.write(1, h, new Uint8Array([5, 6]));
   * s.realloc(1, h, 3);
   * assert.deepEqual([...s.read(1, h, 3)], [5, 6, 0]);
   * ```
   */
  realloc(owner: number, handle: bigint, size: number): void {
    const what = `REALLOC to ${size} bytes`;
    const b = this.#block(owner, handle, what);
    this.#checkSize(size, what);
    const o = this.#owner(owner);
    const delta = size - b.size;
    if (delta > 0) this.#checkQuota(o, delta, what);
    const nb = new Block(owner, handle, size);
    nb.data.set(b.data.subarray(0, Math.min(size, b.size)));
    b.wipe();
    this.#blocks.set(handle, nb);
    o.bytes += delta;
    this.#bytes += delta;
    this.#blockBytes += delta;
    if (this.#bytes > this.#peak) this.#peak = this.#bytes;
  }

  /**
   * Writes bytes at the start of a block.
   *
   * @param owner The owning connection's id.
   * @param handle The block's handle.
   * @param data The bytes; more than the block holds is OVERFLOW.
   * @example
   * ```ts
   * import { MemoryStore } from "@mxy/mxy/ether";
   * import assert from "node:assert/strict";
   * const s = new MemoryStore();
   * const h = s.alloc(1, 1);
   * assert.throws(() => s.write(1, h, new Uint8Array(2)), { code: "overflow" });
   * ```
   */
  write(owner: number, handle: bigint, data: Uint8Array): void {
    const b = this.#block(owner, handle, `WRITE of ${data.length} bytes`);
    if (data.length > b.size) {
      throw new EtherError(
        "overflow",
        `WRITE of ${data.length} bytes: block ${hex(handle)} holds only ${b.size} bytes`,
      );
    }
    b.data.set(data);
  }

  /**
   * Reads from the start of a block, capped at its size. The result is a view on the block:
   * copy it before the block can change.
   *
   * @param owner The owning connection's id.
   * @param handle The block's handle.
   * @param size Bytes wanted.
   * @returns `min(size, block size)` bytes.
   * @example
   * ```ts
   * import { MemoryStore } from "@mxy/mxy/ether";
   * import assert from "node:assert/strict";
   * const s = new MemoryStore();
   * const h = s.alloc(1, 3);
   * assert.equal(s.read(1, h, 10).length, 3);
   * ```
   */
  read(owner: number, handle: bigint, size: number): Uint8Array {
    const b = this.#block(owner, handle, `READ of ${size} bytes`);
    return b.data.subarray(0, Math.min(size, b.size));
  }

  /**
   * The size of a block.
   *
   * @param owner The owning connection's id.
   * @param handle The block's handle.
   * @returns Its size in bytes.
   * @example
   * ```ts
   * import { MemoryStore } from "@mxy/mxy/ether";
   * import assert from "node:assert/strict";
   * const s = new MemoryStore();
   * assert.equal(s.sizeOf(1, s.alloc(1, 9)), 9);
   * ```
   */
  sizeOf(owner: number, handle: bigint): number {
    return this.#block(owner, handle, "SIZE").size;
  }

  /**
   * Frees every block of an owner (its connection closed) and forgets its freed handles.
   *
   * @param owner The owner's id.
   * @returns How many blocks were freed.
   * @example
   * ```ts
   * import { MemoryStore } from "@mxy/mxy/ether";
   * import assert from "node:assert/strict";
   * const s = new MemoryStore();
   * s.alloc(1, 5); s.alloc(1, 5);
   * assert.equal(s.releaseOwner(1), 2);
   * assert.equal(s.stats().blocks, 0);
   * ```
   */
  releaseOwner(owner: number): number {
    const o = this.#owners.get(owner);
    if (!o) return 0;
    let n = 0;
    for (const h of [...o.handles]) {
      const b = this.#blocks.get(h);
      if (b) {
        this.#release(o, b);
        n++;
      }
    }
    this.#bytes -= o.reserved;
    this.#reserved -= o.reserved;
    this.#owners.delete(owner);
    return n;
  }

  /**
   * Bytes counted for one owner: block data, per-block overhead and reservations.
   *
   * @param owner The owner's id.
   * @returns Bytes in use.
   * @example
   * ```ts
   * import { ETHER_BLOCK_OVERHEAD, MemoryStore } from "@mxy/mxy/ether";
   * import assert from "node:assert/strict";
   * const s = new MemoryStore();
   * s.alloc(3, 7);
   * assert.equal(s.ownerBytes(3), 7 + ETHER_BLOCK_OVERHEAD);
   * ```
   */
  ownerBytes(owner: number): number {
    return this.#owners.get(owner)?.bytes ?? 0;
  }

  /**
   * Current counters.
   *
   * @returns Blocks, bytes in use, peak, allocations and frees.
   * @example
   * ```ts
   * import { MemoryStore } from "@mxy/mxy/ether";
   * import assert from "node:assert/strict";
   * assert.equal(new MemoryStore().stats().blocks, 0);
   * ```
   */
  stats(): MemoryStoreStats {
    return {
      blocks: this.#blocks.size,
      blockBytes: this.#blockBytes,
      reservedBytes: this.#reserved,
      bytesInUse: this.#bytes,
      peakBytes: this.#peak,
      allocs: this.#allocs,
      frees: this.#frees,
    };
  }
}
