/**
 * eBPF maps: array and hash maps with Linux's semantics for lookup, update (`BPF_ANY`,
 * `BPF_NOEXIST`, `BPF_EXIST`) and delete. A map is a plain object shared by every program that
 * references it and by the host, which reads and writes it with the same calls. Values are live
 * views: a program writing through a looked-up pointer changes what the host sees. The map types
 * with their own storage extend {@linkcode BpfMap} in their own files (`map_queue.ts`,
 * `map_ringbuf.ts`, `map_perf.ts`, `map_bloom.ts`, …); the update flags, errnos and specs are in
 * `map_update_flags.ts`, `map_errno.ts` and `map_spec.ts`.
 *
 * Storage depends on the profile: under `cloud` a map allocates in chunks as it fills and may be
 * resized; under `embedded` every map is carved from one {@linkcode BpfMapPool} allocated up front,
 * and resizing is refused.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import type { BpfMapPool } from "./map_pool.ts";
import type { BpfProfile } from "./profile.ts";
import { type BpfMapType, storageOf } from "./map_types.ts";
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST } from "./map_update_flags.ts";
import { BPF_MAP_ERRNO } from "./map_errno.ts";
import type { BpfMapSpec } from "./map_spec.ts";
import { LruList } from "./_map_lru.ts";
import { lpmNormalize, LpmPrefixes, lpmPrefixLength } from "./_map_lpm.ts";
import { checkInnerMap, checkSpec, holdsObjects, isLru, objectId } from "./_map_spec_check.ts";
import {
  CHUNK_SLOTS,
  EMPTY,
  hashBytes,
  indexCapacity,
  mapErrnoError,
  readU32,
  TOMBSTONE,
} from "./_map_hash.ts";

/**
 * An array or hash map. Create one with {@linkcode createBpfMap}. Host calls throw a `BpfError`
 * whose code tells what failed (`"map-exists"`, `"map-missing"`, `"map-full"`, `"map-key"`);
 * the `…Errno` variants return Linux's negative errno instead and allocate nothing, for helpers.
 *
 * @example
 * ```ts
 * import { BPF_MAP_ERRNO, BPF_NOEXIST, createBpfMap } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const m = createBpfMap({ type: "hash", keySize: 1, valueSize: 1, maxEntries: 4 });
 * const key = new Uint8Array([3]);
 * m.update(key, new Uint8Array([1]));
 * assert.deepEqual(m.lookup(key), new Uint8Array([1]));
 * assert.equal(m.updateErrno(key, 0, new Uint8Array([2]), 0, BPF_NOEXIST), -BPF_MAP_ERRNO.EEXIST);
 * assert.equal(m.size, 1);
 * ```
 */
export class BpfMap {
  /** The map's kind. */
  readonly type: BpfMapType;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** The map's name (may be empty). */
  readonly name: string;
  /** `map_flags`. */
  readonly flags: number;
  /** `map_extra` (a bloom filter's number of hash functions as given; 0 when none). */
  readonly mapExtra: number;
  /** Where the value's `struct bpf_spin_lock` is, or -1 when it has none. */
  readonly spinLock: number;
  /** For maps of maps: the inner map template. */
  readonly inner: BpfMap | undefined;
  /** How the map stores its elements. */
  readonly storage: "array" | "hash" | "own";
  #array: boolean;
  #lru: LruList | null = null;
  #lpm: LpmPrefixes | null = null;
  #scratch: Uint8Array = new Uint8Array(0); // an LPM key being normalized
  #objects: (object | undefined)[] = []; // programs and inner maps by slot
  #maxEntries: number;
  #resizable: boolean;
  #pooled: boolean;
  // Slot storage: values (and keys for hashes) in chunks of `#chunkSlots` slots.
  #chunkSlots: number;
  #values: Uint8Array[] = [];
  #keys: Uint8Array[] = [];
  #allocatedSlots = 0;
  // Hash index (open addressing): slot number, EMPTY or TOMBSTONE.
  #index: Int32Array = new Int32Array(0);
  #tombstones = 0;
  #spareIndex: Int32Array | null = null; // pooled maps rehash into this instead of allocating
  #free: Int32Array = new Int32Array(0); // stack of free slots
  #freeTop = 0;
  #count = 0;
  #views: Uint8Array[] = []; // one stable view per slot, so pointers keep their region

