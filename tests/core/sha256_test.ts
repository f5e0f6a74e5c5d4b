import assert from "node:assert/strict";
import fc from "fast-check";
import { SHA256_SHORT_MAX, sha256Hex, sha256Short } from "../../lib/core/sha256.ts";

async function webCrypto(data: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("sha256Hex() agrees with WebCrypto on messages of every padding length", async () => {
  for (let n = 0; n < 200; n++) {
    const data = new Uint8Array(n).map((_, i) => (i * 31 + n) & 255);
    assert.equal(sha256Hex(data), await webCrypto(data), `length ${n}`);
  }
  assert.equal(
    sha256Hex(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("sha256Short() agrees with sha256Hex() on a slice and refuses long messages", async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 80 }), fc.nat(80), fc.nat(80), async (b, x, y) => {
      const start = Math.min(x, b.length), end = Math.min(b.length, start + (y % 56));
      const out = new Uint8Array(32);
      sha256Short(b, start, end, out);
      const hex = [...out].map((v) => v.toString(16).padStart(2, "0")).join("");
      assert.equal(hex, await webCrypto(b.slice(start, end)));
    }),
  );
  assert.throws(
    () => sha256Short(new Uint8Array(64), 0, SHA256_SHORT_MAX + 1, new Uint8Array(32)),
    RangeError,
  );
});
