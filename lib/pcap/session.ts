/**
 * The bidirectional session table: one entry per conversation, keyed by the canonical 5-tuple,
 * with per-direction packet and byte counts, first and last time, protocol path, TCP handshake
 * RTT and state, and idle expiry by capture time. Closed sessions are handed to a callback in the
 * manner of Zeek's conn.log.
 *
 * @module
 */
import {
  canonicalize,
  type FlowPacket,
  guessService,
  KEY_WORDS,
  newCanonicalKey,
  protocolPath,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
} from "./session_key.ts";

/** TCP state as the session table tracks it ("" for other protocols). */
export type TcpState = "" | "SYN" | "established" | "FIN" | "RST";

/**
 * One conversation, as the table hands it over when it closes. Numbers are exact; times are
 * whole seconds plus nanoseconds.
 *
 * @example
 * ```ts
 * import { Session } from "./session.ts";
 * import assert from "node:assert/strict";
 * const s = new Session();
 * s.proto = 6;
 * s.origSyn = true;
 * s.respFlags = 0x14; // RST+ACK
 * assert.equal(s.connState(), "REJ");
 * ```
 */
export class Session {
  /** @internal Creation number within the table, for the uid. */
  seq = 0;
  /** @internal Key hash, for the uid. */
  keyHash = 0;
  #uid: string | null = null;

  /** Stable identifier, `C` followed by base-62 digits (unique within a run). */
  get uid(): string {
    if (this.#uid === null) {
      this.#uid = "C" + base62((this.keyHash ^ Math.imul(this.seq, 0x9e3779b1)) >>> 0, 6) +
        base62(this.seq, 5);
    }
    return this.#uid;
  }

  /** Sets the identifier explicitly. */
  set uid(value: string) {
    this.#uid = value;
  }
  /** 4 or 6. */
  family = 0;
  /** IP protocol number. */
  proto = 0;
  /** Originator address words (the side that sent the first packet, or the SYN). */
  readonly origAddr: number[] = [0, 0, 0, 0];
  /** Responder address words. */
  readonly respAddr: number[] = [0, 0, 0, 0];
  /** Originator port. */
  origPort = 0;
  /** Responder port. */
  respPort = 0;
  /** First packet: whole seconds. */
  firstSec = 0;
  /** First packet: nanoseconds within the second. */
  firstNsec = 0;
  /** Last packet: whole seconds. */
  lastSec = 0;
  /** Last packet: nanoseconds. */
  lastNsec = 0;
  /** Packets from the originator. */
  origPkts = 0;
  /** Packets from the responder. */
  respPkts = 0;
  /** Transport payload bytes from the originator. */
  origBytes = 0;
  /** Transport payload bytes from the responder. */
  respBytes = 0;
  /** IP bytes (headers included) from the originator. */
  origIpBytes = 0;
  /** IP bytes from the responder. */
  respIpBytes = 0;
  /** Protocol path of the conversation, e.g. `eth:ip:udp:dns`. */
  path = "";
  /** Application protocol (`dns`, `http`, `tls` …) or "". */
  service = "";
  /** TCP state: SYN, established, FIN, RST ("" for other protocols). */
  state: TcpState = "";
  /** Zeek-style history letters (upper case originator, lower case responder). */
  history = "";
  /** TCP handshake RTT, first SYN to the ACK that completes the handshake, in ns; -1 if none. */
  rttNs = -1;
  /** Flags seen from the originator (OR of TCP flag bytes). */
  origFlags = 0;
  /** Flags seen from the responder. */
  respFlags = 0;
  /** SYN (without ACK) seen from the originator. */
  origSyn = false;
  /** SYN+ACK seen from the responder. */
  respSynAck = false;
  /** Packet number of the first packet. */
  firstFrame = 0;
  /** @internal Relative capture time of the first packet, ns. */
  firstNs = 0;
  /** @internal Relative capture time of the last packet, ns. */
  lastNs = 0;
  /** @internal Time of the first SYN, ns relative; -1 before. */
  synNs = -1;
  /** Attributes the session hooks reported at close (`http.requests` …), or `null`. */
  attributes: Record<string, SessionAttribute> | null = null;

