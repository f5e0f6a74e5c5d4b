import assert from "node:assert/strict";
import { runInspect } from "../../cli/commands/inspect.ts";
import { main } from "../../cli/main.ts";
import { fixture } from "../_fixtures.ts";
import { runMxy } from "../_mxy.ts";
import { captureIo } from "./_db_io.ts";

const TEST_DATA = fixture("mmdb/test-data");

Deno.test({
  name: "mxy inspect shows metadata, counts and the file's layout",
  ignore: !TEST_DATA,
  async fn() {
    const io = captureIo();
    assert.equal(await runInspect([`${TEST_DATA}/GeoIP2-City-Test.mmdb`], io), 0);
    const text = io.out();
    assert.match(text, /^database type: +GeoIP2-City$/m);
    assert.match(text, /^search tree: +IPv6, 1,547 nodes, 28-bit records$/m);
    assert.match(text, /^networks: +20 IPv4, 230 IPv6 \(63 distinct data records\)$/m);
    assert.match(text, /^ {2}separator +10829 +16 B$/m);
    assert.match(text, /^description: +\[zh\] 小型数据库$/m);
  },
});

Deno.test({
  name: "mxy inspect --json prints one JSON object with exact numbers",
  ignore: !TEST_DATA,
  async fn() {
    const io = captureIo();
    assert.equal(await runInspect([`${TEST_DATA}/MaxMind-DB-test-ipv4-32.mmdb`, "--json"], io), 0);
    const info = JSON.parse(io.out());
    assert.equal(info.ipVersion, 4);
    assert.equal(info.recordSize, 32);
    assert.equal(info.networks.ipv4, 6);
    assert.equal(info.layout[0].name, "search tree");
    assert.equal(info.layout[0].length, info.nodeCount * 8);
    const last = info.layout[info.layout.length - 1];
    assert.equal(last.name, "metadata");
    assert.equal(last.offset + last.length, info.size);
    assert.equal(await main(["inspect"]), 2);
    assert.equal(await main(["inspect", "a", "b"]), 2);
  },
});

Deno.test("mxy --version prints deno.json's version", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  const r = await runMxy(["--version"]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `mxy ${config.version}\n`);
});
