/**
 * Help text from a command's declaration: the usage line (wrapped), the description, the
 * options in aligned columns with their choices, ranges and defaults, then the extra sections.
 * Nothing here is written by hand per command, so help and parsing cannot drift apart.
 *
 * @module
 */
import type { ArgumentSpec, CommandSpec, OptionSpec } from "./_command.ts";

/** No help line is wider than this. */
export const HELP_WIDTH = 100;
/** Descriptions of options start at most this far in; longer labels get a line of their own. */
const MAX_LABEL = 30;

/** The `-h, --help` line every command's options end with. */
export const HELP_OPTION: OptionSpec = {
  name: "help",
  short: "h",
  type: "boolean",
  description: "Show this help",
};

/**
 * Wraps text to a width, indenting every line after the first by `indent` spaces (and the first
 * by `first`). Words longer than the width stay whole.
 *
 * @param text The text (one paragraph; newlines are kept as hard breaks).
 * @param width The widest line.
 * @param indent Spaces before continuation lines.
 * @param first Spaces before the first line (default `indent`).
 * @returns The wrapped lines.
 * @example
 * ```ts
 * import { wrap } from "./_help.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(wrap("a bb ccc dddd", 8, 2, 0), ["a bb ccc", "  dddd"]);
 * ```
 */
export function wrap(text: string, width: number, indent: number, first = indent): string[] {
  const out: string[] = [];
  for (const hard of text.split("\n")) {
    let line = " ".repeat(out.length === 0 ? first : indent);
    let empty = true;
    for (const word of hard.split(" ").filter((w) => w !== "")) {
      if (!empty && line.length + 1 + word.length > width) {
        out.push(line);
        line = " ".repeat(indent) + word;
        continue;
      }
      line += (empty ? "" : " ") + word;
      empty = false;
    }
    out.push(line.trimEnd());
  }
  return out;
}

/** The placeholder an option's value is shown as (`N`, `SIZE`, else its name: `FORMAT` …). */
export function valueName(o: OptionSpec): string {
  if (o.type === "boolean") return "";
  if (o.value !== undefined) return o.value;
  switch (o.type) {
    case "int":
      return "N";
    case "size":
      return "SIZE";
    default:
      return o.name.toUpperCase().replaceAll("-", "_");
  }
}

/** `-o, --output FILE` or `    --format FORMAT`. */
export function optionLabel(o: OptionSpec): string {
  const v = valueName(o);
  const long = `--${o.name}${v ? ` ${v}` : ""}`;
  return o.short ? `-${o.short}, ${long}` : `    ${long}`;
}

/** The option's own words followed by its choices, range and default, in parentheses. */
export function optionText(o: OptionSpec): string {
  const notes: string[] = [];
  if (o.choices && !o.choicesInDescription) notes.push(o.choices.join(", "));
  if (o.min !== undefined || o.max !== undefined) {
    const unit = o.type !== "size" ? "" : (o.max ?? o.min) === 1 ? " byte" : " bytes";
    if (o.min !== undefined && o.max !== undefined) {
      notes.push(`${o.min} to ${o.max}${unit}`);
    } else if (o.min !== undefined) notes.push(`at least ${o.min}${unit}`);
    else notes.push(`at most ${o.max}${unit}`);
  }
  if (o.defaultText !== undefined) notes.push(`default: ${o.defaultText}`);
  else if (o.default !== undefined && o.default !== false) notes.push(`default: ${o.default}`);
  if (o.repeatable) notes.push("may be repeated");
  if (notes.length === 0) return o.description;
  // "Text (about it)" and notes share one pair of parentheses.
  if (o.description.endsWith(")")) return `${o.description.slice(0, -1)}; ${notes.join("; ")})`;
  return `${o.description} (${notes.join("; ")})`;
}

/** One positional argument as the usage line shows it: `DB`, `[QUERY...]`, `FILE...`. */
export function argumentUsage(a: ArgumentSpec): string {
  const name = a.variadic ? `${a.name}...` : a.name;
  return a.required === false ? `[${name}]` : name;
}

