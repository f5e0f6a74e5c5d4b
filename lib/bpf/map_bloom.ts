/**
 * Bloom filter maps (`BPF_MAP_TYPE_BLOOM_FILTER`): values without keys, added with
 * `bpf_map_push_elem` and tested with `bpf_map_peek_elem` ("maybe present": 0; "absent":
 * `-ENOENT`), by programs and by the host. Never a false "absent"; "maybe" may be wrong with a
 * small probability that falls as the filter grows and as `map_extra` (the number of hash
 * functions, 1-15, default 5) fits its fill.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import { BpfMap } from "./maps.ts";
import { BPF_MAP_ERRNO } from "./map_errno.ts";
import type { BpfMapSpec } from "./map_spec.ts";
import type { BpfMapPool } from "./map_pool.ts";
import type { BpfProfile } from "./profile.ts";

/** Linux's number of hash functions when `map_extra` says 0. */
const DEFAULT_HASHES = 5;
/** The fewest bits a filter has (Linux: `BITS_PER_LONG`). */
const MIN_BITS = 64;
/** The most bits a filter has (Linux: `1 << 31`). */
const MAX_BITS = 2 ** 31;

/**
 * A bloom filter map. Create one with
 * `createBpfMap({ type: "bloom_filter", keySize: 0, valueSize, maxEntries, mapExtra })`. Its bit
 * array has Linux's size: `maxEntries × hashes / ln 2` bits rounded up to a power of two. The
 * hashes are seeded with 0 (as Linux's `BPF_F_ZERO_SEED`), so results repeat from run to run.
 *
 * @example
 * ```ts
 * import { BpfBloomFilter, createBpfMap } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const seen = createBpfMap({ type: "bloom_filter", keySize: 0, valueSize: 4, maxEntries: 100, mapExtra: 3 }) as BpfBloomFilter;
 * seen.add(new Uint8Array([10, 0, 0, 1]));
 * assert.equal(seen.has(new Uint8Array([10, 0, 0, 1])), true);
 * assert.equal(seen.hashes, 3);
 * ```
 */
export class BpfBloomFilter extends BpfMap {
  /** The number of hash functions each value sets and tests. */
  readonly hashes: number;
  #bits: Uint8Array;
  #mask: number;

  /**
   * Use `createBpfMap`; this constructor is internal.
   *
   * @param spec The map's shape.
   * @param profile Its profile.
   * @param pool The pool, when the profile has one.
   */
  constructor(spec: BpfMapSpec, profile: BpfProfile, pool: BpfMapPool | undefined) {
    super(spec, profile, pool);
    this.hashes = (spec.mapExtra ?? 0) === 0 ? DEFAULT_HASHES : spec.mapExtra!;
    // Linux: nr_bits = max_entries * nr_hash_funcs / 5 * 7 (≈ / ln 2), a power of two.
    const want = Math.floor(spec.maxEntries * this.hashes / 5) * 7;
    let bits = MIN_BITS;
    while (bits < want && bits < MAX_BITS) bits *= 2;
    this.#mask = bits - 1;
    const bytes = bits / 8;
    this.#bits = pool !== undefined && profile.mapPoolBytes !== null
      ? pool.allocate(bytes, `map "${this.name}"`)
      : new Uint8Array(bytes);
  }

  /** Bloom filters count no elements: 0. */
  override get size(): number {
    return 0;
  }

  /**
   * Adds `valueSize` bytes of `buf` at `off` (`bpf_map_push_elem`).
   *
   * @param buf The bytes.
   * @param off Where the value starts.
   * @param flags Must be 0 (`BPF_ANY`), as in Linux.
   * @returns 0, or `-EINVAL` for other flags.
   */
  pushErrno(buf: Uint8Array, off: number, flags: number): number {
    if (flags !== 0) return -BPF_MAP_ERRNO.EINVAL;
    for (let i = 0; i < this.hashes; i++) {
      const b = this.#bit(buf, off, i);
      this.#bits[b >>> 3] |= 1 << (b & 7);
    }
    return 0;
  }

  /**
   * Tests `valueSize` bytes of `buf` at `off` (`bpf_map_peek_elem`).
   *
   * @param buf The bytes.
   * @param off Where the value starts.
   * @returns 0 when the value may be present, `-ENOENT` when it is certainly absent.
   */
  peekErrno(buf: Uint8Array, off: number): number {
    for (let i = 0; i < this.hashes; i++) {
      const b = this.#bit(buf, off, i);
      if ((this.#bits[b >>> 3] & (1 << (b & 7))) === 0) return -BPF_MAP_ERRNO.ENOENT;
    }
    return 0;
  }

  /**
   * Adds a value.
   *
   * @param value `valueSize` bytes.
   * @returns Nothing; throws a `BpfError` (`"map-key"`) for a value of another size.
   */
  add(value: Uint8Array): void {
    this.#check(value);
    this.pushErrno(value, 0, 0);
  }

  /**
   * Tests a value.
   *
   * @param value `valueSize` bytes.
   * @returns `false` when it was certainly never added, `true` when it may have been.
   */
  has(value: Uint8Array): boolean {
    this.#check(value);
    return this.peekErrno(value, 0) === 0;
  }

  /** Hash `i` of the value: FNV-1a seeded with the hash's number, then mixed. */
  #bit(buf: Uint8Array, off: number, i: number): number {
    let h = Math.imul(0x811c9dc5 ^ i, 0x01000193);
    for (let k = 0; k < this.valueSize; k++) h = Math.imul(h ^ buf[off + k], 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return (h >>> 0) & this.#mask;
  }

  #check(value: Uint8Array): void {
    if (value.length !== this.valueSize) {
      throw new BpfError(
        "map-key",
        `Map "${this.name}" takes ${this.valueSize}-byte values, got ${value.length} bytes`,
      );
    }
  }
}
