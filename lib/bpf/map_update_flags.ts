/**
 * The update flags of `bpf_map_update_elem` (`BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`), with Linux's
 * values.
 *
 * @module
 */
/**
 * Update flag: create the element or replace it.
 *
 * @example
 * ```ts
 * import { BPF_ANY, createBpfMap } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const m = createBpfMap({ type: "hash", keySize: 1, valueSize: 1, maxEntries: 2 });
 * m.update(new Uint8Array([1]), new Uint8Array([10]), BPF_ANY);
 * m.update(new Uint8Array([1]), new Uint8Array([11]), BPF_ANY);
 * assert.deepEqual(m.lookup(new Uint8Array([1])), new Uint8Array([11]));
 * ```
 */
export const BPF_ANY = 0;
/**
 * Update flag: create the element only if it does not exist yet.
 *
 * @example
 * ```ts
 * import { BPF_NOEXIST, BpfError, createBpfMap } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const m = createBpfMap({ type: "hash", keySize: 1, valueSize: 1, maxEntries: 2 });
 * m.update(new Uint8Array([1]), new Uint8Array([10]), BPF_NOEXIST);
 * assert.throws(
 *   () => m.update(new Uint8Array([1]), new Uint8Array([11]), BPF_NOEXIST),
 *   (e) => e instanceof BpfError && e.code === "map-exists",
 * );
 * ```
 */
export const BPF_NOEXIST = 1;
/**
 * Update flag: replace the element only if it exists.
 *
 * @example
 * ```ts
 * import { BPF_EXIST, BpfError, createBpfMap } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const m = createBpfMap({ type: "hash", keySize: 1, valueSize: 1, maxEntries: 2 });
 * assert.throws(
 *   () => m.update(new Uint8Array([1]), new Uint8Array([11]), BPF_EXIST),
 *   (e) => e instanceof BpfError && e.code === "map-missing",
 * );
 * ```
 */
export const BPF_EXIST = 2;
