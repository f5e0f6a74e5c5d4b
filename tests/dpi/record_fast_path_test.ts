/**
 * The record framings' fast path (TLS records and DNS-over-TCP messages whole in a segment,
 * handed to the plugin from the packet's bytes with no framing state for the direction) against
 * the full framing (every claimed direction gets its state), on random record streams cut into
 * random segments — many at record boundaries so that the fast path runs, then gives way to the
 * full framing in the middle of a connection — with bad headers, retransmitted and lost
 * segments: every packet's values must be the same.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { captureOf, Conversation, cutCapture } from "./_conversation.ts";
import { fullPathRegistry, packetValues } from "./_fast_path.ts";

const ATTRIBUTES = [
  "tls.content_type",
  "tls.handshake_type",
  "tls.record_version",
  "tls.sni",
  "tls.cipher_suite",
  "dns.id",
  "dns.qname",
  "dns.qdcount",
];

/** A plugin without its framing's fast path. */
/** Every packet's values, with DNS and TLS on their fast path or (`full`) without it. */
function run(bytes: Uint8Array, full: boolean): string[] {
  return packetValues(bytes, ATTRIBUTES, fullPathRegistry(full ? ["dns", "tls"] : []));
}

const u16 = (n: number) => [n >> 8, n & 255];
const enc = new TextEncoder();

/** A ClientHello (`server`: a ServerHello) handshake message naming `name`. */
function hello(server: boolean, name: string): number[] {
  const n = [...enc.encode(name)];
  const sni = [0, 0, ...u16(n.length + 5), ...u16(n.length + 3), 0, ...u16(n.length), ...n];
  const body = server
    ? [3, 3, ...new Array(32).fill(7), 0, 0x13, 0x01, 0, ...u16(0)]
    : [3, 3, ...new Array(32).fill(9), 0, ...u16(2), 0x13, 0x01, 1, 0, ...u16(sni.length), ...sni];
  return [server ? 2 : 1, 0, ...u16(body.length), ...body];
}

/** TLS records: kind 0 a hello, 1 ChangeCipherSpec, 2 an (encrypted) handshake, 3 data, 4 junk. */
function tlsRecord(kind: number, server: boolean, text: string): number[] {
  const t = [...enc.encode(text)];
  const rec = (type: number, body: number[]) => [type, 3, 3, ...u16(body.length), ...body];
  switch (kind) {
    case 0:
      return rec(0x16, hello(server, `${text}.test`));
    case 1:
      return rec(0x14, [1]);
    case 2:
      return rec(0x16, [20, 0, 0, t.length, ...t]);
    case 3:
      return rec(0x17, t);
    default:
      return [0x42, ...t];
  }
}

/** A DNS-over-TCP message (length prefix, header, one question), or junk for kind 2. */
function dnsMessage(kind: number, id: number, text: string): number[] {
  const label = [...enc.encode(text || "x")];
  const msg = [
    ...u16(id),
    kind === 1 ? 0x81 : 0x01,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    label.length,
    ...label,
    0,
    0,
    1,
    0,
    1,
  ];
  return kind === 2 ? [0, 3, 1] : [...u16(msg.length), ...msg];
}

const recordArb = fc.record({
  kind: fc.oneof(
    { weight: 4, arbitrary: fc.nat({ max: 3 }) },
    { weight: 1, arbitrary: fc.constant(4) },
  ),
  text: fc.stringMatching(/^[a-z]{0,10}$/),
});

Deno.test("the fast path reads TLS records and DNS over TCP as the full framing does, however they are cut (property)", () => {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.array(recordArb, { maxLength: 5 }),
      fc.array(recordArb, { maxLength: 5 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 3 }),
      fc.array(fc.nat(), { maxLength: 3 }),
      fc.array(fc.nat(), { maxLength: 40 }),
      fc.record({
        drop: fc.option(fc.nat(), { nil: undefined }),
        repeat: fc.option(fc.nat(), { nil: undefined }),
        fins: fc.boolean(),
        handshake: fc.boolean(),
      }),
      (dns, reqs, ress, keep, clientExtra, serverExtra, order, how) => {
        const side = (ms: { kind: number; text: string }[], server: boolean) =>
          ms.map((m, i) =>
            dns
              ? dnsMessage(m.kind === 4 ? 2 : m.kind % 2, i, m.text)
              : tlsRecord(m.kind, server, m.text)
          );
        const clientMsgs = side(reqs, false), serverMsgs = side(ress, true);
        const c = new Conversation(
          new Uint8Array(clientMsgs.flat()),
          new Uint8Array(serverMsgs.flat()),
          { serverPort: dns ? 53 : 443 },
        );
        const plan = { keep, clientExtra, serverExtra, order, how };
        const packets = cutCapture(
          c,
          clientMsgs.map((m) => m.length),
          serverMsgs.map((m) => m.length),
          plan,
        );
        const bytes = captureOf(packets);
        assert.deepEqual(run(bytes, false), run(bytes, true));
      },
    ),
    { numRuns: 400 },
  );
});
