/**
 * `mxy bpf disasm`: disassembles eBPF bytecode into assembler text that assembles back to the
 * same bytes.
 *
 * @module
 */
import { type Command, parseFlags, UsageError } from "../_command.ts";
import { disassemble, parseElf } from "../../lib/bpf/mod.ts";
import { programFromBytes } from "./_bpf_common.ts";
import { readFile, writeSync } from "../_io.ts";

const HELP = `Usage: mxy bpf disasm FILE [--program NAME] [--labels] [--lenient]

Disassembles eBPF bytecode. FILE holds raw bytecode, or hex text (one 0x… 64-bit word per
line as in the conformance suite's "-- raw" sections, or bytes separated by spaces), or
assembler text (re-printed in canonical form), or an ELF object from clang -target bpf: each
program (or the one --program names) is printed after a "# program NAME (section S, type T)"
line, linked and relocated as "bpf verify" and "bpf run" load it (map references are
"lddw rX, N, map_fd" with N the map's index, listed in "# map N: …" lines). The output of raw
bytecode assembles back to the same bytes.

Options:
  --program NAME  with an ELF object: only this program
  --labels        print jump targets as labels (L<slot>:) instead of +N/-N offsets
  --lenient       accept instructions whose unused fields are not zero
  -h, --help      show this help`;

/** The `bpf disasm` command. */
export const command: Command = {
  name: "disasm",
  summary: "disassemble eBPF bytecode",
  help: HELP,
  async run(argv) {
    const flags = parseFlags(argv, {
      spec: {
        labels: { type: "boolean" },
        lenient: { type: "boolean" },
        program: { type: "string" },
      },
      help: HELP,
    });
    if (flags.positionals.length !== 1) throw new UsageError("bpf disasm takes one FILE");
    const path = flags.positionals[0];
    const data = await readFile(path);
    const options = {
      labels: flags.values.labels === true,
      lenient: flags.values.lenient === true,
    };
    const want = flags.values.program as string | undefined;
    if (data[0] === 0x7f && data[1] === 0x45 && data[2] === 0x4c && data[3] === 0x46) {
      const obj = parseElf(data, { file: path });
      const chosen = want === undefined
        ? obj.programs
        : obj.programs.filter((p) => p.name === want);
      if (chosen.length === 0) {
        throw new UsageError(
          want === undefined
            ? `${path} holds no program`
            : `${path} has no program "${want}"; programs: ${
              obj.programs.map((p) => p.name).join(", ")
            }`,
        );
      }
      const out: string[] = [];
      obj.maps.forEach((m, i) =>
        out.push(
          `# map ${i}: ${m.name} type ${m.type} key ${m.keySize} value ${m.valueSize} entries ${m.maxEntries}\n`,
        )
      );
      for (const p of chosen) {
        out.push(
          `# program ${p.name} (section ${p.section}, type ${p.type}${
            p.subprogram ? ", .text function" : ""
          })\n`,
        );
        out.push(disassemble(p.program, options));
      }
      writeSync("stdout", out.join(""));
      return 0;
    }
    if (want !== undefined) throw new UsageError("--program applies to ELF objects");
    writeSync("stdout", disassemble(programFromBytes(data, path).bytes, options));
    return 0;
  },
};
