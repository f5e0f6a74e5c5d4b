/**
 * `mxy bpf verify`: runs the verifier on a program under a profile and reports what it learnt,
 * or the rejection with the instruction index and a Linux-verifier-style message.
 *
 * @module
 */
import { type Command, intFlag, parseFlags, stringFlag, UsageError } from "../_command.ts";
import { readMemory, readProgram } from "./_bpf_common.ts";
import {
  assemble,
  BpfError,
  BpfVm,
  getBpfProfile,
  loadElf,
  type VerifyInput,
  type VerifyReport,
} from "../../lib/bpf/mod.ts";
import { bpfConformanceHelpers, parseBpfConformance } from "../../lib/testing/mod.ts";
import { writeSync } from "../_io.ts";
import { readFile } from "../_io.ts";

const HELP = `Usage: mxy bpf verify FILE [--profile NAME] [--mem FILE | --mem-hex HEX | --packet N]

Verifies an eBPF program before anything runs: the control-flow graph (jumps in range, not into
an lddw, no unreachable code, loops only when the profile allows bounded ones), registers read
only after they are written, R10 read-only, typed and in-bounds memory accesses (context, packet,
stack, map values), no division by a constant zero, known helpers, and the profile's limits on
instructions and stack. Exit status 0 when the program is accepted, 1 when it is rejected.

FILE is assembler source, hex words, raw bytecode, a conformance .data case (its -- mem is the
context), or an ELF object from clang -target bpf (every program in it is verified, with its
maps).

Options:
  --profile NAME          cloud (default: 512 KiB stack, 65536 instructions, bounded loops) or
                          embedded (8 KiB stack, 4096 instructions, no loops)
  --mem FILE, --mem-hex HEX
                          R1 points to a context of exactly this many bytes (as "bpf run" gives)
  --packet N              R1 points to a packet of at most N bytes (default 65535), R2 holds its
                          length; accesses past N are rejected, shorter packets are checked at run
                          time
  --conformance-helpers   allow the conformance suite's helpers 0-5 (instead of the map helpers
                          1-3 only); implied for .data files
  --json                  print the report as JSON
  -h, --help              show this help`;

const SPEC = {
  profile: { type: "string" },
  mem: { type: "string" },
  "mem-hex": { type: "string" },
  packet: { type: "string" },
  "conformance-helpers": { type: "boolean" },
  json: { type: "boolean" },
} as const;

/** The `bpf verify` command. */
export const command: Command = {
  name: "verify",
  summary: "Verify a program under a profile (cloud or embedded)",
  help: HELP,
  async run(argv: string[]): Promise<number> {
    const flags = parseFlags(argv, { spec: SPEC, help: HELP });
    if (flags.positionals.length !== 1) {
      throw new UsageError(`bpf verify takes one program file, got ${flags.positionals.length}`);
    }
    const path = flags.positionals[0];
    let profile;
    try {
      profile = getBpfProfile(stringFlag(flags, "profile", "cloud"));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const hasMem = flags.values.mem !== undefined || flags.values["mem-hex"] !== undefined;
    if (hasMem && flags.values.packet !== undefined) {
      throw new UsageError("Give either --mem/--mem-hex (a context) or --packet N, not both");
    }
    let input: VerifyInput;
    if (hasMem) {
      const mem = await readMemory(
        flags.values.mem as string | undefined,
        flags.values["mem-hex"] as string | undefined,
      );
      input = { kind: "ctx", size: mem.length };
    } else {
      const n = intFlag(flags, "packet", 65535);
      if (n < 0 || n > 0x7fffffff) throw new UsageError(`--packet must be 0 to 2^31-1, got ${n}`);
      input = { kind: "packet", size: n };
    }
    const vm = new BpfVm({
      profile,
      // Conformance cases call the suite's helpers; so may any program when asked.
      helpers: flags.values["conformance-helpers"] === true || path.endsWith(".data")
        ? bpfConformanceHelpers()
        : undefined,
    });
    const reports: { name: string; report: VerifyReport }[] = [];
    const data = await readFile(path);
    try {
      if (data[0] === 0x7f && data[1] === 0x45 && data[2] === 0x4c && data[3] === 0x46) {
        const obj = loadElf(vm, data, { file: path, input });
        for (const [name, p] of obj.programs) reports.push({ name, report: p.report });
      } else if (path.endsWith(".data")) {
        // A conformance case: its program, and its memory as the context.
        const c = parseBpfConformance(new TextDecoder().decode(data), { name: path });
        const bytes = c.raw ?? assemble(c.asm ?? "", { file: path });
        const ctx: VerifyInput = hasMem || flags.values.packet !== undefined
          ? input
          : { kind: "ctx", size: c.mem.length };
        reports.push({ name: path, report: vm.load(bytes, { name: path, input: ctx }).report });
      } else {
        const { bytes } = await readProgram(path);
        reports.push({ name: path, report: vm.load(bytes, { name: path, input }).report });
      }
    } catch (e) {
      if (
        e instanceof BpfError &&
        (e.code === "verify" || e.code === "too-complex" || e.code === "decode")
      ) {
        if (flags.values.json === true) {
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
    if (flags.values.json === true) {
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
};
