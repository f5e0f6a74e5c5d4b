import assert from "node:assert/strict";
import fc from "fast-check";
import {
  parseCsvFeed,
  parseJsonFeed,
  parseJsonLinesFeed,
  parseTextFeed,
  readFeed,
  streamFeed,
  streamFeedBatches,
} from "../../lib/db/feeds/mod.ts";
import {
  DatabaseError,
  feedFormatOf,
  parseFeed,
  sniffFeedFormat,
  typed,
  TypedValue,
} from "../../lib/db/mod.ts";
import { parseJsonValue } from "../../lib/db/feeds/_record.ts";
import { encodeValue } from "../../lib/format/data_writer.ts";

const TESTDATA = new URL("../../testdata/", import.meta.url).pathname;

function errorAt(fn: () => unknown, line: number, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DatabaseError, String(e));
    assert.equal(e.line, line, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("parseCsvFeed() infers numbers and booleans but keeps zip codes and odd numbers as text", () => {
  const text = "entry,zip,n,f,flag,v,big,neg,empty\n" +
    "1.2.3.4,02134,42,1.5,true,1.10,18446744073709551615,-7,\n";
  const [r] = [...parseCsvFeed(text, { file: "a.csv" })];
  assert.deepEqual(r, {
    entry: "1.2.3.4",
    data: {
      zip: "02134",
      n: 42,
      f: 1.5,
      flag: true,
      v: "1.10",
      big: 18446744073709551615n,
      neg: -7,
    },
    file: "a.csv",
    line: 2,
  });
});

Deno.test("parseCsvFeed() reads quotes, comments, CRLF and the key alias with the right lines", () => {
  const text =
    '# comment\r\nKey,note\r\n10.0.0.1,"a, ""quoted""\nmulti-line"\r\n\r\n10.0.0.2,plain\r\n';
  const rows = [...parseCsvFeed(text)];
  assert.deepEqual(rows.map((r) => [r.entry, r.data, r.line]), [
    ["10.0.0.1", { note: 'a, "quoted"\nmulti-line' }, 3],
    ["10.0.0.2", { note: "plain" }, 6],
  ]);
});

Deno.test("parseCsvFeed() forces column types from name:type headers", () => {
  const text = 'entry,asn:string,w:float,c:uint32,j:json,b:bool\n1.2.3.4,64500,0.5,7,"[1,2]",1\n';
  const [r] = [...parseCsvFeed(text)];
  const d = r.data as Record<string, unknown>;
  assert.equal(d.asn, "64500");
  assert.ok(d.w instanceof TypedValue && d.w.type === "float");
  assert.ok(d.c instanceof TypedValue && d.c.type === "uint32");
  assert.deepEqual(d.j, [1, 2]);
  assert.equal(d.b, true);
  assert.deepEqual([...encodeValue(d.c as TypedValue)], [0xc1, 7]);
  errorAt(
    () => [...parseCsvFeed("entry,c:uint16\n1.2.3.4,x\n", { file: "t.csv" })],
    2,
    /t\.csv:2: Column "c"/,
  );
});

Deno.test("parseCsvFeed() reports bad rows with file and line", () => {
  errorAt(() => [...parseCsvFeed("ip,x\n1.2.3.4,1\n", { file: "h.csv" })], 1, /no "entry"/);
  errorAt(
    () => [...parseCsvFeed("entry,x\n1.2.3.4,1\n1.2.3.5\n", { file: "r.csv" })],
    3,
    /1 cells/,
  );
  errorAt(() => [...parseCsvFeed('entry,x\n1.2.3.4,"open\n')], 2, /not closed/);
  errorAt(() => [...parseCsvFeed('entry,x\n1.2.3.4,ab"c\n')], 2, /Quote inside/);
  errorAt(() => [...parseCsvFeed("")], 1, /no header/);
});

Deno.test("parseJsonFeed() keeps big integers exact and knows each record's line", () => {
  const text = `[
    {"entry": "10.0.0.0/8", "data": {"u64": 18446744073709551615, "u128": 340282366920938463463374607431768211455}},
    {"key": "10.1.0.0/16", "tag": "x", "d": 2.0, "gone": null},
    "10.2.0.0/16"
  ]`;
  const rows = [...parseJsonFeed(text, { file: "a.json" })];
  assert.deepEqual(rows.map((r) => r.line), [2, 3, 4]);
  assert.deepEqual(rows[0].data, {
    u64: 18446744073709551615n,
    u128: 340282366920938463463374607431768211455n,
  });
  const d = rows[1].data as Record<string, unknown>;
  assert.equal(d.tag, "x");
  assert.ok(d.d instanceof TypedValue && d.d.type === "double" && d.d.value === 2);
  assert.equal("gone" in d, false);
  assert.deepEqual(rows[2].data, {});
  const obj = [...parseJsonFeed('{\n"1.2.3.4": {"a": 1},\n"::1": {"b": 2}\n}')];
  assert.deepEqual(obj.map((r) => [r.entry, r.data, r.line]), [
    ["1.2.3.4", { a: 1 }, 2],
    ["::1", { b: 2 }, 3],
  ]);
});

Deno.test("parseJsonFeed() reports syntax errors at the record's line", () => {
  errorAt(
    () => [...parseJsonFeed('[\n{"entry": "1.2.3.4"},\n{"entry": 5}\n]', { file: "j" })],
    3,
    /j:3:.*must be a string/,
  );
  errorAt(
    () => [...parseJsonFeed('[\n{"entry": "1.2.3.4"},\n{"entry": "x",}\n]')],
    3,
    /Invalid JSON/,
  );
  errorAt(() => [...parseJsonFeed('[\n{"data": {}}\n]')], 2, /no "entry"/);
  errorAt(() => [...parseJsonFeed('[{"entry": "a"}] x')], 1, /after the end/);
  errorAt(() => [...parseJsonFeed("42")], 1, /array of records/);
});

Deno.test("parseJsonLinesFeed() and parseTextFeed() number lines from 1, skipping blanks", () => {
  const jl = [...parseJsonLinesFeed('\n{"entry":"1.2.3.4","data":{"n":1}}\n\n"5.6.7.8"\n')];
  assert.deepEqual(jl.map((r) => [r.entry, r.line]), [["1.2.3.4", 2], ["5.6.7.8", 4]]);
  errorAt(() => [...parseJsonLinesFeed('"ok"\n{bad\n', { file: "l" })], 2, /l:2: Invalid JSON/);
  const txt = [...parseTextFeed("a#b\n  # c\n\tglob:*.x # tail\n")];
  assert.deepEqual(txt.map((r) => [r.entry, r.line]), [["a#b", 1], ["glob:*.x", 3]]);
});

Deno.test("feedFormatOf() and sniffFeedFormat() pick the format", () => {
  assert.equal(feedFormatOf("x.CSV"), "csv");
  assert.equal(feedFormatOf("x.ndjson"), "jsonl");
  assert.equal(feedFormatOf("x.json.gz"), "json");
  assert.equal(feedFormatOf("x.txt"), "text");
  assert.equal(feedFormatOf("x.dat"), null);
  assert.equal(sniffFeedFormat('[{"entry":"a"}]'), "json");
  assert.equal(sniffFeedFormat('{\n "1.2.3.4": {}\n}'), "json");
  assert.equal(sniffFeedFormat('{"entry":"a"}\n{"entry":"b"}'), "jsonl");
  assert.equal(sniffFeedFormat("entry\tscore\n1.2.3.4\t1\n"), "tsv");
  assert.equal(sniffFeedFormat("# list\n1.2.3.4\n"), "text");
});

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

Deno.test("parseFeed() JSON output of exported values reads back to the same values", () => {
  const scalar = fc.oneof(
    fc.string(),
    fc.integer({ min: -(2 ** 31), max: 2 ** 53 - 1 }),
    fc.bigInt({ min: 2n ** 53n, max: 2n ** 128n - 1n }),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)),
    fc.boolean(),
  );
  fc.assert(
    fc.property(fc.dictionary(fc.string({ minLength: 1 }), scalar, { maxKeys: 6 }), (data) => {
      const text = JSON.stringify(
        { entry: "1.2.3.4", data },
        (_k, v) => typeof v === "bigint" ? `\u0000${v}\u0000` : v,
      ).replace(/"\\u0000(\d+)\\u0000"/g, "$1");
      const [r] = [...parseFeed(text + "\n", "x.jsonl")];
      assert.deepEqual(r.data, data);
    }),
    { numRuns: 200 },
  );
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

Deno.test("parseJsonValue() reads every JSON text as the exact-number reviver does", () => {
  // The reference: always through the reviver (exact integers, doubles kept, null members dropped).
  const reference = (text: string) =>
    JSON.parse(text, function (this: unknown, key, value, context?: { source?: string }) {
      if (typeof value === "number") {
        const src = context!.source!;
        if (/[.eE]/.test(src)) return Number.isInteger(value) ? typed("double", value) : value;
        if (!Number.isSafeInteger(value)) return BigInt(src);
        return value;
      }
      if (value === null && key !== "" && !Array.isArray(this)) return undefined;
      return value;
    });
  const numbers = fc.oneof(
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }).map((b) => b.toString()),
    fc.constantFrom(
      "1.0",
      "2e3",
      "-0",
      "123456789012345",
      "1234567890123456",
      '"a\\\\"',
      '"\\"n1.5"',
    ),
  );
  const texts = fc.oneof(
    fc.json(),
    fc.array(numbers).map((a) => `[${a.join(",")}]`),
    fc.dictionary(fc.string(), fc.oneof(numbers, fc.constant("null"), fc.constant('"x\\"1e5"')))
      .map((d) => `{${Object.entries(d).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`),
  );
  fc.assert(
    fc.property(texts, (text) => {
      assert.deepEqual(parseJsonValue(text), reference(text));
    }),
    { numRuns: 2000 },
  );
});
