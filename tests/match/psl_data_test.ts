import assert from "node:assert/strict";
import { loadPslPackage, PSL_DATA_PATH, pslDataSource } from "../../cli/dev/generate_psl.ts";

Deno.test("lib/match/_psl_data.ts is what `deno task gen-psl` makes from the pinned psl package", async () => {
  const pkg = await loadPslPackage();
  const want = pslDataSource(pkg);
  const have = await Deno.readTextFile(new URL(`../../${PSL_DATA_PATH}`, import.meta.url));
  assert.ok(have === want, "lib/match/_psl_data.ts is stale: run `deno task gen-psl`");
  assert.ok(pkg.rules.length > 9000);
});
