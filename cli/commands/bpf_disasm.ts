/**
 * `mxy bpf disasm`: disassembles eBPF bytecode into assembler text that assembles back to the
 * same bytes.
 *
 * @module
 */
import { defineCommand } from "../_command.ts";
import { disassemble } from "../../lib/bpf/mod.ts";
import { readProgram } from "./_bpf_common.ts";
import { writeSync } from "../_io.ts";

/** The `bpf disasm` command. */
export const command = defineCommand({
  name: "bpf disasm",
  summary: "Disassemble eBPF bytecode",
  arguments: [{
    name: "FILE",
    description: "Raw bytecode, hex text or assembler text; - reads standard input",
  }],
  description: [
    "Disassembles eBPF bytecode. FILE holds raw bytecode, or hex text (one 0x... 64-bit word " +
    'per line as in the conformance suite\'s "-- raw" sections, or bytes separated by spaces), ' +
    "or assembler text (re-printed in canonical form). The output assembles back to the same " +
    "bytes. A file without instructions is an error.",
  ],
  options: [
    {
      name: "labels",
      type: "boolean",
      description: "Print jump targets as labels (L<slot>:) instead of +N/-N offsets",
    },
    {
      name: "lenient",
      type: "boolean",
      description: "Accept instructions whose unused fields are not zero",
    },
  ],
  examples: ["mxy bpf disasm prog.bin --labels", "mxy bpf asm prog.asm | mxy bpf disasm -"],
  async run(inv) {
    const [path] = inv.positionals;
    const { bytes } = await readProgram(path);
    if (bytes.length === 0) throw new Error(`${path}: no instructions to disassemble`);
    writeSync(
      "stdout",
      disassemble(bytes, { labels: inv.flag("labels"), lenient: inv.flag("lenient") }),
    );
    return 0;
  },
});
