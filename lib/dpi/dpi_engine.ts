/**
 * The attribute engine: handlers subscribe to `protocol.attribute` names and are called with
 * their values for each packet. Only subscribed attributes are extracted, and a plugin's
 * classify/parse runs at most once per packet, only when one of its attributes is wanted. Also
 * the application protocol of a packet and its protocol path (`eth:ip:udp:dns`).
 *
 * @module
 */
import { Layer, type PacketView } from "../pcap/packet_view.ts";
import { protocolPath } from "../pcap/protocol_path.ts";
import { DpiError } from "./dpi_error.ts";
import type { AttributeValue, ProtocolPlugin } from "./plugin.ts";
import type { ProtocolRegistry } from "./protocol_registry.ts";
import { createDefaultRegistry } from "./default_registry.ts";

/** Called per packet with the subscribed attributes' values, in subscription order. */
export type AttributeHandler = (values: readonly AttributeValue[], view: PacketView) => void;

/** Options for {@linkcode DpiEngine.subscribe}. */
export interface SubscribeOptions {
  /** Call the handler only when at least one attribute is present (default `false`: always). */
  requireAny?: boolean;
}

/** A subscription; `unsubscribe()` stops it. */
export interface Subscription {
  /** The attribute names, in the order of the values. */
  readonly attributes: readonly string[];
  /** Removes the subscription. */
  unsubscribe(): void;
}

/** Options for {@linkcode DpiEngine}. */
export interface DpiEngineOptions {
  /** The registry (default {@linkcode createDefaultRegistry}()). */
  registry?: ProtocolRegistry;
}

interface Sub {
  attributes: string[];
  plugins: Int32Array;
  extract: ((v: PacketView) => AttributeValue)[];
  values: AttributeValue[];
  handler: AttributeHandler;
  requireAny: boolean;
}

// Whether a plugin applies to the packet being processed: not asked yet, yes, no.
const ST_UNKNOWN = 0, ST_YES = 1, ST_NO = 2;
// A path key packs the link type, the layers found and the application plugin's index + 1.
const APP_RANGE = 256, LAYER_RANGE = 1024;

/**
 * Runs subscriptions over packets, names their application protocol and protocol path.
 *
 * @example
 * ```ts
 * import { DpiEngine } from "@mxy/mxy/dpi";
 * import { decodePacket, PacketView } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const engine = new DpiEngine();
 * const rows: unknown[][] = [];
 * engine.subscribe(["ip.src", "udp.dst_port", "dns.id"], (values) => rows.push([...values]));
 * const b = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 5, dstPort: 9 });
 * const v = new PacketView();
 * v.setRecord(b, 0, b.length, b.length);
 * decodePacket(v);
 * engine.process(v);
 * assert.deepEqual(rows, [["10.0.0.1", 9, undefined]]);
 * ```
 */
export class DpiEngine {
  /** The registry in use. */
  readonly registry: ProtocolRegistry;
  #plugins: ProtocolPlugin[] = [];
  #state: Uint8Array = new Uint8Array(0);
  #subs: Sub[] = [];
  #apps: ProtocolPlugin[] = [];
  #pathNames = new Map<number, string>();
  /** Packets processed. */
  packets = 0;
  /** Packets where a classified plugin's parse step failed (malformed for that protocol). */
  protocolErrors = 0;

  /**
   * Creates an engine over a registry.
   *
   * @param options {@linkcode DpiEngineOptions}.
   */
  constructor(options: DpiEngineOptions = {}) {
    this.registry = options.registry ?? createDefaultRegistry();
    this.#refreshPlugins();
  }

