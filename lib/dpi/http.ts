/**
 * The HTTP/1.x plugin: recognises a request line (`METHOD URI HTTP/1.x`) or a status line
 * (`HTTP/1.x CODE reason`) at the start of a TCP payload, whatever the port, and extracts the
 * method, URI, version, status and the Host, User-Agent, Content-Type and Content-Length headers
 * found in the same segment.
 *
 * @module
 */
import { Layer, type PacketView } from "../pcap/packet_view.ts";
import type { ProtocolPlugin } from "./plugin.ts";

const METHODS = ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE"];
const METHOD_BYTES = METHODS.map((m) => [...m].map((c) => c.charCodeAt(0)));
const HTTP_SLASH = [72, 84, 84, 80, 47, 49, 46]; // "HTTP/1."

function startsWith(buf: Uint8Array, p: number, end: number, pat: number[]): boolean {
  if (end - p < pat.length) return false;
  for (let i = 0; i < pat.length; i++) if (buf[p + i] !== pat[i]) return false;
  return true;
}

/** Index of `byte` in `buf[from, to)`, or -1 (bounded, unlike `indexOf`). */
function find(buf: Uint8Array, byte: number, from: number, to: number): number {
  for (let i = from; i < to; i++) if (buf[i] === byte) return i;
  return -1;
}

function latin1(buf: Uint8Array, a: number, b: number): string {
  let s = "";
  for (let i = a; i < b; i++) s += String.fromCharCode(buf[i]);
  return s;
}

/**
 * Creates the HTTP/1.x plugin (id 101, name `http`). Attributes: `method`, `uri`, `version`,
 * `host`, `user_agent`, `content_type`, `content_length`, `status`, `reason`, `request`
 * (boolean).
 *
 * @returns The plugin; its extractors share state, so use one instance per registry.
 * @example
 * ```ts
 * import { createHttpPlugin } from "./http.ts";
 * import { buildPacket } from "../pcap/build.ts";
 * import { decodePacket } from "../pcap/decode.ts";
 * import { PacketView } from "../pcap/packet_view.ts";
 * import assert from "node:assert/strict";
 * const payload = new TextEncoder().encode("GET /a HTTP/1.1\r\nHost: example.test\r\n\r\n");
 * const b = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", proto: "tcp", dstPort: 8080, payload });
 * const v = new PacketView();
 * v.setRecord(b, 0, b.length, b.length);
 * decodePacket(v);
 * const http = createHttpPlugin();
 * assert.ok(http.classify(v) && http.parse!(v));
 * assert.equal(http.attributes.host(v), "example.test");
 * assert.equal(http.attributes.uri(v), "/a");
 * ```
 */
