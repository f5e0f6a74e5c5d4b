/**
 * Matching a whole capture: every packet of a capture (pcap or pcapng, plain or gzip) given as
 * bytes, a web stream or a positional source, through a {@linkcode CaptureMatcher}. Runs in any
 * JavaScript runtime; files and standard input come through `openCaptureFile` of
 * `@mxy/mxy/deno`.
 *
 * @module
 */
import {
  type CaptureSource,
  forEachPacket,
  type ReadOptions,
  type ReadSummary,
} from "../pcap/capture_reader.ts";
import type { CaptureMatcher } from "./capture_matcher.ts";

/** Options for {@linkcode matchCapture}. */
export interface MatchCaptureOptions {
  /**
   * How the capture is read (the input's name for messages, buffer sizes, `onRefill` …);
   * `decode` is ignored: the matcher decodes the packets its selector keeps.
   */
  read?: ReadOptions;
  /** Stops the reading between packets once aborted (the summary then says `stopped`). */
  signal?: AbortSignal;
}

/**
 * Reads every packet of a capture into a capture matcher. Call `finish()` on the matcher after
 * the last capture (several captures may go through one matcher).
 *
 * @param source The capture: bytes, a stream or a positional source.
 * @param matcher The matcher.
 * @param options {@linkcode MatchCaptureOptions}.
 * @returns The reader's summary (packets read, whether the capture was cut short …).
 * @throws {PcapError} When the input is not a capture or is damaged (its `offset` and
 *   `packets` say where; the hits of the packets before were reported).
 * @example
 * ```ts
 * import { Database, DatabaseBuilder } from "@mxy/mxy/db";
 * import { CaptureMatcher, matchCapture } from "@mxy/mxy/match";
 * import { PcapWriter } from "@mxy/mxy/pcap";
 * import { buildPacket } from "@mxy/mxy/testing";
 * import assert from "node:assert/strict";
 * const b = new DatabaseBuilder({ buildEpoch: 1 });
 * b.add("198.51.100.0/24", { threat: "c2" });
 * const w = new PcapWriter({ nanos: true });
 * w.writePacket(buildPacket({ src: "10.0.0.1", dst: "198.51.100.7", proto: "udp", dstPort: 9 }));
 * w.writePacket(buildPacket({ src: "10.0.0.1", dst: "10.0.0.2", proto: "udp", dstPort: 9 }));
 * const frames: number[] = [];
 * const m = new CaptureMatcher(Database.fromBytes(b.build()), { onHit: (h) => frames.push(h.frame) });
 * const summary = await matchCapture(w.toBytes(), m);
 * assert.equal(summary.packets, 2);
 * assert.deepEqual(frames, [1]);
 * assert.equal(m.finish().lookups["ip.dst"], 2);
 * ```
 */
export async function matchCapture(
  source: CaptureSource,
  matcher: CaptureMatcher,
  options: MatchCaptureOptions = {},
): Promise<ReadSummary> {
  const signal = options.signal;
  return await forEachPacket(source, (v) => {
    matcher.process(v);
    return signal === undefined || !signal.aborted;
  }, { ...options.read, decode: false });
}
