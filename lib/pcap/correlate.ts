/**
 * The packet-matching engine: pairs a request packet with its response and reports the latency
 * in integer nanoseconds of capture time.
 *
 * Modes:
 * - `payload`: the same transport payload (hash and length) seen twice within the window, on
 *   any flow and either protocol — e.g. UDP in and TCP out through a relay. The first sighting
 *   is the request, or, when `internal` blocks are given, the inbound one (source outside,
 *   destination inside). A second copy on the same flow in the same direction (a
 *   retransmission) is not a match.
 * - `seed`: the response is the packet with source and destination (addresses and ports)
 *   swapped and the same payload hash; TCP and UDP may be exchanged between the two.
 * - `dns`: a DNS query and the response with the same transaction id on the same flow.
 * - `tcp-handshake`: a SYN and the SYN/ACK that answers it.
 * - `http`: an HTTP/1.x request and the next response on the same connection (pipelined
 *   requests are answered in order).
 *
 * Unmatched packets wait in a {@linkcode PendingStore} that expires them by capture time and
 * holds at most `maxPending`.
 *
 * @module
 */
import { PendingStore } from "./correlate_pending.ts";
import { hash53 } from "./correlate_hash.ts";
import {
  type AddressBlock,
  blockContains,
  canonicalize,
  type FlowPacket,
  KEY_WORDS,
  newCanonicalKey,
  parseAddressBlock,
  TCP_ACK,
  TCP_RST,
  TCP_SYN,
} from "./session_key.ts";

/** The correlation modes. */
export type CorrelateMode = "payload" | "seed" | "dns" | "tcp-handshake" | "http";

/** Every mode's name, for command lines. */
export const CORRELATE_MODES: readonly CorrelateMode[] = [
  "payload",
  "seed",
  "dns",
  "tcp-handshake",
  "http",
];

/**
 * One side (request or response) of a match; reused, valid only inside the `onMatch` call.
 *
 * @example
 * ```ts
 * import { MatchSide } from "./correlate.ts";
 * import assert from "node:assert/strict";
 * const side = new MatchSide();
 * assert.equal(side.src.length, 4);
 * ```
 */
export class MatchSide {
  /** 1-based packet number within its capture. */
  frame = 0;
  /** Capture time: whole seconds. */
  sec = 0;
  /** Capture time: nanoseconds within the second. */
  nsec = 0;
  /** 4 or 6. */
  family = 0;
  /** IP protocol number. */
  proto = 0;
  /** Source address words. */
  readonly src: Uint32Array = new Uint32Array(4);
  /** Destination address words. */
  readonly dst: Uint32Array = new Uint32Array(4);
  /** Source port. */
  sport = 0;
  /** Destination port. */
  dport = 0;
  /** Transport payload length. */
  payLen = 0;
  /** Length on the wire. */
  wireLen = 0;
}

/**
 * A request/response pair; one instance is reused for every match, so copy what you keep.
 *
 * @example
 * ```ts
 * import { Match } from "./correlate.ts";
 * import assert from "node:assert/strict";
 * const m = new Match();
 * assert.equal(m.latencyNs, 0);
 * assert.notEqual(m.request, m.response);
 * ```
 */
export class Match {
  /** The mode that made the match. */
  mode: CorrelateMode = "payload";
  /** The request. */
  readonly request: MatchSide = new MatchSide();
  /** The response. */
  readonly response: MatchSide = new MatchSide();
  /** Response time minus request time, in nanoseconds (negative when the inbound came last). */
  latencyNs = 0;
  /** DNS transaction id in `dns` mode, the payload hash in `payload`/`seed`, otherwise 0. */
  tag = 0;
}

/** Counters of a correlation run. */
export interface CorrelateStats {
  /** Packets read from the capture. */
  packets: number;
  /** Packets decoded down to IP and transport. */
  decoded: number;
  /** Request/response pairs found. */
  matched: number;
  /** Packets that waited and never found a partner (expired, evicted or left at the end). */
  unmatched: number;
  /** Of those, dropped because they waited longer than the window. */
  expired: number;
  /** Of those, dropped because the store held `maxPending` entries. */
  evicted: number;
  /** Packets that could not be decoded or read. */
  errors: number;
  /** Repeats ignored while the first copy waited: retransmitted SYNs, queries or payloads. */
  duplicates: number;
  /** Entries waiting right now. */
  pending: number;
}

