import assert from "node:assert/strict";
import fc from "fast-check";
import { createBpfMap } from "../../lib/bpf/map_create.ts";
import type { BpfBloomFilter } from "../../lib/bpf/map_bloom.ts";
import { BPF_MAP_ERRNO } from "../../lib/bpf/map_errno.ts";
import { BpfMapPool } from "../../lib/bpf/map_pool.ts";
import { getBpfProfile } from "../../lib/bpf/profile.ts";

const bloom = (maxEntries: number, mapExtra?: number) =>
  createBpfMap({
    type: "bloom_filter",
    keySize: 0,
    valueSize: 4,
    maxEntries,
    mapExtra,
  }) as BpfBloomFilter;

Deno.test("bloom filters never answer 'absent' for an added value", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 4, maxLength: 4 }), { maxLength: 200 }),
      fc.integer({ min: 0, max: 15 }),
      (values, hashes) => {
        const m = bloom(64, hashes);
        for (const v of values) m.add(v);
        for (const v of values) assert.equal(m.has(v), true);
      },
    ),
  );
});

Deno.test("bloom filters mostly answer 'absent' for values never added", () => {
  const m = bloom(1000);
  for (let i = 0; i < 1000; i++) m.add(new Uint8Array(new Uint32Array([i]).buffer));
  let falsePositives = 0;
  for (let i = 1000; i < 11000; i++) {
    if (m.has(new Uint8Array(new Uint32Array([i]).buffer))) falsePositives++;
  }
  // 5 hashes over 8192 bits holding 1000 values: ~2% expected.
  assert.ok(falsePositives < 600, `${falsePositives} false positives in 10000`);
});

Deno.test("bloom filters follow Linux's rules: no key, map_extra 0-15, push flags 0, no lookups", () => {
  assert.equal(bloom(4).hashes, 5);
  assert.throws(() => bloom(4, 16), /map_extra .* 0-15, got 16/);
  assert.throws(
    () => createBpfMap({ type: "bloom_filter", keySize: 4, valueSize: 4, maxEntries: 4 }),
    /bloom_filter maps have no key/,
  );
  assert.throws(
    () => createBpfMap({ type: "hash", keySize: 4, valueSize: 4, maxEntries: 4, mapExtra: 3 }),
    /only bloom filters take map_extra/,
  );
  const m = bloom(4);
  assert.equal(m.pushErrno(new Uint8Array(4), 0, 2), -BPF_MAP_ERRNO.EINVAL);
  assert.equal(m.peekErrno(new Uint8Array(4), 0), -BPF_MAP_ERRNO.ENOENT);
  assert.equal(m.lookup(new Uint8Array(0)), null);
  assert.throws(() => m.add(new Uint8Array(3)), /takes 4-byte values/);
});

Deno.test("bloom filters take their bits from the embedded profile's pool", () => {
  const pool = new BpfMapPool(64);
  const m = createBpfMap(
    { type: "bloom_filter", keySize: 0, valueSize: 4, maxEntries: 4 },
    { profile: getBpfProfile("embedded"), pool },
  ) as BpfBloomFilter;
  assert.equal(pool.free, 64 - 8); // the smallest filter: 64 bits
  m.add(new Uint8Array([1, 2, 3, 4]));
  assert.equal(m.has(new Uint8Array([1, 2, 3, 4])), true);
});
