import assert from "node:assert/strict";
import fc from "fast-check";
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST } from "../../lib/bpf/map_update_flags.ts";
import { BPF_MAP_ERRNO } from "../../lib/bpf/map_errno.ts";
import { createBpfMap } from "../../lib/bpf/map_create.ts";
import { BpfMapPool } from "../../lib/bpf/map_pool.ts";
import { CLOUD, EMBEDDED } from "../../lib/bpf/profile.ts";
import { BpfError } from "../../lib/bpf/bpf_error.ts";

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof BpfError);
    return e.code;
  }
  return "none";
};

Deno.test("array map: every element exists, NOEXIST fails, out-of-range index fails", () => {
  const m = createBpfMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 4, name: "a" });
  assert.equal(m.size, 4);
  assert.deepEqual(m.lookup(u32(3)), new Uint8Array(8));
  assert.equal(m.lookup(u32(4)), null);
  m.update(u32(2), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), BPF_EXIST);
  assert.deepEqual(m.lookup(u32(2)), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  assert.equal(code(() => m.update(u32(1), new Uint8Array(8), BPF_NOEXIST)), "map-exists");
  assert.equal(code(() => m.update(u32(9), new Uint8Array(8))), "map-full");
  assert.equal(code(() => m.delete(u32(1))), "map-key");
  assert.equal(code(() => m.update(u32(1), new Uint8Array(3))), "map-key");
  assert.equal(code(() => m.lookup(new Uint8Array(2))), "map-key");
});

Deno.test("hash map: update flags, delete and reuse of freed slots", () => {
  const m = createBpfMap({ type: "hash", keySize: 2, valueSize: 4, maxEntries: 2, name: "h" });
  const k1 = new Uint8Array([0, 1]), k2 = new Uint8Array([0, 2]), k3 = new Uint8Array([0, 3]);
  assert.equal(code(() => m.update(k1, u32(1), BPF_EXIST)), "map-missing");
  m.update(k1, u32(1), BPF_NOEXIST);
  assert.equal(code(() => m.update(k1, u32(5), BPF_NOEXIST)), "map-exists");
  m.update(k1, u32(7), BPF_EXIST);
  m.update(k2, u32(2), BPF_ANY);
  assert.equal(code(() => m.update(k3, u32(3))), "map-full");
  assert.equal(m.size, 2);
  assert.equal(m.delete(k1), true);
  assert.equal(m.delete(k1), false);
  m.update(k3, u32(3));
  assert.deepEqual(m.lookup(k3), u32(3));
  assert.deepEqual(m.lookup(k2), u32(2));
  assert.equal(m.lookup(k1), null);
  assert.equal(m.updateErrno(k1, 0, u32(1), 0, 7), -BPF_MAP_ERRNO.EINVAL);
});

Deno.test("lookup() returns a live view shared with every user of the map", () => {
  const m = createBpfMap({ type: "hash", keySize: 1, valueSize: 4, maxEntries: 8 });
  m.update(new Uint8Array([5]), u32(10));
  const view = m.lookup(new Uint8Array([5]))!;
  view[0] = 99;
  assert.equal(m.lookup(new Uint8Array([5]))![0], 99);
});

