/**
 * Naming a packet's application protocol cheaply, from its ports and first payload bytes, when
 * no protocol registry is used: DNS by port, TLS by its record header, HTTP/1.x by its request
 * or status line (`httpMessageKind` of `http_method.ts`, the one test for an HTTP/1.x message
 * start).
 *
 * @module
 */
import type { FlowPacket } from "./flow_packet.ts";
import * as numbers from "./_protocol_numbers.ts";
import { httpMessageKind } from "./http_method.ts";

// Module-level copies: V8 folds these into hot paths, but not imported bindings.
const { IPPROTO_TCP, IPPROTO_UDP } = numbers;

/** TLS record content type of a handshake. */
const TLS_HANDSHAKE = 0x16;
/** TLS record version major byte (3 for SSL 3.0 and every TLS version). */
const TLS_MAJOR = 3;
/** TLS handshake type of a ClientHello, at offset 5 of the record. */
const TLS_CLIENT_HELLO = 1;
/** DNS and multicast DNS ports. */
const DNS_PORT = 53;
const MDNS_PORT = 5353;

/**
 * Guesses the application protocol of a packet from its ports and first payload bytes: `dns`,
 * `http`, `tls` or `""`. The session table's default classifier; a protocol registry
 * (`DpiEngine.classify` in `@mxy/mxy/dpi`) knows more.
 *
 * @param p The packet.
 * @returns The service name or `""`.
 * @example
 * ```ts
 * import { FlowPacket, guessService } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * const p = new FlowPacket();
 * p.setIPv4(1, 2, 17, 40000, 53);
 * assert.equal(guessService(p), "dns");
 * p.setIPv4(1, 2, 6, 40000, 8080);
 * p.buf = new TextEncoder().encode("GET / HTTP/1.1\r\n");
 * p.payOff = 0;
 * p.payLen = p.buf.length;
 * assert.equal(guessService(p), "http");
 * ```
 */
export function guessService(p: FlowPacket): string {
  const sp = p.sport, dp = p.dport;
  if (p.proto === IPPROTO_UDP || p.proto === IPPROTO_TCP) {
    if (sp === DNS_PORT || dp === DNS_PORT || sp === MDNS_PORT || dp === MDNS_PORT) return "dns";
  }
  if (p.proto !== IPPROTO_TCP || p.payLen < 5) return "";
  const b = p.buf, o = p.payOff;
  if (b[o] === TLS_HANDSHAKE && b[o + 1] === TLS_MAJOR && b[o + 5] === TLS_CLIENT_HELLO) {
    return "tls";
  }
  return httpMessageKind(b, o, p.payLen) === 0 ? "" : "http";
}
