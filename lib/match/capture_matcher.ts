/**
 * The capture matcher: each packet is decoded once and the attributes that carry indicators —
 * its addresses, DNS question and answer names and addresses, the TLS server name, the HTTP
 * Host and URL, and any attribute a protocol plugin provides — are looked up in a database
 * straight from the packet's bytes, allocating nothing unless something matches.
 *
 * @module
 */
import type { Database } from "../db/database.ts";
import { DatabaseError } from "../db/database_error.ts";
import { asciiLower } from "../core/ascii.ts";
import { parseIpBytesInto } from "../core/ip.ts";
import { decodePacket } from "../pcap/decode.ts";
import { DecodeStatus, Layer, type PacketView } from "../pcap/packet_view.ts";
import type { PacketSelector } from "../pcap/packet_selector.ts";
import { FlowPacket } from "../pcap/flow_packet.ts";
import type { FlowSession } from "../pcap/flow_session.ts";
import { SessionTable } from "../pcap/session_table.ts";
import { DpiEngine } from "../dpi/dpi_engine.ts";
import type { AttributeValue } from "../dpi/plugin.ts";
import type { ProtocolRegistry } from "../dpi/protocol_registry.ts";
import { DnsNameReader, skipDnsName } from "./_dns_names.ts";
import * as spanLookup from "./_span_lookup.ts";
import { SpanLookup } from "./_span_lookup.ts";
import {
  ClientHelloReader,
  clientHelloRecordLength,
  HELLO_PARTIAL,
  HELLO_READ,
  MAX_TLS_RECORD,
  mayStartClientHello,
} from "./_tls_hello.ts";
import { HTTP_METHOD_MAX_PREFIX, httpMethodLength } from "../pcap/http_method.ts";
import { mayStartHttpMessage } from "../pcap/http_framer.ts";
import {
  HttpRequestReader,
  MAX_HTTP_HEAD,
  REQUEST_PARTIAL,
  REQUEST_READ,
} from "./_http_request.ts";
import { PENDING_DNS, PENDING_HTTP, PENDING_TLS, TcpMessages } from "./_tcp_messages.ts";
import { URL_MAYBE, URL_NONE, URL_SEED, UrlFilter } from "./_url_filter.ts";
import { LastMiss } from "./_last_miss.ts";
import { CAPTURE_ATTRIBUTES, CaptureHit } from "./capture_hit.ts";
import type { MatchVia } from "./matcher.ts";

// Module-level copies: V8 folds these into the per-packet path, not imported bindings.
const { FNV_BASIS, FNV_PRIME, HASH_MASK } = spanLookup;
const { UDP, TCP } = Layer;
const STATUS_NONE = DecodeStatus.NONE;

/** Attribute numbers: the built-ins in {@linkcode CAPTURE_ATTRIBUTES} order, then plugins'. */
const A_IP_SRC = 0, A_IP_DST = 1, A_DNS_QNAME = 2, A_DNS_ANSWER_NAME = 3, A_DNS_ANSWER_IP = 4;
const A_TLS_SNI = 5, A_HTTP_HOST = 6, A_HTTP_URL = 7;
const BUILT_INS = 8;
/** Hash seeds: names (domains) and other strings are cached apart. */
const SEED_NAME = FNV_BASIS ^ 3, SEED_URL = URL_SEED;

/** Ports that carry DNS: DNS, multicast DNS, LLMNR. */
const DNS_PORT = 53, MDNS_PORT = 5353, LLMNR_PORT = 5355;
const DNS_HEADER_LEN = 12;
const DNS_TCP_PREFIX = 2;
/** The longest DNS message over TCP, with its length. */
const MAX_DNS_TCP = DNS_TCP_PREFIX + 0xffff;
const DNS_QDCOUNT = 4, DNS_ANCOUNT = 6;
const DNS_QUESTION_FIXED = 4, DNS_RR_FIXED = 10;
/** The two top bits of a label length byte that mark a compression pointer. */
const DNS_POINTER = 0xc0;
const DNS_TYPE_A = 1, DNS_TYPE_CNAME = 5, DNS_TYPE_AAAA = 28;
/** Questions and answers read per message at most (more is an attack or a mistake). */
const DNS_MAX_QUESTIONS = 16, DNS_MAX_ANSWERS = 256;
/** Names of one message remembered, so an answer repeating a name is not looked up again. */
const SEEN_NAMES = 16, MAX_NAME = 256;

const CH_0 = 0x30, CH_9 = 0x39, CH_COLON = 0x3a, CH_LBRACKET = 0x5b, CH_RBRACKET = 0x5d;
const CH_SLASH = 0x2f, CH_DOT = 0x2e, CH_STAR = 0x2a;
const HTTP_PREFIX = new TextEncoder().encode("http://");
/** The shortest absolute URL scheme separator we look for, `://`, within this many bytes. */
const SCHEME_MAX = 16;

/** Called with each hit (a reused object: copy what you keep, or `hit.clone()`). */
export type CaptureHitHandler = (hit: CaptureHit) => void;

