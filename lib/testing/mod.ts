/**
 * Helpers for tests and benchmarks, kept out of the library's own entry points: a packet
 * builder for making captures, the eBPF conformance-case runner and the benchmark programs.
 * Runs in any JavaScript runtime.
 *
 * @module
 */
export { VERSION } from "../core/version.ts";
export { buildPacket, type PacketSpec } from "./packet_builder.ts";
export {
  type BpfConformanceCase,
  bpfConformanceHelpers,
  type BpfConformanceOutcome,
  type BpfRunnerFactory,
  parseBpfConformance,
  type ParseBpfConformanceOptions,
  runBpfConformance,
  type RunBpfConformanceOptions,
} from "./bpf_conformance.ts";
export {
  BPF_BENCHMARKS,
  BPF_ENGINES,
  BPF_MAP_BENCHMARKS,
  type BpfBenchEngine,
  type BpfBenchmark,
  type BpfBenchmarkResult,
  type BpfEngineFigures,
  prepareBpfBenchmark,
  type PreparedBpfBenchmark,
  runBpfBenchmark,
  type RunBpfBenchmarkOptions,
} from "./bpf_benchmarks.ts";
export {
  BPF_VERIFIER_BENCHMARKS,
  type BpfVerifierBenchmark,
  type BpfVerifierFigures,
  runBpfVerifierBenchmark,
  type RunBpfVerifierBenchmarkOptions,
} from "./bpf_verifier_benchmarks.ts";
export { buildBpfElf, type BuildBpfElfOptions } from "./bpf_elf.ts";
