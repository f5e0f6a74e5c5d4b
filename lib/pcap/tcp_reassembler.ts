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
import { MISSING, SegmentList } from "./_segment_list.ts";
import { TcpStream, type TcpStreamEnd, type TcpStreamHandler } from "./tcp_stream.ts";
import { canonicalize, newCanonicalKey } from "./_flow_key.ts";
import * as flowKey from "./_flow_key.ts";
import * as numbers from "./_protocol_numbers.ts";
import { elapsedNs } from "./_time.ts";

// Module-level copies: V8 folds these into the hot paths, but not imported bindings.
const { KEY_ADDR_A, KEY_ADDR_B, KEY_FAMILY_PROTO, KEY_PORTS, KEY_WORDS } = flowKey;
const { IPPROTO_TCP } = numbers;
const { ACK, FIN, RST, SYN } = TcpFlag;
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

// Numbers per direction (Float64Array `#dir`, direction `d` at `d * D_WORDS`); direction
// `slot * 2` is sent by endpoint A of the canonical key, `slot * 2 + 1` by endpoint B.
/** The sequence number of stream offset 0 (the ISN + 1, or the first sequence number seen). */
const D_BASE = 0;
/** Stream offset of the next byte due. */
const D_NEXT = 1;
/** Stream offset of the FIN (valid with {@linkcode F_FIN}). */
const D_FIN = 2;
/** Payload bytes taken in order. */
const D_BYTES = 3;
/** Payload bytes seen more than once. */
const D_RETRANSMITTED = 4;
/** Payload bytes never seen. */
const D_MISSED = 5;
const D_WORDS = 6;

