/**
 * Lints the help of every command and group: widths, sentence case, one wording of `-h, --help`,
 * a usage line that lists every option, aligned columns, no empty headings.
 */
import assert from "node:assert/strict";
import { COMMANDS, main } from "../../cli/main.ts";
import { type CommandEntry, listCommands } from "../../cli/_completions.ts";
import { HelpRequested } from "../../cli/_command.ts";

const entries = await listCommands(COMMANDS);

async function helpOf(path: string[]): Promise<string> {
  const table = COMMANDS;
  let cmd = await table[path[0]]();
  let rest = path.slice(1);
  if (rest.length > 0 && cmd.subcommands) {
    cmd = await cmd.subcommands[rest[0]]();
    rest = rest.slice(1);
  }
  try {
    await cmd.run([...rest, "--help"]);
  } catch (err) {
    if (err instanceof HelpRequested) return err.help;
    throw err;
  }
  throw new Error(`mxy ${path.join(" ")} --help did not ask for help`);
}

function sentence(text: string, what: string): void {
  assert.match(text, /^([A-Z]|[a-z][A-Z])/, `${what} starts with a capital letter: "${text}"`);
  assert.doesNotMatch(text, /\.$/, `${what} has no final period: "${text}"`);
}

function lintText(help: string, what: string): void {
  for (const line of help.split("\n")) {
    assert.ok(line.length <= 100, `${what}: a line of ${line.length} columns:\n${line}`);
    assert.doesNotMatch(line, /\s$/, `${what}: trailing space in "${line}"`);
  }
  assert.doesNotMatch(help, /mxy {2}/, `${what}: a double space after "mxy"`);
  assert.doesNotMatch(help, /^[A-Z][a-z ]+:\n(\n|$)/m, `${what}: an empty heading`);
  const helpLines = help.split("\n").filter((l) => /--help/.test(l) && /^\s+-h, --help/.test(l));
  assert.equal(helpLines.length, 1, `${what}: one -h, --help line`);
  assert.match(helpLines[0], /^ {2}-h, --help +Show this help$/, `${what}: -h, --help wording`);
  // Option rows: descriptions start in one column.
  const block = help.split("\nOptions:\n")[1]?.split("\n\n")[0] ?? "";
  const starts = new Set<number>();
  for (const line of block.split("\n")) {
    const m = /^( {2}(?:-[A-Za-z], | {4})--[a-z0-9-]+(?: [A-Z_.]+)?) {2,}(\S)/.exec(line);
    if (m) starts.add(line.indexOf(m[2], m[1].length));
  }
  assert.ok(starts.size <= 1, `${what}: option descriptions start in columns ${[...starts]}`);
}

Deno.test("every command and group is declared with defineCommand or defineGroup", () => {
  const undeclared = entries.filter((e) => !e.declared).map((e) => `mxy ${e.path.join(" ")}`);
  assert.deepEqual(undeclared, [], "declare these with defineCommand");
  for (const e of entries) {
    if (e.path.length > 0 && e.children.length > 0) {
      assert.ok(e.command.subcommands, `mxy ${e.path.join(" ")} is made by defineGroup`);
    }
  }
  assert.ok(entries.length >= 30, `${entries.length} commands`);
});

for (const e of entries) {
  const path = e.path.join(" ");
  if (e.path.length === 0) continue;
  Deno.test(`mxy ${path} --help passes the lint`, () => lint(e, path));
}

async function lint(e: CommandEntry, path: string): Promise<void> {
  {
    const help = await helpOf(e.path);
    lintText(help, `mxy ${path}`);
    if (e.children.length > 0) {
      assert.match(help, new RegExp(`^Usage: mxy ${path} <command> \\[options\\]$`, "m"));
      for (const child of e.children) assert.match(help, new RegExp(`^ {2}${child} +\\S`, "m"));
      return;
    }
    lintDeclared(e, help);
  }
}

function lintDeclared(e: CommandEntry, help: string): void {
  const spec = e.command.spec!;
  const what = `mxy ${spec.name}`;
  sentence(spec.summary, `${what} summary`);
  const usage = help.split("\n\n")[0];
  assert.match(usage, new RegExp(`^Usage: mxy ${spec.name}( |$)`));
  for (const o of spec.options ?? []) {
    if (o.hidden) continue;
    sentence(o.description, `${what} --${o.name}`);
    const flag = o.short ? `-${o.short}` : `--${o.name}`;
    assert.ok(
      new RegExp(`(^|[ \\[])${flag}( |\\]|$)`, "m").test(usage),
      `${what}: the usage line lists ${flag}`,
    );
    assert.match(help, new RegExp(`--${o.name}\\b`), `${what}: the options list --${o.name}`);
  }
  for (const a of spec.arguments ?? []) {
    assert.ok(usage.includes(a.name), `${what}: the usage line names ${a.name}`);
    if (a.description) sentence(a.description, `${what} ${a.name}`);
  }
}

Deno.test("mxy --help lists every command, --version and the exit codes", async () => {
  const top = await captureTop();
  lintText(top, "mxy");
  for (const name of Object.keys(COMMANDS)) {
    assert.match(top, new RegExp(`^ {2}${name} +([A-Z]|[a-z][A-Z])`, "m"));
  }
  assert.match(top, /^ {2}-V, --version +Show the version$/m);
  assert.match(top, /^Exit status:\n {2}0 .*\n {2}1 .*nothing matched.*\n {2}2 +Usage error/m);
});

async function captureTop(): Promise<string> {
  const root = await import("../../cli/main.ts");
  const { defineGroup } = await import("../../cli/_command.ts");
  try {
    await defineGroup(root.MXY).run(["--help"]);
  } catch (err) {
    if (err instanceof HelpRequested) return err.help;
    throw err;
  }
  throw new Error("mxy --help did not ask for help");
}

Deno.test("mxy help CMD prints the command's help and exits 0", async () => {
  assert.equal(await main(["help", "query"]), 0);
  assert.equal(await main(["help", "ether", "alloc"]), 0);
  assert.equal(await main(["help", "pcap", "info"]), 0);
  assert.equal(await main(["help", "no-such-command"]), 2);
});

Deno.test("mxy build --help keeps the backslash of glob escapes", async () => {
  assert.match(await helpOf(["build"]), / \\ escapes/);
});
