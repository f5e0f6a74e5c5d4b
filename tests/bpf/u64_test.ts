import assert from "node:assert/strict";
import {
  arsh64,
  bswap32,
  fromBig,
  HI,
  lsh64,
  mul64,
  rsh64,
  sdiv64,
  smod64,
  toBig,
  udiv64,
  umod64,
} from "../../lib/bpf/_u64.ts";

Deno.test("HI holds the high half of the last result", () => {
  mul64(-1, 0, 2, 0);
  assert.equal(HI[0], 1);
});

Deno.test("mul64() multiplies modulo 2^64", () => {
  assert.equal(mul64(0x10000, 0, 0x10000, 0), 0);
  assert.equal(HI[0], 1);
});

Deno.test("udiv64() divides unsigned (x/0 = 0)", () => {
  assert.equal(udiv64(0, 1, 2, 0), 0x80000000 | 0);
  assert.equal(HI[0], 0);
});

Deno.test("umod64() takes the unsigned remainder (x%0 = x)", () => {
  assert.equal(umod64(7, 0, 0, 0), 7);
  assert.equal(umod64(7, 0, 4, 0), 3);
  assert.equal(HI[0], 0);
});

Deno.test("sdiv64() divides signed", () => {
  assert.equal(sdiv64(-7, -1, 2, 0), -3);
  assert.equal(HI[0], -1);
});

Deno.test("smod64() takes the signed remainder", () => {
  assert.equal(smod64(-7, -1, 2, 0), -1);
  assert.equal(HI[0], -1);
});

Deno.test("lsh64() shifts left", () => {
  assert.equal(lsh64(1, 0, 32), 0);
  assert.equal(HI[0], 1);
});

Deno.test("rsh64() shifts right", () => {
  assert.equal(rsh64(0, 1, 32), 1);
  assert.equal(HI[0], 0);
});

Deno.test("arsh64() shifts right arithmetically", () => {
  assert.equal(arsh64(0, -1, 40), -1);
  assert.equal(HI[0], -1);
});

Deno.test("bswap32() swaps bytes", () => {
  assert.equal(bswap32(0x11223344), 0x44332211);
});

Deno.test("toBig() joins halves into an unsigned bigint", () => {
  assert.equal(toBig(-1, -1), 0xffffffffffffffffn);
});

Deno.test("fromBig() splits a bigint into halves", () => {
  assert.equal(fromBig(-1n), -1);
  assert.equal(HI[0], -1);
});
