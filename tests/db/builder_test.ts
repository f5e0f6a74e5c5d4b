import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Database,
  DatabaseBuilder,
  DatabaseError,
  formatIp,
  GlobError,
  type IpResult,
  parseCidr,
  type SectionEncoder,
  typed,
  validateDatabase,
} from "../../lib/db/mod.ts";
import {
  hasMmdblookup,
  hasPythonMaxminddb,
  mmdblookup,
  type PeerAnswer,
  pythonLookup,
  toPeerValue,
} from "./_peers.ts";

const PEERS = hasPythonMaxminddb();
const MMDBLOOKUP = hasMmdblookup();

/** A network as the reference model sees it. */
interface Net {
  v6: boolean;
  bytes: Uint8Array;
  prefix: number;
}

function contains(net: Net, addr: Uint8Array): boolean {
  for (let i = 0; i < net.prefix; i++) {
    const a = (net.bytes[i >> 3] >> (7 - (i & 7))) & 1;
    const b = (addr[i >> 3] >> (7 - (i & 7))) & 1;
    if (a !== b) return false;
  }
  return true;
}

function cidr(net: Net): string {
  return `${formatIp(net.bytes)}/${net.prefix}`;
}

function clearHost(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = bytes.slice();
  for (let i = prefix; i < out.length * 8; i++) out[i >> 3] &= ~(1 << (7 - (i & 7)));
  return out;
}

const v4Net = fc.record({
  hi: fc.constantFrom(10, 11, 192),
  rest: fc.uint8Array({ minLength: 3, maxLength: 3 }),
  prefix: fc.oneof(fc.integer({ min: 8, max: 32 }), fc.integer({ min: 0, max: 32 })),
}).map(({ hi, rest, prefix }): Net => ({
  v6: false,
  bytes: clearHost(new Uint8Array([hi, ...rest]), prefix),
  prefix,
}));

const v6Net = fc.record({
  hi: fc.constantFrom(0x20, 0x2a),
  rest: fc.uint8Array({ minLength: 15, maxLength: 15 }),
  prefix: fc.integer({ min: 16, max: 128 }),
}).map(({ hi, rest, prefix }): Net => {
  const b = new Uint8Array([hi, 0x01, ...rest.subarray(1)]);
  return { v6: true, bytes: clearHost(b, prefix), prefix };
});

const scenario = fc.record({
  nets: fc.array(fc.oneof({ weight: 3, arbitrary: v4Net }, { weight: 1, arbitrary: v6Net }), {
    minLength: 1,
    maxLength: 40,
  }),
  withV6: fc.boolean(),
  randomAddrs: fc.array(fc.uint8Array({ minLength: 16, maxLength: 16 }), { maxLength: 20 }),
  hostBits: fc.array(fc.uint8Array({ minLength: 16, maxLength: 16 }), {
    minLength: 40,
    maxLength: 40,
  }),
  seed: fc.integer(),
});

