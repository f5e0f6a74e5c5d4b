/**
 * `mxy bpf asm`: assembles eBPF assembler text (the bpf_conformance dialect) into bytecode.
 *
 * @module
 */
import { defineCommand } from "../_command.ts";
import { assemble } from "../../lib/bpf/mod.ts";
import { readFile, writeSync } from "../_io.ts";
import { writeFileAtomic } from "../../lib/runtime/mod.ts";

/** The `bpf asm` command. */
export const command = defineCommand({
  name: "bpf asm",
  summary: "Assemble eBPF assembler text into bytecode",
  arguments: [{ name: "FILE", description: "Assembler text; - reads standard input" }],
  description: [
    "Assembles eBPF assembler text (the dialect of the bpf_conformance suite: %rN or rN " +
    "registers, [%rN+off] memory operands, labels, lddw, lock atomics, call local, ja32, movsx, " +
    "le/be/bswap) into bytecode. With -o the bytecode is written to OUT (8 bytes per " +
    "instruction slot, little-endian); without it each slot is printed as hex bytes. A file " +
    "without instructions is an error.",
  ],
  options: [{
    name: "output",
    short: "o",
    type: "string",
    value: "OUT",
    description: "Write the raw bytecode to OUT (a temporary file, then renamed)",
  }],
  examples: ["mxy bpf asm prog.asm -o prog.bin", "mxy bpf asm prog.asm | head -3"],
  async run(inv) {
    const [path] = inv.positionals;
    const text = new TextDecoder().decode(await readFile(path));
    const bytes = assemble(text, { file: path });
    if (bytes.length === 0) throw new Error(`${path}: no instructions to assemble`);
    const out = inv.string("output");
    if (out !== undefined) {
      await writeFileAtomic(out, bytes);
      return 0;
    }
    const lines: string[] = [];
    for (let i = 0; i < bytes.length; i += 8) {
      lines.push(
        [...bytes.subarray(i, i + 8)].map((b) => b.toString(16).padStart(2, "0")).join(" "),
      );
    }
    writeSync("stdout", lines.join("\n") + "\n");
    return 0;
  },
});
