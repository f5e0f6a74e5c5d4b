/**
 * mxy bpf: eBPF bytecode — instruction set (RFC 9669), assembler, disassembler, interpreter,
 * JIT, helpers, conformance files; plus (BPF-SYSTEM) verifier, maps, profiles, scheduler, ELF
 * loader and classic BPF.
 *
 * @module
 */
export * from "./bpf_error.ts";
export * from "./opcodes.ts";
export * from "./instruction.ts";
export * from "./memory.ts";
export * from "./helpers.ts";
export * from "./assembler.ts";
export * from "./disassembler.ts";
export * from "./runner.ts";
export * from "./interpreter.ts";
export * from "./jit.ts";
export * from "./conformance.ts";
export * from "./benchmarks.ts";
export * from "./cbpf.ts";
export * from "./cbpf_validate.ts";
export * from "./cbpf_text.ts";
export * from "./cbpf_filter.ts";
export * from "./maps.ts";
export * from "./map_pool.ts";
export * from "./profile.ts";
export * from "./verifier.ts";
export * from "./vm.ts";
export * from "./scheduler.ts";
export * from "./elf_object.ts";
export * from "./elf_loader.ts";
export * from "./cbpf_ebpf.ts";
