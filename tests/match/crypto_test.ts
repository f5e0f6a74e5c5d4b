import assert from "node:assert/strict";
import fc from "fast-check";
import { keccak256Short } from "../../lib/match/_keccak.ts";
import { sha256Short } from "../../lib/core/sha256.ts";

const enc = new TextEncoder();
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("keccak256Short() gives the Keccak-256 digests Ethereum uses", () => {
  const out = new Uint8Array(32);
  const cases: [string, string][] = [
    ["", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"],
    ["abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"],
  ];
  for (const [text, want] of cases) {
    const b = enc.encode(text);
    keccak256Short(b, 0, b.length, out);
    assert.equal(hex(out), want, text);
  }
});

Deno.test("sha256Short() agrees with WebCrypto for every length it takes", async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 55 }), async (msg) => {
      const out = new Uint8Array(32);
      sha256Short(msg, 0, msg.length, out);
      const want = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(msg)));
      assert.equal(hex(out), hex(want));
    }),
  );
});
