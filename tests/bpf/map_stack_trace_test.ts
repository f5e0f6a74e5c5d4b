import assert from "node:assert/strict";
import { createBpfMap } from "../../lib/bpf/map_create.ts";
import type { BpfStackTraceMap } from "../../lib/bpf/map_stack_trace.ts";
import { BPF_F } from "../../lib/bpf/map_types.ts";

Deno.test("stack trace maps: Linux's value sizes; get_stackid has no stack off-kernel", () => {
  const spec = { type: "stack_trace" as const, keySize: 4, valueSize: 8 * 127, maxEntries: 8 };
  const m = createBpfMap(spec) as BpfStackTraceMap;
  assert.equal(m.stackId(0x100 | 0x200 | 3), -14); // -EFAULT
  assert.equal(m.stackId(0x800), -22); // -EINVAL
  assert.throws(() => createBpfMap({ ...spec, valueSize: 12 }), /1-127 8-byte addresses, got 12/);
  assert.throws(() => createBpfMap({ ...spec, valueSize: 8 * 128 }), /got 1024/);
  assert.throws(() => createBpfMap({ ...spec, keySize: 8 }), /4-byte keys \(stack ids\)/);
  const ids = createBpfMap({ ...spec, valueSize: 64, flags: BPF_F.STACK_BUILD_ID });
  assert.equal(ids.valueSize, 64);
  assert.throws(
    () => createBpfMap({ ...spec, valueSize: 40, flags: BPF_F.STACK_BUILD_ID }),
    /32-byte build ids/,
  );
  assert.throws(() => m.update(new Uint8Array(4), new Uint8Array(8 * 127)), /errno 22/);
  assert.equal(m.delete(new Uint8Array(4)), false);
});
