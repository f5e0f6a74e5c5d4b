import assert from "node:assert/strict";
import fc from "fast-check";
import { formatRecord } from "../../lib/pcap/record_format.ts";

Deno.test("formatRecord() quotes CSV cells that need it and drops nulls from JSON", () => {
  assert.equal(formatRecord(["a", "b", "c"], ['say "hi"', null, 3], "csv"), '"say ""hi""",,3\n');
  assert.equal(formatRecord(["a", "b", "c"], ["x", null, 3], "jsonl"), '{"a":"x","c":3}\n');
  assert.equal(formatRecord(["a", "b"], ["x", null], "text"), "x\t-\n");
});

Deno.test("formatRecord() JSON Lines parse back to the same values (property)", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), fc.double(), fc.boolean(), (a, n, b) => {
      const line = formatRecord(["a", 'b"q', "c"], [a, n, b], "jsonl");
      const want = Number.isFinite(n) ? (Object.is(n, -0) ? 0 : n) : null;
      assert.deepEqual(JSON.parse(line), { a, 'b"q': want, c: b });
    }),
    { numRuns: 1000 },
  );
});
