import assert from "node:assert/strict";
import { hasMmdblookup, hasPythonMaxminddb } from "./_peers.ts";

const PATTERNS = new URL("../../testdata/patterns.mxy", import.meta.url).pathname;

Deno.test({
  name: "python maxminddb reads the metadata of a .mxy file, the mxy record included",
  ignore: !hasPythonMaxminddb(),
  async fn() {
    // Both readers: the C extension (MODE_MMAP_EXT) refuses unknown metadata keys, and
    // version 2.1.0 crashes on them, so the mxy record must live inside `description`.
    const script = `
import json, sys, maxminddb
out = {}
for mode in (maxminddb.MODE_MMAP_EXT, maxminddb.MODE_FILE):
    try:
        r = maxminddb.open_database(sys.argv[1], mode)
    except ValueError:
        continue  # the C extension is not installed
    m = r.metadata()
    out[str(mode)] = {"type": m.database_type, "nodes": m.node_count,
                      "mxy": json.loads(m.description["mxy"])}
print(json.dumps(out))
`;
    const r = await new Deno.Command("/usr/bin/python3", { args: ["-c", script, PATTERNS] })
      .output();
    assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    const out = JSON.parse(new TextDecoder().decode(r.stdout));
    const modes = Object.values(out) as { type: string; nodes: number; mxy: { counts: object } }[];
    assert.ok(modes.length >= 1);
    for (const m of modes) {
      assert.equal(m.type, "mxy");
      assert.ok(m.nodes > 0);
      assert.deepEqual(m.mxy.counts, { ipv4: 2, ipv6: 1, literal: 7, glob: 7 });
    }
  },
});

Deno.test({
  name: "mmdblookup --verbose shows a .mxy file's metadata",
  ignore: !hasMmdblookup(),
  async fn() {
    const r = await new Deno.Command("mmdblookup", {
      args: ["--file", PATTERNS, "--ip", "1.2.3.4", "--verbose"],
    }).output();
    const text = new TextDecoder().decode(r.stdout);
    assert.match(text, /Type:\s+mxy/);
    assert.match(text, /format_version/);
  },
});