function shuffle<T>(items: T[], seed: number): T[] {
  const out = items.slice();
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The value stored for network number i: exercises several types, including uint64. */
function valueOf(i: number) {
  return {
    i,
    tag: `group-${i % 4}`,
    big: typed("uint64", 18446744073709551615n - BigInt(i)),
    f: i + 0.5,
  };
}

/** The query addresses for a scenario: inside each network, and anywhere. */
function queriesFor(nets: Net[], hostBits: Uint8Array[], randomAddrs: Uint8Array[]): string[] {
  const qs: string[] = [];
  nets.forEach((n, k) => {
    const h = hostBits[k % hostBits.length];
    const a = n.bytes.slice();
    for (let i = n.prefix; i < a.length * 8; i++) {
      if ((h[i >> 3] >> (7 - (i & 7))) & 1) a[i >> 3] |= 1 << (7 - (i & 7));
    }
    qs.push(formatIp(a));
  });
  for (const r of randomAddrs) {
    qs.push(formatIp(r.subarray(0, 4)));
    qs.push(formatIp(new Uint8Array([10, ...r.subarray(4, 7)])));
    qs.push(formatIp(new Uint8Array([0x20, 0x01, ...r.subarray(2)])));
  }
  return qs;
}

Deno.test({
  name: "build() gives longest-prefix answers in any insertion order, as mmdblookup and python",
  ignore: !PEERS,
  async fn() {
    const dir = await Deno.makeTempDir();
    const samples = fc.sample(scenario, { numRuns: 16, seed: 42 });
    const jobs: { path: string; ips: string[] }[] = [];
    const expectations: { ips: string[]; expected: (number | null)[]; db: Database[] }[] = [];
    for (const [k, sc] of samples.entries()) {
      const nets = sc.withV6 ? sc.nets : sc.nets.filter((n) => !n.v6);
      if (nets.length === 0) continue;
      // Duplicates: the last one given wins (the default policy).
      const winner = new Map<string, number>();
      nets.forEach((n, i) => winner.set(cidr(n), i));
      const hasV6 = nets.some((n) => n.v6);
      const build = (order: number[]) => {
        const b = new DatabaseBuilder({ buildEpoch: 1 });
        for (const i of order) b.add(cidr(nets[i]), valueOf(winner.get(cidr(nets[i]))!));
        return b.build();
      };
      const order = nets.map((_, i) => i);
      const uniqueOrder = [...winner.values()];
      const bytesA = build(order);
      const bytesB = build(shuffle(uniqueOrder, sc.seed));
      const path = `${dir}/s${k}.mxy`;
      await Deno.writeFile(path, bytesA);
      let ips = queriesFor(nets, sc.hostBits, sc.randomAddrs);
      if (!hasV6) ips = ips.filter((q) => !q.includes(":"));
      const v4 = ips.filter((q) => !q.includes(":")).slice(0, 5);
      if (hasV6) {
        // IPv4 through the aliases: IPv4-mapped, Teredo (the server address) and 6to4.
        for (const q of v4) {
          const p = q.split(".").map(Number);
          const hi = ((p[0] << 8) | p[1]).toString(16), lo = ((p[2] << 8) | p[3]).toString(16);
          ips.push(`::ffff:${q}`);
          ips.push(`2001:0:${hi}:${lo}::1`);
          ips.push(`2002:${hi}:${lo}::1`);
        }
      }
      const expected = ips.map((q) => {
        let addr: Uint8Array;
        let v6 = q.includes(":");
        if (q.startsWith("::ffff:")) {
          addr = new Uint8Array(q.slice(7).split(".").map(Number));
          v6 = false;
        } else if (q.startsWith("2002:") || q.startsWith("2001:0:")) {
          const g = q.split(":");
          const teredo = q.startsWith("2001:0:");
          const a = parseInt(g[teredo ? 2 : 1], 16);
          const b = parseInt(g[teredo ? 3 : 2], 16);
          addr = new Uint8Array([a >> 8, a & 255, b >> 8, b & 255]);
          v6 = false;
        } else if (v6) {
          addr = new Uint8Array(16);
          const full = q.includes("::") ? expand(q) : q.split(":").map((x) => parseInt(x, 16));
          full.forEach((x, i) => {
            addr[i * 2] = x >> 8;
            addr[i * 2 + 1] = x & 255;
          });
        } else {
          addr = new Uint8Array(q.split(".").map(Number));
        }
        let best: Net | null = null;
        for (const n of nets) {
          if (n.v6 !== v6 || !contains(n, addr)) continue;
          if (best === null || n.prefix > best.prefix) best = n;
        }
        return best === null ? null : winner.get(cidr(best))!;
      });
      jobs.push({ path, ips });
      expectations.push({
        ips,
        expected,
        db: [Database.fromBytes(bytesA), Database.fromBytes(bytesB)],
      });
    }
    const answers = await pythonLookup(jobs);
    let checked = 0;
    answers.forEach((ans, j) => {
      const { ips, expected, db } = expectations[j];
      ips.forEach((q, i) => {
        const want = expected[i];
        for (const d of db) {
          const got = d.lookup(q);
          assert.equal(got === null ? null : (got.data as { i: number }).i, want, `mxy ${q}`);
        }
        const mine = db[0].lookup(q);
        for (const [name, list] of [["ext", ans.ext], ["py", ans.py]] as const) {
          const [value, plen] = list[i] as PeerAnswer;
          assert.notEqual(value, "error", `${name} ${q}: ${plen}`);
          if (want === null) {
            assert.equal(value, null, `${name} ${q}`);
          } else {
            assert.deepEqual(value, toPeerValue(db[0].decode(db[0].lookupIpOffset(q))));
            assert.deepEqual(
              value,
              toPeerValue({
                i: want,
                tag: `group-${want % 4}`,
                big: 18446744073709551615n - BigInt(want),
                f: want + 0.5,
              }),
            );
            assert.equal(plen, (mine as IpResult).prefixLength, `${name} prefix of ${q}`);
          }
        }
        checked++;
      });
    });
    assert.ok(checked > 200, `only ${checked} lookups compared`);
    if (MMDBLOOKUP) {
      const { ips, expected } = expectations[0];
      for (let i = 0; i < 3; i++) {
        const out = await mmdblookup(jobs[0].path, ips[i], "i");
        if (expected[i] === null) assert.match(out, /Could not find an entry/);
        else assert.match(out, new RegExp(`^\\s*${expected[i]} <uint16>`, "m"));
      }
    }
    await Deno.remove(dir, { recursive: true });
  },
});

function expand(q: string): number[] {
  const [head, tail] = q.split("::");
  const h = head ? head.split(":").map((x) => parseInt(x, 16)) : [];
  const t = tail ? tail.split(":").map((x) => parseInt(x, 16)) : [];
  return [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
}

Deno.test("build() makes an IPv4 tree for IPv4 entries only, an IPv6 tree otherwise", () => {
  const a = new DatabaseBuilder({ buildEpoch: 1 });
  a.add("1.2.3.0/24", { n: 1 });
  a.add("::ffff:5.6.7.8", { n: 2 }); // IPv4-mapped: an IPv4 entry
  a.build();
  assert.equal(a.stats.ipVersion, 4);
  assert.deepEqual(a.stats.counts, { ipv4: 2, ipv6: 0, literal: 0, glob: 0 });
  const b = new DatabaseBuilder({ buildEpoch: 1, ipVersion: 6 });
  b.add("1.2.3.0/24", { n: 1 });
  const db = Database.fromBytes(b.build());
  assert.equal(b.stats.ipVersion, 6);
  assert.deepEqual(db.lookup("::ffff:1.2.3.9")?.data, { n: 1 });
  assert.deepEqual(db.lookup("2002:102:304::")?.data, { n: 1 });
  const c = new DatabaseBuilder({ ipVersion: 4 });
  assert.throws(
    () => c.add("2001:db8::/32", {}, { file: "f.txt", line: 9 }),
    (e: unknown) => e instanceof DatabaseError && e.code === "wrong-ip-version" && e.line === 9,
  );
});

Deno.test("build() leaves out the IPv4 aliases when asked and rejects networks inside 2001::/32 and 2002::/16", () => {
  const a = new DatabaseBuilder({ buildEpoch: 1, ipv4Aliases: false });
  a.add("1.2.3.0/24", { n: 1 });
  a.add("2001:db8::/32", { n: 2 });
  a.add("2001:0:aaaa::/48", { n: 3 });
  const db = Database.fromBytes(a.build());
  assert.deepEqual(db.lookup("1.2.3.4")?.data, { n: 1 });
  assert.equal(db.lookup("::ffff:1.2.3.4"), null);
  assert.equal(db.lookup("2001:0:102:304::"), null);
  assert.deepEqual(db.lookup("2001:0:aaaa::1")?.data, { n: 3 });
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  b.add("1.2.3.0/24", { n: 1 });
  b.add("2002:102:300::/40", { n: 2 }, { file: "six.txt", line: 4 });
  assert.throws(() => b.build(), /six\.txt:4: Network inside 2001::\/32 \(Teredo\) or 2002::\/16/);
  const t = new DatabaseBuilder({ buildEpoch: 1 });
  t.add("1.2.3.0/24", { n: 1 });
  t.add("2001:0:abcd::/48", { n: 2 }, { file: "teredo.txt", line: 7 });
  assert.throws(() => t.build(), /teredo\.txt:7: Network inside 2001::\/32/);
  // 2001:db8::/32 and 2001::/16 are not inside the Teredo prefix.
  const d = new DatabaseBuilder({ buildEpoch: 1 });
  d.add("1.2.3.0/24", { n: 1 });
  d.add("2001:db8::/32", { n: 2 });
  const dd = Database.fromBytes(d.build());
  assert.deepEqual(dd.lookup("2001:0:102:304::9")?.data, { n: 1 }, "Teredo alias");
  assert.deepEqual(dd.lookup("2001:db8::1")?.data, { n: 2 });
  // Without IPv4 entries there is no alias, so 6to4 networks are fine.
  const c = new DatabaseBuilder({ buildEpoch: 1 });
  c.add("2002:102:300::/40", { n: 2 });
  assert.deepEqual(Database.fromBytes(c.build()).lookup("2002:102:300::1")?.data, { n: 2 });
});

Deno.test("add() applies the duplicate policy: error, first, last, merge", () => {
  const run = (policy: "error" | "first" | "last" | "merge") => {
    const b = new DatabaseBuilder({ buildEpoch: 1, onDuplicate: policy });
    b.add("10.0.0.0/8", { a: 1, m: { x: 1 } }, { file: "f.csv", line: 2 });
    b.add("10.0.0.0/8", { b: 2, m: { y: 2 } }, { file: "f.csv", line: 3 });
    const db = Database.fromBytes(b.build());
    assert.equal(b.stats.duplicates, 1);
    assert.equal(b.stats.counts.ipv4, 1);
    return db.lookup("10.1.1.1")?.data;
  };
  assert.deepEqual(run("first"), { a: 1, m: { x: 1 } });
  assert.deepEqual(run("last"), { b: 2, m: { y: 2 } });
  assert.deepEqual(run("merge"), { a: 1, m: { x: 1, y: 2 }, b: 2 });
  assert.throws(
    () => run("error"),
    /f\.csv:3: Duplicate entry "10\.0\.0\.0\/8" \(first given at f\.csv:2\)/,
  );
  // The same network written two ways is a duplicate too.
  const b = new DatabaseBuilder({ onDuplicate: "error" });
  b.add("2001:db8::/32", {});
  assert.throws(() => b.add("2001:0DB8:0:0::/32", {}), DatabaseError);
});

Deno.test("add() rejects host bits beyond the prefix unless normalize is on", () => {
  const b = new DatabaseBuilder();
  assert.throws(
    () => b.add("10.1.2.3/8", {}, { file: "x.txt", line: 7 }),
    (e: unknown) =>
      e instanceof DatabaseError && e.code === "host-bits-set" &&
      /x\.txt:7:.*--normalize/.test(e.message),
  );
  const n = new DatabaseBuilder({ normalize: true, buildEpoch: 1 });
  n.add("10.1.2.3/8", { ok: true });
  assert.deepEqual(Database.fromBytes(n.build()).lookup("10.200.0.1")?.data, { ok: true });
});

Deno.test("add() rejects literal and glob entries when no section stores them", () => {
  const b = new DatabaseBuilder({ extensions: [] });
  assert.throws(
    () => b.add("literal:evil.example", {}, { file: "i.txt", line: 1 }),
    /i\.txt:1: Literal entries are not supported by this builder: "literal:evil.example"/,
  );
  assert.throws(
    () => b.add("glob:*.evil.example", {}),
    /Glob entries are not supported by this builder/,
  );
  assert.throws(() => b.add("evil.example", {}), /not an IP address or network/);
  assert.throws(() => b.add("1.2.3.999", {}), /Invalid IP address/);
  assert.throws(() => b.add("  ", {}, { file: "e.csv", line: 5 }), /e\.csv:5: Empty entry/);
  assert.throws(() => b.add("ip:evil.example", {}), /Invalid IP address/);
  assert.throws(
    () => b.add("10.0.0.0/8", { v: null } as never, { file: "v", line: 2 }),
    /v:2:.*null/,
  );
});

Deno.test("addExtension() places sections 8-byte aligned and records them in the metadata", () => {
  const seen: { key: string; offset: number }[] = [];
  const ext: SectionEncoder = {
    name: "demo",
    kind: "demo",
    claims: (e) => e.endsWith(".demo"),
    normalizeKey: (k) => k.toLowerCase(),
    encode(entries, ctx) {
      for (let i = 0; i < entries.count; i++) {
        seen.push({ key: entries.keys[i], offset: entries.offsets[i] });
      }
      const out = new Uint8Array(8 + entries.count * 4);
      out.set(new TextEncoder().encode("MXYDEMO\x01"));
      const view = new DataView(out.buffer);
      entries.offsets.forEach((o, i) => view.setUint32(8 + i * 4, o, true));
      assert.equal(ctx.matchMode, "case-sensitive");
      return out;
    },
  };
  const b = new DatabaseBuilder({ buildEpoch: 1, extensions: [ext] });
  b.add("1.2.3.0/24", { n: 1 });
  b.add("demo:Hello", { n: 2 });
  b.add("world.demo", { n: 3 });
  b.add("demo:HELLO", { n: 4 }); // a duplicate under normalizeKey: last wins
  const bytes = b.build();
  assert.equal(b.stats.counts.demo, 2);
  assert.equal(b.stats.duplicates, 1);
  const db = Database.fromBytes(bytes);
  const offset = db.metadata.sections.demo.offset;
  assert.equal(offset % 8, 0);
  const section = db.section("demo")!;
  assert.equal(new TextDecoder().decode(section.subarray(0, 8)), "MXYDEMO\x01");
  assert.deepEqual(seen.map((s) => s.key), ["Hello", "world.demo"]);
  const view = new DataView(section.buffer, section.byteOffset, section.byteLength);
  assert.deepEqual(db.decode(view.getUint32(8, true)), { n: 4 });
  assert.deepEqual(db.decode(view.getUint32(12, true)), { n: 3 });
  assert.deepEqual(db.lookup("1.2.3.4")?.data, { n: 1 });
});

Deno.test("build() picks the record size from node count and data size", async () => {
  const small = new DatabaseBuilder({ buildEpoch: 1 });
  small.add("1.0.0.0/8", { n: 1 });
  small.build();
  assert.equal(small.stats.recordSize, 24);
  // Two values of 9 MB: data pointers above 2^24 need 28-bit records.
  const big = new DatabaseBuilder({ buildEpoch: 1 });
  big.add("1.0.0.0/8", { blob: new Uint8Array(9_000_000).fill(1) });
  big.add("2.0.0.0/8", { blob: new Uint8Array(9_000_000).fill(2), tail: "end" });
  const bytes = big.build();
  assert.equal(big.stats.recordSize, 28);
  const db = Database.fromBytes(bytes);
  assert.equal((db.lookup("2.3.4.5")?.data as { tail: string }).tail, "end");
  const forced = new DatabaseBuilder({ buildEpoch: 1, recordSize: 24 });
  forced.add("1.0.0.0/8", { blob: new Uint8Array(9_000_000) });
  forced.add("2.0.0.0/8", { blob: new Uint8Array(9_000_000).fill(2) });
  assert.throws(() => forced.build(), /too large for 24-bit records/);
  for (const rs of [28, 32] as const) {
    const b = new DatabaseBuilder({ buildEpoch: 1, recordSize: rs });
    b.add("1.2.3.0/24", { n: rs });
    b.add("2001:db8::/32", { n: 6 });
    const path = await Deno.makeTempFile({ suffix: ".mxy" });
    await Deno.writeFile(path, b.build());
    assert.equal(Database.fromBytes(await Deno.readFile(path)).metadata.recordSize, rs);
    if (MMDBLOOKUP) {
      assert.match(await mmdblookup(path, "1.2.3.4", "n"), new RegExp(`${rs} <uint16>`));
    }
    await Deno.remove(path);
  }
  if (MMDBLOOKUP) {
    const path = await Deno.makeTempFile({ suffix: ".mxy" });
    await Deno.writeFile(path, bytes);
    assert.match(await mmdblookup(path, "2.3.4.5", "tail"), /"end" <utf8_string>/);
    await Deno.remove(path);
  }
});

Deno.test("build() output is byte-identical for the same input and build epoch", () => {
  const make = () => {
    const b = new DatabaseBuilder({ buildEpoch: 1700000000n, description: "same" });
    b.add("10.0.0.0/8", { a: "x" });
    b.add("2001:db8::/32", { a: "y", n: 18446744073709551615n });
    b.add("10.1.0.0/16", { a: "x" });
    return b.build();
  };
  const one = make();
  assert.deepEqual(make(), one);
  const db = Database.fromBytes(one);
  assert.equal(BigInt(db.metadata.buildEpoch), 1700000000n);
  assert.deepEqual(db.metadata.description, { en: "same" });
});

Deno.test("an empty builder still makes a valid database with no networks", () => {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  const db = Database.fromBytes(b.build());
  assert.equal(db.metadata.nodeCount, 1);
  assert.equal(db.lookup("1.2.3.4"), null);
  const all = new DatabaseBuilder({ buildEpoch: 1 });
  all.add("0.0.0.0/0", { any: true });
  assert.deepEqual(Database.fromBytes(all.build()).lookup("200.1.1.1")?.data, { any: true });
});

Deno.test("build() output passes the full validation walk in every shape", () => {
  const shapes: [string, ConstructorParameters<typeof DatabaseBuilder>[0], string[]][] = [
    ["IPv4 only", {}, ["1.2.3.0/24", "1.2.3.4"]],
    ["IPv6 with aliases", {}, ["1.2.3.0/24", "2001:db8::/32"]],
    ["IPv6 forced", { ipVersion: 6 }, ["0.0.0.0/0"]],
    ["28-bit records", { recordSize: 28 }, ["10.0.0.0/8", "::1"]],
    ["32-bit records", { recordSize: 32 }, ["10.0.0.0/8"]],
    ["strings", {}, ["10.0.0.0/8", "literal:a.example", "glob:*.b.example"]],
    ["empty", {}, []],
  ];
  for (const [name, options, entries] of shapes) {
    const b = new DatabaseBuilder({ buildEpoch: 1, ...options });
    entries.forEach((e, i) => b.add(e, { i, s: `v${i}` }));
    b.add(entries[0] ?? "9.9.9.9", { replaced: true }); // a duplicate leaves an unreferenced value
    const report = validateDatabase(b.build());
    assert.deepEqual(report.problems, [], name);
    assert.ok(report.valid, name);
  }
});

const peerValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  scalar: fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 30 }),
    fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }),
    fc.integer({ min: 2 ** 32, max: Number.MAX_SAFE_INTEGER }),
    fc.bigInt({ min: 2n ** 32n, max: 2n ** 128n - 1n }),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)),
    fc.boolean(),
    fc.uint8Array({ maxLength: 12 }),
  ),
  value: fc.oneof(
    { depthSize: "small" },
    tie("scalar"),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), tie("value"), { maxKeys: 4 }),
  ),
})).value;

