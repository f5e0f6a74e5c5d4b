/**
 * The library is importable from a URL: the repository is served over HTTP on 127.0.0.1 and a
 * fresh `deno run`, allowed nothing but that address (for imports and fetches), imports
 * mod.ts, builds a database in memory and queries it.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

const TYPES: Record<string, string> = {
  ".ts": "application/typescript; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
};

Deno.test("mod.ts imports from an HTTP URL and queries a database built from bytes", async () => {
  const served: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..")) return new Response("bad path", { status: 400 });
    served.push(path);
    try {
      const body = await Deno.readFile(new URL("." + path, ROOT));
      const ext = path.slice(path.lastIndexOf("."));
      return new Response(body, {
        headers: { "content-type": TYPES[ext] ?? "application/octet-stream" },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const dir = await Deno.makeTempDir();
  try {
    const host = `127.0.0.1:${server.addr.port}`;
    const script = `
      import { Database, DatabaseBuilder, FormatError } from "http://${host}/mod.ts";
      const b = new DatabaseBuilder({ buildEpoch: 1700000000 });
      b.add("192.0.2.0/24", { tag: "test-net", n: 18446744073709551615n });
      b.add("2001:db8::/32", { tag: "doc" });
      const db = Database.fromBytes(b.build());
      const hit = db.lookup("192.0.2.77");
      const v6 = db.lookup("2001:db8::1");
      let bad = "";
      try { Database.fromBytes(new Uint8Array(10)); } catch (e) { bad = e instanceof FormatError ? e.code : String(e); }
      console.log(JSON.stringify({
        network: hit.network,
        tag: hit.data.tag,
        n: String(hit.data.n),
        v6: v6.network,
        miss: db.lookup("198.51.100.1"),
        mode: db.mapMode,
        bad,
      }));
    `;
    await Deno.writeTextFile(`${dir}/main.ts`, script);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        "--reload",
        `--allow-net=${host}`,
        `--allow-import=${host}`,
        `${dir}/main.ts`,
      ],
      cwd: dir,
      env: { DENO_DIR: `${dir}/cache`, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
      network: "192.0.2.0/24",
      tag: "test-net",
      n: "18446744073709551615",
      v6: "2001:db8::/32",
      miss: null,
      mode: "bytes",
      bad: "no-metadata",
    });
    assert.ok(served.includes("/mod.ts"));
    assert.ok(served.includes("/lib/db/database.ts"));
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
