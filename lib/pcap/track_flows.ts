/**
 * Runs a capture through a {@linkcode SessionTable}: reads every packet (bytes, a stream or a
 * positional source), turns the view into flow facts and counts it into its session.
 * `trackFlowsInFile` in `@mxy/mxy/deno` does the same for a path.
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
import type { SessionTable } from "./session_table.ts";

/** Options for {@linkcode trackFlows}. */
export interface TrackFlowsOptions {
  /** Checked before each packet; returning `true` stops the reading. */
  shouldStop?: () => boolean;
  /** Passed on to the reader. */
  read?: ReadOptions;
  /** Called with the packet number of each packet that did not decode cleanly. */
  onDecodeError?: (frame: number) => void;
}

/**
 * Feeds every packet of a capture to a session table; call `finish()` on the table afterwards
 * to close the sessions still open. Several captures can be fed to one table in turn.
 *
 * @param source The capture's bytes, a stream of them, or a positional source.
 * @param table The session table.
 * @param options {@linkcode TrackFlowsOptions}.
 * @returns The reader's summary.
 * @throws {PcapError} When the capture is damaged or cannot be read.
 * @example
 * ```ts
 * import { type FlowSession, PcapWriter, SessionTable, trackFlows } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const w = new PcapWriter();
 * w.writePacket(buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", srcPort: 5000, dstPort: 5000 }), {
 *   tsSec: 1,
 * });
 * w.writePacket(buildPacket({ src: "10.0.0.2", dst: "10.0.0.1", srcPort: 5000, dstPort: 5000 }), {
 *   tsSec: 2,
 * });
 * const closed: FlowSession[] = [];
 * const table = new SessionTable({ onClose: (s) => closed.push(s) });
 * await trackFlows(w.toBytes(), table);
 * table.finish();
 * assert.equal(closed.length, 1);
 * assert.deepEqual([closed[0].origPkts, closed[0].respPkts, closed[0].durationNs()], [1, 1, 1e9]);
 * ```
 */
export async function trackFlows(
  source: CaptureSource,
  table: SessionTable,
  options: TrackFlowsOptions = {},
): Promise<ReadSummary> {
  const p = new FlowPacket();
  const stop = options.shouldStop;
  const onError = options.onDecodeError;
  return await forEachPacket(source, (v) => {
    if (stop !== undefined && stop()) return false;
    if (!p.readView(v) && onError) onError(v.number);
    table.push(p);
    return true;
  }, options.read ?? {});
}