/** Options of {@linkcode CaptureMatcher}. */
export interface CaptureMatcherOptions {
  /** Called with each hit (per packet; per session with `firstPerFlow`). */
  onHit?: CaptureHitHandler;
  /**
   * The built-in attributes to look at (default: all of {@linkcode CAPTURE_ATTRIBUTES}); an
   * empty list leaves only `pluginAttributes`.
   */
  attributes?: readonly string[];
  /**
   * Attributes of protocol plugins to look up as well (`smtp.helo`, `http.user_agent`, or
   * tshark's field names), read through a `DpiEngine` over `registry`. Each value is looked up
   * as an IP address when it is one, else as a string (a host name in lower case, with parent
   * domains when asked).
   */
  pluginAttributes?: readonly string[];
  /** The plugins for `pluginAttributes` (default: the built-in registry of `@mxy/mxy/dpi`). */
  registry?: ProtocolRegistry;
  /**
   * When a name matches no entry itself, look up its parent domains as literals, down to the
   * registrable domain. Default: what the database asks for, else `false`.
   */
  parentDomains?: boolean;
  /**
   * Runs before a packet is decoded; packets it does not select are not looked at (a
   * `PacketSelector` of `@mxy/mxy/pcap`: an expression, a classic or an eBPF program).
   */
  select?: PacketSelector;
  /**
   * Report each indicator once per session (bidirectional 5-tuple), when the session ends: its
   * first packet, the packets that carried it, and the session's packet and byte counts
   * (default `false`: every hit of every packet, as packets are read).
   */
  firstPerFlow?: boolean;
  /** With `firstPerFlow`: capture time (ns) a session may be idle before it ends (default 300 s). */
  idleTimeoutNs?: number;
  /** With `firstPerFlow`: most sessions open at once (default 1,000,000). */
  maxSessions?: number;
  /**
   * Most bytes held for messages split over TCP segments (ClientHellos, request heads, DNS
   * over TCP), all directions together (default 16 MiB).
   */
  maxHeldBytes?: number;
  /**
   * With `firstPerFlow`: called as each session opens (a parallel run numbers the sessions of
   * all its workers as one thread would).
   */
  onSessionOpen?: () => void;
  /**
   * With `firstPerFlow`: called as a session with hits ends, before its hits are reported (a
   * parallel run may set `session.uid`, which the hits carry).
   */
  onSessionEnd?: (session: FlowSession) => void;
}

/** Counters of a {@linkcode CaptureMatcher}. */
export interface CaptureMatchStats {
  /** Packets given to the matcher. */
  packets: number;
  /** Packets looked at (those the selector selected; all without one). */
  selected: number;
  /** Hits reported (with `firstPerFlow`: one per indicator and session). */
  hits: number;
  /** Lookups made, by attribute (answered from the caches or the database). */
  lookups: Record<string, number>;
  /** Hits by attribute (before `firstPerFlow` folds them). */
  hitsByAttribute: Record<string, number>;
  /** Lookups answered from the caches of recent addresses and strings. */
  cached: number;
  /** Messages of protocols read that were malformed (a DNS name that runs past its message …). */
  malformed: number;
  /** Messages split over TCP segments given up before they were complete. */
  incomplete: number;
  /** Retransmitted messages not read again. */
  retransmitted: number;
  /** eBPF selector runs that faulted (the packet was not selected). */
  selectFaults: number;
}

/** Per session with `firstPerFlow`: the indicators seen so far. */
interface FlowHits {
  hits: CaptureHit[] | null;
}

/**
 * Looks up the indicators of packets in a database: `ip.src`/`ip.dst` in the networks of the
 * search tree (longest prefix), DNS question and answer names and A/AAAA addresses, TLS SNI,
 * HTTP Host and URL (see {@linkcode CAPTURE_ATTRIBUTES}), and plugin attributes. Names and
 * URLs match as in `mxy match`: a literal entry, else the most specific glob, else — with
 * `parentDomains` — the nearest parent domain; names are folded to lower case.
 *
 * A message split over TCP segments (a ClientHello over two, request headers over several,
 * DNS over TCP) is read on the packet that completes it, as tshark reports it, when the
 * segments arrive in order; a retransmitted message is not read twice. Nothing is allocated
 * per packet unless something matches (or plugin attributes are read).
 *
 * @example
 * ```ts
 * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
 * import { CaptureMatcher } from "@mxy/mxy/match";
 * import { decodePacket, PacketView } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 *
 * const b = new DatabaseBuilder({ buildEpoch: 1 });
 * b.add("evil.example", { threat: "c2" });
 * const db = Database.fromBytes(b.build());
 * const hits: string[] = [];
 * const m = new CaptureMatcher(db, {
 *   parentDomains: true,
 *   onHit: (h) => hits.push(`${h.frame} ${h.attribute} ${h.value} ${h.viaName} ${h.entryText}`),
 * });
 * const payload = new TextEncoder().encode("GET /x HTTP/1.1\r\nHost: WWW.Evil.Example:8080\r\n\r\n");
 * const bytes = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", proto: "tcp", dstPort: 8080, payload });
 * const v = new PacketView();
 * v.setRecord(bytes, 0, bytes.length, bytes.length);
 * v.number = 7;
 * m.process(v);
 * assert.deepEqual(hits, ["7 http.host www.evil.example parent-domain evil.example"]);
 * assert.equal(m.finish().lookups["http.url"], 1);
 * ```
 */
