/**
 * What a protocol plugin is: a stable numeric id, a name (the prefix of its attributes: `dns`
 * for `dns.qname`), a classify function, an optional parse step shared by its extractors,
 * attribute extractors, optional session hooks (init, per-packet, cleanup) and optional stream
 * framing (messages found in reassembled TCP streams).
 *
 * @module
 */
import type { PacketView } from "../pcap/packet_view.ts";
import type { TcpStream } from "../pcap/tcp_stream.ts";

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

/**
 * One claimed direction of a reassembled TCP stream, as a plugin's {@linkcode StreamFraming}
 * sees it: the stream (who sends, the capture time of the packet being processed), the
 * framing's own state, and where complete messages go.
 */
export interface StreamContext {
  /** The stream direction. */
  readonly stream: TcpStream;
  /** The framing's state for this direction (set it in `open`). */
  state: unknown;
  /**
   * The framing state of the connection's other direction when the same plugin claimed it
   * (to pair requests with responses), else `undefined`.
   */
  readonly peerState: unknown;
  /**
   * Hands over one complete message, `bytes[offset, offset + length)` (valid during the call
   * only). The engine runs the plugin's `classify`, `parse` and the subscribed extractors on it
   * at once, as on a packet whose transport payload is exactly the message, and reports their
   * values on the packet being processed.
   */
  message(bytes: Uint8Array, offset: number, length: number): void;
}

/**
 * The small numbers a {@linkcode StreamFraming.whole} fast path keeps for a stream direction
 * instead of a framing state (`own`), and for the other direction when the same plugin reads it
 * that way too (`peer`, else -1). Marks are whole numbers from 0 to 2^19.
 */
export interface FastMarks {
  /** The direction's mark (0 when it was just claimed); set it to the mark to keep. */
  own: number;
  /** The other direction's mark, or -1 when it has none; a change is kept. */
  peer: number;
}

/** The largest mark a `StreamFraming.whole` fast path may keep (2^19). */
export const MAX_FAST_MARK = 1 << 19;

/**
 * How a plugin reads reassembled TCP streams: which stream directions are its protocol, and
 * where each message starts and ends in their bytes. With it, a message spread over segments
 * (headers after a large cookie, a TLS record over three segments, DNS messages split or packed
 * several to a segment) is read whole and reported on the packet that completes it, as tshark
 * does; the segments before carry no attribute of the plugin.
 */
export interface StreamFraming {
  /**
   * Whether a stream direction carries the protocol, from its first bytes (and those of any
   * later segment while no plugin has claimed it): `true`, `false`, or `undefined` to be asked
   * again with more bytes.
   */
  claim(stream: TcpStream, bytes: Uint8Array, offset: number, length: number): boolean | undefined;
  /** A direction was claimed: set `ctx.state`. */
  open(ctx: StreamContext): void;
  /** The direction's next bytes, in order: call `ctx.message` for each message they complete. */
  data(ctx: StreamContext, bytes: Uint8Array, offset: number, length: number): void;
  /** `length` bytes were never seen (lost by the capture). */
  gap(ctx: StreamContext, length: number): void;
  /** The direction ended: a message it completes may still be handed over. */
  end(ctx: StreamContext): void;
  /**
   * Optional fast path for the common segment that holds whole messages only. It is asked about
   * a segment that starts where a message may start on a direction the plugin claimed but keeps
   * no framing state for (just claimed, or read only through this path so far), unless the
   * other direction has a framing state of this plugin. When handing the segment to `data` of a
   * direction just `open`ed (and `resume`d with `marks.own`) would hand over whole messages and
   * leave nothing to keep but numbers, hand those messages over the same way (`ctx.message`,
   * with `ctx.state` not set), update the marks and return `true`. Otherwise return `false`
   * having handed over nothing: the direction is then given its framing state (`open`, then
   * `resume`; the other direction first when it has a mark) and the segment through `data`. A
   * gap on a direction read this way gives it its framing state the same way before `gap`.
   */
  whole?(
    ctx: StreamContext,
    bytes: Uint8Array,
    offset: number,
    length: number,
    marks: FastMarks,
  ): boolean;
  /** A direction read through `whole` so far gets its framing state: `open`, then this. */
  resume?(ctx: StreamContext, mark: number): void;
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
  /**
   * Optional stream framing: when present, the engine reads the plugin's TCP packets as
   * reassembled streams (unless told not to) and its attributes come from the messages.
   */
  readonly stream?: StreamFraming;
}
