import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DataSectionWriter,
  encodeValue,
  typed,
  type WritableValue,
} from "../../lib/format/data_writer.ts";
import { MmdbDecoder } from "../../lib/format/mmdb_decoder.ts";
import type { MmdbValue } from "../../lib/format/value.ts";

function decode(bytes: Uint8Array, offset = 0): MmdbValue {
  return new MmdbDecoder(bytes, { freeze: false }).decode(offset);
}

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");

Deno.test("encodeValue() writes each MMDB type as the specification lays it out", () => {
  const cases: [WritableValue, string][] = [
    ["", "40"],
    ["abc", "43 61 62 63"],
    [0, "a0"],
    [255, "a1 ff"],
    [65535, "a2 ff ff"],
    [65536, "c3 01 00 00"],
    [4294967295, "c4 ff ff ff ff"],
    [4294967296, "05 02 01 00 00 00 00"], // uint64, 5 bytes
    [2 ** 64, "09 03 01 00 00 00 00 00 00 00 00"], // uint128
    [2 ** 128, "68 47 f0 00 00 00 00 00 00"], // too large for any integer type: exact double
    [2n ** 64n - 1n, "08 02 ff ff ff ff ff ff ff ff"],
    [2n ** 64n, "09 03 01 00 00 00 00 00 00 00 00"], // uint128
    [-1, "04 01 ff ff ff ff"], // int32
    [-2147483648, "04 01 80 00 00 00"],
    [1.5, "68 3f f8 00 00 00 00 00 00"], // double
    [-2147483649, "68 c1 e0 00 00 00 20 00 00"], // below int32: exact double
    [typed("float", 1.5), "04 08 3f c0 00 00"],
    [typed("double", 2), "68 40 00 00 00 00 00 00 00"],
    [typed("uint32", 5), "c1 05"],
    [typed("int32", 7), "01 01 07"],
    [typed("uint64", 0), "00 02"],
    [typed("uint128", 1n), "01 03 01"],
    [true, "01 07"],
    [false, "00 07"],
    [new Uint8Array([1, 2]), "82 01 02"],
    [[], "00 04"],
    [[1, "a"], "02 04 a1 01 41 61"],
    [{}, "e0"],
    [{ a: 1 }, "e1 41 61 a1 01"],
  ];
  for (const [value, expected] of cases) {
    assert.equal(hex(encodeValue(value)), expected, `encoding of ${String(value)}`);
  }
});

Deno.test("encodeValue() uses the size extension bytes at 29, 285 and 65821", () => {
  for (const n of [28, 29, 30, 284, 285, 286, 65820, 65821, 65822, 70000]) {
    const s = "x".repeat(n);
    const bytes = encodeValue(s);
    const header = n < 29 ? 1 : n < 285 ? 2 : n < 65821 ? 3 : 4;
    assert.equal(bytes.length, header + n, `length ${n}`);
    assert.equal(decode(bytes), s);
  }
  const big = Array.from({ length: 300 }, (_, i) => i);
  assert.deepEqual(decode(encodeValue(big)), big);
});

Deno.test("encodeValue() rejects what no MMDB type holds exactly", () => {
  assert.throws(() => encodeValue(null as unknown as WritableValue), /null/);
  assert.throws(() => encodeValue({ a: undefined } as unknown as WritableValue), TypeError);
  assert.throws(() => encodeValue(2n ** 128n), /larger than uint128/);
  assert.throws(() => encodeValue(-(2n ** 31n) - 1n), /below the int32 range/);
  assert.throws(() => encodeValue("\ud800"), /unpaired surrogate/);
  assert.throws(() => encodeValue(typed("uint16", 65536)), /out of range/);
  assert.throws(() => encodeValue(typed("uint32", -1)), /out of range/);
  assert.throws(() => encodeValue(typed("int32", 2 ** 31)), /out of range/);
  assert.throws(() => encodeValue(typed("uint64", 1.5)), /not an integer/);
  assert.throws(() => encodeValue(typed("float", "x")), /not a number/);
  assert.throws(() => typed("pointer" as "float", 1), /Unknown MMDB type/);
  let deep: WritableValue = 1;
  for (let i = 0; i < 300; i++) deep = [deep];
  assert.throws(() => encodeValue(deep), /nested deeper/);
});

Deno.test("DataSectionWriter.add() stores byte-identical values once and distinct ones apart", () => {
  const w = new DataSectionWriter();
  const a = w.add({ country: "NL", asn: 1136 });
  assert.equal(w.add({ country: "NL", asn: 1136 }), a);
  // Same JSON, different bytes: another type or another key order.
  const b = w.add({ country: "NL", asn: typed("uint32", 1136) });
  const c = w.add({ asn: 1136, country: "NL" });
  assert.equal(new Set([a, b, c]).size, 3);
  assert.equal(w.stats.stored, 3);
  assert.equal(w.stats.added, 4);
  const bytes = w.bytes().slice();
  assert.deepEqual(decode(bytes, a), { country: "NL", asn: 1136 });
  assert.deepEqual(decode(bytes, c), { asn: 1136, country: "NL" });
});

