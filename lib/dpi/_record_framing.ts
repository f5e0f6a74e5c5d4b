/**
 * Stream framing for protocols whose messages carry their own length in a fixed header (DNS over
 * TCP: a two-byte length; TLS: a five-byte record header): whole messages inside a segment are
 * handed over where they lie, without a copy; a message split over segments is collected in a
 * buffer of the stream direction's own. After a gap the framing waits for a segment whose first
 * bytes read as a header again.
 *
 * @module
 */
import type { TcpStream } from "../pcap/tcp_stream.ts";
import type { FastMarks, StreamContext, StreamFraming } from "./plugin.ts";

const EMPTY = new Uint8Array(0);

/** How to find the messages of a protocol in its stream. */
export interface RecordFormat {
  /** Bytes of the header that holds the length. */
  readonly headerLength: number;
  /** The largest message accepted (header included); a longer one means the bytes are not it. */
  readonly maxLength: number;
  /** A message's length (header included) from its header at `offset`, or -1 when not valid. */
  recordLength(bytes: Uint8Array, offset: number): number;
  /** Whether a stream direction carries the protocol (see {@linkcode StreamFraming.claim}). */
  claim(stream: TcpStream, bytes: Uint8Array, offset: number, length: number): boolean | undefined;
  /**
   * Hands over one message (default: `ctx.message`); `state.mark` is the plugin's to keep a
   * number per direction in (TLS: ChangeCipherSpec seen).
   */
  record?(ctx: StreamContext, bytes: Uint8Array, offset: number, length: number): void;
}

/** A direction's framing state. */
export class RecordState {
  /** Whether the next byte starts a message or continues the one collected. */
  synced = true;
  /** Bytes to drop before the next message (the rest of a message cut by a gap). */
  skip = 0;
  /** The message being collected. */
  buf: Uint8Array = EMPTY;
  /** Bytes of it collected. */
  have = 0;
  /** Its length, once its header is complete; -1 before. */
  need = -1;
  /** A number the plugin keeps per direction. */
  mark = 0;
}

/**
 * Makes the {@linkcode StreamFraming} of a length-prefixed protocol.
 *
 * @param format The protocol's header and bounds.
 * @returns The framing, to put in a plugin's `stream`.
 */
export function recordFraming(format: RecordFormat): StreamFraming {
  const { headerLength, maxLength } = format;
  const emit = format.record ?? ((ctx, b, o, n) => ctx.message(b, o, n));
  // The stand-in state of a direction read through the fast path while its messages are handed
  // over (`record` may read and set its mark).
  const scratch = new RecordState();
  const collect = (st: RecordState, b: Uint8Array, p: number, n: number) => {
    if (st.have + n > st.buf.length) {
      const grown = new Uint8Array(Math.max(st.buf.length * 2, st.have + n, 64));
      grown.set(st.buf.subarray(0, st.have));
      st.buf = grown;
    }
    st.buf.set(b.subarray(p, p + n), st.have);
    st.have += n;
  };
  return {
    claim: format.claim,
    open(ctx: StreamContext): void {
      ctx.state = new RecordState();
    },
    data(ctx: StreamContext, bytes: Uint8Array, offset: number, length: number): void {
      const st = ctx.state as RecordState;
      let p = offset;
      const end = offset + length;
      if (st.skip > 0) {
        const n = Math.min(st.skip, length);
        st.skip -= n;
        p += n;
      }
      if (!st.synced) {
        // Only a segment whose first bytes read as a header starts again.
        if (p !== offset || end - p < headerLength) return;
        const n = format.recordLength(bytes, p);
        if (n < headerLength || n > maxLength) return;
        st.synced = true;
      }
      while (p < end) {
        if (st.have === 0 && end - p >= headerLength) {
          const n = format.recordLength(bytes, p);
          if (n < headerLength || n > maxLength) {
            st.synced = false;
            return;
          }
          if (end - p >= n) {
            // Whole in this segment: handed over where it lies.
            emit(ctx, bytes, p, n);
            p += n;
            continue;
          }
        }
        if (st.need < 0) {
          const n = Math.min(headerLength - st.have, end - p);
          collect(st, bytes, p, n);
          p += n;
          if (st.have < headerLength) return;
          st.need = format.recordLength(st.buf, 0);
          if (st.need < headerLength || st.need > maxLength) {
            st.synced = false;
            st.have = 0;
            st.need = -1;
            return;
          }
        }
        const n = Math.min(st.need - st.have, end - p);
        collect(st, bytes, p, n);
        p += n;
        if (st.have === st.need) {
          const need = st.need;
          st.have = 0;
          st.need = -1;
          emit(ctx, st.buf, 0, need);
        }
      }
    },
    // A segment of whole messages on a direction without a framing state: `data` on a new
    // state would hand them over where they lie and keep nothing but the mark (`RecordState`
    // back as it was made: in step, nothing collected). Nothing is handed over otherwise.
    whole(ctx: StreamContext, bytes: Uint8Array, offset: number, length: number, marks: FastMarks) {
      const end = offset + length;
      let p = offset;
      while (p < end) {
        if (end - p < headerLength) return false;
        const n = format.recordLength(bytes, p);
        if (n < headerLength || n > maxLength || n > end - p) return false;
        p += n;
      }
      if (p === offset) return false;
      const st = scratch;
      st.mark = marks.own;
      ctx.state = st;
      try {
        for (p = offset; p < end;) {
          const n = format.recordLength(bytes, p);
          emit(ctx, bytes, p, n);
          p += n;
        }
      } finally {
        ctx.state = undefined;
      }
      marks.own = st.mark;
      return true;
    },
    resume(ctx: StreamContext, mark: number): void {
      (ctx.state as RecordState).mark = mark;
    },
    gap(ctx: StreamContext, length: number): void {
      const st = ctx.state as RecordState;
      if (st.skip > 0) {
        const n = Math.min(st.skip, length);
        st.skip -= n;
        length -= n;
        if (length === 0) return;
      }
      if (st.have > 0 && st.need > 0) {
        // A message cut short (by the snap length, or lost bytes): read as far as it goes, and
        // stay in step when the gap ends inside it.
        const rest = st.need - st.have;
        emit(ctx, st.buf, 0, st.have);
        st.have = 0;
        st.need = -1;
        if (length <= rest) {
          st.skip = rest - length;
          return;
        }
      }
      st.have = 0;
      st.need = -1;
      st.synced = false;
    },
    end(ctx: StreamContext): void {
      const st = ctx.state as RecordState;
      st.have = 0;
      st.need = -1;
    },
  };
}
