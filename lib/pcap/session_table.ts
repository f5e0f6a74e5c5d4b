/**
 * The bidirectional session table: one entry per conversation, keyed by the canonical 5-tuple,
 * with per-direction packet and byte counts, first and last time, protocol path, TCP handshake
 * RTT and state, and idle expiry by capture time. Closed sessions are handed to a callback in the
 * manner of Zeek's conn.log.
 *
 * @module
 */
import type { FlowPacket } from "./flow_packet.ts";
import { FlowSession, type SessionAttribute, type TcpState } from "./flow_session.ts";
import { TcpFlag } from "./packet_view.ts";
import { guessService } from "./service_guess.ts";
import { protocolPath } from "./protocol_path.ts";
import { canonicalize, newCanonicalKey } from "./_flow_key.ts";
import * as flowKey from "./_flow_key.ts";
import { addHistoryLetter, historyText } from "./_conn_history.ts";
import * as history from "./_conn_history.ts";
import * as numbers from "./_protocol_numbers.ts";
import { elapsedNs } from "./_time.ts";
import { TcpReassembler } from "./tcp_reassembler.ts";
import { ConnectionIndex } from "./_connection_index.ts";

// Module-level copies: V8 folds these into the hot paths, but not bindings imported from
// another module.
const { KEY_ADDR_A, KEY_ADDR_B, KEY_FAMILY_PROTO, KEY_PORTS, KEY_WORDS } = flowKey;
const { H_ACK, H_DATA, H_FIN, H_RST, H_SYN, H_SYN_ACK, HISTORY_WORDS } = history;
const { IPPROTO_TCP } = numbers;
const { ACK, FIN, RST, SYN } = TcpFlag;

/**
 * Per-session hooks (for example `createSessionHooks` of `@mxy/mxy/dpi`): `open` when a session
 * starts, `packet` for each of its packets, `close` when it ends, returning attributes that are
 * kept in {@linkcode FlowSession.attributes}.
 */
export interface SessionTableHooks {
  /** Creates the state kept with a new session. */
  open(p: FlowPacket): unknown;
  /** Sees one packet of the session. */
  packet(state: unknown, p: FlowPacket, fromOrig: boolean): void;
  /** Ends the session; the returned attributes are stored on it. */
  close(state: unknown): Record<string, SessionAttribute> | void;
}

/** Counters of a session table. */
export interface SessionStats {
  /** Packets offered. */
  packets: number;
  /** Packets with an IP layer, counted into a session. */
  tracked: number;
  /** Sessions created. */
  sessions: number;
  /** Sessions closed by idle expiry. */
  expired: number;
  /** Sessions closed because the table was full. */
  evicted: number;
  /** Sessions open now. */
  open: number;
}

/** Options for {@linkcode SessionTable}. */
export interface SessionTableOptions {
  /** Idle time, in ns of capture time, after which a session is closed (default 300 s). */
  idleTimeoutNs?: number;
  /**
   * Most sessions open at once; the least recently active one is closed beyond it (default
   * 1,000,000).
   */
  maxSessions?: number;
  /** Called with each session once it is closed (expired, evicted, replaced or at `finish`). */
  onClose?: (s: FlowSession) => void;
  /** Names a packet's application protocol (default {@linkcode guessService}). */
  classify?: (p: FlowPacket) => string;
  /** Per-session hooks whose attributes end up in {@linkcode FlowSession.attributes}. */
  hooks?: SessionTableHooks;
  /**
   * Follow each TCP direction's sequence numbers (a `TcpReassembler` that only counts) to fill
   * {@linkcode FlowSession.origDataBytes}, `respDataBytes` and `missedBytes`: payload bytes
   * once, without retransmissions, and bytes never seen (default `false`).
   */
  reassemble?: boolean;
  /** With `reassemble`: most bytes of sequence bookkeeping held out of order (default 64 MiB). */
  maxReassemblyMemory?: number;
}

const STATES: readonly TcpState[] = ["", "SYN", "established", "FIN", "RST"];
const ST_NONE = 0, ST_SYN = 1, ST_ESTABLISHED = 2, ST_FIN = 3, ST_RST = 4;

