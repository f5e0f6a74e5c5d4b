/**
 * Runs a capture through a {@linkcode SessionTable}: reads every packet, turns the view into
 * flow facts and counts it into its session.
 *
 * @module
 */
import { forEachPacket, type ReadOptions, type ReadSummary } from "./reader.ts";
import { FlowPacket, fromView } from "./session_key.ts";
import type { SessionTable } from "./session.ts";

/** Options for {@linkcode trackCapture}. */
export interface TrackCaptureOptions {
  /** Checked before each packet; returning `true` stops the reading. */
  shouldStop?: () => boolean;
  /** Passed on to the reader. */
  read?: ReadOptions;
  /** Called for each packet that did not decode cleanly (truncated, malformed, unknown link). */
  onDecodeError?: (frame: number) => void;
}

/**
 * Feeds every packet of a capture to a session table (call `finish()` on the table afterwards
 * to close the sessions still open).
 *
 * @param source A path (`-` for standard input), the capture's bytes, or a stream of them.
 * @param table The session table.
 * @param options {@linkcode TrackCaptureOptions}.
 * @returns The reader's summary.
 * @example
 * ```ts
 * import { trackCapture } from "./session_capture.ts";
 * import { SessionTable, type Session } from "./session.ts";
 * import { PcapWriter } from "./writer.ts";
 * import assert from "node:assert/strict";
 * const udp = (src: number, dst: number) => new Uint8Array([0x45, 0, 0, 29, 0, 0, 0, 0, 64, 17,
 *   0, 0, 10, 0, 0, src, 10, 0, 0, dst, 0x13, 0x88, 0x13, 0x88, 0, 9, 0, 0, 7]);
 * const w = new PcapWriter({ linktype: 101 });
 * w.writePacket(udp(1, 2), { tsSec: 1, tsNsec: 0 });
 * w.writePacket(udp(2, 1), { tsSec: 2, tsNsec: 0 });
 * const closed: Session[] = [];
 * const t = new SessionTable({ onClose: (s) => closed.push(s) });
 * await trackCapture(w.toBytes(), t);
 * t.finish();
 * assert.equal(closed.length, 1);
 * assert.deepEqual([closed[0].origPkts, closed[0].respPkts, closed[0].durationNs()], [1, 1, 1e9]);
 * ```
 */
export async function trackCapture(
  source: string | Uint8Array | ReadableStream<Uint8Array>,
  table: SessionTable,
  options: TrackCaptureOptions = {},
): Promise<ReadSummary> {
  const p = new FlowPacket();
  const stop = options.shouldStop;
  const onErr = options.onDecodeError;
  return await forEachPacket(source, (v) => {
    if (stop !== undefined && stop()) return false;
    if (!fromView(v, p) && onErr) onErr(v.number);
    table.push(p);
    return true;
  }, options.read ?? {});
}
