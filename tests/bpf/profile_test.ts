import assert from "node:assert/strict";
import { CLOUD, EMBEDDED, getBpfProfile } from "../../lib/bpf/profile.ts";

Deno.test("getProfile() returns the cloud and embedded limits the issue asks for", () => {
  assert.equal(getBpfProfile("cloud"), CLOUD);
  assert.equal(CLOUD.stackSize, 512 * 1024);
  assert.equal(CLOUD.jit, true);
  assert.equal(CLOUD.mapsResizable, true);
  assert.equal(CLOUD.boundedLoops, true);
  assert.equal(getBpfProfile("embedded"), EMBEDDED);
  assert.equal(EMBEDDED.stackSize, 8 * 1024);
  assert.equal(EMBEDDED.jit, false);
  assert.equal(EMBEDDED.mapsResizable, false);
  assert.equal(EMBEDDED.boundedLoops, false);
  assert.ok(EMBEDDED.maxInstructions < CLOUD.maxInstructions);
  assert.ok(EMBEDDED.mapPoolBytes !== null && EMBEDDED.mapPoolBytes > 0);
  assert.throws(() => getBpfProfile("desktop"), RangeError);
});
