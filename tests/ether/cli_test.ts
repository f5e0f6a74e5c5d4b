import assert from "node:assert/strict";
import { fixture } from "../_fixtures.ts";
import { type MxyRun, runMxy } from "../_mxy.ts";

const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;

function mxy(args: string[]): Promise<MxyRun> {
  return runMxy(args);
}

Deno.test("mxy serve runs, mxy ether talks to it, and SIGTERM exits 0 with statistics", {
  ignore: !fixture("mmdb/test-data"),
}, async () => {
  const dir = fixture("mmdb/test-data")!;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "serve",
      "--port",
      "0",
      "--db",
      `${dir}/MaxMind-DB-test-ipv4-24.mmdb`,
      "--db-dir",
      dir,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let err = "";
  while (!/listening on [\d.]+:\d+/.test(err)) {
    const { value, done } = await reader.read();
    if (done) break;
    err += value;
  }
  const port = /listening on [\d.]+:(\d+)/.exec(err)?.[1];
  assert.ok(port, `no port in: ${err}`);
  try {
    const ping = await mxy(["ether", "ping", "-p", port!]);
    assert.equal(ping.code, 0, ping.stderr);
    assert.match(ping.stdout, /mxy\/0\.1\.0, capabilities 0x[0-9a-f]+/);
    assert.match(ping.stdout, /PONG from 127\.0\.0\.1:\d+: seq=1/);

    const alloc = await mxy([
      "ether",
      "alloc",
      "6",
      "--hex",
      "01 02 03",
      "--read",
      "--free",
      "-p",
      port!,
    ]);
    assert.equal(alloc.code, 0, alloc.stderr);
    assert.match(alloc.stdout, /^0x[0-9a-f]{16}\n010203000000\n$/);

    const q = await mxy(["ether", "query", "-p", port!, "1.1.1.3", "9.9.9.9"]);
    assert.equal(q.code, 1); // one query matched nothing
    assert.equal(
      q.stdout,
      '{"kind":"ip","data":{"ip":"1.1.1.2"},"network":"1.1.1.2/31","prefixLength":31}\nnull\n',
    );

    const free = await mxy(["ether", "free", "0x1234", "-p", port!]);
    assert.equal(free.code, 1);
    assert.match(free.stderr, /NOTFOUND/);

    const usage = await mxy(["ether", "read", "nothex", "4", "-p", port!]);
    assert.equal(usage.code, 2);
  } finally {
    child.kill("SIGTERM");
  }
  const status = await child.status;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    err += value;
  }
  await child.stdout.cancel();
  assert.equal(status.code, 0, err);
  assert.match(err, /SIGTERM: finishing requests in flight/);
  assert.match(err, /stopped; statistics \{"connections":0,/);
});

Deno.test("mxy serve refuses a non-loopback address without a token (exit 2)", async () => {
  const r = await mxy(["serve", "--host", "0.0.0.0", "--port", "0"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /non-loopback address 0\.0\.0\.0 without a token/);
});
