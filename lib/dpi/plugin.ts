/**
 * Protocol plugins and their registry. A plugin has a stable numeric id, a name (the prefix of
 * its attributes: `dns` for `dns.qname`), a classify function, an optional parse step shared by
 * its extractors, attribute extractors and optional session hooks (init, per-packet, cleanup).
 *
 * @module
 */
import type { PacketView } from "../pcap/packet_view.ts";
import { PcapError, PcapErrorCode } from "../pcap/errors.ts";

/** An attribute's value; `undefined` means "absent in this packet". */
export type AttributeValue = string | number | boolean | undefined;

/** Reads one attribute from a packet the plugin has classified (and parsed). */
export type AttributeExtractor = (view: PacketView) => AttributeValue;

/** Where a plugin sits in the protocol hierarchy. */
export type PluginLayer = "frame" | "link" | "network" | "transport" | "application";

/**
 * Per-session hooks: `init` when a session's first packet of this protocol is seen, `packet` for
 * every packet of the session, `cleanup` when the session ends (its result is merged into the
 * session's record, as attributes named `<plugin>.<key>`).
 */
export interface SessionHooks<S = unknown> {
  /** Creates the plugin's state for a new session. */
  init(view: PacketView): S;
  /** Updates the state with one packet; `fromInitiator` tells the direction. */
  packet(state: S, view: PacketView, fromInitiator: boolean): void;
  /** Finishes the session; returns attributes to add to its record. */
  cleanup(state: S): Record<string, AttributeValue> | void;
}

/** A protocol plugin. */
export interface ProtocolPlugin {
  /** Stable numeric id (built-ins use 1–999; register your own from 1000). */
  readonly id: number;
  /** Short lower-case name, the prefix of its attributes (`dns`). */
  readonly name: string;
  /** One-line description. */
  readonly description?: string;
  /** Where it sits; `"application"` plugins name the top of a packet's protocol path. */
  readonly layer?: PluginLayer;
  /** Whether this packet belongs to the protocol (cheap: ports, first bytes). */
  classify(view: PacketView): boolean;
  /**
   * Optional: parses the packet once before any extractor runs (extractors then read what it
   * found). Returning `false` marks the packet malformed for this protocol: extractors are skipped.
   */
  parse?(view: PacketView): boolean;
  /** Extractors by attribute name without the prefix (`qname` for `dns.qname`). */
  readonly attributes: Readonly<Record<string, AttributeExtractor>>;
  /** Optional session hooks. */
  readonly session?: SessionHooks<unknown>;
}

/**
 * The set of known protocol plugins, in classification order.
 *
 * @example
 * ```ts
 * import { ProtocolRegistry } from "./plugin.ts";
 * import assert from "node:assert/strict";
 * const r = new ProtocolRegistry();
 * r.register({
 *   id: 1000,
 *   name: "echo",
 *   classify: (v) => v.dstPort === 7,
 *   attributes: { port: (v) => v.dstPort },
 * });
 * assert.equal(r.get("echo")?.id, 1000);
 * assert.deepEqual(r.attributeNames(), ["echo.port"]);
 * ```
 */
export class ProtocolRegistry {
  #plugins: ProtocolPlugin[] = [];
  #byName = new Map<string, ProtocolPlugin>();

  /**
   * Adds a plugin. Its name and id must be new.
   *
   * @param plugin The plugin.
   */
  register(plugin: ProtocolPlugin): void {
    if (!/^[a-z][a-z0-9_]*$/.test(plugin.name)) {
      throw new PcapError(
        PcapErrorCode.BadMessage,
        `Plugin name "${plugin.name}" must be lower-case letters, digits and underscores`,
      );
    }
    if (this.#byName.has(plugin.name)) {
      throw new PcapError(
        PcapErrorCode.DuplicatePlugin,
        `Plugin "${plugin.name}" is already registered`,
      );
    }
    if (this.#plugins.some((p) => p.id === plugin.id)) {
      throw new PcapError(
        PcapErrorCode.DuplicatePlugin,
        `Plugin id ${plugin.id} is already registered`,
      );
    }
    this.#plugins.push(plugin);
    this.#byName.set(plugin.name, plugin);
  }

