/**
 * Naming a packet's application protocol cheaply, from its ports and first payload bytes, when
 * no protocol registry is used: DNS by port, TLS by its record header, HTTP/1.x by its request
 * or status line. {@linkcode httpMessageKind} is the one test for an HTTP/1.x message start,
 * shared with correlation and the DPI plugin.
 *
 * @module
 */
import type { FlowPacket } from "./flow_packet.ts";
import * as numbers from "./_protocol_numbers.ts";

// Module-level copies: V8 folds these into hot paths, but not imported bindings.
const { IPPROTO_TCP, IPPROTO_UDP } = numbers;

/** The HTTP/1.x request methods, each followed by a space on the request line. */
const HTTP_METHODS: readonly Uint8Array[] = [
  "GET ",
  "POST ",
  "HEAD ",
  "PUT ",
  "DELETE ",
  "OPTIONS ",
  "PATCH ",
  "CONNECT ",
  "TRACE ",
].map((m) => new TextEncoder().encode(m));
/** What a status line starts with. */
const HTTP_VERSION_PREFIX = new TextEncoder().encode("HTTP/");

/** TLS record content type of a handshake. */
const TLS_HANDSHAKE = 0x16;
/** TLS record version major byte (3 for SSL 3.0 and every TLS version). */
const TLS_MAJOR = 3;
/** TLS handshake type of a ClientHello, at offset 5 of the record. */
const TLS_CLIENT_HELLO = 1;
/** DNS and multicast DNS ports. */
const DNS_PORT = 53;
const MDNS_PORT = 5353;

function startsWith(b: Uint8Array, off: number, len: number, token: Uint8Array): boolean {
  if (len < token.length) return false;
  for (let i = 0; i < token.length; i++) if (b[off + i] !== token[i]) return false;
  return true;
}

/**
 * Tells whether bytes start like an HTTP/1.x request (`1`: a method such as `GET` and a
 * space), a response (`2`: `HTTP/`) or neither (`0`). Methods are case-sensitive, as HTTP says.
 *
 * @param bytes The buffer.
 * @param offset Where the payload starts.
 * @param length The payload's length.
 * @returns 1, 2 or 0.
 */
export function httpMessageKind(bytes: Uint8Array, offset: number, length: number): 0 | 1 | 2 {
  if (length < HTTP_VERSION_PREFIX.length) return 0;
  if (startsWith(bytes, offset, length, HTTP_VERSION_PREFIX)) return 2;
  const first = bytes[offset];
  for (let i = 0; i < HTTP_METHODS.length; i++) {
    const m = HTTP_METHODS[i];
    if (first === m[0] && startsWith(bytes, offset, length, m)) return 1;
  }
  return 0;
}

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
