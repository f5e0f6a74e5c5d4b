/**
 * What a TCP stream consumer sees: one direction of a connection as the reassembler hands it
 * over ({@linkcode TcpStream}), the interface a consumer implements ({@linkcode TcpStreamHandler}:
 * ordered bytes, gaps, the end) and why a stream ended ({@linkcode TcpStreamEnd}).
 *
 * @module
 */

/**
 * Why a stream ended: its FIN was reached (`fin`), a RST (`rst`), no packet for the idle time
 * (`idle`), the reassembler was full (`evicted`), a new SYN reused the ports (`reused`), the
 * caller closed it (`closed`), or the input ended (`finish`).
 */
export type TcpStreamEnd = "fin" | "rst" | "idle" | "evicted" | "reused" | "closed" | "finish";

/**
 * One direction of a TCP connection, as a {@linkcode TcpStreamHandler} receives it: who sends,
 * where the stream stands and the capture time of the packet being processed. The reassembler
 * makes two per connection (one per direction, each the other's `peer`) and updates them in
 * place; a handler keeps its own state in {@linkcode TcpStream.state}.
 *
 * @example
 * ```ts
 * import { TcpStream } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * const s = new TcpStream();
 * assert.equal(s.offset, 0);
 * assert.equal(s.wantsData, true);
 * ```
 */
export class TcpStream {
  /** The handler's state for this direction (set it in `open`). */
  state: unknown = undefined;
  /** The other direction of the connection. */
  peer: TcpStream = this;
  /** Set it to `false` to stop receiving this direction's bytes (they are then only counted). */
  wantsData = true;
  /** The connection's number: 0 for the reassembler's first connection, then 1, 2 … */
  connection = 0;
  /** Whether the originator sends this direction (the SYN's sender, or the first packet's). */
  isOrig = true;
  /** 4 or 6. */
  family: 4 | 6 = 4;
  /** Sender's address words (IPv4 in word 0). */
  readonly src: Uint32Array = new Uint32Array(4);
  /** Receiver's address words. */
  readonly dst: Uint32Array = new Uint32Array(4);
  /** Sender's port. */
  srcPort = 0;
  /** Receiver's port. */
  dstPort = 0;
  /**
   * Stream offset (bytes since the stream's first byte) of the bytes being handed over: in
   * `data` and `gap`, of their first byte; otherwise of the next byte due.
   */
  offset = 0;
  /** Capture time of the packet being processed: whole seconds. */
  sec = 0;
  /** Capture time of the packet being processed: nanoseconds within the second. */
  nsec = 0;
  /** Number of the packet being processed (0 when no packet ended the stream: `finish`, idle
   * expiry, eviction). */
  frame = 0;
  /** Payload bytes taken in order so far, each once: retransmissions and gaps not included. */
  bytes = 0;
  /** Payload bytes seen more than once (retransmitted or overlapping). */
  retransmitted = 0;
  /** Payload bytes never seen (gaps) or cut by the capture's snap length. */
  missed = 0;
  /** Whether the stream has ended (`end` was called). */
  ended = false;
}

/**
 * A consumer of reassembled TCP streams, given to `TcpReassembler`: it receives each direction's
 * bytes in order, once, with gaps where bytes were never seen, and the end. Bytes are
 * `bytes[offset, offset + length)` — a packet's buffer or the reassembler's — valid only during
 * the call: copy what you keep. Callbacks must not call back into the reassembler.
 */
export interface TcpStreamHandler {
  /**
   * A new connection's direction. Set `stream.state`; return `false` when its bytes are not
   * wanted (they are then only counted).
   */
  open(stream: TcpStream): boolean;
  /** The next bytes of the stream, in order (`stream.offset` is the offset of the first). */
  data(stream: TcpStream, bytes: Uint8Array, offset: number, length: number): void;
  /** `length` bytes at `stream.offset` were never seen: the stream goes on after them. */
  gap(stream: TcpStream, length: number): void;
  /** The stream ended; nothing more comes for it. */
  end(stream: TcpStream, reason: TcpStreamEnd): void;
}
