/**
 * The stream matcher: the same hits, lines and offsets whatever the pieces written, lines far
 * longer than its buffer scanned in windows with every indicator found and memory bounded by the
 * buffer, tokens longer than a window skipped rather than misread, and flush() for slow input.
 */
import assert from "node:assert/strict";
import { Database, DatabaseBuilder } from "../../lib/db/mod.ts";
import { Matcher, StreamMatcher } from "../../lib/match/mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

const db = (() => {
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  b.add("evil.com", { n: 1 });
  b.add("198.51.100.0/24", { n: 2 });
  b.add("d41d8cd98f00b204e9800998ecf8427e", { n: 3 });
  return Database.fromBytes(b.build());
})();

function run(bytes: Uint8Array, piece: number, bufferSize = 1 << 16) {
  const got: string[] = [];
  const sm = new StreamMatcher(new Matcher(db), (h, at) => {
    got.push(
      `${at.lineOf(h.start)}:${at.offsetOf(h.start)}:${
        dec.decode(at.bytes.subarray(h.start, h.end))
      }`,
    );
  }, { bufferSize });
  for (let i = 0; i < bytes.length; i += piece) sm.write(bytes.subarray(i, i + piece));
  sm.end();
  return { got, lines: sm.lines };
}

Deno.test("StreamMatcher scans a line of megabytes in windows and finds every indicator", () => {
  const parts: string[] = [];
  const want: string[] = [];
  let at = 0;
  for (let i = 0; i < 600; i++) {
    const fill = "lorem ipsum dolor sit amet ".repeat(1 + (i % 400));
    parts.push(fill);
    at += fill.length;
    const ind = ["evil.com", `198.51.100.${i % 256}`, "d41d8cd98f00b204e9800998ecf8427e"][i % 3];
    want.push(`1:${at}:${ind}`);
    parts.push(ind + " ");
    at += ind.length + 1;
  }
  const text = parts.join("");
  assert.ok(text.length > 2e6, `${text.length}`);
  const bytes = enc.encode(text + "\nevil.com\n");
  want.push(`2:${text.length + 1}:evil.com`);
  for (const piece of [65536, 7919, 1 << 20]) {
    const { got, lines } = run(bytes, piece);
    assert.deepEqual(got, want, `pieces of ${piece}`);
    assert.equal(lines, 2);
  }
});

Deno.test("StreamMatcher skips a token longer than a window instead of misreading its tail", () => {
  // 200 kB of hex digits: no hash, however the windows cut it
  const text = "a".repeat(200_000) + " evil.com " + "ab".repeat(70_000) + "\nx evil.com\n";
  const { got } = run(enc.encode(text), 1 << 20);
  assert.deepEqual(got, ["1:200001:evil.com", "2:340013:evil.com"]);
  // binary garbage and NUL bytes are delimiters like any other
  const bin = new Uint8Array(300_000);
  for (let i = 0; i < bin.length; i++) bin[i] = (i * 7919) & 0xff;
  bin.set(enc.encode("\u0000evil.com\u0000"), 150_000);
  const r = run(bin, 4096);
  assert.ok(r.got.some((g) => g.endsWith(":150001:evil.com")), r.got.join(" "));
});

Deno.test("StreamMatcher gives the same answers for any piece size, and flush() reports whole lines", () => {
  const text = Array.from(
    { length: 3000 },
    (_, i) =>
      i % 7 === 0 ? `GET http://evil.com/${i} from 198.51.100.${i % 250}` : `GET /x${i} 200`,
  ).join("\r\n");
  const bytes = enc.encode(text);
  const ref = run(bytes, bytes.length);
  assert.equal(ref.lines, 3000);
  for (const piece of [1, 13, 4096]) assert.deepEqual(run(bytes, piece), ref);
  const got: string[] = [];
  const sm = new StreamMatcher(new Matcher(db), (h, at) => got.push(`${at.lineOf(h.start)}`));
  sm.write(enc.encode("a evil.com b\nc evil"));
  sm.flush();
  assert.deepEqual(got, ["1"]);
  sm.write(enc.encode(".com\n"));
  sm.flush();
  assert.deepEqual(got, ["1", "2"]);
  sm.end();
  assert.throws(() => sm.write(enc.encode("x")), RangeError);
});

Deno.test("StreamMatcher numbers lines right over long stretches of newlines and of none", () => {
  // runs of empty lines longer than the counter's blocks (255 words), text without newlines,
  // and hits after each, at every alignment
  for (const lead of [0, 1, 2, 3]) {
    const parts = ["x".repeat(lead)];
    const expected: string[] = [];
    let line = 1;
    for (const [newlines, text] of [[5000, 9000], [1021, 3], [0, 70_000], [2047, 1], [1, 0]]) {
      parts.push("\n".repeat(newlines), "y".repeat(text), " evil.com ");
      line += newlines;
      expected.push(String(line));
    }
    const bytes = enc.encode(parts.join(""));
    const got: string[] = [];
    const sm = new StreamMatcher(new Matcher(db), (h, at) => got.push(`${at.lineOf(h.start)}`));
    sm.write(bytes);
    sm.end();
    assert.deepEqual(got, expected);
    assert.equal(sm.lines, line);
  }
});
