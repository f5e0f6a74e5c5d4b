/**
 * `mxy completions SHELL`: the scripts come from the command declarations. The bash script is
 * run in bash, as the shell runs it on TAB; zsh loads the same functions through bashcompinit;
 * the fish script is checked line by line (neither zsh nor fish is needed here).
 */
import assert from "node:assert/strict";
import { hasProgram } from "../_fixtures.ts";
import { runMxy } from "../_mxy.ts";

const bash = await runMxy(["completions", "bash"]);

/** What the bash completion offers after the words (the last one is being completed). */
async function complete(words: string[]): Promise<string[]> {
  const quoted = words.map((w) => `'${w}'`).join(" ");
  const script = `source /dev/stdin <<'MXY'\n${bash.stdout}\nMXY\n` +
    `COMP_WORDS=(mxy ${quoted}); COMP_CWORD=${words.length}; _mxy; ` +
    `printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = await new Deno.Command("bash", { args: ["-c", script], stdout: "piped" }).output();
  assert.ok(out.success);
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "").sort();
}

Deno.test({
  name: "mxy completions bash completes commands, options and their choices from the declarations",
  ignore: !hasProgram("bash"),
  async fn() {
    assert.equal(bash.code, 0, bash.stderr);
    const syntax = await new Deno.Command("bash", {
      args: ["-n", "/dev/stdin"],
      stdin: "piped",
      stderr: "piped",
    }).spawn();
    const w = syntax.stdin.getWriter();
    await w.write(new TextEncoder().encode(bash.stdout));
    await w.close();
    assert.ok((await syntax.output()).success, "bash -n accepts the script");

    assert.deepEqual(await complete(["pc"]), ["pcap"]);
    assert.deepEqual(await complete(["pcap", "co"]), ["correlate"]);
    assert.deepEqual(await complete(["bpf", "a"]), ["aot", "asm"]);
    assert.deepEqual(await complete(["pcap", "correlate", "--pa"]), ["--pair"]);
    assert.deepEqual(await complete(["pcap", "correlate", "x.pcap", "--pair", ""]), [
      "dns",
      "http",
      "payload",
      "seed",
      "tcp-handshake",
    ]);
    assert.deepEqual(await complete(["bpf", "run", "p.o", "--engine", "w"]), ["wasm"]);
    assert.deepEqual(await complete(["query", "x.mxy", "--format", "js"]), ["json", "jsonl"]);
    assert.deepEqual(await complete(["pcap", "fields", "-e", ""]), []); // attribute names: none
    assert.deepEqual(await complete(["ether", "p"]), ["ping"]);
    // A value after an option that takes one is not taken for a subcommand.
    assert.ok((await complete(["build", "-o", "pcap", "--t"])).includes("--types"));
  },
});

Deno.test("mxy completions zsh and fish carry every command and option", async () => {
  const zsh = await runMxy(["completions", "zsh"]);
  assert.equal(zsh.code, 0);
  assert.match(zsh.stdout, /^autoload -U \+X bashcompinit && bashcompinit$/m);
  assert.match(zsh.stdout, /^complete -F _mxy mxy$/m);
  const fish = await runMxy(["completions", "fish"]);
  assert.equal(fish.code, 0);
  const lines = fish.stdout.split("\n");
  const about = (path: string) => lines.filter((l) => l.includes(`__mxy_is \\'${path}\\'`));
  assert.ok(
    about("pcap").some((l) => / -a 'correlate' -d 'Pair requests with responses/.test(l)),
  );
  assert.ok(
    about("pcap correlate").some((l) =>
      / -l pair -x -a 'payload seed dns tcp-handshake http'/.test(l)
    ),
  );
  assert.ok(
    about("pcap correlate").some((l) =>
      / -l watch -x -a '\(__fish_complete_directories\)'/.test(l)
    ),
  );
  assert.ok(about("bpf verify").some((l) => / -l mem -r -F/.test(l)));
  assert.ok(
    about("pcap correlate").every((l) => !/ -l mode /.test(l)),
    "hidden aliases are not offered",
  );
});