// Numbers per slot (Float64Array `#numbers`, slot `s` at `s * N_WORDS`). Times are whole
// seconds plus nanoseconds, never float nanoseconds from an origin: differences are exact.
/** The originator's first SYN (set with {@linkcode SEEN_SYN}): whole seconds. */
const N_SYN_SEC = 0;
/** The originator's first SYN: nanoseconds. */
const N_SYN_NSEC = 1;
/** Handshake RTT, ns; -1 until the handshake completes. */
const N_RTT_NS = 2;
const N_FIRST_SEC = 3;
const N_FIRST_NSEC = 4;
const N_LAST_SEC = 5;
const N_LAST_NSEC = 6;
const N_ORIG_PKTS = 7;
const N_RESP_PKTS = 8;
const N_ORIG_BYTES = 9;
const N_RESP_BYTES = 10;
const N_ORIG_IP_BYTES = 11;
const N_RESP_IP_BYTES = 12;
const N_FIRST_FRAME = 13;
/** The session's creation number, for its uid. */
const N_SEQ = 14;
/** The frame of the session's latest packet (the expiry order, for parallel pipelines). */
const N_LAST_FRAME = 15;
const N_WORDS = 16;

// Bytes per slot (Uint8Array `#bytes`, slot `s` at `s * B_WORDS`).
/** 1 when the originator is endpoint A of the canonical key. */
const B_ORIG_IS_A = 0;
/** OR of the originator's TCP flags. */
const B_ORIG_FLAGS = 1;
/** OR of the responder's TCP flags. */
const B_RESP_FLAGS = 2;
/** TCP state (`ST_*`). */
const B_STATE = 3;
/** Handshake packets seen: {@linkcode SEEN_SYN} and {@linkcode SEEN_SYN_ACK}. */
const B_HANDSHAKE = 4;
const B_WORDS = 5;
/** {@linkcode B_HANDSHAKE} bit: the originator's SYN. */
const SEEN_SYN = 1;
/** {@linkcode B_HANDSHAKE} bit: the responder's SYN+ACK. */
const SEEN_SYN_ACK = 2;

const SYN_ACK = SYN | ACK;
/** The path cache key packs the link type, the layer bits and the service id, 16 bits each. */
const PATH_LAYER_RANGE = 0x10000, PATH_SERVICE_RANGE = 0x10000;

/**
 * The session table. Feed it every packet with {@linkcode SessionTable.push}; sessions are
 * handed to `onClose` when they go idle and at {@linkcode SessionTable.finish}. Open sessions
 * live in typed arrays (no object per session); a {@linkcode FlowSession} is made when one
 * closes.
 *
 * @example
 * ```ts
 * import { FlowPacket, type FlowSession, SessionTable, TcpFlag } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * const closed: FlowSession[] = [];
 * const t = new SessionTable({ onClose: (s) => closed.push(s) });
 * const p = new FlowPacket();
 * p.ipLen = 40;
 * p.setIPv4(0x0a000001, 0x0a000002, 6, 40000, 80);
 * p.tcpFlags = TcpFlag.SYN; p.sec = 1; p.nsec = 0;
 * t.push(p);
 * p.setIPv4(0x0a000002, 0x0a000001, 6, 80, 40000);
 * p.tcpFlags = TcpFlag.SYN | TcpFlag.ACK; p.nsec = 500;
 * t.push(p);
 * p.setIPv4(0x0a000001, 0x0a000002, 6, 40000, 80);
 * p.tcpFlags = TcpFlag.ACK; p.nsec = 900;
 * t.push(p);
 * t.finish();
 * assert.equal(closed.length, 1);
 * assert.equal(closed[0].rttNs, 900);
 * assert.equal(closed[0].state, "established");
 * assert.deepEqual([closed[0].origPkts, closed[0].respPkts], [2, 1]);
 * ```
 */
