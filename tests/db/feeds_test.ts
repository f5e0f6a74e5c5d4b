import assert from "node:assert/strict";
import fc from "fast-check";
import { parseCsvFeed } from "../../lib/db/feeds/csv.ts";
import { parseJsonFeed, parseJsonLinesFeed } from "../../lib/db/feeds/json.ts";
import { parseTextFeed } from "../../lib/db/feeds/text.ts";
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
import { decodeFeedText } from "../../lib/db/feeds/feed.ts";

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

Deno.test("decodeFeedText() decodes feed bytes as UTF-8, reporting the line of the first invalid byte", () => {
  assert.equal(decodeFeedText(new Uint8Array([104, 105]), "x"), "hi");
  assert.throws(
    () => decodeFeedText(new Uint8Array([10, 0xff]), "x"),
    /x:2: Input is not valid UTF-8/,
  );
});

Deno.test("parseCsvFeed() parses a CSV feed", () => {
  const rows = [...parseCsvFeed("entry,zip,score\n1.2.3.4,02134,7\n", { file: "a.csv" })];
  assert.deepEqual(rows, [
    { entry: "1.2.3.4", data: { zip: "02134", score: 7 }, file: "a.csv", line: 2 },
  ]);
});

Deno.test("parseJsonFeed() parses a JSON feed", () => {
  const text = '[\n {"entry": "10.0.0.0/8", "data": {"n": 18446744073709551615}}\n]';
  const [r] = [...parseJsonFeed(text, { file: "a.json" })];
  assert.equal(r.line, 2);
  assert.deepEqual(r.data, { n: 18446744073709551615n });
});

Deno.test("parseJsonLinesFeed() parses a JSON Lines feed", () => {
  const rows = [...parseJsonLinesFeed('{"entry":"::1","tag":"lo"}\n\n"10.0.0.1"\n')];
  assert.deepEqual(rows.map((r) => [r.entry, r.line]), [["::1", 1], ["10.0.0.1", 3]]);
  assert.deepEqual(rows[0].data, { tag: "lo" });
});

Deno.test("parseTextFeed() parses a plain-text feed", () => {
  const rows = [...parseTextFeed("# bad hosts\n10.0.0.1  # seen twice\n\n2001:db8::/32\n")];
  assert.deepEqual(rows.map((r) => [r.entry, r.line]), [["10.0.0.1", 2], ["2001:db8::/32", 4]]);
});

Deno.test("parseJsonLinesFeed() with shareData gives the records and errors it gives without", () => {
  const entries = fc.constantFrom(
    '"1.2.3.4"',
    '"literal:a.example"',
    '"a\\"b"',
    '"tab\tin"',
    '""',
    "7",
    '"glob:*.x"',
  );
  const members = fc.constantFrom(
    '"threat":"c2"',
    '"score":7',
    '"score":1.0',
    '"n":null',
    '"big":123456789012345678',
    '"nested":{"a":[1,2,null]}',
    '"entry":"9.9.9.9"',
    '"key":"k"',
    '"data":{"x":1}',
    '"$types":{"score":"uint16"}',
    '"__proto__":{"p":1}',
    '"t":{"$type":"uint32","value":5}',
    '"bad":}',
    '"s":"\\u00e9"',
    "",
    ' "sp":1',
  );
  const line = fc.tuple(entries, fc.array(members, { maxLength: 3 }), fc.boolean()).map(
    ([e, ms, spaced]) =>
      `{${spaced ? '"entry": ' : '"entry":'}${e}${ms.map((m) => `,${m}`).join("")}}`,
  );
  const run = (text: string, shareData: boolean) => {
    const errors: string[] = [];
    const records = [
      ...parseJsonLinesFeed(text, {
        file: "f",
        shareData,
        onInvalid: (e) => errors.push(e.message),
      }),
    ];
    return { records, errors };
  };
  fc.assert(
    fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
      // Every line twice, so that repeated data texts meet the shared objects.
      const text = [...lines, ...lines].join("\n") + "\n";
      assert.deepEqual(run(text, true), run(text, false));
    }),
    { numRuns: 500 },
  );
  // Equal data texts share one frozen object.
  const { records } = run('{"entry":"1.2.3.4","t":"x"}\n{"entry":"::1","t":"x"}\n', true);
  assert.equal(records[0].data, records[1].data);
  assert.ok(Object.isFrozen(records[0].data));
  assert.deepEqual(records.map((r) => [r.entry, r.line]), [["1.2.3.4", 1], ["::1", 2]]);
});
