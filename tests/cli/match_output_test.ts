/**
 * The byte output of `mxy match` (cli/commands/_match_output.ts): numbers, IPv4 networks, plain
 * spans and strings come out as the string path spells them, in the order written, whatever the
 * buffer's size.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatNetwork } from "../../lib/db/mod.ts";
import {
  EntryOutput,
  PLAIN_CSV,
  PLAIN_JSON,
  PLAIN_TEXT,
  RecordWriter,
} from "../../cli/commands/_match_output.ts";

const DECODER = new TextDecoder();

/** A writer and the text of everything it handed on (after flush). */
function collect(): { out: RecordWriter; text: () => string } {
  const chunks: Uint8Array[] = [];
  const out = new RecordWriter((b) => chunks.push(b.slice()));
  return {
    out,
    text: () => {
      out.flush();
      return chunks.map((c) => DECODER.decode(c, { stream: true })).join("") + DECODER.decode();
    },
  };
}

Deno.test("RecordWriter.number() spells numbers as String() does", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.nat(),
          fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          fc.double(),
          fc.constantFrom(0, 9, 10, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, -1, NaN, Infinity),
        ),
      ),
      (ns) => {
        const { out, text } = collect();
        for (const n of ns) {
          out.number(n);
          out.byte(0x20);
        }
        assert.equal(text(), ns.map((n) => `${n} `).join(""));
      },
    ),
  );
});

Deno.test("RecordWriter.ipv4Network() writes what formatNetwork() does", () => {
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), fc.nat(32), (v, p) => {
      const { out, text } = collect();
      out.ipv4Network(v, p, 0x22);
      out.ipv4Network(v, p, 0);
      const bytes = new Uint8Array([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
      const net = formatNetwork(bytes, p);
      assert.equal(text(), `"${net}"${net}`);
    }),
  );
});

Deno.test("RecordWriter: plain spans are copied, others refused whole; strings and bytes keep their order", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.string(), fc.nat(2))),
      (items) => {
        const { out, text } = collect();
        let expected = "";
        for (const [bytes, s, which] of items) {
          const plain = [PLAIN_JSON, PLAIN_CSV, PLAIN_TEXT][which];
          const ok = bytes.every((c) =>
            c < 0x80 && (plain === PLAIN_TEXT ||
              (plain === PLAIN_JSON
                ? c >= 0x20 && c !== 0x22 && c !== 0x5c
                : c !== 0x22 && c !== 0x2c && c !== 0x0d && c !== 0x0a))
          );
          assert.equal(out.plainBytes(bytes, 0, bytes.length, plain, which === 0 ? 0x22 : 0), ok);
          const q = which === 0 ? '"' : "";
          if (ok) expected += q + DECODER.decode(bytes) + q;
          const sOk = [...s].every((ch) => {
            const c = ch.charCodeAt(0);
            return c < 0x80 &&
              (plain === PLAIN_TEXT ||
                (plain === PLAIN_JSON
                  ? c >= 0x20 && c !== 0x22 && c !== 0x5c
                  : c !== 0x22 && c !== 0x2c && c !== 0x0d && c !== 0x0a));
          });
          assert.equal(out.plainText(s, plain, 0), sOk);
          if (sOk) expected += s;
          out.write(s);
          out.text(s);
          expected += s + s;
        }
        assert.equal(text(), expected);
      },
    ),
  );
});

Deno.test("RecordWriter: texts larger than its buffer, and many small writes, come out whole", () => {
  const { out, text } = collect();
  const big = "é".repeat(300_000) + "x".repeat(200_001);
  let expected = "";
  for (let i = 0; i < 30_000; i++) {
    out.number(i);
    out.write(",");
    expected += `${i},`;
  }
  out.text(big);
  out.write(big);
  out.bytes(new TextEncoder().encode(big));
  expected += big + big + big;
  assert.equal(text(), expected);
});

Deno.test("EntryOutput.take() hands out each entry's records whole and unchanged by later entries; clear() drops a failed entry's", () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ text: fc.string({ maxLength: 300_000 }), failed: fc.boolean() }), {
        maxLength: 6,
      }),
      (entries) => {
        const out = new EntryOutput();
        const taken: [Uint8Array, string][] = [];
        for (const e of entries) {
          out.writer.text(e.text);
          out.count = 1;
          if (e.failed) {
            out.clear();
            assert.equal(out.count, 0);
            continue;
          }
          const bytes = out.take();
          assert.equal(out.count, 0);
          taken.push([bytes, e.text]);
        }
        // every entry's bytes as they were taken, after every later entry was written
        for (const [bytes, text] of taken) assert.equal(DECODER.decode(bytes), text);
      },
    ),
    { numRuns: 60 },
  );
});
