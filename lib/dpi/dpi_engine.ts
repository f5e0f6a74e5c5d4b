/**
 * The attribute engine: handlers subscribe to `protocol.attribute` names and are called with
 * their values for each packet. Only subscribed attributes are extracted, and a plugin's
 * classify/parse runs at most once per packet, only when one of its attributes is wanted. The
 * TCP packets of plugins with stream framing (DNS, HTTP, TLS) are reassembled into streams and
 * their attributes come from whole messages, reported on the packet that completes each. Also
 * the application protocol of a packet and its protocol path (`eth:ip:udp:dns`).
 *
 * @module
 */
import { Layer, PacketView } from "../pcap/packet_view.ts";
import { protocolPath } from "../pcap/protocol_path.ts";
import { FlowPacket } from "../pcap/flow_packet.ts";
import {
  type ReassemblyStats,
  TcpReassembler,
  type TcpReassemblerOptions,
} from "../pcap/tcp_reassembler.ts";
import { type Direction, StreamDispatch } from "./_stream_dispatch.ts";
import { messageView } from "./_message_view.ts";
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

/** How the engine reassembles TCP streams (see `TcpReassemblerOptions` of `@mxy/mxy/pcap`). */
export type ReassemblyOptions = Omit<TcpReassemblerOptions, "handler">;

/** Options for {@linkcode DpiEngine}. */
export interface DpiEngineOptions {
  /** The registry (default {@linkcode createDefaultRegistry}()). */
  registry?: ProtocolRegistry;
  /**
   * Reassemble TCP streams for plugins with stream framing whose attributes are subscribed
   * (default `true`). With `false` every packet is read on its own, as before reassembly: a
   * message split over segments is read as far as its first segment goes.
   */
  reassemble?: boolean;
  /** Bounds and policy of the reassembly (memory, overlaps, idle time). */
  reassembly?: ReassemblyOptions;
}

interface Sub {
  attributes: string[];
  plugins: Int32Array;
  extract: ((v: PacketView) => AttributeValue)[];
  values: AttributeValue[];
  /** Values gathered from the messages of the packets fed to the reassembly (stream plugins). */
  gathered: AttributeValue[];
  /** The feed number each gathered value belongs to (older ones are absent). */
  gatheredFeed: Float64Array;
  handler: AttributeHandler;
  requireAny: boolean;
}

