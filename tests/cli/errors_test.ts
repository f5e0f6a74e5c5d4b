/**
 * One error style and pipes: `mxy: MESSAGE` on standard error with exit 1 for failures, usage
 * errors naming the command with exit 2 and a pointer to its help, suggestions for mistyped
 * commands, options and choices, no stack traces, nothing on standard output before a failure,
 * and a closed pipe (`| head -1`) ending the run quietly with exit 0.
 */
import assert from "node:assert/strict";
import { ROOT, runMxy } from "../_mxy.ts";
import { fixture } from "../_fixtures.ts";

Deno.test("usage errors name the command, point to its help and exit 2", async () => {
  const cases: [string[], string][] = [
    [["query"], "mxy query: Missing DB argument; see mxy query --help\n"],
    [["qeury", "x"], 'mxy: Unknown command "qeury" (did you mean "query"?); see mxy --help\n'],
    [
      ["query", "x.mxy", "--formt", "json"],
      "mxy query: Unknown option --formt (did you mean --format?); see mxy query --help\n",
    ],
    [
      ["query", "x.mxy", "--format", "jsn"],
      'mxy query: --format takes json, jsonl, table or text, got "jsn" (did you mean json?); ' +
      "see mxy query --help\n",
    ],
    [
      ["ether", "alloc", "12", "--hold", "-5"],
      'mxy ether alloc: --hold takes a whole number of at least 0, got "-5"; ' +
      "see mxy ether alloc --help\n",
    ],
    [
      ["ether", "pnig"],
      'mxy ether: Unknown command "ether pnig" (did you mean "ether ping"?); see mxy ether --help\n',
    ],
    [["--verison"], "mxy: Unknown option --verison (did you mean --version?); see mxy --help\n"],
    [
      ["serve", "--max-memory", "lots"],
      "mxy serve: --max-memory takes a size like 65536, 64K, 512M or 2G of at least 1 byte, got " +
      '"lots"; see mxy serve --help\n',
    ],
    [
      ["completions", "tcsh"],
      'mxy completions: SHELL must be bash, zsh or fish, got "tcsh"; ' +
      "see mxy completions --help\n",
    ],
  ];
  for (const [args, stderr] of cases) {
    const r = await runMxy(args);
    assert.equal(r.stderr, stderr, args.join(" "));
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.stdout, "", args.join(" "));
  }
});

