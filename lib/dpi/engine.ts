/**
 * The attribute engine: handlers subscribe to `protocol.attribute` names and are called with
 * their values for each packet. Only subscribed attributes are extracted, and a plugin's
 * classify/parse runs at most once per packet, only when one of its attributes is wanted.
 * Also: the protocol path of a packet (`eth:ip:udp:dns`) and the runner of plugins' session hooks.
 *
 * @module
 */
import { Layer, type PacketView } from "../pcap/packet_view.ts";
import { PcapError, PcapErrorCode } from "../pcap/errors.ts";
import { type AttributeValue, type ProtocolPlugin, ProtocolRegistry } from "./plugin.ts";
import { CORE_PLUGINS, linkTypeName } from "./core.ts";
import { createDnsPlugin } from "./dns.ts";
import { createHttpPlugin } from "./http.ts";
import { createTlsPlugin } from "./tls.ts";

/**
 * Creates a registry holding the core plugins (`meta`, `eth`, `vlan`, `ip`, `ipv6`, `tcp`,
 * `udp`, `icmp`, `icmpv6`) and the built-in application plugins (`dns`, `http`, `tls`).
 *
 * @returns A new registry; register your own plugins on it.
 * @example
 * ```ts
 * import { createDefaultRegistry } from "./engine.ts";
 * import assert from "node:assert/strict";
 * const r = createDefaultRegistry();
 * assert.ok(r.attributeNames().includes("tls.sni"));
 * ```
 */
export function createDefaultRegistry(): ProtocolRegistry {
  const r = new ProtocolRegistry();
  for (const p of CORE_PLUGINS) r.register(p);
  r.register(createDnsPlugin());
  r.register(createHttpPlugin());
  r.register(createTlsPlugin());
  return r;
}

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

const ST_UNKNOWN = 0, ST_YES = 1, ST_NO = 2;

/**
 * Runs subscriptions over packets.
 *
 * @example
 * ```ts
 * import { DpiEngine } from "./engine.ts";
 * import { buildPacket } from "../pcap/build.ts";
 * import { decodePacket } from "../pcap/decode.ts";
 * import { PacketView } from "../pcap/packet_view.ts";
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
   * @param attributes Names like `ip.src`, `dns.qname`; unknown names throw a
   *   {@linkcode PcapError} (`UnknownAttribute`).
   * @param handler Called per processed packet with the values (reused array: copy to keep).
   * @param options {@linkcode SubscribeOptions}.
   * @returns The {@linkcode Subscription}.
   */
  subscribe(
    attributes: string[],
    handler: AttributeHandler,
    options: SubscribeOptions = {},
  ): Subscription {
    if (attributes.length === 0) {
      throw new PcapError(
        PcapErrorCode.UnknownAttribute,
        "A subscription needs at least one attribute",
      );
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
    return ((view.linktype & 0xffff) * 1024 + layers) * 256 + ai;
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
    const ai = key % 256;
    const layers = Math.floor(key / 256) % 1024;
    const linktype = Math.floor(key / (256 * 1024));
    const parts: string[] = [];
    if (layers & Layer.LINK) parts.push(linkTypeName(linktype));
    if (layers & Layer.VLAN) parts.push("vlan");
    if (layers & Layer.PPPOE) parts.push("pppoes");
    if (layers & Layer.IPV4) parts.push("ip");
    if (layers & Layer.IPV6) parts.push("ipv6");
    if (layers & Layer.TCP) parts.push("tcp");
    if (layers & Layer.UDP) parts.push("udp");
    if (layers & Layer.ICMP) parts.push("icmp");
    if (layers & Layer.ICMPV6) parts.push("icmpv6");
    if (ai > 0) parts.push(this.#apps[ai - 1].name);
    name = parts.length ? parts.join(":") : linkTypeName(linktype);
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

/** Per-session state of the plugins' session hooks (opaque). */
export type PluginSessionState = unknown[];

/**
 * Runs plugins' session hooks for a session table: a plugin's `init` runs on the first packet
 * of the session it classifies, `packet` on every later packet of the session, `cleanup` when
 * the session is closed; cleanup results come back as `plugin.key` attributes.
 *
 * @example
 * ```ts
 * import { SessionHookRunner, createDefaultRegistry } from "./engine.ts";
 * import { buildPacket } from "../pcap/build.ts";
 * import { decodePacket } from "../pcap/decode.ts";
 * import { PacketView } from "../pcap/packet_view.ts";
 * import assert from "node:assert/strict";
 * const runner = new SessionHookRunner(createDefaultRegistry());
 * const payload = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
 * const b = buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", proto: "tcp", dstPort: 80, payload });
 * const v = new PacketView();
 * v.setRecord(b, 0, b.length, b.length);
 * decodePacket(v);
 * const state = runner.open();
 * runner.packet(state, v, true);
 * assert.deepEqual(runner.close(state), { "http.requests": 1, "http.responses": 0 });
 * ```
 */
export class SessionHookRunner {
  #plugins: ProtocolPlugin[];

  /**
   * Creates a runner for the plugins of a registry that have session hooks.
   *
   * @param registry The registry whose plugins' hooks run.
   */
  constructor(registry: ProtocolRegistry) {
    this.#plugins = registry.list().filter((p) => p.session !== undefined);
  }

  /**
   * Creates the hook state of a new session.
   *
   * @returns The state to keep with the session.
   */
  open(): PluginSessionState {
    return new Array(this.#plugins.length).fill(undefined);
  }

  /**
   * Feeds one packet of the session to the hooks.
   *
   * @param state The session's hook state.
   * @param view The decoded packet.
   * @param fromInitiator Whether it goes from the session's initiator to its responder.
   */
  packet(state: PluginSessionState, view: PacketView, fromInitiator: boolean): void {
    for (let i = 0; i < this.#plugins.length; i++) {
      const p = this.#plugins[i];
      const hooks = p.session!;
      try {
        if (state[i] === undefined) {
          if (!p.classify(view)) continue;
          state[i] = hooks.init(view) ?? null;
        }
        hooks.packet(state[i], view, fromInitiator);
      } catch (err) {
        throw new PcapError(
          PcapErrorCode.SessionHookFailed,
          `Session hook of plugin "${p.name}" failed`,
          {
            cause: err,
          },
        );
      }
    }
  }

  /**
   * Ends the session: runs `cleanup` and returns the merged attributes.
   *
   * @param state The session's hook state.
   * @returns Attributes named `plugin.key`.
   */
  close(state: PluginSessionState): Record<string, AttributeValue> {
    const out: Record<string, AttributeValue> = {};
    for (let i = 0; i < this.#plugins.length; i++) {
      if (state[i] === undefined) continue;
      const p = this.#plugins[i];
      const r = p.session!.cleanup(state[i]);
      if (r) { for (const [k, v] of Object.entries(r)) out[`${p.name}.${k}`] = v; }
    }
    return out;
  }
}
