import assert from "node:assert/strict";
import { isLogLevel, Logger } from "../../cli/commands/_pcap_logger.ts";
import { PcapError } from "../../lib/pcap/mod.ts";
import { DpiError } from "../../lib/dpi/mod.ts";

Deno.test("Logger writes only records at or above its level", () => {
  const lines: string[] = [];
  const log = new Logger({ level: "warn", write: (l) => lines.push(l) });
  log.debug("d");
  log.info("i");
  log.warn("w", { n: 1 });
  log.error("e");
  assert.deepEqual(lines, ["mxy: warning: w", "mxy: e"]);
  const silent = new Logger({ level: "silent", write: (l) => lines.push(l) });
  silent.error("x");
  assert.equal(lines.length, 2);
});

Deno.test("Logger in JSON format writes one object per line with typed error fields", () => {
  const lines: string[] = [];
  const log = new Logger({
    level: "debug",
    format: "json",
    write: (l) => lines.push(l),
    now: () => 86400000,
  });
  const err = new PcapError("truncated-record", "Cut short", {
    file: "a.pcap",
    offset: 40,
    packets: 2,
  });
  log.debug("read", { file: "a.pcap", error: err });
  const rec = JSON.parse(lines[0]);
  assert.equal(rec.time, "1970-01-02T00:00:00.000Z");
  assert.equal(rec.level, "debug");
  assert.equal(rec.msg, "read");
  assert.deepEqual(
    [rec.error.code, rec.error.number, rec.error.offset, rec.error.packets],
    ["truncated-record", 203, 40, 2],
  );
});

Deno.test("Logger in text format words errors as mxy does and names a typed error by code and number in debug lines", () => {
  const lines: string[] = [];
  const log = new Logger({ level: "debug", write: (l) => lines.push(l) });
  log.error("a.pcap: Not a capture", { error: new PcapError("bad-magic", "Not a capture") });
  log.debug("failed", { error: new PcapError("bad-magic", "Not a capture") });
  log.info("failed", { error: new DpiError("name-loop", "Loop"), n: 2 });
  assert.deepEqual(lines, [
    "mxy: a.pcap: Not a capture",
    "DEBUG failed error=bad-magic(201)",
    "INFO failed error=name-loop(302) n=2",
  ]);
  assert.ok(isLogLevel("debug") && !isLogLevel("verbose"));
});
