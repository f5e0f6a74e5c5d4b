import assert from "node:assert/strict";
import { errorCategory, errorName, PcapError, PcapErrorCode } from "../../lib/pcap/mod.ts";

Deno.test("PcapErrorCode values are unique, stable and grouped by category", () => {
  const codes = Object.values(PcapErrorCode);
  assert.equal(new Set(codes).size, codes.length);
  // stable numbers: changing one is a breaking change
  assert.equal(PcapErrorCode.BufferLimit, 101);
  assert.equal(PcapErrorCode.BadMagic, 201);
  assert.equal(PcapErrorCode.TruncatedRecord, 203);
  assert.equal(PcapErrorCode.NameLoop, 302);
  assert.equal(PcapErrorCode.SessionTableFull, 402);
  for (const [name, code] of Object.entries(PcapErrorCode)) {
    assert.equal(errorName(code), name);
    const cat = errorCategory(code);
    assert.equal(cat, ["memory", "packet", "protocol", "session"][Math.floor(code / 100) - 1]);
  }
});

Deno.test("PcapError messages start with a capital letter and name file, offset and packets", () => {
  const e = new PcapError(PcapErrorCode.BadLength, "Block has an invalid length 7", {
    file: "x.pcapng",
    offset: 52,
    packets: 3,
  });
  assert.equal(
    e.message,
    "Block has an invalid length 7 (x.pcapng, byte offset 52, after 3 packets)",
  );
  assert.equal(e.name, "PcapError");
  assert.equal(e.codeName, "BadLength");
  assert.equal(e.toJSON().offset, 52);
});