  /**
   * Duration from first to last packet in nanoseconds.
   *
   * @returns The duration.
   */
  durationNs(): number {
    return this.lastNs - this.firstNs;
  }

  /**
   * The Zeek conn_state of the conversation (S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0,
   * RSTRH, SH, SHR, OTH); non-TCP: S0 when one-way, SF when both sides spoke.
   *
   * @returns The state code.
   */
  connState(): string {
    if (this.proto !== 6) return this.respPkts > 0 ? "SF" : "S0";
    const o = this.origFlags, r = this.respFlags;
    const oFin = (o & TCP_FIN) !== 0, rFin = (r & TCP_FIN) !== 0;
    const oRst = (o & TCP_RST) !== 0, rRst = (r & TCP_RST) !== 0;
    if (this.origSyn && !this.respSynAck) {
      if (rRst) return "REJ";
      if (oRst) return "RSTOS0";
      if (oFin) return "SH";
      return "S0";
    }
    if (!this.origSyn && this.respSynAck) {
      if (rRst) return "RSTRH";
      if (rFin) return "SHR";
      return "OTH";
    }
    if (!this.origSyn) return "OTH";
    if (oRst) return "RSTO";
    if (rRst) return "RSTR";
    if (oFin && rFin) return "SF";
    if (oFin) return "S2";
    if (rFin) return "S3";
    return "S1";
  }
}

/** A value a session hook reports at close. */
export type SessionAttribute = string | number | boolean | undefined;

/**
 * Per-session hooks (for example a protocol registry's session hooks): `open` when a session
 * starts, `packet` for each of its packets, `close` when it ends, returning attributes that are
 * kept in {@linkcode Session.attributes}.
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
  /** Most sessions open at once; the least recently active one is closed beyond it (default 1,000,000). */
  maxSessions?: number;
  /** Called with each session once it is closed (expired, evicted, replaced or at `finish`). */
  onClose?: (s: Session) => void;
  /** Names a packet's application protocol (default {@linkcode guessService}). */
  classify?: (p: FlowPacket) => string;
  /** Per-session hooks whose attributes end up in {@linkcode Session.attributes}. */
  hooks?: SessionTableHooks;
}

// History letters in the order of their 4-bit codes (1-based; 0 ends the sequence).
const LETTERS = "SHADFRshadfr";
const L_S = 1, L_H = 2, L_A = 3, L_D = 4, L_F = 5, L_R = 6;

const STATES: TcpState[] = ["", "SYN", "established", "FIN", "RST"];
const ST_NONE = 0, ST_SYN = 1, ST_EST = 2, ST_FIN = 3, ST_RST = 4;

// Float64 fields per slot.
const F_FIRST = 0,
  F_LAST = 1,
  F_SYN = 2,
  F_RTT = 3,
  F_FIRST_SEC = 4,
  F_FIRST_NSEC = 5,
  F_LAST_SEC = 6,
  F_LAST_NSEC = 7,
  F_OPKTS = 8,
  F_RPKTS = 9,
  F_OBYTES = 10,
  F_RBYTES = 11,
  F_OIP = 12,
  F_RIP = 13,
  F_FRAME = 14,
  F_SEQ = 15,
  FW = 16;

// Byte fields per slot.
const B_ORIG_IS_A = 0, B_OFLAGS = 1, B_RFLAGS = 2, B_STATE = 3, B_SYNSEEN = 4, BW = 5;
// B_SYNSEEN bits: 1 originator SYN, 2 responder SYN/ACK.

const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function base62(n: number, width: number): string {
  let s = "";
  for (let i = 0; i < width; i++) {
    s = B62[n % 62] + s;
    n = Math.floor(n / 62);
  }
  return s;
}

