/**
 * `mxy bpf run`: verifies a program under a profile and runs it once in the interpreter or the
 * JIT, printing r0.
 *
 * @module
 */
import { type Command, intFlag, parseFlags, stringFlag, UsageError } from "../_command.ts";
import {
  assemble,
  BpfInterpreter,
  BpfJit,
  BpfVm,
  decodeProgram,
  getBpfProfile,
  type LoadedBpfProgram,
  loadElf,
} from "../../lib/bpf/mod.ts";
import { bpfConformanceHelpers, parseBpfConformance } from "../../lib/testing/mod.ts";
import { programFromBytes, readMemory } from "./_bpf_common.ts";
import { writeSync } from "../_io.ts";
import { readFile } from "../_io.ts";

const HELP = `Usage: mxy bpf run FILE [--mem FILE | --mem-hex HEX] [--jit] [--profile NAME]
                    [--program NAME] [--no-verify] [--budget N]

Runs an eBPF program once and prints r0 (hex, then decimal). FILE is assembler text, hex or
raw bytecode, a conformance .data case (its "-- mem" is the memory unless --mem/--mem-hex is
given), or an ELF object from clang -O2 -target bpf -c (its maps are created; --program picks
the program when it has several). r1 points to the memory given with --mem/--mem-hex (empty
otherwise) and r2 holds its length; r10 points to the top of the stack.

By default the program is verified under the profile and run with the profile's limits
(stack, instruction budget, call depth) and the map helpers. With --no-verify it runs
directly with the bpf_conformance test helpers (0-5) and a 512-byte stack.

Options:
  --mem FILE        the memory r1 points to
  --mem-hex HEX     the memory as hex bytes ("00 01 02" or "000102")
  --jit             run in the JIT (refused by the embedded profile)
  --profile NAME    cloud (default) or embedded
  --program NAME    the program (section or function name) to run from an ELF object
  --no-verify       skip the verifier; conformance helpers; 512-byte stack
  --budget N        instruction budget for --no-verify runs (default 1000000)
  -v, --verbose     also print the number of executed instructions
  -h, --help        show this help`;

const SPEC = {
  mem: { type: "string" },
  "mem-hex": { type: "string" },
  jit: { type: "boolean" },
  profile: { type: "string" },
  "no-verify": { type: "boolean" },
  budget: { type: "string" },
  verbose: { type: "boolean", short: "v" },
  program: { type: "string" },
} as const;

function isElf(data: Uint8Array): boolean {
  return data[0] === 0x7f && data[1] === 0x45 && data[2] === 0x4c && data[3] === 0x46;
}

/** The `bpf run` command. */
export const command: Command = {
  name: "run",
  summary: "run an eBPF program once and print r0",
  help: HELP,
  async run(argv) {
    const flags = parseFlags(argv, { spec: SPEC, help: HELP });
    if (flags.positionals.length !== 1) throw new UsageError("bpf run takes one FILE");
    const path = flags.positionals[0];
    let mem = await readMemory(
      flags.values.mem as string | undefined,
      flags.values["mem-hex"] as string | undefined,
    );
    const memGiven = flags.values.mem !== undefined || flags.values["mem-hex"] !== undefined;
    const data = await readFile(path);
    const elf = isElf(data);
    if (!elf && flags.values.program !== undefined) {
      throw new UsageError("--program applies to ELF objects");
    }
    let bytes = data;
    if (elf) {
      if (flags.values["no-verify"] === true) {
        throw new UsageError("ELF objects are loaded through the verifier; drop --no-verify");
      }
    } else if (path.endsWith(".data")) {
      const c = parseBpfConformance(new TextDecoder().decode(data), { name: path });
      bytes = c.raw ?? assemble(c.asm ?? "", { file: path });
      if (!memGiven) mem = c.mem;
    } else bytes = programFromBytes(data, path).bytes;
    const jit = flags.values.jit === true;
    let value: bigint;
    let executed: number;
    if (flags.values["no-verify"] === true) {
      if (flags.values.profile !== undefined) {
        throw new UsageError("--profile and --no-verify do not go together");
      }
      const budget = intFlag(flags, "budget", 1_000_000);
      if (budget < 1) throw new UsageError("--budget must be at least 1");
      const program = decodeProgram(bytes);
      const runner = jit
        ? new BpfJit(program, { budget, helpers: bpfConformanceHelpers() })
        : new BpfInterpreter(program, { budget, helpers: bpfConformanceHelpers() });
      value = runner.run(mem);
      executed = runner.executed;
    } else {
      if (flags.values.budget !== undefined) {
        throw new UsageError("--budget applies to --no-verify runs; profiles set their own");
      }
      let profile;
      try {
        profile = getBpfProfile(stringFlag(flags, "profile", "cloud"));
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      // A conformance case calls the suite's helpers 0-5, as `bpf verify` assumes for .data files.
      const helpers = path.endsWith(".data") ? bpfConformanceHelpers() : undefined;
      const vm = new BpfVm({ profile, helpers });
      const input = { kind: "ctx" as const, size: mem.length };
      let loaded: LoadedBpfProgram;
      if (elf) {
        const obj = loadElf(vm, bytes, { file: path, jit, input });
        const names = [...obj.programs.keys()];
        const want = flags.values.program as string | undefined;
        if (want === undefined && names.length !== 1) {
          throw new UsageError(
            `${path} has ${names.length} programs; pick one with --program: ${names.join(", ")}`,
          );
        }
        const chosen = obj.programs.get(want ?? names[0]);
        if (chosen === undefined) {
          throw new UsageError(`${path} has no program "${want}"; programs: ${names.join(", ")}`);
        }
        loaded = chosen;
      } else loaded = vm.load(bytes, { jit, name: path, input });
      value = loaded.run(mem);
      executed = loaded.runner.executed;
    }
    writeSync("stdout", `0x${value.toString(16)} (${value})\n`);
    if (flags.values.verbose === true) {
      writeSync(
        "stderr",
        `${executed} instructions executed${jit ? " (counted per block)" : ""}\n`,
      );
    }
    return 0;
  },
};
