/**
 * What every mxy subcommand shares: its shape, usage errors (exit 2) and flag parsing with
 * `--help` on every command.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** One subcommand: its name, a one-line summary, its help text and what it runs. */
export interface Command {
  /** The word that selects it (`build`, `query`, `info` …). */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The full `--help` text. */
  help: string;
  /** Runs the command on its arguments (after the command word); resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

/** A mistake in how a command was called: reported with a hint and exit code 2. */
export class UsageError extends Error {
  /** The exit code for usage errors. */
  readonly exitCode = 2;
  /** @param message What is wrong with the call. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Thrown by {@linkcode parseFlags} when `--help` was given; the text is the help to print. */
export class HelpRequested extends Error {
  /** @param help The help text. */
  constructor(readonly help: string) {
    super("help requested");
    this.name = "HelpRequested";
  }
}

/** Option descriptions as `node:util` `parseArgs` takes them. */
export type FlagSpec = NonNullable<ParseArgsConfig["options"]>;

/** Parsed flags and positionals. */
export interface ParsedFlags {
  /** Flag values by name. */
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  /** Positional arguments. */
  positionals: string[];
}

/**
 * Parses a command's flags strictly; `--help`/`-h` throws {@linkcode HelpRequested}, anything
 * unknown or malformed throws {@linkcode UsageError}.
 *
 * @param argv The arguments after the command word.
 * @param options The flag spec and the help text.
 * @returns Values and positionals.
 * @example
 * ```ts
 * import { parseFlags } from "./_command.ts";
 * import assert from "node:assert/strict";
 * const f = parseFlags(["-o", "x", "a"], { spec: { o: { type: "string" } }, help: "" });
 * assert.equal(f.values.o, "x");
 * assert.deepEqual(f.positionals, ["a"]);
 * ```
 */
export function parseFlags(
  argv: string[],
  options: { spec: FlagSpec; help: string },
): ParsedFlags {
  if (argv.includes("--help") || argv.includes("-h")) throw new HelpRequested(options.help);
  try {
    const r = parseArgs({
      args: argv,
      options: options.spec,
      allowPositionals: true,
      strict: true,
    });
    return { values: r.values as ParsedFlags["values"], positionals: r.positionals };
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * Reads a string flag, or `fallback` when absent.
 *
 * @param flags The parsed flags.
 * @param name The flag's name.
 * @param fallback The default.
 * @returns The value.
 * @example
 * ```ts
 * import { stringFlag } from "./_command.ts";
 * import assert from "node:assert/strict";
 * assert.equal(stringFlag({ values: {}, positionals: [] }, "x", "d"), "d");
 * ```
 */
export function stringFlag(flags: ParsedFlags, name: string, fallback: string): string {
  const v = flags.values[name];
  return typeof v === "string" ? v : fallback;
}

/**
 * Reads an integer flag within a range, or `fallback` when absent; anything else is a usage error.
 *
 * @param flags The parsed flags.
 * @param name The flag's name.
 * @param fallback The default.
 * @returns The value.
 * @example
 * ```ts
 * import { intFlag } from "./_command.ts";
 * import assert from "node:assert/strict";
 * assert.equal(intFlag({ values: { n: "5" }, positionals: [] }, "n", 1), 5);
 * ```
 */
export function intFlag(flags: ParsedFlags, name: string, fallback: number): number {
  const v = flags.values[name];
  if (v === undefined) return fallback;
  if (typeof v !== "string" || !/^-?\d+$/.test(v)) {
    throw new UsageError(`--${name} takes a whole number, got "${String(v)}"`);
  }
  return Number(v);
}

/**
 * Selects a subcommand from a table and runs it: used by the command groups (`pcap`, `bpf`,
 * `ether`).
 *
 * @param group The group's name, for messages.
 * @param table Subcommands by name (loaded lazily).
 * @param argv The arguments after the group word.
 * @returns The exit code.
 * @example
 * ```ts
 * import { dispatch } from "./_command.ts";
 * import assert from "node:assert/strict";
 * const code = await dispatch("x", {}, ["--help"]).catch(() => 2);
 * assert.equal(typeof code, "number");
 * ```
 */
export async function dispatch(
  group: string,
  table: Record<string, () => Promise<Command>>,
  argv: string[],
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
    const lines = [`Usage: mxy ${group} <command> [options]`, "", "Commands:"];
    for (const [name, load] of Object.entries(table)) {
      const cmd = await load();
      lines.push(`  ${name.padEnd(12)} ${cmd.summary}`);
    }
    lines.push("", `Run "mxy ${group} <command> --help" for a command's options.`);
    throw new HelpRequested(lines.join("\n"));
  }
  const load = table[sub];
  if (!load) {
    throw new UsageError(
      `Unknown command "mxy ${group} ${sub}"; commands: ${Object.keys(table).join(", ")}`,
    );
  }
  return await (await load()).run(rest);
}
