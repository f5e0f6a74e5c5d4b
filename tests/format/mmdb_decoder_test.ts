import assert from "node:assert/strict";
import fc from "fast-check";
import { FormatError } from "../../lib/format/format_error.ts";
import { MmdbDecoder, MmdbType } from "../../lib/format/mmdb_decoder.ts";
import { type MmdbValue, valueToJson } from "../../lib/format/value.ts";
import { DataSectionWriter, encodeValue, typed } from "../../lib/format/data_writer.ts";
import { fixture } from "../_fixtures.ts";

const dec = (bytes: number[]): MmdbValue => new MmdbDecoder(new Uint8Array(bytes)).decode(0);

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FormatError, `expected FormatError, got ${err}`);
    return err.code;
  }
  return "no error";
}

Deno.test("MmdbDecoder.decode() reads every MaxMind DB data type", () => {
  assert.equal(dec([0x42, 0x68, 0x69]), "hi");
  assert.equal(dec([0x40]), "");
  const dbl = new Uint8Array(8);
  new DataView(dbl.buffer).setFloat64(0, 42.123456);
  assert.equal(dec([0x68, ...dbl]), 42.123456);
  assert.deepEqual(dec([0x84, 0, 0, 0, 42]), new Uint8Array([0, 0, 0, 42]));
  assert.equal(dec([0xa0]), 0);
  assert.equal(dec([0xa2, 0xff, 0xff]), 65535);
  assert.equal(dec([0xc4, 0xff, 0xff, 0xff, 0xff]), 4294967295);
  assert.equal(dec([0x04, 0x01, 0xff, 0xff, 0xff, 0xff]), -1); // int32, 4 bytes
  assert.equal(dec([0x03, 0x01, 0xff, 0xff, 0xff]), 0xffffff); // int32, 3 bytes: positive
  assert.equal(dec([0x00, 0x02]), 0n); // uint64 size 0
  assert.equal(dec([0x08, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 2n ** 64n - 1n);
  assert.equal(dec([0x07, 0x02, 1, 0, 0, 0, 0, 0, 0]), 2n ** 48n);
  assert.equal(dec([0x10, 0x03, ...new Array(16).fill(0xff)]), 2n ** 128n - 1n);
  assert.equal(dec([0x05, 0x03, 1, 0, 0, 0, 0]), 2n ** 32n);
  assert.deepEqual(dec([0x03, 0x04, 0xa1, 1, 0xa1, 2, 0x40]), [1, 2, ""]);
  assert.equal(dec([0x01, 0x07]), true);
  assert.equal(dec([0x00, 0x07]), false);
  assert.equal(dec([0x04, 0x08, 0x3f, 0x80, 0, 0]), 1);
  assert.deepEqual(dec([0xe2, 0x41, 0x61, 0xa1, 1, 0x41, 0x62, 0xe0]), { a: 1, b: {} });
});

Deno.test("MmdbDecoder.decode() reads the long size forms (29, 30, 31)", () => {
  for (const n of [28, 29, 284, 285, 65820, 65821, 70000]) {
    const v = "x".repeat(n);
    const enc = encodeValue(v);
    assert.equal(new MmdbDecoder(enc).decode(0), v, `length ${n}`);
  }
  assert.equal(dec([0x5d, 0x00, ...new Array(29).fill(0x61)]), "a".repeat(29));
});

Deno.test("MmdbDecoder.decode() follows pointers of all four sizes", () => {
  // Layout: a string at each target; pointers at the start.
  const targets = [100, 3000, 600_000, 700_000];
  const bytes = new Uint8Array(700_010);
  const ptrs = [
    [0x20 | (100 >> 8), 100 & 255],
    [0x28 | ((3000 - 2048) >> 16), ((3000 - 2048) >> 8) & 255, (3000 - 2048) & 255],
    [
      0x30 | ((600_000 - 526336) >>> 24),
      ((600_000 - 526336) >> 16) & 255,
      ((600_000 - 526336) >> 8) & 255,
      (600_000 - 526336) & 255,
    ],
    [0x38, 0, (700_000 >> 16) & 255, (700_000 >> 8) & 255, 700_000 & 255],
  ];
  let at = 0;
  const starts: number[] = [];
  for (const p of ptrs) {
    starts.push(at);
    bytes.set(p, at);
    at += p.length;
  }
  targets.forEach((t, i) => bytes.set([0x41, 0x61 + i], t));
  const d = new MmdbDecoder(bytes);
  assert.deepEqual(starts.map((s) => d.decode(s)), ["a", "b", "c", "d"]);
  assert.deepEqual(starts.map((s) => d.skip(s) - s), [2, 3, 4, 5]);
  assert.equal(d.typeAt(starts[0]), MmdbType.pointer);
});

Deno.test("MmdbDecoder resolves map keys given as pointers and reuses them", () => {
  // 0: "key" string; 4: map {ptr->0: 1}; 9: map {ptr->0: 2}
  const bytes = [
    0x43,
    0x6b,
    0x65,
    0x79,
    0xe1,
    0x20,
    0x00,
    0xa1,
    0x01,
    0xe1,
    0x20,
    0x00,
    0xa1,
    0x02,
  ];
  const d = new MmdbDecoder(new Uint8Array(bytes));
  assert.deepEqual(d.decode(4), { key: 1 });
  assert.deepEqual(d.decode(9), { key: 2 });
});

Deno.test("MmdbDecoder rejects corrupt data with a FormatError code and offset", () => {
  const cases: [number[], string][] = [
    [[0x42, 0x68], "out-of-bounds"], // string runs past the end
    [[0x5d], "out-of-bounds"], // size byte missing
    [[0x00], "out-of-bounds"], // extended type byte missing
    [[0x00, 0x09], "bad-type"], // type 16
    [[0x00, 0x05], "bad-type"], // data cache container as a value
    [[0x00, 0x06], "bad-type"], // end marker as a value
    [[0x67, 0, 0, 0, 0, 0, 0, 0], "bad-size"], // double of 7 bytes
    [[0x03, 0x08, 0, 0, 0], "bad-size"], // float of 3 bytes
    [[0xa3, 0, 0, 0], "bad-size"], // uint16 of 3 bytes
    [[0xc5, 0, 0, 0, 0, 0], "bad-size"], // uint32 of 5 bytes
    [[0x09, 0x02, ...new Array(9).fill(0)], "bad-size"], // uint64 of 9 bytes
    [[0x11, 0x03, ...new Array(17).fill(0)], "bad-size"], // uint128 of 17 bytes
    [[0x02, 0x07], "bad-size"], // boolean of size 2
    [[0xfd, 0xff, 0x41, 0x61], "bad-size"], // map of 284 pairs in 2 bytes
    [[0x1f, 0x04, 0xff, 0xff, 0xff], "bad-size"], // array of 16 million items
    [[0xe1, 0xa1, 0x01, 0xa1, 0x01], "bad-type"], // map key is a uint16
    [[0x42, 0xc3, 0x28], "bad-utf8"],
    [[0xe1, 0x42, 0xff, 0xfe, 0xa0], "bad-utf8"], // bad UTF-8 in a key
    [[0x20, 0x05], "bad-pointer"], // pointer past the end
    [[0x20, 0x02, 0x20, 0x00], "bad-pointer"], // pointer to a pointer
    [[0xe1, 0x41, 0x61, 0x20, 0x00], "cycle"], // map containing a pointer to itself
    [[0x21], "out-of-bounds"], // truncated pointer
  ];
  for (const [bytes, want] of cases) {
    assert.equal(code(() => dec(bytes)), want, JSON.stringify(bytes));
  }
  const err = (() => {
    try {
      new MmdbDecoder(new Uint8Array([0, 0, 0, 0x42, 0x68]), { start: 3 }).decode(0);
    } catch (e) {
      return e as FormatError;
    }
    return null;
  })();
  assert.equal(err?.offset, 3, "offsets in errors count from the start of the bytes");
  assert.equal(code(() => new MmdbDecoder(new Uint8Array([0x40])).decode(1)), "bad-pointer");
  assert.equal(code(() => new MmdbDecoder(new Uint8Array([0x40])).decode(-1)), "bad-pointer");
});

Deno.test("MmdbDecoder stops absurd nesting with too-deep", () => {
  const deep = new Array(600).fill([0x01, 0x04]).flat(); // 600 nested one-item arrays
  deep.push(0xa0);
  assert.equal(code(() => dec(deep)), "too-deep");
  const ok = new Array(100).fill([0x01, 0x04]).flat();
  ok.push(0xa0);
  let v = dec(ok);
  for (let i = 0; i < 100; i++) v = (v as MmdbValue[])[0];
  assert.equal(v, 0);
  assert.equal(
    code(() => new MmdbDecoder(new Uint8Array(ok), { maxDepth: 50 }).decode(0)),
    "too-deep",
  );
});

Deno.test("MmdbDecoder counts the nesting of shared values reused across calls", () => {
  // T: 400 nested one-item arrays around 0. S: [pointer to T]. R: 400 nested arrays around a
  // pointer to T.
  const t = [...new Array(400).fill([0x01, 0x04]).flat(), 0xa0];
  const sStart = t.length;
  const s = [0x01, 0x04, 0x20, 0x00];
  const rStart = sStart + s.length;
  const r = [...new Array(400).fill([0x01, 0x04]).flat(), 0x20, 0x00];
  const bytes = new Uint8Array([...t, ...s, ...r]);
  const d = new MmdbDecoder(bytes);
  let v = d.decode(sStart); // decodes T through a pointer: T is now shared
  for (let i = 0; i < 401; i++) v = (v as MmdbValue[])[0];
  assert.equal(v, 0);
  // R would nest 800 deep through the shared T: refused, as a fresh decoder refuses it.
  assert.equal(code(() => d.decode(rStart)), "too-deep");
  assert.equal(code(() => new MmdbDecoder(bytes).decode(rStart)), "too-deep");
  // Shallow reuse of the shared value is fine.
  assert.ok(Array.isArray(d.decode(sStart)));
});

Deno.test("MmdbDecoder decodes shared pointer targets once (no exponential blow-up)", () => {
  // Level k (k = 0..59) is an array of two pointers to level k+1; the last level is a string.
  const levels = 60;
  const size = 6;
  const bytes: number[] = [];
  for (let k = 0; k < levels; k++) {
    const next = (k + 1) * size;
    // An array of 2 (0x02 0x04), then two 2-byte pointers to the next level (target < 2048).
    bytes.push(0x02, 0x04, 0x20 | (next >> 8), next & 255, 0x20 | (next >> 8), next & 255);
  }
  bytes.push(0x41, 0x7a);
  let v = new MmdbDecoder(new Uint8Array(bytes)).decode(0);
  for (let k = 0; k < levels; k++) {
    const arr = v as MmdbValue[];
    assert.equal(arr[0], arr[1]);
    v = arr[0];
  }
  assert.equal(v, "z");
});

Deno.test("MmdbDecoder freezes maps and arrays by default", () => {
  const d = new MmdbDecoder(new Uint8Array([0xe1, 0x41, 0x61, 0x01, 0x04, 0xa1, 0x01]));
  const v = d.decode(0) as { a: number[] };
  assert.ok(Object.isFrozen(v) && Object.isFrozen(v.a));
  const m = new MmdbDecoder(new Uint8Array([0xe0]), { freeze: false }).decode(0);
  assert.ok(!Object.isFrozen(m));
  const p = new MmdbDecoder(encodeValue({ __proto__: 5 } as never)).decode(0) as object;
  assert.equal(Object.getPrototypeOf(p), Object.prototype);
});

Deno.test("MmdbDecoder reads maps-with-pointers.raw as python's maxminddb decoder does", {
  ignore: !fixture("mmdb/test-data"),
}, async () => {
  const dir = fixture("mmdb/test-data")!;
  const bytes = await Deno.readFile(`${dir}/maps-with-pointers.raw`);
  const d = new MmdbDecoder(bytes);
  const ours: MmdbValue[] = [];
  for (let at = 0; at < bytes.length; at = d.skip(at)) ours.push(d.decode(at));
  assert.deepEqual(ours, [
    { long_key: "long_value1" },
    { long_key: "long_value2" },
    { long_key2: "long_value1" },
    { long_key2: "long_value2" },
    { long_key: "long_value1" },
    { long_key2: "long_value2" },
  ]);
});

function sameValue(a: MmdbValue, b: unknown): boolean {
  if (typeof a === "bigint" || typeof b === "bigint") {
    return (typeof b === "number" || typeof b === "bigint") &&
      (typeof a === "number" || typeof a === "bigint") && BigInt(a) === BigInt(b);
  }
  if (typeof a === "number") return typeof b === "number" && Object.is(a, b);
  if (a instanceof Uint8Array) return b instanceof Uint8Array && a.join() === b.join();
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  if (typeof a === "object" && a !== null) {
    if (typeof b !== "object" || b === null) return false;
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return ka.join("\0") === kb.join("\0") &&
      ka.every((k) => sameValue(a[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

const valueArb: fc.Arbitrary<MmdbValue> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.integer({ min: 0, max: 0xffffffff }),
    fc.integer({ min: -0x80000000, max: -1 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)),
    fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }),
    fc.boolean(),
    fc.uint8Array({ maxLength: 20 }),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 10 }), tie("value"), { maxKeys: 5 }),
  ),
})).value as fc.Arbitrary<MmdbValue>;