/**
 * The session table. Feed it every packet with {@linkcode SessionTable.push}; sessions are
 * handed to `onClose` when they go idle and at {@linkcode SessionTable.finish}. Open sessions
 * live in typed arrays (no object per session); a {@linkcode Session} record is made when one
 * closes.
 *
 * @example
 * ```ts
 * import { SessionTable, type Session } from "./session.ts";
 * import { FlowPacket } from "./session_key.ts";
 * import assert from "node:assert/strict";
 * const closed: Session[] = [];
 * const t = new SessionTable({ onClose: (s) => closed.push(s) });
 * const p = new FlowPacket();
 * p.ipLen = 40;
 * p.setIPv4(0x0a000001, 0x0a000002, 6, 40000, 80); p.tcpFlags = 0x02; p.sec = 1; p.nsec = 0;
 * t.push(p);
 * p.setIPv4(0x0a000002, 0x0a000001, 6, 80, 40000); p.tcpFlags = 0x12; p.nsec = 500;
 * t.push(p);
 * p.setIPv4(0x0a000001, 0x0a000002, 6, 40000, 80); p.tcpFlags = 0x10; p.nsec = 900;
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
  #onClose: (s: Session) => void;
  #classify: (p: FlowPacket) => string;
  #hooks: SessionTableHooks | null;
  #ck = newCanonicalKey();
  #baseSec = NaN;
  // Slot-indexed storage.
  #cap = 0;
  #keys = new Uint32Array(0);
  #hash = new Uint32Array(0);
  #f = new Float64Array(0);
  #b = new Uint8Array(0);
  #hist = new Uint32Array(0); // two words of 4-bit letter codes per slot
  #histBits = new Uint16Array(0);
  #svc = new Uint16Array(0); // service id, 0 = none
  #pathId = new Uint16Array(0);
  #live = new Uint8Array(0);
  #hookState: unknown[] = [];
  #chain = new Int32Array(0);
  #buckets = new Int32Array(0);
  #mask = 0;
  #prev = new Int32Array(0);
  #next = new Int32Array(0);
  #head = -1;
  #tail = -1;
  #free: number[] = [];
  #used = 0;
  #uidSeq = 0;
  #services: string[] = [""];
  #serviceIds = new Map<string, number>([["", 0]]);
  #paths: string[] = [];
  #pathIds = new Map<string, number>();
  #pathCache = new Map<number, number>();
  #lastPathKey = -1;
  #lastPathId = 0;

  /** @param options {@linkcode SessionTableOptions}. */
  constructor(options: SessionTableOptions = {}) {
    this.#idle = options.idleTimeoutNs ?? 300e9;
    this.#max = options.maxSessions ?? 1_000_000;
    if (!Number.isInteger(this.#max) || this.#max < 1) {
      throw new RangeError(`Cannot size the session table: maxSessions is ${this.#max}`);
    }
    this.#onClose = options.onClose ?? (() => {});
    this.#classify = options.classify ?? guessService;
    this.#hooks = options.hooks ?? null;
    this.#grow(1024);
  }

  /** Number of open sessions. */
  get size(): number {
    return this.stats.open;
  }

  #grow(cap: number): void {
    const grow = <T extends Uint32Array | Float64Array | Uint8Array | Uint16Array | Int32Array>(
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
    this.#keys = grow(this.#keys, cap * KEY_WORDS, (n) => new Uint32Array(n));
    this.#hash = grow(this.#hash, cap, (n) => new Uint32Array(n));
    this.#f = grow(this.#f, cap * FW, (n) => new Float64Array(n));
    this.#b = grow(this.#b, cap * BW, (n) => new Uint8Array(n));
    this.#hist = grow(this.#hist, cap * 2, (n) => new Uint32Array(n));
    this.#histBits = grow(this.#histBits, cap, (n) => new Uint16Array(n));
    this.#svc = grow(this.#svc, cap, (n) => new Uint16Array(n));
    this.#pathId = grow(this.#pathId, cap, (n) => new Uint16Array(n));
    this.#live = grow(this.#live, cap, (n) => new Uint8Array(n));
    this.#prev = grow(this.#prev, cap, (n) => new Int32Array(n), -1);
    this.#next = grow(this.#next, cap, (n) => new Int32Array(n), -1);
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

  #close(slot: number): void {
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
    this.stats.open--;
    const s = this.#record(slot);
    if (this.#hooks !== null) {
      const attrs = this.#hooks.close(this.#hookState[slot]);
      this.#hookState[slot] = undefined;
      if (attrs) s.attributes = attrs;
    }
    this.#free.push(slot);
    this.#onClose(s);
  }

  #record(slot: number): Session {
    const s = new Session();
    const f = this.#f, fo = slot * FW, b = this.#b, bo = slot * BW;
    const k = this.#keys, ko = slot * KEY_WORDS;
    s.family = k[ko] >>> 8;
    s.proto = k[ko] & 0xff;
    const origIsA = b[bo + B_ORIG_IS_A] === 1;
    const portA = k[ko + 1] >>> 16, portB = k[ko + 1] & 0xffff;
    const a = ko + 2, bb = ko + 6;
    for (let i = 0; i < 4; i++) {
      s.origAddr[i] = k[(origIsA ? a : bb) + i];
      s.respAddr[i] = k[(origIsA ? bb : a) + i];
    }
    s.origPort = origIsA ? portA : portB;
    s.respPort = origIsA ? portB : portA;
    s.firstSec = f[fo + F_FIRST_SEC];
    s.firstNsec = f[fo + F_FIRST_NSEC];
    s.lastSec = f[fo + F_LAST_SEC];
    s.lastNsec = f[fo + F_LAST_NSEC];
    s.firstNs = f[fo + F_FIRST];
    s.lastNs = f[fo + F_LAST];
    s.origPkts = f[fo + F_OPKTS];
    s.respPkts = f[fo + F_RPKTS];
    s.origBytes = f[fo + F_OBYTES];
    s.respBytes = f[fo + F_RBYTES];
    s.origIpBytes = f[fo + F_OIP];
    s.respIpBytes = f[fo + F_RIP];
    s.firstFrame = f[fo + F_FRAME];
    s.synNs = f[fo + F_SYN];
    s.rttNs = f[fo + F_RTT];
    s.seq = f[fo + F_SEQ];
    s.keyHash = this.#hash[slot];
    s.origFlags = b[bo + B_OFLAGS];
    s.respFlags = b[bo + B_RFLAGS];
    s.origSyn = (b[bo + B_SYNSEEN] & 1) !== 0;
    s.respSynAck = (b[bo + B_SYNSEEN] & 2) !== 0;
    s.state = STATES[b[bo + B_STATE]];
    s.service = this.#services[this.#svc[slot]];
    s.path = this.#paths[this.#pathId[slot]];
    let h = "";
    for (let w = 0; w < 2; w++) {
      let word = this.#hist[slot * 2 + w];
      while (word !== 0) {
        h += LETTERS[(word & 15) - 1];
        word >>>= 4;
      }
    }
    s.history = h;
    return s;
  }

  /**
   * Closes every session idle for longer than the timeout at capture time `nowNs` (relative to
   * the first packet). `push` calls it; call it yourself to expire without a packet.
   *
   * @param nowNs Current capture time in ns since the first packet.
   * @returns How many sessions were closed.
   */
  expire(nowNs: number): number {
    const limit = nowNs - this.#idle;
    let n = 0;
    while (this.#head >= 0 && this.#f[this.#head * FW + F_LAST] < limit) {
      this.#close(this.#head);
      n++;
    }
    this.stats.expired += n;
    return n;
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
    if (this.#baseSec !== this.#baseSec) this.#baseSec = p.sec;
    const t = (p.sec - this.#baseSec) * 1e9 + p.nsec;
    if (this.#head >= 0) this.expire(t);
    const ck = canonicalize(p, this.#ck);
    let slot = this.#find(ck.hash, ck.words);
    const flags = p.tcpFlags;
    const isTcp = p.proto === 6;
    const b = this.#b;
    if (slot >= 0 && isTcp && (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
      // A new SYN on a conversation that ended: the port pair was reused.
      const st = b[slot * BW + B_STATE];
      if (st === ST_FIN || st === ST_RST) {
        this.#close(slot);
        slot = -1;
      }
    }
    let fromOrig: boolean;
    if (slot < 0) {
      slot = this.#create(p, ck.hash, ck.words, ck.forward, t);
      fromOrig = true;
      if (isTcp && (flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) {
        // The first packet is a SYN/ACK: its sender is the responder.
        b[slot * BW + B_ORIG_IS_A] ^= 1;
        fromOrig = false;
      }
    } else {
      fromOrig = (b[slot * BW + B_ORIG_IS_A] === 1) === ck.forward;
      this.#touch(slot);
    }
    const f = this.#f, fo = slot * FW;
    f[fo + F_LAST_SEC] = p.sec;
    f[fo + F_LAST_NSEC] = p.nsec;
    f[fo + F_LAST] = t;
    if (fromOrig) {
      f[fo + F_OPKTS]++;
      f[fo + F_OBYTES] += p.payLen;
      f[fo + F_OIP] += p.ipLen;
    } else {
      f[fo + F_RPKTS]++;
      f[fo + F_RBYTES] += p.payLen;
      f[fo + F_RIP] += p.ipLen;
    }
    if (this.#svc[slot] === 0 && (p.payLen > 0 || f[fo + F_OPKTS] + f[fo + F_RPKTS] === 1)) {
      const svc = this.#classify(p);
      if (svc !== "") {
        let id = this.#serviceIds.get(svc);
        if (id === undefined) {
          id = this.#services.length;
          this.#services.push(svc);
          this.#serviceIds.set(svc, id);
        }
        this.#svc[slot] = id;
        p.service = svc;
        this.#pathId[slot] = this.#path(p, id);
      }
    }
    if (isTcp) this.#tcp(slot, p, flags, fromOrig, t);
    else if (p.payLen > 0) this.#letter(slot, L_D, fromOrig);
    if (this.#hooks !== null) this.#hooks.packet(this.#hookState[slot], p, fromOrig);
    return slot;
  }

  #letter(slot: number, code: number, fromOrig: boolean): void {
    if (!fromOrig) code += 6;
    const bit = 1 << code;
    const bits = this.#histBits[slot];
    if ((bits & bit) !== 0) return;
    this.#histBits[slot] = bits | bit;
    // Append the 4-bit code after the codes already there.
    for (let w = slot * 2; w < slot * 2 + 2; w++) {
      const word = this.#hist[w];
      if (word >>> 28 !== 0) continue;
      let shift = 0;
      while (shift < 32 && (word >>> shift) !== 0) shift += 4;
      this.#hist[w] = (word | (code << shift)) >>> 0;
      return;
    }
  }

  #path(p: FlowPacket, serviceId: number): number {
    const key = p.linktype * 0x1000000 + p.layers * 256 + serviceId;
    if (key === this.#lastPathKey) return this.#lastPathId;
    let id = this.#pathCache.get(key);
    if (id === undefined) {
      const path = protocolPath(p);
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

  #tcp(slot: number, p: FlowPacket, fl: number, fromOrig: boolean, t: number): void {
    const b = this.#b, bo = slot * BW, f = this.#f, fo = slot * FW;
    if (fromOrig) b[bo + B_OFLAGS] |= fl;
    else b[bo + B_RFLAGS] |= fl;
    const syn = (fl & TCP_SYN) !== 0, ack = (fl & TCP_ACK) !== 0;
    let st = b[bo + B_STATE];
    if (syn && !ack) {
      if (fromOrig) {
        if ((b[bo + B_SYNSEEN] & 1) === 0) f[fo + F_SYN] = t;
        b[bo + B_SYNSEEN] |= 1;
      }
      this.#letter(slot, L_S, fromOrig);
      if (st === ST_NONE) st = ST_SYN;
    } else if (syn && ack) {
      if (!fromOrig) b[bo + B_SYNSEEN] |= 2;
      this.#letter(slot, L_H, fromOrig);
      if (st === ST_NONE) st = ST_SYN;
    } else if (
      ack && fromOrig && f[fo + F_RTT] < 0 && b[bo + B_SYNSEEN] === 3 && f[fo + F_SYN] >= 0
    ) {
      f[fo + F_RTT] = t - f[fo + F_SYN];
      if (st === ST_SYN) st = ST_EST;
    }
    if (ack && !syn && (fl & (TCP_FIN | TCP_RST)) === 0 && p.payLen === 0) {
      this.#letter(slot, L_A, fromOrig);
    }
    if (p.payLen > 0) this.#letter(slot, L_D, fromOrig);
    if (st === ST_NONE && !syn) st = ST_EST;
    if (fl & TCP_FIN) {
      this.#letter(slot, L_F, fromOrig);
      if (st !== ST_RST) st = ST_FIN;
    }
    if (fl & TCP_RST) {
      this.#letter(slot, L_R, fromOrig);
      st = ST_RST;
    }
    b[bo + B_STATE] = st;
  }

  #create(p: FlowPacket, hash: number, w: Uint32Array, forward: boolean, t: number): number {
    if (this.stats.open >= this.#max && this.#head >= 0) {
      this.#close(this.#head);
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
    const b = this.#b, bo = slot * BW;
    b[bo + B_ORIG_IS_A] = forward ? 1 : 0;
    b[bo + B_OFLAGS] =
      b[bo + B_RFLAGS] =
      b[bo + B_STATE] =
      b[bo + B_SYNSEEN] =
        0;
    const f = this.#f, fo = slot * FW;
    for (let i = 0; i < FW; i++) f[fo + i] = 0;
    f[fo + F_FIRST] = t;
    f[fo + F_FIRST_SEC] = p.sec;
    f[fo + F_FIRST_NSEC] = p.nsec;
    f[fo + F_FRAME] = p.frame;
    f[fo + F_SYN] = -1;
    f[fo + F_RTT] = -1;
    f[fo + F_SEQ] = this.#uidSeq++;
    this.#hist[slot * 2] = this.#hist[slot * 2 + 1] = 0;
    this.#histBits[slot] = 0;
    this.#svc[slot] = 0;
    p.service = "";
    this.#pathId[slot] = this.#path(p, 0);
    const bk = hash & this.#mask;
    this.#chain[slot] = this.#buckets[bk];
    this.#buckets[bk] = slot;
    this.#prev[slot] = this.#next[slot] = -1;
    if (this.#hooks !== null) this.#hookState[slot] = this.#hooks.open(p);
    this.stats.sessions++;
    this.stats.open++;
    this.#touch(slot);
    return slot;
  }

  /**
   * Closes every open session, oldest first, handing each to `onClose`.
   *
   * @returns The final counters.
   */
  finish(): SessionStats {
    const open: number[] = [];
    for (let s = 0; s < this.#used; s++) if (this.#live[s] === 1) open.push(s);
    const f = this.#f;
    open.sort((a, b) =>
      f[a * FW + F_FIRST] - f[b * FW + F_FIRST] || f[a * FW + F_FRAME] - f[b * FW + F_FRAME]
    );
    for (const s of open) this.#close(s);
    return this.stats;
  }
}