  /**
   * Looks a plugin up by name.
   *
   * @param name The plugin's name.
   * @returns The plugin or `undefined`.
   */
  get(name: string): ProtocolPlugin | undefined {
    return this.#byName.get(name);
  }

  /**
   * All plugins in registration order.
   *
   * @returns The plugins.
   */
  list(): readonly ProtocolPlugin[] {
    return this.#plugins;
  }

  /**
   * Every attribute name (`plugin.attribute`), in registration order.
   *
   * @returns The names.
   */
  attributeNames(): string[] {
    const out: string[] = [];
    for (const p of this.#plugins) {
      for (const a of Object.keys(p.attributes)) out.push(`${p.name}.${a}`);
    }
    return out;
  }

  /**
   * Resolves `plugin.attribute` (or a tshark field name from {@linkcode TSHARK_ALIASES}) to
   * its plugin and extractor.
   *
   * @param attribute The full attribute name.
   * @returns The plugin and extractor; throws a {@linkcode PcapError} (UnknownAttribute) if unknown.
   */
  resolve(attribute: string): { plugin: ProtocolPlugin; extract: AttributeExtractor } {
    if (Object.hasOwn(TSHARK_ALIASES, attribute) && !this.#has(attribute)) {
      attribute = TSHARK_ALIASES[attribute];
    }
    const dot = attribute.indexOf(".");
    const plugin = dot > 0 ? this.#byName.get(attribute.slice(0, dot)) : undefined;
    const extract = plugin?.attributes[attribute.slice(dot + 1)];
    if (!plugin || !extract || !Object.hasOwn(plugin.attributes, attribute.slice(dot + 1))) {
      throw new PcapError(
        PcapErrorCode.UnknownAttribute,
        `Unknown attribute "${attribute}"; known: ${this.attributeNames().join(", ")}`,
      );
    }
    return { plugin, extract };
  }

  #has(attribute: string): boolean {
    const dot = attribute.indexOf(".");
    const plugin = dot > 0 ? this.#byName.get(attribute.slice(0, dot)) : undefined;
    return plugin !== undefined && Object.hasOwn(plugin.attributes, attribute.slice(dot + 1));
  }
}

/**
 * tshark field names accepted as aliases of mxy attributes (so `mxy pcap fields` takes the same
 * `-e` list as `tshark -T fields`). Values keep mxy's forms: numbers in decimal (tshark prints
 * `dns.id` in hex), `ip.src` for IPv4 and IPv6 alike.
 *
 * @example
 * ```ts
 * import { ProtocolRegistry, TSHARK_ALIASES } from "./plugin.ts";
 * import assert from "node:assert/strict";
 * assert.equal(TSHARK_ALIASES["dns.qry.name"], "dns.qname");
 * const r = new ProtocolRegistry();
 * r.register({ id: 7, name: "udp", classify: () => true, attributes: { src_port: () => 1 } });
 * assert.equal(r.resolve("udp.srcport").extract({} as never), 1);
 * ```
 */
export const TSHARK_ALIASES: Readonly<Record<string, string>> = {
  "frame.number": "meta.number",
  "frame.time_epoch": "meta.time",
  "frame.len": "meta.len",
  "frame.cap_len": "meta.caplen",
  "frame.interface_id": "meta.iface",
  "tcp.srcport": "tcp.src_port",
  "tcp.dstport": "tcp.dst_port",
  "tcp.seq_raw": "tcp.seq",
  "tcp.ack_raw": "tcp.ack",
  "tcp.window_size_value": "tcp.window",
  "udp.srcport": "udp.src_port",
  "udp.dstport": "udp.dst_port",
  "dns.flags.response": "dns.qr",
  "dns.flags.rcode": "dns.rcode",
  "dns.flags.opcode": "dns.opcode",
  "dns.qry.name": "dns.qname",
  "dns.qry.type": "dns.qtype",
  "dns.qry.class": "dns.qclass",
  "dns.count.queries": "dns.qdcount",
  "dns.count.answers": "dns.ancount",
  "http.request.method": "http.method",
  "http.request.uri": "http.uri",
  "http.request.version": "http.version",
  "http.response.code": "http.status",
  "tls.handshake.extensions_server_name": "tls.sni",
  "tls.handshake.extensions_alpn_str": "tls.alpn",
  "tls.handshake.type": "tls.handshake_type",
  "tls.record.content_type": "tls.content_type",
};
