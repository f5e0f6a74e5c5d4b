/**
 * What correlation reports: the modes, a matched request/response pair with its latency, one
 * packet of a pair (or a packet that never found its partner), and the run's counters.
 *
 * @module
 */

/** The correlation modes (see {@linkcode CORRELATE_MODES}). */
export type CorrelateMode = "payload" | "seed" | "dns" | "tcp-handshake" | "http";

/**
 * Every correlation mode, for command lines:
 *
 * - `payload`: the same transport payload (hash and length) seen twice within the window, on
 *   any flow and either protocol — e.g. UDP in and TCP out through a relay. The first sighting
 *   is the request, or, when `internal` blocks are given, the inbound one (source outside,
 *   destination inside). A second copy on the same flow in the same direction (a
 *   retransmission) is not a match.
 * - `seed`: the response is the packet with source and destination (addresses and ports)
 *   swapped and the same payload hash; TCP and UDP may be exchanged between the two.
 * - `dns`: a DNS query and the response with the same transaction id on the same flow.
 * - `tcp-handshake`: a SYN and the SYN/ACK that answers it.
 * - `http`: an HTTP/1.x request and its response on the same connection, read from the
 *   reassembled TCP stream (pipelined requests are answered in order): the request's time is
 *   its last byte's, `latencyNs` runs to the response's first byte and `lastByteLatencyNs` to
 *   its last (after the body).
 *
 * @example
 * ```ts
 * import { CORRELATE_MODES } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * assert.ok(CORRELATE_MODES.includes("dns"));
 * ```
 */
export const CORRELATE_MODES: readonly CorrelateMode[] = [
  "payload",
  "seed",
  "dns",
  "tcp-handshake",
  "http",
];

/** Why a waiting packet was given up: window passed, store full, or input ended. */
export type UnmatchedReason = "expired" | "evicted" | "end";

/**
 * One packet of a {@linkcode CorrelatedPair} (its request or its response), or a packet that
 * waited in vain. The correlator reuses these objects: they are valid only inside the `onMatch`
 * or `onUnmatched` call, so copy what you keep.
 *
 * @example
 * ```ts
 * import { CorrelatedPacket } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * const packet = new CorrelatedPacket();
 * assert.equal(packet.src.length, 4);
 * ```
 */
export class CorrelatedPacket {
  /** 1-based packet number within its capture. */
  frame = 0;
  /** Capture time: whole seconds. */
  sec = 0;
  /** Capture time: nanoseconds within the second. */
  nsec = 0;
  /** 4 or 6. */
  family: 4 | 6 = 4;
  /** IP protocol number. */
  proto = 0;
  /** Source address words (IPv4 in word 0). */
  readonly src: Uint32Array = new Uint32Array(4);
  /** Destination address words. */
  readonly dst: Uint32Array = new Uint32Array(4);
  /** Source port. */
  sport = 0;
  /** Destination port. */
  dport = 0;
  /** Transport payload length. */
  payLen = 0;
  /** Length on the wire. */
  wireLen = 0;
}

/**
 * A request and its response, with the latency between them. The correlator reuses one
 * instance for every pair: copy what you keep.
 *
 * @example
 * ```ts
 * import { CorrelatedPair } from "@mxy/mxy/pcap";
 * import assert from "node:assert/strict";
 * const pair = new CorrelatedPair();
 * assert.equal(pair.latencyNs, 0);
 * assert.notEqual(pair.request, pair.response);
 * ```
 */
export class CorrelatedPair {
  /** The mode that made the pair. */
  mode: CorrelateMode = "payload";
  /** The request. */
  readonly request: CorrelatedPacket = new CorrelatedPacket();
  /** The response. */
  readonly response: CorrelatedPacket = new CorrelatedPacket();
  /** Response time minus request time, in nanoseconds (negative when the inbound came last). */
  latencyNs = 0;
  /**
   * `http` mode: nanoseconds from the request to the response's last byte (its body included);
   * -1 in other modes.
   */
  lastByteLatencyNs: number = -1;
  /** `http` mode: the packet number of the response's last byte; 0 in other modes. */
  lastByteFrame = 0;
  /** DNS transaction id in `dns` mode, the payload hash in `payload`/`seed`, otherwise 0. */
  tag = 0;
}

/** Counters of a correlation run. */
export interface CorrelateStats {
  /** Packets read from the capture. */
  packets: number;
  /** Packets decoded down to IP and transport. */
  decoded: number;
  /** Request/response pairs found. */
  matched: number;
  /** Packets that waited and never found a partner (expired, evicted or left at the end). */
  unmatched: number;
  /** Of those, dropped because they waited longer than the window. */
  expired: number;
  /** Of those, dropped because the store held `maxPending` entries. */
  evicted: number;
  /** Packets that could not be decoded or read. */
  errors: number;
  /** Repeats ignored while the first copy waited: retransmitted SYNs, queries or payloads. */
  duplicates: number;
  /** Entries waiting right now. */
  pending: number;
}