/** One option as the usage line shows it: `-o FILE`, `[--format FORMAT]`, `[-q]`. */
export function optionUsage(o: OptionSpec): string {
  const v = valueName(o);
  const flag = o.short ? `-${o.short}` : `--${o.name}`;
  const text = `${flag}${v ? ` ${v}` : ""}`;
  return o.required ? text : `[${text}]`;
}

/**
 * The usage line: `Usage: mxy NAME ARGS… [OPTIONS…]`, every option listed (hidden aliases
 * aside), wrapped to {@linkcode HELP_WIDTH} under the command name.
 *
 * @param spec The command.
 * @returns The usage lines.
 */
export function usageLines(spec: CommandSpec): string[] {
  const head = `Usage: mxy ${spec.name}`;
  const parts = [
    ...(spec.options ?? []).filter((o) => o.required && !o.hidden).map(optionUsage),
    ...(spec.arguments ?? []).map(argumentUsage),
    ...(spec.options ?? []).filter((o) => !o.required && !o.hidden).map(optionUsage),
  ];
  const lines: string[] = [];
  let line = head;
  for (const p of parts) {
    if (line.length + 1 + p.length > HELP_WIDTH) {
      lines.push(line);
      line = " ".repeat(head.length) + " " + p;
    } else line += " " + p;
  }
  lines.push(line);
  return lines;
}

/**
 * Aligned `label  description` rows: descriptions start one column after the widest label (at
 * most {@linkcode MAX_LABEL}); a wider label puts its description on the next line.
 *
 * @param rows Labels and descriptions.
 * @param indent Spaces before each label.
 * @returns The lines.
 */
export function columns(rows: [string, string][], indent = 2): string[] {
  const widest = Math.max(0, ...rows.map(([l]) => l.length).filter((n) => n <= MAX_LABEL));
  const at = indent + widest + 2;
  const lines: string[] = [];
  for (const [label, text] of rows) {
    const head = " ".repeat(indent) + label;
    if (head.length + 2 > at) {
      lines.push(head);
      lines.push(...wrap(text, HELP_WIDTH, at, at));
    } else {
      const body = wrap(text, HELP_WIDTH, at, at);
      body[0] = head.padEnd(at) + body[0].trimStart();
      lines.push(...body);
    }
  }
  return lines;
}

/**
 * The whole `--help` text of a command.
 *
 * @param spec The command.
 * @returns The text, without a final newline.
 */
export function commandHelp(spec: CommandSpec): string {
  const out = usageLines(spec);
  for (const para of spec.description ?? []) out.push("", ...wrap(para, HELP_WIDTH, 0));
  const args = (spec.arguments ?? []).filter((a) => a.description !== undefined);
  if (args.length > 0) {
    out.push("", "Arguments:");
    out.push(...columns(args.map((a) => [a.name, a.description!])));
  }
  const options = [...(spec.options ?? []).filter((o) => !o.hidden), HELP_OPTION];
  out.push("", "Options:");
  out.push(...columns(options.map((o) => [optionLabel(o), optionText(o)])));
  for (const s of spec.sections ?? []) {
    out.push("", `${s.title}:`);
    if (s.rows) out.push(...columns(s.rows));
    for (const [i, para] of (s.text ?? []).entries()) {
      if (i > 0 || s.rows) out.push("");
      out.push(...wrap(para, HELP_WIDTH, 2));
    }
  }
  if (spec.examples && spec.examples.length > 0) {
    out.push("", spec.examples.length === 1 ? "Example:" : "Examples:");
    // Commands are not wrapped: each must stay one line that can be copied.
    for (const e of spec.examples) out.push(`  ${e}`);
  }
  return out.join("\n");
}

/**
 * Capitalises the first letter of a summary written for an older command.
 *
 * @param text The summary.
 * @returns It in sentence case.
 */
export function sentenceCase(text: string): string {
  // "eBPF …" and "IPv4 …" keep their case.
  if (text.length < 2 || /[A-Z]/.test(text[1])) return text;
  return text[0].toUpperCase() + text.slice(1);
}
