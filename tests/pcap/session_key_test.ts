import assert from "node:assert/strict";
import fc from "fast-check";
import {
  blockContains,
  canonicalize,
  FlowPacket,
  formatAddress,
  newCanonicalKey,
  parseAddress,
  parseAddressBlock,
} from "../../lib/pcap/session_key.ts";
import { formatIPv6 } from "../../lib/pcap/packet_view.ts";

const word = fc.integer({ min: 0, max: 0xffffffff });
// Words with many zero groups, so that "::" compression is exercised.
const sparseWord = fc.oneof(fc.constant(0), fc.constant(1), fc.constant(0xffff), word);

Deno.test("formatAddress() writes IPv4-mapped IPv6 with a dotted quad", () => {
  assert.equal(formatAddress([0, 0, 0xffff, 0x7f000001], 6), "::ffff:127.0.0.1");
});

Deno.test("formatAddress() writes IPv6 like the packet view (RFC 5952) and parseAddress() reads it back (property)", () => {
  fc.assert(
    fc.property(fc.array(sparseWord, { minLength: 4, maxLength: 4 }), (w) => {
      const text = formatAddress(w, 6);
      const bytes = new Uint8Array(16);
      const dv = new DataView(bytes.buffer);
      w.forEach((x, i) => dv.setUint32(4 * i, x));
      assert.equal(text, formatIPv6(bytes, 0));
      assert.deepEqual(parseAddress(text), { family: 6, words: w.map((x) => x >>> 0) });
    }),
    { numRuns: 500 },
  );
});

Deno.test("formatAddress() and parseAddress() round-trip IPv4 (property)", () => {
  fc.assert(
    fc.property(word, (a) => {
      assert.deepEqual(parseAddress(formatAddress([a, 0, 0, 0], 4)), {
        family: 4,
        words: [a >>> 0, 0, 0, 0],
      });
    }),
  );
  assert.equal(parseAddress("256.1.1.1"), null);
  assert.equal(parseAddress("1::2::3"), null);
  assert.equal(parseAddress("hello"), null);
});

Deno.test("canonicalize() gives both directions one key and opposite direction flags (property)", () => {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.array(word, { minLength: 8, maxLength: 8 }),
      fc.integer({ min: 0, max: 65535 }),
      fc.integer({ min: 0, max: 65535 }),
      fc.constantFrom(6, 17),
      (v6, w, sport, dport, proto) => {
        const p = new FlowPacket();
        const fill = (src: number[], dst: number[], sp: number, dp: number) => {
          p.family = v6 ? 6 : 4;
          p.proto = proto;
          for (let i = 0; i < 4; i++) {
            p.src[i] = v6 || i === 0 ? src[i] : 0;
            p.dst[i] = v6 || i === 0 ? dst[i] : 0;
          }
          p.sport = sp;
          p.dport = dp;
        };
        fill(w.slice(0, 4), w.slice(4), sport, dport);
        const k1 = canonicalize(p, newCanonicalKey());
        fill(w.slice(4), w.slice(0, 4), dport, sport);
        const k2 = canonicalize(p, newCanonicalKey());
        assert.deepEqual(k1.words, k2.words);
        assert.equal(k1.hash, k2.hash);
        const same = k1.words[2] === k1.words[6] && k1.words[3] === k1.words[7] &&
          k1.words[4] === k1.words[8] && k1.words[5] === k1.words[9] && sport === dport;
        if (!same) assert.notEqual(k1.forward, k2.forward);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("parseAddressBlock() and blockContains() handle prefixes of every length", () => {
  const b = parseAddressBlock("2001:db8::/33")!;
  assert.equal(blockContains([0x20010db8, 0x7fffffff, 0, 0], 6, b), true);
  assert.equal(blockContains([0x20010db8, 0x80000000, 0, 0], 6, b), false);
  assert.equal(blockContains([0x20010db8, 0, 0, 0], 4, b), false);
  assert.equal(blockContains([0x01020304, 0, 0, 0], 4, parseAddressBlock("0.0.0.0/0")!), true);
  assert.equal(blockContains([0x0a000001, 0, 0, 0], 4, parseAddressBlock("10.0.0.1")!), true);
  assert.equal(blockContains([0x0a000002, 0, 0, 0], 4, parseAddressBlock("10.0.0.1")!), false);
  assert.equal(parseAddressBlock("10.0.0.0/x"), null);
  assert.equal(parseAddressBlock("::/129"), null);
});
