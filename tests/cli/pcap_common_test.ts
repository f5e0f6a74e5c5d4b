import assert from "node:assert/strict";
import { defineCommand, type Invocation, parseCommand, UsageError } from "../../cli/_command.ts";
import {
  CAPTURE_MODE_OPTION,
  captureMode,
  internalNetworks,
  internalOption,
  LOG_OPTIONS,
  makeLogger,
  OVERLAP_OPTION,
  overlapPolicy,
} from "../../cli/commands/_pcap_common.ts";

const SPEC = {
  name: "pcap x",
  summary: "X",
  options: [...LOG_OPTIONS, CAPTURE_MODE_OPTION, OVERLAP_OPTION, internalOption("Inside")],
  run: (_inv: Invocation) => Promise.resolve(0),
};

Deno.test("the shared pcap options read the same from a declared call and from older flags", () => {
  const inv = parseCommand(SPEC, [
    "--log-format",
    "json",
    "--mode",
    "auto",
    "--internal",
    "10.0.0.0/8",
  ]);
  const old = {
    values: { "log-format": "json", mode: "auto", internal: ["10.0.0.0/8"] },
    positionals: [],
  };
  for (const flags of [inv, old]) {
    assert.equal(makeLogger(flags).format, "json");
    assert.equal(makeLogger(flags).level, "warn");
    assert.equal(captureMode(flags), "stream");
    assert.equal(overlapPolicy(flags), "first");
    assert.deepEqual(internalNetworks(flags).texts, ["10.0.0.0/8"]);
  }
  // Choices are checked either way: by the declaration, or by the readers for older flags.
  assert.throws(() => parseCommand(SPEC, ["--mode", "mmapp"]), /did you mean mmap/);
  assert.throws(() => captureMode({ values: { mode: "mmapp" }, positionals: [] }), UsageError);
  assert.throws(
    () => internalNetworks(parseCommand(SPEC, ["--internal", "10.0.0.1/8"])),
    /--internal: .*host bits/,
  );
  assert.equal(defineCommand(SPEC).name, "x");
});
