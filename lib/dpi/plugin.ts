/**
 * What a protocol plugin is: a stable numeric id, a name (the prefix of its attributes: `dns`
 * for `dns.qname`), a classify function, an optional parse step shared by its extractors,
 * attribute extractors and optional session hooks (init, per-packet, cleanup).
 *
 * @module
 */
import type { PacketView } from "../pcap/packet_view.ts";

/** An attribute's value; `undefined` means "absent in this packet". */
export type AttributeValue = string | number | boolean | undefined;

/**
 * Reads one attribute from a packet the plugin has classified (and parsed). It must not keep
 * `view.buf` (or any view of it) past the call: the reader reuses that memory.
 */
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
