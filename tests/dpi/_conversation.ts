/**
 * Builds TCP conversations for the stream tests: a handshake, then each side's bytes cut into
 * segments at chosen points with the sequence and acknowledgment numbers a real stack would
 * give, in an order the test chooses (reordered, repeated, overlapping).
 */
import type { PacketSpec } from "../../lib/testing/mod.ts";

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
