/**
 * The HTTP/1.x plugin: recognises a request line (`METHOD URI HTTP/1.x`) or a status line
 * (`HTTP/1.x CODE reason`) on any TCP port, and extracts the method, URI, version, status and
 * the Host, User-Agent, Content-Type and Content-Length headers. Through the engine's stream
 * reassembly each message is read whole — headers over several segments, pipelined messages,
 * bodies skipped by `Content-Length` or chunked coding — and reported on the packet carrying
 * its last byte, as tshark does; read packet by packet, the headers are those of the segment.
 *
 * @module
 */
import { asciiStartsWith } from "../core/ascii.ts";
import { Layer, type PacketView } from "../pcap/packet_view.ts";
import { httpMessageKind } from "../pcap/http_method.ts";
import { HttpFramer, mayStartHttpMessage } from "../pcap/http_framer.ts";
import type { ProtocolPlugin, StreamContext } from "./plugin.ts";

/** What an HTTP/1.x status line starts with. */
const HTTP_1 = new TextEncoder().encode("HTTP/1.");
/** The shortest payload taken for HTTP (`GET / H`). */
const MIN_PAYLOAD = 8;
const CH_SPACE = 0x20, CH_TAB = 0x09, CH_CR = 0x0d, CH_LF = 0x0a, CH_COLON = 0x3a;

function startsWith(buf: Uint8Array, p: number, end: number, token: Uint8Array): boolean {
  if (end - p < token.length) return false;
  for (let i = 0; i < token.length; i++) if (buf[p + i] !== token[i]) return false;
  return true;
}

/** ASCII letters' case bit, and the lower-case first letters of the headers read. */
const CASE_BIT = 0x20, CH_LOWER_H = 0x68, CH_LOWER_U = 0x75, CH_LOWER_C = 0x63;
/** The headers read, and their names' lengths. */
const H_NONE = 0, H_HOST = 1, H_USER_AGENT = 2, H_CONTENT_TYPE = 3, H_CONTENT_LENGTH = 4;
const HEADER_LENGTHS = [0, 4, 10, 12, 14];

/**
 * Whether the header line `buf[p, lineEnd)` is named `lower` (ignoring ASCII case): the name is
 * followed by the line's first colon.
 */
function isHeader(buf: Uint8Array, p: number, lineEnd: number, lower: string): boolean {
  const n = lower.length;
  return p + n < lineEnd && buf[p + n] === CH_COLON && asciiStartsWith(buf, p, lower);
}

/** Index of `byte` in `buf[from, to)`, or -1 (bounded, unlike `indexOf`). */
function find(buf: Uint8Array, byte: number, from: number, to: number): number {
  for (let i = from; i < to; i++) if (buf[i] === byte) return i;
  return -1;
}

/** Stream directions' framers kept for reuse. */
const MAX_POOLED_FLOWS = 1024;

/** One direction of a reassembled HTTP stream: its framer and where its messages go. */
class HttpFlow {
  readonly framer: HttpFramer = new HttpFramer();
  ctx: StreamContext | null = null;
  peer: HttpFlow | null = null;
  ended = false;

