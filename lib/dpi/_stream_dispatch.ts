/**
 * The DPI engine's consumer of reassembled TCP streams: each stream direction is offered to the
 * plugins with stream framing until one claims it (from the first bytes, or at a later segment
 * start when the capture began mid-stream); the claiming plugin's framing then gets the
 * direction's bytes, gaps and end, and hands complete messages back to the engine.
 *
 * @module
 */
import type { TcpStream, TcpStreamEnd, TcpStreamHandler } from "../pcap/tcp_stream.ts";
import type { ProtocolPlugin, StreamContext, StreamFraming } from "./plugin.ts";

/** Bytes kept from a stream's start while no plugin can tell yet whether it is theirs. */
const MAX_PREFIX = 64;
/** Bytes offered to the plugins without a claim before a direction's bytes are no longer read. */
const MAX_UNCLAIMED = 1024 * 1024;

/** Called with each message a plugin's framing completes. */
export type MessageCallback = (
  plugin: number,
  ctx: Direction,
  bytes: Uint8Array,
  offset: number,
  length: number,
) => void;

/** One direction of a stream as the engine tracks it (the framing's {@linkcode StreamContext}). */
export class Direction implements StreamContext {
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
  readonly #onMessage: MessageCallback;

  constructor(stream: TcpStream, onMessage: MessageCallback) {
    this.stream = stream;
    this.#onMessage = onMessage;
  }

  get peerState(): unknown {
    const peer = this.stream.peer.state;
    return peer instanceof Direction && peer.plugin === this.plugin ? peer.state : undefined;
  }

  message(bytes: Uint8Array, offset: number, length: number): void {
    this.#onMessage(this.plugin, this, bytes, offset, length);
  }
}

/** Offers streams to the plugins with stream framing and feeds the claiming one. */
export class StreamDispatch implements TcpStreamHandler {
  /** Indexes of the plugins with stream framing, in classification order. */
  readonly #candidates: number[];
  readonly #plugins: readonly ProtocolPlugin[];
  readonly #onMessage: MessageCallback;

  /**
   * @param plugins The engine's plugins (those with `stream` take part).
   * @param onMessage Called with each complete message.
   */
  constructor(plugins: readonly ProtocolPlugin[], onMessage: MessageCallback) {
    this.#plugins = plugins;
    this.#candidates = [];
    plugins.forEach((p, i) => {
      if (p.stream !== undefined) this.#candidates.push(i);
    });
    this.#onMessage = onMessage;
  }

  open(stream: TcpStream): boolean {
    stream.state = new Direction(stream, this.#onMessage);
    return this.#candidates.length > 0;
  }

  data(stream: TcpStream, bytes: Uint8Array, offset: number, length: number): void {
    const d = stream.state as Direction;
    if (d.framing !== null) {
      d.framing.data(d, bytes, offset, length);
      return;
    }
    this.#offer(d, bytes, offset, length);
  }

  gap(stream: TcpStream, length: number): void {
    const d = stream.state as Direction;
    if (d.framing !== null) d.framing.gap(d, length);
    else d.prefixLength = 0; // what was kept no longer starts the bytes that follow
  }

  end(stream: TcpStream, _reason: TcpStreamEnd): void {
    const d = stream.state as Direction;
    if (d.framing !== null) d.framing.end(d);
  }

  /** Asks the plugins whether the direction is theirs, from its first bytes. */
  #offer(d: Direction, bytes: Uint8Array, offset: number, length: number): void {
    let b = bytes, o = offset, n = length;
    if (d.prefixLength > 0) {
      // Earlier bytes no plugin could decide on: ask again with these after them.
      const take = Math.min(length, MAX_PREFIX - d.prefixLength);
      d.prefix!.set(bytes.subarray(offset, offset + take), d.prefixLength);
      b = d.prefix!;
      o = 0;
      n = d.prefixLength + take;
    }
    let undecided = false;
    const order = this.#order(d);
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      const framing = this.#plugins[i].stream!;
      const answer = framing.claim(d.stream, b, o, n);
      if (answer === true) {
        d.plugin = i;
        d.framing = framing;
        framing.open(d);
        if (d.prefixLength > 0) {
          const kept = d.prefixLength;
          d.prefixLength = 0;
          framing.data(d, d.prefix!, 0, kept);
        }
        d.prefix = null;
        framing.data(d, bytes, offset, length);
        return;
      }
      if (answer === undefined) undecided = true;
    }
    if (undecided && d.prefixLength + length < MAX_PREFIX) {
      d.prefix ??= new Uint8Array(MAX_PREFIX);
      if (d.prefixLength === 0) d.prefix.set(bytes.subarray(offset, offset + length));
      d.prefixLength += length;
      return;
    }
    d.prefixLength = 0;
    d.offered += length;
    if (d.offered > MAX_UNCLAIMED) d.stream.wantsData = false;
  }

  /** The candidates, the plugin that claimed the other direction first. */
  #order(d: Direction): readonly number[] {
    const peer = d.stream.peer.state;
    if (!(peer instanceof Direction) || peer.plugin < 0 || this.#candidates[0] === peer.plugin) {
      return this.#candidates;
    }
    return [peer.plugin, ...this.#candidates.filter((i) => i !== peer.plugin)];
  }
}
