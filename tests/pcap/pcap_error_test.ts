import assert from "node:assert/strict";
import { MxyError } from "../../lib/core/mxy_error.ts";
import { PcapError } from "../../lib/pcap/mod.ts";
import { PCAP_ERROR_NUMBERS } from "../../lib/pcap/pcap_error.ts";
import { DPI_ERROR_NUMBERS } from "../../lib/dpi/dpi_error.ts";

Deno.test("PcapError codes are kebab-case with stable, unique numbers shared with DpiError", () => {
  const all = { ...PCAP_ERROR_NUMBERS, ...DPI_ERROR_NUMBERS };
  const numbers = Object.values(all);
  assert.equal(new Set(numbers).size, numbers.length);
  for (const code of Object.keys(all)) assert.match(code, /^[a-z]+(-[a-z]+)*$/);
  // stable numbers: changing one is a breaking change
  assert.equal(PCAP_ERROR_NUMBERS["buffer-limit"], 101);
  assert.equal(PCAP_ERROR_NUMBERS["bad-magic"], 201);
  assert.equal(PCAP_ERROR_NUMBERS["truncated-record"], 203);
  assert.equal(DPI_ERROR_NUMBERS["name-loop"], 302);
  assert.equal(PCAP_ERROR_NUMBERS["session-table-full"], 402);
});

Deno.test("PcapError messages start with a capital letter and name file, offset and packets", () => {
  const e = new PcapError("bad-length", "Block has an invalid length 7", {
    file: "x.pcapng",
    offset: 52,
    packets: 3,
  });
  assert.equal(
    e.message,
    "Block has an invalid length 7 (x.pcapng, byte offset 52, after 3 packets)",
  );
  assert.equal(e.name, "PcapError");
  assert.ok(e instanceof MxyError);
  assert.equal(e.code, "bad-length");
  assert.equal(e.number, 204);
  assert.equal(e.toJSON().offset, 52);
  assert.equal(e.toJSON().number, 204);
});
