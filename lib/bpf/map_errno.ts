/**
 * The errno values map operations return negated, as Linux's helpers and `bpf(2)` do.
 *
 * @module
 */
/**
 * Errno values the map helpers (and {@linkcode BpfMap.updateErrno}, {@linkcode BpfMap.deleteErrno})
 * return negated, as Linux does.
 *
 * @example
 * ```ts
 * import { BPF_MAP_ERRNO, createBpfMap } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const m = createBpfMap({ type: "hash", keySize: 1, valueSize: 1, maxEntries: 1 });
 * assert.equal(m.deleteErrno(new Uint8Array([5]), 0), -BPF_MAP_ERRNO.ENOENT);
 * ```
 */
export const BPF_MAP_ERRNO: Readonly<
  { ENOENT: number; E2BIG: number; EEXIST: number; EINVAL: number; ENOMEM: number }
> = Object.freeze({ ENOENT: 2, E2BIG: 7, ENOMEM: 12, EEXIST: 17, EINVAL: 22 });