Deno.test("failures print one mxy: line, no stack trace, nothing on standard output, exit 1", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/not.mxy`, "not a database\n".repeat(20));
    for (
      const args of [
        ["query", `${dir}/nope.mxy`, "1.1.1.1"],
        ["query", `${dir}/not.mxy`, "1.1.1.1"],
        ["inspect", `${dir}/not.mxy`],
        ["export", `${dir}/not.mxy`],
        ["build", `${dir}/nope.csv`, "-o", `${dir}/x.mxy`],
      ]
    ) {
      const r = await runMxy(args);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stdout, "", args.join(" "));
      assert.match(r.stderr, /^mxy: \S.*\n$/, args.join(" "));
      assert.doesNotMatch(r.stderr, /^\s+at /m, args.join(" "));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mxy --version and mxy help work; help goes to standard output with exit 0", async () => {
  const v = await runMxy(["--version"]);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^mxy \d+\.\d+\.\d+\n$/);
  for (const args of [[], ["--help"], ["help"], ["help", "query"], ["query", "-h"], ["ether"]]) {
    const r = await runMxy(args);
    assert.equal(r.code, 0, args.join(" "));
    assert.match(r.stdout, /^Usage: mxy /, args.join(" "));
    assert.equal(r.stderr, "", args.join(" "));
  }
  assert.equal(
    (await runMxy(["help", "query"])).stdout,
    (await runMxy(["query", "--help"])).stdout,
  );
});

/** Runs `mxy ARGS | head -1` in bash; returns mxy's exit code, its stderr and head's output. */
async function pipedToHead(args: string[], cwd: string) {
  const quoted = args.map((a) => `'${a}'`).join(" ");
  const script = `'${Deno.execPath()}' run -A '${ROOT}cli/main.ts' ${quoted} 2>"$ERR" | head -1; ` +
    `echo "status=\${PIPESTATUS[0]}"`;
  const err = `${cwd}/stderr.txt`;
  const out = await new Deno.Command("bash", {
    args: ["-c", script],
    cwd,
    env: { ERR: err },
    stdout: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  return {
    first: text.split("\n")[0],
    status: Number(/status=(\d+)/.exec(text)?.[1]),
    stderr: await Deno.readTextFile(err),
  };
}

Deno.test("mxy ... | head -1 exits 0 without a word", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Enough output to fill the pipe many times over.
    const lines = Array.from({ length: 20000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    await Deno.writeTextFile(`${dir}/feed.txt`, lines.join("\n") + "\n");
    const built = await runMxy(["build", "feed.txt", "-o", "feed.mxy", "-q"], { cwd: dir });
    assert.equal(built.code, 0, built.stderr);
    const exported = await pipedToHead(["export", "feed.mxy"], dir);
    assert.equal(exported.first, '{"entry":"10.0.0.0/24","data":{}}');
    assert.equal(exported.status, 0);
    assert.equal(exported.stderr, "");
    const queried = await pipedToHead([
      "query",
      "feed.mxy",
      ...lines.slice(0, 3000).map((l) => l.replace("0/24", "1")),
      "--format",
      "jsonl",
    ], dir);
    assert.equal(queried.status, 0);
    assert.equal(queried.stderr, "");
    assert.match(queried.first, /^\{"query":"10\.0\.0\.1","found":true/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pcap and bpf failures print one mxy: line and nothing on standard output; empty inputs are errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/bad.pcap`, "not a capture at all\n");
    await Deno.writeTextFile(`${dir}/empty.asm`, "# nothing\n");
    await Deno.writeFile(`${dir}/empty.bin`, new Uint8Array(0));
    await Deno.mkdir(`${dir}/no-cases`);
    const cases: [string[], RegExp][] = [
      [["pcap", "info", "bad.pcap"], /^mxy: Not a pcap or pcapng file: .*bad\.pcap/],
      [["pcap", "fields", "-e", "ip.src", "bad.pcap"], /^mxy: Not a pcap or pcapng file/],
      [["pcap", "fields", "-e", "ip.src", "--format", "x"], /^mxy pcap fields: Unknown option/],
      [["pcap", "flows", "nope.pcap"], /^mxy: Cannot open capture: .*nope\.pcap/],
      [["pcap", "correlate", "nope.pcap"], /^mxy: Cannot open capture: .*nope\.pcap/],
      [["pcap", "correlate", "--format", "csv", "bad.pcap"], /^mxy: Not a pcap or pcapng file/],
      [["bpf", "asm", "empty.asm"], /^mxy: empty\.asm: no instructions to assemble\n/],
      [["bpf", "disasm", "empty.bin"], /^mxy: empty\.bin: no instructions to disassemble\n/],
      [["bpf", "conformance", "no-cases"], /^mxy: no-cases: no \.data files in the directory\n/],
    ];
    for (const [args, stderr] of cases) {
      const r = await runMxy(args, { cwd: dir });
      const what = args.join(" ");
      assert.equal(r.code, args.includes("--format") && args[1] === "fields" ? 2 : 1, what);
      assert.equal(r.stdout, "", what);
      assert.match(r.stderr, stderr, what);
      assert.equal(r.stderr.split("\n").length, 2, `${what}: one line: ${r.stderr}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "mxy pcap ... | head -1 exits 0 without a word",
  ignore: fixture("pcap/loopback") === null,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const capture = `${fixture("pcap/loopback")}/mixed.pcapng`;
      const fields = await pipedToHead(["pcap", "fields", "-e", "meta.number", capture], dir);
      assert.deepEqual([fields.first, fields.status, fields.stderr], ["meta.number", 0, ""]);
      const flows = await pipedToHead(["pcap", "flows", capture, "-q"], dir);
      assert.match(flows.first, /^\{"ts":/);
      assert.deepEqual([flows.status, flows.stderr], [0, ""]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