  /**
   * Use {@linkcode createBpfMap}; this constructor is internal.
   *
   * @param spec The map's shape.
   * @param profile Its profile.
   * @param pool The pool, when the profile has one.
   */
  constructor(spec: BpfMapSpec, profile: BpfProfile, pool: BpfMapPool | undefined) {
    checkSpec(spec);
    this.type = spec.type;
    this.keySize = spec.keySize;
    this.valueSize = spec.valueSize;
    this.name = spec.name ?? "";
    this.flags = spec.flags ?? 0;
    this.mapExtra = spec.mapExtra ?? 0;
    this.spinLock = spec.spinLock ?? -1;
    this.inner = spec.inner;
    this.storage = storageOf(spec.type);
    this.#array = this.storage === "array";
    this.#maxEntries = spec.maxEntries;
    this.#resizable = profile.mapsResizable;
    this.#pooled = profile.mapPoolBytes !== null;
    if (this.#pooled && pool === undefined) {
      throw new BpfError(
        "limit",
        `Map "${this.name}" needs a map pool under the ${profile.name} profile`,
      );
    }
    const label = `map "${this.name}"`;
    if (this.storage === "own") {
      this.#chunkSlots = 1; // queues, stacks and ring buffers keep their own storage
    } else if (this.#pooled) {
      // Everything up front, from the pool.
      const n = spec.maxEntries;
      this.#chunkSlots = n;
      const values = pool!.allocate(n * spec.valueSize, label);
      this.#values.push(values);
      if (this.storage === "hash") {
        this.#keys.push(pool!.allocate(n * spec.keySize, label));
        const cap = indexCapacity(n);
        const idx = pool!.allocate(cap * 4, label);
        this.#index = new Int32Array(idx.buffer, idx.byteOffset, cap).fill(EMPTY);
        const spare = pool!.allocate(cap * 4, label);
        this.#spareIndex = new Int32Array(spare.buffer, spare.byteOffset, cap);
        const fr = pool!.allocate(n * 4, label);
        this.#free = new Int32Array(fr.buffer, fr.byteOffset, n);
      }
      if (isLru(spec.type)) this.#lru = new LruList(n, (b) => pool!.allocate(b, label));
      this.#allocatedSlots = n;
      this.#resetFree();
    } else {
      this.#chunkSlots = this.#array ? Math.max(1, spec.maxEntries) : CHUNK_SLOTS;
      if (isLru(spec.type)) this.#lru = new LruList(CHUNK_SLOTS);
      if (this.#array) {
        this.#values.push(new Uint8Array(spec.maxEntries * spec.valueSize));
        this.#allocatedSlots = spec.maxEntries;
      } else {
        this.#index = new Int32Array(indexCapacity(CHUNK_SLOTS)).fill(EMPTY);
      }
    }
    if (spec.type === "lpm_trie") {
      this.#lpm = new LpmPrefixes((spec.keySize - 4) * 8);
      this.#scratch = new Uint8Array(spec.keySize);
    }
  }

  /** The most elements the map holds. */
  get maxEntries(): number {
    return this.#maxEntries;
  }

  /** How many elements exist (for an array map, always `maxEntries`). */
  get size(): number {
    return this.#array ? this.#maxEntries : this.#count;
  }

