/**
 * mxy pcap: reading captures (pcap, pcapng, gzip) from bytes, streams and positional sources;
 * the reusable packet view and the header decoders; the capture writer; flows (the session
 * table), TCP stream reassembly, and correlation (request/response pairs with latencies), with
 * their output formats;
 * classic BPF capture filters; and the typed error. Runs in any JavaScript runtime — files,
 * standard input, mmap and directory watching are in `@mxy/mxy/deno`.
 *
 * @module
 */
export { PcapError, type PcapErrorCode, type PcapErrorOptions } from "./pcap_error.ts";
export { DecodeStatus, Layer, LinkType, PacketView, TcpFlag } from "./packet_view.ts";
export { formatDst, formatSrc, formatTime } from "./packet_text.ts";
export { decodePacket } from "./decode.ts";
export {
  type CaptureSource,
  forEachPacket,
  forEachPacketInBytes,
  type InterfaceInfo,
  type PacketCallback,
  type PositionalSource,
  type ReadMode,
  type ReadOptions,
  type ReadSummary,
  type TruncationInfo,
} from "./capture_reader.ts";
export {
  type AddInterfaceOptions,
  PcapWriter,
  type PcapWriterOptions,
  type WritePacketOptions,
} from "./writer.ts";
export { FlowPacket } from "./flow_packet.ts";
export { guessService } from "./service_guess.ts";
export { linkTypeName, type ProtocolLayers, protocolPath } from "./protocol_path.ts";
export { FlowSession, type SessionAttribute, type TcpState } from "./flow_session.ts";
export {
  type SessionStats,
  SessionTable,
  type SessionTableHooks,
  type SessionTableOptions,
} from "./session_table.ts";
export { trackFlows, type TrackFlowsOptions } from "./track_flows.ts";
export {
  type OverlapPolicy,
  type ReassemblyStats,
  TcpReassembler,
  type TcpReassemblerOptions,
  type TcpStreamCounts,
} from "./tcp_reassembler.ts";
export { TcpStream, type TcpStreamEnd, type TcpStreamHandler } from "./tcp_stream.ts";
export {
  CORRELATE_MODES,
  CorrelatedPacket,
  CorrelatedPair,
  type CorrelateMode,
  type CorrelateStats,
  type UnmatchedReason,
} from "./correlated_pair.ts";
export { Correlator, type CorrelatorOptions } from "./correlator.ts";
export { correlateStream, type CorrelateStreamOptions } from "./correlate_stream.ts";
export { csvHeader, type OutputFormat } from "./record_format.ts";
export {
  formatPair,
  formatUnmatched,
  type FormatUnmatchedOptions,
  PAIR_COLUMNS,
} from "./correlation_format.ts";
export { FLOW_COLUMNS, type FlowFormatOptions, formatFlow } from "./flow_format.ts";
export {
  captureLinkType,
  createPacketFilter,
  filterCapture,
  type FilterCaptureOptions,
  type FilterCaptureResult,
  type FilterTaskConfig,
  type PacketFilterOptions,
  PCAP_TASKS,
} from "./capture_filter.ts";
export {
  CapturePipeline,
  type CapturePipelineOptions,
  type ParallelOptions,
  type PipelinePort,
  type PipelineRunOptions,
  type PipelineShard,
} from "./capture_pipeline.ts";
export {
  type CaptureTask,
  type CaptureTaskContext,
  type CaptureTaskFactory,
  type CaptureWorkerScope,
  type EmitOrder,
  PipelinePhase,
  serveCaptureWorker,
} from "./capture_worker.ts";
export type { IpAddress, IpNetwork } from "../core/ip.ts";
export type { CbpfInstruction } from "../bpf/mod.ts";
export { MxyError } from "../core/mxy_error.ts";
export { compileFilter, type CompileFilterOptions } from "./filter_compiler.ts";
export {
  type EbpfPacketProgram,
  PacketSelector,
  type PacketSelectorOptions,
  type PacketSelectorProgram,
} from "./packet_selector.ts";
