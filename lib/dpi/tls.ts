/**
 * The TLS plugin: a TLS record (change-cipher-spec, alert, handshake, application data) at the
 * start of a TCP payload, whatever the port; for a ClientHello or ServerHello record it extracts
 * the server name (SNI), ALPN protocols, versions and the chosen cipher suite. A hello longer
 * than its segment is reassembled from the segments that follow in sequence and reported on the
 * one that completes it, as tshark does; a hello cut short by the capture's snap length is read
 * as far as it goes.
 *
 * @module
 */
import { Layer, type PacketView } from "../pcap/packet_view.ts";
import type { ProtocolPlugin } from "./plugin.ts";
import { declaredPayload, HelloAssembly } from "./_hello_assembly.ts";

// The longest TLS record: 2^14 bytes of plaintext plus 2048 of expansion, and the header.
const MAX_RECORD = 5 + 16384 + 2048;

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
 * import { createTlsPlugin } from "./tls.ts";
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
  // Hellos waiting for their next segments; `completed`: the packet classify() last accepted
  // completed one (parse() then reads the whole record from the assembly).
  const assembly = new HelloAssembly();
  let completed = false;
  // classify() changes the assembly, and may be asked twice about one packet (extraction,
  // then the protocol path): the packet it last changed it for, and its answer.
  let seenBuf: Uint8Array | null = null, seenNumber = -1, seenOffset = -1, seenSeq = -1;
  let seenAnswer = false;
  const remember = (v: PacketView, answer: boolean) => {
    seenBuf = v.buf;
    seenNumber = v.number;
    seenOffset = v.payloadOffset;
    seenSeq = v.tcpSeq;
    seenAnswer = answer;
    return answer;
  };
  const u16 = (o: number) => (buf[o] << 8) | buf[o + 1];
  return {
    id: 102,
    name: "tls",
    description: "Transport Layer Security records; ClientHello and ServerHello fields",
    layer: "application",
    classify(v: PacketView): boolean {
      if (
        v.buf === seenBuf && v.number === seenNumber && v.payloadOffset === seenOffset &&
        v.tcpSeq === seenSeq
      ) {
        completed = seenAnswer; // accepted only when it completed a hello
        return seenAnswer;
      }
      completed = false;
      if ((v.layers & Layer.TCP) === 0 || v.payloadOffset < 0) return false;
      if (assembly.waiting > 0) {
        // A segment continuing a hello: TLS when it completes the record (the segments before
        // are parts of it, as tshark shows them).
        const i = assembly.find(v);
        if (i >= 0) return remember(v, completed = assembly.add(i, v));
      }
      if (v.payloadLength < 10) return false;
      const b = v.buf, p = v.payloadOffset;
      if (!(b[p] >= 0x14 && b[p] <= 0x17 && b[p + 1] === 3 && b[p + 2] <= 4)) return false;
      const length = 5 + ((b[p + 3] << 8) | b[p + 4]);
      const hello = b[p] === 0x16 && (b[p + 5] === 1 || b[p + 5] === 2);
      if (
        hello && length > v.payloadLength && length <= MAX_RECORD &&
        v.payloadLength === declaredPayload(v)
      ) {
        // The segment carried all it had, and the record goes on in the next ones.
        assembly.open(v, length);
        return remember(v, false);
      }
      return true;
    },
    parse(v: PacketView): boolean {
      let p = v.payloadOffset, have = v.payloadLength;
      buf = v.buf;
      if (completed) {
        buf = assembly.record;
        p = 0;
        have = buf.length;
      }
      const end = Math.min(p + have, p + 5 + u16(p + 3));
      contentType = buf[p];
      recordVersion = u16(p + 1);
      hsType = contentType === 0x16 ? buf[p + 5] : -1;
      cipher = supported = helloVersion = -1;
      sni0 =
        sni1 =
        alpn0 =
        alpn1 =
          -1;
      if (hsType !== 1 && hsType !== 2) return true; // not a hello: record fields only
      let q = p + 9;
      if (q + 34 > end) return false;
      helloVersion = u16(q);
      q += 34; // version + random
      if (q >= end) return false;
      q += 1 + buf[q]; // session id
      if (q > end) return false;
      if (hsType === 1) {
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
        if (type === 0 && hsType === 1 && len >= 5) {
          // server_name list: total(2), type(1) = 0 host_name, len(2), name
          let r = d + 2;
          const listEnd = Math.min(d + 2 + u16(d), d + len);
          while (r + 3 <= listEnd) {
            const nt = buf[r], nl = u16(r + 1);
            if (nt === 0 && r + 3 + nl <= listEnd) {
              sni0 = r + 3;
              sni1 = r + 3 + nl;
              break;
            }
            r += 3 + nl;
          }
        } else if (type === 16 && len >= 2) {
          alpn0 = d + 2;
          alpn1 = Math.min(d + 2 + u16(d), d + len);
        } else if (type === 43) {
          if (hsType === 2 && len === 2) supported = u16(d);
          else if (hsType === 1 && len >= 1) {
            const n = buf[d];
            for (let i = d + 1; i + 1 < d + 1 + n && i + 1 < d + len; i += 2) {
              const ver = u16(i);
              if ((ver & 0x0f0f) !== 0x0a0a && ver > supported) supported = ver; // skip GREASE
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
  };
}
