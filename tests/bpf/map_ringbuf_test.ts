import assert from "node:assert/strict";
import fc from "fast-check";
import { createBpfMap } from "../../lib/bpf/map_create.ts";
import type { BpfRingBuf } from "../../lib/bpf/map_ringbuf.ts";
import { BpfMapPool } from "../../lib/bpf/map_pool.ts";
import { EMBEDDED } from "../../lib/bpf/profile.ts";

const ring = (n = 4096) =>
  createBpfMap({ type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: n }) as BpfRingBuf;

Deno.test("BpfRingBuf holds back records after one still reserved, and skips discarded ones", () => {
  const rb = ring();
  const a = rb.reserve(5);
  const b = rb.reserve(3);
  rb.data.set([1, 2, 3], b);
  rb.commit(b, false);
  assert.deepEqual(rb.drain(), []); // a is still reserved
  rb.commit(a, true);
  assert.deepEqual(rb.drain(), [new Uint8Array([1, 2, 3])]);
  assert.equal(rb.size, 0);
  assert.throws(() => rb.commit(b, false), /not a reserved record/);
  assert.equal(rb.query(1), 4096);
});

Deno.test("BpfRingBuf refuses records that do not fit and wraps around the end", () => {
  const rb = ring();
  assert.equal(rb.reserve(4096), -1); // a record and its header do not fit
  // Records of 1000 bytes (1008 with the header): four fit, the fifth waits for the consumer.
  for (let round = 0; round < 5; round++) {
    for (let k = 0; k < 4; k++) {
      assert.equal(rb.output(new Uint8Array(1000).fill(round * 4 + k), 0, 1000), 0);
    }
    assert.equal(rb.output(new Uint8Array(1000), 0, 1000), -11); // -EAGAIN
    const got = rb.drain();
    assert.deepEqual(
      got.map((r) => [r.length, r[0], r[999]]),
      [0, 1, 2, 3].map((k) => [1000, round * 4 + k, round * 4 + k]),
    );
  }
});

Deno.test("BpfRingBuf gives back every submitted record in order (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.boolean(), fc.boolean())),
      (ops) => {
        const rb = ring();
        const want: number[] = [];
        let n = 0;
        for (const [size, discard, drain] of ops) {
          const at = rb.reserve(size);
          if (at >= 0) {
            rb.data.fill(n & 0xff, at, at + size);
            rb.commit(at, discard);
            if (!discard) want.push(size * 1000 + (n & 0xff));
            n++;
          }
          if (drain || at < 0) {
            for (const r of rb.drain()) {
              assert.equal(r.length * 1000 + (r[0] ?? (want[0] % 1000)), want.shift());
            }
          }
        }
        for (const r of rb.drain()) {
          assert.equal(r.length * 1000 + (r[0] ?? (want[0] % 1000)), want.shift());
        }
        assert.equal(want.length, 0);
      },
    ),
  );
});

Deno.test("ring buffers come from the embedded profile's pool and need a power-of-2 size", () => {
  const pool = new BpfMapPool(16384);
  createBpfMap({ type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 8192 }, {
    profile: EMBEDDED,
    pool,
  });
  assert.equal(pool.free, 8192);
  assert.throws(
    () => createBpfMap({ type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 6000 }),
    /power of 2 and a multiple of 4096/,
  );
});
