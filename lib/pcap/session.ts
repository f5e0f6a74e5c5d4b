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

/** One conversation. Numbers are exact; times are whole seconds plus nanoseconds. */
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
  /** @internal Table slot. */
  slot = -1;
  /** @internal Letters already in `history`. */
  historyBits = 0;
  /** @internal State of the session hooks. */
  hookState: unknown = undefined;
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
export interface SessionHooks {
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
  hooks?: SessionHooks;
}

// Bits for history letters, indexed by char code - 65 ('A'..'z').
const HISTORY_BITS: number[] = (() => {
  const bits = new Array(58).fill(0);
  "SHADFRshadfr".split("").forEach((c, i) => (bits[c.charCodeAt(0) - 65] = 1 << i));
  return bits;
})();

// Services whose protocol paths are cached ("" first: no service).
const SERVICE_IDS = ["", "dns", "http", "tls"];

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
 * handed to `onClose` when they go idle and at {@linkcode SessionTable.finish}.
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
  #hooks: SessionHooks | null;
  #ck = newCanonicalKey();
  #baseSec = NaN;
  // Slot-indexed storage.
  #keys: Uint32Array;
  #hash: Uint32Array;
  #sess: (Session | null)[];
  #fwdIsOrig: Uint8Array;
  #chain: Int32Array;
  #buckets: Int32Array;
  #mask: number;
  #prev: Int32Array;
  #next: Int32Array;
  #head = -1;
  #tail = -1;
  #free: number[] = [];
  #used = 0;
  #cap: number;
  #uidSeq = 0;
  #paths = new Map<number, string>();

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
    this.#cap = 0;
    this.#keys = new Uint32Array(0);
    this.#hash = new Uint32Array(0);
    this.#sess = [];
    this.#fwdIsOrig = new Uint8Array(0);
    this.#chain = new Int32Array(0);
    this.#prev = new Int32Array(0);
    this.#next = new Int32Array(0);
    this.#buckets = new Int32Array(0);
    this.#mask = 0;
    this.#grow(1024);
  }

  /** Number of open sessions. */
  get size(): number {
    return this.stats.open;
  }

  #grow(cap: number): void {
    const keys = new Uint32Array(cap * KEY_WORDS);
    keys.set(this.#keys);
    this.#keys = keys;
    const hash = new Uint32Array(cap);
    hash.set(this.#hash);
    this.#hash = hash;
    const fio = new Uint8Array(cap);
    fio.set(this.#fwdIsOrig);
    this.#fwdIsOrig = fio;
    const prev = new Int32Array(cap).fill(-1);
    prev.set(this.#prev);
    this.#prev = prev;
    const next = new Int32Array(cap).fill(-1);
    next.set(this.#next);
    this.#next = next;
    this.#chain = new Int32Array(cap).fill(-1);
    let nb = 16;
    while (nb < cap * 2) nb *= 2;
    this.#buckets = new Int32Array(nb).fill(-1);
    this.#mask = nb - 1;
    for (let s = 0; s < this.#used; s++) {
      if (this.#sess[s] === null) continue;
      const b = this.#hash[s] & this.#mask;
      this.#chain[s] = this.#buckets[b];
      this.#buckets[b] = s;
    }
    this.#cap = cap;
  }

  #find(hash: number, w: Uint32Array): number {
    const keys = this.#keys;
    for (let s = this.#buckets[hash & this.#mask]; s >= 0; s = this.#chain[s]) {
      if (this.#hash[s] !== hash) continue;
      const base = s * KEY_WORDS;
      let i = 0;
      while (i < KEY_WORDS && keys[base + i] === w[i]) i++;
      if (i === KEY_WORDS) return s;
    }
    return -1;
  }

  #touch(slot: number): void {
    if (this.#tail === slot) return;
    const p = this.#prev[slot], n = this.#next[slot];
    if (p >= 0) this.#next[p] = n;
    else if (this.#head === slot) this.#head = n;
    if (n >= 0) this.#prev[n] = p;
    this.#prev[slot] = this.#tail;
    this.#next[slot] = -1;
    if (this.#tail >= 0) this.#next[this.#tail] = slot;
    else this.#head = slot;
    this.#tail = slot;
  }

  #close(slot: number): void {
    const s = this.#sess[slot]!;
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
    this.#sess[slot] = null;
    this.#free.push(slot);
    this.stats.open--;
    s.slot = -1;
    if (this.#hooks !== null) {
      const attrs = this.#hooks.close(s.hookState);
      s.hookState = undefined;
      if (attrs) s.attributes = attrs;
    }
    this.#onClose(s);
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
    while (this.#head >= 0 && this.#sess[this.#head]!.lastNs < limit) {
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
   * @returns The session, or `null` when the packet has no IP layer.
   */
  push(p: FlowPacket): Session | null {
    this.stats.packets++;
    if (p.family === 0) return null;
    this.stats.tracked++;
    if (this.#baseSec !== this.#baseSec) this.#baseSec = p.sec;
    const t = (p.sec - this.#baseSec) * 1e9 + p.nsec;
    if (this.#head >= 0) this.expire(t);
    const ck = canonicalize(p, this.#ck);
    let slot = this.#find(ck.hash, ck.words);
    const flags = p.tcpFlags;
    const isTcp = p.proto === 6;
    if (slot >= 0 && isTcp && (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
      // A new SYN on a conversation that ended: the port pair was reused.
      const old = this.#sess[slot]!;
      if (old.state === "FIN" || old.state === "RST") {
        this.#close(slot);
        slot = -1;
      }
    }
    let s: Session;
    let fromOrig: boolean;
    if (slot < 0) {
      slot = this.#create(p, ck.hash, ck.words, ck.forward, t);
      s = this.#sess[slot]!;
      fromOrig = true;
      if (isTcp && (flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) {
        // The first packet is a SYN/ACK: its sender is the responder.
        this.#flip(s, slot);
        fromOrig = false;
      }
    } else {
      s = this.#sess[slot]!;
      fromOrig = (this.#fwdIsOrig[slot] === 1) === ck.forward;
      this.#touch(slot);
    }
    s.lastSec = p.sec;
    s.lastNsec = p.nsec;
    s.lastNs = t;
    if (fromOrig) {
      s.origPkts++;
      s.origBytes += p.payLen;
      s.origIpBytes += p.ipLen;
    } else {
      s.respPkts++;
      s.respBytes += p.payLen;
      s.respIpBytes += p.ipLen;
    }
    if (s.service === "" && (p.payLen > 0 || s.origPkts + s.respPkts === 1)) {
      const svc = this.#classify(p);
      if (svc !== "") {
        s.service = svc;
        p.service = svc;
        s.path = this.#path(p);
      }
    }
    if (isTcp) this.#tcp(s, p, flags, fromOrig, t);
    else if (p.payLen > 0) this.#letter(s, fromOrig ? "D" : "d");
    if (this.#hooks !== null) this.#hooks.packet(s.hookState, p, fromOrig);
    return s;
  }

  #letter(s: Session, c: string): void {
    const bit = HISTORY_BITS[c.charCodeAt(0) - 65];
    if ((s.historyBits & bit) !== 0) return;
    s.historyBits |= bit;
    s.history += c;
  }

  #path(p: FlowPacket): string {
    const key = p.linktype * 0x100000 + p.layers * 16 + SERVICE_IDS.indexOf(p.service);
    let path = this.#paths.get(key);
    if (path === undefined) {
      path = protocolPath(p);
      if (SERVICE_IDS.includes(p.service)) this.#paths.set(key, path);
    }
    return path;
  }

  #tcp(s: Session, p: FlowPacket, f: number, fromOrig: boolean, t: number): void {
    if (fromOrig) s.origFlags |= f;
    else s.respFlags |= f;
    const syn = (f & TCP_SYN) !== 0, ack = (f & TCP_ACK) !== 0;
    if (syn && !ack) {
      if (fromOrig) {
        if (!s.origSyn) s.synNs = t;
        s.origSyn = true;
      }
      this.#letter(s, fromOrig ? "S" : "s");
      if (s.state === "") s.state = "SYN";
    } else if (syn && ack) {
      if (!fromOrig) s.respSynAck = true;
      this.#letter(s, fromOrig ? "H" : "h");
      if (s.state === "") s.state = "SYN";
    } else if (ack && fromOrig && s.rttNs < 0 && s.origSyn && s.respSynAck && s.synNs >= 0) {
      s.rttNs = t - s.synNs;
      if (s.state === "SYN") s.state = "established";
    }
    if (ack && !syn && (f & (TCP_FIN | TCP_RST)) === 0 && p.payLen === 0) {
      this.#letter(s, fromOrig ? "A" : "a");
    }
    if (p.payLen > 0) this.#letter(s, fromOrig ? "D" : "d");
    if (s.state === "" && !syn) s.state = "established";
    if (f & TCP_FIN) {
      this.#letter(s, fromOrig ? "F" : "f");
      if (s.state !== "RST") s.state = "FIN";
    }
    if (f & TCP_RST) {
      this.#letter(s, fromOrig ? "R" : "r");
      s.state = "RST";
    }
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
      this.#sess.push(null);
    }
    this.#keys.set(w, slot * KEY_WORDS);
    this.#hash[slot] = hash;
    this.#fwdIsOrig[slot] = forward ? 1 : 0;
    const b = hash & this.#mask;
    this.#chain[slot] = this.#buckets[b];
    this.#buckets[b] = slot;
    this.#prev[slot] = this.#next[slot] = -1;
    const s = new Session();
    s.slot = slot;
    s.family = p.family;
    s.proto = p.proto;
    const src = p.src, dst = p.dst, oa = s.origAddr, ra = s.respAddr;
    oa[0] = src[0];
    oa[1] = src[1];
    oa[2] = src[2];
    oa[3] = src[3];
    ra[0] = dst[0];
    ra[1] = dst[1];
    ra[2] = dst[2];
    ra[3] = dst[3];
    s.origPort = p.sport;
    s.respPort = p.dport;
    s.firstSec = p.sec;
    s.firstNsec = p.nsec;
    s.firstNs = t;
    s.firstFrame = p.frame;
    s.path = this.#path(p);
    s.seq = this.#uidSeq++;
    s.keyHash = hash;
    if (this.#hooks !== null) s.hookState = this.#hooks.open(p);
    this.#sess[slot] = s;
    this.stats.sessions++;
    this.stats.open++;
    this.#touch(slot);
    return slot;
  }

  #flip(s: Session, slot: number): void {
    for (let i = 0; i < 4; i++) {
      const a = s.origAddr[i];
      s.origAddr[i] = s.respAddr[i];
      s.respAddr[i] = a;
    }
    const port = s.origPort;
    s.origPort = s.respPort;
    s.respPort = port;
    this.#fwdIsOrig[slot] ^= 1;
  }

  /**
   * Closes every open session, oldest first, handing each to `onClose`.
   *
   * @returns The final counters.
   */
  finish(): SessionStats {
    const open: Session[] = [];
    for (const s of this.#sess) if (s !== null) open.push(s);
    open.sort((a, b) => a.firstNs - b.firstNs || a.firstFrame - b.firstFrame);
    for (const s of open) this.#close(s.slot);
    return this.stats;
  }
}
