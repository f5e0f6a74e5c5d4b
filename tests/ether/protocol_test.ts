import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeEtherCapabilities,
  decodeEtherHeader,
  encodeEtherCapabilities,
  encodeEtherHeader,
  encodeEtherMessage,
  ETHER_HEADER_SIZE,
  ETHER_MAX_PAYLOAD,
  EtherCapability,
  EtherCommand,
  EtherFlag,
  etherSizeIsLength,
  EtherWireError,
  validateEtherHeader,
} from "../../lib/ether/mod.ts";
import { hex, toHex } from "./_helpers.ts";

const H = 0x0123456789abcdefn;

// Golden bytes of every message, written out by hand from the header layout:
// magic(4) version(1) command(1) flags(2) handle(8) size(4) reserved(4)
const GOLDEN: [string, Uint8Array, string][] = [
  [
    "PING",
    encodeEtherMessage({ command: EtherCommand.PING }),
    "e7e7e7e7 01 01 0000 0000000000000000 00000000 00000000",
  ],
  [
    "PING asking capabilities",
    encodeEtherMessage({ command: EtherCommand.PING, flags: EtherFlag.CAPABILITIES }),
    "e7e7e7e7 01 01 0002 0000000000000000 00000000 00000000",
  ],
  [
    "PONG",
    encodeEtherMessage({ command: EtherCommand.PONG }),
    "e7e7e7e7 01 02 0000 0000000000000000 00000000 00000000",
  ],
  [
    "PONG with capabilities",
    encodeEtherMessage(
      { command: EtherCommand.PONG },
      encodeEtherCapabilities({ bits: 0x0f, maxPayload: ETHER_MAX_PAYLOAD, software: "mxy" }),
    ),
    "e7e7e7e7 01 02 0000 0000000000000000 0000000b 00000000  0000000f 01000000 6d7879",
  ],
  [
    "AUTH",
    encodeEtherMessage({ command: EtherCommand.AUTH }, new TextEncoder().encode("tok")),
    "e7e7e7e7 01 03 0000 0000000000000000 00000003 00000000 746f6b",
  ],
  [
    "ALLOC, legacy framing (size bytes follow)",
    encodeEtherMessage({ command: EtherCommand.ALLOC }, new Uint8Array(4)),
    "e7e7e7e7 01 10 0000 0000000000000000 00000004 00000000 00000000",
  ],
  [
    "ALLOC, no payload",
    encodeEtherMessage({ command: EtherCommand.ALLOC, flags: EtherFlag.NO_PAYLOAD, size: 100 }),
    "e7e7e7e7 01 10 0001 0000000000000000 00000064 00000000",
  ],
  [
    "OK with handle",
    encodeEtherMessage({ command: EtherCommand.OK, handle: H }),
    "e7e7e7e7 01 f0 0000 0123456789abcdef 00000000 00000000",
  ],
  [
    "FREE",
    encodeEtherMessage({ command: EtherCommand.FREE, handle: H }),
    "e7e7e7e7 01 11 0000 0123456789abcdef 00000000 00000000",
  ],
  [
    "REALLOC",
    encodeEtherMessage({ command: EtherCommand.REALLOC, handle: H, flags: 1, size: 0x10000 }),
    "e7e7e7e7 01 12 0001 0123456789abcdef 00010000 00000000",
  ],
  [
    "WRITE",
    encodeEtherMessage({ command: EtherCommand.WRITE, handle: H }, hex("deadbeef")),
    "e7e7e7e7 01 20 0000 0123456789abcdef 00000004 00000000 deadbeef",
  ],
  [
    "READ",
    encodeEtherMessage({ command: EtherCommand.READ, handle: H, flags: 1, size: 64 }),
    "e7e7e7e7 01 21 0001 0123456789abcdef 00000040 00000000",
  ],
  [
    "OK with data",
    encodeEtherMessage({ command: EtherCommand.OK, handle: H }, hex("0102")),
    "e7e7e7e7 01 f0 0000 0123456789abcdef 00000002 00000000 0102",
  ],
  [
    "ERROR NOMEM",
    encodeEtherMessage({ command: EtherCommand.ERROR, reserved: EtherWireError.NOMEM }),
    "e7e7e7e7 01 ff 0000 0000000000000000 00000000 ffffffff",
  ],
  [
    "ERROR INVALID with message",
    encodeEtherMessage(
      { command: EtherCommand.ERROR, reserved: EtherWireError.INVALID },
      hex("6869"),
    ),
    "e7e7e7e7 01 ff 0000 0000000000000000 00000002 fffffffe 6869",
  ],
  [
    "ERROR NOTFOUND",
    encodeEtherMessage({
      command: EtherCommand.ERROR,
      handle: H,
      reserved: EtherWireError.NOTFOUND,
    }),
    "e7e7e7e7 01 ff 0000 0123456789abcdef 00000000 fffffff9",
  ],
  [
    "DB_OPEN",
    encodeEtherMessage({ command: EtherCommand.DB_OPEN }, new TextEncoder().encode("a.mxy")),
    "e7e7e7e7 01 50 0000 0000000000000000 00000005 00000000 612e6d7879",
  ],
  [
    "DB_LOAD",
    encodeEtherMessage({ command: EtherCommand.DB_LOAD, handle: H }),
    "e7e7e7e7 01 51 0000 0123456789abcdef 00000000 00000000",
  ],
  [
    "DB_QUERY",
    encodeEtherMessage(
      { command: EtherCommand.DB_QUERY, handle: 0n },
      new TextEncoder().encode("1.2.3.4"),
    ),
    "e7e7e7e7 01 52 0000 0000000000000000 00000007 00000000 312e322e332e34",
  ],
  [
    "DB_CLOSE",
    encodeEtherMessage({ command: EtherCommand.DB_CLOSE, handle: H }),
    "e7e7e7e7 01 53 0000 0123456789abcdef 00000000 00000000",
  ],
  [
    "STATS",
    encodeEtherMessage({ command: EtherCommand.STATS }),
    "e7e7e7e7 01 54 0000 0000000000000000 00000000 00000000",
  ],
];

