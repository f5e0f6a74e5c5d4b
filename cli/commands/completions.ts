/**
 * `mxy completions SHELL`: prints a completion script for bash, zsh or fish, generated from the
 * command declarations.
 *
 * @module
 */
import { defineCommand } from "../_command.ts";
import { completionScript, listCommands, type Shell, SHELLS } from "../_completions.ts";
import { writeSync } from "../_io.ts";

/** The `completions` command. */
export const command = defineCommand({
  name: "completions",
  summary: "Print a shell completion script for bash, zsh or fish",
  arguments: [{ name: "SHELL", complete: "none", description: "One of bash, zsh or fish" }],
  description: [
    "Prints a script that completes mxy's commands, options, option values (choices, files, " +
    "directories) and arguments in the shell.",
  ],
  sections: [{
    title: "Install",
    rows: [
      ["bash", "mxy completions bash > ~/.local/share/bash-completion/completions/mxy"],
      ["zsh", 'echo "source <(mxy completions zsh)" >> ~/.zshrc'],
      ["fish", "mxy completions fish > ~/.config/fish/completions/mxy.fish"],
    ],
  }],
  examples: ["source <(mxy completions bash)"],
  async run(inv) {
    const shell = inv.positionals[0];
    if (!(SHELLS as readonly string[]).includes(shell)) {
      throw inv.usage(`SHELL must be bash, zsh or fish, got "${shell}"`);
    }
    const { COMMANDS } = await import("../main.ts");
    writeSync("stdout", completionScript(shell as Shell, await listCommands(COMMANDS)));
    return 0;
  },
});
