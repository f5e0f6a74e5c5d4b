/**
 * The mxy command line: `mxy <command> [options]`. Each command lives in its own file in
 * `cli/commands/` and is loaded only when it is used.
 *
 * @module
 */
import { type Command, dispatch, HelpRequested, UsageError } from "./_command.ts";
import { args, exit, writeSync } from "./_io.ts";

/** The top-level commands, loaded on demand. */
export const COMMANDS: Record<string, () => Promise<Command>> = {
  build: async () => (await import("./commands/build.ts")).command,
  query: async () => (await import("./commands/query.ts")).command,
  inspect: async () => (await import("./commands/inspect.ts")).command,
  validate: async () => (await import("./commands/validate.ts")).command,
  export: async () => (await import("./commands/export.ts")).command,
  pcap: async () => (await import("./commands/pcap.ts")).command,
  bpf: async () => (await import("./commands/bpf.ts")).command,
  serve: async () => (await import("./commands/serve.ts")).command,
  ether: async () => (await import("./commands/ether.ts")).command,
  match: async () => (await import("./commands/match.ts")).command,
};

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
    return await dispatch("", COMMANDS, argv);
  } catch (err) {
    if (err instanceof HelpRequested) {
      writeSync("stdout", err.help.replace("mxy  <command>", "mxy <command>") + "\n");
      return 0;
    }
    if (err instanceof UsageError) {
      writeSync("stderr", `mxy: ${err.message.replace("mxy  ", "mxy ")}\n`);
      writeSync("stderr", `Run "mxy --help" or "mxy <command> --help" for usage.\n`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    writeSync("stderr", `mxy: ${message}\n`);
    const code = (err as { exitCode?: unknown }).exitCode;
    return typeof code === "number" ? code : 1;
  }
}

if (import.meta.main) exit(await main(args()));
