/**
 * The TLS plugin: TLS records (change-cipher-spec, alert, handshake, application data) on any
 * TCP port; for a ClientHello or ServerHello record it extracts the server name (SNI), ALPN
 * protocols, versions and the chosen cipher suite. Through the engine's stream reassembly each
 * record is read whole — a hello longer than its segment is reported on the segment that
 * completes it, as tshark does — and a handshake record after the direction's ChangeCipherSpec
 * is encrypted; read packet by packet, a record is read from the start of a payload as far as
 * it goes. A hello cut short by the capture's snap length is read as far as the capture goes.
 *
 * @module
 */
import { Layer, type PacketView } from "../pcap/packet_view.ts";
import type { ProtocolPlugin } from "./plugin.ts";
import { recordFraming, type RecordState } from "./_record_framing.ts";

/** Bytes of a TLS record header: content type, version, length. */
const RECORD_HEADER_LEN = 5;
// The longest TLS record: 2^14 bytes of plaintext plus 2048 of expansion, and the header.
const MAX_RECORD = RECORD_HEADER_LEN + 16384 + 2048;
/** Record content types: change_cipher_spec (the lowest) … application_data (the highest). */
const CONTENT_CHANGE_CIPHER_SPEC = 0x14, CONTENT_HANDSHAKE = 0x16, CONTENT_APPLICATION_DATA = 0x17;
/** The record version's major byte, and the highest minor byte taken (TLS 1.3 says 3.4). */
const VERSION_MAJOR = 3, MAX_VERSION_MINOR = 4;
/** Handshake message types. */
const CLIENT_HELLO = 1, SERVER_HELLO = 2;
/** Bytes of the handshake header: type and 24-bit length. */
const HANDSHAKE_HEADER_LEN = 4;
/** A hello's legacy version and its 32-byte random. */
const VERSION_AND_RANDOM_LEN = 34;
/** The shortest payload looked at: a record header (a ChangeCipherSpec record is 6 bytes). */
const MIN_PAYLOAD = RECORD_HEADER_LEN;
/** Extension types read. */
const EXT_SERVER_NAME = 0, EXT_ALPN = 16, EXT_SUPPORTED_VERSIONS = 43;
/** server_name list entry type of a host name. */
const NAME_TYPE_HOST = 0;
/** GREASE versions (RFC 8701) have both bytes of the form 0x?A. */
const GREASE_MASK = 0x0f0f, GREASE_PATTERN = 0x0a0a;

/** Handshake message types of TLS 1.0–1.3 (RFC 8446 §4 and the registry), by number. */
const HANDSHAKE_TYPES = new Uint8Array(256);
for (
  const t of [0, 1, 2, 4, 5, 6, 8, 11, 12, 13, 14, 15, 16, 20, 21, 22, 23, 24, 25, 254]
) HANDSHAKE_TYPES[t] = 1;
/** A handshake message continued in later records is at most this long (a certificate chain). */
const MAX_FRAGMENTED_HANDSHAKE = 0x20000;

/**
 * Whether a handshake record's body `buf[p, end)` reads as plaintext handshake messages: each
 * of a known type, one after the other, filling the record exactly — or a last one that goes
 * on in the next records (a long certificate chain). An encrypted handshake message (the TLS
 * 1.2 Finished after ChangeCipherSpec) is random bytes and fails this almost always; it has no
 * handshake type, as tshark shows it.
 */
