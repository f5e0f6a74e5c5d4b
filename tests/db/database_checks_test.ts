// Database.shareChecks and DatabaseOptions.checked: a database over the same shared bytes takes
// the glob checks and the IPv4 jump table of another, answers the same, and refuses checks made
// for other bytes (so a file never skips its checks by itself).
import assert from "node:assert/strict";
import fc from "fast-check";
import { Database, DatabaseBuilder, DatabaseError } from "../../lib/db/mod.ts";

function build(tablesFit = false): Uint8Array {
  const b = new DatabaseBuilder({
    buildEpoch: 1,
    matchMode: tablesFit ? "case-insensitive" : undefined,
  });
  b.add("10.0.0.0/8", { n: "net8" });
  b.add("10.1.0.0/16", { n: "net16" });
  b.add("192.0.2.0/24", { n: "doc" });
  b.add("2001:db8::/32", { n: "v6" });
  b.add("evil.example", { n: "lit" });
  b.add("glob:*.evil.example", { n: "suffix" });
  b.add("glob:mal*", { n: "prefix" });
  b.add("glob:*bad*", { n: "infix" });
  b.add("glob:*.dyn.bad.example", { n: "suffix2" });
  b.add("glob:login-*", { n: "prefix2" });
  // a suffix pattern that is not `*.lit`: no suffix hash table
  if (!tablesFit) b.add("glob:x?y.example", { n: "program" });
  return b.build();
}

function shared(bytes: Uint8Array): Uint8Array {
  const u8 = new Uint8Array(new SharedArrayBuffer(bytes.length));
  u8.set(bytes);
  return u8;
}

for (const tablesFit of [false, true]) {
  Deno.test(
    `a database opened with another's checks answers as one that checked itself (${
      tablesFit ? "with" : "without"
    } the suffix hash table)`,
    () => {
      const bytes = shared(build(tablesFit));
      const checks = Database.fromBytes(bytes).shareChecks();
      const taken = Database.fromBytes(new Uint8Array(checks.buffer), { checked: checks });
      const own = Database.fromBytes(build(tablesFit));
      const queries = fc.sample(
        fc.oneof(
          fc.ipV4(),
          fc.ipV6(),
          fc.constantFrom(
            "evil.example",
            "a.evil.example",
            "A.EVIL.Example",
            "malware",
            "a-bad-one",
            "xzy.example",
            "h.dyn.bad.example",
            "login-x",
            "Login-Now",
            "é.evil.example",
          ),
          fc.domain(),
        ),
        { numRuns: 3000, seed: 12 },
      );
      // past the lookups after which the jump table and the glob tables are built
      for (const q of [...queries, ...queries]) assert.deepEqual(taken.lookup(q), own.lookup(q), q);
    },
  );
}

Deno.test("checks are refused for other bytes, copies, and bytes not in shared memory", () => {
  const bytes = shared(build());
  const checks = Database.fromBytes(bytes).shareChecks();
  const refused = (err: unknown) => err instanceof DatabaseError && err.code === "bad-checks";
  // the same file's bytes in another buffer
  assert.throws(() => Database.fromBytes(shared(build()), { checked: checks }), refused);
  assert.throws(() => Database.fromBytes(build(), { checked: checks }), refused);
  // a forged record naming the buffer but another range
  assert.throws(
    () => Database.fromBytes(bytes, { checked: { ...checks, byteLength: bytes.length - 1 } }),
    refused,
  );
  assert.throws(() => Database.fromBytes(build()).shareChecks(), refused);
});

Deno.test("checks reach a worker with the buffer in one message and are taken there", async () => {
  const bytes = shared(build());
  const checks = Database.fromBytes(bytes).shareChecks();
  const code = `
    import { Database } from ${
    JSON.stringify(new URL("../../lib/db/mod.ts", import.meta.url).href)
  };
    self.onmessage = (e) => {
      const db = Database.fromBytes(new Uint8Array(e.data.db), { checked: e.data.checked });
      self.postMessage([db.lookup("a.evil.example")?.data, db.lookup("10.1.2.3")?.data]);
    };`;
  const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
  const w = new Worker(url, { type: "module" });
  try {
    const answer = await new Promise((resolve, reject) => {
      w.onmessage = (e) => resolve(e.data);
      w.onerror = (e) => {
        e.preventDefault();
        reject(new Error(e.message));
      };
      w.postMessage({ db: checks.buffer, checked: checks });
    });
    assert.deepEqual(answer, [{ n: "suffix" }, { n: "net16" }]);
  } finally {
    w.terminate();
    URL.revokeObjectURL(url);
  }
});
