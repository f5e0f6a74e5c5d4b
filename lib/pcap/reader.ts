/**
 * TEMPORARY, for tests/bpf/cbpf_ebpf_test.ts only (the BPF helper's file, which imports
 * `forEachPacket` from here with a path) until the redesign branches are merged; the lead
 * deletes this file and points that test at `forEachPacketInFile` of `lib/runtime/mod.ts`.
 * Not exported from `@mxy/mxy/pcap`.
 *
 * @module
 */
import { openReadStream } from "../runtime/fs.ts";
import {
  type CaptureSource,
  forEachPacket as forEachPacketInSource,
  type PacketCallback,
  type ReadOptions,
  type ReadSummary,
} from "./capture_reader.ts";

/**
 * Reads a capture from a path (streamed) or from bytes or a stream.
 *
 * @deprecated Use `forEachPacketInFile` of `@mxy/mxy/deno`, or `forEachPacket` of
 *   `@mxy/mxy/pcap` for bytes and streams.
 * @param source A path, or what `forEachPacket` reads.
 * @param onPacket Called per packet.
 * @param options The reader's options.
 * @returns The reader's summary.
 */
export async function forEachPacket(
  source: string | CaptureSource,
  onPacket: PacketCallback,
  options: ReadOptions = {},
): Promise<ReadSummary> {
  if (typeof source !== "string") return await forEachPacketInSource(source, onPacket, options);
  return await forEachPacketInSource(await openReadStream(source), onPacket, {
    name: source,
    ...options,
  });
}
