import assert from "node:assert/strict";
import { asciiLower, asciiStartsWith } from "../../lib/core/ascii.ts";

Deno.test("asciiLower() lower-cases A–Z only", () => {
  for (let c = 0; c < 0x300; c++) {
    const want = c >= 0x41 && c <= 0x5a ? c + 32 : c;
    assert.equal(asciiLower(c), want, `code ${c}`);
  }
});

Deno.test("asciiStartsWith() compares ignoring ASCII case and stays in bounds", () => {
  const b = new TextEncoder().encode("Content-LENGTH: 5");
  assert.equal(asciiStartsWith(b, 0, "content-length:"), true);
  assert.equal(asciiStartsWith(b, 8, "length"), true);
  assert.equal(asciiStartsWith(b, 12, "length"), false);
  assert.equal(asciiStartsWith(b, -1, "c"), false);
  assert.equal(asciiStartsWith(b, 17, ""), true);
});
