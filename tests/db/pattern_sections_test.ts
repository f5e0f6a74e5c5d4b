import assert from "node:assert/strict";
import {
  Database,
  DatabaseBuilder,
  DatabaseError,
  exportJsonLines,
  FormatError,
  StringMatches,
  validateDatabase,
} from "../../lib/db/mod.ts";
import { hasProgram } from "../_fixtures.ts";
import { globSectionEncoder } from "../../lib/db/pattern_sections.ts";
import { encodeGlobSection } from "../../lib/format/glob_section.ts";
import { DataSectionWriter } from "../../lib/format/data_writer.ts";
import { stringMatcherOf } from "../../lib/db/database.ts";
import { literalSectionEncoder, patternSectionEncoders } from "../../lib/db/pattern_sections.ts";

function build(entries: [string, Record<string, string | number>][], ci = false): Uint8Array {
  const b = new DatabaseBuilder({
    buildEpoch: 1,
    matchMode: ci ? "case-insensitive" : "case-sensitive",
  });
  entries.forEach(([e, d], i) => b.add(e, d, { file: "feed.txt", line: i + 1 }));
  return b.build();
}

const MIXED: [string, Record<string, string | number>][] = [
  ["10.0.0.0/8", { kind: "net" }],
  ["2001:db8::/32", { kind: "net6" }],
  ["evil.example", { kind: "literal" }],
  ["*.evil.example", { kind: "glob-suffix" }],
  ["mal?are.*", { kind: "glob-mixed" }],
  ["glob:exact-glob", { kind: "forced-glob" }],
  ["literal:weird[name", { kind: "forced-literal" }],
  ["literal:1.2.3.4", { kind: "literal-ip" }],
  ["a\\*b", { kind: "escaped" }],
  ["*", { kind: "catch-all" }],
];

Deno.test("builder detects entry kinds: IP, glob with unescaped *?[, else literal; prefixes override", () => {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  MIXED.forEach(([e, d]) => b.add(e, d));
  b.build();
  assert.deepEqual(b.stats.counts, { ipv4: 1, ipv6: 1, literal: 4, glob: 4 });
});

Deno.test("Database.lookup() answers IPs from the tree and strings with every match", () => {
  const db = Database.fromBytes(build(MIXED));
  const ip = db.lookup("10.1.2.3");
  assert.equal(ip?.kind, "ip");
  assert.equal(ip?.kind === "ip" && ip.network, "10.0.0.0/8");
  // An IP that is not in the tree is not looked up as a string.
  assert.equal(db.lookup("1.2.3.4"), null);
  const r = db.lookup("evil.example");
  assert.equal(r?.kind, "string");
  assert.deepEqual(r?.kind === "string" && r.matches.map((m) => [m.kind, m.entry]), [
    ["literal", "evil.example"],
    ["glob", "*"],
  ]);
  const sub = db.lookup("www.evil.example");
  assert.deepEqual(sub?.kind === "string" && sub.matches.map((m) => m.data), [
    { kind: "glob-suffix" },
    { kind: "catch-all" },
  ]);
  assert.deepEqual(sub?.data, { kind: "glob-suffix" });
  const first = db.lookupFirst("malware.bin");
  assert.deepEqual(first?.kind === "string" && first.matches, [
    { kind: "glob", entry: "mal?are.*", data: { kind: "glob-mixed" } },
  ]);
  assert.deepEqual(db.lookupFirst("weird[name")?.data, { kind: "forced-literal" });
  // No unescaped metacharacter: a literal, stored exactly as written (backslash included).
  assert.deepEqual(db.lookupFirst("a\\*b")?.data, { kind: "escaped" });
  assert.deepEqual(db.lookupFirst("a*b")?.data, { kind: "catch-all" });
  assert.deepEqual(db.lookupFirst("axb")?.data, { kind: "catch-all" });
  assert.deepEqual(db.lookupFirst("exact-glob")?.data, { kind: "forced-glob" });
});

