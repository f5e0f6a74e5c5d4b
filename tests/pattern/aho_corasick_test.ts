import assert from "node:assert/strict";
import fc from "fast-check";
import {
  AhoCorasick,
  type AhoCorasickScan,
  type AhoCorasickTables,
  buildAhoCorasick,
  verifyAutomaton,
} from "../../lib/pattern/mod.ts";

const enc = new TextEncoder();
// Budgets: the root row alone (every other state steps through the sparse tables), a few rows,
// and the default (a full DFA for these sizes).
const BUDGETS = [1, 40, undefined];

function scanFor(keys: number, bytes = new Uint8Array(0)): AhoCorasickScan {
  return {
    bytes,
    length: bytes.length,
    out: new Uint32Array(keys),
    count: 0,
    seen: new Uint32Array(keys),
    stamp: 1,
    points: new Int32Array(256),
  };
}

const sorted = (a: Uint32Array, n: number) => [...a.subarray(0, n)].sort((x, y) => x - y);

const pieceArb = fc.array(fc.stringMatching(/^[ab.]{0,5}$/), { minLength: 1, maxLength: 25 });
const textArb = fc.stringMatching(/^[ab.c]{0,30}$/);

Deno.test("collect() and collectOf() find exactly the pieces that occur, whatever the dense budget", () => {
  fc.assert(
    fc.property(pieceArb, textArb, (pieces, text) => {
      const want = pieces.flatMap((p, i) => (p !== "" && text.includes(p) ? [i] : []));
      for (const denseBudget of BUDGETS) {
        const tables = buildAhoCorasick(pieces.map((p) => enc.encode(p)), { denseBudget });
        const ac = new AhoCorasick(tables);
        verifyAutomaton(tables, pieces.length, (w) => assert.fail(w));
        const fromBytes = scanFor(pieces.length, enc.encode(text));
        assert.deepEqual(sorted(fromBytes.out, ac.collect(fromBytes)), want);
        const fromString = scanFor(pieces.length);
        const n = ac.collectOf(text, false, fromString);
        assert.deepEqual(sorted(fromString.out, n), want);
        assert.deepEqual(
          [...fromString.points!.subarray(0, text.length)],
          [...text].map((c) => c.charCodeAt(0)),
        );
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("collect() agrees with brute force when states have many children (wide alphabet)", () => {
  const wide = fc.array(fc.stringMatching(/^[a-t]{1,4}$/), { minLength: 1, maxLength: 300 });
  fc.assert(
    fc.property(wide, fc.stringMatching(/^[a-u]{0,40}$/), (pieces, text) => {
      const want = pieces.flatMap((p, i) => (text.includes(p) ? [i] : []));
      const tables = buildAhoCorasick(pieces.map((p) => enc.encode(p)));
      const ac = new AhoCorasick(tables);
      verifyAutomaton(tables, pieces.length, (w) => assert.fail(w));
      const scan = scanFor(pieces.length);
      assert.deepEqual(sorted(scan.out, ac.collectOf(text, false, scan)), want);
    }),
    { numRuns: 100 },
  );
});

Deno.test("anchored walks find exactly the pieces the text starts (or ends) with", () => {
  fc.assert(
    fc.property(pieceArb, textArb, fc.boolean(), (pieces, text, resolve) => {
      const prefixes = pieces.flatMap((p, i) => (p !== "" && text.startsWith(p) ? [i] : []));
      const suffixes = pieces.flatMap((p, i) => (p !== "" && text.endsWith(p) ? [i] : []));
      const points = Int32Array.from([...text].map((c) => c.charCodeAt(0)));
      for (const denseBudget of BUDGETS) {
        // A trie (unresolved rows) is what the glob section stores; an automaton walked anchored
        // must give the same answers.
        const fwd = new AhoCorasick(
          buildAhoCorasick(pieces.map((p) => enc.encode(p)), { denseBudget, resolve }),
        );
        const rev = new AhoCorasick(
          buildAhoCorasick(pieces.map((p) => enc.encode(p).reverse()), { denseBudget, resolve }),
        );
        const a = scanFor(pieces.length, enc.encode(text));
        assert.deepEqual(sorted(a.out, fwd.collectPrefix(a, true)), prefixes);
        const b = scanFor(pieces.length);
        assert.deepEqual(sorted(b.out, fwd.collectPrefixOf(text, false, b)), prefixes);
        const c = scanFor(pieces.length);
        const nc = fwd.collectAnchoredPoints(points, points.length, false, c);
        assert.deepEqual(sorted(c.out, nc), prefixes);
        const d = scanFor(pieces.length, enc.encode(text));
        assert.deepEqual(sorted(d.out, rev.collectSuffix(d, true)), suffixes);
        const e = scanFor(pieces.length);
        assert.deepEqual(sorted(e.out, rev.collectSuffixOf(text, false, e)), suffixes);
        const f = scanFor(pieces.length);
        const nf = rev.collectAnchoredPoints(points, points.length, true, f);
        assert.deepEqual(sorted(f.out, nf), suffixes);
      }
    }),
    { numRuns: 200 },
  );
});

Deno.test("collectOf() gives up on a non-ASCII character and leaves the count as it was", () => {
  const ac = new AhoCorasick(buildAhoCorasick([enc.encode("ab")]));
  const scan = scanFor(1);
  scan.count = 0;
  assert.equal(ac.collectOf("abé", false, scan), -1);
  assert.equal(scan.count, 0);
  scan.stamp++; // the stamps it set stay set: a retry takes a new stamp
  assert.equal(ac.collectOf("xAB", true, scan), 1);
});

Deno.test("buildAhoCorasick() numbers states breadth-first and keeps dense rows within budget", () => {
  const pieces = ["abc", "abd", "b", "cab"].map((p) => enc.encode(p));
  const full = buildAhoCorasick(pieces);
  // Root, then depth 1 (a, b, c), then depth 2 (ab, ca), then depth 3 (abc, abd, cab).
  assert.equal(full.nodes.length / 4, 9);
  assert.equal(full.classCount, 5); // class 0 plus a, b, c, d
  assert.equal(full.denseStates, 9);
  const some = buildAhoCorasick(pieces, { denseBudget: 12 });
  assert.equal(some.denseStates, 2);
  assert.equal(some.dense.length, 10);
  for (let s = 1; s < 9; s++) {
    assert.ok(full.nodes[4 * s] < s, `failure link of ${s} leads to an earlier state`);
  }
});

Deno.test("dense rows are 16-bit up to 32,767 states and 32-bit beyond, with the same answers", () => {
  // 2,400 random 20-byte pieces: about 42,000 states.
  let seed = 7;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const pieces = Array.from(
    { length: 2400 },
    () => Array.from({ length: 20 }, () => "abcdefghij"[Math.floor(rnd() * 10)]).join(""),
  );
  const big = buildAhoCorasick(pieces.map((p) => enc.encode(p)), { denseBudget: 1 << 22 });
  assert.ok(big.nodes.length / 4 > 0x7fff);
  assert.ok(big.dense instanceof Int32Array);
  const small = buildAhoCorasick(pieces.slice(0, 100).map((p) => enc.encode(p)));
  assert.ok(small.dense instanceof Uint16Array);
  const ac = new AhoCorasick(big);
  verifyAutomaton(big, pieces.length, (w) => assert.fail(w));
  for (let q = 0; q < 200; q++) {
    const text = Array.from({ length: 60 }, () => "abcdefghij"[Math.floor(rnd() * 10)]).join("");
    const hidden = q % 2 === 0 ? pieces[q] : "";
    const query = text.slice(0, 20) + hidden + text.slice(20);
    const want = pieces.flatMap((p, i) => (query.includes(p) ? [i] : []));
    const scan = scanFor(pieces.length);
    scan.points = new Int32Array(128);
    assert.deepEqual(sorted(scan.out, ac.collectOf(query, false, scan)), want);
  }
});

function tamper(
  tables: AhoCorasickTables,
  edit: (t: AhoCorasickTables) => void,
): AhoCorasickTables {
  const t: AhoCorasickTables = {
    ...tables,
    nodes: tables.nodes.slice(),
    edges: tables.edges.slice(),
    classes: tables.classes.slice(),
    dense: tables.dense.slice(),
  };
  edit(t);
  return t;
}

Deno.test("verifyAutomaton() rejects dense rows, classes and links the sparse tables do not imply", () => {
  const tables = buildAhoCorasick(["needle", "hay", "stack", "neat"].map((p) => enc.encode(p)));
  const bad = (w: string): never => {
    throw new Error(w);
  };
  verifyAutomaton(tables, 4, bad);
  const cases: [string, (t: AhoCorasickTables) => void, RegExp][] = [
    ["a dense entry pointing elsewhere", (t) => (t.dense[t.classCount + 1] ^= 1), /dense row/],
    ["a dense entry losing its report bit", (t) => {
      const flag = t.dense instanceof Uint16Array ? 1 << 15 : 1 << 30;
      const k = t.dense.findIndex((v) => (v & flag) !== 0);
      assert.ok(k >= 0);
      t.dense[k] &= ~flag;
    }, /dense row/],
    ["a byte moved to another class", (t) => {
      const b = "n".charCodeAt(0);
      t.classes[b] = 0;
    }, /class/],
    ["a failure link to a later state", (t) => {
      const last = t.nodes.length / 4 - 1;
      t.nodes[4 * 1] = last;
    }, /failure link/],
  ];
  for (const [what, edit, re] of cases) {
    assert.throws(() => verifyAutomaton(tamper(tables, edit), 4, bad), re, what);
  }
  assert.throws(
    () => new AhoCorasick({ ...tables, denseStates: tables.denseStates + 1 }),
    RangeError,
  );
});

Deno.test("AhoCorasick.stateCount counts the root and one state per piece byte", () => {
  const enc = new TextEncoder();
  const ac = new AhoCorasick(buildAhoCorasick([enc.encode("abc")]));
  assert.equal(ac.stateCount, 4);
});

Deno.test("keyPieces() gives every key with the bytes of its piece", () => {
  fc.assert(
    fc.property(pieceArb, (pieces) => {
      const ac = new AhoCorasick(buildAhoCorasick(pieces.map((p) => enc.encode(p))));
      const { keys, at, length, bytes } = ac.keyPieces();
      const got = new Map<number, string>();
      keys.forEach((k, i) =>
        got.set(k, new TextDecoder().decode(bytes.subarray(at[i], at[i] + length[i])))
      );
      const want = new Map<number, string>();
      pieces.forEach((p, i) => p !== "" && want.set(i, p));
      assert.deepEqual(got, want);
      assert.equal(keys.length, want.size);
    }),
    { numRuns: 200 },
  );
});

Deno.test("anchored walks with output sets report exactly the keys whose set is within the query's", () => {
  fc.assert(
    fc.property(
      pieceArb,
      textArb,
      fc.array(fc.tuple(fc.integer(), fc.integer()), { minLength: 8, maxLength: 8 }),
      fc.tuple(fc.integer(), fc.integer()),
      (pieces, text, keySets, [qlo, qhi]) => {
        const sets = new Int32Array(2 * pieces.length);
        pieces.forEach((_, i) => {
          // keys without a set (0: always reported), with the query's own bits, and with bits
          // outside the query's in one word only
          const [lo, hi] = keySets[i % keySets.length];
          const k = i % 4;
          sets[2 * i] = k === 0 ? 0 : k === 3 ? lo : lo & qlo;
          sets[2 * i + 1] = k === 0 ? 0 : k === 2 ? hi : hi & qhi;
        });
        const within = (i: number) => ((sets[2 * i] & ~qlo) | (sets[2 * i + 1] & ~qhi)) === 0;
        const prefixes = pieces.flatMap((p, i) =>
          p !== "" && text.startsWith(p) && within(i) ? [i] : []
        );
        const suffixes = pieces.flatMap((p, i) =>
          p !== "" && text.endsWith(p) && within(i) ? [i] : []
        );
        const all = pieces.flatMap((p, i) => (p !== "" && text.startsWith(p) ? [i] : []));
        const points = Int32Array.from([...text].map((c) => c.charCodeAt(0)));
        const fwd = new AhoCorasick(buildAhoCorasick(pieces.map((p) => enc.encode(p))));
        const rev = new AhoCorasick(
          buildAhoCorasick(pieces.map((p) => enc.encode(p).reverse())),
        );
        fwd.setOutputSets(sets);
        rev.setOutputSets(sets);
        const set = Int32Array.of(qlo, qhi, 1);
        const a = { ...scanFor(pieces.length), set };
        assert.deepEqual(
          sorted(a.out, fwd.collectAnchoredPoints(points, points.length, false, a)),
          prefixes,
        );
        const b = { ...scanFor(pieces.length), set };
        assert.deepEqual(sorted(b.out, rev.collectSuffixOf(text, false, b)), suffixes);
        // a set not marked as the current query's (word 2 = 0) filters nothing
        const c = { ...scanFor(pieces.length), set: Int32Array.of(qlo, qhi, 0) };
        assert.deepEqual(sorted(c.out, fwd.collectPrefixOf(text, false, c)), all);
        // without sets again, every key
        fwd.setOutputSets(null);
        const d = { ...scanFor(pieces.length), set };
        assert.deepEqual(sorted(d.out, fwd.collectPrefixOf(text, false, d)), all);
      },
    ),
    { numRuns: 200 },
  );
});