  constructor() {
    this.framer.onMessage = (head, offset, length) => this.ctx!.message(head, offset, length);
  }
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
 * import { createHttpPlugin } from "@mxy/mxy/dpi";
 * import { decodePacket, PacketView } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
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
  // Framers of stream directions, reused by later streams once both directions ended.
  const flows: HttpFlow[] = [];
  const release = (flow: HttpFlow) => {
    flow.framer.reset();
    flow.peer = null;
    flow.ctx = null;
    flow.ended = false;
    if (flows.length < MAX_POOLED_FLOWS) flows.push(flow);
  };
  let buf: Uint8Array = new Uint8Array(0);
  let request = false;
  // request: [method, uri, version]; response: [version, status, reason] — as offsets
  let a0 = 0, a1 = 0, b0 = 0, b1 = 0, c0 = 0, c1 = 0;
  let host0 = -1, host1 = -1, ua0 = -1, ua1 = -1, ct0 = -1, ct1 = -1, cl0 = -1, cl1 = -1;
  function classify(v: PacketView): boolean {
    if ((v.layers & Layer.TCP) === 0 || v.payloadLength < MIN_PAYLOAD || v.payloadOffset < 0) {
      return false;
    }
    const b = v.buf, p = v.payloadOffset, n = v.payloadLength;
    const kind = httpMessageKind(b, p, n);
    return kind === 1 || (kind === 2 && startsWith(b, p, p + n, HTTP_1));
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
      while (eol < end && buf[eol] !== CH_LF) eol++;
      let lineEnd = eol > start && buf[eol - 1] === CH_CR ? eol - 1 : eol;
      const sp1 = find(buf, CH_SPACE, start, lineEnd);
      if (sp1 < 0 || sp1 >= lineEnd) return false;
      let sp2 = find(buf, CH_SPACE, sp1 + 1, lineEnd);
      if (sp2 < 0 || sp2 > lineEnd) sp2 = lineEnd;
      request = !startsWith(buf, start, end, HTTP_1);
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
        while (eol < end && buf[eol] !== CH_LF) eol++;
        lineEnd = eol > p && buf[eol - 1] === CH_CR ? eol - 1 : eol;
        if (lineEnd === p) break; // blank line: end of headers
        // A header is one of those read when the line's first colon follows its name (the
        // names hold no colon): other lines are passed over by their first letter.
        const first = buf[p] | CASE_BIT;
        let header = H_NONE;
        if (first === CH_LOWER_H) {
          if (isHeader(buf, p, lineEnd, "host")) header = H_HOST;
        } else if (first === CH_LOWER_U) {
          if (isHeader(buf, p, lineEnd, "user-agent")) header = H_USER_AGENT;
        } else if (first === CH_LOWER_C) {
          if (isHeader(buf, p, lineEnd, "content-type")) header = H_CONTENT_TYPE;
          else if (isHeader(buf, p, lineEnd, "content-length")) header = H_CONTENT_LENGTH;
        }
        if (header !== H_NONE) {
          let vs = p + HEADER_LENGTHS[header] + 1;
          while (vs < lineEnd && (buf[vs] === CH_SPACE || buf[vs] === CH_TAB)) vs++;
          let ve = lineEnd;
          while (ve > vs && (buf[ve - 1] === CH_SPACE || buf[ve - 1] === CH_TAB)) ve--;
          if (header === H_HOST) {
            host0 = vs;
            host1 = ve;
          } else if (header === H_USER_AGENT) {
            ua0 = vs;
            ua1 = ve;
          } else if (header === H_CONTENT_TYPE) {
            ct0 = vs;
            ct1 = ve;
          } else {
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
    stream: {
      claim: (_stream, b, o, n) => mayStartHttpMessage(b, o, n),
      open(ctx) {
        const flow = flows.pop() ?? new HttpFlow();
        flow.ctx = ctx;
        const peer = ctx.peerState;
        if (peer instanceof HttpFlow) {
          flow.peer = peer;
          peer.peer = flow;
          flow.framer.peer = peer.framer;
          peer.framer.peer = flow.framer;
        }
        ctx.state = flow;
      },
      data: (ctx, b, o, n) => (ctx.state as HttpFlow).framer.data(b, o, n),
      gap: (ctx, n) => (ctx.state as HttpFlow).framer.gap(n),
      end(ctx) {
        const flow = ctx.state as HttpFlow;
        flow.framer.end();
        flow.ended = true;
        // The later of the two directions to end lets both serve later streams.
        const peer = flow.peer;
        if (peer !== null && peer.ended) {
          release(flow);
          release(peer);
        }
      },
    },
    session: {
      init: () => ({ requests: 0, responses: 0 }),
      packet(state: unknown, v: PacketView): void {
        const s = state as { requests: number; responses: number };
        if (!classify(v)) return;
        if (startsWith(v.buf, v.payloadOffset, v.payloadOffset + v.payloadLength, HTTP_1)) {
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