/** Options for {@linkcode Correlator}. */
export interface CorrelatorOptions {
  /** The matching rule (default `payload`). */
  mode?: CorrelateMode;
  /** How long a request waits for its response, in nanoseconds of capture time (default 5 s). */
  windowNs?: number;
  /** Most packets waiting at once (default 262,144); the oldest is dropped beyond it. */
  maxPending?: number;
  /** Address blocks that are "inside" (`10.0.0.0/8`, `fd00::/8`): `payload` mode requests. */
  internal?: readonly string[];
  /** Called for each match, with a reused {@linkcode Match}. */
  onMatch?: (m: Match) => void;
  /**
   * Called for each waiting packet that never found its partner — when it expires, is evicted
   * or is still waiting at `finish()` — with a reused {@linkcode MatchSide}.
   */
  onUnmatched?: (side: MatchSide, reason: UnmatchedReason) => void;
}

/** Why a waiting packet was given up: window passed, store full, or input ended. */
export type UnmatchedReason = "expired" | "evicted" | "end";

const R_FRAME = 0,
  R_SEC = 1,
  R_NSEC = 2,
  R_TIME = 3,
  R_FAM = 4,
  R_PROTO = 5,
  R_SRC = 6,
  R_DST = 10,
  R_SPORT = 14,
  R_DPORT = 15,
  R_PAYLEN = 16,
  R_WIRE = 17,
  R_TAG = 18,
  R_INBOUND = 19,
  REC = 20;

const HTTP_METHODS = [
  "GET ",
  "POST ",
  "HEAD ",
  "PUT ",
  "DELETE ",
  "OPTIONS ",
  "PATCH ",
  "CONNECT ",
  "TRACE ",
].map((m) => Array.from(m, (c) => c.charCodeAt(0)));

function startsWith(b: Uint8Array, off: number, len: number, pat: number[]): boolean {
  if (len < pat.length) return false;
  for (let i = 0; i < pat.length; i++) if (b[off + i] !== pat[i]) return false;
  return true;
}

/**
 * Tells whether a payload starts like an HTTP/1.x request (`1`), response (`2`) or neither (`0`).
 *
 * @param b The buffer.
 * @param off Payload offset.
 * @param len Payload length.
 * @returns 1, 2 or 0.
 * @example
 * ```ts
 * import { httpKind } from "./correlate.ts";
 * import assert from "node:assert/strict";
 * const t = new TextEncoder();
 * assert.equal(httpKind(t.encode("GET / HTTP/1.1\r\n"), 0, 16), 1);
 * assert.equal(httpKind(t.encode("HTTP/1.0 200 OK\r\n"), 0, 17), 2);
 * assert.equal(httpKind(t.encode("hello"), 0, 5), 0);
 * ```
 */
export function httpKind(b: Uint8Array, off: number, len: number): 0 | 1 | 2 {
  if (len < 5) return 0;
  // "HTTP/"
  if (
    b[off] === 72 && b[off + 1] === 84 && b[off + 2] === 84 && b[off + 3] === 80 &&
    b[off + 4] === 47
  ) return 2;
  for (const m of HTTP_METHODS) if (startsWith(b, off, len, m)) return 1;
  return 0;
}

/**
 * The correlation engine. Feed it every packet with {@linkcode Correlator.push}; it calls
 * `onMatch` for each pair and keeps the counters in {@linkcode Correlator.stats}.
 *
 * @example
 * ```ts
 * import { Correlator } from "./correlate.ts";
 * import { FlowPacket } from "./session_key.ts";
 * import assert from "node:assert/strict";
 * const latencies: number[] = [];
 * const c = new Correlator({ mode: "tcp-handshake", onMatch: (m) => latencies.push(m.latencyNs) });
 * const p = new FlowPacket();
 * p.setIPv4(0x0a000001, 0x0a000002, 6, 40000, 80);
 * p.tcpFlags = 0x02; p.sec = 100; p.nsec = 5;
 * c.push(p);
 * p.setIPv4(0x0a000002, 0x0a000001, 6, 80, 40000);
 * p.tcpFlags = 0x12; p.sec = 100; p.nsec = 1005;
 * c.push(p);
 * assert.deepEqual(latencies, [1000]);
 * assert.equal(c.finish().matched, 1);
 * ```
 */
