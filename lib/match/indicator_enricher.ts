/**
 * Flows and correlation records enriched with a database: which endpoint of a session is a
 * known indicator, and the name seen on the session (its DNS question, TLS server name or HTTP
 * Host) with its entry; which side of a request/response pair is one.
 *
 * @module
 */
import type { Database } from "../db/database.ts";
import { valueToJson } from "../format/value.ts";
import { asciiLower } from "../core/ascii.ts";
import { formatIpWords, formatNetwork, parseIpBytesInto } from "../core/ip.ts";
import { Layer } from "../pcap/packet_view.ts";
import type { FlowPacket } from "../pcap/flow_packet.ts";
import type { FlowSession, SessionAttribute } from "../pcap/flow_session.ts";
import type { SessionTableHooks } from "../pcap/session_table.ts";
import { type FlowFormatOptions, formatFlow } from "../pcap/flow_format.ts";
import type { CorrelatedPacket, CorrelatedPair } from "../pcap/correlated_pair.ts";
import { formatPair } from "../pcap/correlation_format.ts";
import type { OutputFormat } from "../pcap/record_format.ts";
import { DnsNameReader } from "./_dns_names.ts";
import { ClientHelloReader, HELLO_READ } from "./_tls_hello.ts";
import { HttpRequestReader, REQUEST_READ } from "./_http_request.ts";
import * as spanLookup from "./_span_lookup.ts";
import { SpanLookup } from "./_span_lookup.ts";

const { FNV_BASIS, FNV_PRIME, HASH_MASK } = spanLookup;
const SEED_NAME = FNV_BASIS ^ 3;
const VIA_NAMES = ["", "network", "literal", "glob", "parent-domain"];
const DNS_PORTS = [53, 5353, 5355];
const DNS_HEADER_LEN = 12, DNS_TCP_PREFIX = 2, DNS_QDCOUNT = 4;
const CH_COLON = 0x3a, CH_DOT = 0x2e, CH_LBRACKET = 0x5b, CH_RBRACKET = 0x5d;
const DECODER = new TextDecoder();

/**
 * The columns {@linkcode IndicatorEnricher.formatFlow} adds after the flow's (in CSV; keys in
 * JSON Lines): the name seen on the session and the attribute it came from, and the database's
 * answer for the originator, the responder and the name.
 *
 * @example
 * ```ts
 * import { FLOW_INDICATOR_COLUMNS } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 * assert.deepEqual(FLOW_INDICATOR_COLUMNS, ["name", "name_source", "orig_db", "resp_db", "name_db"]);
 * ```
 */
export const FLOW_INDICATOR_COLUMNS: readonly string[] = Object.freeze([
  "name",
  "name_source",
  "orig_db",
  "resp_db",
  "name_db",
]);

/**
 * The columns {@linkcode IndicatorEnricher.formatPair} adds after a pair's: the database's answer
 * for each address of the request and the response.
 *
 * @example
 * ```ts
 * import { PAIR_INDICATOR_COLUMNS } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 * assert.equal(PAIR_INDICATOR_COLUMNS.length, 4);
 * ```
 */
export const PAIR_INDICATOR_COLUMNS: readonly string[] = Object.freeze([
  "req_src_db",
  "req_dst_db",
  "res_src_db",
  "res_dst_db",
]);

/** What the database says about one value. */
export interface IndicatorMatch {
  /** The entry that matched: a network in CIDR notation, a literal, a glob or a parent domain. */
  entry: string;
  /** How: `network`, `literal`, `glob` or `parent-domain`. */
  match: string;
  /** The entry's data as JSON text. */
  dataJson: string;
}

/** Options of {@linkcode IndicatorEnricher}. */
export interface IndicatorEnricherOptions {
  /**
   * Names match their parent domains too (down to the registrable domain). Default: what the
   * database asks for, else `false`.
   */
  parentDomains?: boolean;
}

/** Per session: the hooks' state and the first name seen. */
interface FlowState {
  inner: unknown;
  name: string | null;
  source: string | null;
}

