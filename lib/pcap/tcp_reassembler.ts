/**
 * TCP stream reassembly: each direction of each connection is put back in sequence order and
 * handed to a {@linkcode TcpStreamHandler} once, in order — retransmissions dropped, overlaps
 * resolved by a policy (the first copy of a byte wins, or the last), out-of-order segments held
 * until the bytes before them come, sequence numbers unwrapped past 2^32, SYN, FIN and RST
 * followed. A hole the receiver acknowledged, or one that holds up more bytes than a bound, is
 * reported as a gap and skipped rather than waited on; connections expire by capture time.
 * Memory is bounded per stream direction and in total. In-order bytes are handed over straight
 * from the packet (no copy); only out-of-order bytes are copied, and only for streams whose
 * bytes a handler reads. Without a handler the reassembler only counts (payload bytes once,
 * retransmitted and missed bytes), which is cheap.
 *
 * @module
 */
import type { FlowPacket } from "./flow_packet.ts";
import { TcpFlag } from "./packet_view.ts";
import { MISSING, NOT_KEPT, SegmentList } from "./_segment_list.ts";
import { position, TcpStream, type TcpStreamEnd, type TcpStreamHandler } from "./tcp_stream.ts";
import { canonicalize, type CanonicalKey, newCanonicalKey } from "./_flow_key.ts";
import * as numbers from "./_protocol_numbers.ts";
import { elapsedNs } from "./_time.ts";
import * as tables from "./_stream_tables.ts";
import { ConnectionIndex } from "./_connection_index.ts";

// Module-level copies: V8 folds these into the hot paths, but not imported bindings.
const { IPPROTO_TCP } = numbers;
const { ACK, FIN, RST, SYN } = TcpFlag;
const {
  D_MISSED,
  D_NEXT,
  D_NEXT_SEQ,
  D_RETRANSMITTED,
  D_WORDS,
  F_DATA,
  F_ENDED,
  F_FIN,
  F_HELD,
  F_SEEN,
} = tables;
const SYN_ACK = SYN | ACK;

/** Which copy of a byte seen twice with different content is kept: the first or the last. */
export type OverlapPolicy = "first" | "last";

/** Options for {@linkcode TcpReassembler}. */
export interface TcpReassemblerOptions {
  /** Receives the streams' bytes; without one the reassembler only counts. */
  handler?: TcpStreamHandler;
  /** Which copy of an overlapping byte wins (default `first`, as most stacks do). */
  overlap?: OverlapPolicy;
  /**
   * Most bytes held out of order in all (default 64 MiB): beyond it the streams that started
   * waiting first skip their holes (gaps) to hand over what they hold.
   */
  maxMemory?: number;
  /** Most bytes one stream direction holds out of order (default 4 MiB); beyond, it skips holes. */
  maxStreamMemory?: number;
  /** Idle time, in ns of capture time, after which a connection ends (default 300 s). */
  idleTimeoutNs?: number;
  /** Most connections at once (default 1,000,000); the least recently active ends beyond it. */
  maxConnections?: number;
  /**
   * Keep a connection whose two streams ended (FIN, RST) until {@linkcode TcpReassembler.close}
   * or idle expiry, with its counts (default `false`: it is let go at once, and a bare ACK or RST
   * that follows is ignored).
   */
  keepEnded?: boolean;
}

/** Counters of a {@linkcode TcpReassembler}. */
export interface ReassemblyStats {
  /** TCP segments taken. */
  segments: number;
  /** Connections created. */
  connections: number;
  /** Connections open now. */
  open: number;
  /** Payload bytes taken in order, each once. */
  bytes: number;
  /** Payload bytes seen more than once (retransmissions, overlaps). */
  retransmitted: number;
  /** Payload bytes never seen (reported as gaps) or cut by the snap length. */
  missed: number;
  /** Segments that arrived ahead of a hole and waited. */
  outOfOrder: number;
  /** Holes skipped because the receiver acknowledged the bytes after them. */
  ackedGaps: number;
  /** Holes skipped because a memory bound was reached. */
  forcedGaps: number;
  /** Bytes held out of order now (data and bookkeeping). */
  bufferedBytes: number;
  /** The most bytes held out of order at once. */
  peakBufferedBytes: number;
  /** Connections ended by idle expiry. */
  expired: number;
  /** Connections ended because `maxConnections` were open. */
  evicted: number;
}