Deno.test("Database string lookups have an allocation-free form returning data offsets", () => {
  const db = Database.fromBytes(build(MIXED));
  const out = new StringMatches();
  assert.equal(db.lookupStringOffsets("x.evil.example", out), 2);
  assert.deepEqual(db.decode(out.offsets[0]), { kind: "glob-suffix" });
  const off = db.lookupStringOffset("evil.example");
  assert.deepEqual(db.decode(off), { kind: "literal" });
  assert.equal(stringMatcherOf(db)?.lastKind, 0);
});

Deno.test("builder rejects a malformed glob naming the line, and accepts it as literal: ", () => {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  assert.throws(() => b.add("bad[z-a]", {}, { file: "feed.txt", line: 7 }), (e: unknown) => {
    assert.ok(e instanceof DatabaseError);
    assert.match(e.message, /feed\.txt:7/);
    assert.match(e.message, /reversed range/);
    return true;
  });
  assert.throws(() => b.add("glob:ab\\", {}, { file: "f", line: 2 }), /lone backslash/);
  b.add("literal:bad[z-a]", { ok: 1 });
  const db = Database.fromBytes(b.build());
  assert.deepEqual(db.lookup("bad[z-a]")?.data, { ok: 1 });
});

Deno.test("case-insensitive databases record their match mode and fold literals and globs", () => {
  const db = Database.fromBytes(
    build([["Evil.Example", { n: 1 }], ["*.ΒΑΔ.example", { n: 2 }], ["1.2.3.4", { n: 3 }]], true),
  );
  assert.equal(db.metadata.mxyMatchMode, "case-insensitive");
  assert.deepEqual(db.lookup("EVIL.example")?.data, { n: 1 });
  assert.deepEqual(db.lookup("www.βαδ.EXAMPLE")?.data, { n: 2 });
  const cs = Database.fromBytes(build([["Evil.Example", { n: 1 }]]));
  assert.equal(cs.metadata.mxyMatchMode, "case-sensitive");
  assert.equal(cs.lookup("evil.example"), null);
});

Deno.test("case-insensitive duplicates are detected on the folded key", () => {
  const b = new DatabaseBuilder({
    buildEpoch: 1,
    matchMode: "case-insensitive",
    onDuplicate: "error",
  });
  b.add("Evil.Example", {});
  assert.throws(() => b.add("EVIL.example", {}), /Duplicate/);
});

Deno.test("the same input gives a byte-identical file with pattern sections", () => {
  assert.deepEqual(build(MIXED), build(MIXED));
});