Deno.test("hash map behaves like a JS Map under random operations (both profiles)", () => {
  for (const profile of [CLOUD, EMBEDDED]) {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom("update", "delete", "lookup"),
            fc.integer({ min: 0, max: 40 }),
            fc.integer({ min: 0, max: 255 }),
            fc.constantFrom(BPF_ANY, BPF_NOEXIST, BPF_EXIST),
          ),
          { maxLength: 300 },
        ),
        (ops) => {
          const max = 16;
          const m = createBpfMap({ type: "hash", keySize: 2, valueSize: 1, maxEntries: max }, {
            profile,
            pool: new BpfMapPool(4096),
          });
          const model = new Map<number, number>();
          for (const [op, key, val, flags] of ops) {
            const k = new Uint8Array([key, key >> 8]);
            if (op === "lookup") {
              const v = m.lookup(k);
              assert.equal(v === null ? undefined : v[0], model.get(key));
            } else if (op === "delete") {
              assert.equal(m.delete(k), model.delete(key));
            } else {
              const r = m.updateErrno(k, 0, new Uint8Array([val]), 0, flags);
              const exists = model.has(key);
              let want = 0;
              if (flags === BPF_NOEXIST && exists) want = -BPF_MAP_ERRNO.EEXIST;
              else if (flags === BPF_EXIST && !exists) want = -BPF_MAP_ERRNO.ENOENT;
              else if (!exists && model.size >= max) want = -BPF_MAP_ERRNO.E2BIG;
              assert.equal(r, want);
              if (want === 0) model.set(key, val);
            }
          }
          assert.equal(m.size, model.size);
          assert.equal([...m.entries()].length, model.size);
        },
      ),
      { numRuns: 200 },
    );
  }
});

Deno.test("cloud maps grow past their first chunk and resize; embedded maps refuse to", () => {
  const big = createBpfMap({ type: "hash", keySize: 4, valueSize: 4, maxEntries: 1000 });
  for (let i = 0; i < 1000; i++) big.update(u32(i), u32(i * 3));
  for (let i = 0; i < 1000; i++) assert.deepEqual(big.lookup(u32(i)), u32(i * 3));
  assert.equal(code(() => big.update(u32(5000), u32(1))), "map-full");
  big.resize(1001);
  big.update(u32(5000), u32(1));
  assert.equal(code(() => big.resize(10)), "profile");

  const arr = createBpfMap({ type: "array", keySize: 4, valueSize: 4, maxEntries: 2 });
  const before = arr.lookup(u32(1))!;
  arr.resize(5);
  arr.update(u32(4), u32(44));
  before[0] = 1;
  assert.deepEqual(arr.lookup(u32(1)), u32(1)); // views made before the resize stay live
  assert.deepEqual(arr.lookup(u32(4)), u32(44));

  const pool = new BpfMapPool(1024);
  const e = createBpfMap({ type: "array", keySize: 4, valueSize: 4, maxEntries: 2 }, {
    profile: EMBEDDED,
    pool,
  });
  assert.equal(code(() => e.resize(5)), "profile");
});

Deno.test("embedded maps come from the pool allocated up front, and an empty pool is an error", () => {
  const pool = new BpfMapPool(512);
  assert.equal(
    code(() =>
      createBpfMap({ type: "hash", keySize: 4, valueSize: 4, maxEntries: 2 }, {
        profile: EMBEDDED,
      })
    ),
    "limit",
  );
  createBpfMap({ type: "hash", keySize: 4, valueSize: 8, maxEntries: 8 }, {
    profile: EMBEDDED,
    pool,
  });
  assert.ok(pool.free < 512 - 8 * 12); // values, keys, index and free list came from the pool
  assert.equal(
    code(() =>
      createBpfMap({ type: "array", keySize: 4, valueSize: 64, maxEntries: 8 }, {
        profile: EMBEDDED,
        pool,
      })
    ),
    "limit",
  );
  // The same map under cloud needs no pool.
  createBpfMap({ type: "array", keySize: 4, valueSize: 64, maxEntries: 8 }, { profile: CLOUD });
});

Deno.test("createMap() rejects bad specs", () => {
  assert.equal(
    code(() => createBpfMap({ type: "array", keySize: 8, valueSize: 4, maxEntries: 1 })),
    "map-key",
  );
  assert.equal(
    code(() => createBpfMap({ type: "hash", keySize: 0, valueSize: 4, maxEntries: 1 })),
    "map-key",
  );
  assert.equal(
    code(() =>
      createBpfMap({ type: "lru" as unknown as "hash", keySize: 4, valueSize: 4, maxEntries: 1 })
    ),
    "map-key",
  );
});
