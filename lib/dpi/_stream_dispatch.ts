/**
 * The DPI engine's consumer of reassembled TCP streams: each stream direction is offered to the
 * plugins with stream framing until one claims it (from the first bytes, or at a later segment
 * start when the capture began mid-stream); the claiming plugin's framing then gets the
 * direction's bytes, gaps and end, and hands complete messages back to the engine.
 *
 * @module
 */
import type { TcpStream, TcpStreamEnd, TcpStreamHandler } from "../pcap/tcp_stream.ts";
import type { FastMarks, ProtocolPlugin, StreamContext, StreamFraming } from "./plugin.ts";

/** Bytes kept from a stream's start while no plugin can tell yet whether it is theirs. */
const MAX_PREFIX = 64;
/** Bytes offered to the plugins without a claim before a direction's bytes are no longer read. */
const MAX_UNCLAIMED = 1024 * 1024;
/** Directions kept for reuse by later streams. */
const MAX_POOLED = 1024;
/**
 * A direction read only through its plugin's fast path (`StreamFraming.whole`) has no object:
 * its state is the negative number `-(1 + plugin + MARK_STEP * mark)`.
 */
const MARK_STEP = 1024;

/** The plugin of a mark state. */
function markPlugin(state: number): number {
  return (-state - 1) % MARK_STEP;
}

/** The plugin's number of a mark state. */
function markValue(state: number): number {
  return Math.floor((-state - 1) / MARK_STEP);
}

/** Called with each message a plugin's framing completes. */
export type MessageCallback = (
  plugin: number,
  ctx: Direction,
  bytes: Uint8Array,
  offset: number,
  length: number,
) => void;

/**
 * One direction of a stream claimed by a plugin, or kept while no plugin can tell yet (the
 * framing's {@linkcode StreamContext}). A direction no plugin claimed has no object: its state
 * is the number of bytes offered so far (`undefined` before any); nor has one its plugin reads
 * through the fast path only (a negative number: see `MARK_STEP`).
 */
export class Direction implements StreamContext {
  /** The reassembler's stream object: valid during its calls, which is when framings run. */
  readonly stream: TcpStream;
  state: unknown = undefined;
  /** Index (in the engine's plugin list) of the plugin that claimed the direction, or -1. */
  plugin = -1;
  /** The claiming plugin's framing. */
  framing: StreamFraming | null = null;
  /** Bytes offered without a claim. */
  offered = 0;
  /** The stream's first bytes, kept while no plugin could tell. */
  prefix: Uint8Array | null = null;
  prefixLength = 0;
  /** Whether the direction ended. */
  ended = false;
  readonly #onMessage: MessageCallback;

  constructor(stream: TcpStream, onMessage: MessageCallback) {
    this.stream = stream;
    this.#onMessage = onMessage;
  }

  get peerState(): unknown {
    const peer = this.stream.peerState;
    return peer instanceof Direction && peer.plugin === this.plugin ? peer.state : undefined;
  }

  message(bytes: Uint8Array, offset: number, length: number): void {
    this.#onMessage(this.plugin, this, bytes, offset, length);
  }
}

/** Offers streams to the plugins with stream framing and feeds the claiming one. */
export class StreamDispatch implements TcpStreamHandler {
  /** Indexes of the plugins offered new streams, in classification order. */
  #candidates: number[] = [];
  /** For each candidate plugin index: the candidates with that plugin first. */
  #orders: (readonly number[] | undefined)[] = [];
  readonly #plugins: readonly ProtocolPlugin[];
  readonly #onMessage: MessageCallback;
  #pool: Direction[] = [];
  /** The context of messages handed over by fast paths (no state of its own). */
  #fastContext: Direction | null = null;
  #marks: FastMarks = { own: 0, peer: -1 };

  /**
   * @param plugins The engine's plugins (those with `stream` may take part).
   * @param onMessage Called with each complete message.
   */
  constructor(plugins: readonly ProtocolPlugin[], onMessage: MessageCallback) {
    this.#plugins = plugins;
    this.#onMessage = onMessage;
  }

