/**
 * Indicators matched to an IOC database: an allocation-free extractor that finds IP addresses,
 * domain names (checked against the Public Suffix List), URLs, e-mail addresses, hashes and
 * Bitcoin/Ethereum addresses in bytes with exact token boundaries, the matchers that look them
 * up (`Matcher`, `StreamMatcher`), and the capture matcher (`CaptureMatcher`, `matchCapture`)
 * that looks up each packet's addresses, DNS names and answers, TLS SNI, HTTP Host and URL and
 * plugin attributes, with `IndicatorEnricher` for flows and correlated pairs.
 *
 * Runs in any JavaScript runtime: bytes and web streams in, no files or processes.
 *
 * @example
 * ```ts
 * import { Extractor, forEachParentDomain, SpanKind } from "@mxy/mxy/match";
 * import assert from "node:assert/strict";
 *
 * const log = new TextEncoder().encode("GET http://a.b.evil.com/x from 198.51.100.7");
 * const domains: string[] = [];
 * new Extractor({ kinds: [SpanKind.DOMAIN] }).scan(log, (_kind, start, end) => {
 *   forEachParentDomain(log, (s, e) => {
 *     domains.push(new TextDecoder().decode(log.subarray(s, e)));
 *   }, start, end);
 * });
 * assert.deepEqual(domains, ["b.evil.com", "evil.com"]);
 * ```
 *
 * @module
 */
export { Extractor } from "./extractor.ts";
export type { ExtractorOptions, SpanHandler } from "./extractor.ts";
export { ALL_SPAN_KINDS, SpanKind, spanKindFromName, spanKindName } from "./span_kind.ts";
export { forEachParentDomain, registrableDomain, registrableDomainStart } from "./domain.ts";
export type { ParentDomainHandler } from "./domain.ts";
export { lowerSpanInto } from "./fold.ts";
export {
  type PublicSuffixTableShare,
  sharePublicSuffixTable,
  usePublicSuffixTable,
} from "./_psl.ts";
export { Matcher, MatchVia, matchViaName } from "./matcher.ts";
export type { MatcherOptions, MatchHandler, MatchHit } from "./matcher.ts";
export { StreamMatcher } from "./stream_matcher.ts";
export type { StreamHitHandler, StreamMatcherOptions } from "./stream_matcher.ts";
export { CAPTURE_ATTRIBUTES, CaptureHit } from "./capture_hit.ts";
export { CaptureMatcher } from "./capture_matcher.ts";
export type {
  CaptureHitHandler,
  CaptureMatcherOptions,
  CaptureMatchStats,
} from "./capture_matcher.ts";
export { matchCapture } from "./match_capture.ts";
export { MATCH_TASKS, matchStatsFromRecord } from "./match_tasks.ts";
export type { EnrichTaskConfig, MatchTaskConfig } from "./match_tasks.ts";
export type { MatchCaptureOptions } from "./match_capture.ts";
export { CAPTURE_HIT_COLUMNS, formatCaptureHit } from "./capture_hit_format.ts";
export type { CaptureHitFormat } from "./capture_hit_format.ts";
export {
  FLOW_INDICATOR_COLUMNS,
  IndicatorEnricher,
  PAIR_INDICATOR_COLUMNS,
} from "./indicator_enricher.ts";
export type { IndicatorEnricherOptions, IndicatorMatch } from "./indicator_enricher.ts";
export type {
  Database,
  DatabaseChecks,
  DatabaseLayout,
  DatabaseMapMode,
  IpAddress,
  IpNetwork,
  IpResult,
  LookupSpanOptions,
  Metadata,
  MmdbMap,
  MmdbValue,
  MxyCounts,
  StringMatch,
  StringMatches,
  StringResult,
} from "../db/mod.ts";
export type {
  CaptureSource,
  CaptureTask,
  CaptureTaskContext,
  CaptureTaskFactory,
  CorrelatedPacket,
  CorrelatedPair,
  CorrelateMode,
  EmitOrder,
  FlowFormatOptions,
  FlowPacket,
  FlowSession,
  InterfaceInfo,
  OutputFormat,
  PacketSelector,
  PacketView,
  PositionalSource,
  ReadMode,
  ReadOptions,
  ReadSummary,
  SessionAttribute,
  SessionTableHooks,
  TcpState,
  TruncationInfo,
} from "../pcap/mod.ts";
export type {
  AttributeExtractor,
  AttributeValue,
  PluginLayer,
  ProtocolPlugin,
  ProtocolRegistry,
  SessionHooks,
  StreamContext,
  StreamFraming,
  TcpStream,
} from "../dpi/mod.ts";