  /**
   * Finds the element whose key is `keySize` bytes of `buf` at `offset`.
   *
   * @param buf Bytes holding the key.
   * @param offset Where the key starts.
   * @returns The element's slot number, or -1 when there is none.
   */
  findSlot(buf: Uint8Array, offset: number): number {
    if (this.#array) {
      const i = readU32(buf, offset);
      return i < this.#maxEntries ? i : -1;
    }
    if (this.storage === "own") return -1;
    if (this.#lpm !== null) return this.#longestPrefix(buf, offset);
    const s = this.#findExact(buf, offset);
    if (s >= 0 && this.#lru !== null) this.#lru.touch(s);
    return s;
  }

  /** The slot whose stored key equals `keySize` bytes at `offset`, or -1. */
  #findExact(buf: Uint8Array, offset: number): number {
    const mask = this.#index.length - 1;
    let h = hashBytes(buf, offset, this.keySize) & mask;
    for (;;) {
      const s = this.#index[h];
      if (s === EMPTY) return -1;
      if (s >= 0 && this.#keyEquals(s, buf, offset)) return s;
      h = (h + 1) & mask;
    }
  }

  /**
   * The bytes holding slot `slot`'s value (a chunk shared by several slots).
   *
   * @param slot A slot number from {@linkcode BpfMap.findSlot}.
   * @returns The chunk; the value starts at {@linkcode BpfMap.valueOffset}.
   */
  valueChunk(slot: number): Uint8Array {
    return this.#values[Math.floor(slot / this.#chunkSlots)];
  }

  /**
   * Where slot `slot`'s value starts in its {@linkcode BpfMap.valueChunk}.
   *
   * @param slot A slot number.
   * @returns The byte offset.
   */
  valueOffset(slot: number): number {
    return (slot % this.#chunkSlots) * this.valueSize;
  }

  /**
   * A stable view of slot `slot`'s value: the same object on every call, so a VM that hands out
   * pointers to it reuses one memory region.
   *
   * @param slot A slot number from {@linkcode BpfMap.findSlot}.
   * @returns The live value bytes.
   */
  valueView(slot: number): Uint8Array {
    let v = this.#views[slot];
    if (v === undefined) {
      const off = this.valueOffset(slot);
      v = this.valueChunk(slot).subarray(off, off + this.valueSize);
      this.#views[slot] = v;
    }
    return v;
  }

  /**
   * Looks an element up.
   *
   * @param key The key (`keySize` bytes).
   * @returns A live view of the value (writes go into the map), or `null`.
   * @example
   * ```ts
   * import { createBpfMap } from "@mxy/mxy/bpf";
   * import assert from "node:assert/strict";
   * const m = createBpfMap({ type: "hash", keySize: 1, valueSize: 1, maxEntries: 2 });
   * m.update(new Uint8Array([1]), new Uint8Array([9]));
   * assert.deepEqual(m.lookup(new Uint8Array([1])), new Uint8Array([9]));
   * assert.equal(m.lookup(new Uint8Array([2])), null);
   * ```
   */
  lookup(key: Uint8Array): Uint8Array | null {
    this.#checkKey(key);
    const s = this.findSlot(key, 0);
    return s < 0 ? null : this.valueView(s);
  }

  /**
   * Creates or replaces an element.
   *
   * @param key The key (`keySize` bytes).
   * @param value The value (`valueSize` bytes).
   * @param flags `BPF_ANY` (default), `BPF_NOEXIST` or `BPF_EXIST`.
   * @returns Nothing; throws a `BpfError`: `"map-exists"` (NOEXIST on an existing key, or any
   *   NOEXIST on an array), `"map-missing"` (EXIST on a missing key), `"map-full"`, `"map-key"`.
   * @example
   * ```ts
   * import { BPF_EXIST, BPF_NOEXIST, createBpfMap } from "@mxy/mxy/bpf";
   * import assert from "node:assert/strict";
   * const m = createBpfMap({ type: "hash", keySize: 1, valueSize: 1, maxEntries: 1 });
   * assert.throws(() => m.update(new Uint8Array([1]), new Uint8Array([1]), BPF_EXIST), /not/);
   * m.update(new Uint8Array([1]), new Uint8Array([1]), BPF_NOEXIST);
   * assert.throws(() => m.update(new Uint8Array([1]), new Uint8Array([2]), BPF_NOEXIST), /exists/);
   * assert.throws(() => m.update(new Uint8Array([2]), new Uint8Array([2])), /full/);
   * ```
   */
  update(key: Uint8Array, value: Uint8Array, flags: number = BPF_ANY): void {
    this.#checkKey(key);
    if (value.length !== this.valueSize) {
      throw new BpfError(
        "map-key",
        `Map "${this.name}" takes ${this.valueSize}-byte values, got ${value.length} bytes`,
      );
    }
    const r = this.updateErrno(key, 0, value, 0, flags);
    if (r !== 0) throw mapErrnoError(this, r, key, 0);
  }

  /**
   * {@linkcode BpfMap.update} for helpers: reads the key and value from buffers at offsets and
   * returns 0 or a negative errno; allocates nothing (except when a `cloud` hash map grows).
   *
   * @param kbuf Bytes holding the key.
   * @param koff Where the key starts.
   * @param vbuf Bytes holding the value.
   * @param voff Where the value starts.
   * @param flags The update flag.
   * @returns 0, `-EEXIST`, `-ENOENT`, `-E2BIG` or `-EINVAL`.
   */
  updateErrno(
    kbuf: Uint8Array,
    koff: number,
    vbuf: Uint8Array,
    voff: number,
    flags: number,
  ): number {
    if (flags !== BPF_ANY && flags !== BPF_NOEXIST && flags !== BPF_EXIST) {
      return -BPF_MAP_ERRNO.EINVAL;
    }
    if (this.storage === "own" || holdsObjects(this.type)) return -BPF_MAP_ERRNO.EINVAL;
    if (this.#lpm !== null) {
      const len = lpmPrefixLength(kbuf, koff);
      if (len > (this.keySize - 4) * 8) return -BPF_MAP_ERRNO.EINVAL;
      lpmNormalize(kbuf, koff, this.keySize, len, this.#scratch);
      kbuf = this.#scratch;
      koff = 0;
    }
    let s = this.#array ? this.findSlot(kbuf, koff) : this.#findExact(kbuf, koff);
    if (this.#array) {
      if (s < 0) return -BPF_MAP_ERRNO.E2BIG;
      if (flags === BPF_NOEXIST) return -BPF_MAP_ERRNO.EEXIST;
    } else if (s >= 0) {
      if (flags === BPF_NOEXIST) return -BPF_MAP_ERRNO.EEXIST;
      this.#lru?.touch(s);
    } else {
      if (flags === BPF_EXIST) return -BPF_MAP_ERRNO.ENOENT;
      if (this.#count >= this.#maxEntries) {
        if (this.#lru === null || this.#lru.oldest < 0) return -BPF_MAP_ERRNO.E2BIG;
        this.#deleteSlot(this.#lru.oldest);
      }
      s = this.#insert(kbuf, koff);
      this.#lru?.touch(s);
      if (this.#lpm !== null) this.#lpm.change(lpmPrefixLength(kbuf, koff), 1);
    }
    const chunk = this.valueChunk(s);
    const off = this.valueOffset(s);
    for (let i = 0; i < this.valueSize; i++) chunk[off + i] = vbuf[voff + i];
    return 0;
  }

  /**
   * Deletes an element.
   *
   * @param key The key.
   * @returns `true` when an element was deleted, `false` when there was none; throws a
   *   `BpfError` (`"map-key"`) for array maps, whose elements cannot be deleted.
   * @example
   * ```ts
   * import { createBpfMap } from "@mxy/mxy/bpf";
   * import assert from "node:assert/strict";
   * const m = createBpfMap({ type: "hash", keySize: 1, valueSize: 1, maxEntries: 1 });
   * m.update(new Uint8Array([1]), new Uint8Array([1]));
   * assert.equal(m.delete(new Uint8Array([1])), true);
   * assert.equal(m.delete(new Uint8Array([1])), false);
   * ```
   */
  delete(key: Uint8Array): boolean {
    this.#checkKey(key);
    const r = this.deleteErrno(key, 0);
    if (r === -BPF_MAP_ERRNO.EINVAL) throw mapErrnoError(this, r, key, 0);
    return r === 0;
  }

  /**
   * {@linkcode BpfMap.delete} for helpers.
   *
   * @param kbuf Bytes holding the key.
   * @param koff Where the key starts.
   * @returns 0, `-ENOENT`, or `-EINVAL` for array maps.
   */
  deleteErrno(kbuf: Uint8Array, koff: number): number {
    if (this.#array) {
      if (!holdsObjects(this.type)) return -BPF_MAP_ERRNO.EINVAL;
      const i = this.findSlot(kbuf, koff);
      if (i < 0) return -BPF_MAP_ERRNO.E2BIG;
      if (this.#objects[i] === undefined) return -BPF_MAP_ERRNO.ENOENT;
      this.#setObject(i, undefined);
      return 0;
    }
    if (this.storage === "own") return -BPF_MAP_ERRNO.EINVAL;
    if (this.#lpm !== null) {
      const len = lpmPrefixLength(kbuf, koff);
      if (len > (this.keySize - 4) * 8) return -BPF_MAP_ERRNO.EINVAL;
      lpmNormalize(kbuf, koff, this.keySize, len, this.#scratch);
      kbuf = this.#scratch;
      koff = 0;
    }
    const mask = this.#index.length - 1;
    let h = hashBytes(kbuf, koff, this.keySize) & mask;
    for (;;) {
      const s = this.#index[h];
      if (s === EMPTY) return -BPF_MAP_ERRNO.ENOENT;
      if (s >= 0 && this.#keyEquals(s, kbuf, koff)) {
        this.#index[h] = TOMBSTONE;
        this.#tombstones++;
        this.#count--;
        this.#free[this.#freeTop++] = s;
        this.#lru?.remove(s);
        if (this.#lpm !== null) this.#lpm.change(lpmPrefixLength(kbuf, koff), -1);
        this.#objects[s] = undefined;
        const chunk = this.valueChunk(s);
        const off = this.valueOffset(s);
        chunk.fill(0, off, off + this.valueSize);
        return 0;
      }
      h = (h + 1) & mask;
    }
  }

  /**
   * Lists the elements (copies of keys, live views of values), in slot order.
   *
   * @returns `[key, value]` pairs.
   * @example
   * ```ts
   * import { createBpfMap } from "@mxy/mxy/bpf";
   * import assert from "node:assert/strict";
   * const m = createBpfMap({ type: "array", keySize: 4, valueSize: 1, maxEntries: 2 });
   * assert.equal([...m.entries()].length, 2);
   * ```
   */
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    if (this.storage === "own") return;
    if (this.#array) {
      for (let i = 0; i < this.#maxEntries; i++) {
        const k = new Uint8Array(4);
        new DataView(k.buffer).setUint32(0, i, true);
        yield [
          k,
          this.valueChunk(i).subarray(this.valueOffset(i), this.valueOffset(i) + this.valueSize),
        ];
      }
      return;
    }
    for (let h = 0; h < this.#index.length; h++) {
      const s = this.#index[h];
      if (s < 0) continue;
      const kc = this.#keys[Math.floor(s / this.#chunkSlots)];
      const ko = (s % this.#chunkSlots) * this.keySize;
      const off = this.valueOffset(s);
      yield [
        kc.slice(ko, ko + this.keySize),
        this.valueChunk(s).subarray(off, off + this.valueSize),
      ];
    }
  }

  /**
   * Changes how many elements the map may hold. Only under a profile with resizable maps
   * (`cloud`); an array map may only grow (new elements are zero), a hash map may shrink down to
   * its current element count.
   *
   * @param maxEntries The new limit.
   * @returns Nothing; throws a `BpfError` (`"profile"`) when not allowed.
   * @example
   * ```ts
   * import { createBpfMap } from "@mxy/mxy/bpf";
   * import assert from "node:assert/strict";
   * const m = createBpfMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 1 });
   * m.resize(4);
   * assert.equal(m.maxEntries, 4);
   * ```
   */
  resize(maxEntries: number): void {
    if (!this.#resizable) {
      throw new BpfError(
        "profile",
        `Map "${this.name}" cannot be resized: the profile allocates maps from a fixed pool`,
      );
    }
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new BpfError("profile", `Map "${this.name}": max entries must be at least 1`);
    }
    if (this.storage === "own") {
      throw new BpfError("profile", `Map "${this.name}" (${this.type}) cannot be resized`);
    }
    if (this.#array) {
      if (maxEntries < this.#maxEntries) {
        throw new BpfError(
          "profile",
          `Array map "${this.name}" cannot shrink from ${this.#maxEntries} to ${maxEntries}`,
        );
      }
      // Keep existing value views valid: add a chunk for the new slots.
      const add = maxEntries - this.#allocatedSlots;
      if (add > 0) {
        // Chunks must have equal slot counts for slot arithmetic: rebuild with the old chunk size.
        let remaining = add;
        while (remaining > 0) {
          this.#values.push(new Uint8Array(this.#chunkSlots * this.valueSize));
          remaining -= this.#chunkSlots;
          this.#allocatedSlots += this.#chunkSlots;
        }
      }
    } else if (maxEntries < this.#count) {
      throw new BpfError(
        "profile",
        `Hash map "${this.name}" holds ${this.#count} elements, more than ${maxEntries}`,
      );
    }
    this.#maxEntries = maxEntries;
  }

  /**
   * The program or inner map at a slot of a `prog_array`, `array_of_maps` or `hash_of_maps`
   * (what `bpf_tail_call` and lookups of maps of maps use).
   *
   * @param slot A slot from {@linkcode BpfMap.findSlot}.
   * @returns The object, or `undefined` when the slot is empty.
   */
  objectAt(slot: number): object | undefined {
    return slot < 0 ? undefined : this.#objects[slot];
  }

  /**
   * Puts a program in a `prog_array` (for `bpf_tail_call`), or empties the slot.
   *
   * @param index The index.
   * @param program A loaded program of the same VM, or `null`.
   * @returns Nothing; throws a `BpfError` (`"map-key"`) for another map type or an index out of
   *   range.
   * @example
   * ```ts
   * import { assemble, BpfVm } from "@mxy/mxy/bpf";
   * import assert from "node:assert/strict";
   * const vm = new BpfVm();
   * const jumps = vm.createMap({ type: "prog_array", keySize: 4, valueSize: 4, maxEntries: 2 });
   * const seven = vm.load(assemble("mov %r0, 7\nexit"), { programType: "socket_filter" });
   * jumps.setProgram(1, seven);
   * // bpf_tail_call(ctx, &jumps, 1): runs the other program, which gives the result.
   * const main = vm.load(assemble(`
   *   lddw %r2, 0, map_fd
   *   mov %r3, 1
   *   call 12
   *   mov %r0, 1
   *   exit
   * `), { programType: "socket_filter" });
   * assert.equal(main.run(new Uint8Array(64)), 7n);
   * ```
   */
  setProgram(index: number, program: object | null): void {
    if (this.type !== "prog_array") {
      throw new BpfError("map-key", `Map "${this.name}" is a ${this.type} map, not a prog_array`);
    }
    this.#setAt(index, program ?? undefined);
  }

  /**
   * Puts an inner map in an `array_of_maps` (key: the index) or a `hash_of_maps`, or removes
   * it. The inner map must match the template (`spec.inner`): type, key and value sizes.
   *
   * @param key The index (arrays) or the key bytes (hashes).
   * @param map The inner map (add it to the programs' VM with `vm.addMap`), or `null`.
   * @returns Nothing; throws a `BpfError` (`"map-key"`) when it does not fit.
   */
  setInnerMap(key: number | Uint8Array, map: BpfMap | null): void {
    if (this.type !== "array_of_maps" && this.type !== "hash_of_maps") {
      throw new BpfError("map-key", `Map "${this.name}" is a ${this.type} map, not a map of maps`);
    }
    if (map !== null) checkInnerMap(this, map);
    if (this.#array) {
      this.#setAt(typeof key === "number" ? key : readU32(key, 0), map ?? undefined);
      return;
    }
    const k = typeof key === "number" ? new Uint8Array(new Uint32Array([key]).buffer) : key;
    this.#checkKey(k);
    if (map === null) {
      this.#deleteExact(k, 0);
      return;
    }
    let s = this.#findExact(k, 0);
    if (s < 0) {
      if (this.#count >= this.#maxEntries) throw mapErrnoError(this, -BPF_MAP_ERRNO.E2BIG, k, 0);
      s = this.#insert(k, 0);
    }
    this.#setObject(s, map);
  }

  #setAt(index: number, obj: object | undefined): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.#maxEntries) {
      throw new BpfError(
        "map-key",
        `Map "${this.name}": index ${index} out of range 0-${this.#maxEntries - 1}`,
      );
    }
    this.#setObject(index, obj);
  }

  #setObject(slot: number, obj: object | undefined): void {
    this.#objects[slot] = obj;
    const chunk = this.valueChunk(slot), off = this.valueOffset(slot);
    const id = obj === undefined ? 0 : objectId(obj);
    for (let i = 0; i < 4 && i < this.valueSize; i++) chunk[off + i] = (id >>> (8 * i)) & 0xff;
  }

  /** Longest-prefix match: the stored prefixes from the longest down to the key's length. */
  #longestPrefix(buf: Uint8Array, offset: number): number {
    const max = Math.min(lpmPrefixLength(buf, offset), (this.keySize - 4) * 8);
    for (const len of this.#lpm!.lengths) {
      if (len > max) continue;
      lpmNormalize(buf, offset, this.keySize, len, this.#scratch);
      const s = this.#findExact(this.#scratch, 0);
      if (s >= 0) return s;
    }
    return -1;
  }

  /** Removes the element at a slot (an LRU eviction). */
  #deleteSlot(s: number): void {
    const kc = this.#keys[Math.floor(s / this.#chunkSlots)];
    this.#deleteExact(kc, (s % this.#chunkSlots) * this.keySize);
  }

  #deleteExact(kbuf: Uint8Array, koff: number): void {
    this.deleteErrno(kbuf, koff);
  }

  #insert(kbuf: Uint8Array, koff: number): number {
    let s: number;
    if (this.#freeTop > 0) s = this.#free[--this.#freeTop];
    else {
      // Only resizable maps get here (pooled maps start with every slot free).
      this.#grow();
      s = this.#free[--this.#freeTop];
    }
    const kc = this.#keys[Math.floor(s / this.#chunkSlots)];
    const ko = (s % this.#chunkSlots) * this.keySize;
    for (let i = 0; i < this.keySize; i++) kc[ko + i] = kbuf[koff + i];
    if ((this.#count + this.#tombstones + 1) * 2 > this.#index.length) {
      this.#rehash(indexCapacity(Math.max(this.#count + 1, this.#allocatedSlots)));
    }
    const mask = this.#index.length - 1;
    let h = hashBytes(kbuf, koff, this.keySize) & mask;
    while (this.#index[h] >= 0) h = (h + 1) & mask;
    if (this.#index[h] === TOMBSTONE) this.#tombstones--;
    this.#index[h] = s;
    this.#count++;
    return s;
  }

  #grow(): void {
    const n = this.#chunkSlots;
    this.#values.push(new Uint8Array(n * this.valueSize));
    this.#keys.push(new Uint8Array(n * this.keySize));
    const first = this.#allocatedSlots;
    this.#allocatedSlots += n;
    this.#lru?.grow(this.#allocatedSlots);
    const free = new Int32Array(this.#allocatedSlots);
    free.set(this.#free.subarray(0, this.#freeTop));
    this.#free = free;
    for (let s = this.#allocatedSlots - 1; s >= first; s--) this.#free[this.#freeTop++] = s;
  }

  #rehash(capacity: number): void {
    const old = this.#index;
    if (capacity <= old.length && this.#tombstones === 0) return;
    const cap = Math.max(capacity, old.length);
    if (this.#spareIndex !== null && cap === old.length) {
      this.#index = this.#spareIndex.fill(EMPTY);
      this.#spareIndex = old;
    } else this.#index = new Int32Array(cap).fill(EMPTY);
    this.#tombstones = 0;
    const mask = cap - 1;
    for (let i = 0; i < old.length; i++) {
      const s = old[i];
      if (s < 0) continue;
      const kc = this.#keys[Math.floor(s / this.#chunkSlots)];
      let h = hashBytes(kc, (s % this.#chunkSlots) * this.keySize, this.keySize) & mask;
      while (this.#index[h] !== EMPTY) h = (h + 1) & mask;
      this.#index[h] = s;
    }
  }

  #resetFree(): void {
    if (this.storage !== "hash") return;
    this.#freeTop = 0;
    for (let s = this.#allocatedSlots - 1; s >= 0; s--) this.#free[this.#freeTop++] = s;
  }

  #keyEquals(s: number, buf: Uint8Array, off: number): boolean {
    const kc = this.#keys[Math.floor(s / this.#chunkSlots)];
    const ko = (s % this.#chunkSlots) * this.keySize;
    for (let i = 0; i < this.keySize; i++) if (kc[ko + i] !== buf[off + i]) return false;
    return true;
  }

  #checkKey(key: Uint8Array): void {
    if (key.length !== this.keySize) {
      throw new BpfError(
        "map-key",
        `Map "${this.name}" takes ${this.keySize}-byte keys, got ${key.length} bytes`,
      );
    }
  }
}
