/**
 * `mxy bpf disasm`: disassembles eBPF bytecode into assembler text that assembles back to the
 * same bytes.
 *
 * @module
 */
import { type Command, parseFlags, UsageError } from "../_command.ts";
import { disassemble } from "../../lib/bpf/mod.ts";
import { readProgram } from "./_bpf_common.ts";
import { writeSync } from "../_io.ts";

const HELP = `Usage: mxy bpf disasm FILE [--labels] [--lenient]

Disassembles eBPF bytecode. FILE holds raw bytecode, or hex text (one 0x… 64-bit word per
line as in the conformance suite's "-- raw" sections, or bytes separated by spaces), or
assembler text (re-printed in canonical form). The output assembles back to the same bytes.

Options:
  --labels    print jump targets as labels (L<slot>:) instead of +N/-N offsets
  --lenient   accept instructions whose unused fields are not zero
  -h, --help  show this help`;

/** The `bpf disasm` command. */
export const command: Command = {
  name: "disasm",
  summary: "disassemble eBPF bytecode",
  help: HELP,
  async run(argv) {
    const flags = parseFlags(argv, {
      spec: { labels: { type: "boolean" }, lenient: { type: "boolean" } },
      help: HELP,
    });
    if (flags.positionals.length !== 1) throw new UsageError("bpf disasm takes one FILE");
    const { bytes } = await readProgram(flags.positionals[0]);
    writeSync(
      "stdout",
      disassemble(bytes, {
        labels: flags.values.labels === true,
        lenient: flags.values.lenient === true,
      }),
    );
    return 0;
  },
};
