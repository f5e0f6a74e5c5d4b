/**
 * mxy dpi: deep packet inspection over the packet views of `@mxy/mxy/pcap`. Protocol plugins
 * (the core layers, DNS, HTTP/1.x, TLS, and yours), their registry, the engine that extracts the
 * attributes handlers subscribe to (reading the TCP streams of plugins with stream framing
 * reassembled), session hooks for the session table, and the typed error.
 *
 * @module
 */
export { DpiError, type DpiErrorCode, type DpiErrorOptions } from "./dpi_error.ts";
export type {
  AttributeExtractor,
  AttributeValue,
  FastMarks,
  PluginLayer,
  ProtocolPlugin,
  SessionHooks,
  StreamContext,
  StreamFraming,
} from "./plugin.ts";
export { ProtocolRegistry } from "./protocol_registry.ts";
export { TSHARK_ALIASES } from "./tshark_aliases.ts";
export { CORE_PLUGINS } from "./core_plugins.ts";
export {
  createDnsPlugin,
  decodeDnsName,
  type DecodeDnsNameOptions,
  type DnsPluginOptions,
} from "./dns.ts";
export { createHttpPlugin } from "./http.ts";
export { createTlsPlugin } from "./tls.ts";
export { createDefaultRegistry } from "./default_registry.ts";
export {
  type AttributeHandler,
  DpiEngine,
  type DpiEngineOptions,
  type ReassemblyOptions,
  type SubscribeOptions,
  type Subscription,
} from "./dpi_engine.ts";
export { createSessionHooks } from "./session_hooks.ts";
export {
  CAPTURE_TASKS,
  type CaptureTaskExtensions,
  type CorrelateTaskConfig,
  createCorrelateTask,
  createFlowsTask,
  type FlowsTaskConfig,
} from "./capture_tasks.ts";
export { asciiStartsWith } from "../core/ascii.ts";
export type {
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
  IpAddress,
  IpNetwork,
  OutputFormat,
  OverlapPolicy,
  PacketView,
  ReassemblyStats,
  SessionAttribute,
  SessionTableHooks,
  TcpReassemblerOptions,
  TcpState,
  TcpStream,
  TcpStreamEnd,
  TcpStreamHandler,
} from "../pcap/mod.ts";
export { MxyError } from "../core/mxy_error.ts";
