import assert from "node:assert/strict";
import fc from "fast-check";
import { FlowPacket } from "../../lib/pcap/mod.ts";
import { canonicalize, KEY_ADDR_A, KEY_ADDR_B, newCanonicalKey } from "../../lib/pcap/_flow_key.ts";

const word = fc.integer({ min: 0, max: 0xffffffff });

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
        let sameAddress = true;
        for (let i = 0; i < 4; i++) {
          if (k1.words[KEY_ADDR_A + i] !== k1.words[KEY_ADDR_B + i]) sameAddress = false;
        }
        if (!(sameAddress && sport === dport)) assert.notEqual(k1.forward, k2.forward);
      },
    ),
    { numRuns: 300 },
  );
});
