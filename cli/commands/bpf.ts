/**
 * `mxy bpf …`: eBPF bytecode — asm, disasm, verify, run, aot, conformance, bench.
 *
 * @module
 */
import { defineGroup } from "../_command.ts";

/** The `bpf` command group. */
export const command = defineGroup({
  name: "bpf",
  summary: "eBPF bytecode: asm, disasm, verify, run, aot, conformance, bench",
  description: [
    "Assembles, disassembles, verifies and runs eBPF programs in the library's interpreter, " +
    "JIT and WebAssembly engines, and compiles them ahead of time.",
  ],
  commands: {
    asm: async () => (await import("./bpf_asm.ts")).command,
    disasm: async () => (await import("./bpf_disasm.ts")).command,
    verify: async () => (await import("./bpf_verify.ts")).command,
    run: async () => (await import("./bpf_run.ts")).command,
    aot: async () => (await import("./bpf_aot.ts")).command,
    conformance: async () => (await import("./bpf_conformance.ts")).command,
    bench: async () => (await import("./bpf_bench.ts")).command,
  },
});
