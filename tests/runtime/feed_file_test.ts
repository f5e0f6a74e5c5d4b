import assert from "node:assert/strict";
import fc from "fast-check";
import { parseFeed } from "../../lib/db/mod.ts";
import { readFeed, streamFeed, streamFeedBatches } from "../../lib/runtime/mod.ts";

const TESTDATA = new URL("../../testdata/", import.meta.url).pathname;

Deno.test("readFeed() reads every sample in testdata/, gzip and all", async () => {
  const counts: Record<string, number> = {};
  for (const name of ["ioc_sample.csv", "sample.json", "sample.jsonl", "sample.txt"]) {
    counts[name] = [...await readFeed(TESTDATA + name)].length;
  }
  assert.deepEqual(counts, {
    "ioc_sample.csv": 10,
    "sample.json": 3,
    "sample.jsonl": 3,
    "sample.txt": 3,
  });
  const gz = await Deno.makeTempFile({ suffix: ".jsonl.gz" });
  const raw = await Deno.readFile(TESTDATA + "sample.jsonl");
  const packed = await new Response(
    new Blob([raw]).stream().pipeThrough(new CompressionStream("gzip")),
  ).bytes();
  await Deno.writeFile(gz, packed);
  const rows = [...await readFeed(gz)];
  assert.deepEqual(rows.map((r) => r.entry), [
    "203.0.113.0/24",
    "203.0.113.9",
    "198.18.0.0/15",
  ]);
  await Deno.remove(gz);
  const bad = await Deno.makeTempFile({ suffix: ".txt" });
  await Deno.writeFile(bad, new Uint8Array([0x31, 0x0a, 0xc3, 0x28]));
  await assert.rejects(() => readFeed(bad), /:2: Input is not valid UTF-8/);
  await Deno.remove(bad);
});

Deno.test("streamFeed() in small blocks yields what parseFeed() yields on the whole file", async () => {
  const cell = fc.oneof(
    fc.constantFrom(
      "",
      "x",
      "007",
      "1.5",
      "true",
      "a,b",
      'say "hi"',
      "two\nlines",
      "# not a comment",
    ),
    fc.string({ maxLength: 6 }).filter((s) => !s.includes("\r")),
  );
  const csvText = fc.tuple(
    fc.array(fc.tuple(fc.ipV4(), cell, cell), { maxLength: 25 }),
    fc.array(fc.nat(30), { maxLength: 4 }),
  ).map(([rows, comments]) => {
    const q = (s: string) => /[",\n#]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
    const lines = ["# feed", "", "entry,a,b", ...rows.map(([ip, a, b]) => `${ip},${q(a)},${q(b)}`)];
    for (const c of comments) lines.splice(Math.min(3 + c, lines.length), 0, '# comment "odd');
    return lines.join("\n") + "\n";
  });
  const dir = await Deno.makeTempDir();
  try {
    await fc.assert(
      fc.asyncProperty(
        csvText,
        fc.array(fc.ipV6(), { maxLength: 10 }),
        fc.integer({ min: 1, max: 40 }),
        async (csv, v6, blockSize) => {
          const jsonl = v6.map((ip, i) => JSON.stringify({ entry: ip, data: { i } })).join("\n");
          const text = v6.map((ip) => `${ip} # c`).join("\n");
          for (const [name, content] of [["f.csv", csv], ["f.jsonl", jsonl], ["f.txt", text]]) {
            await Deno.writeTextFile(`${dir}/${name}`, content);
            const want = [...parseFeed(content, `${dir}/${name}`)];
            const got = await Array.fromAsync(streamFeed(`${dir}/${name}`, { blockSize }));
            assert.deepEqual(got, want, name);
          }
        },
      ),
      { numRuns: 60 },
    );
    // gzip content, found by its magic bytes under a plain name, and errors keep their lines.
    const gz = await new Response(
      new Blob([new TextEncoder().encode("entry\n10.0.0.1\n10.0.0.2\n")]).stream()
        .pipeThrough(new CompressionStream("gzip")),
    ).bytes();
    await Deno.writeFile(`${dir}/packed.csv`, gz);
    const rows = await Array.fromAsync(streamFeed(`${dir}/packed.csv`, { blockSize: 4 }));
    assert.deepEqual(rows.map((r) => [r.entry, r.line]), [["10.0.0.1", 2], ["10.0.0.2", 3]]);
    await Deno.writeTextFile(`${dir}/bad.csv`, "entry,a\n" + "10.0.0.1,x\n".repeat(50) + "1,2,3\n");
    await assert.rejects(
      () => Array.fromAsync(streamFeed(`${dir}/bad.csv`, { blockSize: 16 })),
      /bad\.csv:52: Row has 3 cells/,
    );
    await assert.rejects(
      () => Array.fromAsync(streamFeed(`${dir}/missing.csv`)),
      /Cannot read ".*missing\.csv"/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("streamFeedBatches() gives streamFeed()'s records in arrays, those before an error first", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rows = ["entry,n"];
    for (let i = 0; i < 70_000; i++) {
      rows.push(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255},${i}`);
    }
    await Deno.writeTextFile(`${dir}/big.csv`, rows.join("\n") + "\n");
    const flat = await Array.fromAsync(streamFeed(`${dir}/big.csv`, { blockSize: 1 << 16 }));
    const batches = await Array.fromAsync(
      streamFeedBatches(`${dir}/big.csv`, { blockSize: 1 << 16 }),
    );
    assert.ok(batches.length > 1);
    assert.deepEqual(batches.flat(), flat);
    assert.equal(flat.length, 70_000);
    await Deno.writeTextFile(`${dir}/bad.csv`, "entry,n\n10.0.0.1,1\n10.0.0.2,2\n10.0.0.3\n");
    const seen: string[] = [];
    await assert.rejects(async () => {
      for await (const b of streamFeedBatches(`${dir}/bad.csv`)) {
        for (const r of b) seen.push(r.entry);
      }
    }, /cells/);
    assert.deepEqual(seen, ["10.0.0.1", "10.0.0.2"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