export class SessionTable {
  /** Counters. */
  readonly stats: SessionStats = {
    packets: 0,
    tracked: 0,
    sessions: 0,
    expired: 0,
    evicted: 0,
    open: 0,
  };
  #idle: number;
  #max: number;
  #onClose: (s: FlowSession) => void;
  #classify: (p: FlowPacket) => string;
  #hooks: SessionTableHooks | null;
  #key = newCanonicalKey();
  /** The sessions' slots, keys and activity order (least recently active first). */
  #index: ConnectionIndex = new ConnectionIndex((capacity) => this.#grow(capacity));
  // Slot-indexed storage.
  #numbers = new Float64Array(0);
  #bytes = new Uint8Array(0);
  #history = new Uint32Array(0);
  #historySeen = new Uint16Array(0);
  #serviceId = new Uint16Array(0); // 0 = none
  #pathId = new Uint16Array(0);
  #hookState: unknown[] = [];
  #uidSeq = 0;
  #services: string[] = [""];
  #serviceIds = new Map<string, number>([["", 0]]);
  #paths: string[] = [];
  #pathIds = new Map<string, number>();
  #pathCache = new Map<number, number>();
  #lastPathKey = -1;
  #lastPathId = 0;
  /** With `reassemble`: the counting reassembler, and each session's connection in it. */
  #tcp: TcpReassembler | null = null;
  #tcpSlot = new Int32Array(0);
  #tcpNumber = new Float64Array(0);
  /** 1 when the reassembler's originator is the session's responder. */
  #tcpFlip = new Uint8Array(0);

