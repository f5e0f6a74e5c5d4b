/**
 * The packet-matching engine: pairs a request packet with its response and reports the latency
 * in integer nanoseconds of capture time, in one of the {@linkcode CORRELATE_MODES}. Unmatched
 * packets wait in a store that expires them by capture time and holds at most `maxPending`.
 *
 * @module
 */
import { type IpNetwork, networkContains, parseCidr } from "../core/ip.ts";
import { PendingStore } from "./_pending_store.ts";
import { hash53 } from "./_payload_hash.ts";
import * as flowKey from "./_flow_key.ts";
import { FlowPacket } from "./flow_packet.ts";
import { TcpFlag } from "./packet_view.ts";
import { HTTP_REQUEST, HttpFramer, mayStartHttpMessage } from "./http_framer.ts";
import { type ReassemblyStats, TcpReassembler } from "./tcp_reassembler.ts";
import type { TcpStream, TcpStreamHandler } from "./tcp_stream.ts";
import {
  CORRELATE_MODES,
  CorrelatedPacket,
  CorrelatedPair,
  type CorrelateMode,
  type CorrelateStats,
  type UnmatchedReason,
} from "./correlated_pair.ts";
import * as numbers from "./_protocol_numbers.ts";
import { elapsedNs } from "./_time.ts";

// Module-level copies: V8 folds these into the hot paths, but not bindings imported from
// another module.
const { IPPROTO_TCP, IPPROTO_UDP } = numbers;
const { KEY_WORDS } = flowKey;
const { canonicalize, newCanonicalKey } = flowKey;
const { ACK, RST, SYN } = TcpFlag;

/** Options for {@linkcode Correlator}. */
export interface CorrelatorOptions {
  /** The matching rule (default `payload`). */
  mode?: CorrelateMode;
  /** How long a request waits for its response, in nanoseconds of capture time (default 5 s). */
  windowNs?: number;
  /** Most packets waiting at once (default 262,144); the oldest is dropped beyond it. */
  maxPending?: number;
  /**
   * `http` mode reassembles TCP streams: most bytes held out of order in all (default 64 MiB;
   * beyond it holes are skipped as gaps).
   */
  maxReassemblyMemory?: number;
  /**
   * Networks that are "inside" (`10.0.0.0/8`, `fd00::/8`), parsed strictly by the one IP
   * module (no leading zeros, no host bits): in `payload` mode the inbound copy is the request.
   */
  internal?: readonly string[];
  /** Called for each pair, with a reused {@linkcode CorrelatedPair}. */
  onMatch?: (pair: CorrelatedPair) => void;
  /**
   * Called for each waiting packet that never found its partner — when it expires, is evicted
   * or is still waiting at `finish()` — with a reused {@linkcode CorrelatedPacket}.
   */
  onUnmatched?: (packet: CorrelatedPacket, reason: UnmatchedReason) => void;
}

// The modes, in CORRELATE_MODES order.
const MODE_PAYLOAD = 0, MODE_SEED = 1, MODE_DNS = 2, MODE_HANDSHAKE = 3, MODE_HTTP = 4;

// A waiting packet's record in the store (Float64Array, slot `s` at `s * R_WORDS`).
const R_FRAME = 0,
  R_SEC = 1,
  R_NSEC = 2,
  R_FAMILY = 3,
  R_PROTO = 4,
  R_SRC = 5, // 4 words
  R_DST = 9, // 4 words
  R_SPORT = 13,
  R_DPORT = 14,
  R_PAYLOAD_LEN = 15,
  R_WIRE_LEN = 16,
  R_TAG = 17,
  R_INBOUND = 18,
  R_WORDS = 19;

// `payload` mode key: the payload hash (high 32 and low 21 bits) and length.
const PK_HASH_HIGH = 0, PK_HASH_LOW = 1, PK_LENGTH = 2, PK_WORDS = 3;
// `seed` mode key: the payload hash and length, then the directed 5-tuple.
const SK_HASH_HIGH = 0,
  SK_HASH_LOW = 1,
  SK_LENGTH = 2,
  SK_FAMILY = 3,
  SK_SRC = 4, // 4 words
  SK_DST = 8, // 4 words
  SK_SPORT = 12,
  SK_DPORT = 13,
  SK_WORDS = 14;