Deno.test("MmdbDecoder round-trips every value the data writer encodes", () => {
  fc.assert(
    fc.property(valueArb, (value) => {
      const decoded = new MmdbDecoder(encodeValue(value)).decode(0);
      if (!sameValue(decoded, value)) {
        assert.fail(`${valueToJson(decoded)} vs ${valueToJson(value)}`);
      }
    }),
    { numRuns: 500 },
  );
});

Deno.test("MmdbDecoder reads values the data writer stored with shared pointers", () => {
  fc.assert(
    fc.property(fc.array(valueArb, { minLength: 1, maxLength: 20 }), (values) => {
      const w = new DataSectionWriter();
      const offsets = values.map((v) => w.add(v));
      const d = new MmdbDecoder(w.bytes());
      values.forEach((v, i) => assert.ok(sameValue(d.decode(offsets[i]), v)));
    }),
    { numRuns: 200 },
  );
  const floats = new MmdbDecoder(encodeValue([typed("float", 1.5), typed("uint64", 7)]));
  assert.deepEqual(floats.decode(0), [1.5, 7n]);
});

Deno.test("MmdbDecoder never throws anything but FormatError on random bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
      const d = new MmdbDecoder(bytes);
      for (let at = 0; at < bytes.length; at++) {
        try {
          d.decode(at);
        } catch (err) {
          assert.ok(err instanceof FormatError, String(err));
        }
        try {
          d.skip(at);
        } catch (err) {
          assert.ok(err instanceof FormatError, String(err));
        }
      }
    }),
    { numRuns: 2000 },
  );
});

