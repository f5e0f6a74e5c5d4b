import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Capability,
  Command,
  decodeCapabilities,
  decodeHeader,
  encodeCapabilities,
  encodeHeader,
  encodeMessage,
  ErrorCode,
  EtherError,
  Flag,
  HEADER_SIZE,
  MAX_PAYLOAD,
  sizeIsLength,
  validateHeader,
} from "../../lib/ether/protocol.ts";
import { hex, toHex } from "./_helpers.ts";

const H = 0x0123456789abcdefn;

// Golden bytes of every message, written out by hand from the header layout:
// magic(4) version(1) command(1) flags(2) handle(8) size(4) reserved(4)
const GOLDEN: [string, Uint8Array, string][] = [
  [
    "PING",
    encodeMessage({ command: Command.PING }),
    "e7e7e7e7 01 01 0000 0000000000000000 00000000 00000000",
  ],
  [
    "PING asking capabilities",
    encodeMessage({ command: Command.PING, flags: Flag.CAPABILITIES }),
    "e7e7e7e7 01 01 0002 0000000000000000 00000000 00000000",
  ],
  [
    "PONG",
    encodeMessage({ command: Command.PONG }),
    "e7e7e7e7 01 02 0000 0000000000000000 00000000 00000000",
  ],
  [
    "PONG with capabilities",
    encodeMessage(
      { command: Command.PONG },
      encodeCapabilities({ bits: 0x0f, maxPayload: MAX_PAYLOAD, software: "mxy" }),
    ),
    "e7e7e7e7 01 02 0000 0000000000000000 0000000b 00000000  0000000f 01000000 6d7879",
  ],
  [
    "AUTH",
    encodeMessage({ command: Command.AUTH }, new TextEncoder().encode("tok")),
    "e7e7e7e7 01 03 0000 0000000000000000 00000003 00000000 746f6b",
  ],
  [
    "ALLOC, legacy framing (size bytes follow)",
    encodeMessage({ command: Command.ALLOC }, new Uint8Array(4)),
    "e7e7e7e7 01 10 0000 0000000000000000 00000004 00000000 00000000",
  ],
  [
    "ALLOC, no payload",
    encodeMessage({ command: Command.ALLOC, flags: Flag.NO_PAYLOAD, size: 100 }),
    "e7e7e7e7 01 10 0001 0000000000000000 00000064 00000000",
  ],
  [
    "OK with handle",
    encodeMessage({ command: Command.OK, handle: H }),
    "e7e7e7e7 01 f0 0000 0123456789abcdef 00000000 00000000",
  ],
  [
    "FREE",
    encodeMessage({ command: Command.FREE, handle: H }),
    "e7e7e7e7 01 11 0000 0123456789abcdef 00000000 00000000",
  ],
  [
    "REALLOC",
    encodeMessage({ command: Command.REALLOC, handle: H, flags: 1, size: 0x10000 }),
    "e7e7e7e7 01 12 0001 0123456789abcdef 00010000 00000000",
  ],
  [
    "WRITE",
    encodeMessage({ command: Command.WRITE, handle: H }, hex("deadbeef")),
    "e7e7e7e7 01 20 0000 0123456789abcdef 00000004 00000000 deadbeef",
  ],
  [
    "READ",
    encodeMessage({ command: Command.READ, handle: H, flags: 1, size: 64 }),
    "e7e7e7e7 01 21 0001 0123456789abcdef 00000040 00000000",
  ],
  [
    "OK with data",
    encodeMessage({ command: Command.OK, handle: H }, hex("0102")),
    "e7e7e7e7 01 f0 0000 0123456789abcdef 00000002 00000000 0102",
  ],
  [
    "ERROR NOMEM",
    encodeMessage({ command: Command.ERROR, reserved: ErrorCode.NOMEM }),
    "e7e7e7e7 01 ff 0000 0000000000000000 00000000 ffffffff",
  ],
  [
    "ERROR INVALID with message",
    encodeMessage({ command: Command.ERROR, reserved: ErrorCode.INVALID }, hex("6869")),
    "e7e7e7e7 01 ff 0000 0000000000000000 00000002 fffffffe 6869",
  ],
  [
    "ERROR NOTFOUND",
    encodeMessage({ command: Command.ERROR, handle: H, reserved: ErrorCode.NOTFOUND }),
    "e7e7e7e7 01 ff 0000 0123456789abcdef 00000000 fffffff9",
  ],
  [
    "DB_OPEN",
    encodeMessage({ command: Command.DB_OPEN }, new TextEncoder().encode("a.mxy")),
    "e7e7e7e7 01 50 0000 0000000000000000 00000005 00000000 612e6d7879",
  ],
  [
    "DB_LOAD",
    encodeMessage({ command: Command.DB_LOAD, handle: H }),
    "e7e7e7e7 01 51 0000 0123456789abcdef 00000000 00000000",
  ],
  [
    "DB_QUERY",
    encodeMessage({ command: Command.DB_QUERY, handle: 0n }, new TextEncoder().encode("1.2.3.4")),
    "e7e7e7e7 01 52 0000 0000000000000000 00000007 00000000 312e322e332e34",
  ],
  [
    "DB_CLOSE",
    encodeMessage({ command: Command.DB_CLOSE, handle: H }),
    "e7e7e7e7 01 53 0000 0123456789abcdef 00000000 00000000",
  ],
  [
    "STATS",
    encodeMessage({ command: Command.STATS }),
    "e7e7e7e7 01 54 0000 0000000000000000 00000000 00000000",
  ],
];