// Flags per direction (Uint8Array `#flags`).
/** The base sequence number is known. */
const F_SEEN = 1;
/** A FIN was seen; its offset is in {@linkcode D_FIN}. */
const F_FIN = 2;
/** The stream ended. */
const F_ENDED = 4;

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
  #key = newCanonicalKey();
  #counts: TcpStreamCounts = { bytes: 0, retransmitted: 0, missed: 0 };
  // Slots.
  #cap = 0;
  #used = 0;
  #free: number[] = [];
  #keys = new Uint32Array(0);
  #hash = new Uint32Array(0);
  #chain = new Int32Array(0);
  #buckets = new Int32Array(0);
  #mask = 0;
  #prev = new Int32Array(0);
  #next = new Int32Array(0);
  #head = -1;
  #tail = -1;
  #live = new Uint8Array(0);
  #origIsA = new Uint8Array(0);
  #number = new Float64Array(0);
  #lastSec = new Float64Array(0);
  #lastNsec = new Int32Array(0);
  // Directions.
  #dir = new Float64Array(0);
  #flags = new Uint8Array(0);
  #lists: (SegmentList | null)[] = [];
  #streams: (TcpStream | null)[] = [];
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
    this.#grow(256);
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
    if (this.#head >= 0 && this.#idle !== Infinity) this.#expire(p.sec, p.nsec);
    const key = canonicalize(p, this.#key);
    let slot = this.#find(key.hash, key.words);
    const flags = p.tcpFlags;
    const side = key.forward ? 0 : 1;
    if (slot >= 0 && (flags & SYN_ACK) === SYN) {
      // A SYN with a new initial sequence number: the ports were reused.
      const d = slot * 2 + side;
      if (
        (this.#flags[d] & F_SEEN) !== 0 &&
        ((p.tcpSeq + 1) >>> 0) !== this.#dir[d * D_WORDS + D_BASE]
      ) {
        this.#close(slot, "reused");
        slot = -1;
      }
    }
    if (slot < 0) slot = this.#create(key.hash, key.words, key.forward, flags);
    else this.#touch(slot);
    this.#lastSec[slot] = p.sec;
    this.#lastNsec[slot] = p.nsec;
    this.lastFromOrig = (this.#origIsA[slot] === 1) === key.forward;
    this.#segment(slot * 2 + side, p, flags);
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
    c.bytes = this.#dir[dw + D_BYTES];
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
    return slot >= 0 && slot < this.#used && this.#live[slot] === 1 ? this.#number[slot] : -1;
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
   * Ends every connection still open (reason `finish`), oldest first, handing over what waits.
   *
   * @returns The final counters.
   */
  finish(): ReassemblyStats {
    this.#frame = 0;
    while (this.#head >= 0) this.#close(this.#head, "finish");
    return this.stats;
  }

  // ---- connections ----

  #grow(cap: number): void {
    const grow = <T extends Uint32Array | Float64Array | Uint8Array | Int32Array>(
      old: T,
      n: number,
      make: (len: number) => T,
    ): T => {
      const a = make(n);
      (a as Uint8Array).set(old as unknown as Uint8Array);
      return a;
    };
    this.#keys = grow(this.#keys, cap * KEY_WORDS, (n) => new Uint32Array(n));
    this.#hash = grow(this.#hash, cap, (n) => new Uint32Array(n));
    this.#prev = grow(this.#prev, cap, (n) => new Int32Array(n));
    this.#next = grow(this.#next, cap, (n) => new Int32Array(n));
    this.#live = grow(this.#live, cap, (n) => new Uint8Array(n));
    this.#origIsA = grow(this.#origIsA, cap, (n) => new Uint8Array(n));
    this.#number = grow(this.#number, cap, (n) => new Float64Array(n));
    this.#lastSec = grow(this.#lastSec, cap, (n) => new Float64Array(n));
    this.#lastNsec = grow(this.#lastNsec, cap, (n) => new Int32Array(n));
    this.#dir = grow(this.#dir, cap * 2 * D_WORDS, (n) => new Float64Array(n));
    this.#flags = grow(this.#flags, cap * 2, (n) => new Uint8Array(n));
    for (let d = this.#lists.length; d < cap * 2; d++) {
      this.#lists.push(null);
      this.#streams.push(null);
    }
    this.#chain = new Int32Array(cap).fill(-1);
    let nb = 16;
    while (nb < cap * 2) nb *= 2;
    this.#buckets = new Int32Array(nb).fill(-1);
    this.#mask = nb - 1;
    for (let s = 0; s < this.#used; s++) {
      if (this.#live[s] === 0) continue;
      const b = this.#hash[s] & this.#mask;
      this.#chain[s] = this.#buckets[b];
      this.#buckets[b] = s;
    }
    this.#cap = cap;
  }

  #find(hash: number, w: Uint32Array): number {
    const keys = this.#keys, hashes = this.#hash, chain = this.#chain;
    for (let s = this.#buckets[hash & this.#mask]; s >= 0; s = chain[s]) {
      if (hashes[s] !== hash) continue;
      const base = s * KEY_WORDS;
      let i = 0;
      while (i < KEY_WORDS && keys[base + i] === w[i]) i++;
      if (i === KEY_WORDS) return s;
    }
    return -1;
  }

  /** Moves a slot to the most recently active end of the expiry list. */
  #touch(slot: number): void {
    if (this.#tail === slot) return;
    const prev = this.#prev, next = this.#next;
    const p = prev[slot], n = next[slot];
    if (p >= 0) next[p] = n;
    else if (this.#head === slot) this.#head = n;
    if (n >= 0) prev[n] = p;
    prev[slot] = this.#tail;
    next[slot] = -1;
    if (this.#tail >= 0) next[this.#tail] = slot;
    else this.#head = slot;
    this.#tail = slot;
  }

  #create(hash: number, w: Uint32Array, forward: boolean, flags: number): number {
    if (this.stats.open >= this.#max && this.#head >= 0) {
      const frame = this.#frame;
      this.#frame = 0;
      this.#close(this.#head, "evicted");
      this.#frame = frame;
      this.stats.evicted++;
    }
    let slot: number;
    if (this.#free.length > 0) slot = this.#free.pop()!;
    else {
      if (this.#used === this.#cap) this.#grow(this.#cap * 2);
      slot = this.#used++;
    }
    const keys = this.#keys, ko = slot * KEY_WORDS;
    for (let i = 0; i < KEY_WORDS; i++) keys[ko + i] = w[i];
    this.#hash[slot] = hash;
    this.#live[slot] = 1;
    // The first packet's sender is the originator, unless it is a SYN/ACK.
    this.#origIsA[slot] = (forward ? 1 : 0) ^ ((flags & SYN_ACK) === SYN_ACK ? 1 : 0);
    this.#number[slot] = this.#connections++;
    const bk = hash & this.#mask;
    this.#chain[slot] = this.#buckets[bk];
    this.#buckets[bk] = slot;
    this.#prev[slot] = this.#next[slot] = -1;
    this.#touch(slot);
    const dir = this.#dir;
    for (let d = slot * 2; d < slot * 2 + 2; d++) {
      this.#flags[d] = 0;
      for (let i = d * D_WORDS; i < (d + 1) * D_WORDS; i++) dir[i] = 0;
    }
    this.stats.connections++;
    this.stats.open++;
    if (this.#handler !== null) this.#openStreams(slot);
    return slot;
  }

  /** Makes the two streams of a new connection and asks the handler about each. */
  #openStreams(slot: number): void {
    const keys = this.#keys, ko = slot * KEY_WORDS;
    const a = new TcpStream(), b = new TcpStream();
    a.peer = b;
    b.peer = a;
    const family = keys[ko + KEY_FAMILY_PROTO] >>> 8 === 6 ? 6 : 4;
    const ports = keys[ko + KEY_PORTS];
    for (let i = 0; i < 4; i++) {
      a.src[i] = b.dst[i] = keys[ko + KEY_ADDR_A + i];
      a.dst[i] = b.src[i] = keys[ko + KEY_ADDR_B + i];
    }
    a.srcPort = b.dstPort = ports >>> 16;
    a.dstPort = b.srcPort = ports & 0xffff;
    a.family = b.family = family;
    a.connection = b.connection = this.#number[slot];
    a.isOrig = this.#origIsA[slot] === 1;
    b.isOrig = !a.isOrig;
    this.#streams[slot * 2] = a;
    this.#streams[slot * 2 + 1] = b;
    const handler = this.#handler!;
    // The originator's direction first.
    const [first, second] = a.isOrig ? [a, b] : [b, a];
    for (const s of [first, second]) {
      this.#stamp(s);
      s.wantsData = handler.open(s) !== false;
    }
  }

  #close(slot: number, reason: TcpStreamEnd): void {
    for (let d = slot * 2; d < slot * 2 + 2; d++) {
      if ((this.#flags[d] & F_ENDED) === 0) this.#end(d, reason);
      const list = this.#lists[d];
      if (list !== null) {
        this.#release(d, list);
        this.#lists[d] = null;
      }
      this.#streams[d] = null;
    }
    const b = this.#hash[slot] & this.#mask;
    let c = this.#buckets[b];
    if (c === slot) this.#buckets[b] = this.#chain[slot];
    else {
      while (c >= 0 && this.#chain[c] !== slot) c = this.#chain[c];
      if (c >= 0) this.#chain[c] = this.#chain[slot];
    }
    const p = this.#prev[slot], n = this.#next[slot];
    if (p >= 0) this.#next[p] = n;
    else this.#head = n;
    if (n >= 0) this.#prev[n] = p;
    else this.#tail = p;
    this.#prev[slot] = this.#next[slot] = -1;
    this.#live[slot] = 0;
    this.#free.push(slot);
    this.stats.open--;
  }

  #expire(sec: number, nsec: number): void {
    const idle = this.#idle, frame = this.#frame;
    // Streams that end here were not ended by the packet being processed: no frame.
    this.#frame = 0;
    while (this.#head >= 0) {
      const h = this.#head;
      if (elapsedNs(this.#lastSec[h], this.#lastNsec[h], sec, nsec) <= idle) break;
      this.#close(h, "idle");
      this.stats.expired++;
    }
    this.#frame = frame;
  }

  // ---- one direction ----

  /** The stream offset of sequence number `seq` in direction `d` (unwrapped near the next byte). */
  #offsetOf(d: number, seq: number): number {
    const dw = d * D_WORDS;
    const next = this.#dir[dw + D_NEXT];
    const expected = (this.#dir[dw + D_BASE] + next) % TWO_32;
    return next + ((seq - expected) | 0);
  }

  #segment(d: number, p: FlowPacket, flags: number): void {
    const dir = this.#dir, dw = d * D_WORDS;
    let f = this.#flags[d];
    let seq = p.tcpSeq;
    if ((flags & SYN) !== 0) {
      if ((f & F_SEEN) === 0) {
        dir[dw + D_BASE] = (seq + 1) >>> 0;
        f |= F_SEEN;
      }
      seq = (seq + 1) >>> 0; // the SYN takes one sequence number
    } else if ((f & F_SEEN) === 0) {
      dir[dw + D_BASE] = seq; // picked up mid-stream
      f |= F_SEEN;
    }
    this.#flags[d] = f;
    if ((flags & ACK) !== 0) this.#acked(d ^ 1, p.tcpAck);
    if ((f & F_ENDED) !== 0) return;
    const len = p.tcpLen;
    const offset = this.#offsetOf(d, seq);
    if (len > 0) this.#data(d, offset, len, p);
    if ((flags & RST) !== 0) {
      this.#end(d, "rst");
      if ((this.#flags[d ^ 1] & F_ENDED) === 0) this.#end(d ^ 1, "rst");
      return;
    }
    if ((flags & FIN) !== 0 && (this.#flags[d] & F_FIN) === 0) {
      dir[dw + D_FIN] = offset + len;
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
    const list = this.#lists[d];
    if (start === next) {
      // In order: hand over straight from the packet up to the first byte held out of order.
      const firstHeld = list === null || list.count === 0 ? end : Math.min(end, list.starts[0]);
      this.#fromPacket(d, start, firstHeld, o, captured, p);
      if (firstHeld < end) this.#hold(d, firstHeld, end, o, captured, p);
      if (list !== null && list.count > 0) this.#drain(d);
    } else {
      this.stats.outOfOrder++;
      this.#hold(d, start, end, o, captured, p);
    }
    this.#bound(d);
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
    let list = this.#lists[d];
    if (list === null) list = this.#lists[d] = this.#pool.pop() ?? new SegmentList();
    const stream = this.#streams[d];
    const keep = stream !== null && stream.wantsData;
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
    const list = this.#lists[d]!;
    const dw = d * D_WORDS;
    while (list.count > 0) {
      const next = this.#dir[dw + D_NEXT];
      const a = list.starts[0];
      if (a > next) break;
      const b = list.ends[0];
      if (b > next) {
        const data = list.data[0];
        if (data === MISSING) this.#gap(d, b - next);
        else if (data === null) this.#deliver(d, null, 0, b - next);
        else this.#deliver(d, data, next - a, b - next);
      }
      const before = list.memory;
      list.shift();
      this.#memory(list.memory - before);
    }
    if (list.count === 0) this.#waiting.delete(d);
  }

  /** Skips the first hole of a direction (a gap) and hands over what follows it. */
  #skipHole(d: number): void {
    const list = this.#lists[d];
    if (list === null || list.count === 0) return;
    const next = this.#dir[d * D_WORDS + D_NEXT];
    if (list.starts[0] > next) this.#gap(d, list.starts[0] - next);
    this.#drain(d);
  }

  /** Keeps a direction, and all of them, within their memory bounds. */
  #bound(d: number): void {
    const list = this.#lists[d];
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
    const dw = d * D_WORDS;
    let limit = this.#offsetOf(d, ack);
    if ((f & F_FIN) !== 0 && this.#dir[dw + D_FIN] < limit) limit = this.#dir[dw + D_FIN];
    if (limit <= this.#dir[dw + D_NEXT]) return;
    const list = this.#lists[d];
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
      this.#dir[d * D_WORDS + D_NEXT] >= this.#dir[d * D_WORDS + D_FIN]
    ) {
      // Anything held past the FIN is not part of the stream.
      const list = this.#lists[d];
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
    const list = this.#lists[d];
    while (list !== null && list.count > 0) this.#skipHole(d);
    this.#flags[d] |= F_ENDED;
    const s = this.#streams[d];
    if (s !== null) {
      this.#sync(s, d);
      s.ended = true;
      this.#handler!.end(s, reason);
    }
  }

  #release(d: number, list: SegmentList): void {
    this.#memory(-list.memory);
    list.clear();
    this.#waiting.delete(d);
    if (this.#pool.length < 1024) this.#pool.push(list);
  }

  // ---- accounting and the handler ----

  /** Hands over `length` bytes at the next offset (`bytes` null: not kept, only counted). */
  #deliver(d: number, bytes: Uint8Array | null, offset: number, length: number): void {
    const dw = d * D_WORDS;
    const s = this.#streams[d];
    if (s !== null && bytes !== null && s.wantsData && !s.ended) {
      this.#sync(s, d);
      this.#handler!.data(s, bytes, offset, length);
    }
    this.#dir[dw + D_BYTES] += length;
    this.#dir[dw + D_NEXT] += length;
    this.stats.bytes += length;
  }

  /** Reports `length` bytes at the next offset as never seen. */
  #gap(d: number, length: number): void {
    const dw = d * D_WORDS;
    const s = this.#streams[d];
    if (s !== null && s.wantsData && !s.ended) {
      this.#sync(s, d);
      this.#handler!.gap(s, length);
    }
    this.#dir[dw + D_MISSED] += length;
    this.#dir[dw + D_NEXT] += length;
    this.stats.missed += length;
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

  /** Brings a stream's position, counts and the current packet's time up to date. */
  #sync(s: TcpStream, d: number): void {
    const dw = d * D_WORDS;
    s.offset = this.#dir[dw + D_NEXT];
    s.bytes = this.#dir[dw + D_BYTES];
    s.retransmitted = this.#dir[dw + D_RETRANSMITTED];
    s.missed = this.#dir[dw + D_MISSED];
    this.#stamp(s);
  }

  #stamp(s: TcpStream): void {
    s.sec = this.#sec;
    s.nsec = this.#nsec;
    s.frame = this.#frame;
  }
}

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new RangeError(`Cannot make a TCP reassembler: ${name} is ${value}`);
  return value;
}