Deno.test("MmdbType numbers the MaxMind DB data types", () => {
  assert.equal(MmdbType.uint128, 10);
  assert.equal(new MmdbDecoder(new Uint8Array([0xe0])).typeAt(0), MmdbType.map);
});

Deno.test("MmdbDecoder decodes a value written by encodeValue()", () => {
  // A map with one pair: "a" => uint16 7.
  const bytes = new Uint8Array([0xe1, 0x41, 0x61, 0xa1, 0x07]);
  const value = new MmdbDecoder(bytes).decode(0);
  assert.deepEqual(value, { a: 7 });
});

Deno.test("MmdbDecoder.decode() decodes the value at an offset from the section start", () => {
  // The string "hi" (0x42 'h' 'i'), then a pointer (0x20 0x00) back to offset 0.
  const d = new MmdbDecoder(new Uint8Array([0x42, 0x68, 0x69, 0x20, 0x00]));
  assert.equal(d.decode(3), "hi");
});

Deno.test("MmdbDecoder.skip() returns where a field ends, following no pointers", () => {
  const d = new MmdbDecoder(new Uint8Array([0x42, 0x68, 0x69, 0x20, 0x00]));
  assert.equal(d.skip(0), 3);
  assert.equal(d.skip(3), 5);
});

Deno.test("MmdbDecoder.typeAt() reads a field's type number, extended types resolved", () => {
  assert.equal(new MmdbDecoder(new Uint8Array([0x42, 0x68, 0x69])).typeAt(0), MmdbType.string);
});

