import assert from "node:assert/strict";
import { encodeValue, typed } from "../../lib/format/data_writer.ts";
import { FormatError } from "../../lib/format/format_error.ts";
import {
  DATA_SECTION_SEPARATOR_SIZE,
  findMetadataMarker,
  METADATA_SEARCH_WINDOW,
  readLayout,
} from "../../lib/format/metadata.ts";
import type { WritableMap } from "../../lib/format/data_writer.ts";
import { fixture } from "../_fixtures.ts";

const MARKER = [0xab, 0xcd, 0xef, ...new TextEncoder().encode("MaxMind.com")];

/** A file: `treeBytes` zero bytes of tree, the 16-byte separator, `data`, marker, metadata. */
function file(meta: WritableMap, treeBytes = 6, data: number[] = [0x40]): Uint8Array {
  const m = encodeValue(meta);
  const out = new Uint8Array(treeBytes + 16 + data.length + MARKER.length + m.length);
  out.set(data, treeBytes + 16);
  out.set(MARKER, treeBytes + 16 + data.length);
  out.set(m, treeBytes + 16 + data.length + MARKER.length);
  return out;
}

const BASE: WritableMap = {
  binary_format_major_version: typed("uint16", 2),
  binary_format_minor_version: typed("uint16", 0),
  build_epoch: typed("uint64", 1700000000),
  database_type: "Test",
  description: { en: "test" },
  ip_version: typed("uint16", 6),
  languages: ["en"],
  node_count: typed("uint32", 1),
  record_size: typed("uint16", 24),
};

function failure(bytes: Uint8Array): FormatError {
  try {
    readLayout(bytes);
  } catch (err) {
    assert.ok(err instanceof FormatError, String(err));
    return err;
  }
  throw new Error("readLayout accepted the file");
}

Deno.test("readLayout() reads typed metadata and derives the section layout", () => {
  const bytes = file(BASE);
  const l = readLayout(bytes);
  assert.equal(l.metadata.nodeCount, 1);
  assert.equal(l.metadata.recordSize, 24);
  assert.equal(l.metadata.ipVersion, 6);
  assert.equal(l.metadata.buildEpoch, 1700000000n);
  assert.deepEqual(l.metadata.languages, ["en"]);
  assert.deepEqual(l.metadata.description, { en: "test" });
  assert.equal(l.metadata.mxyFormatVersion, null);
  assert.equal(l.treeSize, 6);
  assert.equal(l.dataStart, 22);
  assert.equal(l.dataEnd, 23);
  assert.equal(l.metadataStart, 23 + 14);
});

Deno.test("findMetadataMarker() takes the last marker within the final 128 KiB only", () => {
  const bytes = new Uint8Array(200_000);
  bytes.set(MARKER, 10);
  assert.equal(findMetadataMarker(bytes), -1, "a marker 199,990 bytes from the end is not seen");
  bytes.set(MARKER, 150_000);
  bytes.set(MARKER, 190_000);
  assert.equal(findMetadataMarker(bytes), 190_000);
});

Deno.test("readLayout() rejects missing or ill-typed required keys", () => {
  assert.equal(failure(new Uint8Array(50)).code, "no-metadata");
  const cases: [WritableMap, RegExp][] = [
    [{ ...BASE, record_size: typed("uint16", 20) }, /record_size is 20/],
    [{ ...BASE, ip_version: typed("uint16", 5) }, /ip_version is 5/],
    [{ ...BASE, binary_format_major_version: typed("uint16", 3) }, /only 2 is supported/],
    [{ ...BASE, database_type: typed("uint16", 3) }, /database_type/],
    [{ ...BASE, node_count: "1" }, /node_count/],
    [{ ...BASE, languages: [1] }, /languages/],
    [{ ...BASE, description: { en: 1 } }, /description/],
    [{ ...BASE, node_count: typed("uint32", 1000) }, /do not fit before the metadata/],
  ];
  for (const [meta, message] of cases) {
    const err = failure(file(meta));
    assert.equal(err.code, "bad-metadata", message.source);
    assert.match(err.message, message);
  }
  const notMap = new Uint8Array([...new Uint8Array(22), ...MARKER, 0x42, 0x68, 0x69]);
  assert.match(failure(notMap).message, /not a map/);
});

