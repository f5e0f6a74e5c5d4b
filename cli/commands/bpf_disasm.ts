/**
 * `mxy bpf disasm`: disassembles eBPF bytecode into assembler text that assembles back to the
 * same bytes.
 *
 * @module
 */
import { defineCommand } from "../_command.ts";
import { disassemble, parseElf } from "../../lib/bpf/mod.ts";
import { programFromBytes } from "./_bpf_common.ts";
import { readFile, writeSync } from "../_io.ts";

/** The `bpf disasm` command. */
export const command = defineCommand({
  name: "bpf disasm",
  summary: "Disassemble eBPF bytecode",
  arguments: [{
    name: "FILE",
    description: "Raw bytecode, hex text, assembler text or an ELF object; - reads standard input",
  }],
  description: [
    "Disassembles eBPF bytecode. FILE holds raw bytecode, or hex text (one 0x... 64-bit word " +
    'per line as in the conformance suite\'s "-- raw" sections, or bytes separated by spaces), ' +
    "or assembler text (re-printed in canonical form). The output assembles back to the same " +
    "bytes. A file without instructions is an error.",
    "An ELF object from clang -target bpf prints each program (or the one --program names) " +
    'after a "# program NAME (section S, type T)" line, linked and relocated as "bpf verify" ' +
    'and "bpf run" load it; map references are "lddw rX, N, map_fd" with N the map\'s index, ' +
    'listed in "# map N: ..." lines.',
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
    {
      name: "program",
      type: "string",
      value: "NAME",
      complete: "none",
      description: "With an ELF object: only this program",
    },
  ],
  examples: [
    "mxy bpf disasm prog.bin --labels",
    "mxy bpf asm prog.asm | mxy bpf disasm -",
    "mxy bpf disasm xdp.o --program xdp_pass",
  ],
  async run(inv) {
    const [path] = inv.positionals;
    const data = await readFile(path);
    const options = { labels: inv.flag("labels"), lenient: inv.flag("lenient") };
    const want = inv.string("program");
    if (data[0] === 0x7f && data[1] === 0x45 && data[2] === 0x4c && data[3] === 0x46) {
      const obj = parseElf(data, { file: path });
      const chosen = want === undefined
        ? obj.programs
        : obj.programs.filter((p) => p.name === want);
      if (chosen.length === 0) {
        throw inv.usage(
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
    if (want !== undefined) throw inv.usage("--program applies to ELF objects");
    const { bytes } = programFromBytes(data, path);
    if (bytes.length === 0) throw new Error(`${path}: no instructions to disassemble`);
    writeSync("stdout", disassemble(bytes, options));
    return 0;
  },
});
