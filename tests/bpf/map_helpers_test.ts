import assert from "node:assert/strict";
import fc from "fast-check";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import { HelperRegistry } from "../../lib/bpf/helpers.ts";
import { createBpfMap } from "../../lib/bpf/map_create.ts";
import { BpfMemory } from "../../lib/bpf/memory.ts";
import { lookupMaps, MAP_HANDLE_BASE, registerMapHelpers } from "../../lib/bpf/_map_helpers.ts";
import { fromBig, HI, toBig } from "../../lib/bpf/_u64.ts";

type Raw = { raw: (m: { lo: Int32Array; hi: Int32Array; memory: BpfMemory }) => void };

const newMaps = () => [
  createBpfMap({ type: "array", keySize: 4, valueSize: 8, maxEntries: 4 }),
  createBpfMap({ type: "hash", keySize: 2, valueSize: 4, maxEntries: 3 }),
];

const outcome = (f: () => bigint) => {
  try {
    return `value ${f()}`;
  } catch (e) {
    if (e instanceof BpfError) return `${e.code}: ${e.message}`;
    throw e;
  }
};

Deno.test("the map helpers' raw forms give the BigInt forms' results, errors and map states", () => {
  const region = 1n << 32n;
  const pointer = fc.oneof(
    fc.integer({ min: 0, max: 70 }).map((o) => region + BigInt(o)),
    fc.constantFrom(0n, 5n << 32n, (2n << 32n) + 1n, region - 1n),
  );
  const handle = fc.oneof(
    fc.integer({ min: 0, max: 2 }).map((fd) => MAP_HANDLE_BASE + BigInt(fd)),
    fc.constantFrom(0n, MAP_HANDLE_BASE - 1n, MAP_HANDLE_BASE + (1n << 32n)),
  );
  const call = fc.record({
    id: fc.integer({ min: 1, max: 3 }),
    r1: handle,
    r2: pointer,
    r3: pointer,
    flags: fc.integer({ min: -1, max: 3 }),
  });
  fc.assert(
    fc.property(
      fc.array(call, { minLength: 1, maxLength: 12 }),
      fc.uint8Array({ minLength: 64, maxLength: 64 }).map((b) => b.map((x) => x & 3)),
      (calls, bytes) => {
        const sides = [true, false].map((raw) => {
          const maps = newMaps();
          const registry = registerMapHelpers(new HelperRegistry(), maps);
          const memory = new BpfMemory(64);
          memory.stack.set(bytes);
          const out = calls.map(({ id, r1, r2, r3, flags }) => {
            const fn = registry.get(id)!;
            const r4 = BigInt.asUintN(64, BigInt(flags));
            return outcome(() => {
              if (!raw) return fn(r1, r2, r3, r4, 0n, { memory, stop() {} });
              const lo = new Int32Array(11), hi = new Int32Array(11);
              [0n, r1, r2, r3, r4].forEach((v, r) => {
                lo[r] = fromBig(v);
                hi[r] = HI[0];
              });
              (fn as unknown as Raw).raw({ lo, hi, memory });
              return toBig(lo[0], hi[0]);
            });
          });
          const state = maps.map((m) => [...m.entries()].map(([k, v]) => `${k}:${v}`).join(" "));
          return { out, state };
        });
        assert.deepEqual(sides[0], sides[1]);
      },
    ),
    { numRuns: 400 },
  );
  assert.ok(lookupMaps(registerMapHelpers(new HelperRegistry(), [])) !== undefined);
  assert.equal(lookupMaps(new HelperRegistry().register(1, "other", () => 0n)), undefined);
});
