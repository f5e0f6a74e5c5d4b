/**
 * The reassembler's per-connection and per-direction tables and their record layout, shared
 * with the stream object handlers read them through.
 *
 * @module
 */

// Numbers per direction (Float64Array `dir`, direction `d` at `d * D_WORDS`); direction
// `slot * 2` is sent by endpoint A of the canonical key, `slot * 2 + 1` by endpoint B. Both
// directions of a connection fit in 64 bytes. Derived: the payload bytes taken in order are
// `D_NEXT - D_MISSED`; the sequence number of stream offset 0 is `D_NEXT_SEQ - D_NEXT` modulo
// 2^32. The FIN's offset is kept apart (the reassembler's own table).
/** Stream offset of the next byte due. */
export const D_NEXT = 0;
/**
 * The sequence number of the next byte due (the ISN + 1, or the first sequence number seen, plus
 * `D_NEXT`, modulo 2^32).
 */
export const D_NEXT_SEQ = 1;
/** Payload bytes seen more than once. */
export const D_RETRANSMITTED = 2;
/** Payload bytes never seen. */
export const D_MISSED = 3;
/** Numbers per direction. */
export const D_WORDS = 4;

// Flags per direction (Uint8Array `flags`).
/** The base sequence number is known. */
export const F_SEEN = 1;
/** A FIN was seen (the reassembler keeps its offset). */
export const F_FIN = 2;
/** The stream ended. */
export const F_ENDED = 4;
/** The handler reads the direction's bytes. */
export const F_DATA = 8;
/** The direction has a list of ranges held out of order (it may be empty). */
export const F_HELD = 16;

/** The tables (replaced as they grow: read them through this object). */
export interface StreamTables {
  /** Canonical keys, `KEY_WORDS` per connection slot. */
  keys: Uint32Array;
  /** Per direction numbers, `D_WORDS` each. */
  dir: Float64Array;
  /** Per direction flags. */
  flags: Uint8Array;
  /** Each slot's connection number. */
  number: Float64Array;
  /** 1 when endpoint A of a slot's key is its originator. */
  origIsA: Uint8Array;
  /** The handler's state of each direction. */
  states: unknown[];
}
