import assert from "node:assert/strict";
import fc from "fast-check";
import { PendingStore } from "../../lib/pcap/_pending_store.ts";
import { hash53 } from "../../lib/pcap/_payload_hash.ts";

/** Capture time BASE seconds + `t` ns, as seconds and nanoseconds. */
const BASE = 1_700_000_000, STEP = 25_000_000;
const at = (t: number): [number, number] => [BASE + Math.floor(t / 1e9), t % 1e9];

const payloadHash = (b: Uint8Array, start = 0) => hash53(b, start, b.length - start);

Deno.test("PendingStore behaves like a FIFO-per-key map with a window and a bound (property)", () => {
  type Op = { kind: "add" | "take"; key: number; dt: number };
  const op = fc.record({
    kind: fc.constantFrom<"add" | "take">("add", "take"),
    key: fc.integer({ min: 0, max: 6 }),
    dt: fc.integer({ min: 0, max: 40 }),
  });
  fc.assert(
    fc.property(
      fc.array(op, { maxLength: 200 }),
      fc.integer({ min: 1, max: 8 }),
      (ops: Op[], cap) => {
        // Times are ns since BASE seconds, in steps of 25 ms: the window spans second borders.
        const window = 100 * STEP;
        const store = new PendingStore(1, { maxPending: cap, windowNs: window, recWords: 1 });
        // Model: entries in insertion order.
        let model: { key: number; t: number; id: number }[] = [];
        let t = 0, id = 0, expired = 0, evicted = 0;
        for (const o of ops) {
          t += o.dt * STEP;
          store.expire(...at(t));
          const before = model.length;
          model = model.filter((e) => e.t >= t - window);
          expired += before - model.length;
          store.key[0] = o.key;
          const hash = o.key % 3; // force collisions between different keys
          if (o.kind === "add") {
            if (model.length === cap) {
              model.shift();
              evicted++;
            }
            const slot = store.add(hash, ...at(t));
            store.rec[slot] = id;
            model.push({ key: o.key, t, id: id++ });
          } else {
            const slot = store.find(hash);
            const i = model.findIndex((e) => e.key === o.key);
            if (i < 0) assert.equal(slot, -1);
            else {
              assert.equal(store.rec[slot], model[i].id);
              assert.equal(store.elapsedSince(slot, ...at(t)), t - model[i].t);
              store.remove(slot);
              model.splice(i, 1);
            }
          }
          assert.equal(store.size, model.length);
        }
        assert.equal(store.expired, expired);
        assert.equal(store.evicted, evicted);
        const left: number[] = [];
        store.drain((s) => left.push(store.rec[s]));
        assert.deepEqual(left, model.map((e) => e.id));
        assert.equal(store.size, 0);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("PendingStore rejects a bound below one", () => {
  assert.throws(() => new PendingStore(1, { maxPending: 0 }), RangeError);
});

Deno.test("hash53() is equal for equal bytes wherever they lie and differs otherwise (property)", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 64 }),
      fc.uint8Array({ maxLength: 64 }),
      fc.nat(8),
      (a, b, pad) => {
        const shifted = new Uint8Array(pad + a.length);
        shifted.set(a, pad);
        assert.equal(payloadHash(shifted, pad), payloadHash(a));
        const h = payloadHash(a);
        assert.ok(Number.isSafeInteger(h) && h >= 0);
        const same = a.length === b.length && a.every((x, i) => x === b[i]);
        if (!same) assert.notEqual(payloadHash(b), h);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("hash53() depends on the length, not only the bytes (zero padding differs)", () => {
  assert.notEqual(payloadHash(new Uint8Array([0])), payloadHash(new Uint8Array([0, 0])));
  assert.notEqual(payloadHash(new Uint8Array(0)), payloadHash(new Uint8Array([0])));
});
