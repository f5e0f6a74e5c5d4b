import assert from "node:assert/strict";
import fc from "fast-check";
import { ConnectionIndex } from "../../lib/pcap/_connection_index.ts";
import { KEY_WORDS } from "../../lib/pcap/_flow_key.ts";

/** Key words for model key `k` (distinct keys, distinct words). */
function words(k: number): Uint32Array {
  const w = new Uint32Array(KEY_WORDS);
  w[0] = 0x0406;
  w[1] = k;
  w[KEY_WORDS - 1] = k * 7 + 1;
  return w;
}

Deno.test("ConnectionIndex finds, adds, touches and removes like a map in activity order (property)", () => {
  type Op = { kind: "add" | "touch" | "remove" | "removeOldest" | "clear"; key: number };
  const op = fc.record({
    kind: fc.oneof(
      {
        arbitrary: fc.constantFrom<Op["kind"]>("add", "add", "touch", "remove", "removeOldest"),
        weight: 100,
      },
      { arbitrary: fc.constant<Op["kind"]>("clear"), weight: 1 },
    ),
    key: fc.integer({ min: 0, max: 700 }),
  });
  fc.assert(
    fc.property(
      fc.array(op, { maxLength: 1500 }),
      // Few distinct hashes: long probe runs, wrap-around at the table's end, shifts on removal.
      fc.constantFrom(3, 64, 0x7fffffff),
      (ops: Op[], hashRange) => {
        const hashOf = (k: number) => Math.imul(k, 0x9e3779b1) >>> 0 & hashRange | (k & 1) << 31;
        let grown = 0;
        const index = new ConnectionIndex((capacity) => {
          grown = capacity;
        });
        // Model: key -> slot, in activity order (least recently active first).
        const model = new Map<number, number>();
        // Slots ever handed out: a slot is fresh (its owner's memory still zero) only once.
        const handedOut = new Set<number>();
        for (const o of ops) {
          const slot = index.find(hashOf(o.key), words(o.key));
          assert.equal(slot, model.get(o.key) ?? -1);
          if (o.kind === "add" && slot < 0) {
            const s = index.add(hashOf(o.key), words(o.key));
            assert.ok(s >= 0 && s < index.used && index.used <= index.capacity);
            assert.ok(![...model.values()].includes(s), "a slot in use is handed out again");
            assert.equal(index.isFresh(s), !handedOut.has(s));
            handedOut.add(s);
            model.set(o.key, s);
          } else if (o.kind === "touch" && slot >= 0) {
            index.touch(slot);
            model.delete(o.key);
            model.set(o.key, slot);
          } else if (o.kind === "remove" && slot >= 0) {
            index.remove(slot);
            model.delete(o.key);
          } else if (o.kind === "clear") {
            index.clear();
            model.clear();
          } else if (o.kind === "removeOldest" && index.head >= 0) {
            const [k, s] = model.entries().next().value!;
            assert.equal(index.head, s);
            index.remove(s);
            model.delete(k);
          }
          assert.equal(index.open, model.size);
          if (index.capacity > 256) assert.equal(grown, index.capacity);
        }
        // Every key is found in its slot; the activity order is the model's.
        for (const [k, s] of model) {
          assert.equal(index.find(hashOf(k), words(k)), s);
          assert.equal(index.live[s], 1);
        }
        const order = [...model.values()];
        assert.equal(index.tail, order.at(-1) ?? -1);
        const walked: number[] = [];
        for (let s = index.head; s >= 0; s = index.after(s)) walked.push(s);
        assert.deepEqual(walked, order);
        for (const s of order) {
          assert.equal(index.head, s);
          index.remove(s);
        }
        assert.deepEqual([index.head, index.tail, index.open], [-1, -1, 0]);
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("ConnectionIndex grows its owner's arrays before handing out a slot beyond them", () => {
  const seen: number[] = [];
  const index = new ConnectionIndex((capacity) => seen.push(capacity));
  const first = index.capacity;
  for (let k = 0; k < first * 4 + 1; k++) {
    const s = index.add(k * 2654435761 >>> 0, words(k));
    assert.ok(s < index.capacity);
  }
  assert.deepEqual(seen, [first * 2, first * 4, first * 8]);
  for (let k = 0; k < first * 4 + 1; k++) {
    assert.equal(index.find(k * 2654435761 >>> 0, words(k)), k);
  }
});
