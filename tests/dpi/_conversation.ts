/**
 * Builds TCP conversations for the stream tests: a handshake, then each side's bytes cut into
 * segments at chosen points with the sequence and acknowledgment numbers a real stack would
 * give, in an order the test chooses (reordered, repeated, overlapping).
 */
import { PcapWriter } from "../../lib/pcap/mod.ts";
import { buildPacket, type PacketSpec } from "../../lib/testing/mod.ts";

const enc = new TextEncoder();

/** One segment of a conversation, before it is put in order. */
export interface Segment {
  /** Which side sends it. */
  from: "client" | "server";
  /** Offsets of its bytes in that side's stream. */
  start: number;
  end: number;
  /** TCP flags (default ACK|PSH, or ACK when empty). */
  flags?: number;
}

/** A conversation's two streams and its endpoints. */
export class Conversation {
  readonly client: Uint8Array;
  readonly server: Uint8Array;
  readonly clientIsn: number;
  readonly serverIsn: number;
  readonly clientAddr: string;
  readonly serverAddr: string;
  readonly clientPort: number;
  readonly serverPort: number;

  constructor(
    client: string | Uint8Array,
    server: string | Uint8Array,
    options: {
      clientIsn?: number;
      serverIsn?: number;
      clientPort?: number;
      serverPort?: number;
      clientAddr?: string;
      serverAddr?: string;
    } = {},
  ) {
    this.client = typeof client === "string" ? enc.encode(client) : client;
    this.server = typeof server === "string" ? enc.encode(server) : server;
    this.clientIsn = options.clientIsn ?? 1000;
    this.serverIsn = options.serverIsn ?? 5000;
    this.clientPort = options.clientPort ?? 40000;
    this.serverPort = options.serverPort ?? 80;
    this.clientAddr = options.clientAddr ?? "10.0.0.1";
    this.serverAddr = options.serverAddr ?? "10.0.0.2";
  }

  /** The three handshake packets. */
  handshake(): PacketSpec[] {
    return [
      this.#spec("client", this.clientIsn, 0, 0x02, new Uint8Array(0)),
      this.#spec("server", this.serverIsn, (this.clientIsn + 1) >>> 0, 0x12, new Uint8Array(0)),
      this.#spec(
        "client",
        (this.clientIsn + 1) >>> 0,
        (this.serverIsn + 1) >>> 0,
        0x10,
        new Uint8Array(0),
      ),
    ];
  }

  /** The segments cut at `cuts` (offsets in the side's stream), in stream order. */
  cut(from: "client" | "server", cuts: number[]): Segment[] {
    const total = (from === "client" ? this.client : this.server).length;
    const edges = [0, ...cuts, total];
    const out: Segment[] = [];
    for (let i = 1; i < edges.length; i++) out.push({ from, start: edges[i - 1], end: edges[i] });
    return out;
  }

  /** A segment as a packet: sequence number from its offset, acknowledging the other side. */
  packet(s: Segment, acked = -1): PacketSpec {
    const mine = s.from === "client" ? this.client : this.server;
    const isn = s.from === "client" ? this.clientIsn : this.serverIsn;
    const otherIsn = s.from === "client" ? this.serverIsn : this.clientIsn;
    const otherTotal = (s.from === "client" ? this.server : this.client).length;
    const ack = (otherIsn + 1 + (acked < 0 ? 0 : Math.min(acked, otherTotal))) >>> 0;
    const payload = mine.subarray(s.start, s.end);
    return this.#spec(
      s.from,
      (isn + 1 + s.start) >>> 0,
      ack,
      s.flags ?? (payload.length > 0 ? 0x18 : 0x10),
      payload,
    );
  }

  /** Both sides' FIN (after all their bytes). */
  fins(): PacketSpec[] {
    return [
      this.packet(
        { from: "client", start: this.client.length, end: this.client.length, flags: 0x11 },
        this.server.length,
      ),
      this.packet(
        { from: "server", start: this.server.length, end: this.server.length, flags: 0x11 },
        this.client.length + 1,
      ),
    ];
  }

  #spec(
    from: "client" | "server",
    seq: number,
    ack: number,
    flags: number,
    payload: Uint8Array,
  ): PacketSpec {
    const c = from === "client";
    return {
      src: c ? this.clientAddr : this.serverAddr,
      dst: c ? this.serverAddr : this.clientAddr,
      proto: "tcp",
      srcPort: c ? this.clientPort : this.serverPort,
      dstPort: c ? this.serverPort : this.clientPort,
      tcpFlags: flags,
      seq,
      ack,
      payload,
    };
  }
}

