/**
 * Helpers for tests and benchmarks, kept out of the library's own entry points: a packet
 * builder for making captures, the eBPF conformance-case runner and the benchmark programs.
 * Runs in any JavaScript runtime.
 *
 * @module
 */
export { VERSION } from "../core/version.ts";
export { buildPacket, type PacketSpec } from "./packet_builder.ts";
