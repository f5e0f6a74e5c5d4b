import assert from "node:assert/strict";
import { createDefaultRegistry } from "../../lib/dpi/mod.ts";
import { PcapErrorCode } from "../../lib/pcap/mod.ts";

Deno.test("docs/PCAP.md lists every built-in attribute and error code", () => {
  const doc = Deno.readTextFileSync(new URL("../../docs/PCAP.md", import.meta.url));
  for (const name of createDefaultRegistry().attributeNames()) {
    assert.ok(doc.includes(`\`${name}\``), `docs/PCAP.md does not mention ${name}`);
  }
  for (const [name, code] of Object.entries(PcapErrorCode)) {
    assert.ok(doc.includes(`${code} ${name}`), `docs/PCAP.md does not mention ${code} ${name}`);
  }
});
