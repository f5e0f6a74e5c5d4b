/**
 * What a TCP stream consumer sees: one direction of a connection as the reassembler hands it
 * over ({@linkcode TcpStream}), the interface a consumer implements ({@linkcode TcpStreamHandler}:
 * ordered bytes, gaps, the end) and why a stream ended ({@linkcode TcpStreamEnd}).
 *
 * @module
 */
import {
  D_MISSED,
  D_NEXT,
  D_RETRANSMITTED,
  D_WORDS,
  F_ENDED,
  type StreamTables,
} from "./_stream_tables.ts";
import * as flowKey from "./_flow_key.ts";

const { KEY_ADDR_A, KEY_ADDR_B, KEY_FAMILY_PROTO, KEY_PORTS, KEY_WORDS } = flowKey;

/** Points a stream at direction `d` of a reassembler's tables (set by the class below). */
export let position: (s: TcpStream, tables: StreamTables, d: number) => void;

/**
 * Why a stream ended: its FIN was reached (`fin`), a RST (`rst`), no packet for the idle time
 * (`idle`), the reassembler was full (`evicted`), a new SYN reused the ports (`reused`), the
 * caller closed it (`closed`), or the input ended (`finish`).
 */
export type TcpStreamEnd = "fin" | "rst" | "idle" | "evicted" | "reused" | "closed" | "finish";

/**
 * One direction of a TCP connection, as a {@linkcode TcpStreamHandler} receives it: who sends,
 * where the stream stands and the capture time of the packet being processed. Like a packet
 * view, it is one reusable object that the reassembler fills before each call: read it during
 * the call, and keep what you need in {@linkcode TcpStream.state}, which the reassembler keeps
 * for the direction from `open` to `end` (no object is made per connection).
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
  /** Set it to `false` to stop receiving this direction's bytes (they are then only counted). */
  wantsData = true;
  /** Capture time of the packet being processed: whole seconds. */
  sec = 0;
  /** Capture time of the packet being processed: nanoseconds within the second. */
  nsec = 0;
  /**
   * Number of the packet being processed (0 when no packet ended the stream: `finish`, idle
   * expiry, eviction).
   */
  frame = 0;
  #at: StreamTables | null = null;
  #d = 0;
  /** The state of a stream not pointed at a reassembler's direction. */
  #state: unknown = undefined;
  readonly #src: number[] = [0, 0, 0, 0];
  readonly #dst: number[] = [0, 0, 0, 0];

  static {
    position = (s, tables, d) => {
      s.#at = tables;
      s.#d = d;
    };
  }

  /** The handler's state for this direction (set it in `open`; kept until `end`). */
  get state(): unknown {
    const at = this.#at;
    return at === null ? this.#state : at.states[this.#d];
  }

  set state(value: unknown) {
    const at = this.#at;
    if (at === null) this.#state = value;
    else at.states[this.#d] = value;
  }

  /**
   * The handler's state for the connection's other direction (kept until that direction's
   * `end`, as `state` is).
   */
  get peerState(): unknown {
    const at = this.#at;
    return at === null ? undefined : at.states[this.#d ^ 1];
  }

  set peerState(value: unknown) {
    const at = this.#at;
    if (at !== null) at.states[this.#d ^ 1] = value;
  }

  /** The connection's number: 0 for the reassembler's first connection, then 1, 2 … */
  get connection(): number {
    return this.#at === null ? 0 : this.#at.number[this.#d >>> 1];
  }

  /** Whether the originator sends this direction (the SYN's sender, or the first packet's). */
  get isOrig(): boolean {
    return this.#at === null || (this.#at.origIsA[this.#d >>> 1] === 1) === ((this.#d & 1) === 0);
  }

  /** 4 or 6. */
  get family(): 4 | 6 {
    const at = this.#at;
    return at !== null && at.keys[(this.#d >>> 1) * KEY_WORDS + KEY_FAMILY_PROTO] >>> 8 === 6
      ? 6
      : 4;
  }

  /** Sender's address as four unsigned 32-bit words (IPv4 in word 0); reused by each read. */
  get src(): readonly number[] {
    return this.#address(this.#src, (this.#d & 1) === 0 ? KEY_ADDR_A : KEY_ADDR_B);
  }

  /** Receiver's address words; reused by each read. */
  get dst(): readonly number[] {
    return this.#address(this.#dst, (this.#d & 1) === 0 ? KEY_ADDR_B : KEY_ADDR_A);
  }

  /** Sender's port. */
  get srcPort(): number {
    const ports = this.#ports();
    return (this.#d & 1) === 0 ? ports >>> 16 : ports & 0xffff;
  }

  /** Receiver's port. */
  get dstPort(): number {
    const ports = this.#ports();
    return (this.#d & 1) === 0 ? ports & 0xffff : ports >>> 16;
  }

  /**
   * Stream offset (bytes since the stream's first byte) of the bytes being handed over: in
   * `data` and `gap`, of their first byte; otherwise of the next byte due.
   */
  get offset(): number {
    return this.#word(D_NEXT);
  }

  /** Payload bytes taken in order so far, each once: retransmissions and gaps not included. */
  get bytes(): number {
    return this.#word(D_NEXT) - this.#word(D_MISSED);
  }

  /** Payload bytes seen more than once (retransmitted or overlapping). */
  get retransmitted(): number {
    return this.#word(D_RETRANSMITTED);
  }

  /** Payload bytes never seen (gaps) or cut by the capture's snap length. */
  get missed(): number {
    return this.#word(D_MISSED);
  }

  /** Whether the stream has ended (`end` is being called or was). */
  get ended(): boolean {
    return this.#at !== null && (this.#at.flags[this.#d] & F_ENDED) !== 0;
  }

  #word(i: number): number {
    return this.#at === null ? 0 : this.#at.dir[this.#d * D_WORDS + i];
  }

  #ports(): number {
    return this.#at === null ? 0 : this.#at.keys[(this.#d >>> 1) * KEY_WORDS + KEY_PORTS];
  }

  #address(out: number[], word: number): readonly number[] {
    const at = this.#at;
    if (at !== null) {
      const o = (this.#d >>> 1) * KEY_WORDS + word;
      for (let i = 0; i < 4; i++) out[i] = at.keys[o + i];
    }
    return out;
  }
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
   * wanted (they are then only counted). Without it, every direction's bytes are wanted and
   * its state starts `undefined` (no call is made).
   */
  open?(stream: TcpStream): boolean;
  /** The next bytes of the stream, in order (`stream.offset` is the offset of the first). */
  data(stream: TcpStream, bytes: Uint8Array, offset: number, length: number): void;
  /** `length` bytes at `stream.offset` were never seen: the stream goes on after them. */
  gap(stream: TcpStream, length: number): void;
  /** The stream ended; nothing more comes for it. */
  end(stream: TcpStream, reason: TcpStreamEnd): void;
}
