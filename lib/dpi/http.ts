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
import { Layer, type PacketView } from "../pcap/packet_view.ts";
import { httpMessageKind } from "../pcap/http_method.ts";
import {
  HttpFramer,
  mayStartHttpMessage,
  readWholeHttpMessages,
  WholeHttpMessages,
} from "../pcap/http_framer.ts";
import { HttpHead, readHttpHead } from "../pcap/http_head.ts";
import {
  type FastMarks,
  MAX_FAST_MARK,
  type ProtocolPlugin,
  type StreamContext,
} from "./plugin.ts";

/** What an HTTP/1.x status line starts with. */
const HTTP_1 = new TextEncoder().encode("HTTP/1.");
/** The shortest payload taken for HTTP (`GET / H`). */
const MIN_PAYLOAD = 8;

function startsWith(buf: Uint8Array, p: number, end: number, token: Uint8Array): boolean {
  if (end - p < token.length) return false;
  for (let i = 0; i < token.length; i++) if (buf[p + i] !== token[i]) return false;
  return true;
}

/** A message's kind and head, as its framer (or the fast path) read them. */
interface FramedHead {
  readonly kind: number;
  readonly head: HttpHead;
}

/** Stream directions' framers kept for reuse. */
const MAX_POOLED_FLOWS = 1024;

/** One direction of a reassembled HTTP stream: its framer and where its messages go. */
class HttpFlow {
  readonly framer: HttpFramer = new HttpFramer();
  ctx: StreamContext | null = null;
  peer: HttpFlow | null = null;
  ended = false;
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
  // The head read last (offsets from `base`): the plugin's own, or a framer's while it hands
  // over the message the head belongs to.
  let head = new HttpHead();
  let base = 0;
  // The message a framer is handing over (to the engine, which reads it through `classify`
  // and `parse`): its head was read by the framer, and is not read again.
  let framed: FramedHead | null = null;
  let framedBuf: Uint8Array | null = null, framedOffset = -1, framedLength = -1;
  const own = new HttpHead();
  // The fast path: whole messages of a segment, read where they lie; the one handed over.
  const whole = new WholeHttpMessages();
  const fastHead = { kind: 0, head: own };
  const newFlow = (): HttpFlow => {
    const flow = new HttpFlow();
    const framer = flow.framer;
    framer.onMessage = (head, offset, length) => {
      framed = framer;
      framedBuf = head;
      framedOffset = offset;
      framedLength = length;
      try {
        flow.ctx!.message(head, offset, length);
      } finally {
        framed = framedBuf = null;
      }
    };
    return flow;
  };
  /** The start line's third part (version of a request, reason of a response). */
  const part3 = (): string =>
    latin1(buf, base + Math.min(head.sp2 + 1, head.lineEnd), base + head.lineEnd);
  /** The framer whose message `v` is, or null. */
  const framerOf = (v: PacketView): FramedHead | null =>
    framed !== null && v.buf === framedBuf && v.payloadOffset === framedOffset &&
      v.payloadLength === framedLength
      ? framed
      : null;
  function classify(v: PacketView): boolean {
    if ((v.layers & Layer.TCP) === 0 || v.payloadLength < MIN_PAYLOAD || v.payloadOffset < 0) {
      return false;
    }
    const b = v.buf, p = v.payloadOffset, n = v.payloadLength;
    const f = framerOf(v);
    const kind = f !== null ? f.kind : httpMessageKind(b, p, n);
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
      // A framed message's head as its framer read it; a packet's payload as far as it goes.
      const f = framerOf(v);
      if (f !== null) head = f.head;
      else {
        head = own;
        readHttpHead(buf, start, end - start, own);
      }
      if (head.sp1 < 0) return false;
      base = start;
      request = !startsWith(buf, start, end, HTTP_1);
      return true;
    },
    attributes: {
      request: () => request,
      method: () => request ? latin1(buf, base, base + head.sp1) : undefined,
      uri: () => request ? latin1(buf, base + head.sp1 + 1, base + head.sp2) : undefined,
      version: () => request ? part3() : latin1(buf, base, base + head.sp1),
      status: () => {
        if (request) return undefined;
        const n = Number(latin1(buf, base + head.sp1 + 1, base + head.sp2));
        return Number.isInteger(n) ? n : undefined;
      },
      reason: () => request ? undefined : part3(),
      host: () =>
        head.hostStart >= 0 ? latin1(buf, base + head.hostStart, base + head.hostEnd) : undefined,
      user_agent: () =>
        head.uaStart >= 0 ? latin1(buf, base + head.uaStart, base + head.uaEnd) : undefined,
      content_type: () =>
        head.ctStart >= 0 ? latin1(buf, base + head.ctStart, base + head.ctEnd) : undefined,
      content_length: () => {
        if (head.clStart < 0) return undefined;
        const n = Number(latin1(buf, base + head.clStart, base + head.clEnd));
        return Number.isInteger(n) ? n : undefined;
      },
    },
    stream: {
      claim: (_stream, b, o, n) => mayStartHttpMessage(b, o, n),
      open(ctx) {
        const flow = flows.pop() ?? newFlow();
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
      // A segment of whole messages on a direction without a framer: the framer's reading of
      // them, with the requests still unanswered counted in the marks (requests this direction
      // sent; the final responses it sends answer the other direction's).
      whole(ctx: StreamContext, b: Uint8Array, o: number, n: number, marks: FastMarks): boolean {
        if (!readWholeHttpMessages(b, o, n, whole)) return false;
        const own = marks.own + whole.requests;
        if (own > MAX_FAST_MARK) return false;
        for (let i = 0; i < whole.count; i++) {
          fastHead.kind = whole.kinds[i];
          fastHead.head = whole.heads[i];
          framed = fastHead;
          framedBuf = b;
          framedOffset = whole.starts[i];
          framedLength = whole.lengths[i];
          try {
            ctx.message(b, framedOffset, framedLength);
          } finally {
            framed = framedBuf = null;
          }
        }
        marks.own = own;
        if (marks.peer > 0) marks.peer = Math.max(0, marks.peer - whole.finals);
        return true;
      },
      resume: (ctx, mark) => (ctx.state as HttpFlow).framer.expectResponses(mark),
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