for (const [name, bytes, golden] of GOLDEN) {
  Deno.test(`encodeEtherMessage() produces the golden bytes of ${name}`, () => {
    assert.equal(toHex(bytes), toHex(hex(golden)));
  });
}

Deno.test("decodeEtherHeader() reads every field of a golden header", () => {
  const h = decodeEtherHeader(hex("e7e7e7e7 01 ff 0004 0123456789abcdef 00000010 fffffffd"));
  assert.deepEqual(h, {
    magic: 0xe7e7e7e7,
    version: 1,
    command: EtherCommand.ERROR,
    flags: EtherFlag.ERROR_MESSAGE,
    handle: H,
    size: 16,
    reserved: EtherWireError.CORRUPT,
  });
});

Deno.test("decodeEtherHeader() rejects fewer than 24 bytes", () => {
  assert.throws(() => decodeEtherHeader(new Uint8Array(23)), RangeError);
});

Deno.test("encodeEtherHeader() and decodeEtherHeader() round-trip any field values", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.bigUint(2n ** 64n - 1n),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      (command, flags, handle, size, reserved) => {
        const h = { command, flags, handle, size, reserved };
        const bytes = encodeEtherHeader(h);
        assert.equal(bytes.length, ETHER_HEADER_SIZE);
        const { magic: _m, version: _v, ...back } = decodeEtherHeader(bytes);
        assert.deepEqual(back, h);
      },
    ),
  );
});

Deno.test("validateEtherHeader() names the bad field: magic, version, size", () => {
  const base = { command: 1, flags: 0, handle: 0n, size: 0, reserved: 0 };
  assert.equal(validateEtherHeader(decodeEtherHeader(encodeEtherHeader(base))), null);
  assert.match(
    validateEtherHeader(decodeEtherHeader(encodeEtherHeader(base, { magic: 0xe7e7e7e6 })))!,
    /magic 0xe7e7e7e6 at byte 0/,
  );
  assert.match(
    validateEtherHeader(decodeEtherHeader(encodeEtherHeader(base, { version: 2 })))!,
    /version 2 at byte 4/,
  );
  assert.match(
    validateEtherHeader(
      decodeEtherHeader(encodeEtherHeader({ ...base, size: ETHER_MAX_PAYLOAD + 1 })),
    )!,
    /byte 16/,
  );
  assert.equal(
    validateEtherHeader(decodeEtherHeader(encodeEtherHeader({ ...base, size: ETHER_MAX_PAYLOAD }))),
    null,
  );
});

Deno.test("decodeEtherCapabilities() round-trips and treats an empty PONG as a reference server", () => {
  const caps = {
    bits: EtherCapability.NO_PAYLOAD | EtherCapability.DATABASE,
    maxPayload: 1234,
    software: "mxy/0.1.0",
  };
  assert.deepEqual(decodeEtherCapabilities(encodeEtherCapabilities(caps)), caps);
  assert.equal(decodeEtherCapabilities(new Uint8Array(0)), null);
});

Deno.test("etherSizeIsLength() is true exactly for ALLOC, REALLOC and READ", () => {
  const length = Object.values(EtherCommand).filter(etherSizeIsLength).sort();
  assert.deepEqual(length, [EtherCommand.ALLOC, EtherCommand.REALLOC, EtherCommand.READ].sort());
});
