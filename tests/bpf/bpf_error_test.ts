import assert from "node:assert/strict";
import { BpfError } from "../../lib/bpf/bpf_error.ts";
import { MxyError } from "../../lib/core/mxy_error.ts";

Deno.test("BpfError is an MxyError with a string code, a place and a cause", () => {
  const cause = new RangeError("underneath");
  const err = new BpfError("elf", "Bad section", { file: "x.o", line: 3, pc: 7, cause });
  assert.ok(err instanceof MxyError);
  assert.equal(err.name, "BpfError");
  assert.equal(err.code, "elf");
  assert.equal(err.message, "Bad section (at x.o, line 3, insn 7)");
  assert.equal(err.cause, cause);
  assert.deepEqual([err.file, err.line, err.pc], ["x.o", 3, 7]);
  const bare = new BpfError("budget", "Out of budget");
  assert.deepEqual([bare.file, bare.line, bare.pc, bare.message], ["", -1, -1, "Out of budget"]);
  assert.equal("cause" in bare, false);
});
