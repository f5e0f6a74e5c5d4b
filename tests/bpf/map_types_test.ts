import assert from "node:assert/strict";
import fc from "fast-check";
import { BPF_F, BPF_MAP_TYPE, bpfMapTypeOf, linuxMapTypeName } from "../../lib/bpf/map_types.ts";
import { createBpfMap } from "../../lib/bpf/map_create.ts";
import { BPF_MAP_ERRNO } from "../../lib/bpf/map_errno.ts";
import { BPF_NOEXIST } from "../../lib/bpf/map_update_flags.ts";
import { BpfMapPool } from "../../lib/bpf/map_pool.ts";
import { EMBEDDED } from "../../lib/bpf/profile.ts";
import { BpfVm } from "../../lib/bpf/vm.ts";

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);

Deno.test("map type numbers are Linux's, both ways", () => {
  for (const [name, id] of Object.entries(BPF_MAP_TYPE)) assert.equal(bpfMapTypeOf(id), name);
  assert.equal(bpfMapTypeOf(15), "sockmap");
  assert.equal(bpfMapTypeOf(26), undefined);
  assert.equal(linuxMapTypeName(26), "struct_ops");
  assert.equal(linuxMapTypeName(99), "unknown");
});

Deno.test("LRU hash maps evict the least recently used element, in the cloud and embedded profiles", () => {
  for (const profile of [undefined, EMBEDDED]) {
    const pool = profile ? new BpfMapPool(4096) : undefined;
    const m = createBpfMap({ type: "lru_hash", keySize: 4, valueSize: 1, maxEntries: 3 }, {
      profile,
      pool,
    });
    for (const k of [1, 2, 3]) m.update(u32(k), new Uint8Array([k]));
    m.findSlot(u32(1), 0); // a lookup counts as a use
    m.update(u32(4), new Uint8Array([4])); // evicts 2
    assert.equal(m.lookup(u32(2)), null);
    assert.deepEqual([1, 3, 4].map((k) => m.lookup(u32(k))?.[0]), [1, 3, 4]);
    assert.equal(m.size, 3);
    m.delete(u32(3));
    m.update(u32(5), new Uint8Array([5])); // room: nothing evicted
    assert.deepEqual([1, 4, 5].map((k) => m.lookup(u32(k))?.[0]), [1, 4, 5]);
  }
});

Deno.test("an LRU hash map holds the most recently used keys (property)", () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), (keys) => {
    const m = createBpfMap({ type: "lru_hash", keySize: 4, valueSize: 4, maxEntries: 4 });
    const recent: number[] = [];
    for (const k of keys) {
      m.update(u32(k), u32(k));
      const at = recent.indexOf(k);
      if (at >= 0) recent.splice(at, 1);
      recent.push(k);
      if (recent.length > 4) recent.shift();
    }
    assert.deepEqual(
      [...m.entries()].map(([k]) => new Uint32Array(k.buffer)[0]).sort((a, b) => a - b),
      [...recent].sort((a, b) => a - b),
    );
  }));
});

Deno.test("LPM tries find the longest stored prefix and take only valid prefix lengths", () => {
  const m = createBpfMap({
    type: "lpm_trie",
    keySize: 8,
    valueSize: 1,
    maxEntries: 8,
    flags: BPF_F.NO_PREALLOC,
  });
  const key = (len: number, a: number[]) => new Uint8Array([len, 0, 0, 0, ...a]);
  m.update(key(0, [0, 0, 0, 0]), new Uint8Array([0])); // default route
  m.update(key(8, [10, 99, 99, 99]), new Uint8Array([8])); // stored as 10/8
  m.update(key(16, [10, 1, 0, 0]), new Uint8Array([16]));
  const find = (len: number, a: number[]) => m.lookup(key(len, a))?.[0];
  assert.equal(find(32, [10, 1, 2, 3]), 16);
  assert.equal(find(32, [10, 2, 2, 3]), 8);
  assert.equal(find(32, [11, 2, 2, 3]), 0);
  assert.equal(find(12, [10, 1, 2, 3]), 8); // the lookup's own length bounds the match
  assert.equal(
    m.updateErrno(key(33, [1, 2, 3, 4]), 0, new Uint8Array([1]), 0, 0),
    -BPF_MAP_ERRNO.EINVAL,
  );
  assert.equal(
    m.updateErrno(key(8, [10, 0, 0, 0]), 0, new Uint8Array([1]), 0, BPF_NOEXIST),
    -BPF_MAP_ERRNO.EEXIST,
  );
  assert.equal(m.delete(key(8, [10, 7, 7, 7])), true);
  assert.equal(find(32, [10, 2, 2, 3]), 0);
  assert.throws(
    () => createBpfMap({ type: "lpm_trie", keySize: 8, valueSize: 1, maxEntries: 8 }),
    /BPF_F_NO_PREALLOC/,
  );
});

