/**
 * The DNS plugin: messages over UDP and over TCP (two-byte length prefix; through the engine's
 * stream reassembly every message of a segment, and messages split over segments), header
 * fields, the first question, and A/AAAA answers. Name compression is followed with loop protection: at most
 * 128 pointer hops and 255 bytes of name, anything else is a `name-loop` error.
 *
 * @module
 */
import { formatIpv4, formatIpv6 } from "../core/ip.ts";
import { Layer, type PacketView } from "../pcap/packet_view.ts";
import { DpiError } from "./dpi_error.ts";
import type { ProtocolPlugin } from "./plugin.ts";
import { recordFraming } from "./_record_framing.ts";

const MAX_HOPS = 128;
const MAX_NAME = 255;
/** Bytes of the DNS header; the first question follows it. */
const HEADER_LEN = 12;
/** Offsets in the header: flags, then the four section counts. */
const FLAGS = 2, QDCOUNT = 4, ANCOUNT = 6, NSCOUNT = 8, ARCOUNT = 10;
/** The two top bits of a label length byte that mark a compression pointer. */
const POINTER = 0xc0;
/** DNS over TCP: each message follows a two-byte length. */
const TCP_LENGTH_PREFIX = 2;
/** A question's type and class after its name. */
const QUESTION_FIXED_LEN = 4;
/** A resource record's type, class, TTL and data length after its name. */
const RR_FIXED_LEN = 10;
/** Resource record types of the answers read: IPv4 and IPv6 addresses. */
const TYPE_A = 1, TYPE_AAAA = 28;
/** The flags byte's QR bit: set in responses. */
const QR_RESPONSE = 0x80;
/** Ports that carry DNS by default: DNS, multicast DNS, LLMNR. */
const DEFAULT_PORTS = [53, 5353, 5355];

/**
 * Decodes a (possibly compressed) DNS name.
 *
 * @param buf The buffer holding the message.
 * @param msgStart Where the DNS message (its id field) starts in `buf`.
 * @param options `end` (message end, default `buf.length`) and `offset` (where the name starts;
 *   default: the first question, `msgStart + 12`).
 * @returns The name with dots, `"<Root>"` for the root.
 * @throws {DpiError} `name-loop` when pointers loop or the name exceeds 255 bytes;
 *   `bad-message` when it runs past the message or uses an unknown label type.
 * @example
 * ```ts
 * import { decodeDnsName } from "@mxy/mxy/dpi";
 * import assert from "node:assert/strict";
 * // header (12 bytes), then "a.b" and a pointer back to it
 * const m = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 97, 1, 98, 0, 0xc0, 12]);
 * assert.equal(decodeDnsName(m, 0), "a.b");
 * assert.equal(decodeDnsName(m, 0, { offset: 17 }), "a.b");
 * const loop = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 12]);
 * assert.throws(() => decodeDnsName(loop, 0), /loop/);
 * ```
 */