export class CaptureMatcher {
  readonly #db: Database;
  readonly #lookup: SpanLookup;
  readonly #urlFilter: UrlFilter;
  readonly #onHit: CaptureHitHandler;
  readonly #select: PacketSelector | null;
  readonly #hit: CaptureHit;
  readonly #attributeNames: string[];
  readonly #lookups: Float64Array;
  readonly #hitCounts: Float64Array;
  // which built-in attributes are wanted
  readonly #wSrc: boolean;
  readonly #wDst: boolean;
  readonly #wQname: boolean;
  readonly #wAnswerName: boolean;
  readonly #wAnswerIp: boolean;
  readonly #wDns: boolean;
  readonly #wSni: boolean;
  readonly #wHost: boolean;
  readonly #wUrl: boolean;
  readonly #wHttp: boolean;
  readonly #wTcp: boolean;
  // readers
  readonly #dnsNames = new DnsNameReader();
  readonly #hello = new ClientHelloReader();
  readonly #request = new HttpRequestReader();
  readonly #tcp: TcpMessages;
  readonly #address = new Uint8Array(16);
  // names of the current DNS message already looked up
  readonly #seen = new Uint8Array(SEEN_NAMES * MAX_NAME);
  readonly #seenLength = new Int32Array(SEEN_NAMES);
  readonly #seenHash = new Int32Array(SEEN_NAMES);
  #seenCount = 0;
  /** The current message's question is the last miss, not yet on the list of its names. */
  #seenPending = false;
  // where the names of the current DNS message that were read start
  readonly #readAt = new Int32Array(SEEN_NAMES);
  #readAtCount = 0;
  // the IPv4 endpoints of the last packet whose addresses were both looked up, when neither
  // matched: a packet between the same two (a flow's packets, either way) is not looked up
  #pairMissed = false;
  #pairA = 0;
  #pairB = 0;
  /** Packets whose two addresses were answered so (each counts two lookups, both cached). */
  #pairPackets = 0;
  // the last DNS question, Host and server name that matched nothing, as their raw bytes
  readonly #qnameMiss = new LastMiss();
  readonly #hostMiss = new LastMiss();
  readonly #sniMiss = new LastMiss();
  #missCached = 0;
  // the packet being processed
  #view: PacketView | null = null;
  #tcpSec = -Infinity;
  // plugin attributes
  #dpi: DpiEngine | null = null;
  #pluginBase = BUILT_INS;
  // first per flow
  readonly #table: SessionTable | null;
  readonly #flowPacket: FlowPacket | null;
  #packetHits: CaptureHit[] = [];
  #packetHitCount = 0;
  #closing: CaptureHit[] | null = null;
  readonly #onSessionEnd: ((session: FlowSession) => void) | null;
  // counters
  #packets = 0;
  #selected = 0;
  #hits = 0;
  #packetTotal = 0;
  #malformed = 0;