Deno.test({
  name: "build() stores random values that python's readers decode identically",
  ignore: !PEERS,
  async fn() {
    const [values] = fc.sample(fc.array(peerValue, { minLength: 40, maxLength: 40 }), {
      numRuns: 1,
      seed: 7,
    });
    const b = new DatabaseBuilder({ buildEpoch: 1 });
    const ips: string[] = [];
    values.forEach((v, i) => {
      b.add(`10.${i}.0.0/16`, { v } as never);
      b.add(`2001:db8:${i.toString(16)}::/48`, [v, i] as never);
      ips.push(`10.${i}.1.2`, `2001:db8:${i.toString(16)}::9`);
    });
    const bytes = b.build();
    const db = Database.fromBytes(bytes);
    const path = await Deno.makeTempFile({ suffix: ".mxy" });
    await Deno.writeFile(path, bytes);
    const [answer] = await pythonLookup([{ path, ips }]);
    ips.forEach((ip, i) => {
      const want = toPeerValue(db.lookup(ip)!.data);
      assert.deepEqual(answer.ext[i][0], want, `ext ${ip}`);
      assert.deepEqual(answer.py[i][0], want, `py ${ip}`);
      const original = i % 2 === 0 ? { v: values[i >> 1] } : [values[i >> 1], i >> 1];
      assert.deepEqual(want, toPeerValue(original as never), `original value of ${ip}`);
    });
    await Deno.remove(path);
  },
});

