import assert from "node:assert/strict";

Deno.test("deno task demo shows the commands it runs, explains a split network and keeps the database", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", "demo", `${dir}/demo`],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(
      text,
      new RegExp(`^\\$ mxy build testdata/ioc_sample\\.csv -o ${dir}/demo/iocs\\.mxy$`, "m"),
    );
    assert.match(text, /^\$ mxy query .*iocs\.mxy 198\.51\.100\.23 .* --format table$/m);
    assert.match(text, /^\$ mxy match .*iocs\.mxy .*access\.log --format text$/m);
    assert.match(text, /^198\.51\.100\.23 +198\.51\.100\.23\/32 /m);
    assert.match(text, /^198\.51\.100\.200 +198\.51\.100\.128\/25 /m);
    assert.match(text, /^login-verify\.example +login-verify\.example /m);
    assert.match(text, /^host42\.dyn\.bad\.example +\*\.dyn\.bad\.example /m);
    assert.match(text, /^8\.8\.8\.8 +- +\(no match\)$/m);
    assert.match(
      text,
      /came back as 198\.51\.100\.128\/25 although the feed lists 198\.51\.100\.0\/24/,
    );
    assert.match(text, /access\.log:1:0: 198\.51\.100\.23 ipv4 network 198\.51\.100\.23\/32/);
    assert.match(
      text,
      /access\.log:2:\d+: login-verify\.example domain literal login-verify\.example/,
    );
    assert.match(text, new RegExp(`The database stays in ${dir}/demo`));
    // The database is there, and the commands the demo suggests work on it.
    const q = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${root}cli/main.ts`,
        "query",
        `${dir}/demo/iocs.mxy`,
        "198.51.100.23",
        "--field",
        "threat",
      ],
      stdout: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(q.stdout), "botnet-c2\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