/**
 * Adds a database's answers to session records (`pcap flows --db`) and correlated pairs
 * (`pcap correlate --db`). For sessions, give {@linkcode IndicatorEnricher.flowHooks} to the
 * `SessionTable` (around the hooks it already has): they note the first name each session
 * carries — a DNS question, a TLS server name, an HTTP Host — as the `name` and `name_source`
 * attributes; {@linkcode IndicatorEnricher.formatFlow} then formats the session with the
 * answers for its originator, responder and name.
 *
 * @example
 * ```ts
 * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
 * import { IndicatorEnricher } from "@mxy/mxy/match";
 * import { PcapWriter, SessionTable, trackFlows } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const b = new DatabaseBuilder({ buildEpoch: 1 });
 * b.add("198.51.100.0/24", { threat: "c2" });
 * b.add("evil.example", { threat: "phishing" });
 * const enricher = new IndicatorEnricher(Database.fromBytes(b.build()));
 * const lines: string[] = [];
 * const table = new SessionTable({
 *   hooks: enricher.flowHooks(),
 *   onClose: (s) => lines.push(enricher.formatFlow(s, "jsonl")),
 * });
 * const payload = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: Evil.Example\r\n\r\n");
 * const w = new PcapWriter();
 * w.writePacket(buildPacket({ src: "10.0.0.1", dst: "198.51.100.9", proto: "tcp", dstPort: 80, payload }));
 * await trackFlows(w.toBytes(), table);
 * table.finish();
 * const rec = JSON.parse(lines[0]);
 * assert.deepEqual([rec.name, rec.name_source], ["evil.example", "http.host"]);
 * assert.equal(rec.orig_db, undefined);
 * assert.deepEqual(rec.resp_db, { entry: "198.51.100.0/24", match: "network", data: { threat: "c2" } });
 * assert.deepEqual(rec.name_db.data, { threat: "phishing" });
 * ```
 */
export class IndicatorEnricher {
  readonly #lookup: SpanLookup;
  readonly #dns = new DnsNameReader();
  readonly #hello = new ClientHelloReader();
  readonly #request = new HttpRequestReader();
  readonly #address = new Uint8Array(16);
  readonly #name = new Uint8Array(256);

  /**
   * Creates an enricher over a database.
   *
   * @param db The database.
   * @param options {@linkcode IndicatorEnricherOptions}.
   */
  constructor(db: Database, options: IndicatorEnricherOptions = {}) {
    this.#lookup = new SpanLookup(db, options.parentDomains ?? db.metadata.mxyParentDomains);
  }

  /**
   * Session hooks that note the first name of each session (as the attributes `name` and
   * `name_source`), around other hooks (e.g. `createSessionHooks` of `@mxy/mxy/dpi`), whose
   * attributes are kept.
   *
   * @param inner The hooks to run as well.
   * @returns The hooks, for the `SessionTable`'s `hooks` option.
   */
  flowHooks(inner?: SessionTableHooks): SessionTableHooks {
    return {
      open: (p: FlowPacket): FlowState => ({
        inner: inner?.open(p),
        name: null,
        source: null,
      }),
      packet: (state: unknown, p: FlowPacket, fromOrig: boolean): void => {
        const st = state as FlowState;
        inner?.packet(st.inner, p, fromOrig);
        if (st.name === null && p.payLen > 0) this.#noteName(st, p);
      },
      close: (state: unknown): Record<string, SessionAttribute> | void => {
        const st = state as FlowState;
        const attrs = inner?.close(st.inner) ?? undefined;
        if (st.name === null) return attrs;
        return { ...attrs, name: st.name, name_source: st.source! };
      },
    };
  }

