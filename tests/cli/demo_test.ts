import assert from "node:assert/strict";

Deno.test("deno task demo builds the sample feed and shows an IP, a literal and a glob match", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "demo"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(text, /^198\.51\.100\.23\s+198\.51\.100\.23\/32$/m);
  assert.match(text, /^login-verify\.example\s+literal login-verify\.example$/m);
  assert.match(text, /^host42\.dyn\.bad\.example\s+glob \*\.dyn\.bad\.example$/m);
  assert.match(text, /^8\.8\.8\.8\s+no match$/m);
  assert.match(text, /8 of 9 queries matched/);
});