export function createHttpPlugin(): ProtocolPlugin {
  let buf: Uint8Array = new Uint8Array(0);
  let request = false;
  // request: [method, uri, version]; response: [version, status, reason] — as offsets
  let a0 = 0, a1 = 0, b0 = 0, b1 = 0, c0 = 0, c1 = 0;
  let host0 = -1, host1 = -1, ua0 = -1, ua1 = -1, ct0 = -1, ct1 = -1, cl0 = -1, cl1 = -1;
  function classify(v: PacketView): boolean {
    if ((v.layers & Layer.TCP) === 0 || v.payloadLength < 8 || v.payloadOffset < 0) return false;
    const b = v.buf, p = v.payloadOffset, end = p + v.payloadLength;
    const c = b[p];
    if (c === 72) return startsWith(b, p, end, HTTP_SLASH);
    for (const m of METHOD_BYTES) {
      if (c === m[0] && startsWith(b, p, end, m) && b[p + m.length] === 32) return true;
    }
    return false;
  }
  return {
    id: 101,
    name: "http",
    description: "Hypertext Transfer Protocol 1.x (request and status lines, main headers)",
    layer: "application",
    classify,
    parse(v: PacketView): boolean {
      buf = v.buf;
      const start = v.payloadOffset, end = start + v.payloadLength;
      // first line
      let eol = start;
      while (eol < end && buf[eol] !== 10) eol++;
      let lineEnd = eol > start && buf[eol - 1] === 13 ? eol - 1 : eol;
      const sp1 = find(buf, 32, start, lineEnd);
      if (sp1 < 0 || sp1 >= lineEnd) return false;
      let sp2 = find(buf, 32, sp1 + 1, lineEnd);
      if (sp2 < 0 || sp2 > lineEnd) sp2 = lineEnd;
      request = buf[start] !== 72 || !startsWith(buf, start, end, HTTP_SLASH);
      a0 = start;
      a1 = sp1;
      b0 = sp1 + 1;
      b1 = sp2;
      c0 = Math.min(sp2 + 1, lineEnd);
      c1 = lineEnd;
      host0 =
        host1 =
        ua0 =
        ua1 =
        ct0 =
        ct1 =
        cl0 =
        cl1 =
          -1;
      // headers
      let p = eol + 1;
      while (p < end) {
        eol = p;
        while (eol < end && buf[eol] !== 10) eol++;
        lineEnd = eol > p && buf[eol - 1] === 13 ? eol - 1 : eol;
        if (lineEnd === p) break; // blank line: end of headers
        const colon = find(buf, 58, p, lineEnd);
        if (colon > p && colon < lineEnd) {
          let vs = colon + 1;
          while (vs < lineEnd && (buf[vs] === 32 || buf[vs] === 9)) vs++;
          let ve = lineEnd;
          while (ve > vs && (buf[ve - 1] === 32 || buf[ve - 1] === 9)) ve--;
          const n = colon - p;
          const l0 = buf[p] | 0x20;
          if (n === 4 && l0 === 104 && (buf[p + 1] | 0x20) === 111 && (buf[p + 2] | 0x20) === 115) {
            host0 = vs;
            host1 = ve;
          } else if (n === 10 && l0 === 117 && (buf[p + 5] | 0x20) === 97) {
            ua0 = vs;
            ua1 = ve;
          } else if (n === 12 && l0 === 99 && (buf[p + 8] | 0x20) === 116) {
            ct0 = vs;
            ct1 = ve;
          } else if (n === 14 && l0 === 99 && (buf[p + 8] | 0x20) === 108) {
            cl0 = vs;
            cl1 = ve;
          }
        }
        p = eol + 1;
      }
      return true;
    },
    attributes: {
      request: () => request,
      method: () => request ? latin1(buf, a0, a1) : undefined,
      uri: () => request ? latin1(buf, b0, b1) : undefined,
      version: () => request ? latin1(buf, c0, c1) : latin1(buf, a0, a1),
      status: () => {
        if (request) return undefined;
        const n = Number(latin1(buf, b0, b1));
        return Number.isInteger(n) ? n : undefined;
      },
      reason: () => request ? undefined : latin1(buf, c0, c1),
      host: () => host0 >= 0 ? latin1(buf, host0, host1) : undefined,
      user_agent: () => ua0 >= 0 ? latin1(buf, ua0, ua1) : undefined,
      content_type: () => ct0 >= 0 ? latin1(buf, ct0, ct1) : undefined,
      content_length: () => {
        if (cl0 < 0) return undefined;
        const n = Number(latin1(buf, cl0, cl1));
        return Number.isInteger(n) ? n : undefined;
      },
    },
    session: {
      init: () => ({ requests: 0, responses: 0 }),
      packet(state: unknown, v: PacketView): void {
        const s = state as { requests: number; responses: number };
        if (!classify(v)) return;
        if (startsWith(v.buf, v.payloadOffset, v.payloadOffset + v.payloadLength, HTTP_SLASH)) {
          s.responses++;
        } else s.requests++;
      },
      cleanup: (state: unknown) => {
        const s = state as { requests: number; responses: number };
        return { requests: s.requests, responses: s.responses };
      },
    },
  };
}
