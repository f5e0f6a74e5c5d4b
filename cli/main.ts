/**
 * The mxy command line: `mxy <command> [options]`. Each command lives in its own file in
 * `cli/commands/` and is loaded only when it is used.
 *
 * @module
 */
import {
  type Command,
  defineGroup,
  type GroupSpec,
  HelpRequested,
  UsageError,
} from "./_command.ts";
import { args, env, exit, isBrokenPipe, writeSync } from "./_io.ts";

/** The top-level commands, loaded on demand. */
export const COMMANDS: Record<string, () => Promise<Command>> = {
  build: async () => (await import("./commands/build.ts")).command,
  query: async () => (await import("./commands/query.ts")).command,
  match: async () => (await import("./commands/match.ts")).command,
  inspect: async () => (await import("./commands/inspect.ts")).command,
  validate: async () => (await import("./commands/validate.ts")).command,
  export: async () => (await import("./commands/export.ts")).command,
  pcap: async () => (await import("./commands/pcap.ts")).command,
  bpf: async () => (await import("./commands/bpf.ts")).command,
  serve: async () => (await import("./commands/serve.ts")).command,
  ether: async () => (await import("./commands/ether.ts")).command,
  completions: async () => (await import("./commands/completions.ts")).command,
};

/** `mxy` itself, as a group of commands. */
export const MXY: GroupSpec = {
  name: "",
  summary: "Network-security data: IOC databases, captures, BPF, the Ether protocol",
  description: [
    "mxy builds and queries IOC databases in the MaxMind DB format, scans logs for indicators, " +
    "reads packet captures, runs eBPF bytecode and speaks the Ether protocol.",
  ],
  commands: COMMANDS,
  options: [{ name: "version", short: "V", type: "boolean", description: "Show the version" }],
  sections: [{
    title: "Exit status",
    rows: [
      ["0", "Success; for query, match and ether query: something matched"],
      ["1", "Failure; for query, match and ether query: nothing matched; for validate: invalid"],
      ["2", "Usage error (a mistyped command, option or argument)"],
    ],
  }],
};

const ROOT = defineGroup(MXY);

/**
 * The words a user sees for an error: `mxy CMD: MESSAGE; see mxy CMD --help` for usage errors,
 * `mxy: MESSAGE` for failures.
 *
 * @param err What was thrown.
 * @returns The line to print (without newline) and the exit code.
 * @example
 * ```ts
 * import { describeError } from "./main.ts";
 * import { UsageError } from "./_command.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(describeError(new UsageError("Missing DB argument", "query")), {
 *   text: "mxy query: Missing DB argument; see mxy query --help",
 *   code: 2,
 * });
 * assert.deepEqual(describeError(new Error("Cannot open")), { text: "mxy: Cannot open", code: 1 });
 * ```
 */
export function describeError(err: unknown): { text: string; code: number } {
  if (err instanceof UsageError) {
    const words = err.command ? `mxy ${err.command}` : "mxy";
    return { text: `${words}: ${err.message}; see ${words} --help`, code: 2 };
  }
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { exitCode?: unknown } | null)?.exitCode;
  return { text: `mxy: ${message}`, code: typeof code === "number" && code > 0 ? code : 1 };
}

/**
 * Runs the command line and returns the exit code (0 success, 1 failure or no match, 2 usage).
 *
 * @param argv The arguments.
 * @returns The exit code.
 * @example
 * ```ts
 * import { main } from "./main.ts";
 * import assert from "node:assert/strict";
 * assert.equal(await main(["no-such-command"]), 2);
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  try {
    if (argv[0] === "--version" || argv[0] === "-V") {
      const { VERSION } = await import("../mod.ts");
      writeSync("stdout", `mxy ${VERSION}\n`);
      return 0;
    }
    return await ROOT.run(argv);
  } catch (err) {
    if (err instanceof HelpRequested) {
      writeSync("stdout", err.help + "\n");
      return 0;
    }
    if (isBrokenPipe(err)) return 0;
    const { text, code } = describeError(err);
    writeSync("stderr", text + "\n");
    if (env("MXY_DEBUG") && err instanceof Error && !(err instanceof UsageError)) {
      writeSync("stderr", `${err.stack}\n`);
    }
    return code;
  }
}

if (import.meta.main) exit(await main(args()));