Deno.test({
  name: "build() lets IPv6 networks above ::/96 cover IPv4 space, as mmdblookup and python read it",
  ignore: !PEERS,
  async fn() {
    const b = new DatabaseBuilder({ buildEpoch: 1 });
    b.add("::/64", { n: "v6-zero" });
    b.add("1.2.3.0/24", { n: "v4" });
    b.add("2001:db8::/32", { n: "doc" });
    const bytes = b.build();
    const path = await Deno.makeTempFile({ suffix: ".mxy" });
    await Deno.writeFile(path, bytes);
    const db = Database.fromBytes(bytes);
    const ips = [
      "1.2.3.4",
      "5.6.7.8",
      "::ffff:1.2.3.4",
      "::ffff:5.6.7.8",
      "2002:102:304::",
      "::1:0:0:1",
    ];
    const want = ["v4", "v6-zero", "v4", "v6-zero", "v4", "v6-zero"];
    const [answer] = await pythonLookup([{ path, ips }]);
    ips.forEach((ip, i) => {
      assert.deepEqual(db.lookup(ip)?.data, { n: want[i] }, `mxy ${ip}`);
      assert.deepEqual(answer.ext[i][0], ["map", { n: ["str", want[i]] }], `python ${ip}`);
    });
    if (MMDBLOOKUP) assert.match(await mmdblookup(path, "5.6.7.8", "n"), /"v6-zero"/);
    await Deno.remove(path);
  },
});