// Flow modes (dns, tcp-handshake, http) key: the canonical 5-tuple, the direction, a tag.
const FK_DIRECTION = KEY_WORDS, FK_TAG = KEY_WORDS + 1, FK_WORDS = KEY_WORDS + 2;

/** The 53-bit payload hash splits into 32 high bits and 21 low bits, one key word each. */
const HASH_LOW_RANGE = 0x200000;
const GOLDEN = 0x9e3779b1;
const FNV_PRIME = 0x01000193;
/** Bytes of a DNS header; a message is at least this long. */
const DNS_HEADER_LEN = 12;
/** DNS over TCP: each message follows a two-byte length. */
const DNS_TCP_LENGTH_PREFIX = 2;
const DNS_PORT = 53;
const MDNS_PORT = 5353;

/**
 * The correlation engine. Feed it every packet with {@linkcode Correlator.push}; it calls
 * `onMatch` for each pair and keeps the counters in {@linkcode Correlator.stats}.
 *
 * @example
 * ```ts
 * import { Correlator, FlowPacket, TcpFlag } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * const latencies: number[] = [];
 * const c = new Correlator({ mode: "tcp-handshake", onMatch: (m) => latencies.push(m.latencyNs) });
 * const p = new FlowPacket();
 * p.setIPv4(0x0a000001, 0x0a000002, 6, 40000, 80);
 * p.tcpFlags = TcpFlag.SYN; p.sec = 100; p.nsec = 5;
 * c.push(p);
 * p.setIPv4(0x0a000002, 0x0a000001, 6, 80, 40000);
 * p.tcpFlags = TcpFlag.SYN | TcpFlag.ACK; p.sec = 100; p.nsec = 1005;
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
  #onMatch: (pair: CorrelatedPair) => void;
  #pair = new CorrelatedPair();
  #lost = new CorrelatedPacket();
  #onUnmatched: ((packet: CorrelatedPacket, reason: UnmatchedReason) => void) | null;
  #key = newCanonicalKey();
  #internal: IpNetwork[];
  #address = new Uint8Array(16);
  #kind: number;
  #added = 0;
  #duplicates = 0;
  /** `http` mode: the reassembly of TCP streams into HTTP messages. */
  #tcp: TcpReassembler | null = null;
  /** `http` mode: a message's facts (addresses from its stream, time of its packet). */
  #message = new FlowPacket();
  /** `http` mode: the wire length of the packet being processed. */
  #wireLen = 0;

  /**
   * Creates a correlator with an empty pending store.
   *
   * @param options {@linkcode CorrelatorOptions}.
   * @throws {TypeError} For an unknown mode.
   * @throws {IpAddressError} For an `internal` network that is not valid CIDR text.
   * @throws {RangeError} When `maxPending` is below 1.
   */
  constructor(options: CorrelatorOptions = {}) {
    this.mode = options.mode ?? "payload";
    this.#kind = CORRELATE_MODES.indexOf(this.mode);
    if (this.#kind < 0) throw new TypeError(`Unknown correlation mode "${this.mode}"`);
    this.#internal = (options.internal ?? []).map((text) => parseCidr(text));
    const keyWords = this.#kind === MODE_PAYLOAD
      ? PK_WORDS
      : this.#kind === MODE_SEED
      ? SK_WORDS
      : FK_WORDS;
    const onUnmatched = options.onUnmatched;
    this.#onUnmatched = onUnmatched ?? null;
    this.#store = new PendingStore(keyWords, {
      maxPending: options.maxPending,
      windowNs: options.windowNs,
      recWords: R_WORDS,
      onDrop: onUnmatched
        ? (slot, reason) => {
          this.#fromSlot(this.#lost, slot);
          onUnmatched(this.#lost, reason);
        }
        : undefined,
    });
    this.#onMatch = options.onMatch ?? (() => {});
    this.#pair.mode = this.mode;
    if (this.#kind === MODE_HTTP) {
      this.#tcp = new TcpReassembler({
        handler: this.#httpStreams(),
        maxMemory: options.maxReassemblyMemory,
        idleTimeoutNs: Math.max(this.#store.windowNs, 300e9),
      });
    }
  }

  /**
   * The counters of the TCP reassembly (`http` mode), or `null` in other modes.
   *
   * @returns The reassembly's counters.
   */
  get reassembly(): ReassemblyStats | null {
    return this.#tcp?.stats ?? null;
  }

  /**
   * Takes one packet (its flow facts); finds its partner or leaves it waiting.
   *
   * @param p The packet, already decoded.
   */
  push(p: FlowPacket): void {
    this.stats.packets++;
    if (p.family === 0) return;
    this.stats.decoded++;
    const store = this.#store;
    if (store.size > 0) store.expire(p.sec, p.nsec);
    switch (this.#kind) {
      case MODE_PAYLOAD:
        this.#payload(p);
        break;
      case MODE_SEED:
        this.#seed(p);
        break;
      case MODE_DNS:
        this.#dns(p);
        break;
      case MODE_HANDSHAKE:
        this.#handshake(p);
        break;
      default:
        this.#http(p);
    }
  }

  /**
   * Moves capture time on to a packet another correlator handles (one shard of a parallel
   * pipeline, where each correlator sees only its own flows): what `push(p)` would expire
   * expires — waiting packets, and in `http` mode idle connections — and nothing is matched or
   * counted.
   *
   * @param p The other packet (its family, protocol, ports, time, frame and wire length are read).
   * @example
   * ```ts
   * import { Correlator, FlowPacket, TcpFlag } from "@mxy/mxy/pcap";
   * import assert from "node:assert/strict";
   * const lost: string[] = [];
   * const c = new Correlator({
   *   mode: "tcp-handshake",
   *   windowNs: 1e9,
   *   onUnmatched: (packet, reason) => void lost.push(`${packet.frame} ${reason}`),
   * });
   * const p = new FlowPacket();
   * p.setIPv4(0x0a000001, 0x0a000002, 6, 40000, 80);
   * p.tcpFlags = TcpFlag.SYN; p.sec = 1; p.frame = 1;
   * c.push(p);
   * p.tcpFlags = TcpFlag.ACK; p.sec = 3; p.frame = 2; // a packet of another shard
   * c.advance(p);
   * assert.deepEqual(lost, ["1 expired"]);
   * ```
   */
  advance(p: FlowPacket): void {
    if (p.family === 0) return;
    if (this.#store.size > 0) this.#store.expire(p.sec, p.nsec);
    if (this.#tcp !== null && p.proto === IPPROTO_TCP) {
      this.#wireLen = p.wireLen;
      this.#tcp.advance(p);
    }
  }

  /**
   * Ends the TCP streams still open (`http` mode; nothing in other modes), completing responses
   * that last until their connection closes, without draining the waiting packets:
   * {@linkcode Correlator.finish} does this first, then drains. A parallel pipeline calls it on
   * every shard before any drains, to keep one thread's order.
   *
   * @example
   * ```ts
   * import { Correlator } from "@mxy/mxy/pcap";
   * import assert from "node:assert/strict";
   * const c = new Correlator({ mode: "http" });
   * c.finishStreams();
   * assert.equal(c.finish().matched, 0);
   * ```
   */
  finishStreams(): void {
    this.#tcp?.finish();
  }

  /**
   * Ends the run: everything still waiting counts as unmatched.
   *
   * @returns The final counters.
   */
  finish(): CorrelateStats {
    // Streams still open end now: a response that lasts until the connection closes is done.
    this.#tcp?.finish();
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
   * @returns A copy of the current counters.
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
    s.duplicates = this.#duplicates;
    return s;
  }

  #add(p: FlowPacket, hash: number, tag: number, inbound: number): void {
    const slot = this.#store.add(hash, p.sec, p.nsec);
    this.#added++;
    const r = this.#store.rec, o = slot * R_WORDS;
    r[o + R_FRAME] = p.frame;
    r[o + R_SEC] = p.sec;
    r[o + R_NSEC] = p.nsec;
    r[o + R_FAMILY] = p.family;
    r[o + R_PROTO] = p.proto;
    for (let i = 0; i < 4; i++) {
      r[o + R_SRC + i] = p.src[i];
      r[o + R_DST + i] = p.dst[i];
    }
    r[o + R_SPORT] = p.sport;
    r[o + R_DPORT] = p.dport;
    r[o + R_PAYLOAD_LEN] = p.payLen;
    r[o + R_WIRE_LEN] = p.wireLen;
    r[o + R_TAG] = tag;
    r[o + R_INBOUND] = inbound;
  }

  #fromSlot(packet: CorrelatedPacket, slot: number): void {
    const r = this.#store.rec, o = slot * R_WORDS;
    packet.frame = r[o + R_FRAME];
    packet.sec = r[o + R_SEC];
    packet.nsec = r[o + R_NSEC];
    packet.family = r[o + R_FAMILY] === 6 ? 6 : 4;
    packet.proto = r[o + R_PROTO];
    for (let i = 0; i < 4; i++) {
      packet.src[i] = r[o + R_SRC + i];
      packet.dst[i] = r[o + R_DST + i];
    }
    packet.sport = r[o + R_SPORT];
    packet.dport = r[o + R_DPORT];
    packet.payLen = r[o + R_PAYLOAD_LEN];
    packet.wireLen = r[o + R_WIRE_LEN];
  }

  #fromPacket(packet: CorrelatedPacket, p: FlowPacket): void {
    packet.frame = p.frame;
    packet.sec = p.sec;
    packet.nsec = p.nsec;
    packet.family = p.family === 6 ? 6 : 4;
    packet.proto = p.proto;
    packet.src.set(p.src);
    packet.dst.set(p.dst);
    packet.sport = p.sport;
    packet.dport = p.dport;
    packet.payLen = p.payLen;
    packet.wireLen = p.wireLen;
  }

  /** Reports a pair of the stored entry (first seen) and packet `p`. */
  #emit(slot: number, p: FlowPacket, tag: number, packetIsRequest: boolean): void {
    const pair = this.#pair;
    // Exact integer nanoseconds from the stored packet's time to this one's.
    const elapsed = this.#store.elapsedSince(slot, p.sec, p.nsec);
    if (packetIsRequest) {
      this.#fromPacket(pair.request, p);
      this.#fromSlot(pair.response, slot);
      pair.latencyNs = -elapsed || 0; // never -0
    } else {
      this.#fromSlot(pair.request, slot);
      this.#fromPacket(pair.response, p);
      pair.latencyNs = elapsed;
    }
    pair.tag = tag;
    this.#store.remove(slot);
    this.stats.matched++;
    this.#onMatch(pair);
  }

  /** Whether an address (as words) lies in one of the inside networks. */
  #inside(words: Uint32Array, family: number): boolean {
    const bytes = this.#address;
    const n = family === 6 ? 4 : 1;
    for (let i = 0; i < n; i++) {
      const w = words[i];
      bytes[4 * i] = w >>> 24;
      bytes[4 * i + 1] = w >>> 16;
      bytes[4 * i + 2] = w >>> 8;
      bytes[4 * i + 3] = w;
    }
    const address = family === 6 ? bytes : bytes.subarray(0, 4);
    const nets = this.#internal;
    for (let i = 0; i < nets.length; i++) if (networkContains(nets[i], address)) return true;
    return false;
  }

  /** 1 when the packet goes from outside to inside, else 0 (always 0 without inside networks). */
  #inbound(p: FlowPacket): number {
    if (this.#internal.length === 0) return 0;
    return !this.#inside(p.src, p.family) && this.#inside(p.dst, p.family) ? 1 : 0;
  }

  #payload(p: FlowPacket): void {
    if (p.payLen === 0 || (p.proto !== IPPROTO_TCP && p.proto !== IPPROTO_UDP)) return;
    const h = hash53(p.buf, p.payOff, p.payLen);
    const key = this.#store.key;
    const hi = Math.floor(h / HASH_LOW_RANGE), lo = h % HASH_LOW_RANGE;
    key[PK_HASH_HIGH] = hi;
    key[PK_HASH_LOW] = lo;
    key[PK_LENGTH] = p.payLen;
    const hash = (hi ^ Math.imul(lo, GOLDEN)) >>> 0;
    const slot = this.#store.find(hash);
    const inbound = this.#inbound(p);
    if (slot >= 0) {
      const r = this.#store.rec, o = slot * R_WORDS;
      if (this.#sameDirectedFlow(r, o, p)) {
        this.#duplicates++;
        return;
      }
      const storedInbound = r[o + R_INBOUND];
      this.#emit(slot, p, h, inbound === 1 && storedInbound === 0);
      return;
    }
    this.#add(p, hash, h, inbound);
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

  #seed(p: FlowPacket): void {
    if (p.payLen === 0 || (p.proto !== IPPROTO_TCP && p.proto !== IPPROTO_UDP)) return;
    const h = hash53(p.buf, p.payOff, p.payLen);
    const key = this.#store.key;
    const hi = Math.floor(h / HASH_LOW_RANGE), lo = h % HASH_LOW_RANGE;
    // Look for an earlier packet that went the other way: its source is our destination.
    key[SK_HASH_HIGH] = hi;
    key[SK_HASH_LOW] = lo;
    key[SK_LENGTH] = p.payLen;
    key[SK_FAMILY] = p.family;
    for (let i = 0; i < 4; i++) {
      key[SK_SRC + i] = p.dst[i];
      key[SK_DST + i] = p.src[i];
    }
    key[SK_SPORT] = p.dport;
    key[SK_DPORT] = p.sport;
    let hash = seedHash(key);
    const slot = this.#store.find(hash);
    if (slot >= 0) {
      this.#emit(slot, p, h, false);
      return;
    }
    for (let i = 0; i < 4; i++) {
      key[SK_SRC + i] = p.src[i];
      key[SK_DST + i] = p.dst[i];
    }
    key[SK_SPORT] = p.sport;
    key[SK_DPORT] = p.dport;
    hash = seedHash(key);
    if (this.#store.find(hash) >= 0) {
      this.#duplicates++;
      return;
    }
    this.#add(p, hash, h, 0);
  }

  /** Fills the store's key with the packet's conversation, a direction and a tag; its hash. */
  #flowKey(p: FlowPacket, direction: number, tag: number): number {
    const ck = canonicalize(p, this.#key);
    const key = this.#store.key;
    key.set(ck.words);
    key[FK_DIRECTION] = direction;
    key[FK_TAG] = tag;
    return (ck.hash ^ Math.imul(tag + 1, GOLDEN) ^ direction) >>> 0;
  }

  #dns(p: FlowPacket): void {
    if (p.proto !== IPPROTO_UDP && p.proto !== IPPROTO_TCP) return;
    const isDns = p.service === "dns" ||
      (p.service === "" && (p.sport === DNS_PORT || p.dport === DNS_PORT ||
        p.sport === MDNS_PORT || p.dport === MDNS_PORT));
    if (!isDns) return;
    const b = p.buf;
    let off = p.payOff;
    const end = p.payOff + p.payLen;
    // TCP carries each message after a two-byte length; a segment may hold several.
    while (true) {
      let messageLength = end - off;
      if (p.proto === IPPROTO_TCP) {
        if (end - off < DNS_TCP_LENGTH_PREFIX) return;
        messageLength = (b[off] << 8) | b[off + 1];
        off += DNS_TCP_LENGTH_PREFIX;
      }
      if (end - off < DNS_HEADER_LEN || messageLength < DNS_HEADER_LEN) return;
      const id = (b[off] << 8) | b[off + 1];
      const isResponse = b[off + 2] >>> 7;
      this.#dnsMessage(p, id, isResponse);
      if (p.proto !== IPPROTO_TCP) return;
      off += messageLength;
    }
  }

  #dnsMessage(p: FlowPacket, id: number, isResponse: number): void {
    const forward = canonicalize(p, this.#key).forward ? 1 : 0;
    if (isResponse === 0) {
      const hash = this.#flowKey(p, forward, id);
      if (this.#store.find(hash) >= 0) {
        this.#duplicates++; // a retransmitted query: keep the first
        return;
      }
      this.#add(p, hash, id, 0);
      return;
    }
    const hash = this.#flowKey(p, forward ^ 1, id);
    const slot = this.#store.find(hash);
    if (slot >= 0) this.#emit(slot, p, id, false);
  }

  #handshake(p: FlowPacket): void {
    if (p.proto !== IPPROTO_TCP) return;
    const flags = p.tcpFlags;
    if ((flags & SYN) === 0 || (flags & RST) !== 0) return;
    const forward = canonicalize(p, this.#key).forward ? 1 : 0;
    if ((flags & ACK) === 0) {
      const hash = this.#flowKey(p, forward, 0);
      if (this.#store.find(hash) >= 0) {
        this.#duplicates++; // a retransmitted SYN: keep the first
        return;
      }
      this.#add(p, hash, 0, 0);
      return;
    }
    const hash = this.#flowKey(p, forward ^ 1, 0);
    const slot = this.#store.find(hash);
    if (slot >= 0) this.#emit(slot, p, 0, false);
  }

  #http(p: FlowPacket): void {
    if (p.proto !== IPPROTO_TCP) return;
    this.#wireLen = p.wireLen;
    this.#tcp!.push(p);
  }

  /** Fills the message facts from a stream and its current packet. */
  #fromStream(s: TcpStream, length: number): FlowPacket {
    const m = this.#message;
    m.family = s.family;
    m.proto = IPPROTO_TCP;
    for (let i = 0; i < 4; i++) {
      m.src[i] = s.src[i];
      m.dst[i] = s.dst[i];
    }
    m.sport = s.srcPort;
    m.dport = s.dstPort;
    m.frame = s.frame;
    m.sec = s.sec;
    m.nsec = s.nsec;
    m.payLen = length;
    m.wireLen = this.#wireLen;
    return m;
  }

  /**
   * The `http` mode's stream consumer: each direction's HTTP/1.x messages are framed; a
   * request waits from its last byte; the first byte of a response claims the oldest waiting
   * request of its connection, and its last byte makes the pair.
   */
  #httpStreams(): TcpStreamHandler {
    const onMessage = (side: HttpSide, length: number, kind: number) => {
      const s = side.stream;
      if (kind === HTTP_REQUEST) {
        const m = this.#fromStream(s, length + side.framer.bodyLength);
        const forward = canonicalize(m, this.#key).forward ? 1 : 0;
        this.#add(m, this.#flowKey(m, forward, 0), 0, 0);
        return;
      }
      const status = side.framer.status;
      if (!side.claimed || (status >= 100 && status < 200 && status !== 101)) return;
      // The final response's last byte: the pair is complete.
      side.claimed = false;
      const pair = this.#pair;
      copyPacket(pair.request, side.request);
      copyPacket(pair.response, side.first);
      pair.response.payLen = length + side.framer.bodyLength;
      pair.latencyNs = elapsedNs(
        side.request.sec,
        side.request.nsec,
        side.first.sec,
        side.first.nsec,
      );
      pair.lastByteLatencyNs = elapsedNs(side.request.sec, side.request.nsec, s.sec, s.nsec);
      pair.lastByteFrame = s.frame;
      pair.tag = 0;
      this.stats.matched++;
      this.#onMatch(pair);
    };
    const onStart = (side: HttpSide, kind: number) => {
      if (kind === HTTP_REQUEST || side.claimed) return;
      const s = side.stream;
      const m = this.#fromStream(s, 0);
      const forward = canonicalize(m, this.#key).forward ? 1 : 0;
      const slot = this.#store.find(this.#flowKey(m, forward ^ 1, 0));
      if (slot < 0) return;
      this.#fromSlot(side.request, slot);
      this.#store.remove(slot);
      this.#fromPacket(side.first, m);
      side.claimed = true;
    };
    const pool: HttpSide[] = [];
    const release = (side: HttpSide) => {
      side.framer.reset();
      side.peer = null;
      side.claimed = side.ended = false;
      if (pool.length < MAX_POOLED_SIDES) pool.push(side);
    };
    return {
      open: (s: TcpStream) => {
        s.state = 0; // bytes seen before a message start
        return true;
      },
      data: (s, bytes, offset, length) => {
        let side = s.state;
        if (!(side instanceof HttpSide)) {
          // HTTP from its first bytes, or the other direction's (picked up mid-stream).
          const peer = s.peerState;
          if (!(peer instanceof HttpSide) && mayStartHttpMessage(bytes, offset, length) === false) {
            const seen = (side as number) + length;
            s.state = seen;
            if (seen > MAX_NOT_HTTP) s.wantsData = false;
            return;
          }
          let fresh = pool.pop();
          if (fresh === undefined) {
            const made = new HttpSide(s);
            made.framer.onStart = (kind) => onStart(made, kind);
            made.framer.onMessage = (_h, _o, length, kind) => onMessage(made, length, kind);
            fresh = made;
          }
          if (peer instanceof HttpSide) {
            fresh.peer = peer;
            peer.peer = fresh;
            fresh.framer.peer = peer.framer;
            peer.framer.peer = fresh.framer;
          }
          s.state = side = fresh;
        }
        (side as HttpSide).framer.data(bytes, offset, length);
      },
      gap: (s, length) => {
        if (s.state instanceof HttpSide) s.state.framer.gap(length);
      },
      end: (s) => {
        const side = s.state;
        if (!(side instanceof HttpSide)) return;
        side.framer.end();
        if (side.claimed) {
          // A response that never ended: its request found no complete answer.
          side.claimed = false;
          if (this.#onUnmatched !== null) this.#onUnmatched(side.request, "end");
        }
        side.ended = true;
        // The later of two HTTP directions to end lets both serve later connections (a side
        // whose other direction never was HTTP is left to the garbage collector: that direction
        // may still refer to it).
        const peer = side.peer;
        if (peer !== null && peer.ended) {
          release(side);
          release(peer);
        }
      },
    };
  }
}

/** Bytes a direction may carry before a message start is found, before it is no longer read. */
const MAX_NOT_HTTP = 64 * 1024;
/** HTTP directions kept for reuse by later connections. */
const MAX_POOLED_SIDES = 1024;

/** One direction of an HTTP connection in `http` mode (reused by later connections). */
class HttpSide {
  /** The reassembler's stream object: valid during its calls. */
  readonly stream: TcpStream;
  readonly framer: HttpFramer = new HttpFramer();
  /** The other direction, once it is HTTP too. */
  peer: HttpSide | null = null;
  /** Whether a response has started for the request in `request`. */
  claimed = false;
  /** Whether the direction ended. */
  ended = false;
  /** The request being answered. */
  readonly request: CorrelatedPacket = new CorrelatedPacket();
  /** Where the response's first byte came. */
  readonly first: CorrelatedPacket = new CorrelatedPacket();

  constructor(stream: TcpStream) {
    this.stream = stream;
  }
}

function copyPacket(to: CorrelatedPacket, from: CorrelatedPacket): void {
  to.frame = from.frame;
  to.sec = from.sec;
  to.nsec = from.nsec;
  to.family = from.family;
  to.proto = from.proto;
  to.src.set(from.src);
  to.dst.set(from.dst);
  to.sport = from.sport;
  to.dport = from.dport;
  to.payLen = from.payLen;
  to.wireLen = from.wireLen;
}

function seedHash(key: Uint32Array): number {
  let h = key[SK_HASH_HIGH] ^ Math.imul(key[SK_HASH_LOW], GOLDEN);
  for (let i = SK_FAMILY; i < SK_WORDS; i++) h = Math.imul(h ^ key[i], FNV_PRIME);
  return (h ^ (h >>> 15)) >>> 0;
}
