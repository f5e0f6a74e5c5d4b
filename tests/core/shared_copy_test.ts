import assert from "node:assert/strict";
import { sharedCopy } from "../../lib/core/shared_copy.ts";

Deno.test("sharedCopy copies a typed array of each kind into its own SharedArrayBuffer", () => {
  for (
    const a of [
      new Uint8Array([1, 2, 255]),
      new Uint16Array([1, 65535]),
      new Uint32Array([0, 4294967295]),
      new Int32Array([-1, 7]),
    ]
  ) {
    const c = sharedCopy(a);
    assert.equal(c.constructor, a.constructor);
    assert.ok(c.buffer instanceof SharedArrayBuffer);
    assert.deepEqual([...c], [...a]);
    a[0] = 9; // a copy, not a view
    assert.notEqual(c[0], 9);
  }
  // a view into a larger buffer copies only its own elements
  const big = new Uint8Array([5, 6, 7, 8]);
  assert.deepEqual([...sharedCopy(big.subarray(1, 3))], [6, 7]);
});
