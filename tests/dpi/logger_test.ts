import assert from "node:assert/strict";
import { isLogLevel, Logger } from "../../lib/dpi/mod.ts";
import { PcapError, PcapErrorCode } from "../../lib/pcap/mod.ts";

Deno.test("Logger writes only records at or above its level", () => {
  const lines: string[] = [];
  const log = new Logger({ level: "warn", write: (l) => lines.push(l) });
  log.debug("d");
  log.info("i");
  log.warn("w", { n: 1 });
  log.error("e");
  assert.deepEqual(lines, ["WARN w n=1", "ERROR e"]);
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
  const err = new PcapError(PcapErrorCode.TruncatedRecord, "Cut short", {
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
    [rec.error.code, rec.error.codeName, rec.error.category, rec.error.offset, rec.error.packets],
    [203, "TruncatedRecord", "packet", 40, 2],
  );
});

Deno.test("Logger in text format names a typed error by code name and number", () => {
  const lines: string[] = [];
  const log = new Logger({ write: (l) => lines.push(l) });
  log.error("failed", { error: new PcapError(PcapErrorCode.BadMagic, "Not a capture") });
  assert.equal(lines[0], "ERROR failed error=BadMagic(201)");
  assert.ok(isLogLevel("debug") && !isLogLevel("verbose"));
});