/** One stream direction's counts (see {@linkcode TcpReassembler.counts}). */
export interface TcpStreamCounts {
  /** Payload bytes taken in order, each once. */
  bytes: number;
  /** Payload bytes seen more than once. */
  retransmitted: number;
  /** Payload bytes never seen or cut by the snap length. */
  missed: number;
}

/** 2^32, for sequence arithmetic. */
const TWO_32 = 4294967296;
/** Most ranges one stream direction holds out of order; beyond, it skips holes. */
const MAX_RANGES = 4096;

/**
 * Puts TCP segments back into streams. Feed it every packet's flow facts with
 * {@linkcode TcpReassembler.push} (other protocols are ignored) and call
 * {@linkcode TcpReassembler.finish} at the end.
 *
 * @example
 * ```ts
 * import { FlowPacket, TcpFlag, TcpReassembler, type TcpStream } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * let text = "";
 * const r = new TcpReassembler({
 *   handler: {
 *     open: (s: TcpStream) => s.isOrig, // the client's bytes only
 *     data: (_s, bytes, offset, length) => {
 *       text += new TextDecoder().decode(bytes.subarray(offset, offset + length));
 *     },
 *     gap: () => {},
 *     end: () => {},
 *   },
 * });
 * const p = new FlowPacket();
 * const segment = (seq: number, payload: string, flags: number = TcpFlag.ACK) => {
 *   p.setIPv4(0x0a000001, 0x0a000002, 6, 40000, 80);
 *   p.tcpFlags = flags;
 *   p.tcpSeq = seq;
 *   p.buf = new TextEncoder().encode(payload);
 *   p.payOff = 0;
 *   p.payLen = p.tcpLen = p.buf.length;
 *   r.push(p);
 * };
 * segment(999, "", TcpFlag.SYN);
 * segment(1007, "world"); // ahead of a hole: waits
 * segment(1000, "hello, "); // fills it: both are handed over
 * segment(1000, "hello, "); // a retransmission: counted, not handed over
 * r.finish();
 * assert.equal(text, "hello, world");
 * assert.deepEqual([r.stats.bytes, r.stats.retransmitted, r.stats.outOfOrder], [12, 7, 1]);
 * ```
 */
