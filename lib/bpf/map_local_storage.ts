/**
 * Local storage maps: values attached to kernel objects rather than looked up by key. A
 * `cgroup_storage` (or `percpu_cgroup_storage`) holds one value per cgroup a program is attached
 * to, which `bpf_get_local_storage` returns; off-kernel every run belongs to one cgroup, so the
 * map holds one value that the host reads and writes with {@linkcode BpfLocalStorageMap.value}.
 * `sk_storage`, `inode_storage`, `task_storage` and `cgrp_storage` attach values to sockets,
 * inodes, tasks and cgroups that exist only in a kernel: they are created and verified (their
 * `bpf_*_storage_get`/`_delete` helpers with Linux's argument rules) and hold nothing here.
 *
 * @module
 */
import { BpfMap } from "./maps.ts";
import type { BpfMapSpec } from "./map_spec.ts";
import type { BpfMapPool } from "./map_pool.ts";
import type { BpfProfile } from "./profile.ts";

/**
 * A local storage map. Create one with `createBpfMap`: Linux's rules (no `maxEntries`: 0; a
 * cgroup storage's key is 8 or 16 bytes; the others take 4-byte keys and `BPF_F_NO_PREALLOC`).
 *
 * @example
 * ```ts
 * import { BpfLocalStorageMap, createBpfMap } from "@mxy/mxy/bpf";
 * import assert from "node:assert/strict";
 * const counters = createBpfMap({ type: "cgroup_storage", keySize: 16, valueSize: 8, maxEntries: 0 }) as BpfLocalStorageMap;
 * counters.value![0] = 5;
 * assert.equal(counters.value![0], 5);
 * const perTask = createBpfMap({ type: "task_storage", keySize: 4, valueSize: 8, maxEntries: 0, flags: 1 }) as BpfLocalStorageMap;
 * assert.equal(perTask.value, null); // no tasks off-kernel
 * ```
 */
export class BpfLocalStorageMap extends BpfMap {
  /** A cgroup storage's value (of the one cgroup of every run), or `null` for the others. */
  readonly value: Uint8Array | null;

  /**
   * Use `createBpfMap`; this constructor is internal.
   *
   * @param spec The map's shape.
   * @param profile Its profile.
   * @param pool The pool, when the profile has one.
   */
  constructor(spec: BpfMapSpec, profile: BpfProfile, pool: BpfMapPool | undefined) {
    super(spec, profile, pool);
    const cgroup = spec.type === "cgroup_storage" || spec.type === "percpu_cgroup_storage";
    this.value = !cgroup
      ? null
      : pool !== undefined && profile.mapPoolBytes !== null
      ? pool.allocate(spec.valueSize, `map "${this.name}"`)
      : new Uint8Array(spec.valueSize);
  }

  /** How many values it holds: 1 for a cgroup storage, else 0. */
  override get size(): number {
    return this.value === null ? 0 : 1;
  }
}