  /**
   * Sets which plugins new streams are offered to (those whose attributes are subscribed);
   * streams already claimed go on.
   *
   * @param indexes Plugin indexes with stream framing, in classification order.
   */
  offerTo(indexes: readonly number[]): void {
    this.#candidates = indexes.filter((i) => this.#plugins[i].stream !== undefined);
    this.#orders = new Array(this.#plugins.length).fill(undefined);
    for (const first of this.#candidates) {
      this.#orders[first] = [first, ...this.#candidates.filter((i) => i !== first)];
    }
  }

  // (No `open`: every direction is offered — the engine feeds the reassembly only while some
  // plugin is a candidate — and its state starts `undefined`, read as 0 bytes offered.)

  data(stream: TcpStream, bytes: Uint8Array, offset: number, length: number): void {
    const d = stream.state;
    if (d instanceof Direction && d.framing !== null) {
      d.framing.data(d, bytes, offset, length);
      return;
    }
    if (typeof d === "number" && d < 0) {
      // Read through its plugin's fast path so far: again, or it gets its framing state now.
      const i = markPlugin(d), mark = markValue(d);
      const framing = this.#plugins[i].stream!;
      if (!this.#fast(stream, i, framing, mark, bytes, offset, length)) {
        this.#claim(stream, null, i, framing, mark, bytes, offset, length);
      }
      return;
    }
    this.#offer(stream, d, bytes, offset, length);
  }

  gap(stream: TcpStream, length: number): void {
    let d = stream.state;
    if (typeof d === "number" && d < 0) {
      // Read through its plugin's fast path so far: the gap goes to its framing state, made now.
      const i = markPlugin(d);
      d = this.#state(stream, null, i, this.#plugins[i].stream!, markValue(d));
    }
    if (!(d instanceof Direction)) return;
    if (d.framing !== null) d.framing.gap(d, length);
    else d.prefixLength = 0; // what was kept no longer starts the bytes that follow
  }

  end(stream: TcpStream, _reason: TcpStreamEnd): void {
    const d = stream.state;
    if (!(d instanceof Direction)) return;
    if (d.framing !== null) d.framing.end(d);
    d.ended = true;
    // The later of two claimed directions to end lets both serve later streams.
    const peer = stream.peerState;
    if (peer instanceof Direction && peer.ended) {
      this.#release(d);
      this.#release(peer);
    }
  }

