/**
 * The core runs outside Deno: tests/_bundle_smoke.ts (which imports every entry point but
 * `@mxy/mxy/deno`'s adapters' behaviour) is bundled with `deno bundle` for the browser platform
 * and run under Node, where the Deno adapters must fail with a typed error.
 */
import assert from "node:assert/strict";
import { hasProgram } from "./_fixtures.ts";

const ROOT = new URL("../", import.meta.url);

Deno.test({
  name: "the core bundles with deno bundle and runs under Node",
  ignore: !hasProgram("node"),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const bundle = `${dir}/smoke.js`;
      const built = await new Deno.Command(Deno.execPath(), {
        args: ["bundle", "--platform", "browser", "-o", bundle, "tests/_bundle_smoke.ts"],
        cwd: ROOT.pathname,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(built.code, 0, new TextDecoder().decode(built.stderr));
      const text = await Deno.readTextFile(bundle);
      assert.doesNotMatch(
        text,
        /^(import|export)\b.*["'](npm|jsr|node):/m,
        "the bundle imports nothing",
      );
      const run = await new Deno.Command("node", {
        args: [bundle],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = new TextDecoder().decode(run.stdout);
      assert.equal(run.code, 0, out + new TextDecoder().decode(run.stderr));
      const report = JSON.parse(out.trim().split("\n").at(-1)!);
      assert.equal(report.runtime, "node");
      assert.deepEqual(report.failures, []);
      assert.ok(report.checks >= 10, `only ${report.checks} checks ran`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the bundle smoke script passes under Deno too", async () => {
  const { runSmoke } = await import("./_bundle_smoke.ts");
  const report = await runSmoke();
  assert.deepEqual(report.failures, []);
  assert.equal(report.runtime, "deno");
});