for (const [name, bytes, golden] of GOLDEN) {
  Deno.test(`encodeMessage() produces the golden bytes of ${name}`, () => {
    assert.equal(toHex(bytes), toHex(hex(golden)));
  });
}

Deno.test("decodeHeader() reads every field of a golden header", () => {
  const h = decodeHeader(hex("e7e7e7e7 01 ff 0004 0123456789abcdef 00000010 fffffffd"));
  assert.deepEqual(h, {
    magic: 0xe7e7e7e7,
    version: 1,
    command: Command.ERROR,
    flags: Flag.ERROR_MESSAGE,
    handle: H,
    size: 16,
    reserved: ErrorCode.CORRUPT,
  });
});

Deno.test("decodeHeader() rejects fewer than 24 bytes", () => {
  assert.throws(() => decodeHeader(new Uint8Array(23)), RangeError);
});

Deno.test("encodeHeader() and decodeHeader() round-trip any field values", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.bigUint(2n ** 64n - 1n),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      (command, flags, handle, size, reserved) => {
        const h = { command, flags, handle, size, reserved };
        const bytes = encodeHeader(h);
        assert.equal(bytes.length, HEADER_SIZE);
        const { magic: _m, version: _v, ...back } = decodeHeader(bytes);
        assert.deepEqual(back, h);
      },
    ),
  );
});

Deno.test("validateHeader() names the bad field: magic, version, size", () => {
  const base = { command: 1, flags: 0, handle: 0n, size: 0, reserved: 0 };
  assert.equal(validateHeader(decodeHeader(encodeHeader(base))), null);
  assert.match(
    validateHeader(decodeHeader(encodeHeader(base, { magic: 0xe7e7e7e6 })))!,
    /magic 0xe7e7e7e6 at byte 0/,
  );
  assert.match(
    validateHeader(decodeHeader(encodeHeader(base, { version: 2 })))!,
    /version 2 at byte 4/,
  );
  assert.match(
    validateHeader(decodeHeader(encodeHeader({ ...base, size: MAX_PAYLOAD + 1 })))!,
    /byte 16/,
  );
  assert.equal(validateHeader(decodeHeader(encodeHeader({ ...base, size: MAX_PAYLOAD }))), null);
});

Deno.test("decodeCapabilities() round-trips and treats an empty PONG as a reference server", () => {
  const caps = {
    bits: Capability.NO_PAYLOAD | Capability.DATABASE,
    maxPayload: 1234,
    software: "mxy/0.1.0",
  };
  assert.deepEqual(decodeCapabilities(encodeCapabilities(caps)), caps);
  assert.equal(decodeCapabilities(new Uint8Array(0)), null);
});

Deno.test("sizeIsLength() is true exactly for ALLOC, REALLOC and READ", () => {
  const length = Object.values(Command).filter(sizeIsLength).sort();
  assert.deepEqual(length, [Command.ALLOC, Command.REALLOC, Command.READ].sort());
});

Deno.test("EtherError carries the protocol code and its name", () => {
  const e = new EtherError(ErrorCode.OVERFLOW, "WRITE of 9 bytes failed");
  assert.equal(e.code, -4);
  assert.equal(e.codeName, "OVERFLOW");
  assert.ok(e instanceof Error);
});