export function decodeDnsName(
  buf: Uint8Array,
  msgStart: number,
  options: DecodeDnsNameOptions = {},
): string {
  const end = options.end ?? buf.length;
  let p = options.offset ?? msgStart + HEADER_LEN;
  let hops = 0;
  let len = 0;
  let out = "";
  for (;;) {
    if (p >= end) {
      throw new DpiError("bad-message", "DNS name runs past the message", { offset: p });
    }
    const b = buf[p];
    if (b === 0) break;
    if ((b & POINTER) === POINTER) {
      if (p + 1 >= end) {
        throw new DpiError("bad-message", "DNS pointer cut short", { offset: p });
      }
      if (++hops > MAX_HOPS) {
        throw new DpiError("name-loop", "DNS name compression loop", { offset: p });
      }
      p = msgStart + (((b & ~POINTER) << 8) | buf[p + 1]);
      continue;
    }
    if ((b & POINTER) !== 0) {
      throw new DpiError("bad-message", `DNS label type 0x${b.toString(16)} is not supported`, {
        offset: p,
      });
    }
    if (p + 1 + b > end) {
      throw new DpiError("bad-message", "DNS label runs past the message", { offset: p });
    }
    len += b + 1;
    if (len > MAX_NAME) {
      throw new DpiError("name-loop", "DNS name longer than 255 bytes (compression loop?)", {
        offset: p,
      });
    }
    if (out.length > 0) out += ".";
    for (let i = p + 1; i <= p + b; i++) {
      const c = buf[i];
      out += c > 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\${String(c).padStart(3, "0")}`;
    }
    p += 1 + b;
  }
  return out.length === 0 ? "<Root>" : out;
}

/** Options for {@linkcode decodeDnsName}. */
export interface DecodeDnsNameOptions {
  /** End of the message in the buffer (exclusive). */
  end?: number;
  /** Where the name starts (default: first question at `msgStart + 12`). */
  offset?: number;
}

/** Skips a name without decoding it; returns the offset after it or -1. */
function skipName(buf: Uint8Array, p: number, end: number): number {
  while (p < end) {
    const b = buf[p];
    if (b === 0) return p + 1;
    if ((b & POINTER) === POINTER) return p + 2 <= end ? p + 2 : -1;
    if ((b & POINTER) !== 0) return -1;
    p += 1 + b;
  }
  return -1;
}

/** Options for {@linkcode createDnsPlugin}. */
export interface DnsPluginOptions {
  /** Ports that carry DNS (default 53, 5353 mDNS, 5355 LLMNR). */
  ports?: number[];
}

/**
 * Creates the DNS plugin (id 100, name `dns`). Attributes: `id`, `qr` (0 query, 1 response),
 * `opcode`, `rcode`, `flags`, `qdcount`, `ancount`, `nscount`, `arcount`, `qname`, `qtype`,
 * `qclass`, `answers` (A/AAAA addresses, comma-separated), `ttl` (first answer), `transport`.
 *
 * @param options {@linkcode DnsPluginOptions}.
 * @returns The plugin; its extractors share state, so use one instance per registry.
 * @example
 * ```ts
 * import { createDnsPlugin } from "@mxy/mxy/dpi";
 * import { decodePacket, PacketView } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const q = new Uint8Array([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 120, 0, 0, 1, 0, 1]);
 * const b = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 999, dstPort: 53, payload: q });
 * const v = new PacketView();
 * v.setRecord(b, 0, b.length, b.length);
 * decodePacket(v);
 * const dns = createDnsPlugin();
 * assert.ok(dns.classify(v) && dns.parse!(v));
 * assert.equal(dns.attributes.id(v), 0x1234);
 * assert.equal(dns.attributes.qname(v), "x");
 * ```
 */
export function createDnsPlugin(options: DnsPluginOptions = {}): ProtocolPlugin {
  const ports = new Set(options.ports ?? DEFAULT_PORTS);
  let msg = 0, end = 0, qEnd = -1, anStart = -1, tcp = false;
  let buf: Uint8Array = new Uint8Array(0);
  const u16 = (o: number) => (buf[o] << 8) | buf[o + 1];
  return {
    id: 100,
    name: "dns",
    description: "Domain Name System over UDP and TCP",
    layer: "application",
    classify(v: PacketView): boolean {
      if (!ports.has(v.srcPort) && !ports.has(v.dstPort)) return false;
      if (v.fragment && v.fragOffset > 0) return false;
      if ((v.layers & Layer.UDP) !== 0) return v.payloadLength >= HEADER_LEN;
      if ((v.layers & Layer.TCP) !== 0) return v.payloadLength >= TCP_LENGTH_PREFIX + HEADER_LEN;
      return false;
    },
    parse(v: PacketView): boolean {
      buf = v.buf;
      tcp = (v.layers & Layer.TCP) !== 0;
      const pend = v.payloadOffset + v.payloadLength;
      if (tcp) {
        const len = (buf[v.payloadOffset] << 8) | buf[v.payloadOffset + 1];
        if (len < HEADER_LEN) return false;
        msg = v.payloadOffset + TCP_LENGTH_PREFIX;
        end = Math.min(pend, msg + len);
      } else {
        msg = v.payloadOffset;
        end = pend;
      }
      if (end - msg < HEADER_LEN) return false;
      // Each section is found from its own count: an answer section follows the questions
      // whatever their number (mDNS announcements have none).
      qEnd = anStart = -1;
      let p = msg + HEADER_LEN;
      const qd = u16(msg + QDCOUNT);
      for (let i = 0; i < qd && p >= 0; i++) {
        p = skipName(buf, p, end);
        if (p < 0 || p + QUESTION_FIXED_LEN > end) p = -1;
        else p += QUESTION_FIXED_LEN;
        if (i === 0) qEnd = p;
      }
      anStart = p;
      return true;
    },
    attributes: {
      id: () => u16(msg),
      qr: () => buf[msg + FLAGS] >> 7,
      opcode: () => (buf[msg + FLAGS] >> 3) & 15,
      rcode: () => buf[msg + FLAGS + 1] & 15,
      flags: () => u16(msg + FLAGS),
      qdcount: () => u16(msg + QDCOUNT),
      ancount: () => u16(msg + ANCOUNT),
      nscount: () => u16(msg + NSCOUNT),
      arcount: () => u16(msg + ARCOUNT),
      transport: () => tcp ? "tcp" : "udp",
      qname: () => {
        if (u16(msg + QDCOUNT) === 0) return undefined;
        try {
          return decodeDnsName(buf, msg, { end });
        } catch {
          return undefined;
        }
      },
      qtype: () => qEnd >= 0 ? u16(qEnd - QUESTION_FIXED_LEN) : undefined,
      qclass: () => qEnd >= 0 ? u16(qEnd - 2) : undefined,
      ttl: () => {
        const p0 = anStart;
        if (p0 < 0 || u16(msg + ANCOUNT) === 0) return undefined;
        const p = skipName(buf, p0, end);
        if (p < 0 || p + RR_FIXED_LEN > end) return undefined;
        return ((buf[p + 4] << 24) | (buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7]) >>> 0;
      },
      answers: () => {
        let p = anStart;
        const an = u16(msg + ANCOUNT);
        if (p < 0 || an === 0) return undefined;
        const out: string[] = [];
        for (let i = 0; i < an; i++) {
          p = skipName(buf, p, end);
          if (p < 0 || p + RR_FIXED_LEN > end) break;
          const type = u16(p), rdlen = u16(p + 8);
          const rd = p + RR_FIXED_LEN;
          if (rd + rdlen > end) break;
          if (type === TYPE_A && rdlen === 4) {
            out.push(formatIpv4(
              ((buf[rd] << 24) | (buf[rd + 1] << 16) | (buf[rd + 2] << 8) | buf[rd + 3]) >>> 0,
            ));
          } else if (type === TYPE_AAAA && rdlen === 16) {
            out.push(formatIpv6(buf, rd));
          }
          p = rd + rdlen;
        }
        return out.length ? out.join(",") : undefined;
      },
    },
    stream: recordFraming({
      headerLength: TCP_LENGTH_PREFIX,
      maxLength: TCP_LENGTH_PREFIX + 0xffff,
      recordLength: (b, o) => TCP_LENGTH_PREFIX + ((b[o] << 8) | b[o + 1]),
      claim: (stream) => ports.has(stream.srcPort) || ports.has(stream.dstPort),
    }),
    session: {
      init: () => ({ queries: 0, responses: 0 }),
      packet(state: unknown, v: PacketView): void {
        const s = state as { queries: number; responses: number };
        const o = (v.layers & Layer.TCP) !== 0
          ? v.payloadOffset + TCP_LENGTH_PREFIX
          : v.payloadOffset;
        if (v.payloadLength < HEADER_LEN) return;
        if (v.buf[o + FLAGS] & QR_RESPONSE) s.responses++;
        else s.queries++;
      },
      cleanup: (state: unknown) => {
        const s = state as { queries: number; responses: number };
        return { queries: s.queries, responses: s.responses };
      },
    },
  };
}