function withRecord(record: unknown): WritableMap {
  return { ...BASE, description: { en: "test", mxy: JSON.stringify(record) } };
}

Deno.test("readLayout() reads the mxy record and ends the data section at the first section", () => {
  const record = {
    format_version: 1,
    counts: { ipv4: 1, ipv6: 0, literal: 2, glob: 3 },
    match_mode: "case-insensitive",
    sections: { literal: { offset: 24, length: 8 } },
  };
  const meta = withRecord(record);
  // tree 6 + separator 16 = 22; data "" at 22..24 (2 bytes), section at 24..32.
  const bytes = file(meta, 6, [0x40, 0x40, ...new Array(8).fill(7)]);
  const l = readLayout(bytes);
  assert.equal(l.metadata.mxyFormatVersion, 1);
  assert.deepEqual(l.metadata.mxyCounts, { ipv4: 1, ipv6: 0, literal: 2, glob: 3 });
  assert.equal(l.metadata.mxyMatchMode, "case-insensitive");
  assert.deepEqual(l.metadata.sections, { literal: { offset: 24, length: 8 } });
  assert.equal(l.dataEnd, 24);
  assert.deepEqual(l.metadata.description, { en: "test" });
  const misaligned = file(
    withRecord({ ...record, sections: { literal: { offset: 25, length: 1 } } }),
    6,
    [
      0x40,
      0x40,
      ...new Array(8).fill(7),
    ],
  );
  assert.equal(failure(misaligned).code, "bad-section");
  const outside = file(
    withRecord({ ...record, sections: { literal: { offset: 24, length: 800 } } }),
    6,
    [
      0x40,
      0x40,
      ...new Array(8).fill(7),
    ],
  );
  assert.equal(failure(outside).code, "bad-section");
});

Deno.test("readLayout() rejects a malformed mxy record with a metadata error", () => {
  for (
    const text of ["{", "[]", '{"format_version":-1}', '{"format_version":1,"match_mode":"x"}']
  ) {
    const meta: WritableMap = { ...BASE, description: { mxy: text } };
    const err = failure(file(meta, 6, [0x40, 0x40]));
    assert.equal(err.code, "bad-metadata", text);
    assert.match(err.message, /mxy/);
  }
});

Deno.test({
  name: "readLayout() follows pointers inside the metadata",
  ignore: !fixture("mmdb/test-data"),
  fn() {
    const bytes = Deno.readFileSync(
      `${fixture("mmdb/test-data")}/MaxMind-DB-test-metadata-pointers.mmdb`,
    );
    const l = readLayout(bytes);
    assert.equal(l.metadata.databaseType, "Lots of pointers in metadata");
    assert.ok(l.metadata.languages.length > 0);
  },
});

Deno.test("METADATA_SEARCH_WINDOW is 128 KiB", () => {
  assert.equal(METADATA_SEARCH_WINDOW, 131072);
});

Deno.test("DATA_SECTION_SEPARATOR_SIZE is 16 bytes", () => {
  assert.equal(DATA_SECTION_SEPARATOR_SIZE, 16);
});

Deno.test("findMetadataMarker() finds the metadata marker", () => {
  const file = new Uint8Array(40);
  file.set([0xab, 0xcd, 0xef, ...new TextEncoder().encode("MaxMind.com")], 20);
  assert.equal(findMetadataMarker(file), 20);
  assert.equal(findMetadataMarker(new Uint8Array(10)), -1);
});

Deno.test({
  name: "readLayout() locates the tree, data section and metadata of a 28-bit-record file",
  ignore: !fixture("mmdb/test-data"),
  async fn() {
    const layout = readLayout(
      await Deno.readFile(`${fixture("mmdb/test-data")}/GeoIP2-City-Test.mmdb`),
    );
    assert.equal(layout.metadata.recordSize, 28);
    assert.equal(layout.treeSize, layout.metadata.nodeCount * 7);
    assert.equal(layout.dataStart, layout.treeSize + 16);
  },
});