Deno.test("DataSectionWriter.add() points to earlier copies of repeated keys and strings", () => {
  const withPointers = new DataSectionWriter();
  const without = new DataSectionWriter({ pointers: false });
  const offsets: number[] = [];
  for (let i = 0; i < 50; i++) {
    const v = { country_name: "Netherlands", continent: "Europe", index: i };
    offsets.push(withPointers.add(v));
    without.add(v);
  }
  assert.ok(withPointers.stats.pointers >= 98);
  assert.ok(withPointers.size < without.size * 0.6, `${withPointers.size} vs ${without.size}`);
  const bytes = withPointers.bytes().slice();
  offsets.forEach((o, i) => {
    assert.deepEqual(decode(bytes, o), {
      country_name: "Netherlands",
      continent: "Europe",
      index: i,
    });
  });
  // A value equal to one stored with pointers is still found.
  assert.equal(
    withPointers.add({ country_name: "Netherlands", continent: "Europe", index: 7 }),
    offsets[7],
  );
});

Deno.test("DataSectionWriter.add() stores nothing for a value it rejects", () => {
  const w = new DataSectionWriter();
  w.add("first");
  const size = w.size;
  assert.throws(() => w.add({ a: "ok", b: null } as unknown as WritableValue));
  assert.equal(w.size, size);
  assert.equal(w.add({ a: "ok" }), size);
});

const valueArb: fc.Arbitrary<WritableValue> = fc.letrec((tie) => ({
  scalar: fc.oneof(
    fc.string({ unit: "binary", maxLength: 40 }).filter((s) => s.isWellFormed()),
    fc.constantFrom("alpha", "beta", "gamma-gamma"),
    fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }),
    fc.maxSafeInteger(),
    fc.constantFrom(2 ** 53, 2 ** 64, 2 ** 100, 2 ** 128, 2 ** 200, -0, -(2 ** 60)),
    fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }),
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.uint8Array({ maxLength: 20 }),
  ),
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    tie("scalar"),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.constantFrom("a", "bb", "country", "name", "x1"), tie("value"), {
      maxKeys: 5,
    }),
  ),
})).value as fc.Arbitrary<WritableValue>;

