/**
 * `mxy bpf asm`: assembles eBPF assembler text (the bpf_conformance dialect) into bytecode.
 *
 * @module
 */
import { type Command, parseFlags, UsageError } from "../_command.ts";
import { assemble } from "../../lib/bpf/mod.ts";
import { writeSync } from "../_io.ts";
import { writeFileAtomic } from "../../lib/runtime/mod.ts";
import { readFile } from "../_io.ts";

const HELP = `Usage: mxy bpf asm FILE [-o OUT]

Assembles eBPF assembler text (the dialect of the bpf_conformance suite: %rN or rN registers,
[%rN+off] memory operands, labels, lddw, lock atomics, call local, ja32, movsx, le/be/bswap)
into bytecode. With -o the bytecode is written to OUT (8 bytes per instruction slot,
little-endian); without it each slot is printed as hex bytes.

Options:
  -o, --output OUT   write raw bytecode to OUT
  -h, --help         show this help`;

/** The `bpf asm` command. */
export const command: Command = {
  name: "asm",
  summary: "assemble eBPF assembler text into bytecode",
  help: HELP,
  async run(argv) {
    const flags = parseFlags(argv, {
      spec: { output: { type: "string", short: "o" } },
      help: HELP,
    });
    if (flags.positionals.length !== 1) throw new UsageError("bpf asm takes one FILE");
    const path = flags.positionals[0];
    const text = new TextDecoder().decode(await readFile(path));
    const bytes = assemble(text, { file: path });
    const out = flags.values.output;
    if (typeof out === "string") {
      await writeFileAtomic(out, bytes);
      return 0;
    }
    const lines: string[] = [];
    for (let i = 0; i < bytes.length; i += 8) {
      lines.push(
        [...bytes.subarray(i, i + 8)].map((b) => b.toString(16).padStart(2, "0")).join(" "),
      );
    }
    writeSync("stdout", lines.join("\n") + (lines.length ? "\n" : ""));
    return 0;
  },
};
