/**
 * `mxy bpf …`: eBPF bytecode — asm, disasm, verify, run, aot, conformance, bench.
 *
 * @module
 */
import { type Command, dispatch } from "../_command.ts";

const SUBCOMMANDS: Record<string, () => Promise<Command>> = {
  asm: async () => (await import("./bpf_asm.ts")).command,
  disasm: async () => (await import("./bpf_disasm.ts")).command,
  verify: async () => (await import("./bpf_verify.ts")).command,
  run: async () => (await import("./bpf_run.ts")).command,
  conformance: async () => (await import("./bpf_conformance.ts")).command,
  bench: async () => (await import("./bpf_bench.ts")).command,
  aot: async () => (await import("./bpf_aot.ts")).command,
};

/** The `bpf` command group. */
export const command: Command = {
  name: "bpf",
  summary: "eBPF bytecode: asm, disasm, verify, run, aot, conformance, bench",
  help: "Usage: mxy bpf <asm|disasm|verify|run|aot|conformance|bench> [options]",
  run: (argv) => dispatch("bpf", SUBCOMMANDS, argv),
};