/** A value as `tshark -T fields` prints it, for joining the values of several messages. */
function fieldText(v: string | number | boolean): string {
  return typeof v === "boolean" ? (v ? "1" : "0") : String(v);
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
  /** Packets processed (a count of its own: `packets` is the caller's to reset). */
  #seq = 0;
  /**
   * The packet (`#seq`) `#state` was last cleared for: it is cleared at the first `#applies` of
   * each packet, so packets whose subscribed attributes all come from reassembled streams (no
   * plugin is asked about them) do not clear it.
   */
  #stateOf = -1;
  #subs: Sub[] = [];
  #apps: ProtocolPlugin[] = [];
  #pathNames = new Map<number, string>();
  // Reassembly: whether it may run, whether a subscription needs it, and its state.
  #reassemble: boolean;
  #reassemblyOptions: ReassemblyOptions;
  #streams = false;
  #reassembler: TcpReassembler | null = null;
  #dispatch: StreamDispatch | null = null;
  #isStream: Uint8Array = new Uint8Array(0);
  /** Per plugin: 1 when a subscription reads it (its messages are then extracted). */
  #wanted: Uint8Array = new Uint8Array(0);
  /** Messages each plugin completed, and the feed they belong to (older counts are 0). */
  #messages: Int32Array = new Int32Array(0);
  #messagesFeed: Float64Array = new Float64Array(0);
  /** Packets fed to the reassembly so far: each fed packet's number. */
  #feeds = 0;
  #flow = new FlowPacket();
  #messageView = new PacketView();
  /** The packet being fed to the reassembler (messages are reported on it). */
  #current: PacketView | null = null;
  // The last packet fed, to answer `classify` about it from its messages.
  #fedView: PacketView | null = null;
  #fedNumber = -1;
  #fedBuf: Uint8Array | null = null;
  #fedOffset = -1;
  /** Packets processed. */
  packets = 0;
  /** Packets where a classified plugin's parse step failed (malformed for that protocol). */
  protocolErrors = 0;
  /** Messages of reassembled streams read (each reported on the packet that completed it). */
  messages = 0;
  /** Messages completed without a packet to report them on (at `finish`, idle expiry). */
  unreported = 0;

  /**
   * Creates an engine over a registry.
   *
   * @param options {@linkcode DpiEngineOptions}.
   */
  constructor(options: DpiEngineOptions = {}) {
    this.registry = options.registry ?? createDefaultRegistry();
    this.#reassemble = options.reassemble ?? true;
    this.#reassemblyOptions = { ...options.reassembly };
    this.#refreshPlugins();
  }

  /**
   * The reassembly's counters, or `null` while no stream was reassembled.
   *
   * @returns The counters of the engine's `TcpReassembler`.
   */
  get reassembly(): ReassemblyStats | null {
    return this.#reassembler?.stats ?? null;
  }

  #refreshPlugins(): void {
    const list = this.registry.list();
    if (list.length !== this.#plugins.length) {
      this.#plugins = [...list];
      this.#state = new Uint8Array(list.length);
      this.#apps = list.filter((p) => p.layer === "application" || p.layer === undefined);
      this.#pathNames.clear();
      this.#isStream = Uint8Array.from(list, (p) => (p.stream !== undefined ? 1 : 0));
      this.#messages = new Int32Array(list.length);
      this.#messagesFeed = new Float64Array(list.length).fill(-1);
      this.#wanted = new Uint8Array(list.length);
      if (this.#reassembler !== null) {
        // Streams already claimed keep their plugin indexes: start over with the new list.
        this.#reassembler.finish();
        this.#reassembler = null;
        this.#dispatch = null;
      }
    }
  }

  /** Which plugins subscriptions read, and whether one of them has stream framing. */
  #updateStreams(): void {
    const wanted = this.#wanted;
    wanted.fill(0);
    for (const sub of this.#subs) {
      for (let k = 0; k < sub.plugins.length; k++) wanted[sub.plugins[k]] = 1;
    }
    const offered: number[] = [];
    for (let i = 0; i < wanted.length; i++) {
      if (wanted[i] === 1 && this.#isStream[i] === 1) offered.push(i);
    }
    this.#streams = this.#reassemble && offered.length > 0;
    this.#dispatch?.offerTo(offered);
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
      gathered: new Array(attributes.length).fill(undefined),
      gatheredFeed: new Float64Array(attributes.length).fill(-1),
      handler,
      requireAny: options.requireAny ?? false,
    };
    this.#subs.push(sub);
    this.#updateStreams();
    return {
      attributes: sub.attributes,
      unsubscribe: () => {
        this.#subs = this.#subs.filter((s) => s !== sub);
        this.#updateStreams();
      },
    };
  }

  #applies(i: number, view: PacketView): boolean {
    if (this.#stateOf !== this.#seq) {
      this.#state.fill(ST_UNKNOWN);
      this.#stateOf = this.#seq;
    }
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
   * Runs every subscription on a decoded packet. A TCP packet goes through the reassembly
   * first when a subscribed plugin reads streams: that plugin's attributes are then those of
   * the messages the packet completes (several messages: their values joined by commas, as
   * tshark prints them), and absent on segments that complete none.
   *
   * @param view The packet (decoded).
   */
  process(view: PacketView): void {
    this.packets++;
    this.#seq++;
    const subs = this.#subs;
    const streamed = this.#streams && this.#feed(view);
    const isStream = this.#isStream;
    for (let s = 0; s < subs.length; s++) {
      const sub = subs[s];
      const values = sub.values;
      let any = false;
      for (let k = 0; k < values.length; k++) {
        let val: AttributeValue = undefined;
        const pi = sub.plugins[k];
        if (streamed && isStream[pi] === 1) {
          if (sub.gatheredFeed[k] === this.#feeds) val = sub.gathered[k];
        } else if (this.#applies(pi, view)) {
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
   * Ends the streams still open (what waits is read, holes as gaps) and returns the
   * reassembly's counters. Call it after the last packet; messages completed now have no packet
   * to be reported on and are counted in {@linkcode DpiEngine.unreported}.
   *
   * @returns The reassembly's counters, or `null` when nothing was reassembled.
   */
  finish(): ReassemblyStats | null {
    return this.#reassembler?.finish() ?? null;
  }

  /** Feeds a TCP packet to the reassembly; `false` for other packets. */
  #feed(view: PacketView): boolean {
    if ((view.layers & Layer.TCP) === 0 || view.payloadOffset < 0) return false;
    if (this.#reassembler === null) {
      const dispatch = new StreamDispatch(
        this.#plugins,
        (pi, d, b, o, n) => this.#onMessage(pi, d, b, o, n),
      );
      this.#dispatch = dispatch;
      this.#updateStreams();
      this.#reassembler = new TcpReassembler({ ...this.#reassemblyOptions, handler: dispatch });
    }
    this.#feeds++; // values gathered for earlier packets no longer count
    this.#flow.readView(view);
    this.#current = view;
    try {
      this.#reassembler.push(this.#flow);
    } finally {
      this.#current = null;
    }
    this.#fedView = view;
    this.#fedNumber = view.number;
    this.#fedBuf = view.buf;
    this.#fedOffset = view.payloadOffset;
    return true;
  }

  /** A plugin's framing completed a message: extract its subscribed attributes now. */
  #onMessage(pi: number, d: Direction, bytes: Uint8Array, offset: number, length: number): void {
    const view = this.#current;
    if (view === null || d.stream.frame !== view.number) {
      this.unreported++;
      return;
    }
    this.messages++;
    if (this.#messagesFeed[pi] !== this.#feeds) {
      this.#messagesFeed[pi] = this.#feeds;
      this.#messages[pi] = 0;
    }
    this.#messages[pi]++;
    const mv = messageView(view, d.stream, this.#messageView, bytes, offset, length);
    const plugin = this.#plugins[pi];
    let ok = false;
    try {
      ok = plugin.classify(mv);
      if (ok && plugin.parse && !plugin.parse(mv)) {
        ok = false;
        this.protocolErrors++;
      }
    } catch {
      this.protocolErrors++;
    }
    if (!ok) return;
    const subs = this.#subs;
    for (let s = 0; s < subs.length; s++) {
      const sub = subs[s];
      for (let k = 0; k < sub.plugins.length; k++) {
        if (sub.plugins[k] !== pi) continue;
        let val: AttributeValue = undefined;
        try {
          val = sub.extract[k](mv);
        } catch {
          this.protocolErrors++;
        }
        if (val === undefined) continue;
        if (sub.gatheredFeed[k] !== this.#feeds) {
          sub.gatheredFeed[k] = this.#feeds;
          sub.gathered[k] = val;
        } else sub.gathered[k] = `${fieldText(sub.gathered[k]!)},${fieldText(val)}`;
      }
    }
  }

  /** Whether `view` is the packet last fed to the reassembly. */
  #wasFed(view: PacketView): boolean {
    return view === this.#fedView && view.number === this.#fedNumber && view.buf === this.#fedBuf &&
      view.payloadOffset === this.#fedOffset;
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
    // A packet just read through the reassembly belongs to a stream plugin when it completed
    // one of its messages (the segments before are TCP, as tshark shows them).
    const fed = this.#streams && this.#wasFed(view);
    for (let i = 0; i < apps.length; i++) {
      const app = apps[i];
      if (fed && app.stream !== undefined) {
        const pi = this.#plugins.indexOf(app);
        if (this.#messagesFeed[pi] === this.#feeds && this.#messages[pi] > 0) return app;
        continue;
      }
      try {
        if (app.classify(view)) return app;
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
