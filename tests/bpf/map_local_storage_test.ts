import assert from "node:assert/strict";
import { createBpfMap } from "../../lib/bpf/map_create.ts";
import type { BpfLocalStorageMap } from "../../lib/bpf/map_local_storage.ts";
import { BPF_F } from "../../lib/bpf/map_types.ts";

Deno.test("local storage maps follow Linux's rules: no capacity, key sizes, BPF_F_NO_PREALLOC", () => {
  const cg = createBpfMap({
    type: "cgroup_storage",
    keySize: 8,
    valueSize: 16,
    maxEntries: 0,
  }) as BpfLocalStorageMap;
  assert.equal(cg.value!.length, 16);
  assert.equal(cg.size, 1);
  assert.throws(
    () => createBpfMap({ type: "cgroup_storage", keySize: 4, valueSize: 8, maxEntries: 0 }),
    /cgroup id \(8 bytes\) or struct bpf_cgroup_storage_key \(16\), got 4/,
  );
  assert.throws(
    () => createBpfMap({ type: "percpu_cgroup_storage", keySize: 8, valueSize: 8, maxEntries: 4 }),
    /no capacity \(max entries 0\), got 4/,
  );
  for (const type of ["sk_storage", "inode_storage", "task_storage", "cgrp_storage"] as const) {
    const spec = { type, keySize: 4, valueSize: 8, maxEntries: 0, flags: BPF_F.NO_PREALLOC };
    const m = createBpfMap(spec) as BpfLocalStorageMap;
    assert.equal(m.value, null);
    assert.equal(m.size, 0);
    assert.throws(() => createBpfMap({ ...spec, flags: 0 }), /need the BPF_F_NO_PREALLOC flag/);
    assert.throws(() => createBpfMap({ ...spec, keySize: 8 }), /4-byte keys \(an fd\)/);
  }
});
