/**
 * Shell completion scripts for bash, zsh and fish, generated from the command declarations:
 * command and subcommand names, each command's options, the choices of `enum` options, and
 * files, directories or nothing for other values and arguments.
 *
 * @module
 */
import { type Command, HelpRequested, type OptionSpec } from "./_command.ts";
import { sentenceCase } from "./_help.ts";

/** One command as completion and the help lint see it. */
export interface CommandEntry {
  /** The words after `mxy` (`["ether", "alloc"]`; empty for `mxy` itself). */
  path: string[];
  /** The command. */
  command: Command;
  /** Subcommand names, for groups. */
  children: string[];
  /** Options (declared, or read from the help text of a command not declared yet). */
  options: OptionSpec[];
  /** Whether the options come from a declaration. */
  declared: boolean;
}

/** Loads a group's subcommands: its own table, or what its help run reports. */
async function subcommandsOf(cmd: Command): Promise<Record<string, () => Promise<Command>>> {
  if (cmd.subcommands) return cmd.subcommands;
  try {
    await cmd.run(["--help"]);
  } catch (err) {
    if (err instanceof HelpRequested && err.subcommands) return err.subcommands;
  }
  return {};
}

/** Options named in a help text (`-o, --output FILE`, `--stats`), for undeclared commands. */
function optionsFromHelp(help: string): OptionSpec[] {
  const out: OptionSpec[] = [];
  const re = /^\s+(?:-([a-zA-Z]), )?--([a-z0-9][a-z0-9-]*)(?:[ =]([A-Z][A-Z_.]*|<[^>]+>))?/gm;
  for (const m of help.matchAll(re)) {
    if (m[2] === "help") continue;
    out.push({
      name: m[2],
      short: m[1],
      type: m[3] ? "string" : "boolean",
      description: "",
    });
  }
  return out;
}

/**
 * Every command reachable from a table, depth first, groups before their subcommands.
 *
 * @param root The top-level commands.
 * @returns The commands with their paths and options.
 */
export async function listCommands(
  root: Record<string, () => Promise<Command>>,
): Promise<CommandEntry[]> {
  const out: CommandEntry[] = [{
    path: [],
    command: { name: "", summary: "", help: "", run: () => Promise.resolve(0) },
    children: Object.keys(root),
    options: [{ name: "version", short: "V", type: "boolean", description: "Show the version" }],
    declared: true,
  }];
  const walk = async (table: Record<string, () => Promise<Command>>, path: string[]) => {
    for (const [name, load] of Object.entries(table)) {
      const cmd = await load();
      const here = [...path, name];
      const isGroup = cmd.subcommands !== undefined ||
        (cmd.spec === undefined && /^Usage: mxy .*<[a-z|]+>/.test(cmd.help));
      if (isGroup) {
        const subs = await subcommandsOf(cmd);
        out.push({
          path: here,
          command: cmd,
          children: Object.keys(subs),
          options: [],
          declared: true,
        });
        await walk(subs, here);
      } else {
        out.push({
          path: here,
          command: cmd,
          children: [],
          options: cmd.spec
            ? (cmd.spec.options ?? []).filter((o) => !o.hidden)
            : optionsFromHelp(cmd.help),
          declared: cmd.spec !== undefined,
        });
      }
    }
  };
  await walk(root, []);
  return out;
}

/** The shells {@linkcode completionScript} writes for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

/** A shell {@linkcode completionScript} writes for. */
export type Shell = typeof SHELLS[number];

function valueKind(o: OptionSpec): string {
  if (o.type === "boolean") return "";
  if (o.choices) return `choices:${o.choices.join(" ")}`;
  if (o.complete) return o.complete;
  return o.type === "string" ? "file" : "none";
}

function shellWords(words: string[]): string {
  return words.join(" ");
}