  /** A direction from the pool (or new), for `stream`. */
  #direction(stream: TcpStream): Direction {
    return this.#pool.pop() ?? new Direction(stream, this.#onMessage);
  }

  #release(d: Direction): void {
    d.state = undefined;
    d.plugin = -1;
    d.framing = null;
    d.offered = d.prefixLength = 0;
    d.ended = false;
    if (this.#pool.length < MAX_POOLED) this.#pool.push(d);
  }

  /** Asks the plugins whether the direction is theirs, from its first bytes. */
  #offer(
    stream: TcpStream,
    state: unknown,
    bytes: Uint8Array,
    offset: number,
    length: number,
  ): void {
    const kept = state instanceof Direction ? state : null;
    let b = bytes, o = offset, n = length;
    if (kept !== null && kept.prefixLength > 0) {
      // Earlier bytes no plugin could decide on: ask again with these after them.
      const take = Math.min(length, MAX_PREFIX - kept.prefixLength);
      kept.prefix!.set(bytes.subarray(offset, offset + take), kept.prefixLength);
      b = kept.prefix!;
      o = 0;
      n = kept.prefixLength + take;
    }
    let undecided = false;
    const order = this.#order(stream);
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      const framing = this.#plugins[i].stream!;
      const answer = framing.claim(stream, b, o, n);
      if (answer === true) {
        if (kept === null && this.#fast(stream, i, framing, 0, bytes, offset, length)) return;
        this.#claim(stream, kept, i, framing, 0, bytes, offset, length);
        return;
      }
      if (answer === undefined) undecided = true;
    }
    const keptLength = kept?.prefixLength ?? 0;
    if (undecided && keptLength + length < MAX_PREFIX) {
      const d = kept ?? this.#direction(stream);
      stream.state = d;
      d.prefix ??= new Uint8Array(MAX_PREFIX);
      if (keptLength === 0) d.prefix.set(bytes.subarray(offset, offset + length));
      d.prefixLength += length;
      return;
    }
    if (kept !== null) {
      kept.prefixLength = 0;
      kept.offered += length;
      if (kept.offered > MAX_UNCLAIMED) stream.wantsData = false;
    } else {
      const offered = ((state as number | undefined) ?? 0) + length;
      stream.state = offered;
      if (offered > MAX_UNCLAIMED) stream.wantsData = false;
    }
  }

  /**
   * Tries plugin `i`'s fast path on a segment of a direction without a framing state (`mark`:
   * its mark, 0 when just claimed): `true` when it took the segment (the direction's state is
   * then its mark).
   */
  #fast(
    stream: TcpStream,
    i: number,
    framing: StreamFraming,
    mark: number,
    bytes: Uint8Array,
    offset: number,
    length: number,
  ): boolean {
    if (framing.whole === undefined) return false;
    const peer = stream.peerState;
    let peerMark = -1;
    if (typeof peer === "number" && peer < 0) {
      if (markPlugin(peer) === i) peerMark = markValue(peer);
    } else if (peer instanceof Direction && peer.plugin === i) return false;
    const marks = this.#marks;
    marks.own = mark;
    marks.peer = peerMark;
    const ctx = this.#fastContext ??= new Direction(stream, this.#onMessage);
    ctx.plugin = i;
    if (!framing.whole(ctx, bytes, offset, length, marks)) return false;
    stream.state = -(1 + i + MARK_STEP * marks.own);
    if (peerMark >= 0 && marks.peer !== peerMark) {
      stream.peerState = -(1 + i + MARK_STEP * marks.peer);
    }
    return true;
  }

  /**
   * Plugin `i` claimed a direction (or one read through its fast path gets its framing state):
   * the direction's framing state is made, then the bytes kept while no plugin could tell and
   * these are handed to it.
   */
  #claim(
    stream: TcpStream,
    kept: Direction | null,
    i: number,
    framing: StreamFraming,
    mark: number,
    bytes: Uint8Array,
    offset: number,
    length: number,
  ): void {
    const d = this.#state(stream, kept, i, framing, mark);
    if (d.prefixLength > 0) {
      const before = d.prefixLength;
      d.prefixLength = 0;
      framing.data(d, d.prefix!, 0, before);
    }
    d.prefix = null;
    framing.data(d, bytes, offset, length);
  }

  /**
   * Makes the framing state of a direction plugin `i` claimed (`mark`: its fast path's mark, 0
   * when none): the other direction's first, when it has a mark of the same plugin, so that the
   * two are linked as if both had had theirs from the start.
   */
  #state(
    stream: TcpStream,
    kept: Direction | null,
    i: number,
    framing: StreamFraming,
    mark: number,
  ): Direction {
    const peer = stream.peerState;
    if (typeof peer === "number" && peer < 0 && markPlugin(peer) === i) {
      const p = this.#direction(stream);
      stream.peerState = p;
      p.plugin = i;
      p.framing = framing;
      // (Its `peerState` reads its own state here, not yet set: it links to nothing.)
      framing.open(p);
      const peerMark = markValue(peer);
      if (peerMark > 0) framing.resume?.(p, peerMark);
    }
    const d = kept ?? this.#direction(stream);
    stream.state = d;
    d.plugin = i;
    d.framing = framing;
    framing.open(d);
    if (mark > 0) framing.resume?.(d, mark);
    return d;
  }

  /** The candidates, the plugin that claimed the other direction first. */
  #order(stream: TcpStream): readonly number[] {
    const peer = stream.peerState;
    let plugin = -1;
    if (peer instanceof Direction) plugin = peer.plugin;
    else if (typeof peer === "number" && peer < 0) plugin = markPlugin(peer);
    if (plugin < 0) return this.#candidates;
    return this.#orders[plugin] ?? this.#candidates;
  }
}
