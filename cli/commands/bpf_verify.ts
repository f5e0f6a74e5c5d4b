/**
 * `mxy bpf verify`: runs the verifier on a program under a profile and reports what it learnt,
 * or the rejection with the instruction index and a Linux-verifier-style message.
 *
 * @module
 */
import { defineCommand } from "../_command.ts";
import {
  memoryOf,
  memoryOptions,
  pickElfProgram,
  profileOf,
  profileOption,
  programTypeOf,
  programTypeOption,
  readProgram,
  TYPE_DESCRIPTION,
} from "./_bpf_common.ts";
import {
  assemble,
  BpfError,
  BpfVm,
  loadElf,
  type VerifyInput,
  type VerifyReport,
} from "../../lib/bpf/mod.ts";
import { bpfConformanceHelpers, parseBpfConformance } from "../../lib/testing/mod.ts";
import { readFile, writeSync } from "../_io.ts";

/** The `bpf verify` command. */
export const command = defineCommand({
  name: "bpf verify",
  summary: "Verify a program under a profile (cloud or embedded)",
  arguments: [{
    name: "FILE",
    description: "Assembler source, hex words, raw bytecode, a conformance .data case (its -- " +
      "mem is the context), or an ELF object from clang -target bpf (every program in it is " +
      "verified, with its maps; --program picks one)",
  }],
  description: [
    "Verifies an eBPF program before anything runs: the control-flow graph (jumps in range, " +
    "not into an lddw, no unreachable code, loops only when the profile allows bounded ones), " +
    "registers read only after they are written, R10 read-only, typed and in-bounds memory " +
    "accesses (context, packet, stack, map values), no division by a constant zero, known " +
    "helpers, and the profile's limits on instructions and stack.",
  ],
  options: [
    profileOption(
      "The profile: cloud has a 512 KiB stack, 65536 instructions and bounded loops; embedded " +
        "an 8 KiB stack, 4096 instructions and no loops",
    ),
    ...memoryOptions('R1 points to a context of exactly this many bytes (as "bpf run" gives)'),
    {
      name: "packet",
      type: "int",
      min: 0,
      max: 0x7fffffff,
      defaultText: "65535",
      description: "R1 points to a packet of at most N bytes, R2 holds its length; accesses " +
        "past N are rejected, shorter packets are checked at run time",
    },
    {
      name: "conformance-helpers",
      type: "boolean",
      description: "Allow the conformance suite's helpers 0-5 (in place of Linux's helpers " +
        "with those ids); implied for .data files",
    },
    programTypeOption(TYPE_DESCRIPTION),
    {
      name: "program",
      type: "string",
      value: "NAME",
      complete: "none",
      description: "With an ELF object: verify only this program",
    },
    {
      name: "format",
      type: "enum",
      choices: ["text", "json"],
      default: "text",
      description: "Output format (json: one JSON object with the report or the rejection)",
    },
    {
      name: "json",
      type: "boolean",
      aliasOf: { option: "format", value: "json" },
      description: "Same as --format json",
    },
  ],
  sections: [{
    title: "Exit status",
    rows: [["0", "Accepted"], ["1", "Rejected, or a failure"], ["2", "Usage error"]],
  }],
  examples: [
    "mxy bpf verify prog.o --profile embedded",
    "mxy bpf verify filter.asm --packet 1500 --format json",
  ],
  run: async (inv) => {
    const [path] = inv.positionals;
    const profile = profileOf(inv);
    const json = inv.string("format") === "json";
    const mem = await memoryOf(inv);
    if (mem.given && inv.has("packet")) {
      throw inv.usage("Give either --mem/--mem-hex (a context) or --packet N, not both");
    }
    const input: VerifyInput = mem.given
      ? { kind: "ctx", size: mem.bytes.length }
      : { kind: "packet", size: inv.int("packet") ?? 65535 };
    const vm = new BpfVm({
      profile,
      // Conformance cases call the suite's helpers; so may any program when asked.
      helpers: inv.flag("conformance-helpers") || path.endsWith(".data")
        ? bpfConformanceHelpers()
        : undefined,
    });
    const reports: { name: string; report: VerifyReport }[] = [];
    const programType = programTypeOf(inv);
    const data = await readFile(path);
    try {
      if (data[0] === 0x7f && data[1] === 0x45 && data[2] === 0x4c && data[3] === 0x46) {
        const want = inv.string("program");
        const obj = loadElf(vm, data, {
          file: path,
          input,
          programType,
          programs: want === undefined ? undefined : [pickElfProgram(data, path, want)],
        });
        for (const [name, p] of obj.programs) reports.push({ name, report: p.report });
      } else if (path.endsWith(".data")) {
        // A conformance case: its program, and its memory as the context.
        const c = parseBpfConformance(new TextDecoder().decode(data), { name: path });
        const bytes = c.raw ?? assemble(c.asm ?? "", { file: path });
        const ctx: VerifyInput = mem.given || inv.has("packet")
          ? input
          : { kind: "ctx", size: c.mem.length };
        reports.push({
          name: path,
          report: vm.load(bytes, { name: path, input: ctx, programType }).report,
        });
      } else {
        const { bytes } = await readProgram(path);
        reports.push({
          name: path,
          report: vm.load(bytes, { name: path, input, programType }).report,
        });
      }
    } catch (e) {
      if (
        e instanceof BpfError &&
        (e.code === "verify" || e.code === "too-complex" || e.code === "decode")
      ) {
        if (json) {
          const rejection = { code: e.code, pc: e.pc, message: e.message };
          writeSync(
            "stdout",
            JSON.stringify({ profile: profile.name, accepted: false, rejection }) + "\n",
          );
        }
        writeSync(
          "stderr",
          `mxy: ${path}: rejected by the ${profile.name} profile: ${e.message}\n`,
        );
        return 1;
      }
      throw e;
    }
    if (json) {
      writeSync(
        "stdout",
        JSON.stringify({ profile: profile.name, accepted: true, programs: reports }) + "\n",
      );
      return 0;
    }
    for (const { name, report: r } of reports) {
      writeSync(
        "stdout",
        `${name}: accepted by the ${profile.name} profile: ${r.instructions} instructions (${r.slots} slots), ` +
          `${r.subprograms} subprogram${
            r.subprograms === 1 ? "" : "s"
          }, call depth ${r.callDepth}, ` +
          `stack ${r.stackBytes} bytes, ${r.hasLoops ? "bounded loops" : "no loops"}, ` +
          `${r.steps} instructions walked\n`,
      );
    }
    return 0;
  },
});