Deno.test("LPM lookups agree with a linear scan of the stored prefixes (property)", () => {
  const entry = fc.tuple(
    fc.integer({ min: 0, max: 32 }),
    fc.uint8Array({ minLength: 4, maxLength: 4 }),
  );
  fc.assert(
    fc.property(
      fc.array(entry, { maxLength: 30 }),
      fc.array(fc.uint8Array({ minLength: 4, maxLength: 4 }), { maxLength: 10 }),
      (entries, probes) => {
        const m = createBpfMap({
          type: "lpm_trie",
          keySize: 8,
          valueSize: 1,
          maxEntries: 64,
          flags: BPF_F.NO_PREALLOC,
        });
        const bits = (a: Uint8Array) => [...a].map((b) => b.toString(2).padStart(8, "0")).join("");
        const stored = new Map<string, number>();
        entries.forEach(([len, a], i) => {
          m.update(new Uint8Array([len, 0, 0, 0, ...a]), new Uint8Array([i]));
          stored.set(bits(a).slice(0, len), i);
        });
        for (const a of probes) {
          let want: number | undefined;
          for (let len = 32; len >= 0 && want === undefined; len--) {
            want = stored.get(bits(a).slice(0, len));
          }
          assert.equal(m.lookup(new Uint8Array([32, 0, 0, 0, ...a]))?.[0], want);
        }
      },
    ),
  );
});

Deno.test("percpu maps behave as their plain counterparts (one CPU off-kernel)", () => {
  const a = createBpfMap({ type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 2 });
  assert.equal(a.size, 2);
  assert.equal(a.deleteErrno(u32(0), 0), -BPF_MAP_ERRNO.EINVAL);
  const h = createBpfMap({ type: "percpu_hash", keySize: 2, valueSize: 1, maxEntries: 1 });
  h.update(new Uint8Array([1, 2]), new Uint8Array([3]));
  assert.throws(() => h.update(new Uint8Array([2, 2]), new Uint8Array([3])), /full/);
});

Deno.test("program arrays and maps of maps hold objects the host sets, matching the inner template", () => {
  const vm = new BpfVm();
  const tmpl = vm.createMap({ type: "array", keySize: 4, valueSize: 4, maxEntries: 1 });
  const outer = vm.createMap({
    type: "hash_of_maps",
    keySize: 4,
    valueSize: 4,
    maxEntries: 2,
    inner: tmpl,
  });
  outer.setInnerMap(u32(7), tmpl);
  assert.equal(outer.objectAt(outer.findSlot(u32(7), 0)), tmpl);
  assert.equal(outer.updateErrno(u32(8), 0, u32(1), 0, 0), -BPF_MAP_ERRNO.EINVAL); // the host sets them
  assert.throws(
    () =>
      outer.setInnerMap(
        u32(8),
        vm.createMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 1 }),
      ),
    /does not match the inner map/,
  );
  outer.setInnerMap(u32(7), null);
  assert.equal(outer.size, 0);
  const jumps = vm.createMap({ type: "prog_array", keySize: 4, valueSize: 4, maxEntries: 2 });
  assert.throws(() => jumps.setProgram(2, {}), /out of range/);
  assert.throws(() => tmpl.setProgram(0, {}), /not a prog_array/);
  assert.equal(jumps.deleteErrno(u32(0), 0), -BPF_MAP_ERRNO.ENOENT);
});