export class TcpReassembler {
  /** Counters. */
  readonly stats: ReassemblyStats = {
    segments: 0,
    connections: 0,
    open: 0,
    bytes: 0,
    retransmitted: 0,
    missed: 0,
    outOfOrder: 0,
    ackedGaps: 0,
    forcedGaps: 0,
    bufferedBytes: 0,
    peakBufferedBytes: 0,
    expired: 0,
    evicted: 0,
  };
  /** Whether the last pushed segment came from its connection's originator. */
  lastFromOrig = false;
  #handler: TcpStreamHandler | null;
  #last: boolean;
  #maxMemory: number;
  #maxStream: number;
  #idle: number;
  #max: number;
  #keepEnded: boolean;
  #key = newCanonicalKey();
  // The last IPv4 connection a packet went to, and that packet's direction.
  #hitSlot = -1;
  #hitSide = 0;
  #hitSrc = 0;
  #hitDst = 0;
  #hitSport = 0;
  #hitDport = 0;
  #counts: TcpStreamCounts = { bytes: 0, retransmitted: 0, missed: 0 };
  /** The connections' slots, keys and activity order. */
  #index: ConnectionIndex = new ConnectionIndex((capacity) => this.#grow(capacity));
  // Per slot.
  #origIsA = new Uint8Array(0);
  #number = new Float64Array(0);
  #lastSec = new Float64Array(0);
  #lastNsec = new Int32Array(0);
  // Directions.
  #dir = new Float64Array(0);
  /** The stream offset of each direction's FIN (valid with `F_FIN`). */
  #fin = new Float64Array(0);
  #flags = new Uint8Array(0);
  /** The ranges each direction holds out of order (directions with `F_HELD`). */
  #lists = new Map<number, SegmentList>();
  /** The handler's state of each direction. */
  #states: unknown[] = [];
  /** The one stream object handed to the handler, pointed at a direction before each call. */
  #cursor = new TcpStream();
  /** The tables the stream object reads (updated as they grow). */
  #tables: tables.StreamTables = {
    keys: this.#index.keys,
    dir: this.#dir,
    flags: this.#flags,
    number: this.#number,
    origIsA: this.#origIsA,
    states: this.#states,
  };
  /** Idle expiry is checked once per second of capture time: the last second checked. */
  #checkedSec = NaN;
  /** Directions holding ranges out of order, in the order they started waiting. */
  #waiting = new Set<number>();
  #pool: SegmentList[] = [];
  #connections = 0;
  // The packet being processed.
  #sec = 0;
  #nsec = 0;
  #frame = 0;

  /**
   * Creates a reassembler with no connection.
   *
   * @param options {@linkcode TcpReassemblerOptions}.
   * @throws {RangeError} For a bound that is not a positive number.
   */
  constructor(options: TcpReassemblerOptions = {}) {
    this.#handler = options.handler ?? null;
    const overlap = options.overlap ?? "first";
    if (overlap !== "first" && overlap !== "last") {
      throw new TypeError(`Unknown overlap policy "${overlap}": use "first" or "last"`);
    }
    this.#last = overlap === "last";
    this.#maxMemory = positive("maxMemory", options.maxMemory ?? 64 * 1024 * 1024);
    this.#maxStream = positive("maxStreamMemory", options.maxStreamMemory ?? 4 * 1024 * 1024);
    this.#idle = positive("idleTimeoutNs", options.idleTimeoutNs ?? 300e9);
    this.#max = positive("maxConnections", options.maxConnections ?? 1_000_000);
    this.#keepEnded = options.keepEnded ?? false;
    this.#grow(this.#index.capacity);
  }

  /**
   * Takes one packet's flow facts: a TCP segment goes to its connection (made when new),
   * anything else is ignored. Bytes that come in order go to the handler before this returns.
   *
   * @param p The packet (`readView` of a decoded view, or set by hand with the TCP fields).
   * @returns The connection's slot, or -1 when the packet is not a TCP segment.
   */
  push(p: FlowPacket): number {
    if (p.proto !== IPPROTO_TCP || p.family === 0 || (p.sport === 0 && p.dport === 0)) return -1;
    this.stats.segments++;
    this.#sec = p.sec;
    this.#nsec = p.nsec;
    this.#frame = p.frame;
    if (p.sec !== this.#checkedSec && this.#index.head >= 0 && this.#idle !== Infinity) {
      this.#checkedSec = p.sec;
      this.#expire(p.sec, p.nsec);
    }
    const flags = p.tcpFlags;
    // Packets of a connection come in bursts: the last IPv4 connection is checked first.
    let slot = -1, side = 0;
    const src = p.src[0], dst = p.dst[0], sport = p.sport, dport = p.dport;
    if (p.family === 4 && this.#hitSlot >= 0) {
      if (
        src === this.#hitSrc && dst === this.#hitDst && sport === this.#hitSport &&
        dport === this.#hitDport
      ) {
        slot = this.#hitSlot;
        side = this.#hitSide;
      } else if (
        src === this.#hitDst && dst === this.#hitSrc && sport === this.#hitDport &&
        dport === this.#hitSport
      ) {
        slot = this.#hitSlot;
        side = this.#hitSide ^ 1;
      }
    }
    let key: CanonicalKey | null = null;
    if (slot < 0) {
      key = canonicalize(p, this.#key);
      slot = this.#index.find(key.hash, key.words);
      side = key.forward ? 0 : 1;
    }
    if (slot >= 0 && (flags & SYN_ACK) === SYN) {
      // A SYN with a new initial sequence number: the ports were reused.
      const d = slot * 2 + side;
      if (
        (this.#flags[d] & F_SEEN) !== 0 &&
        ((p.tcpSeq + 1) >>> 0) !== this.#base(d)
      ) {
        this.#close(slot, "reused");
        slot = -1;
      }
    }
    if (slot < 0) {
      // A bare ACK or a RST carries no stream byte: it starts nothing (it often follows the end
      // of a connection already let go).
      if (p.tcpLen === 0 && (flags & (SYN | FIN)) === 0) return -1;
      key ??= canonicalize(p, this.#key);
      slot = this.#create(key.hash, key.words, key.forward, flags);
    } else this.#index.touch(slot);
    if (p.family === 4 && slot !== this.#hitSlot) {
      this.#hitSlot = slot;
      this.#hitSide = side;
      this.#hitSrc = src;
      this.#hitDst = dst;
      this.#hitSport = sport;
      this.#hitDport = dport;
    }
    this.#lastSec[slot] = p.sec;
    this.#lastNsec[slot] = p.nsec;
    this.lastFromOrig = (this.#origIsA[slot] === 1) === (side === 0);
    this.#segment(slot * 2 + side, p, flags);
    if (
      !this.#keepEnded && (this.#flags[slot * 2] & F_ENDED) !== 0 &&
      (this.#flags[slot * 2 + 1] & F_ENDED) !== 0
    ) {
      // Both streams ended: let the connection go (its streams go back to the pool).
      this.#close(slot, "fin");
    }
    return slot;
  }

  /**
   * The counts of one direction of an open connection. The object returned is reused by the
   * next call.
   *
   * @param slot The connection's slot (from {@linkcode TcpReassembler.push}).
   * @param fromOrig `true` for the originator's direction.
   * @returns Its counts.
   */
  counts(slot: number, fromOrig: boolean): TcpStreamCounts {
    const d = slot * 2 + ((this.#origIsA[slot] === 1) === fromOrig ? 0 : 1);
    const dw = d * D_WORDS, c = this.#counts;
    c.bytes = this.#dir[dw + D_NEXT] - this.#dir[dw + D_MISSED];
    c.retransmitted = this.#dir[dw + D_RETRANSMITTED];
    c.missed = this.#dir[dw + D_MISSED];
    return c;
  }

  /**
   * The number of the connection in a slot (0 for the first connection made, then 1, 2 …), to
   * tell whether a slot kept from earlier still holds the same connection; -1 when empty.
   *
   * @param slot The slot.
   * @returns The connection's number, or -1.
   */
  connectionAt(slot: number): number {
    const index = this.#index;
    return slot >= 0 && slot < index.used && index.live[slot] === 1 ? this.#number[slot] : -1;
  }

  /**
   * Ends a connection now: what waits is handed over (holes become gaps) and both directions end
   * with reason `closed`.
   *
   * @param slot The connection's slot.
   */
  close(slot: number): void {
    if (this.connectionAt(slot) >= 0) this.#close(slot, "closed");
  }

  /**
   * Moves capture time on to a segment another reassembler handles (one shard of a parallel
   * pipeline): the connections that `push(p)` would expire for idleness expire, and nothing else
   * happens. Packets that are not TCP segments are ignored, as `push` ignores them.
   *
   * @param p The other packet (its family, protocol, ports, time and frame are read).
   * @example
   * ```ts
   * import { FlowPacket, TcpFlag, TcpReassembler } from "@mxy/mxy/pcap";
   * import assert from "node:assert/strict";
   * const ended: string[] = [];
   * const r = new TcpReassembler({
   *   idleTimeoutNs: 1e9,
   *   handler: { open: () => true, data() {}, gap() {}, end: (_s, why) => void ended.push(why) },
   * });
   * const p = new FlowPacket();
   * p.setIPv4(0x0a000001, 0x0a000002, 6, 40000, 80);
   * p.tcpFlags = TcpFlag.SYN;
   * p.sec = 1;
   * r.push(p);
   * p.setIPv4(0x0a000003, 0x0a000004, 6, 40001, 80);
   * p.sec = 5; // another shard's segment, four seconds later
   * r.advance(p);
   * assert.deepEqual(ended, ["idle", "idle"]); // both directions of the first connection
   * ```
   */
  advance(p: FlowPacket): void {
    if (p.proto !== IPPROTO_TCP || p.family === 0 || (p.sport === 0 && p.dport === 0)) return;
    this.#sec = p.sec;
    this.#nsec = p.nsec;
    this.#frame = p.frame;
    if (p.sec !== this.#checkedSec && this.#index.head >= 0 && this.#idle !== Infinity) {
      this.#checkedSec = p.sec;
      this.#expire(p.sec, p.nsec);
    }
  }

  /**
   * Ends every connection still open (reason `finish`), oldest first, handing over what waits.
   *
   * @returns The final counters.
   */
  finish(): ReassemblyStats {
    this.#frame = 0;
    const index = this.#index;
    // The streams end oldest first; the index is emptied at once rather than slot by slot.
    for (let slot = index.head; slot >= 0; slot = index.after(slot)) {
      this.#endStreams(slot, "finish");
    }
    index.clear();
    this.#hitSlot = -1;
    this.stats.open = 0;
    return this.stats;
  }

  // ---- connections ----

  /** Makes room for `cap` slots in the per-slot and per-direction tables. */
  #grow(cap: number): void {
    const grow = <T extends Float64Array | Uint8Array | Int32Array>(
      old: T,
      n: number,
      make: (len: number) => T,
    ): T => {
      const a = make(n);
      (a as Uint8Array).set(old as unknown as Uint8Array);
      return a;
    };
    this.#origIsA = grow(this.#origIsA, cap, (n) => new Uint8Array(n));
    this.#number = grow(this.#number, cap, (n) => new Float64Array(n));
    this.#lastSec = grow(this.#lastSec, cap, (n) => new Float64Array(n));
    this.#lastNsec = grow(this.#lastNsec, cap, (n) => new Int32Array(n));
    this.#dir = grow(this.#dir, cap * 2 * D_WORDS, (n) => new Float64Array(n));
    this.#fin = grow(this.#fin, cap * 2, (n) => new Float64Array(n));
    this.#flags = grow(this.#flags, cap * 2, (n) => new Uint8Array(n));
    if (this.#handler !== null) {
      // (Without a handler no direction has a state.) The array grows where it is, in one
      // builtin call (a loop of pushes ran unoptimized: ~8 ms per million packets).
      const states = this.#states, from = states.length;
      states.length = cap * 2;
      states.fill(undefined, from);
    }
    const t = this.#tables;
    t.keys = this.#index.keys;
    t.dir = this.#dir;
    t.flags = this.#flags;
    t.number = this.#number;
    t.origIsA = this.#origIsA;
    t.states = this.#states;
  }

  #create(hash: number, w: Uint32Array, forward: boolean, flags: number): number {
    const index = this.#index;
    if (this.stats.open >= this.#max && index.head >= 0) {
      const frame = this.#frame;
      this.#frame = 0;
      this.#close(index.head, "evicted");
      this.#frame = frame;
      this.stats.evicted++;
    }
    const slot = index.add(hash, w);
    // The first packet's sender is the originator, unless it is a SYN/ACK.
    this.#origIsA[slot] = (forward ? 1 : 0) ^ ((flags & SYN_ACK) === SYN_ACK ? 1 : 0);
    this.#number[slot] = this.#connections++;
    if (!index.isFresh(slot)) {
      // (A slot used for the first time is still zero: not writing spares touching its memory.)
      const dir = this.#dir;
      for (let d = slot * 2; d < slot * 2 + 2; d++) {
        this.#flags[d] = 0;
        for (let i = d * D_WORDS; i < (d + 1) * D_WORDS; i++) dir[i] = 0;
      }
    }
    this.stats.connections++;
    this.stats.open++;
    if (this.#handler !== null) this.#openStreams(slot);
    return slot;
  }

  /** Asks the handler about a new connection's two directions, the originator's first. */
  #openStreams(slot: number): void {
    const handler = this.#handler!;
    if (handler.open === undefined) {
      // Every direction is wanted.
      this.#flags[slot * 2] |= F_DATA;
      this.#flags[slot * 2 + 1] |= F_DATA;
      return;
    }
    const first = slot * 2 + (this.#origIsA[slot] === 1 ? 0 : 1);
    this.#open(handler, first);
    this.#open(handler, first ^ 1);
  }

  #open(handler: TcpStreamHandler, d: number): void {
    this.#flags[d] |= F_DATA;
    const s = this.#enter(d);
    const wants = handler.open!(s) !== false;
    this.#leave(d, s);
    if (!wants) this.#flags[d] &= ~F_DATA;
  }

  /** Points the stream object at direction `d` for a call about it. */
  #enter(d: number): TcpStream {
    const s = this.#cursor;
    position(s, this.#tables, d);
    s.wantsData = (this.#flags[d] & F_DATA) !== 0;
    s.sec = this.#sec;
    s.nsec = this.#nsec;
    s.frame = this.#frame;
    return s;
  }

  /** Takes back what the handler may have changed: whether it wants bytes. */
  #leave(d: number, s: TcpStream): void {
    if (s.wantsData) this.#flags[d] |= F_DATA;
    else if ((this.#flags[d] & F_DATA) !== 0) {
      this.#flags[d] &= ~F_DATA;
      this.#list(d)?.dropData();
    }
  }

  #close(slot: number, reason: TcpStreamEnd): void {
    this.#endStreams(slot, reason);
    this.#index.remove(slot);
    // The slot may hold another connection next: the last-connection shortcut must not find it.
    if (this.#hitSlot === slot) this.#hitSlot = -1;
    this.stats.open--;
  }

  /** Ends a connection's two streams (what waits is handed over) and lets their state go. */
  #endStreams(slot: number, reason: TcpStreamEnd): void {
    for (let d = slot * 2; d < slot * 2 + 2; d++) {
      if ((this.#flags[d] & F_ENDED) === 0) this.#end(d, reason);
      const list = this.#list(d);
      if (list !== null) {
        this.#release(d, list);
        this.#lists.delete(d);
        this.#flags[d] &= ~F_HELD;
      }
      if (this.#handler !== null) this.#states[d] = undefined;
    }
  }

  #expire(sec: number, nsec: number): void {
    const idle = this.#idle, frame = this.#frame;
    // Streams that end here were not ended by the packet being processed: no frame.
    this.#frame = 0;
    const index = this.#index;
    while (index.head >= 0) {
      const h = index.head;
      if (elapsedNs(this.#lastSec[h], this.#lastNsec[h], sec, nsec) <= idle) break;
      this.#close(h, "idle");
      this.stats.expired++;
    }
    this.#frame = frame;
  }

  // ---- one direction ----

  /** The ranges direction `d` holds out of order, if it has a list. */
  #list(d: number): SegmentList | null {
    return (this.#flags[d] & F_HELD) === 0 ? null : this.#lists.get(d)!;
  }

  /** The sequence number of stream offset 0 of direction `d`. */
  #base(d: number): number {
    const dw = d * D_WORDS;
    const base = (this.#dir[dw + D_NEXT_SEQ] - this.#dir[dw + D_NEXT]) % TWO_32;
    return base < 0 ? base + TWO_32 : base;
  }

  #segment(d: number, p: FlowPacket, flags: number): void {
    const dir = this.#dir, dw = d * D_WORDS;
    let f = this.#flags[d];
    let seq = p.tcpSeq;
    if ((flags & SYN) !== 0) {
      if ((f & F_SEEN) === 0) {
        dir[dw + D_NEXT_SEQ] = (seq + 1) >>> 0;
        f |= F_SEEN;
      }
      seq = (seq + 1) >>> 0; // the SYN takes one sequence number
    } else if ((f & F_SEEN) === 0) {
      dir[dw + D_NEXT_SEQ] = seq; // picked up mid-stream
      f |= F_SEEN;
    }
    this.#flags[d] = f;
    if ((flags & ACK) !== 0) this.#acked(d ^ 1, p.tcpAck);
    if ((f & F_ENDED) !== 0) return;
    const len = p.tcpLen;
    // The stream offset of `seq`, unwrapped near the next byte due.
    const at = this.#dir; // (read again: the ACK may have run handler code)
    const offset = at[dw + D_NEXT] + ((seq - at[dw + D_NEXT_SEQ]) | 0);
    if (len > 0) this.#data(d, offset, len, p);
    if ((flags & RST) !== 0) {
      this.#end(d, "rst");
      if ((this.#flags[d ^ 1] & F_ENDED) === 0) this.#end(d ^ 1, "rst");
      return;
    }
    if ((flags & FIN) !== 0 && (this.#flags[d] & F_FIN) === 0) {
      this.#fin[d] = offset + len;
      this.#flags[d] |= F_FIN;
    }
    this.#checkFin(d);
  }

  /** Takes `len` bytes of a segment starting at stream offset `o`. */
  #data(d: number, o: number, len: number, p: FlowPacket): void {
    const dw = d * D_WORDS;
    const next = this.#dir[dw + D_NEXT];
    const end = o + len;
    const captured = p.payLen < len ? p.payLen : len;
    if (end <= next) {
      this.#retransmitted(d, len);
      return;
    }
    let start = o;
    if (o < next) {
      this.#retransmitted(d, next - o);
      start = next;
    }
    const list = this.#list(d);
    if (start === next) {
      // In order: hand over straight from the packet up to the first byte held out of order.
      const firstHeld = list === null || list.count === 0 ? end : Math.min(end, list.starts[0]);
      this.#fromPacket(d, start, firstHeld, o, captured, p);
      if (firstHeld < end) this.#hold(d, firstHeld, end, o, captured, p);
      if (list !== null && list.count > 0) this.#drain(d);
      // (Only holding adds to the memory held: the bounds need checking only then.)
      if (firstHeld < end) this.#bound(d);
    } else {
      this.stats.outOfOrder++;
      this.#hold(d, start, end, o, captured, p);
      this.#bound(d);
    }
  }

  /** Hands over stream offsets `[from, to)` of a segment that starts at `origin`. */
  #fromPacket(
    d: number,
    from: number,
    to: number,
    origin: number,
    captured: number,
    p: FlowPacket,
  ): void {
    const capturedEnd = origin + captured;
    if (from < capturedEnd) {
      const e = to < capturedEnd ? to : capturedEnd;
      this.#deliver(d, p.buf, p.payOff + (from - origin), e - from);
    }
    if (to > capturedEnd) this.#gap(d, to - (from > capturedEnd ? from : capturedEnd));
  }

  /** Keeps stream offsets `[from, to)` of a segment that starts at `origin` until their turn. */
  #hold(
    d: number,
    from: number,
    to: number,
    origin: number,
    captured: number,
    p: FlowPacket,
  ): void {
    let list = this.#list(d);
    if (list === null) {
      list = this.#pool.pop() ?? new SegmentList();
      this.#lists.set(d, list);
      this.#flags[d] |= F_HELD;
    }
    const keep = (this.#flags[d] & (F_DATA | F_ENDED)) === F_DATA;
    const skip = from - origin;
    const heldCaptured = captured > skip ? Math.min(captured - skip, to - from) : 0;
    const before = list.memory;
    const overlap = list.insert(from, to, p.buf, p.payOff + skip, heldCaptured, keep, this.#last);
    if (overlap > 0) this.#retransmitted(d, overlap);
    this.#memory(list.memory - before);
    if (list.count > 0) this.#waiting.add(d);
  }

  /** Hands over what is held and now due. */
  #drain(d: number): void {
    const list = this.#list(d)!;
    const dw = d * D_WORDS;
    while (list.count > 0) {
      const next = this.#dir[dw + D_NEXT];
      const a = list.starts[0];
      if (a > next) break;
      const b = list.ends[0];
      if (b > next) {
        const kind = list.kinds[0];
        if (kind === MISSING) this.#gap(d, b - next);
        else if (kind === NOT_KEPT) this.#deliver(d, null, 0, b - next);
        else this.#deliver(d, list.store, list.offsets[0] + (next - a), b - next);
      }
      const before = list.memory;
      list.shift();
      this.#memory(list.memory - before);
    }
    if (list.count === 0) this.#waiting.delete(d);
  }

  /** Skips the first hole of a direction (a gap) and hands over what follows it. */
  #skipHole(d: number): void {
    const list = this.#list(d);
    if (list === null || list.count === 0) return;
    const next = this.#dir[d * D_WORDS + D_NEXT];
    if (list.starts[0] > next) this.#gap(d, list.starts[0] - next);
    this.#drain(d);
  }

  /** Keeps a direction, and all of them, within their memory bounds. */
  #bound(d: number): void {
    const list = this.#list(d);
    while (
      list !== null && list.count > 0 &&
      (list.memory > this.#maxStream || list.count > MAX_RANGES)
    ) {
      this.stats.forcedGaps++;
      this.#skipHole(d);
    }
    while (this.stats.bufferedBytes > this.#maxMemory && this.#waiting.size > 0) {
      const oldest: number = this.#waiting.values().next().value!;
      this.stats.forcedGaps++;
      this.#skipHole(oldest);
    }
  }

  /** The receiver of direction `d` acknowledged up to `ack`: holes before it are gaps. */
  #acked(d: number, ack: number): void {
    const f = this.#flags[d];
    if ((f & F_SEEN) === 0 || (f & F_ENDED) !== 0) return;
    const dw = d * D_WORDS, dir = this.#dir;
    // How far past the next byte due the acknowledgment reaches.
    const ahead = (ack - dir[dw + D_NEXT_SEQ]) | 0;
    if (ahead <= 0) return; // (the common case: nothing unseen acknowledged)
    let limit = dir[dw + D_NEXT] + ahead;
    if ((f & F_FIN) !== 0 && this.#fin[d] < limit) limit = this.#fin[d];
    if (limit <= dir[dw + D_NEXT]) return;
    const list = this.#list(d);
    while (this.#dir[dw + D_NEXT] < limit) {
      const next = this.#dir[dw + D_NEXT];
      const holeEnd = list !== null && list.count > 0 ? Math.min(list.starts[0], limit) : limit;
      if (holeEnd > next) {
        this.stats.ackedGaps++;
        this.#gap(d, holeEnd - next);
      }
      if (list !== null && list.count > 0) this.#drain(d);
    }
    this.#checkFin(d);
  }

  #checkFin(d: number): void {
    const f = this.#flags[d];
    if (
      (f & (F_FIN | F_ENDED)) === F_FIN &&
      this.#dir[d * D_WORDS + D_NEXT] >= this.#fin[d]
    ) {
      // Anything held past the FIN is not part of the stream.
      const list = this.#list(d);
      if (list !== null && list.count > 0) {
        this.#memory(-list.memory);
        list.clear();
        this.#waiting.delete(d);
      }
      this.#end(d, "fin");
    }
  }

  /** Ends a direction: what it holds is handed over (holes as gaps), then `end`. */
  #end(d: number, reason: TcpStreamEnd): void {
    const list = this.#list(d);
    while (list !== null && list.count > 0) this.#skipHole(d);
    this.#flags[d] |= F_ENDED;
    const handler = this.#handler;
    if (handler !== null) {
      const s = this.#enter(d);
      handler.end(s, reason);
      this.#leave(d, s);
    }
  }

  #release(d: number, list: SegmentList): void {
    this.#memory(-list.memory);
    list.clear();
    list.shrink();
    this.#waiting.delete(d);
    if (this.#pool.length < 1024) this.#pool.push(list);
  }

  // ---- accounting and the handler ----

  /** Hands over `length` bytes at the next offset (`bytes` null: not kept, only counted). */
  #deliver(d: number, bytes: Uint8Array | null, offset: number, length: number): void {
    const dw = d * D_WORDS;
    if (bytes !== null && (this.#flags[d] & (F_DATA | F_ENDED)) === F_DATA) {
      const s = this.#enter(d);
      this.#handler!.data(s, bytes, offset, length);
      this.#leave(d, s);
    }
    this.#advance(dw, length);
    this.stats.bytes += length;
  }

  /** Reports `length` bytes at the next offset as never seen. */
  #gap(d: number, length: number): void {
    const dw = d * D_WORDS;
    if ((this.#flags[d] & (F_DATA | F_ENDED)) === F_DATA) {
      const s = this.#enter(d);
      this.#handler!.gap(s, length);
      this.#leave(d, s);
    }
    this.#advance(dw, length);
    this.#dir[dw + D_MISSED] += length;
    this.stats.missed += length;
  }

  /** Moves a direction's next byte `length` bytes on. */
  #advance(dw: number, length: number): void {
    const dir = this.#dir;
    dir[dw + D_NEXT] += length;
    let seq = dir[dw + D_NEXT_SEQ] + length;
    if (seq >= TWO_32) seq -= TWO_32 * Math.floor(seq / TWO_32);
    dir[dw + D_NEXT_SEQ] = seq;
  }

  #retransmitted(d: number, length: number): void {
    this.#dir[d * D_WORDS + D_RETRANSMITTED] += length;
    this.stats.retransmitted += length;
  }

  #memory(delta: number): void {
    const st = this.stats;
    st.bufferedBytes += delta;
    if (st.bufferedBytes > st.peakBufferedBytes) st.peakBufferedBytes = st.bufferedBytes;
  }
}

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new RangeError(`Cannot make a TCP reassembler: ${name} is ${value}`);
  return value;
}
