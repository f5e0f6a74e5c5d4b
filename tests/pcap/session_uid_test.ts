import fc from "fast-check";
import assert from "node:assert/strict";
import { FlowSession } from "../../lib/pcap/mod.ts";
import { sessionUid, UID_BYTES, writeSessionUid } from "../../lib/pcap/_session_uid.ts";

Deno.test("writeSessionUid writes the ASCII bytes of the session's uid", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }),
      fc.oneof(fc.nat(1000), fc.nat(), fc.integer({ min: 0, max: 2 ** 40 })),
      fc.nat(8),
      (keyHash, seq, at) => {
        const s = new FlowSession();
        s.keyHash = keyHash;
        s.seq = seq;
        assert.equal(sessionUid(keyHash, seq), s.uid);
        const into = new Uint8Array(at + UID_BYTES + 3).fill(0x7e);
        writeSessionUid(into, at, keyHash, seq);
        assert.equal(new TextDecoder().decode(into.subarray(at, at + UID_BYTES)), s.uid);
        assert.ok(into.subarray(0, at).every((b) => b === 0x7e), "bytes before are kept");
        assert.ok(into.subarray(at + UID_BYTES).every((b) => b === 0x7e), "bytes after are kept");
      },
    ),
  );
});

Deno.test("sessionUid is C, six digits of the mixed hash and five of the creation number", () => {
  assert.equal(sessionUid(0, 0), "C00000000000");
  assert.equal(sessionUid(0, 61).slice(7), "0000z");
  assert.equal(sessionUid(0, 62).slice(7), "00010");
});
