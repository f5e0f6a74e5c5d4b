/**
 * mxy pcap: capture readers (pcap, pcapng, gzip, streams), the reusable packet view, header
 * decoders, the capture writer and the engine's typed errors.
 *
 * @module
 */
export * from "./errors.ts";
export * from "./packet_view.ts";
export * from "./decode.ts";
export * from "./reader.ts";
export * from "./writer.ts";
export * from "./session_key.ts";
export * from "./session.ts";
export * from "./correlate_hash.ts";
export * from "./correlate_pending.ts";
export * from "./correlate.ts";
export * from "./output.ts";
export * from "./watch.ts";
export * from "./correlate_capture.ts";
export * from "./session_capture.ts";
export * from "./build.ts";
