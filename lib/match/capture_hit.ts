/**
 * One hit of the capture matcher: the packet (frame number, capture time, 5-tuple), the
 * attribute that matched (`ip.dst`, `dns.qname`, `tls.sni` …), its value, how it matched and
 * the database entry; with first-per-flow reporting, also the session and its counts.
 *
 * @module
 */
import type { Database } from "../db/database.ts";
import type { MmdbValue } from "../format/value.ts";
import { formatIpv4, formatIpv6, formatIpWords, formatNetwork } from "../core/ip.ts";
import type { MatchVia } from "./matcher.ts";

/**
 * The attributes the capture matcher reads itself from every packet, in this order:
 *
 * - `ip.src`, `ip.dst`: the source and destination address (IPv4 or IPv6), in the networks of
 *   the search tree (the longest prefix);
 * - `dns.qname`: each question's name, in queries and responses;
 * - `dns.answer_name`: the names of the answer records other than the question's (owner names
 *   and CNAME targets);
 * - `dns.answer_ip`: the addresses of A and AAAA answers;
 * - `tls.sni`: the server name of a ClientHello;
 * - `http.host`: the Host header of a request, without its port;
 * - `http.url`: the request's URL, `http://` + Host + the request target (an absolute target as
 *   it is), scheme and host in lower case.
 *
 * Names (DNS, SNI, Host) are looked up in ASCII lower case, with parent domains when asked; a
 * Host or SNI that is an IP address is looked up in the search tree.
 *
 * @example
 * ```ts
 * import { CAPTURE_ATTRIBUTES } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 * assert.equal(CAPTURE_ATTRIBUTES.length, 8);
 * assert.ok(CAPTURE_ATTRIBUTES.includes("tls.sni"));
 * ```
 */
export const CAPTURE_ATTRIBUTES: readonly string[] = Object.freeze([
  "ip.src",
  "ip.dst",
  "dns.qname",
  "dns.answer_name",
  "dns.answer_ip",
  "tls.sni",
  "http.host",
  "http.url",
]);

const VIA_NAMES = ["", "network", "literal", "glob", "parent-domain"];
const DECODER = new TextDecoder();
const EMPTY = new Uint8Array(0);

/**
 * A hit of the capture matcher. The matcher reuses one object for the hits it reports as packets
 * are read: use it inside the callback, or keep {@linkcode CaptureHit.clone}. The texts
 * (`value`, `entry`) and `data` are worked out when first read.
 *
 * @example
 * ```ts
 * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
 * import { CaptureHit, CaptureMatcher } from "@mxy/mxy/match";
 * import { decodePacket, PacketView } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const b = new DatabaseBuilder({ buildEpoch: 1 });
 * b.add("203.0.113.0/24", { threat: "scanner" });
 * const kept: CaptureHit[] = [];
 * const m = new CaptureMatcher(Database.fromBytes(b.build()), { onHit: (h) => kept.push(h.clone()) });
 * const bytes = buildPacket({ src: "203.0.113.9", dst: "10.0.0.1", proto: "tcp", srcPort: 1, dstPort: 2 });
 * const v = new PacketView();
 * v.setRecord(bytes, 0, bytes.length, bytes.length);
 * m.process(v);
 * assert.equal(kept.length, 1);
 * assert.deepEqual(
 *   [kept[0].attribute, kept[0].value, kept[0].viaName, kept[0].entryText, kept[0].sport],
 *   ["ip.src", "203.0.113.9", "network", "203.0.113.0/24", 1],
 * );
 * assert.deepEqual(kept[0].data, { threat: "scanner" });
 * ```
 */
export class CaptureHit {
  readonly #db: Database;
  /** 1-based packet number in its capture (the first packet of the flow's hits, per flow). */
  frame = 0;
  /** Capture time: whole seconds. */
  tsSec = 0;
  /** Capture time: nanoseconds within the second. */
  tsNsec = 0;
  /** 4 or 6, or 0 for a packet without an IP layer. */
  family: 0 | 4 | 6 = 0;
  /** IP protocol number, or -1. */
  proto: number = -1;
  /** Source address words (IPv4 in word 0). */
  readonly src: Uint32Array = new Uint32Array(4);
  /** Destination address words. */
  readonly dst: Uint32Array = new Uint32Array(4);
  /** Source port (TCP, UDP), or -1. */
  sport: number = -1;
  /** Destination port, or -1. */
  dport: number = -1;
  /** The attribute that matched: one of {@linkcode CAPTURE_ATTRIBUTES}, or a plugin's. */
  attribute = "";
  /** How it matched. */
  via: MatchVia = 1;
  /** The entry's data offset (for `Database.decode`). */
  dataOffset: number = -1;
  /** Literal and glob hits: the string entry's kind code and number; -1 otherwise. */
  entryKind: number = -1;
  /** Literal and glob hits: the string entry's number; -1 otherwise. */
  entry: number = -1;
  /** Network hits: the network's prefix length (IPv4 terms for an IPv4 network). */
  prefixLength = 0;
  /** Network hits: the family the tree answered in (4 or 6); 0 otherwise. */
  ipVersion: 0 | 4 | 6 = 0;
  /**
   * With first-per-flow reporting: the session's uid (as `pcap flows` prints it), else `null`.
   */
  uid: string | null = null;
  /** First-per-flow: the session's packets (both directions); 0 otherwise. */
  packets = 0;
  /** First-per-flow: the session's IP bytes (both directions); 0 otherwise. */
  bytes = 0;
  /** First-per-flow: packets of the session that carried the indicator; 0 otherwise. */
  count = 0;
  /** First-per-flow: the last packet that carried it; 0 otherwise. */
  lastFrame = 0;
  // The value: an address (4 or 16 bytes) or the key bytes looked up.
  #valueFamily: 0 | 4 | 6 = 0;
  #address = new Uint8Array(16);
  #key: Uint8Array = EMPTY;
  #keyLength = 0;
  #parentStart = -1;
  #value: string | null = null;
  #entry: string | null = null;

