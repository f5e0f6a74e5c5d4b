import assert from "node:assert/strict";
import fc from "fast-check";
import { MAX_RANGE, MIN_RANGE, planRanges, rangeSize } from "../../cli/commands/_match_pool.ts";

Deno.test("rangeSize() shrinks with what is left, within its bounds", () => {
  assert.equal(rangeSize(1e12, 2), MAX_RANGE);
  assert.equal(rangeSize(64 << 20, 2), 8 << 20);
  assert.equal(rangeSize(100, 2), MIN_RANGE);
  let last = Infinity;
  for (let left = 400 << 20; left > 0; left -= rangeSize(left, 3)) {
    const size = rangeSize(left, 3);
    assert.ok(size <= last && size >= MIN_RANGE && size <= MAX_RANGE);
    last = size;
  }
});

Deno.test("planRanges() cuts files into line-aligned ranges covering every byte once", async () => {
  const dir = await Deno.makeTempDir();
  let split = 0;
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            lines: fc.nat(3000),
            length: fc.integer({ min: 1, max: 2000 }),
            newlineAtEnd: fc.boolean(),
            seed: fc.nat(),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        fc.integer({ min: 2, max: 4 }),
        async (specs, threads) => {
          const files: { path: string; size: number; bytes: Uint8Array }[] = [];
          for (let k = 0; k < specs.length; k++) {
            const { lines, length, newlineAtEnd, seed } = specs[k];
            // lines of varied lengths, up to `length` bytes
            const parts: string[] = [];
            for (let i = 0; i < lines; i++) {
              parts.push("x".repeat(1 + (seed + i * 7919) % length));
            }
            const text = parts.join("\n") + (newlineAtEnd && lines > 0 ? "\n" : "");
            const path = `${dir}/f${k}.log`;
            await Deno.writeTextFile(path, text);
            files.push({ path, size: text.length, bytes: new TextEncoder().encode(text) });
          }
          const plan = await planRanges(files, threads);
          assert.equal(plan.first.length, files.length + 1);
          assert.equal(plan.first.at(-1), plan.ranges.length / 3);
          for (let k = 0; k < files.length; k++) {
            const { size, bytes } = files[k];
            let at = 0;
            for (let j = plan.first[k]; j < plan.first[k + 1]; j++) {
              const [file, start, end] = plan.ranges.subarray(3 * j, 3 * j + 3);
              assert.equal(file, k);
              assert.equal(start, at);
              assert.ok(end > start);
              // a range ends after a newline, or at the end of its file
              assert.ok(end === size || bytes[end - 1] === 10, `range ${j} ends mid-line`);
              at = end;
            }
            assert.equal(at, size);
            if (plan.first[k + 1] - plan.first[k] > 1) split++;
          }
        },
      ),
      { numRuns: 15 },
    );
    assert.ok(split > 0, "no file was split");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
