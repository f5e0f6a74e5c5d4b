/**
 * `mxy bpf conformance`: runs bpf_conformance `.data` files in the interpreter and the JIT and
 * reports pass/fail per file.
 *
 * @module
 */
import { type Command, parseFlags, UsageError } from "../_command.ts";
import { BpfError, JitProgram, parseConformance, runConformance } from "../../lib/bpf/mod.ts";
import { listDir, readFile, statFile, writeSync } from "../../lib/runtime/mod.ts";

const HELP = `Usage: mxy bpf conformance DIR|FILE... [--engine both|interpreter|jit] [--quiet]

Runs bpf_conformance test files (.data: "-- asm" or "-- raw", "-- mem", "-- result",
"-- error") and prints one line per file: PASS or FAIL with the engine and the reason.
A case passes when r0 equals "-- result", or when it has only "-- error" and the program is
rejected (assembler, decoder or run-time error). Exits 1 when any case fails.

Options:
  --engine E   both (default), interpreter or jit
  --quiet      print only failures and the summary
  -h, --help   show this help`;

/** The `bpf conformance` command. */
export const command: Command = {
  name: "conformance",
  summary: "run bpf_conformance .data files in the interpreter and the JIT",
  help: HELP,
  async run(argv) {
    const flags = parseFlags(argv, {
      spec: { engine: { type: "string" }, quiet: { type: "boolean" } },
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
    const engines = engine === "both" ? ["interpreter", "jit"] : [engine];
    let pass = 0, fail = 0;
    const quiet = flags.values.quiet === true;
    for (const file of files) {
      const name = file.split("/").pop()!;
      const reasons: string[] = [];
      try {
        const c = parseConformance(new TextDecoder().decode(await readFile(file)), { name });
        for (const e of engines) {
          const r = runConformance(c, {
            runner: e === "jit" ? (p, o) => new JitProgram(p, o) : undefined,
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
