import assert from "node:assert/strict";
import { MxyError } from "../../lib/core/mxy_error.ts";
import {
  EtherError,
  type EtherErrorCode,
  etherErrorName,
  EtherWireError,
} from "../../lib/ether/mod.ts";

/** Every code with its wire number and protocol name, as docs/PROTOCOL.md §4 lists them. */
const TABLE: [EtherErrorCode, number, string][] = [
  ["out-of-memory", -1, "NOMEM"],
  ["invalid-request", -2, "INVALID"],
  ["corrupt", -3, "CORRUPT"],
  ["overflow", -4, "OVERFLOW"],
  ["network", -5, "NETWORK"],
  ["timeout", -6, "TIMEOUT"],
  ["not-found", -7, "NOTFOUND"],
  ["unknown-command", -8, "UNKNOWN_COMMAND"],
  ["auth-failed", -9, "AUTH"],
  ["busy", -10, "BUSY"],
  ["denied", -11, "DENIED"],
  ["database-error", -12, "DATABASE"],
  ["internal", -13, "INTERNAL"],
];

Deno.test("EtherError carries a kebab-case code and the protocol's wire code", () => {
  for (const [code, wire, name] of TABLE) {
    const e = new EtherError(code, "What failed");
    assert.ok(e instanceof MxyError);
    assert.equal(e.name, "EtherError");
    assert.equal(e.code, code);
    assert.equal(e.wireCode, wire);
    assert.equal(EtherWireError[name as keyof typeof EtherWireError], wire);
    assert.equal(etherErrorName(wire), name);
  }
  assert.equal(Object.keys(EtherWireError).length, TABLE.length + 1); // and OK
});

Deno.test("EtherError.fromWire() maps each wire code back, and keeps an unknown one", () => {
  for (const [code, wire] of TABLE) assert.equal(EtherError.fromWire(wire, "x").code, code);
  const e = EtherError.fromWire(-77, "From another server");
  assert.equal(e.code, "unknown-error");
  assert.equal(e.wireCode, -77);
  assert.equal(etherErrorName(-77), "E-77");
});

Deno.test("EtherError keeps the cause it is given", () => {
  const cause = new RangeError("underneath");
  assert.equal(new EtherError("database-error", "x", { cause }).cause, cause);
});