Deno.test("MmdbDecoder.shortString() answers right when many strings share its table", () => {
  const w = new DataSectionWriter();
  const texts = Array.from(
    { length: 5000 },
    (_, i) => (i * 7919).toString(36).slice(0, 1 + (i % 6)),
  );
  texts.push("", "US", "a".repeat(24), "b".repeat(25), "é", "x".repeat(23) + "é");
  const arrays = texts.map((t) => w.add([t]));
  const d = new MmdbDecoder(w.bytes());
  const offsets = arrays.map((a) => d.find(a, [0])); // the string (pointers followed)
  for (let round = 0; round < 2; round++) {
    for (let i = texts.length - 1; i >= 0; i--) {
      const t = texts[i];
      // longer or non-ASCII strings are left to decode()
      const want = t.length <= 24 && !/[^ -~]/.test(t) ? t : undefined;
      assert.equal(d.shortString(offsets[i]), want, t);
      assert.deepEqual(d.decode(arrays[i]), [t]);
    }
  }
  assert.equal(d.shortString(arrays[0]), undefined); // an array
  assert.equal(code(() => d.shortString(w.bytes().length)), "out-of-bounds");
});

Deno.test("MmdbDecoder.find() answers each path on the same records, keys shared or inline", () => {
  const w = new DataSectionWriter();
  const records = Array.from({ length: 50 }, (_, i) => ({ city: `c${i}`, code: `k${i}`, cc: i }));
  const offsets = records.map((r) => w.add(r));
  const d = new MmdbDecoder(w.bytes());
  const paths = [["city"], ["code"], ["cc"], ["c"], ["codes"], ["cityx"]];
  for (let round = 0; round < 3; round++) {
    records.forEach((r, i) => {
      for (const path of paths) {
        const at = d.find(offsets[i], path);
        const want = (r as Record<string, unknown>)[path[0]];
        if (want === undefined) assert.equal(at, -1, path[0]);
        else assert.equal(d.decode(at), want, path[0]);
      }
    });
  }
  const inline = new MmdbDecoder(encodeValue({ ab: 1, ac: 2, b: 3 }));
  for (let round = 0; round < 3; round++) {
    for (const [key, want] of [["ac", 2], ["ab", 1], ["b", 3], ["a", undefined]] as const) {
      const at = inline.find(0, [key]);
      assert.equal(at < 0 ? undefined : inline.decode(at), want, key);
    }
  }
});