  #refreshPlugins(): void {
    const list = this.registry.list();
    if (list.length !== this.#plugins.length) {
      this.#plugins = [...list];
      this.#state = new Uint8Array(list.length);
      this.#apps = list.filter((p) => p.layer === "application" || p.layer === undefined);
      this.#pathNames.clear();
    }
  }

  /**
   * Subscribes a handler to attributes.
   *
   * @param attributes Names like `ip.src`, `dns.qname` (or tshark's field names).
   * @param handler Called per processed packet with the values (reused array: copy to keep).
   * @param options {@linkcode SubscribeOptions}.
   * @returns The {@linkcode Subscription}.
   * @throws {DpiError} `unknown-attribute` for an empty list or a name no plugin provides.
   */
  subscribe(
    attributes: string[],
    handler: AttributeHandler,
    options: SubscribeOptions = {},
  ): Subscription {
    if (attributes.length === 0) {
      throw new DpiError("unknown-attribute", "A subscription needs at least one attribute");
    }
    this.#refreshPlugins();
    const plugins = new Int32Array(attributes.length);
    const extract: ((v: PacketView) => AttributeValue)[] = [];
    attributes.forEach((a, i) => {
      const r = this.registry.resolve(a);
      plugins[i] = this.#plugins.indexOf(r.plugin);
      extract.push(r.extract);
    });
    const sub: Sub = {
      attributes: [...attributes],
      plugins,
      extract,
      values: new Array(attributes.length).fill(undefined),
      handler,
      requireAny: options.requireAny ?? false,
    };
    this.#subs.push(sub);
    return {
      attributes: sub.attributes,
      unsubscribe: () => {
        this.#subs = this.#subs.filter((s) => s !== sub);
      },
    };
  }

  #applies(i: number, view: PacketView): boolean {
    const st = this.#state[i];
    if (st !== ST_UNKNOWN) return st === ST_YES;
    const p = this.#plugins[i];
    let ok = false;
    try {
      ok = p.classify(view);
      if (ok && p.parse && !p.parse(view)) {
        ok = false;
        this.protocolErrors++;
      }
    } catch {
      ok = false;
      this.protocolErrors++;
    }
    this.#state[i] = ok ? ST_YES : ST_NO;
    return ok;
  }

  /**
   * Runs every subscription on a decoded packet.
   *
   * @param view The packet (decoded).
   */
  process(view: PacketView): void {
    this.packets++;
    this.#state.fill(ST_UNKNOWN);
    const subs = this.#subs;
    for (let s = 0; s < subs.length; s++) {
      const sub = subs[s];
      const values = sub.values;
      let any = false;
      for (let k = 0; k < values.length; k++) {
        let val: AttributeValue = undefined;
        if (this.#applies(sub.plugins[k], view)) {
          try {
            val = sub.extract[k](view);
          } catch {
            this.protocolErrors++;
          }
        }
        values[k] = val;
        if (val !== undefined) any = true;
      }
      if (any || !sub.requireAny) sub.handler(values, view);
    }
  }

  /**
   * Finds the application protocol of a decoded packet: the first application plugin whose
   * `classify` accepts it (a packet that then fails the plugin's `parse` is a malformed packet
   * of that protocol, as tshark would show it).
   *
   * @param view The packet.
   * @returns The plugin, or `undefined`.
   */
  classify(view: PacketView): ProtocolPlugin | undefined {
    this.#refreshPlugins();
    const apps = this.#apps;
    for (let i = 0; i < apps.length; i++) {
      try {
        if (apps[i].classify(view)) return apps[i];
      } catch {
        this.protocolErrors++;
      }
    }
    return undefined;
  }

  /**
   * A small number naming a packet's protocol path (link type, layers found, application
   * protocol); {@linkcode DpiEngine.pathName} turns it into text. Allocation-free.
   *
   * @param view The decoded packet.
   * @returns The path key.
   */
  pathKey(view: PacketView): number {
    const app = this.classify(view);
    const ai = app ? this.#apps.indexOf(app) + 1 : 0;
    const layers = view.layers & ~Layer.FRAGMENT;
    return ((view.linktype & 0xffff) * LAYER_RANGE + layers) * APP_RANGE + ai;
  }

  /**
   * The text of a path key: `eth:vlan:ip:tcp:http`.
   *
   * @param key From {@linkcode DpiEngine.pathKey}.
   * @returns The protocol path.
   */
  pathName(key: number): string {
    let name = this.#pathNames.get(key);
    if (name !== undefined) return name;
    const ai = key % APP_RANGE;
    const layers = Math.floor(key / APP_RANGE) % LAYER_RANGE;
    const linktype = Math.floor(key / (APP_RANGE * LAYER_RANGE));
    name = protocolPath({ linktype, layers }, ai > 0 ? this.#apps[ai - 1].name : "");
    this.#pathNames.set(key, name);
    return name;
  }

  /**
   * The protocol path of a decoded packet as text (allocates on first sight of each path).
   *
   * @param view The decoded packet.
   * @returns E.g. `eth:ip:udp:dns`.
   */
  protocolPath(view: PacketView): string {
    return this.pathName(this.pathKey(view));
  }
}
