import assert from "node:assert/strict";
import { createDefaultRegistry } from "../../lib/dpi/mod.ts";
import { PCAP_ERROR_NUMBERS } from "../../lib/pcap/pcap_error.ts";
import { DPI_ERROR_NUMBERS } from "../../lib/dpi/dpi_error.ts";

Deno.test("docs/PCAP.md lists every built-in attribute and error code with its number", () => {
  const doc = Deno.readTextFileSync(new URL("../../docs/PCAP.md", import.meta.url));
  for (const name of createDefaultRegistry().attributeNames()) {
    assert.ok(doc.includes(`\`${name}\``), `docs/PCAP.md does not mention ${name}`);
  }
  for (const [code, number] of Object.entries({ ...PCAP_ERROR_NUMBERS, ...DPI_ERROR_NUMBERS })) {
    assert.ok(
      doc.includes(`${number} \`${code}\``),
      `docs/PCAP.md does not mention ${number} ${code}`,
    );
  }
});
