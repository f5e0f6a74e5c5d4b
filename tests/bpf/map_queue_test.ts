import assert from "node:assert/strict";
import { createBpfMap } from "../../lib/bpf/map_create.ts";
import type { BpfQueueMap } from "../../lib/bpf/map_queue.ts";
import { BPF_EXIST } from "../../lib/bpf/map_update_flags.ts";
import { BPF_MAP_ERRNO } from "../../lib/bpf/map_errno.ts";

const u8 = (n: number) => new Uint8Array([n]);

Deno.test("queue maps are first in, first out; stack maps last in, first out", () => {
  for (const type of ["queue", "stack"] as const) {
    const m = createBpfMap({ type, keySize: 0, valueSize: 1, maxEntries: 3 }) as BpfQueueMap;
    m.push(u8(1));
    m.push(u8(2));
    m.push(u8(3));
    assert.throws(() => m.push(u8(4)), /full/);
    assert.equal(m.pushErrno(u8(4), 0, 0), -BPF_MAP_ERRNO.E2BIG);
    m.push(u8(4), BPF_EXIST); // drops the oldest (1)
    assert.equal(m.size, 3);
    const order = [m.pop()![0], m.peek()![0], m.pop()![0], m.pop()![0]];
    assert.deepEqual(order, type === "queue" ? [2, 3, 3, 4] : [4, 3, 3, 2]);
    assert.equal(m.pop(), null);
    assert.equal(m.popErrno(new Uint8Array(1), 0, false), -BPF_MAP_ERRNO.ENOENT);
    assert.equal(m.pushErrno(u8(1), 0, 7), -BPF_MAP_ERRNO.EINVAL);
    assert.equal(m.lookup(new Uint8Array(0)), null); // no keys
  }
  assert.throws(
    () => createBpfMap({ type: "queue", keySize: 4, valueSize: 1, maxEntries: 3 }),
    /queue maps have no key/,
  );
});