function bashScript(entries: CommandEntry[]): string {
  const children: string[] = [];
  const options: string[] = [];
  const valued: string[] = [];
  const values: string[] = [];
  const args: string[] = [];
  for (const e of entries) {
    const key = e.path.join(" ");
    if (e.children.length > 0) children.push(`    "${key}") echo "${shellWords(e.children)}" ;;`);
    const opts = [
      ...e.options.flatMap((o) => [o.short ? `-${o.short}` : "", `--${o.name}`]),
      "-h",
      "--help",
    ]
      .filter((w) => w !== "");
    options.push(`    "${key}") echo "${shellWords(opts)}" ;;`);
    const withValue = e.options.filter((o) => o.type !== "boolean");
    if (withValue.length > 0) {
      valued.push(
        `    "${key}") echo "${
          shellWords(
            withValue.flatMap((o) => [o.short ? `-${o.short}` : "", `--${o.name}`]).filter((w) =>
              w
            ),
          )
        }" ;;`,
      );
    }
    for (const o of withValue) {
      const kind = valueKind(o);
      for (const flag of [o.short ? `-${o.short}` : "", `--${o.name}`].filter((w) => w)) {
        values.push(`    "${key}|${flag}") echo "${kind}" ;;`);
      }
    }
    const argKinds = e.command.spec?.arguments?.map((a) => a.complete ?? "file") ?? [];
    if (argKinds.length > 0 && argKinds.every((k) => k === "none")) {
      args.push(`    "${key}") echo "none" ;;`);
    }
  }
  return `# bash completion for mxy (generated by "mxy completions bash")
_mxy_children() {
  case "$1" in
${children.join("\n")}
  esac
}
_mxy_options() {
  case "$1" in
${options.join("\n")}
  esac
}
_mxy_valued() {
  case "$1" in
${valued.join("\n")}
  esac
}
_mxy_value() {
  case "$1|$2" in
${values.join("\n")}
  esac
}
_mxy_args() {
  case "$1" in
${args.join("\n")}
  esac
}
_mxy_reply() {
  local kind="$1" cur="$2"
  case "$kind" in
    choices:*) COMPREPLY=($(compgen -W "\${kind#choices:}" -- "$cur")) ;;
    directory) COMPREPLY=($(compgen -d -- "$cur")) ;;
    none) COMPREPLY=() ;;
    *) COMPREPLY=($(compgen -f -- "$cur"))
       type compopt >/dev/null 2>&1 && compopt -o filenames 2>/dev/null ;;
  esac
}
_mxy() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" i w skip=0 kids
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    # bash splits "--opt=value" at "=": the word after "=" is the value.
    if [[ "$w" == "=" ]]; then skip=1; continue; fi
    if ((skip)); then skip=0; continue; fi
    case "$w" in
      --*=*) continue ;;
      -*) case " $(_mxy_valued "$path") " in *" $w "*) skip=1 ;; esac; continue ;;
    esac
    kids="$(_mxy_children "$path")"
    if [[ -n "$kids" && " $kids " == *" $w "* ]]; then path="\${path:+$path }$w"; fi
  done
  if ((skip)); then
    local opt="\${COMP_WORDS[COMP_CWORD-1]}"
    [[ "$opt" == "=" ]] && opt="\${COMP_WORDS[COMP_CWORD-2]}"
    _mxy_reply "$(_mxy_value "$path" "$opt")" "$cur"
    return 0
  fi
  case "$cur" in
    --*=*)
      local opt="\${cur%%=*}" kind
      kind="$(_mxy_value "$path" "$opt")"
      _mxy_reply "$kind" "\${cur#*=}"
      return 0 ;;
    -*) COMPREPLY=($(compgen -W "$(_mxy_options "$path")" -- "$cur")); return 0 ;;
  esac
  kids="$(_mxy_children "$path")"
  if [[ -n "$kids" ]]; then
    COMPREPLY=($(compgen -W "$kids help" -- "$cur"))
  else
    _mxy_reply "$(_mxy_args "$path")" "$cur"
  fi
  return 0
}
complete -F _mxy mxy
`;
}

function fishQuote(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

function fishScript(entries: CommandEntry[]): string {
  const groups = entries.filter((e) => e.children.length > 0).map((e) => e.path.join(" "));
  const lines = [
    '# fish completion for mxy (generated by "mxy completions fish")',
    "function __mxy_path",
    "    set -l words (commandline -opc)",
    "    set -e words[1]",
    "    set -l path ''",
    "    for w in $words",
    "        if string match -q -- '-*' $w",
    "            continue",
    "        end",
    `        if contains -- $path ${groups.map((g) => fishQuote(g)).join(" ")}`,
    '            set path (string trim -- "$path $w")',
    "        else",
    "            break",
    "        end",
    "    end",
    "    echo $path",
    "end",
    "function __mxy_is",
    '    test (__mxy_path) = "$argv[1]"',
    "end",
  ];
  for (const e of entries) {
    const key = e.path.join(" ");
    const cond = `-n ${fishQuote(`__mxy_is ${fishQuote(key)}`)}`;
    if (e.children.length > 0) {
      lines.push(`complete -c mxy ${cond} -f`);
      for (const child of e.children) {
        const sub = entries.find((x) => x.path.join(" ") === (key ? `${key} ${child}` : child));
        const summary = sentenceCase(sub?.command.summary ?? "");
        lines.push(`complete -c mxy ${cond} -a ${fishQuote(child)} -d ${fishQuote(summary)}`);
      }
    }
    for (
      const o of [
        ...e.options,
        { name: "help", short: "h", type: "boolean", description: "Show this help" } as OptionSpec,
      ]
    ) {
      const parts = [`complete -c mxy ${cond}`];
      if (o.short) parts.push(`-s ${o.short}`);
      parts.push(`-l ${o.name}`);
      const kind = valueKind(o);
      if (kind.startsWith("choices:")) parts.push(`-x -a ${fishQuote(kind.slice(8))}`);
      else if (kind === "directory") parts.push(`-x -a '(__fish_complete_directories)'`);
      else if (kind === "none") parts.push("-x");
      else if (kind === "file") parts.push("-r -F");
      if (o.description) parts.push(`-d ${fishQuote(o.description.split(/[;(]/)[0].trim())}`);
      lines.push(parts.join(" "));
    }
  }
  return lines.join("\n") + "\n";
}

/**
 * The completion script for a shell.
 *
 * @param shell `bash`, `zsh` or `fish`.
 * @param entries The commands, from {@linkcode listCommands}.
 * @returns The script.
 */
export function completionScript(shell: Shell, entries: CommandEntry[]): string {
  switch (shell) {
    case "bash":
      return bashScript(entries);
    case "zsh":
      return `# zsh completion for mxy (generated by "mxy completions zsh"): the bash completion
# through zsh's bashcompinit. Load it with: source <(mxy completions zsh)
autoload -U +X bashcompinit && bashcompinit
${bashScript(entries).split("\n").slice(1).join("\n")}`;
    case "fish":
      return fishScript(entries);
  }
}