  /**
   * Creates a matcher over a database.
   *
   * @param db The database (`.mxy` files also answer names and URLs).
   * @param options {@linkcode CaptureMatcherOptions}.
   * @throws {RangeError} When `attributes` names something that is not a built-in attribute.
   * @throws {DpiError} `unknown-attribute` when a plugin attribute is provided by no plugin (the
   *   message lists those that exist).
   */
  constructor(db: Database, options: CaptureMatcherOptions = {}) {
    this.#db = db;
    this.#lookup = new SpanLookup(db, options.parentDomains ?? db.metadata.mxyParentDomains);
    this.#urlFilter = new UrlFilter(db);
    this.#onHit = options.onHit ?? (() => {});
    this.#select = options.select ?? null;
    this.#hit = new CaptureHit(db);
    const wanted = options.attributes ?? CAPTURE_ATTRIBUTES;
    for (const a of wanted) {
      if (!CAPTURE_ATTRIBUTES.includes(a)) {
        throw new RangeError(
          `Unknown capture attribute "${a}": the built-in ones are ${
            CAPTURE_ATTRIBUTES.join(", ")
          }`,
        );
      }
    }
    const want = (i: number) => wanted.includes(CAPTURE_ATTRIBUTES[i]);
    this.#wSrc = want(A_IP_SRC);
    this.#wDst = want(A_IP_DST);
    this.#wQname = want(A_DNS_QNAME);
    this.#wAnswerName = want(A_DNS_ANSWER_NAME);
    this.#wAnswerIp = want(A_DNS_ANSWER_IP);
    this.#wDns = this.#wQname || this.#wAnswerName || this.#wAnswerIp;
    this.#wSni = want(A_TLS_SNI);
    this.#wHost = want(A_HTTP_HOST);
    this.#wUrl = want(A_HTTP_URL);
    this.#wHttp = this.#wHost || this.#wUrl;
    this.#wTcp = this.#wDns || this.#wSni || this.#wHttp;
    this.#tcp = new TcpMessages({ maxBytes: options.maxHeldBytes });
    this.#attributeNames = [...CAPTURE_ATTRIBUTES];
    const plugins = options.pluginAttributes ?? [];
    if (plugins.length > 0) {
      const dpi = new DpiEngine({ registry: options.registry });
      dpi.subscribe([...plugins], (values) => this.#pluginValues(values), { requireAny: true });
      this.#dpi = dpi;
      this.#attributeNames.push(...plugins);
    }
    this.#lookups = new Float64Array(this.#attributeNames.length);
    this.#hitCounts = new Float64Array(this.#attributeNames.length);
    if (options.firstPerFlow === true) {
      this.#flowPacket = new FlowPacket();
      const onOpen = options.onSessionOpen;
      this.#onSessionEnd = options.onSessionEnd ?? null;
      this.#table = new SessionTable({
        idleTimeoutNs: options.idleTimeoutNs,
        maxSessions: options.maxSessions,
        classify: () => "",
        hooks: {
          open: (): FlowHits => {
            onOpen?.();
            return { hits: null };
          },
          packet: (state) => this.#flowPacketHits(state as FlowHits),
          close: (state) => {
            this.#closing = (state as FlowHits).hits;
          },
        },
        onClose: (s) => this.#flowClosed(s),
      });
    } else {
      this.#flowPacket = null;
      this.#table = null;
      this.#onSessionEnd = null;
    }
  }

  /**
   * Looks at one packet: runs the selector (if any) on its bytes, decodes it unless it is
   * decoded, and looks up its attributes, reporting each hit to `onHit`.
   *
   * @param view The packet (decoded or not).
   * @returns How many hits the packet had.
   * @throws {FormatError} When the database is corrupt along a lookup's path.
   * @throws {DatabaseError} `closed` when the database was closed (the matcher's own memos
   *   never answer for it).
   */
  process(view: PacketView): number {
    if (this.#db.closed) {
      throw new DatabaseError("closed", "Cannot match a packet: the database is closed");
    }
    this.#packets++;
    if (this.#select !== null && !this.#select.select(view)) return 0;
    this.#selected++;
    if (view.status === STATUS_NONE) decodePacket(view);
    this.#view = view;
    this.#packetTotal = 0;
    this.#packetHitCount = 0;
    const version = view.ipVersion;
    if (version === 4) {
      // as signed 32-bit numbers: an unsigned address of 2^31 or more (128.0.0.0 and up) is a
      // heap number, which a call that is not inlined would box, per packet
      const src = view.ip4Src | 0, dst = view.ip4Dst | 0;
      if (
        this.#pairMissed &&
        ((src === this.#pairA && dst === this.#pairB) ||
          (src === this.#pairB && dst === this.#pairA))
      ) {
        // the endpoints of the packet before (either way round), which matched nothing
        this.#pairPackets++;
      } else if (this.#wSrc && this.#wDst) {
        const hit = this.#ipv4(A_IP_SRC, src, view.buf, view.ipSrcOffset) |
          this.#ipv4(A_IP_DST, dst, view.buf, view.ipDstOffset);
        this.#pairMissed = hit === 0;
        this.#pairA = src;
        this.#pairB = dst;
      } else if (this.#wSrc) this.#ipv4(A_IP_SRC, src, view.buf, view.ipSrcOffset);
      else if (this.#wDst) this.#ipv4(A_IP_DST, dst, view.buf, view.ipDstOffset);
    } else if (version === 6) {
      if (this.#wSrc) this.#ipv6(A_IP_SRC, view.buf, view.ipSrcOffset);
      if (this.#wDst) this.#ipv6(A_IP_DST, view.buf, view.ipDstOffset);
    }
    const layers = view.layers;
    if ((layers & (UDP | TCP)) !== 0 && view.payloadLength > 0 && this.#wTcp) {
      if (!view.fragment || view.fragOffset === 0) {
        if ((layers & UDP) !== 0) this.#udp(view);
        else this.#tcpPayload(view);
      }
    }
    if (this.#dpi !== null) this.#dpi.process(view);
    if (this.#table !== null) {
      const fp = this.#flowPacket!;
      fp.readView(view);
      if (this.#table.push(fp) < 0) this.#reportPacketHitsNow();
    }
    this.#view = null;
    return this.#packetTotal;
  }

  /**
   * Lets capture time move on without a packet: with `firstPerFlow`, the sessions idle for
   * longer than the idle time at `sec.nsec` end (and their hits are reported), as a packet of
   * that time would make them end. A parallel run calls it with the time of the packets other
   * workers handle.
   *
   * @param sec Capture time: whole seconds.
   * @param nsec Capture time: nanoseconds within the second.
   */
  advance(sec: number, nsec: number): void {
    this.#table?.expire(sec, nsec);
  }

  /**
   * Ends the input: messages still split over segments are given up, and with `firstPerFlow`
   * every session still open is reported. Returns the counters.
   *
   * @returns The counters.
   */
  finish(): CaptureMatchStats {
    this.#tcp.finish();
    this.#dpi?.finish();
    this.#table?.finish();
    return this.stats;
  }

  /** The counters so far. */
  get stats(): CaptureMatchStats {
    const lookups: Record<string, number> = {};
    const hitsByAttribute: Record<string, number> = {};
    this.#attributeNames.forEach((name, i) => {
      lookups[name] = this.#lookups[i];
      hitsByAttribute[name] = this.#hitCounts[i];
    });
    lookups[CAPTURE_ATTRIBUTES[A_IP_SRC]] += this.#pairPackets;
    lookups[CAPTURE_ATTRIBUTES[A_IP_DST]] += this.#pairPackets;
    return {
      packets: this.#packets,
      selected: this.#selected,
      hits: this.#hits,
      lookups,
      hitsByAttribute,
      cached: this.#lookup.cached + 2 * this.#pairPackets + this.#missCached,
      malformed: this.#malformed,
      incomplete: this.#tcp.incomplete,
      retransmitted: this.#tcp.repeats,
      selectFaults: this.#select?.faults ?? 0,
    };
  }

  // ---- lookups ----

  /** Looks up an IPv4 address; returns 1 when it matched, else 0. */
  #ipv4(a: number, v: number, buf: Uint8Array, offset: number): number {
    this.#lookups[a]++;
    const lookup = this.#lookup;
    if (!lookup.ipv4(v)) return 0;
    const hit = this.#hit;
    hit.setAddress(buf, offset, 4);
    this.#reportNetwork(a);
    return 1;
  }

  #ipv6(a: number, buf: Uint8Array, offset: number): void {
    this.#lookups[a]++;
    const addr = this.#address;
    for (let i = 0; i < 16; i++) addr[i] = buf[offset + i];
    if (!this.#lookup.ipv6(addr)) return;
    this.#hit.setAddress(addr, 0, 6);
    this.#reportNetwork(a);
  }

  /** Looks up the name in the lookup key, `key[0, n)` hashed to `h`. */
  #name(a: number, n: number, h: number): void {
    if (n === 0) return;
    this.#lookups[a]++;
    const lookup = this.#lookup;
    if (!lookup.string(n, h, true)) return;
    this.#hit.setKey(lookup.key, n, lookup.parent);
    this.#report(a);
  }

  /**
   * Looks up a host name as `#host` does, unless the raw bytes are those of the attribute's last
   * miss (then only counted as a lookup answered from a cache).
   */
  #hostOnce(a: number, miss: LastMiss, buf: Uint8Array, start: number, end: number): void {
    if (miss.same(buf, start, end)) {
      this.#lookups[a]++;
      this.#missCached++;
      return;
    }
    const looked = this.#lookups[a], hits = this.#hitCounts[a];
    this.#host(a, buf, start, end);
    if (this.#lookups[a] === looked + 1 && this.#hitCounts[a] === hits) miss.keep(buf, start, end);
    else miss.clear();
  }

  /**
   * Looks up a host name given in `buf[start, end)` (SNI, Host without its port): folded to
   * lower case without a trailing dot, or as an address when it is one.
   */
  #host(a: number, buf: Uint8Array, start: number, end: number): void {
    if (end > start && buf[end - 1] === CH_DOT) end--;
    const n = end - start;
    if (n <= 0) return;
    const c = buf[start];
    if ((c >= CH_0 && c <= CH_9) || c === CH_COLON) {
      const addr = this.#address;
      const family = parseIpBytesInto(buf, addr, start, end);
      if (family === 4) {
        this.#ipv4(a, (addr[0] << 24) | (addr[1] << 16) | (addr[2] << 8) | addr[3], addr, 0);
        return;
      }
      if (family === 6) {
        this.#lookups[a]++;
        if (!this.#lookup.ipv6(addr)) return;
        this.#hit.setAddress(addr, 0, 6);
        this.#reportNetwork(a);
        return;
      }
    }
    const key = this.#lookup.keyFor(n);
    let h = SEED_NAME;
    for (let i = 0; i < n; i++) {
      const b = asciiLower(buf[start + i]);
      key[i] = b;
      h = Math.imul(h ^ b, FNV_PRIME);
    }
    this.#name(a, n, h & HASH_MASK);
  }

  // ---- reporting ----

  #reportNetwork(a: number): void {
    const lookup = this.#lookup;
    const hit = this.#hit;
    hit.via = 1;
    hit.dataOffset = lookup.dataOffset;
    hit.entryKind = hit.entry = -1;
    hit.prefixLength = lookup.prefixLength;
    hit.ipVersion = lookup.ipVersion;
    this.#fill(a);
  }

  #report(a: number): void {
    const lookup = this.#lookup;
    const hit = this.#hit;
    hit.via = lookup.via as MatchVia;
    hit.dataOffset = lookup.dataOffset;
    hit.entryKind = lookup.entryKind;
    hit.entry = lookup.entry;
    hit.prefixLength = 0;
    hit.ipVersion = 0;
    this.#fill(a);
  }

  /** Fills the packet's side of the hit and hands it on. */
  #fill(a: number): void {
    const hit = this.#hit;
    const v = this.#view!;
    hit.attribute = this.#attributeNames[a];
    hit.frame = v.number;
    hit.tsSec = v.tsSec;
    hit.tsNsec = v.tsNsec;
    const version = v.ipVersion;
    hit.family = version === 4 ? 4 : version === 6 ? 6 : 0;
    hit.proto = version === 0 ? -1 : v.proto;
    if (version === 4) {
      hit.src[0] = v.ip4Src | 0;
      hit.dst[0] = v.ip4Dst | 0;
    } else if (version === 6) {
      hit.src.set(v.ip6Src);
      hit.dst.set(v.ip6Dst);
    }
    const ports = (v.layers & (UDP | TCP)) !== 0;
    hit.sport = ports ? v.srcPort : -1;
    hit.dport = ports ? v.dstPort : -1;
    this.#hitCounts[a]++;
    this.#packetTotal++;
    if (this.#table !== null) {
      // kept until the packet is counted into its session
      let kept = this.#packetHits[this.#packetHitCount];
      if (kept === undefined) {
        kept = new CaptureHit(this.#db);
        this.#packetHits.push(kept);
      }
      kept.copyFrom(hit);
      this.#packetHitCount++;
      return;
    }
    this.#hits++;
    this.#onHit(hit);
  }

  // ---- first per flow ----

  /** The session of the packet just matched was found: its hits join the session's. */
  #flowPacketHits(state: FlowHits): void {
    const n = this.#packetHitCount;
    for (let i = 0; i < n; i++) {
      const h = this.#packetHits[i];
      const list = state.hits ??= [];
      let known = false;
      for (let k = 0; k < list.length; k++) {
        if (list[k].sameIndicator(h)) {
          list[k].count++;
          list[k].lastFrame = h.frame;
          known = true;
          break;
        }
      }
      if (!known) {
        const c = h.clone();
        c.count = 1;
        c.lastFrame = h.frame;
        list.push(c);
      }
    }
    this.#packetHitCount = 0;
  }

  /** A packet outside any session (no IP layer): its hits are reported at once. */
  #reportPacketHitsNow(): void {
    for (let i = 0; i < this.#packetHitCount; i++) {
      const h = this.#packetHits[i];
      h.count = 1;
      h.lastFrame = h.frame;
      this.#hits++;
      this.#onHit(h);
    }
    this.#packetHitCount = 0;
  }

  #flowClosed(s: FlowSession): void {
    const list = this.#closing;
    this.#closing = null;
    if (list === null) return;
    this.#onSessionEnd?.(s);
    for (const h of list) {
      h.uid = s.uid;
      h.packets = s.origPkts + s.respPkts;
      h.bytes = s.origIpBytes + s.respIpBytes;
      h.family = s.family;
      h.proto = s.proto;
      for (let i = 0; i < 4; i++) {
        h.src[i] = s.origAddr[i];
        h.dst[i] = s.respAddr[i];
      }
      const ports = h.sport >= 0;
      h.sport = ports ? s.origPort : -1;
      h.dport = ports ? s.respPort : -1;
      this.#hits++;
      this.#onHit(h);
    }
  }

  // ---- payloads ----

  #udp(v: PacketView): void {
    const sp = v.srcPort, dp = v.dstPort;
    if (!this.#wDns || !(isDnsPort(sp) || isDnsPort(dp))) return;
    const p = v.payloadOffset;
    this.#dns(v.buf, p, p + v.payloadLength);
  }

  #tcpPayload(v: PacketView): void {
    const buf = v.buf;
    const p = v.payloadOffset, end = p + v.payloadLength;
    const tcp = this.#tcp;
    if (v.tsSec !== this.#tcpSec) {
      this.#tcpSec = v.tsSec;
      tcp.expire(v.tsSec);
    }
    const n = end - p;
    // What message the payload starts, if any: only those, and payloads that follow a held
    // message, are read.
    let kind = 0;
    if (this.#wDns && (isDnsPort(v.srcPort) || isDnsPort(v.dstPort))) kind = PENDING_DNS;
    else if (
      this.#wSni && (clientHelloRecordLength(buf, p, n) > 0 || mayStartClientHello(buf, p, n))
    ) kind = PENDING_TLS;
    else if (
      this.#wHttp &&
      (httpMethodLength(buf, p, n) > 0 ||
        (n < HTTP_METHOD_MAX_PREFIX && mayStartHttpMessage(buf, p, n) === undefined))
    ) kind = PENDING_HTTP;
    if (kind === 0 && tcp.count === 0) return;
    tcp.key(v);
    const seq = v.tcpSeq | 0;
    if (tcp.count > 0) {
      const slot = tcp.find();
      if (slot >= 0) {
        const held = tcp.kind(slot);
        const max = held === PENDING_HTTP
          ? MAX_HTTP_HEAD
          : held === PENDING_TLS
          ? MAX_TLS_RECORD
          : MAX_DNS_TCP;
        const added = tcp.append(slot, buf, p, end, seq, max, v.tsSec);
        if (added === 0) return; // bytes held already: a retransmission
        if (added > 0) {
          this.#continueHeld(slot, held);
          return;
        }
        // given up (a segment is missing): read this payload on its own
      }
    }
    if (kind === 0 || tcp.repeated(seq, n)) return;
    if (kind === PENDING_DNS) this.#dnsTcp(buf, p, end, seq);
    else if (kind === PENDING_TLS) this.#tls(buf, p, end, seq);
    else this.#http(buf, p, end, seq);
  }

  /**
   * A held message got more bytes: it is read again from its start, as a payload that would
   * have brought them all (held again when still short).
   */
  #continueHeld(slot: number, kind: number): void {
    const tcp = this.#tcp;
    const b = tcp.bytes(slot), n = tcp.have(slot), seq = tcp.startSeq(slot);
    tcp.release(slot);
    if (kind === PENDING_HTTP) this.#http(b, 0, n, seq);
    else if (kind === PENDING_TLS) this.#tls(b, 0, n, seq);
    else this.#dnsTcp(b, 0, n, seq);
  }

  #tls(buf: Uint8Array, p: number, end: number, seq: number): void {
    const hello = this.#hello;
    const r = hello.read(buf, p, end);
    if (r === HELLO_PARTIAL) {
      this.#tcp.hold(PENDING_TLS, buf, p, end, seq, hello.need, MAX_TLS_RECORD, this.#view!.tsSec);
      return;
    }
    if (r !== HELLO_READ) return;
    this.#tcp.read(seq, end - p);
    if (hello.sniStart >= 0) {
      this.#hostOnce(A_TLS_SNI, this.#sniMiss, buf, hello.sniStart, hello.sniEnd);
    }
  }

  #http(buf: Uint8Array, p: number, end: number, seq: number): void {
    const r = this.#request.read(buf, p, end);
    if (r === REQUEST_PARTIAL) {
      this.#tcp.hold(PENDING_HTTP, buf, p, end, seq, 0, MAX_HTTP_HEAD, this.#view!.tsSec);
      return;
    }
    if (r === REQUEST_READ) this.#httpRead(buf, p, end, seq);
  }

  /** A whole request head is at `buf[p …]` (the reader's fields describe it). */
  #httpRead(buf: Uint8Array, p: number, end: number, seq: number): void {
    const rq = this.#request;
    this.#tcp.read(seq, rq.headEnd - p);
    let h0 = rq.hostStart, h1 = rq.hostEnd;
    const t0 = rq.targetStart, t1 = rq.targetEnd;
    if (h0 >= 0 && this.#wHost) {
      // the host without its port ([v6]:port, name:port)
      let s = h0, e = h1;
      if (buf[s] === CH_LBRACKET) {
        let r = s + 1;
        while (r < e && buf[r] !== CH_RBRACKET) r++;
        s++;
        e = r;
      } else {
        let colon = -1;
        for (let i = s; i < e; i++) {
          if (buf[i] === CH_COLON) {
            colon = colon < 0 ? i : -2; // two colons: a bare IPv6 address, no port
          }
        }
        if (colon >= 0) e = colon;
      }
      this.#hostOnce(A_HTTP_HOST, this.#hostMiss, buf, s, e);
    }
    if (this.#wUrl && t1 > t0 && buf[t0] !== CH_STAR) {
      if (buf[t0] === CH_SLASH) {
        if (h0 >= 0) {
          // most URLs can match nothing the database holds: the filter says so from the
          // packet's bytes, without a key
          const r = this.#urlFilter.originForm(buf, h0, h1, t0, t1);
          if (r === URL_NONE) this.#lookups[A_HTTP_URL]++;
          else this.#url(buf, h0, h1, t0, t1, true, r === URL_MAYBE);
        }
      } else if (schemeEnd(buf, t0, t1) > 0) {
        h0 = h1 = -1;
        this.#url(buf, t0, t0, t0, t1, false, false);
      }
    }
    // a pipelined request right after this one
    const next = rq.headEnd;
    if (next > 0 && next < end && buf[next] >= 0x41 && buf[next] <= 0x5a) {
      this.#http(buf, next, end, (seq + (next - p)) | 0);
    }
  }

  /**
   * Looks up a URL: `http://` + `buf[h0, h1)` + `buf[t0, t1)` (origin form), or the absolute
   * target `buf[t0, t1)`; scheme and host in lower case.
   */
  #url(
    buf: Uint8Array,
    h0: number,
    h1: number,
    t0: number,
    t1: number,
    origin: boolean,
    maybe: boolean,
  ): void {
    const prefix = HTTP_PREFIX;
    const n = origin ? prefix.length + (h1 - h0) + (t1 - t0) : t1 - t0;
    const key = this.#lookup.keyFor(n);
    let h = URL_SEED, k = 0, bits = 0;
    if (origin) {
      for (let i = 0; i < prefix.length; i++) {
        key[k++] = prefix[i];
        h = Math.imul(h ^ prefix[i], FNV_PRIME);
      }
      for (let i = h0; i < h1; i++) {
        const b = asciiLower(buf[i]);
        key[k++] = b;
        bits |= b;
        h = Math.imul(h ^ b, FNV_PRIME);
      }
      for (let i = t0; i < t1; i++) {
        const b = buf[i];
        key[k++] = b;
        bits |= b;
        h = Math.imul(h ^ b, FNV_PRIME);
      }
    } else {
      // scheme://authority in lower case, the rest as it is
      const authorityStart = schemeEnd(buf, t0, t1);
      let i = t0;
      let lower = true;
      for (; i < t1; i++) {
        let b = buf[i];
        if (i >= authorityStart && b === CH_SLASH) lower = false;
        if (lower) b = asciiLower(b);
        key[k++] = b;
        bits |= b;
        h = Math.imul(h ^ b, FNV_PRIME);
      }
    }
    this.#lookups[A_HTTP_URL]++;
    // most URLs can match nothing the database holds: the filter says so without a lookup
    if (!maybe && !this.#urlFilter.mayMatch(key, n, h, bits < 0x80)) return;
    const lookup = this.#lookup;
    if (!lookup.string(n, h & HASH_MASK, false)) return;
    this.#hit.setKey(lookup.key, n, -1);
    this.#report(A_HTTP_URL);
  }

  #dnsTcp(buf: Uint8Array, p: number, end: number, seq: number): void {
    // messages one after the other, each after its two-byte length
    let q = p;
    while (q < end) {
      const total = q + DNS_TCP_PREFIX <= end ? DNS_TCP_PREFIX + ((buf[q] << 8) | buf[q + 1]) : 0; // the length itself is cut
      if (total === 0 || q + total > end) {
        const at = (seq + (q - p)) | 0;
        this.#tcp.hold(PENDING_DNS, buf, q, end, at, total, MAX_DNS_TCP, this.#view!.tsSec);
        break;
      }
      this.#dns(buf, q + DNS_TCP_PREFIX, q + total);
      q += total;
    }
    if (q > p) this.#tcp.read(seq, q - p);
  }

  /** Reads one DNS message, `buf[m, end)`. */
  #dns(buf: Uint8Array, m: number, end: number): void {
    if (end - m < DNS_HEADER_LEN) return;
    const names = this.#dnsNames;
    const qd = (buf[m + DNS_QDCOUNT] << 8) | buf[m + DNS_QDCOUNT + 1];
    const an = (buf[m + DNS_ANCOUNT] << 8) | buf[m + DNS_ANCOUNT + 1];
    this.#seenCount = 0;
    this.#seenPending = false;
    this.#readAtCount = 0;
    let p = m + DNS_HEADER_LEN;
    const wQname = this.#wQname;
    const miss = this.#qnameMiss;
    for (let i = 0; i < qd && i < DNS_MAX_QUESTIONS; i++) {
      if (i === 0 && wQname && miss.startsAt(buf, p, end)) {
        // the question of the last message that matched nothing (a response after its query)
        if (this.#readAtCount < SEEN_NAMES) this.#readAt[this.#readAtCount++] = p;
        p += miss.length + DNS_QUESTION_FIXED;
        if (p > end) {
          this.#malformed++;
          return;
        }
        // on the message's list of names when another name is read (most answers point to
        // the question: none is)
        this.#seenPending = true;
        this.#lookups[A_DNS_QNAME]++;
        this.#missCached++;
        continue;
      }
      const start = p;
      const n = this.#dnsName(buf, m, end, p);
      if (n < 0) return;
      p = names.next + DNS_QUESTION_FIXED;
      if (p > end) {
        this.#malformed++;
        return;
      }
      if (n > 0 && wQname) {
        const hits = this.#hitCounts[A_DNS_QNAME];
        const h = names.hash;
        this.#name(A_DNS_QNAME, n, h);
        if (i === 0) {
          if (this.#hitCounts[A_DNS_QNAME] === hits && plainDnsName(buf, start, names.next)) {
            miss.keep(buf, start, names.next);
            miss.keepKey(this.#lookup.key, n, h);
          } else miss.clear();
        }
      }
    }
    if (qd > DNS_MAX_QUESTIONS) return;
    const wName = this.#wAnswerName, wIp = this.#wAnswerIp;
    if (!wName && !wIp) return;
    for (let i = 0; i < an && i < DNS_MAX_ANSWERS; i++) {
      let n = 0;
      if (wName) {
        n = this.#dnsName(buf, m, end, p);
        if (n < 0) return;
        p = names.next;
      } else {
        p = skipDnsName(buf, p, end);
        if (p < 0) {
          this.#malformed++;
          return;
        }
      }
      if (p + DNS_RR_FIXED > end) {
        this.#malformed++;
        return;
      }
      const type = (buf[p] << 8) | buf[p + 1];
      const rdlen = (buf[p + 8] << 8) | buf[p + 9];
      const rd = p + DNS_RR_FIXED;
      if (rd + rdlen > end) {
        this.#malformed++;
        return;
      }
      if (n > 0) this.#name(A_DNS_ANSWER_NAME, n, names.hash);
      if (type === DNS_TYPE_A && rdlen === 4) {
        if (wIp) {
          const v = (buf[rd] << 24) | (buf[rd + 1] << 16) | (buf[rd + 2] << 8) | buf[rd + 3];
          this.#ipv4(A_DNS_ANSWER_IP, v, buf, rd);
        }
      } else if (type === DNS_TYPE_AAAA && rdlen === 16) {
        if (wIp) this.#ipv6(A_DNS_ANSWER_IP, buf, rd);
      } else if (type === DNS_TYPE_CNAME && wName) {
        const t = this.#dnsName(buf, m, rd + rdlen, rd);
        if (t < 0) return;
        if (t > 0) this.#name(A_DNS_ANSWER_NAME, t, names.hash);
      }
      p = rd + rdlen;
    }
  }

  /**
   * Reads the DNS name at `p` into the lookup key (the reader's `next` and `hash` describe it).
   * A name this message has shown already — a compression pointer to a name read, or the same
   * text — gives 0: nothing to look up again.
   *
   * @returns The key's length, 0, or -1 when the name is malformed (counted).
   */
  #dnsName(buf: Uint8Array, m: number, end: number, p: number): number {
    const names = this.#dnsNames;
    // a pointer to a name read already (an answer naming the question): the same name
    if (p + 1 < end && (buf[p] & DNS_POINTER) === DNS_POINTER) {
      const target = m + (((buf[p] & ~DNS_POINTER) << 8) | buf[p + 1]);
      const at = this.#readAt;
      for (let i = 0; i < this.#readAtCount; i++) {
        if (at[i] === target) {
          names.next = p + 2;
          return 0;
        }
      }
    }
    const n = names.read(buf, m, end, p, this.#lookup.keyFor(MAX_NAME), SEED_NAME);
    if (n < 0) {
      this.#malformed++;
      return -1;
    }
    if (this.#readAtCount < SEEN_NAMES) this.#readAt[this.#readAtCount++] = p;
    return n > 0 && this.#firstSight(n, names.hash) ? n : 0;
  }

  /** Puts a name, `key[0, n)` hashed to `h`, on the list of the current DNS message. */
  #seenAdd(key: Uint8Array, n: number, h: number): void {
    const count = this.#seenCount;
    if (count < SEEN_NAMES && n <= MAX_NAME) {
      const at = count * MAX_NAME;
      const seen = this.#seen;
      for (let i = 0; i < n; i++) seen[at + i] = key[i];
      this.#seenHash[count] = h;
      this.#seenLength[count] = n;
      this.#seenCount = count + 1;
    }
  }

  /**
   * Whether the name in the lookup key, `key[0, n)`, is the first of its kind in the current
   * DNS message (it is then remembered).
   */
  #firstSight(n: number, h: number): boolean {
    if (this.#seenPending) {
      this.#seenPending = false;
      const miss = this.#qnameMiss;
      this.#seenAdd(miss.key, miss.keyLength, miss.hash);
    }
    const key = this.#lookup.key;
    const seen = this.#seen;
    const count = this.#seenCount;
    for (let s = 0; s < count; s++) {
      if (this.#seenHash[s] !== h || this.#seenLength[s] !== n) continue;
      const at = s * MAX_NAME;
      let i = 0;
      while (i < n && seen[at + i] === key[i]) i++;
      if (i === n) return false;
    }
    if (count < SEEN_NAMES && n <= MAX_NAME) {
      const at = count * MAX_NAME;
      for (let i = 0; i < n; i++) seen[at + i] = key[i];
      this.#seenHash[count] = h;
      this.#seenLength[count] = n;
      this.#seenCount = count + 1;
    }
    return true;
  }

  // ---- plugin attributes ----

  #pluginValues(values: readonly AttributeValue[]): void {
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value === undefined) continue;
      this.#pluginValue(this.#pluginBase + i, String(value));
    }
  }

  /** Looks up a plugin's value: an address, a host name (folded, parents) or a string. */
  #pluginValue(a: number, text: string): void {
    const bytes = ENCODER.encode(text);
    const n = bytes.length;
    if (n === 0) return;
    const addr = this.#address;
    const family = parseIpBytesInto(bytes, addr, 0, n);
    if (family === 4) {
      this.#ipv4(a, (addr[0] << 24) | (addr[1] << 16) | (addr[2] << 8) | addr[3], addr, 0);
      return;
    }
    if (family === 6) {
      this.#lookups[a]++;
      if (!this.#lookup.ipv6(addr)) return;
      this.#hit.setAddress(addr, 0, 6);
      this.#reportNetwork(a);
      return;
    }
    if (HOST_NAME.test(text)) {
      this.#host(a, bytes, 0, n);
      return;
    }
    const key = this.#lookup.keyFor(n);
    let h = SEED_URL;
    for (let i = 0; i < n; i++) {
      key[i] = bytes[i];
      h = Math.imul(h ^ bytes[i], FNV_PRIME);
    }
    this.#lookups[a]++;
    if (!this.#lookup.string(n, h & HASH_MASK, false)) return;
    this.#hit.setKey(this.#lookup.key, n, -1);
    this.#report(a);
  }
}

