import assert from "node:assert/strict";
import { checkStringSections } from "../../lib/db/_check_string_sections.ts";
import { DatabaseBuilder } from "../../lib/db/builder.ts";
import { readLayout } from "../../lib/format/metadata.ts";

Deno.test("checkStringSections() checks the literal and glob sections named in the metadata", () => {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  b.add("evil.example", { n: 1 });
  b.add("*.evil.example", { n: 2 });
  const bytes = b.build();
  const r = checkStringSections(bytes, readLayout(bytes));
  assert.deepEqual(r.problems, []);
  assert.equal(r.entries, 2);
});