export class Correlator {
  /** The mode in use. */
  readonly mode: CorrelateMode;
  /** Counters (`packets`, `decoded` and `errors` may also be raised by the packet source). */
  readonly stats: CorrelateStats = {
    packets: 0,
    decoded: 0,
    matched: 0,
    unmatched: 0,
    expired: 0,
    evicted: 0,
    errors: 0,
    duplicates: 0,
    pending: 0,
  };
  #store: PendingStore;
  #onMatch: (m: Match) => void;
  #match = new Match();
  #lost = new MatchSide();
  #onUnmatched: ((side: MatchSide, reason: UnmatchedReason) => void) | null;
  #ck = newCanonicalKey();
  #internal: AddressBlock[];
  #baseSec = NaN;
  #kind: number;

  /** @param options {@linkcode CorrelatorOptions}. */
  constructor(options: CorrelatorOptions = {}) {
    this.mode = options.mode ?? "payload";
    this.#kind = CORRELATE_MODES.indexOf(this.mode);
    if (this.#kind < 0) throw new TypeError(`Unknown correlation mode "${this.mode}"`);
    this.#internal = [];
    for (const text of options.internal ?? []) {
      const c = parseAddressBlock(text);
      if (!c) throw new TypeError(`Cannot parse internal block "${text}": expected ADDR/BITS`);
      this.#internal.push(c);
    }
    const keyWords = this.mode === "payload" ? 3 : this.mode === "seed" ? 14 : KEY_WORDS + 2;
    const onUnmatched = options.onUnmatched;
    this.#onUnmatched = onUnmatched ?? null;
    this.#store = new PendingStore(keyWords, {
      maxPending: options.maxPending,
      windowNs: options.windowNs,
      recWords: REC,
      onDrop: onUnmatched
        ? (slot, reason) => {
          this.#fromSlot(this.#lost, slot);
          onUnmatched(this.#lost, reason);
        }
        : undefined,
    });
    this.#onMatch = options.onMatch ?? (() => {});
    this.#match.mode = this.mode;
  }

  /**
   * Takes one packet (its flow facts); finds its partner or leaves it waiting.
   *
   * @param p The packet, already decoded.
   * @returns Nothing.
   */
  push(p: FlowPacket): void {
    this.stats.packets++;
    if (p.family === 0) return;
    this.stats.decoded++;
    if (this.#baseSec !== this.#baseSec) this.#baseSec = p.sec;
    const t = (p.sec - this.#baseSec) * 1e9 + p.nsec;
    const store = this.#store;
    if (store.size > 0) store.expire(t);
    switch (this.#kind) {
      case 0:
        this.#payload(p, t);
        break;
      case 1:
        this.#seed(p, t);
        break;
      case 2:
        this.#dns(p, t);
        break;
      case 3:
        this.#handshake(p, t);
        break;
      default:
        this.#http(p, t);
    }
  }

  /**
   * Ends the run: everything still waiting counts as unmatched.
   *
   * @returns The final counters.
   */
  finish(): CorrelateStats {
    const lost = this.#onUnmatched;
    this.#store.drain(
      lost
        ? (slot) => {
          this.#fromSlot(this.#lost, slot);
          lost(this.#lost, "end");
        }
        : undefined,
    );
    return this.#sync();
  }

  /**
   * The counters so far.
   *
   * @returns The current counters.
   */
  snapshot(): CorrelateStats {
    return { ...this.#sync() };
  }

  #sync(): CorrelateStats {
    const s = this.stats, st = this.#store;
    s.expired = st.expired;
    s.evicted = st.evicted;
    s.pending = st.size;
    s.unmatched = this.#added - s.matched - st.size;
    s.duplicates = this.#dupes;
    return s;
  }

  #added = 0;
  #dupes = 0;

  #add(p: FlowPacket, t: number, hash: number, tag: number, inbound: number): void {
    const slot = this.#store.add(hash, t);
    this.#added++;
    const r = this.#store.rec, o = slot * REC;
    r[o + R_FRAME] = p.frame;
    r[o + R_SEC] = p.sec;
    r[o + R_NSEC] = p.nsec;
    r[o + R_TIME] = t;
    r[o + R_FAM] = p.family;
    r[o + R_PROTO] = p.proto;
    for (let i = 0; i < 4; i++) {
      r[o + R_SRC + i] = p.src[i];
      r[o + R_DST + i] = p.dst[i];
    }
    r[o + R_SPORT] = p.sport;
    r[o + R_DPORT] = p.dport;
    r[o + R_PAYLEN] = p.payLen;
    r[o + R_WIRE] = p.wireLen;
    r[o + R_TAG] = tag;
    r[o + R_INBOUND] = inbound;
  }

  #fromSlot(side: MatchSide, slot: number): void {
    const r = this.#store.rec, o = slot * REC;
    side.frame = r[o + R_FRAME];
    side.sec = r[o + R_SEC];
    side.nsec = r[o + R_NSEC];
    side.family = r[o + R_FAM];
    side.proto = r[o + R_PROTO];
    for (let i = 0; i < 4; i++) {
      side.src[i] = r[o + R_SRC + i];
      side.dst[i] = r[o + R_DST + i];
    }
    side.sport = r[o + R_SPORT];
    side.dport = r[o + R_DPORT];
    side.payLen = r[o + R_PAYLEN];
    side.wireLen = r[o + R_WIRE];
  }