/** The value a reader gives back: bigints that fit 32 bits come back as numbers. */
function expected(v: WritableValue): unknown {
  if (typeof v === "bigint") return v < 2n ** 32n ? Number(v) : v;
  if (typeof v === "number") {
    if (Number.isInteger(v) && v >= 2 ** 32 && v < 2 ** 128) return BigInt(v);
    return v;
  }
  if (Array.isArray(v)) return v.map(expected);
  if (v instanceof Uint8Array || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = expected(x as WritableValue);
  return out;
}

Deno.test("DataSectionWriter round-trips random values through the MMDB decoder", () => {
  fc.assert(
    fc.property(fc.array(valueArb, { minLength: 1, maxLength: 20 }), (values) => {
      const w = new DataSectionWriter();
      const offsets = values.map((v) => w.add(v));
      const bytes = w.bytes().slice();
      values.forEach((v, i) => assert.deepEqual(decode(bytes, offsets[i]), expected(v)));
      // Re-adding finds every value again.
      values.forEach((v, i) => assert.equal(w.add(v), offsets[i]));
    }),
    { numRuns: 150 },
  );
});

Deno.test("DataSectionWriter.add() stores a map object changed since it was added as it is now", () => {
  const w = new DataSectionWriter();
  const v: Record<string, WritableValue> = { tag: "a", n: 1 };
  const first = w.add(v);
  assert.equal(w.add(v), first);
  v.n = 2;
  const second = w.add(v);
  assert.notEqual(second, first);
  v.n = -0; // stored as a double, unlike 0
  const negZero = w.add(v);
  v.n = 0;
  assert.notEqual(w.add(v), negZero);
  delete v.n;
  v.extra = true;
  const third = w.add(v);
  delete v.extra;
  delete v.tag;
  v.n = 2;
  v.tag = "a";
  // Same keys and values as `second` in another order: another encoding.
  assert.notEqual(w.add(v), second);
  assert.deepEqual(decode(w.bytes(), third), { tag: "a", extra: true });
  assert.deepEqual(decode(w.bytes(), first), { tag: "a", n: 1 });
  assert.equal(w.add(v), w.add({ n: 2, tag: "a" }));
  // An own key replaced by an inherited one of the same value: not stored (Object.keys).
  const proto = Object.prototype as Record<string, unknown>;
  try {
    proto.tag = "a";
    delete v.tag;
    const at = w.add(v);
    assert.deepEqual(decode(w.bytes(), at), { n: 2 });
  } finally {
    delete proto.tag;
  }
  Object.setPrototypeOf(v, Uint8Array.prototype); // now taken for bytes, which it is not
  assert.throws(() => w.add(v), TypeError);
});

Deno.test("DataSectionWriter.add() trusts a map frozen when first added, and only that", () => {
  const w = new DataSectionWriter();
  const frozen = Object.freeze({ tag: "a", n: 1 });
  const at = w.add(frozen);
  assert.equal(w.add(frozen), at);
  // Changed after it was remembered, then frozen: read again.
  const later: Record<string, WritableValue> = { tag: "b", n: 1 };
  const first = w.add(later);
  later.n = 2;
  Object.freeze(later);
  const second = w.add(later);
  assert.notEqual(second, first);
  assert.deepEqual(decode(w.bytes(), second), { tag: "b", n: 2 });
  // A frozen map with a getter is read each time.
  let n = 5;
  const getter = Object.freeze({
    get n() {
      return n;
    },
  });
  const g1 = w.add(getter as unknown as WritableValue);
  n = 6;
  const g2 = w.add(getter as unknown as WritableValue);
  assert.deepEqual(decode(w.bytes(), g1), { n: 5 });
  assert.deepEqual(decode(w.bytes(), g2), { n: 6 });
});

Deno.test("DataSectionWriter.add() gives each object, added again after changes, its value at that time", () => {
  const prim = fc.oneof(
    fc.constantFrom(0, -0, 1, 300, -5, 1.5, NaN, "", "x", "yy", true, false, 7n),
    fc.string({ maxLength: 4 }),
  );
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          obj: fc.nat(3),
          key: fc.constantFrom("a", "b", "c", "1"),
          value: fc.option(prim, { nil: undefined }),
        }),
        { maxLength: 60 },
      ),
      (steps) => {
        const w = new DataSectionWriter();
        const objs: Record<string, WritableValue>[] = [{}, { a: 1 }, { b: "x", a: 2 }, { c: 0 }];
        for (const s of steps) {
          const o = objs[s.obj];
          if (s.value === undefined) delete o[s.key];
          else o[s.key] = s.value;
          const at = w.add(o);
          assert.deepEqual(decode(w.bytes(), at), decode(encodeValue(o)));
          assert.deepEqual(Object.keys(decode(w.bytes(), at) as object), Object.keys(o));
        }
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("DataSectionWriter.add() stores equal maps given as different objects once", () => {
  const w = new DataSectionWriter();
  const a = w.add({ tag: "x", n: 1, ok: true });
  assert.equal(w.add({ tag: "x", n: 1, ok: true }), a);
  assert.notEqual(w.add({ n: 1, tag: "x", ok: true }), a); // another key order
  assert.notEqual(w.add({ tag: "x", n: -0, ok: true }), w.add({ tag: "x", n: 0, ok: true }));
  assert.equal(w.add({ tag: "x", n: NaN }), w.add({ tag: "x", n: NaN }));
  assert.equal(w.add({ tag: "x", n: 1n, ok: true }), a); // 1n encodes as 1 does
  const own = JSON.parse('{"__proto__": "p", "n": 2}');
  const at = w.add(own);
  assert.deepEqual(Object.keys(decode(w.bytes(), at) as object), ["__proto__", "n"]);
  assert.equal(w.add(JSON.parse('{"__proto__": "p", "n": 2}')), at);
  // A getter: the offset holds the value it gave last during that add().
  let calls = 0;
  const flip = {
    get v() {
      return ++calls % 2 === 0 ? "even" : "odd";
    },
  };
  for (let i = 0; i < 4; i++) {
    const off = w.add(flip);
    assert.deepEqual(decode(w.bytes(), off), { v: calls % 2 === 0 ? "even" : "odd" });
  }
});

Deno.test("typed() forces the MMDB type a value is stored as, e.g", () => {
  assert.deepEqual([...encodeValue(typed("uint32", 1))], [0xc1, 1]);
  assert.deepEqual([...encodeValue(typed("float", 1))], [0x04, 0x08, 0x3f, 0x80, 0, 0]);
});

Deno.test("encodeValue() encodes one value without pointers", () => {
  assert.deepEqual([...encodeValue("hi")], [0x42, 0x68, 0x69]);
  assert.deepEqual([...encodeValue(300)], [0xa2, 0x01, 0x2c]);
  assert.deepEqual([...encodeValue({ a: true })], [0xe1, 0x41, 0x61, 0x01, 0x07]);
});

Deno.test("DataSectionWriter stores an equal value once", () => {
  const w = new DataSectionWriter();
  const a = w.add({ country: "NL", asn: 1136 });
  const b = w.add({ asn: 7 });
  assert.equal(w.add({ country: "NL", asn: 1136 }), a);
  assert.notEqual(a, b);
  assert.equal(w.stats.stored, 2);
  assert.equal(w.bytes().length, w.size);
});

Deno.test("DataSectionWriter.add() stores each distinct value once and returns its offset", () => {
  const w = new DataSectionWriter();
  assert.equal(w.add("x"), 0);
  assert.equal(w.add(1), 2);
  assert.equal(w.add("x"), 0);
});

Deno.test("DataSectionWriter.bytes() gives the data section written so far", () => {
  const w = new DataSectionWriter();
  w.add(true);
  assert.deepEqual([...w.bytes()], [0x01, 0x07]);
});
