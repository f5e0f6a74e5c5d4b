import assert from "node:assert/strict";
import fc from "fast-check";
import { ReplyJsonWriter } from "../../lib/ether/_reply_json.ts";
import { type MmdbValue, valueToJson } from "../../lib/format/mod.ts";

function write(value: unknown, maxBytes = 1 << 24, maxNodes = 1 << 20): string {
  const w = new ReplyJsonWriter(value, { maxBytes, maxNodes, headerRoom: 24, what: "test" });
  while (!w.step(performance.now() + 5));
  return new TextDecoder().decode(w.result().subarray(24));
}

const mmdbValue: fc.Arbitrary<MmdbValue> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.string({ unit: "binary" }),
    fc.double(),
    fc.integer(),
    fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }),
    fc.boolean(),
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: "binary" }), tie("value"), { maxKeys: 5 }),
  ),
})).value as fc.Arbitrary<MmdbValue>;

Deno.test("ReplyJsonWriter writes what valueToJson writes, for any decoded value", () => {
  fc.assert(
    fc.property(mmdbValue, (v) => {
      assert.equal(write(v), valueToJson(v));
    }),
    { numRuns: 300 },
  );
  assert.equal(write(null), "null");
  assert.equal(
    write({ n: 2n ** 64n - 1n, b: new Uint8Array([0, 255]) }),
    valueToJson({
      n: 2n ** 64n - 1n,
      b: new Uint8Array([0, 255]),
    }),
  );
});

Deno.test("ReplyJsonWriter stops at the byte and value budgets, and in time slices", () => {
  const shared = ["0123456789"];
  let v: unknown = shared;
  for (let i = 0; i < 5; i++) v = Array(16).fill(v); // 16^5 × 10 characters, from 6 arrays
  assert.throws(() => write(v, 1 << 24, 1 << 16), {
    code: "out-of-memory",
    message: /more than 65536 values/,
  });
  assert.throws(() => write(v, 1 << 20, 1 << 30), {
    code: "out-of-memory",
    message: /larger than 1048576 bytes/,
  });
  const w = new ReplyJsonWriter(v, {
    maxBytes: 1 << 20,
    maxNodes: 1 << 30,
    headerRoom: 0,
    what: "x",
  });
  assert.equal(w.step(performance.now() - 1), false, "a deadline already past stops at once");
  const grown: number[] = [];
  const counted = new ReplyJsonWriter(["a".repeat(5000)], {
    maxBytes: 1 << 20,
    maxNodes: 10,
    headerRoom: 24,
    grow: (n) => grown.push(n),
    what: "x",
  });
  assert.equal(counted.step(Infinity), true);
  assert.equal(grown.reduce((a, b) => a + b, 0), counted.capacity, "every byte held is counted");
});
