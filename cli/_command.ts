/**
 * The command framework. Each command is one declaration ({@linkcode CommandSpec}): its name,
 * summary, arguments and options (name, short letter, type, default, choices, range, whether it
 * may be repeated, description, aliases such as `--json` for `--format json`). From it come
 * the `--help` text, parsing with every check (types, ranges, choices, argument counts), "did
 * you mean" for mistyped options, commands and choices, and the shell completions.
 *
 * Errors: a {@linkcode UsageError} is a mistake in how a command was called (exit 2, printed as
 * `mxy CMD: MESSAGE; see mxy CMD --help`); anything else thrown is a failure (exit 1).
 *
 * `parseFlags`, `stringFlag`, `intFlag` and `dispatch` are the older interface: command bodies
 * that still read `flags.values` get them from {@linkcode Invocation.legacyFlags} (parsed and
 * checked by the declaration), and a command written the older way still runs, but the help lint
 * (tests/cli/help_lint_test.ts) fails until it is declared with {@linkcode defineCommand}.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import {
  columns,
  commandHelp,
  HELP_OPTION,
  HELP_WIDTH,
  optionLabel,
  optionText,
  sentenceCase,
  wrap,
} from "./_help.ts";
import { closest } from "./_suggest.ts";

/** One subcommand as the dispatcher sees it: its name, summary, help and what it runs. */
export interface Command {
  /** The word that selects it (`build`, `query`, `info` …). */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The full `--help` text. */
  help: string;
  /** Runs the command on its arguments (after the command word); resolves to the exit code. */
  run(argv: string[]): Promise<number>;
  /** The declaration, for commands made by {@linkcode defineCommand}. */
  spec?: CommandSpec;
  /** The subcommands, for groups made by {@linkcode defineGroup}. */
  subcommands?: Record<string, () => Promise<Command>>;
}

/** The kinds of option value. */
export type OptionType = "string" | "boolean" | "int" | "size" | "enum";

/** What the shell should offer for a value: files, directories, nothing or fixed words. */
export type Completion = "file" | "directory" | "none";

/** One option of a command. */
export interface OptionSpec {
  /** The long name, without `--` (`output`, `on-duplicate`). */
  name: string;
  /** The one-letter short name, without `-`. */
  short?: string;
  /** What it takes: nothing (boolean), text, a whole number, a size (`64K`, `2G`) or a choice. */
  type: OptionType;
  /** The value's placeholder in help (default by type: `TEXT`, `N`, `SIZE`, the name). */
  value?: string;
  /** One line (or a few) in sentence case, without a final period. */
  description: string;
  /** The value when the option is absent. */
  default?: string | number | boolean;
  /** Words for a default that is not a fixed value ("from the extension"). */
  defaultText?: string;
  /** The values an `enum` option takes. */
  choices?: readonly string[];
  /** The description already names the choices: help does not list them again. */
  choicesInDescription?: boolean;
  /** Smallest value of an `int` or `size`. */
  min?: number;
  /** Largest value of an `int` or `size`. */
  max?: number;
  /** May be given several times; the values are collected in order. */
  repeatable?: boolean;
  /** Must be given (shown outside brackets in the usage line). */
  required?: boolean;
  /**
   * This option is another one under a second name: with `value`, a boolean that sets it
   * (`--json` is `--format json`); without, the same option (an older spelling).
   */
  aliasOf?: { option: string; value?: string };
  /** Accepted but not listed (an older spelling kept for scripts). */
  hidden?: boolean;
  /** What shell completion offers for the value (default: files for strings). */
  complete?: Completion;
  /**
   * The option does a job of its own (`--list`): given, the command's required arguments and
   * options are not asked for.
   */
  standalone?: boolean;
}

/** One positional argument. */
export interface ArgumentSpec {
  /** The placeholder (`DB`, `QUERY`, `FILE`). */
  name: string;
  /** Shown under "Arguments:" when given. */
  description?: string;
  /** Must be given (default `true`). */
  required?: boolean;
  /** Takes every remaining argument (at least one when required). */
  variadic?: boolean;
  /** What shell completion offers (default: files). */
  complete?: Completion;
}