Deno.test("build() writes the same file whatever order IPv4 networks are added in", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(
        fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }))
          .map(([a, p]) => {
            const addr = p === 0 ? 0 : (a & (0xffffffff << (32 - p))) >>> 0;
            return `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}/${p}`;
          }),
        { minLength: 1, maxLength: 60 },
      ),
      fc.boolean(),
      fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 20 }),
      (nets, v6, probes) => {
        // One shared value: the data section is then the same, and so must the tree be.
        const build = (list: string[], value: (n: string) => { n: string }) => {
          const b = new DatabaseBuilder({ buildEpoch: 1, ipVersion: v6 ? 6 : "auto" });
          list.forEach((n) => b.add(n, value(n)));
          return b.build();
        };
        const same = () => ({ n: "x" });
        assert.deepEqual(build(nets, same), build([...nets].reverse(), same));
        // Each network's own value: every address answers the same in both orders.
        const a = Database.fromBytes(build(nets, (n) => ({ n })));
        const b = Database.fromBytes(build([...nets].reverse(), (n) => ({ n })));
        const ips = [
          ...nets.map((n) => n.slice(0, n.indexOf("/"))),
          ...probes.map((p) => formatIpv4Number(p)),
        ];
        for (const ip of ips) assert.deepEqual(a.lookup(ip), b.lookup(ip));
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("add() counts an IPv4 network and its IPv4-mapped IPv6 form as one entry", () => {
  const b = new DatabaseBuilder({ buildEpoch: 1, onDuplicate: "error" });
  b.add("1.2.3.0/24", { n: 1 }, { file: "a.txt", line: 1 });
  assert.throws(
    () => b.add("::ffff:1.2.3.0/120", { n: 2 }, { file: "a.txt", line: 2 }),
    (e: unknown) => e instanceof DatabaseError && /first given at a\.txt:1/.test(e.message),
  );
  const c = new DatabaseBuilder({ buildEpoch: 1, onDuplicate: "last" });
  c.add("1.2.3.4", { n: 1 });
  c.add("::ffff:1.2.3.4", { n: 2 });
  c.add("1.2.3.4/32", { n: 3 });
  const db = Database.fromBytes(c.build());
  assert.equal(c.stats.duplicates, 2);
  assert.equal(c.stats.counts.ipv4, 1);
  assert.deepEqual(db.lookup("1.2.3.4")?.data, { n: 3 });
});

function formatIpv4Number(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

Deno.test("add() takes IPv6 networks and reports bad ones exactly as parseCidr() words them", () => {
  const bad = [
    "2001:db8::1/64", // host bits
    "2001:db8::/129",
    "2001:db8::/064",
    "2001:db8::/",
    "2001:db8::/6a",
    "2001:db8::/1000",
    "2001:db8:::/48",
    "2001:db8::/48/48",
    "1:2:3:4:5:6:7:8:9/64",
  ];
  for (const text of bad) {
    let expected = "";
    try {
      parseCidr(text);
    } catch (e) {
      expected = (e as Error).message;
    }
    assert.notEqual(expected, "", text);
    const b = new DatabaseBuilder({ buildEpoch: 1 });
    assert.throws(
      () => b.add(text, { n: 1 }, { file: "v6.txt", line: 2 }),
      (e: unknown) => e instanceof DatabaseError && e.message.startsWith(`v6.txt:2: ${expected}`),
      text,
    );
  }
  const n = new DatabaseBuilder({ buildEpoch: 1, normalize: true, onDuplicate: "error" });
  n.add("2001:db8::1/64", { n: 1 });
  n.add("2001:DB8:0:0:1::/127", { n: 2 });
  assert.throws(() => n.add("2001:db8::/64", { n: 3 }), /Duplicate entry "2001:db8::\/64"/);
  const db = Database.fromBytes(n.build());
  assert.deepEqual(db.lookup("2001:db8::ffff")?.data, { n: 1 });
  assert.deepEqual(db.lookup("2001:db8::1:0:0:1")?.data, { n: 2 });
  assert.equal(db.lookup("2001:db9::"), null);
});

Deno.test("build() writes the same file whether or not an add() failed on its value", () => {
  const bad = null as unknown as Record<string, never>;
  const cases: [string, string[], string[]][] = [
    // A failed IPv6 add in a database that stays IPv4.
    ["IPv4", ["2001:db8::/48"], ["10.0.0.0/8", "10.1.0.0/16"]],
    // A failed add inside 2002::/16, the range the IPv4 alias takes.
    ["6to4", ["2002:a00::/24"], ["10.0.0.0/8", "2001:db8::/32"]],
    ["IPv6", ["2001:db8:1::/48", "2001:db8:2::1"], ["2001:db8::/32", "1.2.3.4"]],
  ];
  for (const [name, failing, good] of cases) {
    const clean = new DatabaseBuilder({ buildEpoch: 1 });
    const b = new DatabaseBuilder({ buildEpoch: 1 });
    for (const f of failing) assert.throws(() => b.add(f, bad), DatabaseError, name);
    for (const [i, g] of good.entries()) {
      clean.add(g, { i });
      b.add(g, { i });
    }
    assert.deepEqual(b.build(), clean.build(), name);
    assert.equal(b.stats.nodeCount, clean.stats.nodeCount, name);
  }
});

Deno.test("build() keeps every network stored while the trie's arrays grow", () => {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  const nets: string[] = [];
  let x = 12345;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 16;
  for (let i = 0; i < 4000; i++) {
    const v6 = `2001:db8:${next().toString(16)}:${next().toString(16)}::/64`;
    const v4 = `${1 + (next() % 223)}.${next() & 255}.${next() & 255}.${next() & 255}`;
    nets.push(v6, v4);
    b.add(v6, { i, v: 6 });
    b.add(v4, { i, v: 4 });
  }
  const db = Database.fromBytes(b.build());
  assert.ok(b.stats.nodeCount > 1 << 17);
  for (const [k, n] of nets.entries()) {
    const ip = n.endsWith("::/64") ? n.slice(0, -3) + "1" : n;
    const found = db.lookup(ip)?.data as { v: number } | undefined;
    assert.equal(found?.v, k % 2 === 0 ? 6 : 4, n);
  }
});

Deno.test('add() hands entries without a colon, IPv4 text too, to an extension of kind ""', () => {
  const seen: string[] = [];
  const b = new DatabaseBuilder({ buildEpoch: 1, extensions: [] });
  b.addExtension({
    name: "any",
    kind: "",
    encode: (entries) => {
      seen.push(...entries.keys);
      return new Uint8Array(8);
    },
  });
  b.add("1.2.3.4", { n: 1 });
  b.add("10.0.0.0/8", { n: 2 });
  b.add("2001:db8::1", { n: 3 }); // has a colon: an IP network
  b.build();
  assert.deepEqual(seen, ["1.2.3.4", "10.0.0.0/8"]);
  assert.equal(b.stats.counts.ipv6, 1);
  assert.equal(b.stats.counts.ipv4, 0);
});

Deno.test("a builder used after build() throws DatabaseError already-built", () => {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  b.add("10.0.0.0/8", { n: 1 });
  b.build();
  const built = (err: unknown) => err instanceof DatabaseError && err.code === "already-built";
  assert.throws(() => b.add("10.0.0.1", { n: 2 }), built);
  assert.throws(() => b.build(), built);
  assert.throws(
    () => b.addExtension({ name: "x", kind: "x", encode: () => new Uint8Array(8) }),
    built,
  );
});

Deno.test("add() attributes a section encoder's bad-entry refusal to the entry and passes other errors on", () => {
  const b = new DatabaseBuilder({ buildEpoch: 1, extensions: [] });
  b.addExtension({
    name: "demo",
    kind: "demo",
    normalizeKey(key) {
      if (key === "bad") throw new DatabaseError("bad-entry", "Demo keys may not be bad");
      if (key === "bug") throw new TypeError("an encoder's own failure");
      return key;
    },
    encode: () => new Uint8Array(8),
  });
  assert.throws(
    () => b.add("demo:bad", { n: 1 }, { file: "f.txt", line: 7 }),
    (err: unknown) =>
      err instanceof DatabaseError && err.code === "bad-entry" && err.line === 7 &&
      err.message === "f.txt:7: Demo keys may not be bad",
  );
  assert.throws(
    () => b.add("demo:bug", { n: 1 }, { file: "f.txt", line: 8 }),
    (err: unknown) => err instanceof TypeError && !(err instanceof DatabaseError),
  );
});

Deno.test("add() reports a malformed glob as the entry's bad-entry with the GlobError as its cause", () => {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  assert.throws(
    () => b.add("glob:ab[c", { n: 1 }, { file: "g.txt", line: 2 }),
    (err: unknown) =>
      err instanceof DatabaseError && err.code === "bad-entry" && err.cause instanceof GlobError &&
      /^g\.txt:2: Malformed glob "ab\[c"/.test(err.message),
  );
});
