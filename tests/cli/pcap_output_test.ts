import assert from "node:assert/strict";
import { formatStats, OutputBuffer } from "../../cli/commands/_pcap_output.ts";

Deno.test("OutputBuffer hands chunks to the sink only when full or flushed", () => {
  const chunks: string[] = [];
  const out = new OutputBuffer((b) => chunks.push(new TextDecoder().decode(b)), 10);
  out.write("12345");
  out.write("6789");
  assert.deepEqual(chunks, []);
  out.write("0");
  assert.deepEqual(chunks, ["1234567890"]);
  out.write("ab");
  out.flush();
  out.flush();
  assert.deepEqual(chunks, ["1234567890", "ab"]);
  assert.equal(out.written, 12);
});

Deno.test("formatStats() prints one counter per line", () => {
  assert.equal(formatStats({ matched: 2, errors: 0 }), "matched: 2\nerrors: 0\n");
});
