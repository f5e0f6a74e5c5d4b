/**
 * `mxy bpf conformance`: runs bpf_conformance `.data` files in the interpreter and the JIT and
 * reports pass/fail per file.
 *
 * @module
 */
import { type Command, parseFlags, UsageError } from "../_command.ts";
import {
  BpfError,
  BpfJit,
  type BpfProgram,
  getBpfProfile,
  verifyProgram,
} from "../../lib/bpf/mod.ts";
import {
  bpfConformanceHelpers,
  parseBpfConformance,
  runBpfConformance,
} from "../../lib/testing/mod.ts";
import { writeSync } from "../_io.ts";
import { listDir, readFile, statFile } from "../_io.ts";

const HELP = `Usage: mxy bpf conformance DIR|FILE... [--engine both|interpreter|jit] [--verify]
                            [--profile NAME] [--quiet]

Runs bpf_conformance test files (.data: "-- asm" or "-- raw", "-- mem", "-- result",
"-- error") and prints one line per file: PASS or FAIL with the engine and the reason.
A case passes when r0 equals "-- result", or when it has only "-- error" and the program is
rejected (assembler, decoder, verifier or run-time error). Exits 1 when any case fails.

Options:
  --engine E      both (default), interpreter or jit
  --verify        run the verifier first (the test helpers 0-5 are known; r1 is a context of
                  the "-- mem" size); a rejection counts as an error
  --profile NAME  the verifier's profile: cloud (default) or embedded
  --quiet         print only failures and the summary
  -h, --help   show this help`;

/** The `bpf conformance` command. */
export const command: Command = {
  name: "conformance",
  summary: "run bpf_conformance .data files in the interpreter and the JIT",
  help: HELP,
  async run(argv) {
    const flags = parseFlags(argv, {
      spec: {
        engine: { type: "string" },
        quiet: { type: "boolean" },
        verify: { type: "boolean" },
        profile: { type: "string" },
      },
      help: HELP,
    });
    if (flags.positionals.length === 0) throw new UsageError("bpf conformance takes DIR or FILE");
    const engine = (flags.values.engine as string | undefined) ?? "both";
    if (!["both", "interpreter", "jit"].includes(engine)) {
      throw new UsageError(`--engine takes both, interpreter or jit, got "${engine}"`);
    }
    const files: string[] = [];
    for (const p of flags.positionals) {
      const info = await statFile(p);
      if (info === null) throw new Error(`Cannot read "${p}": no such file or directory`);
      if (info.isDirectory) {
        for (const name of (await listDir(p)).filter((n) => n.endsWith(".data")).sort()) {
          files.push(`${p.replace(/\/$/, "")}/${name}`);
        }
      } else files.push(p);
    }
    let profile;
    try {
      profile = getBpfProfile((flags.values.profile as string | undefined) ?? "cloud");
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (flags.values.profile !== undefined && flags.values.verify !== true) {
      throw new UsageError("--profile needs --verify");
    }
    const helpers = bpfConformanceHelpers();
    const engines = engine === "both" ? ["interpreter", "jit"] : [engine];
    let pass = 0, fail = 0;
    const quiet = flags.values.quiet === true;
    for (const file of files) {
      const name = file.split("/").pop()!;
      const reasons: string[] = [];
      try {
        const c = parseBpfConformance(new TextDecoder().decode(await readFile(file)), { name });
        for (const e of engines) {
          const r = runBpfConformance(c, {
            runner: e === "jit" ? (p, o) => new BpfJit(p, o) : undefined,
            verify: flags.values.verify === true
              ? (p: BpfProgram) =>
                void verifyProgram(p, {
                  profile,
                  helpers,
                  input: { kind: "ctx", size: c.mem.length },
                })
              : undefined,
          });
          if (!r.pass) reasons.push(`${e}: ${r.message}`);
        }
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
        reasons.push(e.message);
      }
      if (reasons.length === 0) {
        pass++;
        if (!quiet) writeSync("stdout", `PASS ${name} (${engines.join(", ")})\n`);
      } else {
        fail++;
        writeSync("stdout", `FAIL ${name}: ${reasons.join("; ")}\n`);
      }
    }
    writeSync("stdout", `${pass} passed, ${fail} failed, ${files.length} files\n`);
    return fail === 0 ? 0 : 1;
  },
};
