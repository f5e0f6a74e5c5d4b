/**
 * `mxy bpf conformance`: runs bpf_conformance `.data` files in the interpreter and the JIT and
 * reports pass/fail per file.
 *
 * @module
 */
import { defineCommand } from "../_command.ts";
import { BpfError, BpfJit, type BpfProgram, verifyProgram } from "../../lib/bpf/mod.ts";
import {
  bpfConformanceHelpers,
  parseBpfConformance,
  runBpfConformance,
} from "../../lib/testing/mod.ts";
import { listDir, readFile, statFile, writeSync } from "../_io.ts";
import { profileOf, profileOption } from "./_bpf_common.ts";

/** The `bpf conformance` command. */
export const command = defineCommand({
  name: "bpf conformance",
  summary: "Run bpf_conformance .data files in the interpreter and the JIT",
  arguments: [{
    name: "PATH",
    variadic: true,
    description: "A .data file, or a directory: its .data files, in name order",
  }],
  description: [
    'Runs bpf_conformance test files (.data: "-- asm" or "-- raw", "-- mem", "-- result", ' +
    '"-- error") and prints one line per file: PASS or FAIL with the engine and the reason. A ' +
    'case passes when r0 equals "-- result", or when it has only "-- error" and the program is ' +
    "rejected (assembler, decoder, verifier or run-time error). A directory without .data " +
    "files is an error.",
  ],
  options: [
    {
      name: "engine",
      type: "enum",
      value: "E",
      choices: ["both", "interpreter", "jit"],
      default: "both",
      description: "The engines to run each case in",
    },
    {
      name: "verify",
      type: "boolean",
      description: "Run the verifier first (the test helpers 0-5 are known; r1 is a context of " +
        'the "-- mem" size); a rejection counts as an error',
    },
    profileOption("The verifier's profile, with --verify", "cloud"),
    {
      name: "quiet",
      short: "q",
      type: "boolean",
      description: "Print only failures and the summary",
    },
  ],
  sections: [{
    title: "Exit status",
    rows: [["0", "Every case passed"], ["1", "One failed, or a failure"], ["2", "Usage error"]],
  }],
  examples: [
    "mxy bpf conformance bpf_conformance/tests -q",
    "mxy bpf conformance tests/lddw.data --engine jit --verify --profile embedded",
  ],
  async run(inv) {
    const engine = inv.string("engine")!;
    if (inv.has("profile") && !inv.flag("verify")) throw inv.usage("--profile needs --verify");
    const files: string[] = [];
    for (const p of inv.positionals) {
      const info = await statFile(p);
      if (info === null) throw new Error(`Cannot read "${p}": no such file or directory`);
      if (info.isDirectory) {
        const names = (await listDir(p)).filter((n) => n.endsWith(".data")).sort();
        if (names.length === 0) throw new Error(`${p}: no .data files in the directory`);
        for (const name of names) files.push(`${p.replace(/\/$/, "")}/${name}`);
      } else files.push(p);
    }
    const profile = profileOf(inv);
    const helpers = bpfConformanceHelpers();
    const engines = engine === "both" ? ["interpreter", "jit"] : [engine];
    let pass = 0, fail = 0;
    const quiet = inv.flag("quiet");
    for (const file of files) {
      const name = file.split("/").pop()!;
      const reasons: string[] = [];
      try {
        const c = parseBpfConformance(new TextDecoder().decode(await readFile(file)), { name });
        for (const e of engines) {
          const r = runBpfConformance(c, {
            runner: e === "jit" ? (p, o) => new BpfJit(p, o) : undefined,
            verify: inv.flag("verify")
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
});