  /** Reads the first name a packet carries into the session's state. */
  #noteName(st: FlowState, p: FlowPacket): void {
    const v = p.view;
    if (v === null) return;
    const buf = v.buf, at = v.payloadOffset, end = at + v.payloadLength;
    if (DNS_PORTS.includes(p.sport) || DNS_PORTS.includes(p.dport)) {
      const m = (v.layers & Layer.TCP) !== 0 ? at + DNS_TCP_PREFIX : at;
      if (
        end - m < DNS_HEADER_LEN || ((buf[m + DNS_QDCOUNT] << 8) | buf[m + DNS_QDCOUNT + 1]) === 0
      ) {
        return;
      }
      const n = this.#dns.read(buf, m, end, m + DNS_HEADER_LEN, this.#name, SEED_NAME);
      if (n > 0) this.#setName(st, this.#name, 0, n, "dns.qname");
      return;
    }
    if ((v.layers & Layer.TCP) === 0) return;
    if (this.#hello.read(buf, at, end) === HELLO_READ && this.#hello.sniStart >= 0) {
      this.#setName(st, buf, this.#hello.sniStart, this.#hello.sniEnd, "tls.sni");
      return;
    }
    const rq = this.#request;
    if (rq.read(buf, at, end) === REQUEST_READ && rq.hostStart >= 0) {
      let s = rq.hostStart, e = rq.hostEnd;
      if (buf[s] === CH_LBRACKET) {
        let r = s + 1;
        while (r < e && buf[r] !== CH_RBRACKET) r++;
        s++;
        e = r;
      } else {
        let colon = -1;
        for (let i = s; i < e; i++) if (buf[i] === CH_COLON) colon = colon < 0 ? i : -2;
        if (colon >= 0) e = colon;
      }
      this.#setName(st, buf, s, e, "http.host");
    }
  }

  #setName(st: FlowState, buf: Uint8Array, s: number, e: number, source: string): void {
    if (e > s && buf[e - 1] === CH_DOT) e--;
    if (e <= s) return;
    const bytes = new Uint8Array(e - s);
    for (let i = 0; i < bytes.length; i++) bytes[i] = asciiLower(buf[s + i]);
    st.name = DECODER.decode(bytes);
    st.source = source;
  }

  /**
   * Looks up an address given as words (IPv4 in word 0, as sessions and pairs hold them).
   *
   * @param words The address words.
   * @param family 4 or 6.
   * @returns The entry and its data, or `null`.
   */
  lookupAddress(words: ArrayLike<number>, family: 4 | 6): IndicatorMatch | null {
    const lookup = this.#lookup;
    const a = this.#address;
    let ok: boolean;
    if (family === 4) ok = lookup.ipv4(words[0]);
    else {
      for (let i = 0; i < 4; i++) {
        a[4 * i] = words[i] >>> 24;
        a[4 * i + 1] = (words[i] >>> 16) & 255;
        a[4 * i + 2] = (words[i] >>> 8) & 255;
        a[4 * i + 3] = words[i] & 255;
      }
      ok = lookup.ipv6(a);
    }
    if (!ok) return null;
    let net: Uint8Array;
    if (family === 4) {
      const w = words[0];
      net = Uint8Array.of(w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255);
    } else net = lookup.ipVersion === 4 ? a.slice(12, 16) : a.slice();
    return {
      entry: formatNetwork(net, lookup.prefixLength),
      match: "network",
      dataJson: valueToJson(lookup.db.decode(lookup.dataOffset)),
    };
  }

  /**
   * Looks up a name (folded to ASCII lower case; an IP address goes to the search tree): a
   * literal, else the most specific glob, else a parent domain when they are on.
   *
   * @param name The name.
   * @returns The entry and its data, or `null`.
   */
  lookupName(name: string): IndicatorMatch | null {
    const bytes = new TextEncoder().encode(name);
    const n = bytes.length;
    if (n === 0) return null;
    const lookup = this.#lookup;
    const family = parseIpBytesInto(bytes, this.#address, 0, n);
    if (family === 4) {
      const a = this.#address;
      return this.lookupAddress([((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0], 4);
    }
    if (family === 6) {
      const a = this.#address;
      const words = [0, 1, 2, 3].map((i) =>
        ((a[4 * i] << 24) | (a[4 * i + 1] << 16) | (a[4 * i + 2] << 8) | a[4 * i + 3]) >>> 0
      );
      return this.lookupAddress(words, 6);
    }
    const key = lookup.keyFor(n);
    let h = SEED_NAME;
    for (let i = 0; i < n; i++) {
      const c = asciiLower(bytes[i]);
      key[i] = c;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    if (!lookup.string(n, h & HASH_MASK, true)) return null;
    const entry = lookup.parent >= 0
      ? DECODER.decode(key.subarray(lookup.parent, n))
      : lookup.db.stringEntry(lookup.entryKind, lookup.entry);
    return {
      entry,
      match: VIA_NAMES[lookup.via],
      dataJson: valueToJson(lookup.db.decode(lookup.dataOffset)),
    };
  }

  /**
   * Formats a closed session as `formatFlow` of `@mxy/mxy/pcap` does, then adds the
   * {@linkcode FLOW_INDICATOR_COLUMNS}: in JSON Lines `name` and `name_source` (from the hooks'
   * attributes) and, for each of `orig_db`, `resp_db`, `name_db` that matched, an object
   * `{ entry, match, data }`; in CSV the same as cells (the objects as JSON text).
   *
   * @param s The closed session.
   * @param format `jsonl` or `csv`.
   * @param options The flow format's options (inside networks).
   * @returns The line, ending in a newline.
   */
  formatFlow(s: FlowSession, format: OutputFormat, options: FlowFormatOptions = {}): string {
    const line = formatFlow(s, format, options);
    const name = typeof s.attributes?.name === "string" ? s.attributes.name : null;
    const source = typeof s.attributes?.name_source === "string" ? s.attributes.name_source : null;
    const orig = this.lookupAddress(s.origAddr, s.family);
    const resp = this.lookupAddress(s.respAddr, s.family);
    const named = name === null ? null : this.lookupName(name);
    if (format === "csv") {
      return line.slice(0, -1) + "," +
        [name ?? "", source ?? "", cell(orig), cell(resp), cell(named)].map(csvCell).join(",") +
        "\n";
    }
    if (format !== "jsonl") return line;
    let extra = "";
    if (orig !== null) extra += `,"orig_db":${json(orig)}`;
    if (resp !== null) extra += `,"resp_db":${json(resp)}`;
    if (named !== null) extra += `,"name_db":${json(named)}`;
    return extra === "" ? line : line.slice(0, -2) + extra + "}\n";
  }

  /**
   * Formats a correlated pair as `formatPair` of `@mxy/mxy/pcap` does, then adds the
   * database's answer for each of its four addresses ({@linkcode PAIR_INDICATOR_COLUMNS}): in
   * JSON Lines objects `{ entry, match, data }` for those that matched, in CSV cells of JSON
   * text, in text one `DB: req_dst 198.51.100.7 network 198.51.100.0/24 {…}` line each.
   *
   * @param pair The pair.
   * @param format The output format.
   * @returns The record, ending in a newline.
   */
  formatPair(pair: CorrelatedPair, format: OutputFormat): string {
    const text = formatPair(pair, format);
    const sides: [string, CorrelatedPacket, "src" | "dst"][] = [
      ["req_src", pair.request, "src"],
      ["req_dst", pair.request, "dst"],
      ["res_src", pair.response, "src"],
      ["res_dst", pair.response, "dst"],
    ];
    const found = sides.map(([, p, side]) => this.lookupAddress(p[side], p.family));
    if (format === "csv") {
      return text.slice(0, -1) + "," + found.map(cell).map(csvCell).join(",") + "\n";
    }
    if (format === "jsonl") {
      let extra = "";
      found.forEach((m, i) => {
        if (m !== null) extra += `,"${sides[i][0]}_db":${json(m)}`;
      });
      return extra === "" ? text : text.slice(0, -2) + extra + "}\n";
    }
    let extra = "";
    found.forEach((m, i) => {
      if (m === null) return;
      const [name, p, side] = sides[i];
      const addr = formatIpWords(p[side], p.family);
      extra += `DB: ${name} ${addr} ${m.match} ${m.entry} ${m.dataJson}\n`;
    });
    return text + extra;
  }
}

function json(m: IndicatorMatch): string {
  return `{"entry":${JSON.stringify(m.entry)},"match":"${m.match}","data":${m.dataJson}}`;
}

function cell(m: IndicatorMatch | null): string {
  return m === null ? "" : json(m);
}

function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