  /**
   * Creates an empty hit for a database (the matcher makes them).
   *
   * @param database The database the hits are in.
   */
  constructor(database: Database) {
    this.#db = database;
  }

  /** @internal Sets the value to an address looked up: `bytes[offset …)`, 4 or 16 bytes. */
  setAddress(bytes: Uint8Array, offset: number, family: 4 | 6): void {
    this.#valueFamily = family;
    const a = this.#address;
    for (let i = 0; i < (family === 4 ? 4 : 16); i++) a[i] = bytes[offset + i];
    this.#keyLength = 0;
    this.#parentStart = -1;
    this.#value = this.#entry = null;
  }

  /** @internal Sets the value to a key looked up, `key[0, n)`; `parent` where a parent starts. */
  setKey(key: Uint8Array, n: number, parent: number): void {
    this.#valueFamily = 0;
    if (this.#key.length < n) this.#key = new Uint8Array(Math.max(64, n * 2));
    const k = this.#key;
    for (let i = 0; i < n; i++) k[i] = key[i];
    this.#keyLength = n;
    this.#parentStart = parent;
    this.#value = this.#entry = null;
  }

  /** The text that matched: the address, the name (lower case) or the URL. */
  get value(): string {
    if (this.#value !== null) return this.#value;
    const f = this.#valueFamily;
    const a = this.#address;
    this.#value = f === 4
      ? formatIpv4(((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0)
      : f === 6
      ? formatIpv6(a)
      : DECODER.decode(this.#key.subarray(0, this.#keyLength));
    return this.#value;
  }

  /** How it matched, as output spells it: `network`, `literal`, `glob` or `parent-domain`. */
  get viaName(): string {
    return VIA_NAMES[this.via];
  }

  /**
   * The entry that matched: the network in CIDR notation, the literal, the glob as written, or
   * the parent domain.
   */
  get entryText(): string {
    if (this.#entry !== null) return this.#entry;
    let text: string;
    if (this.ipVersion !== 0) {
      const a = this.#address;
      const v4 = this.ipVersion === 4;
      const bytes = !v4 ? a : this.#valueFamily === 4 ? a.subarray(0, 4) : a.subarray(12, 16);
      text = formatNetwork(bytes, this.prefixLength);
    } else if (this.#parentStart >= 0) {
      text = DECODER.decode(this.#key.subarray(this.#parentStart, this.#keyLength));
    } else text = this.#db.stringEntry(this.entryKind, this.entry);
    this.#entry = text;
    return text;
  }

  /** The entry's data, decoded (through the database's cache). */
  get data(): MmdbValue {
    return this.#db.decode(this.dataOffset);
  }

  /** The source address as text (`""` without an IP layer). */
  get srcText(): string {
    return this.family === 0 ? "" : formatIpWords(this.src, this.family);
  }

  /** The destination address as text (`""` without an IP layer). */
  get dstText(): string {
    return this.family === 0 ? "" : formatIpWords(this.dst, this.family);
  }

  /**
   * A copy to keep (the matcher reuses the hits it reports).
   *
   * @returns The copy.
   */
  clone(): CaptureHit {
    const c = new CaptureHit(this.#db);
    c.copyFrom(this);
    return c;
  }

  /** @internal Makes this hit a copy of `h`. */
  copyFrom(h: CaptureHit): void {
    this.frame = h.frame;
    this.tsSec = h.tsSec;
    this.tsNsec = h.tsNsec;
    this.family = h.family;
    this.proto = h.proto;
    this.src.set(h.src);
    this.dst.set(h.dst);
    this.sport = h.sport;
    this.dport = h.dport;
    this.attribute = h.attribute;
    this.via = h.via;
    this.dataOffset = h.dataOffset;
    this.entryKind = h.entryKind;
    this.entry = h.entry;
    this.prefixLength = h.prefixLength;
    this.ipVersion = h.ipVersion;
    this.uid = h.uid;
    this.packets = h.packets;
    this.bytes = h.bytes;
    this.count = h.count;
    this.lastFrame = h.lastFrame;
    this.#valueFamily = h.#valueFamily;
    this.#address.set(h.#address);
    const n = h.#keyLength;
    if (this.#key.length < n) this.#key = new Uint8Array(Math.max(64, n));
    for (let i = 0; i < n; i++) this.#key[i] = h.#key[i];
    this.#keyLength = n;
    this.#parentStart = h.#parentStart;
    this.#value = h.#value;
    this.#entry = h.#entry;
  }

  /**
   * @internal Whether `h` is the same indicator as this hit: the same value matched to the
   * same entry (the attribute may differ: an address seen as source, then as destination).
   */
  sameIndicator(h: CaptureHit): boolean {
    if (
      h.via !== this.via || h.dataOffset !== this.dataOffset || h.entry !== this.entry ||
      h.entryKind !== this.entryKind || h.prefixLength !== this.prefixLength ||
      h.#valueFamily !== this.#valueFamily || h.#keyLength !== this.#keyLength
    ) return false;
    if (this.#valueFamily !== 0) {
      const n = this.#valueFamily === 4 ? 4 : 16;
      for (let i = 0; i < n; i++) if (h.#address[i] !== this.#address[i]) return false;
      return true;
    }
    for (let i = 0; i < this.#keyLength; i++) if (h.#key[i] !== this.#key[i]) return false;
    return true;
  }
}