/** How {@linkcode cutCapture} cuts and orders a conversation (usually drawn by fast-check). */
export interface CutPlan {
  /** Per message boundary (cycled): cut there or not. */
  keep: boolean[];
  /** Cuts anywhere in the client's bytes (taken modulo its length). */
  clientExtra: number[];
  /** Cuts anywhere in the server's bytes. */
  serverExtra: number[];
  /** The interleaving: an even number takes the client's next segment, an odd one the server's. */
  order: number[];
  /** One segment sent twice (index modulo the count), one lost, the handshake, the FINs. */
  how: { drop?: number; repeat?: number; fins: boolean; handshake: boolean };
}

/** Segment cuts: each message boundary kept or not (the server's in reverse), and a few anywhere. */
function cutsOf(lengths: number[], keep: boolean[], extra: number[], total: number): number[] {
  const cuts = new Set<number>();
  let at = 0;
  lengths.forEach((n, i) => {
    at += n;
    if (keep[i % keep.length] && at < total) cuts.add(at);
  });
  for (const x of extra) if (total > 1) cuts.add(1 + (x % (total - 1)));
  return [...cuts].sort((a, b) => a - b);
}

/**
 * A conversation cut into segments as `plan` says, as packets in capture order: the handshake
 * (if asked), the two sides' segments interleaved, one repeated and one lost (if asked), the FINs.
 *
 * @param c The conversation.
 * @param clientLengths The lengths of the client's messages, in order (their boundaries).
 * @param serverLengths The same for the server.
 * @param plan The cuts and the order.
 * @returns The packets.
 */
export function cutCapture(
  c: Conversation,
  clientLengths: number[],
  serverLengths: number[],
  plan: CutPlan,
): PacketSpec[] {
  const { keep, order, how } = plan;
  const client = c.cut("client", cutsOf(clientLengths, keep, plan.clientExtra, c.client.length))
    .filter((s) => s.end > s.start);
  const server = c.cut(
    "server",
    cutsOf(serverLengths, keep.slice().reverse(), plan.serverExtra, c.server.length),
  ).filter((s) => s.end > s.start);
  const segments: Segment[] = [];
  let i = 0, j = 0;
  for (const o of order) {
    if (i < client.length && (o % 2 === 0 || j >= server.length)) segments.push(client[i++]);
    else if (j < server.length) segments.push(server[j++]);
  }
  segments.push(...client.slice(i), ...server.slice(j));
  if (how.repeat !== undefined && segments.length > 0) {
    const k = how.repeat % segments.length;
    segments.splice(k + 1, 0, segments[k]);
  }
  if (how.drop !== undefined && segments.length > 1) {
    segments.splice(how.drop % segments.length, 1);
  }
  return [
    ...(how.handshake ? c.handshake() : []),
    ...segments.map((s) => c.packet(s)),
    ...(how.fins ? c.fins() : []),
  ];
}

/**
 * Packets as a nanosecond pcap file, one nanosecond apart (frame `n` at 1 s + n ns).
 *
 * @param packets The packets, in capture order.
 * @returns The file's bytes.
 */
export function captureOf(packets: PacketSpec[]): Uint8Array {
  const w = new PcapWriter({ nanos: true });
  packets.forEach((p, n) => w.writePacket(buildPacket(p), { tsSec: 1, tsNsec: n }));
  return w.toBytes();
}
