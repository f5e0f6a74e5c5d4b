/**
 * Runs a capture through a {@linkcode Correlator}: reads every packet (bytes, a stream or a
 * positional source), turns the view into flow facts and pushes them, counting decode errors.
 * `correlateFile` in `@mxy/mxy/deno` does the same for a path.
 *
 * @module
 */
import {
  type CaptureSource,
  forEachPacket,
  type ReadOptions,
  type ReadSummary,
} from "./capture_reader.ts";
import { FlowPacket } from "./flow_packet.ts";
import type { Correlator } from "./correlator.ts";

/** Options for {@linkcode correlateStream}. */
export interface CorrelateStreamOptions {
  /** Checked before each packet; returning `true` stops the reading (e.g. on SIGINT). */
  shouldStop?: () => boolean;
  /** Passed on to the reader (`chunkSize`, `name` …). */
  read?: ReadOptions;
  /**
   * Names the application protocol of packets with a transport payload (e.g. a DPI engine's
   * classifier, through `p.view`); `dns` mode then also finds DNS off port 53.
   */
  classify?: (p: FlowPacket) => string;
}

/**
 * Feeds every packet of a capture to a correlator. The correlator keeps its pending packets
 * between calls, so consecutive captures (rotated files) are correlated across their borders;
 * call `finish()` on it at the end.
 *
 * @param source The capture's bytes, a stream of them, or a positional source.
 * @param correlator The correlator to feed.
 * @param options {@linkcode CorrelateStreamOptions}.
 * @returns The reader's summary.
 * @throws {PcapError} When the capture is damaged or cannot be read.
 * @example
 * ```ts
 * import { correlateStream, Correlator, LinkType, PcapWriter } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const dns = (id: number, response: boolean) =>
 *   new Uint8Array([id >> 8, id & 255, response ? 0x81 : 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
 * const w = new PcapWriter({ linktype: LinkType.ETHERNET, nanos: true });
 * w.writePacket(
 *   buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 4000, dstPort: 53, payload: dns(7, false) }),
 *   { tsSec: 1, tsNsec: 100 },
 * );
 * w.writePacket(
 *   buildPacket({ src: "10.0.0.2", dst: "10.0.0.1", srcPort: 53, dstPort: 4000, payload: dns(7, true) }),
 *   { tsSec: 1, tsNsec: 350 },
 * );
 * const latencies: number[] = [];
 * const c = new Correlator({ mode: "dns", onMatch: (pair) => latencies.push(pair.latencyNs) });
 * await correlateStream(w.toBytes(), c);
 * assert.deepEqual(latencies, [250]);
 * ```
 */
export async function correlateStream(
  source: CaptureSource,
  correlator: Correlator,
  options: CorrelateStreamOptions = {},
): Promise<ReadSummary> {
  const p = new FlowPacket();
  const stats = correlator.stats;
  const stop = options.shouldStop;
  const classify = options.classify;
  return await forEachPacket(source, (v) => {
    if (stop !== undefined && stop()) return false;
    if (!p.readView(v)) stats.errors++;
    if (classify !== undefined && p.payLen > 0) p.service = classify(p);
    correlator.push(p);
    return true;
  }, options.read ?? {});
}
