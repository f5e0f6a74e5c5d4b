/**
 * A generated capture with many interleaved conversations, for the parallel pipeline's equality
 * tests: DNS over UDP (answered, unanswered, repeated; IPv4 and IPv6; mDNS), TCP connections
 * with handshake, an HTTP request and response and FINs (some left open, some refused, some
 * reusing a port), relayed payloads (in over UDP, out over TCP, echoed back), non-IP frames and
 * IP fragments; gaps long enough for short windows and idle timeouts to expire things.
 *
 * @module
 */
import { PcapWriter, TcpFlag } from "../../lib/pcap/mod.ts";
import { buildPacket } from "../../lib/testing/mod.ts";

const { ACK, FIN, PSH, RST, SYN } = TcpFlag;
const enc = new TextEncoder();

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Event {
  ns: number;
  order: number;
  bytes: Uint8Array;
}

function dns(id: number, response: boolean, name: string): Uint8Array {
  const labels = name.split(".").flatMap((l) => [l.length, ...enc.encode(l)]);
  return new Uint8Array([
    id >> 8,
    id & 255,
    response ? 0x81 : 1,
    response ? 0x80 : 0,
    0,
    1,
    0,
    response ? 1 : 0,
    0,
    0,
    0,
    0,
    ...labels,
    0,
    0,
    1,
    0,
    1,
  ]);
}

/**
 * Makes the capture's bytes (classic pcap, nanoseconds, Ethernet).
 *
 * @param conversations How many conversations (about eight packets each).
 * @param seed The PRNG seed.
 * @param baseSec The capture time of its start, in seconds.
 * @returns The capture.
 */
export function manyFlowsCapture(
  conversations: number,
  seed = 1,
  baseSec = 1_700_000_000,
): Uint8Array {
  const r = rng(seed);
  const events: Event[] = [];
  let order = 0;
  const at = (ns: number, bytes: Uint8Array) => events.push({ ns, order: order++, bytes });
  const host = (i: number) => `10.${(i >> 8) & 255}.${i & 255}.${1 + (i % 200)}`;
  let start = 0;
  for (let c = 0; c < conversations; c++) {
    // Mostly close together, now and then a long pause (expiry, idle timeouts).
    start += r() < 0.02 ? 2e9 : Math.floor(r() * 2e6);
    const kind = Math.floor(r() * 6);
    const client = host(Math.floor(r() * 400)), server = host(1000 + Math.floor(r() * 20));
    const port = 1024 + Math.floor(r() * 2000);
    let t = start;
    const step = () => (t += 1000 + Math.floor(r() * 3e6));
    if (kind === 0 || kind === 1) {
      // DNS: IPv4 or IPv6, sometimes mDNS, sometimes repeated, sometimes unanswered.
      const v6 = kind === 1;
      const src = v6 ? `fd00::${(c % 300).toString(16)}` : client;
      const dst = v6 ? "fd00::53" : server;
      const dport = r() < 0.1 ? 5353 : 53;
      const id = Math.floor(r() * 65536);
      const name = `h${c % 97}.example`;
      const q = buildPacket({
        src,
        dst,
        srcPort: port,
        dstPort: dport,
        payload: dns(id, false, name),
      });
      at(step(), q);
      if (r() < 0.2) at(step(), q);
      if (r() < 0.8) {
        at(
          step(),
          buildPacket({
            src: dst,
            dst: src,
            srcPort: dport,
            dstPort: port,
            payload: dns(id, true, name),
          }),
        );
      }
    } else if (kind === 2 || kind === 3) {
      // TCP with HTTP: handshake, request, response (in one or two segments), FINs.
      const tcp = (from: boolean, flags: number, seq: number, ack: number, payload?: Uint8Array) =>
        buildPacket({
          src: from ? client : server,
          dst: from ? server : client,
          srcPort: from ? port : 80,
          dstPort: from ? 80 : port,
          proto: "tcp",
          tcpFlags: flags,
          seq,
          ack,
          payload,
        });
      const cs = 1000 + c, ss = 5000 + c;
      at(step(), tcp(true, SYN, cs, 0));
      if (r() < 0.1) {
        at(step(), tcp(false, RST | ACK, 0, cs + 1));
        continue;
      }
      at(step(), tcp(false, SYN | ACK, ss, cs + 1));
      at(step(), tcp(true, ACK, cs + 1, ss + 1));
      const req = enc.encode(`GET /${c} HTTP/1.1\r\nHost: s${c % 13}\r\n\r\n`);
      at(step(), tcp(true, PSH | ACK, cs + 1, ss + 1, req));
      if (r() < 0.85) {
        const body = "x".repeat(Math.floor(r() * 40));
        const res = enc.encode(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        if (r() < 0.3) {
          const half = res.length >> 1;
          at(step(), tcp(false, ACK, ss + 1, cs + 1 + req.length, res.subarray(0, half)));
          at(step(), tcp(false, PSH | ACK, ss + 1 + half, cs + 1 + req.length, res.subarray(half)));
        } else at(step(), tcp(false, PSH | ACK, ss + 1, cs + 1 + req.length, res));
        if (r() < 0.8) {
          at(step(), tcp(true, FIN | ACK, cs + 1 + req.length, ss + 1 + res.length));
          at(step(), tcp(false, FIN | ACK, ss + 1 + res.length, cs + 2 + req.length));
        }
      }
    } else if (kind === 4) {
      // A relay: the payload comes in over UDP and goes out over TCP, and is echoed back.
      const payload = enc.encode(`relay ${c % 50} ${Math.floor(r() * 4)}`);
      at(
        step(),
        buildPacket({ src: client, dst: "10.9.0.10", srcPort: port, dstPort: 5000, payload }),
      );
      const relay = (from: boolean) =>
        buildPacket({
          src: from ? "10.9.0.10" : "10.9.0.20",
          dst: from ? "10.9.0.20" : "10.9.0.10",
          srcPort: from ? 40000 + (c % 100) : 6000,
          dstPort: from ? 6000 : 40000 + (c % 100),
          proto: "tcp",
          tcpFlags: PSH | ACK,
          seq: c,
          ack: 1,
          payload,
        });
      if (r() < 0.9) at(step(), relay(true));
      if (r() < 0.7) at(step(), relay(false));
    } else {
      // Odd frames: not IP, and IP fragments.
      const arp = new Uint8Array(60);
      arp.set([255, 255, 255, 255, 255, 255, 2, 0, 0, 0, 0, 1, 0x08, 0x06]);
      at(step(), arp);
      at(
        step(),
        buildPacket({
          src: client,
          dst: server,
          srcPort: port,
          dstPort: 9999,
          payload: new Uint8Array(24).fill(c & 255),
          fragment: { offset: 0, more: true, id: c & 0xffff },
        }),
      );
      at(
        step(),
        buildPacket({
          src: client,
          dst: server,
          proto: "udp",
          payload: new Uint8Array(16).fill(7),
          fragment: { offset: 32, more: false, id: c & 0xffff },
        }),
      );
    }
  }
  events.sort((a, b) => a.ns - b.ns || a.order - b.order);
  const w = new PcapWriter({ nanos: true });
  for (const e of events) {
    w.writePacket(e.bytes, { tsSec: baseSec + Math.floor(e.ns / 1e9), tsNsec: e.ns % 1e9 });
  }
  return w.toBytes();
}