  /**
   * Creates an empty table.
   *
   * @param options {@linkcode SessionTableOptions}.
   * @throws {RangeError} When `maxSessions` is not a whole number of at least 1.
   */
  constructor(options: SessionTableOptions = {}) {
    this.#idle = options.idleTimeoutNs ?? 300e9;
    this.#max = options.maxSessions ?? 1_000_000;
    if (!Number.isInteger(this.#max) || this.#max < 1) {
      throw new RangeError(`Cannot size the session table: maxSessions is ${this.#max}`);
    }
    this.#onClose = options.onClose ?? (() => {});
    this.#classify = options.classify ?? guessService;
    this.#hooks = options.hooks ?? null;
    if (options.reassemble === true) {
      // The table decides when sessions end: the reassembler never expires or evicts on its own.
      this.#tcp = new TcpReassembler({
        idleTimeoutNs: Infinity,
        maxConnections: Infinity,
        maxMemory: options.maxReassemblyMemory,
        keepEnded: true,
      });
    }
    this.#grow(this.#index.capacity);
  }

  /** Number of open sessions. */
  get size(): number {
    return this.stats.open;
  }

  /** Makes room for `cap` slots in the per-slot arrays. */
  #grow(cap: number): void {
    const grow = <T extends Float64Array | Uint8Array | Uint16Array | Uint32Array | Int32Array>(
      old: T,
      n: number,
      make: (len: number) => T,
      fill?: number,
    ): T => {
      const a = make(n);
      if (fill !== undefined) (a as Int32Array).fill(fill);
      (a as Uint8Array).set(old as unknown as Uint8Array);
      return a;
    };
    this.#numbers = grow(this.#numbers, cap * N_WORDS, (n) => new Float64Array(n));
    this.#bytes = grow(this.#bytes, cap * B_WORDS, (n) => new Uint8Array(n));
    this.#history = grow(this.#history, cap * HISTORY_WORDS, (n) => new Uint32Array(n));
    this.#historySeen = grow(this.#historySeen, cap, (n) => new Uint16Array(n));
    this.#serviceId = grow(this.#serviceId, cap, (n) => new Uint16Array(n));
    this.#pathId = grow(this.#pathId, cap, (n) => new Uint16Array(n));
    this.#tcpSlot = grow(this.#tcpSlot, cap, (n) => new Int32Array(n), -1);
    this.#tcpNumber = grow(this.#tcpNumber, cap, (n) => new Float64Array(n));
    this.#tcpFlip = grow(this.#tcpFlip, cap, (n) => new Uint8Array(n));
  }

  #close(slot: number): void {
    // The record is read before the slot is let go (its key stays until the slot is reused).
    const s = this.#record(slot);
    this.#index.remove(slot);
    this.stats.open--;
    if (this.#tcp !== null) this.#tcpCounts(slot, s);
    if (this.#hooks !== null) {
      const attrs = this.#hooks.close(this.#hookState[slot]);
      this.#hookState[slot] = undefined;
      if (attrs) s.attributes = attrs;
    }
    this.#onClose(s);
  }

  #record(slot: number): FlowSession {
    const s = new FlowSession();
    const n = this.#numbers, no = slot * N_WORDS, b = this.#bytes, bo = slot * B_WORDS;
    const k = this.#index.keys, ko = slot * KEY_WORDS;
    s.family = (k[ko + KEY_FAMILY_PROTO] >>> 8) === 6 ? 6 : 4;
    s.proto = k[ko + KEY_FAMILY_PROTO] & 0xff;
    const origIsA = b[bo + B_ORIG_IS_A] === 1;
    const ports = k[ko + KEY_PORTS];
    const portA = ports >>> 16, portB = ports & 0xffff;
    const a = ko + KEY_ADDR_A, bb = ko + KEY_ADDR_B;
    for (let i = 0; i < 4; i++) {
      s.origAddr[i] = k[(origIsA ? a : bb) + i];
      s.respAddr[i] = k[(origIsA ? bb : a) + i];
    }
    s.origPort = origIsA ? portA : portB;
    s.respPort = origIsA ? portB : portA;
    s.firstSec = n[no + N_FIRST_SEC];
    s.firstNsec = n[no + N_FIRST_NSEC];
    s.lastSec = n[no + N_LAST_SEC];
    s.lastNsec = n[no + N_LAST_NSEC];
    s.origPkts = n[no + N_ORIG_PKTS];
    s.respPkts = n[no + N_RESP_PKTS];
    s.origBytes = n[no + N_ORIG_BYTES];
    s.respBytes = n[no + N_RESP_BYTES];
    s.origIpBytes = n[no + N_ORIG_IP_BYTES];
    s.respIpBytes = n[no + N_RESP_IP_BYTES];
    s.firstFrame = n[no + N_FIRST_FRAME];
    s.lastFrame = n[no + N_LAST_FRAME];
    s.rttNs = n[no + N_RTT_NS];
    s.seq = n[no + N_SEQ];
    s.keyHash = this.#index.hashes[slot];
    s.origFlags = b[bo + B_ORIG_FLAGS];
    s.respFlags = b[bo + B_RESP_FLAGS];
    s.origSyn = (b[bo + B_HANDSHAKE] & SEEN_SYN) !== 0;
    s.respSynAck = (b[bo + B_HANDSHAKE] & SEEN_SYN_ACK) !== 0;
    s.state = STATES[b[bo + B_STATE]];
    s.service = this.#services[this.#serviceId[slot]];
    s.path = this.#paths[this.#pathId[slot]];
    s.history = historyText(this.#history, slot);
    return s;
  }

  /**
   * Closes every session idle for longer than the timeout at a capture time. `push` calls it;
   * call it yourself to expire without a packet.
   *
   * @param sec The current capture time: whole seconds.
   * @param nsec The current capture time: nanoseconds within the second.
   * @returns How many sessions were closed.
   */
  expire(sec: number, nsec: number): number {
    const idle = this.#idle, n = this.#numbers, index = this.#index;
    let closed = 0;
    while (index.head >= 0) {
      const o = index.head * N_WORDS;
      if (elapsedNs(n[o + N_LAST_SEC], n[o + N_LAST_NSEC], sec, nsec) <= idle) break;
      this.#close(index.head);
      closed++;
    }
    this.stats.expired += closed;
    return closed;
  }

  /**
   * Counts one packet into its session, creating the session when needed.
   *
   * @param p The packet's flow facts.
   * @returns The session's slot in the table, or -1 when the packet has no IP layer.
   */
  push(p: FlowPacket): number {
    this.stats.packets++;
    if (p.family === 0) return -1;
    this.stats.tracked++;
    if (this.#index.head >= 0) this.expire(p.sec, p.nsec);
    const key = canonicalize(p, this.#key);
    let slot = this.#index.find(key.hash, key.words);
    const flags = p.tcpFlags;
    const isTcp = p.proto === IPPROTO_TCP;
    const b = this.#bytes;
    if (slot >= 0 && isTcp && (flags & SYN_ACK) === SYN) {
      // A new SYN on a conversation that ended: the port pair was reused.
      const st = b[slot * B_WORDS + B_STATE];
      if (st === ST_FIN || st === ST_RST) {
        this.#close(slot);
        slot = -1;
      }
    }
    let fromOrig: boolean;
    if (slot < 0) {
      slot = this.#create(p, key.hash, key.words, key.forward);
      fromOrig = true;
      if (isTcp && (flags & SYN_ACK) === SYN_ACK) {
        // The first packet is a SYN/ACK: its sender is the responder.
        b[slot * B_WORDS + B_ORIG_IS_A] ^= 1;
        fromOrig = false;
      }
    } else {
      fromOrig = (b[slot * B_WORDS + B_ORIG_IS_A] === 1) === key.forward;
      this.#index.touch(slot);
    }
    const n = this.#numbers, no = slot * N_WORDS;
    n[no + N_LAST_SEC] = p.sec;
    n[no + N_LAST_NSEC] = p.nsec;
    n[no + N_LAST_FRAME] = p.frame;
    if (fromOrig) {
      n[no + N_ORIG_PKTS]++;
      n[no + N_ORIG_BYTES] += p.payLen;
      n[no + N_ORIG_IP_BYTES] += p.ipLen;
    } else {
      n[no + N_RESP_PKTS]++;
      n[no + N_RESP_BYTES] += p.payLen;
      n[no + N_RESP_IP_BYTES] += p.ipLen;
    }
    if (
      this.#serviceId[slot] === 0 &&
      (p.payLen > 0 || n[no + N_ORIG_PKTS] + n[no + N_RESP_PKTS] === 1)
    ) {
      const service = this.#classify(p);
      if (service !== "") {
        let id = this.#serviceIds.get(service);
        if (id === undefined) {
          id = this.#services.length;
          this.#services.push(service);
          this.#serviceIds.set(service, id);
        }
        this.#serviceId[slot] = id;
        p.service = service;
        this.#pathId[slot] = this.#path(p, id);
      }
    }
    if (isTcp) {
      this.#tcpState(slot, p, flags, fromOrig);
      if (this.#tcp !== null) this.#follow(slot, p, fromOrig);
    } else if (p.payLen > 0) this.#letter(slot, H_DATA, fromOrig);
    if (this.#hooks !== null) this.#hooks.packet(this.#hookState[slot], p, fromOrig);
    return slot;
  }

  #letter(slot: number, code: number, fromOrig: boolean): void {
    addHistoryLetter(this.#history, this.#historySeen, slot, code, fromOrig);
  }

  /** The interned protocol path of a packet with a given service, cached per layer set. */
  #path(p: FlowPacket, serviceId: number): number {
    const key = (p.linktype * PATH_LAYER_RANGE + p.layers) * PATH_SERVICE_RANGE + serviceId;
    if (key === this.#lastPathKey) return this.#lastPathId;
    let id = this.#pathCache.get(key);
    if (id === undefined) {
      const path = protocolPath(p, this.#services[serviceId]);
      id = this.#pathIds.get(path);
      if (id === undefined) {
        id = this.#paths.length;
        this.#paths.push(path);
        this.#pathIds.set(path, id);
      }
      this.#pathCache.set(key, id);
    }
    this.#lastPathKey = key;
    this.#lastPathId = id;
    return id;
  }

  /** Feeds a TCP packet to the counting reassembler; remembers the session's connection. */
  #follow(slot: number, p: FlowPacket, fromOrig: boolean): void {
    const tcp = this.#tcp!;
    const ts = tcp.push(p);
    if (ts < 0) return;
    const number = tcp.connectionAt(ts);
    if (ts !== this.#tcpSlot[slot] || number !== this.#tcpNumber[slot]) {
      this.#tcpSlot[slot] = ts;
      this.#tcpNumber[slot] = number;
      this.#tcpFlip[slot] = tcp.lastFromOrig === fromOrig ? 0 : 1;
    }
  }

  /** Reads a closing session's counts from the reassembler and ends its connection there. */
  #tcpCounts(slot: number, s: FlowSession): void {
    const tcp = this.#tcp!, ts = this.#tcpSlot[slot];
    this.#tcpSlot[slot] = -1;
    if (ts < 0 || tcp.connectionAt(ts) !== this.#tcpNumber[slot]) return;
    const flip = this.#tcpFlip[slot] === 1;
    let c = tcp.counts(ts, !flip);
    s.origDataBytes = c.bytes;
    s.missedBytes = c.missed;
    c = tcp.counts(ts, flip);
    s.respDataBytes = c.bytes;
    s.missedBytes += c.missed;
    tcp.close(ts);
  }

  #tcpState(slot: number, p: FlowPacket, flags: number, fromOrig: boolean): void {
    const b = this.#bytes, bo = slot * B_WORDS, n = this.#numbers, no = slot * N_WORDS;
    if (fromOrig) b[bo + B_ORIG_FLAGS] |= flags;
    else b[bo + B_RESP_FLAGS] |= flags;
    const syn = (flags & SYN) !== 0, ack = (flags & ACK) !== 0;
    let st = b[bo + B_STATE];
    if (syn && !ack) {
      if (fromOrig) {
        if ((b[bo + B_HANDSHAKE] & SEEN_SYN) === 0) {
          n[no + N_SYN_SEC] = p.sec;
          n[no + N_SYN_NSEC] = p.nsec;
        }
        b[bo + B_HANDSHAKE] |= SEEN_SYN;
      }
      this.#letter(slot, H_SYN, fromOrig);
      if (st === ST_NONE) st = ST_SYN;
    } else if (syn && ack) {
      if (!fromOrig) b[bo + B_HANDSHAKE] |= SEEN_SYN_ACK;
      this.#letter(slot, H_SYN_ACK, fromOrig);
      if (st === ST_NONE) st = ST_SYN;
    } else if (
      ack && fromOrig && n[no + N_RTT_NS] < 0 &&
      b[bo + B_HANDSHAKE] === (SEEN_SYN | SEEN_SYN_ACK)
    ) {
      n[no + N_RTT_NS] = elapsedNs(n[no + N_SYN_SEC], n[no + N_SYN_NSEC], p.sec, p.nsec);
      if (st === ST_SYN) st = ST_ESTABLISHED;
    }
    if (ack && !syn && (flags & (FIN | RST)) === 0 && p.payLen === 0) {
      this.#letter(slot, H_ACK, fromOrig);
    }
    if (p.payLen > 0) this.#letter(slot, H_DATA, fromOrig);
    if (st === ST_NONE && !syn) st = ST_ESTABLISHED;
    if (flags & FIN) {
      this.#letter(slot, H_FIN, fromOrig);
      if (st !== ST_RST) st = ST_FIN;
    }
    if (flags & RST) {
      this.#letter(slot, H_RST, fromOrig);
      st = ST_RST;
    }
    b[bo + B_STATE] = st;
  }

  #create(p: FlowPacket, hash: number, w: Uint32Array, forward: boolean): number {
    if (this.stats.open >= this.#max && this.#index.head >= 0) {
      this.#close(this.#index.head);
      this.stats.evicted++;
    }
    const slot = this.#index.add(hash, w);
    const b = this.#bytes, bo = slot * B_WORDS;
    b[bo + B_ORIG_IS_A] = forward ? 1 : 0;
    b[bo + B_ORIG_FLAGS] =
      b[bo + B_RESP_FLAGS] =
      b[bo + B_STATE] =
      b[bo + B_HANDSHAKE] =
        0;
    const n = this.#numbers, no = slot * N_WORDS;
    for (let i = 0; i < N_WORDS; i++) n[no + i] = 0;
    n[no + N_FIRST_SEC] = p.sec;
    n[no + N_FIRST_NSEC] = p.nsec;
    n[no + N_FIRST_FRAME] = p.frame;
    n[no + N_RTT_NS] = -1;
    n[no + N_SEQ] = this.#uidSeq++;
    for (let w = slot * HISTORY_WORDS; w < (slot + 1) * HISTORY_WORDS; w++) this.#history[w] = 0;
    this.#historySeen[slot] = 0;
    this.#serviceId[slot] = 0;
    p.service = "";
    this.#pathId[slot] = this.#path(p, 0);
    this.#tcpSlot[slot] = -1;
    if (this.#hooks !== null) this.#hookState[slot] = this.#hooks.open(p);
    this.stats.sessions++;
    this.stats.open++;
    return slot;
  }

  /**
   * Closes every open session, oldest first, handing each to `onClose`.
   *
   * @returns The final counters.
   */
  finish(): SessionStats {
    const open: number[] = [];
    const index = this.#index;
    for (let s = 0; s < index.used; s++) if (index.live[s] === 1) open.push(s);
    const n = this.#numbers;
    open.sort((a, b) =>
      n[a * N_WORDS + N_FIRST_SEC] - n[b * N_WORDS + N_FIRST_SEC] ||
      n[a * N_WORDS + N_FIRST_NSEC] - n[b * N_WORDS + N_FIRST_NSEC] ||
      n[a * N_WORDS + N_FIRST_FRAME] - n[b * N_WORDS + N_FIRST_FRAME]
    );
    for (const s of open) this.#close(s);
    return this.stats;
  }
}
