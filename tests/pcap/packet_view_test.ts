import assert from "node:assert/strict";
import fc from "fast-check";
import { formatIPv4, formatIPv6, formatTime } from "../../lib/pcap/mod.ts";

Deno.test("formatIPv6() gives RFC 5952 text, as the WHATWG URL serializer does", () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
        minLength: 8,
        maxLength: 8,
      }),
      (words) => {
        const b = new Uint8Array(16);
        words.forEach((w, i) => {
          b[2 * i] = w >> 8;
          b[2 * i + 1] = w & 255;
        });
        const mapped = words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff;
        const ours = formatIPv6(b, 0);
        if (mapped) {
          assert.equal(ours, `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`);
          return;
        }
        const ref = new URL(`http://[${words.map((w) => w.toString(16)).join(":")}]/`).hostname;
        assert.equal(`[${ours}]`, ref);
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("formatIPv4() and formatTime() print dotted quads and nine exact decimals", () => {
  assert.equal(formatIPv4(0xffffffff), "255.255.255.255");
  assert.equal(formatIPv4(0), "0.0.0.0");
  assert.equal(formatTime(1795316355, 0), "1795316355.000000000");
  assert.equal(formatTime(1795316355, 999999999), "1795316355.999999999");
});