const ENCODER = new TextEncoder();
/** What a plugin value must look like to be taken as a host name. */
const HOST_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+\.?$/;

/**
 * Whether the DNS name `buf[p, next)` is plain labels ending at the root label, without a
 * compression pointer: its bytes alone then say what name it is.
 */
function plainDnsName(buf: Uint8Array, p: number, next: number): boolean {
  while (p < next) {
    const b = buf[p];
    if (b === 0) return p + 1 === next;
    if ((b & DNS_POINTER) !== 0) return false;
    p += 1 + b;
  }
  return false;
}

function isDnsPort(port: number): boolean {
  return port === DNS_PORT || port === MDNS_PORT || port === LLMNR_PORT;
}

/** Where the authority of an absolute URL `scheme://…` in `buf[t0, t1)` starts, or -1. */
function schemeEnd(buf: Uint8Array, t0: number, t1: number): number {
  const stop = Math.min(t1 - 2, t0 + SCHEME_MAX);
  for (let i = t0; i < stop; i++) {
    const b = buf[i];
    if (b === CH_COLON) {
      return i > t0 && buf[i + 1] === CH_SLASH && buf[i + 2] === CH_SLASH ? i + 3 : -1;
    }
    const alpha = (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a;
    if (!alpha && !(b >= CH_0 && b <= CH_9) && b !== 0x2b && b !== 0x2d && b !== CH_DOT) return -1;
  }
  return -1;
}
