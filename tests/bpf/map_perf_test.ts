import assert from "node:assert/strict";
import { createBpfMap } from "../../lib/bpf/map_create.ts";
import type { BpfPerfEventArray } from "../../lib/bpf/map_perf.ts";
import { BPF_MAP_ERRNO } from "../../lib/bpf/map_errno.ts";

Deno.test("perf event arrays keep records by index up to their capacity, then count losses", () => {
  const m = createBpfMap({
    type: "perf_event_array",
    keySize: 4,
    valueSize: 4,
    maxEntries: 2,
  }) as BpfPerfEventArray;
  m.capacity = 2;
  assert.equal(m.outputErrno(1, new Uint8Array([1, 2]), 1, 1), 0);
  assert.equal(m.outputErrno(0xffffffff, new Uint8Array([3]), 0, 1), 0); // the current CPU: 0
  assert.equal(m.outputErrno(0, new Uint8Array([4]), 0, 1), -28);
  assert.equal(m.outputErrno(2, new Uint8Array([4]), 0, 1), -BPF_MAP_ERRNO.E2BIG);
  assert.equal(m.lost, 1);
  assert.deepEqual(m.drain(), [{ index: 1, data: new Uint8Array([2]) }, {
    index: 0,
    data: new Uint8Array([3]),
  }]);
  assert.deepEqual(m.drain(), []);
});
