/**
 * The pieces of a map's hashed storage (open addressing over slot numbers) and of its errors:
 * index markers, sizes, the key hash, and the `BpfError` of a negative errno.
 *
 * @module
 */
import { BpfError } from "./bpf_error.ts";
import { BPF_MAP_ERRNO } from "./map_errno.ts";
import type { BpfMap } from "./maps.ts";
import { isIndexed } from "./_map_spec_check.ts";

/** An index cell that never held a slot. */
export const EMPTY = -1;
/** An index cell whose slot was deleted. */
export const TOMBSTONE = -2;
/** Slots per chunk of a growing (`cloud`) hash map. */
export const CHUNK_SLOTS = 64;

export function indexCapacity(entries: number): number {
  let c = 8;
  while (c < entries * 2) c *= 2;
  return c;
}

export function readU32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

export function hashBytes(b: Uint8Array, o: number, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ b[o + i], 0x01000193);
  return h >>> 0;
}

/**
 * The host's error for a negative errno of an update, delete or insert.
 *
 * @param map The map.
 * @param r The negative errno.
 * @param key Bytes holding the key.
 * @param off Where the key starts.
 * @returns The error to throw.
 */
export function mapErrnoError(map: BpfMap, r: number, key: Uint8Array, off: number): BpfError {
  const k = Array.from(
    key.subarray(off, off + map.keySize),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  const where = `map "${map.name}" key 0x${k}`;
  switch (-r) {
    case BPF_MAP_ERRNO.EEXIST:
      return new BpfError("map-exists", `Cannot create ${where}: the element already exists`);
    case BPF_MAP_ERRNO.ENOENT:
      return new BpfError("map-missing", `Cannot update ${where}: the element does not exist`);
    case BPF_MAP_ERRNO.E2BIG:
      return new BpfError(
        "map-full",
        map.storage === "array" || isIndexed(map.type)
          ? `Cannot update ${where}: index out of range 0-${map.maxEntries - 1}`
          : `Cannot add ${where}: the map is full (${map.maxEntries} elements)`,
      );
    default:
      return new BpfError("map-key", `Invalid operation on ${where} (errno ${-r})`);
  }
}
