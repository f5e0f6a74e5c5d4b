/**
 * eBPF and classic BPF, on bytes, in any JavaScript runtime.
 *
 * - Programs: {@linkcode assemble} and {@linkcode disassemble} the text dialect of the
 *   bpf_conformance suite, {@linkcode decodeProgram}/{@linkcode encodeProgram} bytecode
 *   (RFC 9669), opcodes by name in {@linkcode EBPF}.
 * - Running: {@linkcode BpfInterpreter}, {@linkcode BpfJit} (compiled to JavaScript) and
 *   {@linkcode BpfWasm} (compiled to WebAssembly), with helpers from a {@linkcode HelperRegistry},
 *   in a bounds-checked {@linkcode BpfMemory}.
 * - The system around them: {@linkcode BpfVm} verifies programs ({@linkcode verifyProgram}) under
 *   a profile ({@linkcode getBpfProfile}: `cloud` or `embedded`, each with a
 *   {@linkcode BpfFaultPolicy}), owns their maps ({@linkcode BpfMap}), loads ELF objects from
 *   clang ({@linkcode loadElf}), and compiles programs ahead of time into artifacts (ES or
 *   WebAssembly modules, {@linkcode BpfArtifact}) that it loads back;
 *   {@linkcode BpfScheduler} queues runs by priority or deadline and retries faulting ones.
 * - Classic BPF (tcpdump filters): {@linkcode parseCbpf}, {@linkcode validateCbpf},
 *   {@linkcode compileCbpf}, {@linkcode cbpfToEbpf}.
 *
 * Every failure is a {@linkcode BpfError} with a string code.
 *
 * @module
 */
export { MxyError } from "../core/mxy_error.ts";
export { BpfError, type BpfErrorCode, type BpfErrorOptions } from "./bpf_error.ts";
export { EBPF } from "./opcodes.ts";
export {
  type BpfInstruction,
  type BpfProgram,
  decodeProgram,
  type DecodeProgramOptions,
  encodeProgram,
} from "./instruction.ts";
export { assemble, type AssembleOptions } from "./assembler.ts";
export { disassemble, type DisassembleOptions } from "./disassembler.ts";
export { type AddressOfOptions, BpfMemory } from "./memory.ts";
export {
  HELPER_ID,
  type HelperArg,
  type HelperContext,
  type HelperFunction,
  type HelperMemArg,
  type HelperPrototype,
  HelperRegistry,
} from "./helpers.ts";
export type { BpfRunner, BpfRunOptions } from "./runner.ts";
export { BpfInterpreter } from "./interpreter.ts";
export { BpfJit, type BpfJitOptions } from "./jit.ts";
export { BpfWasm, type BpfWasmOptions } from "./wasm.ts";
export {
  type VerifyInput,
  type VerifyOptions,
  verifyProgram,
  type VerifyProgress,
  type VerifyReport,
} from "./verifier.ts";
export {
  type BpfFaultPolicy,
  type BpfProfile,
  type BpfProfileName,
  getBpfProfile,
} from "./profile.ts";
export { type BpfFaultRecord, type BpfProgramStats, type BpfRunOutcome } from "./faults.ts";
export {
  type BpfAotTarget,
  type BpfArtifact,
  type BpfArtifactMap,
  type BpfArtifactMeta,
  type BpfArtifactSource,
  type BpfJsArtifactModule,
  readBpfArtifactMeta,
} from "./aot.ts";
export { BPF_ANY, BPF_EXIST, BPF_NOEXIST } from "./map_update_flags.ts";
export { BPF_MAP_ERRNO } from "./map_errno.ts";
export { BpfMap } from "./maps.ts";
export type { BpfMapSpec, CreateBpfMapOptions } from "./map_spec.ts";
export type { BpfMapType } from "./map_types.ts";
export { createBpfMap } from "./map_create.ts";
export { BPF_F, BPF_MAP_TYPE, bpfMapTypeOf } from "./map_types.ts";
export { BpfQueueMap } from "./map_queue.ts";
export { BpfBloomFilter } from "./map_bloom.ts";
export { BpfRedirectMap } from "./map_redirect.ts";
export { BpfStackTraceMap } from "./map_stack_trace.ts";
export { BpfLocalStorageMap } from "./map_local_storage.ts";
export { BpfRingBuf } from "./map_ringbuf.ts";
export { BpfPerfEventArray, type BpfPerfRecord } from "./map_perf.ts";
export { BpfMapPool } from "./map_pool.ts";
export {
  type BpfCompileArtifactOptions,
  type BpfEngine,
  type BpfLoadArtifactOptions,
  type BpfLoadOptions,
  BpfVm,
  type BpfVmOptions,
  type LoadedBpfArtifact,
  type LoadedBpfProgram,
} from "./vm.ts";
export {
  type BpfRunnable,
  type BpfRunRequest,
  type BpfRunResult,
  BpfScheduler,
  type BpfSchedulerOptions,
  type BpfSchedulerPolicy,
  type BpfSchedulerStats,
} from "./scheduler.ts";
export {
  type ElfMapDef,
  type ElfObject,
  type ElfProgram,
  parseElf,
  type ParseElfOptions,
} from "./elf_object.ts";
export { type LoadedElf, loadElf, type LoadElfOptions } from "./elf_loader.ts";
export { BPF_PROG_TYPE, type BpfProgramType, programTypeOfSection } from "./program_types.ts";
export {
  type CbpfInstruction,
  type CbpfProgram,
  compileCbpf,
  type CompileCbpfOptions,
} from "./cbpf.ts";
export { validateCbpf } from "./cbpf_validate.ts";
export {
  formatCbpfDecimal,
  formatCbpfInstruction,
  parseCbpf,
  type ParseCbpfOptions,
} from "./cbpf_text.ts";
export { cbpfToEbpf, type CbpfToEbpfOptions } from "./cbpf_ebpf.ts";
