/**
 * The entry texts of hits (lib/match/_entry_texts.ts): kept texts are the texts the database
 * and formatNetwork() give, however often slots are replaced, and parent-domain texts are the
 * decoder's text in lower case.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Database, DatabaseBuilder, formatNetwork } from "../../lib/db/mod.ts";
import { EntryTexts, lowerText } from "../../lib/match/_entry_texts.ts";

Deno.test("EntryTexts.network() gives formatNetwork()'s text for every address and prefix, cached or not", () => {
  const db = Database.fromBytes(new DatabaseBuilder({ buildEpoch: 1 }).build());
  const texts = new EntryTexts(db);
  // few distinct keys, so that the same network comes back from its slot, and many
  const address = fc.oneof(
    fc.uint8Array({ minLength: 16, maxLength: 16 }),
    fc.constantFrom(0, 1, 2).map((i) => new Uint8Array(16).fill(i * 85)),
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(address, fc.boolean(), fc.nat(128))), (items) => {
      for (const [a, v4, p] of items) {
        const prefix = v4 ? p % 33 : p;
        const want = formatNetwork(a.subarray(0, v4 ? 4 : 16), prefix);
        assert.equal(texts.network(a, v4 ? 4 : 6, prefix), want);
        assert.equal(texts.network(a, v4 ? 4 : 6, prefix), want);
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("EntryTexts.string() gives each literal and glob, with more entries than slots", () => {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  for (let i = 0; i < 9000; i++) b.add(i % 3 === 0 ? `glob:*.g${i}.net` : `lit${i}.example`, i);
  const db = Database.fromBytes(b.build());
  const texts = new EntryTexts(db);
  // every entry number of each kind (literal numbers are slots: some are empty), twice
  const seen = new Set<string>();
  for (let round = 0; round < 2; round++) {
    for (const kind of [0, 1]) {
      for (let e = 0; e < 40000; e++) {
        let want: string;
        try {
          want = db.stringEntry(kind, e);
        } catch {
          assert.throws(() => texts.string(kind, e), RangeError);
          continue;
        }
        assert.equal(texts.string(kind, e), want);
        seen.add(want);
      }
    }
  }
  assert.equal(seen.size, 9000);
});

Deno.test("lowerText() is the decoder's text with A-Z in lower case, for any bytes", () => {
  const decoder = new TextDecoder();
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 80 }),
        fc.string({ maxLength: 80 }).map((s) => new TextEncoder().encode(s)),
      ),
      fc.nat(5),
      (bytes, cut) => {
        const start = Math.min(cut, bytes.length);
        const want = decoder.decode(bytes.subarray(start)).replace(
          /[A-Z]+/g,
          (s) => s.toLowerCase(),
        );
        assert.equal(lowerText(bytes, start, bytes.length), want);
      },
    ),
  );
});