/** An extra help section: rows in columns, then paragraphs. */
export interface HelpSection {
  /** The heading, without the colon ("Exit status", "Inputs"). */
  title: string;
  /** Label and text pairs, shown in aligned columns. */
  rows?: [string, string][];
  /** Paragraphs, wrapped and indented. */
  text?: string[];
}

/** A command's declaration. */
export interface CommandSpec {
  /** Its full name after `mxy`: `build`, `ether alloc`. */
  name: string;
  /** One line in sentence case, without a final period, for command lists. */
  summary: string;
  /** Paragraphs after the usage line. */
  description?: string[];
  /** The positional arguments, in order. */
  arguments?: ArgumentSpec[];
  /** The options (`-h, --help` is added to every command). */
  options?: OptionSpec[];
  /** Extra sections after the options ("Exit status", "Inputs" …). */
  sections?: HelpSection[];
  /** Example command lines, each under 100 columns. */
  examples?: string[];
  /** Runs the command on its parsed arguments; resolves to the exit code. */
  run(inv: Invocation): Promise<number>;
}

/** A mistake in how a command was called: reported with a hint and exit code 2. */
export class UsageError extends Error {
  /** The exit code for usage errors. */
  readonly exitCode = 2;
  /** The command it is about (`query`, `ether alloc`), once known. */
  command: string | undefined;
  /**
   * @param message What is wrong with the call.
   * @param command The command it is about, when the thrower knows it.
   */
  constructor(message: string, command?: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

/** Thrown when `--help` was given; the text is the help to print. */
export class HelpRequested extends Error {
  /**
   * @param help The help text.
   * @param subcommands A group's subcommands, for tools that walk the commands.
   */
  constructor(
    readonly help: string,
    readonly subcommands?: Record<string, () => Promise<Command>>,
  ) {
    super("help requested");
    this.name = "HelpRequested";
  }
}

/** The parsed arguments of one call of a command, read through typed accessors. */
export class Invocation {
  /** The command's full name (`query`, `ether alloc`). */
  readonly command: string;
  /** The positional arguments, checked against the declaration's counts. */
  readonly positionals: string[];
  readonly #options: Map<string, OptionSpec>;
  readonly #values: Map<string, string | boolean | string[]>;

  /**
   * @param spec The command.
   * @param positionals Its positional arguments.
   * @param values Option values by name (strings as given; booleans; lists).
   */
  constructor(
    spec: CommandSpec,
    positionals: string[],
    values: Map<string, string | boolean | string[]>,
  ) {
    this.command = spec.name;
    this.positionals = positionals;
    this.#options = new Map((spec.options ?? []).map((o) => [o.name, o]));
    this.#values = values;
  }

  #option(name: string, types: OptionType[]): OptionSpec {
    const o = this.#options.get(name);
    if (o === undefined || o.aliasOf !== undefined) {
      throw new TypeError(`mxy ${this.command} declares no option --${name}`);
    }
    if (!types.includes(o.type)) {
      throw new TypeError(`--${name} of mxy ${this.command} is ${o.type}, not ${types}`);
    }
    return o;
  }

  /**
   * Whether the option was given on the command line.
   *
   * @param name The option's long name.
   * @returns `true` when given.
   */
  has(name: string): boolean {
    this.#option(name, ["string", "boolean", "int", "size", "enum"]);
    return this.#values.has(name);
  }

  /**
   * A boolean option.
   *
   * @param name The option's long name.
   * @returns Whether it was given.
   */
  flag(name: string): boolean {
    const o = this.#option(name, ["boolean"]);
    return this.#values.get(name) === true || (!this.#values.has(name) && o.default === true);
  }

  /**
   * A string or choice option's value, or its default (`undefined` without one).
   *
   * @param name The option's long name.
   * @returns The value.
   */
  string(name: string): string | undefined {
    const o = this.#option(name, ["string", "enum"]);
    const v = this.#values.get(name);
    if (typeof v === "string") return v;
    return o.default === undefined ? undefined : String(o.default);
  }

  /**
   * A whole-number option's value (checked against its range), or its default.
   *
   * @param name The option's long name.
   * @returns The value, or `undefined` without value or default.
   */
  int(name: string): number | undefined {
    const o = this.#option(name, ["int", "size"]);
    const v = this.#values.get(name);
    const text = typeof v === "string" ? v : o.default;
    if (text === undefined || typeof text === "boolean") return undefined;
    if (typeof text === "number") return text;
    return o.type === "size" ? parseSize(text) : Number(text);
  }

  /**
   * Every value of a repeatable option, in order (commas are not split).
   *
   * @param name The option's long name.
   * @returns The values (empty when not given).
   */
  list(name: string): string[] {
    const o = this.#option(name, ["string", "enum", "int", "size"]);
    if (!o.repeatable) throw new TypeError(`--${name} of mxy ${this.command} is not repeatable`);
    return (this.#values.get(name) as string[] | undefined) ?? [];
  }

  /**
   * The values in the shape the older `parseFlags` gave them (text as given, booleans, lists for
   * repeatable options), with the declared defaults of options that take a value filled in: for
   * command bodies that still read `flags.values`. Parsing and every declared check are done.
   *
   * @returns Values by option name, and the positional arguments.
   */
  legacyFlags(): ParsedFlags {
    const values: ParsedFlags["values"] = {};
    for (const o of this.#options.values()) {
      if (o.aliasOf !== undefined) continue;
      const v = this.#values.get(o.name);
      if (v !== undefined) values[o.name] = Array.isArray(v) ? [...v] : v;
      else if (o.type !== "boolean" && o.default !== undefined) values[o.name] = String(o.default);
    }
    return { values, positionals: [...this.positionals] };
  }

  /**
   * A usage error about this command (exit 2, with a pointer to its help).
   *
   * @param message What is wrong.
   * @returns The error, to throw.
   */
  usage(message: string): UsageError {
    return new UsageError(message, this.command);
  }
}

const SIZE_RE = /^(\d+)([kKmMgGtT]?)(i?[bB])?$/;

/**
 * Parses a size such as `1048576`, `64K`, `512M`, `2G` or `1GiB` (powers of 1024).
 *
 * @param text The size.
 * @returns Bytes, or `NaN` when the text is not a size.
 * @example
 * ```ts
 * import { parseSize } from "./_command.ts";
 * import assert from "node:assert/strict";
 * assert.equal(parseSize("64K"), 65536);
 * assert.equal(parseSize("2GiB"), 2 * 1024 ** 3);
 * assert.ok(Number.isNaN(parseSize("2 G")));
 * ```
 */
export function parseSize(text: string): number {
  const m = SIZE_RE.exec(text);
  if (!m) return NaN;
  const shift = " kmgt".indexOf(m[2].toLowerCase() || " ");
  return Number(m[1]) * 1024 ** shift;
}

/** Checks one option value against its declaration; returns the text to keep. */
function checkValue(o: OptionSpec, text: string, command: string): string {
  const fail = (what: string) =>
    new UsageError(`--${o.name} takes ${what}, got ${JSON.stringify(text)}`, command);
  const range = () => {
    const unit = o.type !== "size" ? "" : (o.max ?? o.min) === 1 ? " byte" : " bytes";
    if (o.min !== undefined && o.max !== undefined) return ` from ${o.min} to ${o.max}${unit}`;
    if (o.min !== undefined) return ` of at least ${o.min}${unit}`;
    if (o.max !== undefined) return ` of at most ${o.max}${unit}`;
    return "";
  };
  switch (o.type) {
    case "int": {
      if (!/^-?\d+$/.test(text)) throw fail(`a whole number${range()}`);
      const n = Number(text);
      if ((o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max)) {
        throw fail(`a whole number${range()}`);
      }
      return text;
    }
    case "size": {
      const n = parseSize(text);
      if (Number.isNaN(n)) throw fail(`a size like 65536, 64K, 512M or 2G${range()}`);
      if ((o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max)) {
        throw fail(`a size${range()}`);
      }
      return text;
    }
    case "enum": {
      const choices = o.choices ?? [];
      if (choices.includes(text)) return text;
      const guess = closest(text, choices);
      throw new UsageError(
        `--${o.name} takes ${listOr(choices)}, got ${JSON.stringify(text)}${
          guess ? ` (did you mean ${guess}?)` : ""
        }`,
        command,
      );
    }
    default:
      return text;
  }
}

/** `a, b or c`. */
export function listOr(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/**
 * Parses a command's arguments against its declaration: options anywhere (`--name value`,
 * `--name=value`, `-o value`, `-ovalue`, `-qc` for several booleans), `--` ends the options and
 * `-` is an argument. `-h`/`--help` throws {@linkcode HelpRequested}; anything unknown,
 * malformed, out of range or missing throws {@linkcode UsageError} naming the command.
 *
 * @param spec The command's declaration.
 * @param argv The arguments after the command's words.
 * @returns The parsed call.
 * @example
 * ```ts
 * import { parseCommand } from "./_command.ts";
 * import assert from "node:assert/strict";
 * const spec = {
 *   name: "x",
 *   summary: "X",
 *   arguments: [{ name: "FILE" }],
 *   options: [{ name: "count", short: "c", type: "int" as const, min: 1, description: "N" }],
 *   run: () => Promise.resolve(0),
 * };
 * const inv = parseCommand(spec, ["-c", "3", "a.txt"]);
 * assert.equal(inv.int("count"), 3);
 * assert.deepEqual(inv.positionals, ["a.txt"]);
 * assert.throws(() => parseCommand(spec, ["a.txt", "--cuont", "3"]), /did you mean --count/);
 * ```
 */
export function parseCommand(spec: CommandSpec, argv: string[]): Invocation {
  const options = spec.options ?? [];
  const byLong = new Map(options.map((o) => [o.name, o]));
  const byShort = new Map(options.filter((o) => o.short).map((o) => [o.short!, o]));
  const values = new Map<string, string | boolean | string[]>();
  const positionals: string[] = [];
  const command = spec.name;
  const set = (o: OptionSpec, value: string | boolean) => {
    let target = o;
    if (o.aliasOf) {
      target = byLong.get(o.aliasOf.option)!;
      if (o.aliasOf.value !== undefined) value = o.aliasOf.value;
    }
    if (typeof value === "string") value = checkValue(target, value, command);
    if (target.repeatable) {
      const list = (values.get(target.name) as string[] | undefined) ?? [];
      list.push(value as string);
      values.set(target.name, list);
    } else values.set(target.name, value);
  };
  const takesValue = (o: OptionSpec) => o.type !== "boolean";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "--help" || arg === "-h") throw new HelpRequested(commandHelp(spec));
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const o = byLong.get(name);
      if (o === undefined) {
        const guess = closest(name, options.filter((x) => !x.hidden).map((x) => x.name));
        throw new UsageError(
          `Unknown option --${name}${guess ? ` (did you mean --${guess}?)` : ""}`,
          command,
        );
      }
      if (!takesValue(o)) {
        if (eq >= 0) throw new UsageError(`--${name} takes no value`, command);
        set(o, true);
      } else if (eq >= 0) {
        set(o, arg.slice(eq + 1));
      } else {
        if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`, command);
        set(o, argv[++i]);
      }
      continue;
    }
    // A lone "-" (standard input) and negative numbers are arguments.
    if (arg.startsWith("-") && arg !== "-" && !(/^-\d/.test(arg) && !byShort.has(arg[1]))) {
      // One or more short options: booleans may be grouped; one taking a value ends the group.
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j];
        const o = byShort.get(letter);
        if (o === undefined) throw new UsageError(`Unknown option -${letter}`, command);
        if (!takesValue(o)) {
          set(o, true);
          continue;
        }
        const rest = arg.slice(j + 1);
        if (rest !== "") set(o, rest);
        else if (i + 1 < argv.length) set(o, argv[++i]);
        else throw new UsageError(`-${letter} needs a value`, command);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  // A standalone option (--list) does its own job: nothing else is required.
  if (options.some((o) => o.standalone && values.has(o.name))) {
    return new Invocation(spec, positionals, values);
  }
  for (const o of options) {
    if (o.required && !values.has(o.name)) {
      throw new UsageError(
        `Missing option ${o.short ? `-${o.short}` : `--${o.name}`} ${o.value ?? ""}`.trimEnd(),
        command,
      );
    }
  }
  checkArguments(spec, positionals);
  return new Invocation(spec, positionals, values);
}

function checkArguments(spec: CommandSpec, positionals: string[]): void {
  const args = spec.arguments ?? [];
  let need = 0;
  for (const a of args) {
    if (a.required !== false) need++;
  }
  if (positionals.length < need) {
    let seen = 0;
    for (const a of args) {
      if (a.required === false) continue;
      if (seen++ === positionals.length) {
        throw new UsageError(`Missing ${a.name} argument`, spec.name);
      }
    }
  }
  const variadic = args.some((a) => a.variadic);
  if (!variadic && positionals.length > args.length) {
    throw new UsageError(
      `Unexpected argument ${JSON.stringify(positionals[args.length])}`,
      spec.name,
    );
  }
}

/**
 * Makes a runnable command from its declaration.
 *
 * @param spec The declaration.
 * @returns The command.
 * @example
 * ```ts
 * import { defineCommand, HelpRequested } from "./_command.ts";
 * import assert from "node:assert/strict";
 * const cmd = defineCommand({
 *   name: "hello",
 *   summary: "Say hello",
 *   options: [{ name: "loud", type: "boolean", description: "Shout" }],
 *   run: (inv) => Promise.resolve(inv.flag("loud") ? 1 : 0),
 * });
 * assert.equal(await cmd.run(["--loud"]), 1);
 * await assert.rejects(cmd.run(["-h"]), HelpRequested);
 * assert.match(cmd.help, /^Usage: mxy hello \[--loud\]$/m);
 * ```
 */
export function defineCommand(spec: CommandSpec): Command {
  return {
    name: spec.name.split(" ").at(-1)!,
    summary: spec.summary,
    get help() {
      return commandHelp(spec);
    },
    spec,
    run: async (argv) => {
      try {
        return await spec.run(parseCommand(spec, argv));
      } catch (err) {
        if (err instanceof UsageError && err.command === undefined) err.command = spec.name;
        throw err;
      }
    },
  };
}

/** A group of subcommands (`mxy ether …`). */
export interface GroupSpec {
  /** Its full name after `mxy` (`ether`; empty for `mxy` itself). */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Paragraphs after the usage line. */
  description?: string[];
  /** The subcommands, loaded when used. */
  commands: Record<string, () => Promise<Command>>;
  /** Options the group itself takes, for help only (`--version` at the top). */
  options?: OptionSpec[];
  /** Extra help sections. */
  sections?: HelpSection[];
}

/**
 * Makes a command group: `mxy NAME SUB …` runs a subcommand; `mxy NAME`, `mxy NAME --help` and
 * `mxy NAME help [SUB]` print help; a mistyped subcommand gets a suggestion.
 *
 * @param spec The group.
 * @returns The command.
 */
export function defineGroup(spec: GroupSpec): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    help: `Usage: mxy ${spec.name} <command> [options]`,
    subcommands: spec.commands,
    run: (argv) => runGroup(spec, argv),
  };
}

/**
 * The help of a group: usage, description, its commands and their summaries.
 *
 * @param spec The group.
 * @returns The text.
 */
export async function groupHelp(spec: GroupSpec): Promise<string> {
  const words = spec.name === "" ? "mxy" : `mxy ${spec.name}`;
  const lines = [`Usage: ${words} <command> [options]`];
  for (const para of spec.description ?? []) lines.push("", ...wrap(para, HELP_WIDTH, 0));
  const rows: [string, string][] = [];
  for (const [name, load] of Object.entries(spec.commands)) {
    rows.push([name, sentenceCase((await load()).summary)]);
  }
  lines.push("", "Commands:", ...columns(rows));
  const options = [...(spec.options ?? []), HELP_OPTION];
  lines.push("", "Options:", ...columns(options.map((o) => [optionLabel(o), optionText(o)])));
  for (const s of spec.sections ?? []) {
    lines.push("", `${s.title}:`);
    if (s.rows) lines.push(...columns(s.rows));
    for (const [i, para] of (s.text ?? []).entries()) {
      if (i > 0 || s.rows) lines.push("");
      lines.push(...wrap(para, HELP_WIDTH, 2));
    }
  }
  lines.push(
    "",
    `Run "${words} <command> --help" (or "${words} help <command>") for a command's options.`,
  );
  return lines.join("\n");
}

async function runGroup(spec: GroupSpec, argv: string[]): Promise<number> {
  let [sub, ...rest] = argv;
  if (sub === "help" && rest.length > 0) {
    [sub, ...rest] = [...rest, "--help"];
  }
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
    throw new HelpRequested(await groupHelp(spec), spec.commands);
  }
  const words = spec.name === "" ? "" : `${spec.name} `;
  const load = Object.hasOwn(spec.commands, sub) ? spec.commands[sub] : undefined;
  if (load === undefined) {
    const guess = sub.startsWith("-")
      ? closest(sub, ["--help", ...(spec.options ?? []).map((o) => `--${o.name}`)])
      : closest(sub, Object.keys(spec.commands));
    const what = sub.startsWith("-") ? `Unknown option ${sub}` : `Unknown command "${words}${sub}"`;
    throw new UsageError(
      `${what}${
        guess === undefined
          ? ""
          : sub.startsWith("-")
          ? ` (did you mean ${guess}?)`
          : ` (did you mean "${words}${guess}"?)`
      }`,
      spec.name === "" ? undefined : spec.name,
    );
  }
  const cmd = await load();
  try {
    return await cmd.run(rest);
  } catch (err) {
    // Older commands do not name themselves in their usage errors.
    if (err instanceof UsageError && err.command === undefined) err.command = `${words}${sub}`;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// The older interface: commands declare their options with defineCommand; these remain for
// bodies that read `flags.values` (through Invocation.legacyFlags) and for commands written
// before the declarations, which the help lint rejects.

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
 * unknown or malformed throws {@linkcode UsageError} (with a suggestion for a mistyped option).
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
    const message = err instanceof Error ? err.message : String(err);
    const unknown = /Unknown option '--([^']+)'/.exec(message);
    if (unknown) {
      const guess = closest(unknown[1], Object.keys(options.spec));
      throw new UsageError(
        `Unknown option --${unknown[1]}${guess ? ` (did you mean --${guess}?)` : ""}`,
      );
    }
    throw new UsageError(message);
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
 * Reads an integer flag, or `fallback` when absent; anything but a whole number (or one
 * outside `range`, when given) is a usage error.
 *
 * @param flags The parsed flags.
 * @param name The flag's name.
 * @param fallback The default.
 * @param range The smallest and largest values allowed.
 * @returns The value.
 * @example
 * ```ts
 * import { intFlag } from "./_command.ts";
 * import assert from "node:assert/strict";
 * assert.equal(intFlag({ values: { n: "5" }, positionals: [] }, "n", 1), 5);
 * assert.throws(() => intFlag({ values: { n: "0" }, positionals: [] }, "n", 1, { min: 1 }));
 * ```
 */
export function intFlag(
  flags: ParsedFlags,
  name: string,
  fallback: number,
  range: { min?: number; max?: number } = {},
): number {
  const v = flags.values[name];
  if (v === undefined) return fallback;
  const o: OptionSpec = { name, type: "int", description: "", ...range };
  return Number(checkValue(o, typeof v === "string" ? v : String(v), ""));
}

/**
 * Selects a subcommand from a table and runs it: the older groups (`pcap`, `bpf`) use it.
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
export function dispatch(
  group: string,
  table: Record<string, () => Promise<Command>>,
  argv: string[],
): Promise<number> {
  return runGroup({ name: group, summary: "", commands: table }, argv);
}