  #fromPacket(side: MatchSide, p: FlowPacket): void {
    side.frame = p.frame;
    side.sec = p.sec;
    side.nsec = p.nsec;
    side.family = p.family;
    side.proto = p.proto;
    side.src.set(p.src);
    side.dst.set(p.dst);
    side.sport = p.sport;
    side.dport = p.dport;
    side.payLen = p.payLen;
    side.wireLen = p.wireLen;
  }

  /** Reports a match between the stored entry (first seen) and packet `p`. */
  #emit(slot: number, p: FlowPacket, t: number, tag: number, packetIsRequest: boolean): void {
    const m = this.#match;
    const st = this.#store.timeOf(slot);
    if (packetIsRequest) {
      this.#fromPacket(m.request, p);
      this.#fromSlot(m.response, slot);
      m.latencyNs = st - t;
    } else {
      this.#fromSlot(m.request, slot);
      this.#fromPacket(m.response, p);
      m.latencyNs = t - st;
    }
    m.tag = tag;
    this.#store.remove(slot);
    this.stats.matched++;
    this.#onMatch(m);
  }

  #inbound(p: FlowPacket): number {
    const nets = this.#internal;
    if (nets.length === 0) return 0;
    let srcIn = false, dstIn = false;
    for (let i = 0; i < nets.length; i++) {
      if (!srcIn && blockContains(p.src, p.family, nets[i])) srcIn = true;
      if (!dstIn && blockContains(p.dst, p.family, nets[i])) dstIn = true;
    }
    return !srcIn && dstIn ? 1 : 0;
  }

  #payload(p: FlowPacket, t: number): void {
    if (p.payLen === 0 || (p.proto !== 6 && p.proto !== 17)) return;
    const h = hash53(p.buf, p.payOff, p.payLen);
    const key = this.#store.key;
    const hi = Math.floor(h / 0x200000), lo = h % 0x200000;
    key[0] = hi;
    key[1] = lo;
    key[2] = p.payLen;
    const hash = (hi ^ Math.imul(lo, 0x9e3779b1)) >>> 0;
    const slot = this.#store.find(hash);
    const inbound = this.#inbound(p);
    if (slot >= 0) {
      const r = this.#store.rec, o = slot * REC;
      if (this.#sameDirectedFlow(r, o, p)) {
        this.#dupes++;
        return;
      }
      const storedInbound = r[o + R_INBOUND];
      this.#emit(slot, p, t, h, inbound === 1 && storedInbound === 0);
      return;
    }
    this.#add(p, t, hash, h, inbound);
  }

  #sameDirectedFlow(r: Float64Array, o: number, p: FlowPacket): boolean {
    if (r[o + R_PROTO] !== p.proto || r[o + R_SPORT] !== p.sport || r[o + R_DPORT] !== p.dport) {
      return false;
    }
    for (let i = 0; i < 4; i++) {
      if (r[o + R_SRC + i] !== p.src[i] || r[o + R_DST + i] !== p.dst[i]) return false;
    }
    return true;
  }

  #seed(p: FlowPacket, t: number): void {
    if (p.payLen === 0 || (p.proto !== 6 && p.proto !== 17)) return;
    const h = hash53(p.buf, p.payOff, p.payLen);
    const key = this.#store.key;
    const hi = Math.floor(h / 0x200000), lo = h % 0x200000;
    // Look for an earlier packet that went the other way: its source is our destination.
    key[0] = hi;
    key[1] = lo;
    key[2] = p.payLen;
    key[3] = p.family;
    for (let i = 0; i < 4; i++) {
      key[4 + i] = p.dst[i];
      key[8 + i] = p.src[i];
    }
    key[12] = p.dport;
    key[13] = p.sport;
    let hash = seedHash(key);
    const slot = this.#store.find(hash);
    if (slot >= 0) {
      this.#emit(slot, p, t, h, false);
      return;
    }
    for (let i = 0; i < 4; i++) {
      key[4 + i] = p.src[i];
      key[8 + i] = p.dst[i];
    }
    key[12] = p.sport;
    key[13] = p.dport;
    hash = seedHash(key);
    if (this.#store.find(hash) >= 0) {
      this.#dupes++;
      return;
    }
    this.#add(p, t, hash, h, 0);
  }

  #flowKey(p: FlowPacket, dirWord: number, tag: number): number {
    const ck = canonicalize(p, this.#ck);
    const key = this.#store.key;
    key.set(ck.words);
    key[KEY_WORDS] = dirWord;
    key[KEY_WORDS + 1] = tag;
    return (ck.hash ^ Math.imul(tag + 1, 0x9e3779b1) ^ dirWord) >>> 0;
  }

  #dns(p: FlowPacket, t: number): void {
    if (p.proto !== 17 && p.proto !== 6) return;
    const isDns = p.service === "dns" ||
      (p.service === "" && (p.sport === 53 || p.dport === 53 || p.sport === 5353 ||
        p.dport === 5353));
    if (!isDns) return;
    const b = p.buf;
    let off = p.payOff;
    const end = p.payOff + p.payLen;
    // TCP carries each message after a two-byte length; a segment may hold several.
    while (true) {
      let msgLen = end - off;
      if (p.proto === 6) {
        if (end - off < 2) return;
        msgLen = (b[off] << 8) | b[off + 1];
        off += 2;
      }
      if (end - off < 12 || msgLen < 12) return;
      const id = (b[off] << 8) | b[off + 1];
      const qr = b[off + 2] >>> 7;
      this.#dnsMessage(p, t, id, qr);
      if (p.proto !== 6) return;
      off += msgLen;
    }
  }

  #dnsMessage(p: FlowPacket, t: number, id: number, qr: number): void {
    const fwd = canonicalize(p, this.#ck).forward ? 1 : 0;
    if (qr === 0) {
      const hash = this.#flowKey(p, fwd, id);
      if (this.#store.find(hash) >= 0) {
        this.#dupes++; // a retransmitted query: keep the first
        return;
      }
      this.#add(p, t, hash, id, 0);
      return;
    }
    const hash = this.#flowKey(p, fwd ^ 1, id);
    const slot = this.#store.find(hash);
    if (slot >= 0) this.#emit(slot, p, t, id, false);
  }

  #handshake(p: FlowPacket, t: number): void {
    if (p.proto !== 6) return;
    const f = p.tcpFlags;
    if ((f & TCP_SYN) === 0 || (f & TCP_RST) !== 0) return;
    const fwd = canonicalize(p, this.#ck).forward ? 1 : 0;
    if ((f & TCP_ACK) === 0) {
      const hash = this.#flowKey(p, fwd, 0);
      if (this.#store.find(hash) >= 0) {
        this.#dupes++; // a retransmitted SYN: keep the first
        return;
      }
      this.#add(p, t, hash, 0, 0);
      return;
    }
    const hash = this.#flowKey(p, fwd ^ 1, 0);
    const slot = this.#store.find(hash);
    if (slot >= 0) this.#emit(slot, p, t, 0, false);
  }

  #http(p: FlowPacket, t: number): void {
    if (p.proto !== 6 || p.payLen === 0) return;
    const kind = httpKind(p.buf, p.payOff, p.payLen);
    if (kind === 0) return;
    const fwd = canonicalize(p, this.#ck).forward ? 1 : 0;
    if (kind === 1) {
      this.#add(p, t, this.#flowKey(p, fwd, 0), 0, 0);
      return;
    }
    const slot = this.#store.find(this.#flowKey(p, fwd ^ 1, 0));
    if (slot >= 0) this.#emit(slot, p, t, 0, false);
  }
}

function seedHash(key: Uint32Array): number {
  let h = key[0] ^ Math.imul(key[1], 0x9e3779b1);
  for (let i = 3; i < 14; i++) h = Math.imul(h ^ key[i], 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}