function plainHandshake(buf: Uint8Array, p: number, end: number): boolean {
  if (p + HANDSHAKE_HEADER_LEN > end) return false;
  while (p + HANDSHAKE_HEADER_LEN <= end) {
    if (HANDSHAKE_TYPES[buf[p]] === 0) return false;
    const len = (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
    const next = p + HANDSHAKE_HEADER_LEN + len;
    if (next === end) return true;
    if (next > end) return len <= MAX_FRAGMENTED_HANDSHAKE;
    p = next;
  }
  return false;
}

/** `RecordState.mark` of a stream direction that sent ChangeCipherSpec. */
const SENT_CHANGE_CIPHER_SPEC = 1;

/** Whether `b[p …]` starts a TLS record header: type 20–23, version 3.0 to 3.4 (3 bytes). */
function isRecordHeader(b: Uint8Array, p: number): boolean {
  return b[p] >= CONTENT_CHANGE_CIPHER_SPEC && b[p] <= CONTENT_APPLICATION_DATA &&
    b[p + 1] === VERSION_MAJOR && b[p + 2] <= MAX_VERSION_MINOR;
}

function latin1(buf: Uint8Array, a: number, b: number): string {
  let s = "";
  for (let i = a; i < b; i++) s += String.fromCharCode(buf[i]);
  return s;
}

/**
 * Creates the TLS plugin (id 102, name `tls`). Attributes: `content_type` (20–23),
 * `handshake_type` (1 ClientHello,
 * 2 ServerHello), `version` (hello legacy version, e.g. 0x0303), `supported_version` (highest
 * from the supported_versions extension), `sni`, `alpn` (comma-separated), `cipher_suite`
 * (ServerHello), `record_version`.
 *
 * @returns The plugin; its extractors share state, so use one instance per registry.
 * @example
 * ```ts
 * import { createTlsPlugin } from "@mxy/mxy/dpi";
 * import assert from "node:assert/strict";
 * const tls = createTlsPlugin();
 * assert.equal(tls.name, "tls");
 * assert.ok("sni" in tls.attributes);
 * ```
 */
export function createTlsPlugin(): ProtocolPlugin {
  let buf: Uint8Array = new Uint8Array(0);
  let contentType = 0,
    hsType = -1,
    helloVersion = -1,
    recordVersion = 0,
    cipher = -1,
    supported = -1;
  let sni0 = -1, sni1 = -1, alpn0 = -1, alpn1 = -1;
  // Set while the engine reads a handshake record of a stream direction that has sent
  // ChangeCipherSpec: encrypted, whatever its bytes look like.
  let streamEncrypted = false;
  const u16 = (o: number) => (buf[o] << 8) | buf[o + 1];
  return {
    id: 102,
    name: "tls",
    description: "Transport Layer Security records; ClientHello and ServerHello fields",
    layer: "application",
    classify(v: PacketView): boolean {
      if ((v.layers & Layer.TCP) === 0 || v.payloadOffset < 0) return false;
      return v.payloadLength >= MIN_PAYLOAD && isRecordHeader(v.buf, v.payloadOffset);
    },
    parse(v: PacketView): boolean {
      const p = v.payloadOffset, have = v.payloadLength;
      buf = v.buf;
      const end = Math.min(p + have, p + RECORD_HEADER_LEN + u16(p + 3));
      contentType = buf[p];
      recordVersion = u16(p + 1);
      hsType = contentType === CONTENT_HANDSHAKE && !streamEncrypted &&
          plainHandshake(buf, p + RECORD_HEADER_LEN, end)
        ? buf[p + RECORD_HEADER_LEN]
        : -1;
      cipher = supported = helloVersion = -1;
      sni0 =
        sni1 =
        alpn0 =
        alpn1 =
          -1;
      if (hsType !== CLIENT_HELLO && hsType !== SERVER_HELLO) return true; // record fields only
      let q = p + RECORD_HEADER_LEN + HANDSHAKE_HEADER_LEN;
      if (q + VERSION_AND_RANDOM_LEN > end) return false;
      helloVersion = u16(q);
      q += VERSION_AND_RANDOM_LEN;
      if (q >= end) return false;
      q += 1 + buf[q]; // session id
      if (q > end) return false;
      if (hsType === CLIENT_HELLO) {
        if (q + 2 > end) return false;
        q += 2 + u16(q); // cipher suites
        if (q + 1 > end) return false;
        q += 1 + buf[q]; // compression methods
      } else {
        if (q + 3 > end) return false;
        cipher = u16(q);
        q += 3;
      }
      if (q + 2 > end) return true; // no extensions
      const extEnd = Math.min(end, q + 2 + u16(q));
      q += 2;
      while (q + 4 <= extEnd) {
        const type = u16(q), len = u16(q + 2);
        const d = q + 4;
        if (d + len > extEnd) break;
        if (type === EXT_SERVER_NAME && hsType === CLIENT_HELLO && len >= 5) {
          // server_name list: total(2), type(1) = 0 host_name, len(2), name
          let r = d + 2;
          const listEnd = Math.min(d + 2 + u16(d), d + len);
          while (r + 3 <= listEnd) {
            const nt = buf[r], nl = u16(r + 1);
            if (nt === NAME_TYPE_HOST && r + 3 + nl <= listEnd) {
              sni0 = r + 3;
              sni1 = r + 3 + nl;
              break;
            }
            r += 3 + nl;
          }
        } else if (type === EXT_ALPN && len >= 2) {
          alpn0 = d + 2;
          alpn1 = Math.min(d + 2 + u16(d), d + len);
        } else if (type === EXT_SUPPORTED_VERSIONS) {
          if (hsType === SERVER_HELLO && len === 2) supported = u16(d);
          else if (hsType === CLIENT_HELLO && len >= 1) {
            const n = buf[d];
            for (let i = d + 1; i + 1 < d + 1 + n && i + 1 < d + len; i += 2) {
              const ver = u16(i);
              if ((ver & GREASE_MASK) !== GREASE_PATTERN && ver > supported) supported = ver;
            }
          }
        }
        q = d + len;
      }
      return true;
    },
    attributes: {
      content_type: () => contentType,
      handshake_type: () => hsType >= 0 ? hsType : undefined,
      version: () => helloVersion >= 0 ? helloVersion : undefined,
      record_version: () => recordVersion,
      supported_version: () => supported >= 0 ? supported : undefined,
      cipher_suite: () => cipher >= 0 ? cipher : undefined,
      sni: () => sni0 >= 0 ? latin1(buf, sni0, sni1) : undefined,
      alpn: () => {
        if (alpn0 < 0) return undefined;
        const out: string[] = [];
        let r = alpn0;
        while (r < alpn1) {
          const l = buf[r];
          if (r + 1 + l > alpn1) break;
          out.push(latin1(buf, r + 1, r + 1 + l));
          r += 1 + l;
        }
        return out.length ? out.join(",") : undefined;
      },
    },
    stream: recordFraming({
      headerLength: RECORD_HEADER_LEN,
      maxLength: MAX_RECORD,
      recordLength: (b, o) =>
        isRecordHeader(b, o) ? RECORD_HEADER_LEN + ((b[o + 3] << 8) | b[o + 4]) : -1,
      claim(_stream, b, o, n) {
        if (n < RECORD_HEADER_LEN) return n >= 3 && !isRecordHeader(b, o) ? false : undefined;
        return isRecordHeader(b, o);
      },
      record(ctx, b, o, n) {
        const st = ctx.state as RecordState;
        const type = b[o];
        streamEncrypted = st.mark === SENT_CHANGE_CIPHER_SPEC && type === CONTENT_HANDSHAKE;
        try {
          ctx.message(b, o, n);
        } finally {
          streamEncrypted = false;
        }
        if (type === CONTENT_CHANGE_CIPHER_SPEC) st.mark = SENT_CHANGE_CIPHER_SPEC;
      },
    }),
  };
}
