/**
 * Every way of running mxy resolves relative paths against the user's directory: the installed
 * command (`deno task install`'s `deno install`), `deno task mxy` from another directory, and
 * `deno task compile` says in one line what it needs when it cannot download Deno's runtime.
 */
import assert from "node:assert/strict";
import { ROOT } from "../_mxy.ts";

const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--allow-ffi",
  "--allow-run",
  "--allow-sys",
];

/**
 * Runs a program as from a fresh shell: without the INIT_CWD that `deno task test` set for this
 * process (a `deno task` started inside another keeps the outer one's INIT_CWD).
 */
async function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const base = Deno.env.toObject();
  delete base.INIT_CWD;
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    env: { ...base, ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

Deno.test("deno install puts an mxy on the PATH that works offline on relative paths from any directory", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const install = await run(Deno.execPath(), [
      "install",
      "--global",
      "--force",
      "--root",
      `${tmp}/root`,
      "--name",
      "mxy",
      "--config",
      "deno.json",
      ...PERMISSIONS,
      "cli/main.ts",
    ], ROOT);
    assert.equal(install.code, 0, install.stderr);
    const mxy = `${tmp}/root/bin/mxy`;
    const work = `${tmp}/work`;
    await Deno.mkdir(`${work}/feeds`, { recursive: true });
    await Deno.writeTextFile(`${work}/feeds/iocs.txt`, "10.0.0.0/8\n");
    const built = await run(mxy, ["build", "feeds/iocs.txt", "-o", "iocs.mxy", "-q"], work);
    assert.equal(built.code, 0, built.stderr);
    assert.ok((await Deno.stat(`${work}/iocs.mxy`)).isFile);
    const q = await run(
      mxy,
      ["query", "iocs.mxy", "10.1.2.3", "--field", "", "--format", "jsonl"],
      work,
    );
    assert.equal(q.code, 2); // an empty --field path is a usage error
    // Offline after the first run: no registry or proxy can be reached, and it still works.
    const offline = {
      NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/",
      HTTPS_PROXY: "http://127.0.0.1:9",
      HTTP_PROXY: "http://127.0.0.1:9",
    };
    const ok = await run(
      mxy,
      ["query", "iocs.mxy", "10.1.2.3", "--format", "jsonl"],
      work,
      offline,
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).network, "10.0.0.0/8");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("deno task mxy resolves relative paths against the directory it is run from", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${tmp}/feed.txt`, "192.0.2.0/24\n");
    const r = await run(
      Deno.execPath(),
      [
        "task",
        "-q",
        "--config",
        `${ROOT}deno.json`,
        "mxy",
        "build",
        "feed.txt",
        "-o",
        "x.mxy",
        "-q",
      ],
      tmp,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await Deno.stat(`${tmp}/x.mxy`)).isFile);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("deno task compile says in one line that DENORT_BIN must name Deno's runtime", async () => {
  const r = await run(Deno.execPath(), ["task", "-q", "compile", "--no-check"], ROOT, {
    DENORT_BIN: "/nonexistent/denort",
  });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^mxy compile: DENORT_BIN is "\/nonexistent\/denort", but no denort binary is there; point it at the denort of Deno \d+\.\d+\.\d+ for this target\n$/,
  );
});