Deno.test("a file with literal and glob sections stays readable by mmdblookup", async () => {
  if (!hasProgram("mmdblookup")) return;
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/mixed.mxy`;
    await Deno.writeFile(path, build(MIXED));
    const out = await new Deno.Command("mmdblookup", {
      args: ["--file", path, "--ip", "10.9.9.9", "kind"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(new TextDecoder().decode(out.stdout), /"net"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export lists literal and glob entries so that a rebuild gives the same database", () => {
  const db = Database.fromBytes(build(MIXED));
  const lines = [...exportJsonLines(db)];
  assert.ok(lines.includes('{"entry":"literal:evil.example","data":{"kind":"literal"}}'));
  assert.ok(lines.includes('{"entry":"glob:mal?are.*","data":{"kind":"glob-mixed"}}'));
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  for (const l of lines) {
    const { entry, data } = JSON.parse(l);
    b.add(entry, data);
  }
  const again = Database.fromBytes(b.build());
  assert.deepEqual([...exportJsonLines(again)], lines);
  for (const q of ["evil.example", "x.evil.example", "malware.x", "weird[name", "10.2.3.4"]) {
    assert.deepEqual(again.lookup(q), db.lookup(q), q);
  }
});

Deno.test("validateDatabase() checks the literal and glob sections and their data records", () => {
  const bytes = build(MIXED);
  assert.equal(validateDatabase(bytes).valid, true);
  const db = Database.fromBytes(bytes);
  const lit = db.metadata.sections.literal;
  const glob = db.metadata.sections.glob;
  // Flip every byte of each section in turn (a sample): never a crash, and a damaged table,
  // hash or data offset is reported.
  let caught = 0;
  for (const [name, loc] of [["literal", lit], ["glob", glob]] as const) {
    for (let i = 8; i < loc.length; i += 7) {
      const c = bytes.slice();
      c[loc.offset + i] ^= 0x5a;
      const r = validateDatabase(c);
      if (!r.valid) {
        caught++;
        assert.ok(
          r.problems.every((p) => typeof p.code === "string" && p.message.length > 0),
          name,
        );
      }
    }
  }
  assert.ok(caught > 0);
  const c = bytes.slice();
  const dv = new DataView(c.buffer);
  const slotsAt = lit.offset + dv.getUint32(lit.offset + 24, true);
  // Corrupt every slot's data offset: each must be reported as pointing outside the data.
  for (let s = 0; s < dv.getUint32(lit.offset + 16, true); s++) {
    if (dv.getUint32(slotsAt + 16 * s + 8, true) !== 0) {
      dv.setUint32(slotsAt + 16 * s + 12, 0x7fffffff, true);
    }
  }
  const r = validateDatabase(c);
  assert.equal(r.valid, false);
  assert.ok(r.problems.some((p) => p.code === "bad-pointer" && /Literal/.test(p.message)));
});

Deno.test("string lookups on a file with corrupted sections only ever throw FormatError", () => {
  const bytes = build(MIXED);
  const meta = Database.fromBytes(bytes).metadata.sections;
  const queries = ["evil.example", "x.evil.example", "malware.bin", "weird[name", "a*b", "zz"];
  let thrown = 0;
  for (const loc of [meta.literal, meta.glob]) {
    for (let i = 0; i < loc.length; i += 3) {
      const c = bytes.slice();
      c[loc.offset + i] ^= 0xa5;
      try {
        const db = Database.fromBytes(c);
        for (const q of queries) {
          db.lookup(q);
          db.lookupFirst(q);
        }
      } catch (err) {
        thrown++;
        assert.ok(err instanceof FormatError, `byte ${loc.offset + i}: ${err}`);
      }
    }
  }
  assert.ok(thrown > 0);
});

Deno.test("the glob encoder reuses its compiled programs and stays right for keys in any order", () => {
  const keys = ["*.evil.com", "mal[0-9]*", "a?c", "*.evil.com", "x*y*z"];
  for (const order of [[0, 1, 2, 4], [4, 2, 1, 0], [1, 0, 4]]) {
    const enc = globSectionEncoder();
    for (const k of keys) enc.normalizeKey!(k, "case-sensitive");
    const entries = order.map((i, n) => ({ key: keys[i], offset: n }));
    const got = enc.encode({
      count: entries.length,
      keys: entries.map((e) => e.key),
      offsets: Float64Array.from(entries, (e) => e.offset),
      source: () => undefined,
    }, {
      addValue: (v) => new DataSectionWriter().add(v),
      matchMode: "case-sensitive",
    });
    const want = encodeGlobSection(entries.map((e) => ({ text: e.key, dataOffset: e.offset })));
    // The encoder hands the builder parts to write into the file: write them out.
    const bytes = got instanceof Uint8Array ? got : new Uint8Array(got.length);
    if (!(got instanceof Uint8Array)) got.writeTo(bytes, 0);
    assert.deepEqual(bytes, want, `order ${order}`);
  }
});

Deno.test("literalSectionEncoder() stores literals, folding their keys in case-insensitive mode", () => {
  const enc = literalSectionEncoder();
  assert.equal(enc.name, "literal");
  assert.equal(enc.normalizeKey?.("Evil.COM", "case-insensitive"), "evil.com");
});

Deno.test("globSectionEncoder() claims glob syntax and refuses a malformed pattern", () => {
  const enc = globSectionEncoder();
  assert.equal(enc.claims?.("*.example.com"), true);
  assert.equal(enc.claims?.("example.com"), false);
  assert.throws(() => enc.normalizeKey?.("[a", "case-sensitive"), /never closed/);
});

Deno.test("patternSectionEncoders() gives the glob encoder before the literal one", () => {
  assert.deepEqual(patternSectionEncoders().map((e) => e.kind), ["glob", "literal"]);
});
