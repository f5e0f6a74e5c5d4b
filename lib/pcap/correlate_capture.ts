/**
 * Runs a capture through a {@linkcode Correlator}: reads every packet (file, `-`, `.gz`, bytes or
 * stream), turns the view into flow facts and pushes them, counting decode errors.
 *
 * @module
 */
import { forEachPacket, type ReadOptions, type ReadSummary } from "./reader.ts";
import { FlowPacket, fromView } from "./session_key.ts";
import type { Correlator } from "./correlate.ts";

/** Options for {@linkcode correlateCapture}. */
export interface CorrelateCaptureOptions {
  /** Checked before each packet; returning `true` stops the reading (e.g. on SIGINT). */
  shouldStop?: () => boolean;
  /** Passed on to the reader (`mode`, `chunkSize`, `name` …). */
  read?: ReadOptions;
  /**
   * Names the application protocol of packets with a transport payload (e.g. a protocol
   * registry's classifier, through `p.view`); `dns` mode then also finds DNS off port 53.
   */
  classify?: (p: FlowPacket) => string;
}

/**
 * Feeds every packet of a capture to a correlator. The correlator keeps its pending packets
 * between calls, so consecutive files (rotated captures) are correlated across their borders.
 *
 * @param source A path (`-` for standard input), the capture's bytes, or a stream of them.
 * @param correlator The correlator to feed.
 * @param options {@linkcode CorrelateCaptureOptions}.
 * @returns The reader's summary (damaged input throws a `PcapError`).
 * @example
 * ```ts
 * import { correlateCapture } from "./correlate_capture.ts";
 * import { Correlator } from "./correlate.ts";
 * import { PcapWriter } from "./writer.ts";
 * import assert from "node:assert/strict";
 * const udp = (src: number, dst: number, sport: number, dport: number, payload: number[]) =>
 *   new Uint8Array([0x45, 0, 0, 28 + payload.length, 0, 0, 0, 0, 64, 17, 0, 0,
 *     10, 0, 0, src, 10, 0, 0, dst, sport >> 8, sport & 255, dport >> 8, dport & 255,
 *     0, 8 + payload.length, 0, 0, ...payload]);
 * const w = new PcapWriter({ linktype: 101, nanos: true });
 * w.writePacket(udp(1, 2, 4000, 53, [0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0]), { tsSec: 1, tsNsec: 100 });
 * w.writePacket(udp(2, 1, 53, 4000, [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]), { tsSec: 1, tsNsec: 350 });
 * const lat: number[] = [];
 * const c = new Correlator({ mode: "dns", onMatch: (m) => lat.push(m.latencyNs) });
 * await correlateCapture(w.toBytes(), c);
 * assert.deepEqual(lat, [250]);
 * ```
 */
export async function correlateCapture(
  source: string | Uint8Array | ReadableStream<Uint8Array>,
  correlator: Correlator,
  options: CorrelateCaptureOptions = {},
): Promise<ReadSummary> {
  const p = new FlowPacket();
  const stats = correlator.stats;
  const stop = options.shouldStop;
  const classify = options.classify;
  return await forEachPacket(source, (v) => {
    if (stop !== undefined && stop()) return false;
    if (!fromView(v, p)) stats.errors++;
    if (classify !== undefined && p.payLen > 0) p.service = classify(p);
    correlator.push(p);
    return true;
  }, options.read ?? {});
}
