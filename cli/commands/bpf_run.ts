/**
 * `mxy bpf run`: verifies a program under a profile and runs it once in the interpreter or the
 * JIT, printing r0.
 *
 * @module
 */
import { type Command, intFlag, parseFlags, stringFlag, UsageError } from "../_command.ts";
import { compileJit, decodeProgram, Interpreter } from "../../lib/bpf/mod.ts";
import { BpfVm } from "../../lib/bpf/vm.ts";
import { getProfile } from "../../lib/bpf/profile.ts";
import { readMemory, readProgram } from "./_bpf_common.ts";
import { writeSync } from "../../lib/runtime/mod.ts";

const HELP = `Usage: mxy bpf run FILE [--mem FILE | --mem-hex HEX] [--jit] [--profile NAME]
                    [--no-verify] [--budget N]

Runs an eBPF program once and prints r0 (hex, then decimal). FILE is assembler text, hex or
raw bytecode. r1 points to the memory given with --mem/--mem-hex (empty otherwise) and r2
holds its length; r10 points to the top of the stack.

By default the program is verified under the profile and run with the profile's limits
(stack, instruction budget, call depth) and the map helpers. With --no-verify it runs
directly with the bpf_conformance test helpers (0-5) and a 512-byte stack.

Options:
  --mem FILE        the memory r1 points to
  --mem-hex HEX     the memory as hex bytes ("00 01 02" or "000102")
  --jit             run in the JIT (refused by the embedded profile)
  --profile NAME    cloud (default) or embedded
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
} as const;

/** The `bpf run` command. */
export const command: Command = {
  name: "run",
  summary: "run an eBPF program once and print r0",
  help: HELP,
  async run(argv) {
    const flags = parseFlags(argv, { spec: SPEC, help: HELP });
    if (flags.positionals.length !== 1) throw new UsageError("bpf run takes one FILE");
    const path = flags.positionals[0];
    const mem = await readMemory(
      flags.values.mem as string | undefined,
      flags.values["mem-hex"] as string | undefined,
    );
    const { bytes } = await readProgram(path);
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
      const runner = jit ? compileJit(program, { budget }) : new Interpreter(program, { budget });
      value = runner.run(mem);
      executed = runner.executed;
    } else {
      if (flags.values.budget !== undefined) {
        throw new UsageError("--budget applies to --no-verify runs; profiles set their own");
      }
      let profile;
      try {
        profile = getProfile(stringFlag(flags, "profile", "cloud"));
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const vm = new BpfVm({ profile });
      const loaded = vm.load(bytes, {
        jit,
        name: path,
        input: { kind: "ctx", size: mem.length },
      });
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
